package mlp

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/mlpgo/mlpgo/linalg"
)

// trained returns a small network trained for a few epochs on blobs, and
// held-out data.
func trained(t testing.TB, cfg Config) (*Network, linalg.Matrix, []uint8) {
	t.Helper()
	x, y := blobs(1100, 12, 5, 11)
	if cfg.Epochs == 0 {
		cfg.Epochs = 3
	}
	n, err := New(12, 5, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Fit(t.Context(), x.RowSlice(0, 600), y[:600], linalg.Matrix{}, nil, nil); err != nil {
		t.Fatal(err)
	}
	return n, x.RowSlice(600, 1100), y[600:]
}

// TestPredictMatchesReference checks Predict, PredictProba and Evaluate
// against the float64 reference network.
func TestPredictMatchesReference(t *testing.T) {
	for _, out := range []Output{SigmoidOutput, SoftmaxOutput} {
		t.Run(out.String(), func(t *testing.T) {
			n, x, y := trained(t, Config{Output: out, Hidden: []int{9, 7}, Activation: linalg.Tanh, Eta: 0.002})
			ref := newRef(n)
			pred := make([]int, x.Rows)
			if err := n.Predict(pred, x); err != nil {
				t.Fatal(err)
			}
			proba := linalg.New(x.Rows, 5)
			if err := n.PredictProba(proba, x); err != nil {
				t.Fatal(err)
			}
			correct := 0
			for i, row := range rows64(x) {
				acts, z := ref.forward(row)
				a := acts[len(acts)-1]
				sum := 0.0
				for o := range a {
					if got := float64(proba.At(i, o)); !closeTo(got, a[o], 1e-5) {
						t.Fatalf("PredictProba[%d,%d] = %g, want %g", i, o, got, a[o])
					}
					sum += float64(proba.At(i, o))
				}
				if out == SoftmaxOutput && math.Abs(sum-1) > 1e-5 {
					t.Errorf("PredictProba row %d sums to %g, want 1", i, sum)
				}
				if z[pred[i]] < slicesMax(z)-1e-5 {
					t.Errorf("Predict[%d] = %d with z %v, want its argmax", i, pred[i], z)
				}
				if pred[i] == int(y[i]) {
					correct++
				}
			}
			cost, acc, err := n.Evaluate(x, y)
			if err != nil {
				t.Fatal(err)
			}
			wantCost := ref.dataCost(rows64(x), y) + n.cfg.L2*ref.sumSquares()
			if !closeTo(cost, wantCost, 1e-5) {
				t.Errorf("Evaluate cost = %.9g, want %.9g", cost, wantCost)
			}
			if want := float64(correct) / float64(x.Rows); acc != want {
				t.Errorf("Evaluate accuracy = %g, want %g", acc, want)
			}
			if a, err := n.Accuracy(x, y); err != nil || a != acc {
				t.Errorf("Accuracy = %g, %v; want %g, nil", a, err, acc)
			}
		})
	}
}

// TestPredictOneRow checks PredictProba and Predict of one row at a time,
// which take their own path (a single row is compressed before the choice
// of path), against the float64 reference network, on dense rows and on
// rows that take the sparse path.
func TestPredictOneRow(t *testing.T) {
	n, x, _ := trained(t, Config{Hidden: []int{9}})
	ref := newRef(n)
	sparse := linalg.New(40, x.Cols) // -1 but for two entries: sparse
	sparse.Fill(-1)
	for i := range sparse.Rows {
		sparse.Set(i, i%x.Cols, x.At(i, i%x.Cols))
		sparse.Set(i, (5*i+3)%x.Cols, x.At(i, 0))
	}
	for _, rows := range []linalg.Matrix{x.RowSlice(0, 40), sparse} {
		for i, row := range rows64(rows) {
			one := rows.RowSlice(i, i+1)
			proba := linalg.New(1, 5)
			pred := make([]int, 1)
			if err := n.PredictProba(proba, one); err != nil {
				t.Fatal(err)
			}
			if err := n.Predict(pred, one); err != nil {
				t.Fatal(err)
			}
			acts, z := ref.forward(row)
			for o, want := range acts[len(acts)-1] {
				if got := float64(proba.At(0, o)); !closeTo(got, want, 1e-5) {
					t.Fatalf("row %v: PredictProba[%d] = %g, want %g", row, o, got, want)
				}
			}
			if z[pred[0]] < slicesMax(z)-1e-5 {
				t.Errorf("row %v: Predict = %d with z %v, want its argmax", row, pred[0], z)
			}
		}
	}
}

// TestForwardRowMatchesPass checks that forwardRow, Predict's and
// PredictProba's path for a single row, computes the bits that a pass
// computes for a chunk of that one row (the last chunk of chunkRows+1
// rows), for both outputs, on dense rows and on rows that take the sparse
// path. It compares the output layer's net input as well as the outputs,
// whose activations could round a difference away.
func TestForwardRowMatchesPass(t *testing.T) {
	const inputs = 100
	dense, _ := blobs(chunkRows+1, inputs, 5, 15)
	sparse := linalg.New(dense.Rows, inputs) // -1 but for 10 entries: sparse
	sparse.Fill(-1)
	for i := range sparse.Rows {
		for e := range 10 {
			sparse.Set(i, (i+9*e)%inputs, dense.At(i, e))
		}
	}
	for _, output := range []Output{SigmoidOutput, SoftmaxOutput} {
		n, err := New(inputs, 5, Config{Output: output, Hidden: []int{30}})
		if err != nil {
			t.Fatal(err)
		}
		f, softmax := n.outputActivation()
		for _, out := range []struct {
			name    string
			f       linalg.Activation
			softmax bool
		}{{"net input", linalg.Identity, false}, {"outputs", f, softmax}} {
			for _, tc := range []struct {
				name string
				x    linalg.Matrix
			}{{"dense", dense}, {"sparse", sparse}} {
				t.Run(output.String()+"/"+out.name+"/"+tc.name, func(t *testing.T) {
					p := n.getPass(out.f, out.softmax)
					defer n.putPass(p)
					all := linalg.New(tc.x.Rows, 5)
					s := p.set(0, tc.x)
					s.proba = all
					p.run()
					var one []float32
					if !n.forwardRow(tc.x.RowSlice(chunkRows, chunkRows+1), out.f, out.softmax, func(z linalg.Matrix) {
						one = append(one, z.Row(0)...)
					}) {
						t.Fatal("forwardRow found a NaN or Inf")
					}
					for o, got := range one {
						if want := all.At(chunkRows, o); math.Float32bits(got) != math.Float32bits(want) {
							t.Errorf("forwardRow [%d] = %g, a pass's chunk of one row %g", o, got, want)
						}
					}
				})
			}
		}
	}
}

func slicesMax(z []float64) float64 {
	m := math.Inf(-1)
	for _, v := range z {
		m = max(m, v)
	}
	return m
}

// TestPredictAllocs checks that Predict and PredictProba into caller
// buffers allocate nothing once warm, for one row and for many.
func TestPredictAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race (sync.Pool drops objects)")
	}
	n, x, _ := trained(t, Config{})
	sparse := sparsify(linalg.New(500, x.Cols), 1)
	for _, rows := range []int{1, 100, 500} {
		for _, x := range []linalg.Matrix{x, sparse} {
			xs := x.RowSlice(0, rows)
			pred := make([]int, rows)
			proba := linalg.New(rows, 5)
			if allocs := testing.AllocsPerRun(100, func() { n.Predict(pred, xs) }); allocs != 0 {
				t.Errorf("Predict of %d rows: %g allocations, want 0", rows, allocs)
			}
			if allocs := testing.AllocsPerRun(100, func() { n.PredictProba(proba, xs) }); allocs != 0 {
				t.Errorf("PredictProba of %d rows: %g allocations, want 0", rows, allocs)
			}
		}
	}
}

// TestInferenceThreads checks that Predict, PredictProba and Evaluate over
// several chunks, spread over threads, give the same bits for any thread
// count, on dense rows and on rows that take the sparse path.
func TestInferenceThreads(t *testing.T) {
	n, _, _ := trained(t, Config{})
	x, y := blobs(3*chunkRows+17, 12, 5, 12)
	sparse, _ := blobs(3*chunkRows+17, 12, 5, 12)
	sparsify(sparse, 12)
	for _, x := range []linalg.Matrix{x, sparse} {
		inferenceThreads(t, n, x, y)
	}
}

// inferenceThreads is TestInferenceThreads on the rows of x.
func inferenceThreads(t *testing.T, n *Network, x linalg.Matrix, y []uint8) {
	type result struct {
		pred  []int
		proba linalg.Matrix
		cost  float64
		acc   float64
	}
	infer := func(threads int) result {
		defer linalg.SetThreads(linalg.SetThreads(threads))
		r := result{pred: make([]int, x.Rows), proba: linalg.New(x.Rows, 5)}
		if err := n.Predict(r.pred, x); err != nil {
			t.Fatal(err)
		}
		if err := n.PredictProba(r.proba, x); err != nil {
			t.Fatal(err)
		}
		var err error
		if r.cost, r.acc, err = n.Evaluate(x, y); err != nil {
			t.Fatal(err)
		}
		return r
	}
	want := infer(1)
	for _, threads := range []int{2, 3} {
		got := infer(threads)
		for i := range want.pred {
			if got.pred[i] != want.pred[i] {
				t.Fatalf("%d threads: Predict row %d = %d, with 1 thread %d", threads, i, got.pred[i], want.pred[i])
			}
		}
		for i, v := range want.proba.Data {
			if math.Float32bits(got.proba.Data[i]) != math.Float32bits(v) {
				t.Fatalf("%d threads: PredictProba element %d = %g, with 1 thread %g", threads, i, got.proba.Data[i], v)
			}
		}
		if got.cost != want.cost || got.acc != want.acc {
			t.Errorf("%d threads: Evaluate = %v, %v, with 1 thread %v, %v", threads, got.cost, got.acc, want.cost, want.acc)
		}
	}
}

// TestPredictConcurrent calls Predict from many goroutines at once on one
// network (run with -race) and checks every result against a sequential
// call.
func TestPredictConcurrent(t *testing.T) {
	n, x, _ := trained(t, Config{Hidden: []int{16, 8}})
	want := make([]int, x.Rows)
	if err := n.Predict(want, x); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Go(func() {
			got := make([]int, x.Rows)
			for rep := range 20 {
				lo := (g*37 + rep*11) % x.Rows
				hi := min(x.Rows, lo+1+(g*rep)%300)
				if err := n.Predict(got[lo:hi], x.RowSlice(lo, hi)); err != nil {
					errs <- err
					return
				}
				for i := lo; i < hi; i++ {
					if got[i] != want[i] {
						errs <- errors.New("concurrent Predict differs from a sequential one")
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestPredictRejects checks the errors of the inference methods.
func TestPredictRejects(t *testing.T) {
	n, x, y := trained(t, Config{})
	nan := linalg.New(3, 12)
	nan.Set(2, 5, float32(math.NaN()))
	// Inf in the third chunk of a pass, which checks chunk by chunk.
	inf, _ := blobs(3*chunkRows+5, 12, 5, 13)
	inf.Set(2*chunkRows+7, 3, float32(math.Inf(-1)))
	infAt := fmt.Sprintf("row %d, column 3", 2*chunkRows+7)
	infLabels := make([]uint8, inf.Rows)
	// Single rows that take the sparse path: an Inf among the entries,
	// and Inf as the base that most elements equal.
	infEntry, infBase := linalg.New(1, 12), linalg.New(1, 12)
	infEntry.Fill(-1)
	infEntry.Set(0, 3, float32(math.Inf(1)))
	infBase.Fill(float32(math.Inf(1)))
	infBase.Set(0, 0, 0.5)
	tests := []struct {
		name   string
		call   func() error
		target error
		msg    string
	}{
		{"Predict dst length", func() error { return n.Predict(make([]int, 4), x.RowSlice(0, 5)) }, ErrData, "dst has 4 elements for 5 rows"},
		{"Predict columns", func() error { return n.Predict(make([]int, 5), x.View(0, 0, 5, 11)) }, ErrData, "11 columns"},
		{"Predict NaN", func() error { return n.Predict(make([]int, 3), nan) }, ErrNonFinite, "row 2, column 5"},
		{"Predict NaN in one row", func() error { return n.Predict(make([]int, 1), nan.RowSlice(2, 3)) }, ErrNonFinite, "row 0, column 5"},
		{"PredictProba NaN in one row", func() error { return n.PredictProba(linalg.New(1, 5), nan.RowSlice(2, 3)) }, ErrNonFinite, "row 0, column 5"},
		{"Predict Inf among one row's entries", func() error { return n.Predict(make([]int, 1), infEntry) }, ErrNonFinite, "row 0, column 3"},
		{"PredictProba Inf as one row's base", func() error { return n.PredictProba(linalg.New(1, 5), infBase) }, ErrNonFinite, "row 0, column 1"},
		{"PredictProba shape", func() error { return n.PredictProba(linalg.New(5, 4), x.RowSlice(0, 5)) }, ErrData, "dst is 5x4, want 5x5"},
		{"Evaluate labels", func() error { _, _, err := n.Evaluate(x, y[:3]); return err }, ErrData, "3 labels"},
		{"Predict Inf in a later chunk", func() error { return n.Predict(make([]int, inf.Rows), inf) }, ErrNonFinite, infAt},
		{"PredictProba Inf in a later chunk", func() error { return n.PredictProba(linalg.New(inf.Rows, 5), inf) }, ErrNonFinite, infAt},
		{"Evaluate Inf in a later chunk", func() error { _, _, err := n.Evaluate(inf, infLabels); return err }, ErrNonFinite, infAt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, tc.target) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %v, want %v containing %q", err, tc.target, tc.msg)
			}
		})
	}
}

// TestFitEvaluationMatchesEvaluate checks that the history Fit reports
// after an epoch is what Evaluate and Accuracy compute from the weights,
// on dense rows and on rows that take the sparse path (which Fit
// compresses once and Evaluate chunk by chunk).
func TestFitEvaluationMatchesEvaluate(t *testing.T) {
	for _, sparse := range []bool{false, true} {
		t.Run(fmt.Sprintf("sparse=%t", sparse), func(t *testing.T) {
			x, y := blobs(2*chunkRows+300, 40, 4, 14)
			if sparse {
				sparsify(x, 14)
			}
			if isSparse(x) != sparse {
				t.Fatalf("isSparse = %t, want %t", !sparse, sparse)
			}
			xt, yt, xv, yv := x.RowSlice(0, 2*chunkRows+100), y[:2*chunkRows+100], x.RowSlice(2*chunkRows+100, x.Rows), y[2*chunkRows+100:]
			n, err := New(40, 4, Config{Epochs: 2, Hidden: []int{16}})
			if err != nil {
				t.Fatal(err)
			}
			h, err := n.Fit(t.Context(), xt, yt, xv, yv, nil)
			if err != nil {
				t.Fatal(err)
			}
			last := h[len(h)-1]
			cost, acc, err := n.Evaluate(xt, yt)
			if err != nil {
				t.Fatal(err)
			}
			validAcc, err := n.Accuracy(xv, yv)
			if err != nil {
				t.Fatal(err)
			}
			if cost != last.Cost || acc != last.TrainAcc || validAcc != last.ValidAcc {
				t.Errorf("Fit reported cost %v, train %v, valid %v; Evaluate and Accuracy give %v, %v, %v",
					last.Cost, last.TrainAcc, last.ValidAcc, cost, acc, validAcc)
			}
		})
	}
}
