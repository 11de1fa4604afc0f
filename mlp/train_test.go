package mlp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/mlpgo/mlpgo/linalg"
)

// TestStepAllocs checks that a training step allocates nothing once Fit's
// workspace exists, for every optimizer and output.
func TestStepAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race (sync.Pool drops objects)")
	}
	x, y := blobs(400, 50, 10, 1)
	sparse, _ := blobs(400, 50, 10, 1)
	xs := sparseRows(sparsify(sparse, 1))
	for _, opt := range []Optimizer{SGD, Momentum, Nesterov, Adam} {
		for _, out := range []Output{SigmoidOutput, SoftmaxOutput} {
			for _, sparse := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/sparse=%t", opt, out, sparse), func(t *testing.T) {
					n, err := New(50, 10, Config{Optimizer: opt, Output: out, Hidden: []int{30, 20}})
					if err != nil {
						t.Fatal(err)
					}
					tr := newTrainer(n, n.cfg.BatchSize, true)
					if sparse {
						tr.xs = xs
					}
					rows := make([]uint32, 100)
					for i := range rows {
						rows[i] = uint32(3 * i)
					}
					if allocs := testing.AllocsPerRun(50, func() { tr.step(x, y, rows, nil) }); allocs != 0 {
						t.Errorf("training step: %g allocations, want 0", allocs)
					}
					tr.startPrefetch()
					defer tr.stopPrefetch()
					if allocs := testing.AllocsPerRun(50, func() { tr.step(x, y, rows, rows) }); allocs != 0 {
						t.Errorf("training step prefetching the next: %g allocations, want 0", allocs)
					}
				})
			}
		}
	}
}

// weightBits returns every parameter's bits, for bit-exact comparisons.
func weightBits(n *Network) []uint32 {
	var bits []uint32
	for _, p := range n.params() {
		for _, v := range p {
			bits = append(bits, math.Float32bits(v))
		}
	}
	return bits
}

func equalBits(a, b []uint32) (int, bool) {
	if len(a) != len(b) {
		return -1, false
	}
	for i := range a {
		if a[i] != b[i] {
			return i, false
		}
	}
	return 0, true
}

// TestDeterminism checks that training gives bit-identical weights and
// history (cost and accuracies, from the per-epoch evaluation that runs in
// chunks on several threads) for the same config and data, whatever
// linalg's thread count and GOMAXPROCS, on every kernel set, for dense
// rows and rows that take the sparse path. The products of a step
// (64x64x200 multiply-adds and more) are large enough for linalg to split
// them across threads, and with more than one thread Fit gathers each
// next minibatch on another goroutine.
func TestDeterminism(t *testing.T) {
	for _, sparse := range []bool{false, true} {
		t.Run(fmt.Sprintf("sparse=%t", sparse), func(t *testing.T) { testDeterminism(t, sparse) })
	}
}

func testDeterminism(t *testing.T, sparse bool) {
	all, labels := blobs(1400, 200, 10, 4)
	if sparse {
		all = sparsify(all, 5)
	}
	x, y, xv, yv := all.RowSlice(0, 640), labels[:640], all.RowSlice(640, 1400), labels[640:]
	cfg := Config{Hidden: []int{64, 32}, Optimizer: Adam, Activation: linalg.ReLU, Output: SoftmaxOutput, Epochs: 2, BatchSize: 64}
	train := func(threads int) ([]uint32, History) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(max(threads, 1)))
		defer linalg.SetThreads(linalg.SetThreads(threads))
		n, err := New(200, 10, cfg)
		if err != nil {
			t.Fatal(err)
		}
		h, err := n.Fit(t.Context(), x, y, xv, yv, nil)
		if err != nil {
			t.Fatal(err)
		}
		return weightBits(n), h
	}
	for _, isa := range linalg.Available() {
		t.Run(isa, func(t *testing.T) {
			restore, err := linalg.UseISA(isa)
			if err != nil {
				t.Fatal(err)
			}
			defer restore()
			base, baseHist := train(1)
			for _, threads := range []int{2, 3, 4} {
				bits, hist := train(threads)
				if i, ok := equalBits(base, bits); !ok {
					t.Errorf("%d threads: weights differ from 1 thread's at parameter %d", threads, i)
				}
				for e := range hist {
					got, want := hist[e], baseHist[e]
					if got.Cost != want.Cost || got.TrainAcc != want.TrainAcc || got.ValidAcc != want.ValidAcc {
						t.Errorf("%d threads: epoch %d cost, train and valid accuracy = %v %v %v, with 1 thread %v %v %v",
							threads, e+1, got.Cost, got.TrainAcc, got.ValidAcc, want.Cost, want.TrainAcc, want.ValidAcc)
					}
				}
			}
		})
	}
}

// TestCancel cancels training in the middle of an epoch: Fit must stop
// after the minibatch in progress with the context's error, and a second
// Fit must continue to the weights of an uninterrupted run.
func TestCancel(t *testing.T) {
	all, labels := blobs(350, 8, 3, 5)
	x, y, xv, yv := all.RowSlice(0, 300), labels[:300], all.RowSlice(300, 350), labels[300:]
	cfg := Config{Hidden: []int{6}, Optimizer: Momentum, Epochs: 4, BatchSize: 40} // 7 minibatches an epoch
	full, err := New(8, 3, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want, err := full.Fit(t.Context(), x, y, xv, yv, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		epoch, batch int // cancel in this report
		done         bool
		wantBatches  int // minibatches done when Fit returns
	}{
		{"mid-epoch", 2, 3, false, 7 + 3},
		{"last minibatch", 1, 7, false, 7},
		{"between epochs", 2, 7, true, 14},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, _ := New(8, 3, cfg)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			reports := 0
			_, err = n.Fit(ctx, x, y, xv, yv, func(p Progress) {
				reports++
				if p.Epoch == tc.epoch && p.Batch == tc.batch && p.EpochDone == tc.done {
					cancel()
				}
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Fit after cancel: error %v, want context.Canceled", err)
			}
			if got := n.train.epoch*7 + n.train.batch; got != tc.wantBatches {
				t.Fatalf("cancelled after %d minibatches (epoch %d, batch %d), want %d", got, n.train.epoch, n.train.batch, tc.wantBatches)
			}
			// One report per minibatch plus one per evaluated epoch.
			if want := tc.wantBatches + tc.wantBatches/7; reports != want {
				t.Errorf("progress called %d times before the cancel took effect, want %d", reports, want)
			}
			got, err := n.Fit(t.Context(), x, y, xv, yv, nil)
			if err != nil {
				t.Fatal(err)
			}
			if i, ok := equalBits(weightBits(full), weightBits(n)); !ok {
				t.Errorf("weights after cancel and continue differ from an uninterrupted run at parameter %d", i)
			}
			compareHistories(t, got, want)
		})
	}
}

// compareHistories fails t unless got and want agree in every field but
// Seconds.
func compareHistories(t *testing.T, got, want History) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("history has %d epochs, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		g.Seconds, w.Seconds = 0, 0
		if g != w && !(math.IsNaN(g.ValidAcc) && math.IsNaN(w.ValidAcc)) {
			t.Errorf("history[%d] = %+v, want %+v", i, g, w)
		}
	}
}

// TestProgress checks the callback's reports against the history.
func TestProgress(t *testing.T) {
	x, y := blobs(130, 5, 3, 9)
	n, err := New(5, 3, Config{Hidden: []int{4}, Epochs: 3, BatchSize: 30})
	if err != nil {
		t.Fatal(err)
	}
	var batches, epochs []Progress
	h, err := n.Fit(t.Context(), x, y, x, y, func(p Progress) {
		if p.EpochDone {
			epochs = append(epochs, p)
		} else {
			batches = append(batches, p)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(batches) != 3*4 || len(epochs) != 3 {
		t.Fatalf("%d batch and %d epoch reports, want 12 and 3", len(batches), len(epochs))
	}
	for i, p := range batches {
		if want := (Progress{Epoch: i/4 + 1, Epochs: 3, Batch: i%4 + 1, Batches: 4}); p != want {
			t.Errorf("batch report %d = %+v, want %+v", i, p, want)
		}
	}
	for i, p := range epochs {
		if p.Epoch != i+1 || p.Stats != h[i] {
			t.Errorf("epoch report %d = %+v, want epoch %d and stats %+v", i, p, i+1, h[i])
		}
	}
	if again, err := n.Fit(t.Context(), x, y, x, y, nil); err != nil || len(again) != 3 {
		t.Errorf("Fit on a trained network: %d epochs, error %v; want the 3 epochs again and no error", len(again), err)
	}
	if got, want := n.Epochs(), 3; got != want {
		t.Errorf("Epochs() = %d, want %d", got, want)
	}
}

// TestDivergence checks that a learning rate far too large stops training
// with ErrDiverged naming the epoch and minibatch and suggesting a smaller
// learning rate.
func TestDivergence(t *testing.T) {
	x, y := blobs(200, 10, 3, 1)
	for i := range x.Data {
		x.Data[i] *= 1e3
	}
	n, err := New(10, 3, Config{Hidden: []int{20}, Activation: linalg.ReLU, Output: SoftmaxOutput, Eta: 1e3, BatchSize: 20})
	if err != nil {
		t.Fatal(err)
	}
	_, err = n.Fit(t.Context(), x, y, linalg.Matrix{}, nil, nil)
	if !errors.Is(err, ErrDiverged) {
		t.Fatalf("Fit with eta 1e3: error %v, want ErrDiverged", err)
	}
	for _, want := range []string{"epoch 1, minibatch", "smaller learning rate"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

// TestFitRejects checks Fit's validation of its inputs.
func TestFitRejects(t *testing.T) {
	x, y := blobs(100, 4, 3, 1)
	nan := linalg.New(100, 4)
	nan.CopyFrom(x)
	nan.Set(17, 2, float32(math.NaN()))
	inf := linalg.New(10, 4)
	inf.Set(3, 1, float32(math.Inf(-1)))
	badLabels := append([]uint8(nil), y...)
	badLabels[5] = 3
	tests := []struct {
		name   string
		cfg    Config
		x      linalg.Matrix
		y      []uint8
		xv     linalg.Matrix
		yv     []uint8
		target error
		msg    string
	}{
		{"NaN input", Config{}, nan, y, linalg.Matrix{}, nil, ErrNonFinite, "row 17, column 2"},
		{"Inf in validation", Config{}, x, y, inf, make([]uint8, 10), ErrNonFinite, "validation data: input contains NaN or Inf: row 3, column 1"},
		{"label out of range", Config{}, x, badLabels, linalg.Matrix{}, nil, ErrData, "label 3 of row 5"},
		{"label count", Config{}, x, y[:99], linalg.Matrix{}, nil, ErrData, "99 labels for 100 rows"},
		{"columns", Config{}, x.View(0, 0, 100, 3), y, linalg.Matrix{}, nil, ErrData, "3 columns"},
		{"fewer rows than a batch", Config{BatchSize: 101}, x, y, linalg.Matrix{}, nil, ErrData, "fewer than one minibatch"},
		{"patience without validation", Config{Patience: 3}, x, y, linalg.Matrix{}, nil, ErrConfig, "needs a validation set"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := New(4, 3, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			before := weightBits(n)
			_, err = n.Fit(t.Context(), tc.x, tc.y, tc.xv, tc.yv, nil)
			if !errors.Is(err, tc.target) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Fit: error %v, want %v containing %q", err, tc.target, tc.msg)
			}
			if _, ok := equalBits(before, weightBits(n)); !ok {
				t.Error("a rejected Fit changed the weights")
			}
		})
	}
}

// TestEarlyStopping trains against a validation set the network cannot
// learn (random labels), so its accuracy soon stops improving: training
// must stop Patience epochs after the best one and keep that epoch's
// weights.
func TestEarlyStopping(t *testing.T) {
	x, y := blobs(400, 6, 3, 2)
	xv, _ := blobs(200, 6, 3, 3)
	_, yv := blobs(200, 6, 3, 4)
	const patience = 3
	n, err := New(6, 3, Config{Hidden: []int{8}, Optimizer: Adam, Eta: 0.01, Epochs: 100, BatchSize: 20, Patience: patience})
	if err != nil {
		t.Fatal(err)
	}
	snapshots := map[int][]uint32{}
	h, err := n.Fit(t.Context(), x, y, xv, yv, func(p Progress) {
		if p.EpochDone {
			snapshots[p.Epoch] = weightBits(n)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	best := 0
	for i, e := range h {
		if e.ValidAcc > h[best].ValidAcc {
			best = i
		}
	}
	if len(h) == 100 || len(h) != best+1+patience {
		t.Fatalf("trained %d epochs with the best validation accuracy in epoch %d, want to stop %d epochs after it",
			len(h), best+1, patience)
	}
	if i, ok := equalBits(weightBits(n), snapshots[best+1]); !ok {
		t.Errorf("final weights differ from those of the best epoch %d at parameter %d", best+1, i)
	}
	if n.Epochs() != best+1 {
		t.Errorf("Epochs() = %d, want the best epoch %d", n.Epochs(), best+1)
	}
}

// TestTrainBatch checks that TrainBatch over the minibatches of an epoch in
// order gives Fit's weights bit for bit, and that it allocates nothing once
// its workspace exists.
func TestTrainBatch(t *testing.T) {
	x, y := blobs(250, 7, 3, 12)
	for _, opt := range []Optimizer{SGD, Adam} {
		t.Run(opt.String(), func(t *testing.T) {
			cfg := Config{Hidden: []int{5, 4}, Optimizer: opt, Epochs: 2, BatchSize: 50, NoShuffle: true}
			fit, _ := New(7, 3, cfg)
			if _, err := fit.Fit(t.Context(), x, y, linalg.Matrix{}, nil, nil); err != nil {
				t.Fatal(err)
			}
			n, _ := New(7, 3, cfg)
			for range 2 {
				for s := 0; s < 250; s += 50 {
					if err := n.TrainBatch(x.RowSlice(s, s+50), y[s:s+50]); err != nil {
						t.Fatal(err)
					}
				}
			}
			if i, ok := equalBits(weightBits(fit), weightBits(n)); !ok {
				t.Errorf("TrainBatch weights differ from Fit's at parameter %d", i)
			}
			if n.Epochs() != 0 || len(n.History()) != 0 {
				t.Errorf("TrainBatch counted %d epochs, %d history rows; want 0", n.Epochs(), len(n.History()))
			}
			small := x.RowSlice(0, 17)
			if allocs := testing.AllocsPerRun(20, func() { n.TrainBatch(small, y[:17]) }); allocs != 0 && !raceEnabled {
				t.Errorf("TrainBatch of 17 rows: %g allocations, want 0", allocs)
			}
			if err := n.TrainBatch(x.RowSlice(0, 120), y[:120]); err != nil {
				t.Errorf("TrainBatch of 120 rows: %v", err)
			}
			if err := n.TrainBatch(x.RowSlice(0, 3), y[:4]); !errors.Is(err, ErrData) {
				t.Errorf("TrainBatch with 4 labels for 3 rows: error %v, want ErrData", err)
			}
		})
	}
}
