package mlp

import (
	"context"
	"math"
	"testing"

	"github.com/mlpgo/mlpgo/linalg"
)

// TestSeedSemantics trains the float32 network and the float64 reference
// of the seed's loop from the same initial weights, without shuffling, on
// a row count that leaves an incomplete last minibatch, and compares the
// weights and the history.
func TestSeedSemantics(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"seed", Config{}},
		{"no L2", Config{NoL2: true}},
		{"two hidden tanh", Config{Hidden: []int{9, 7}, Activation: linalg.Tanh, Eta: 0.002}},
		{"relu softmax", Config{Hidden: []int{12}, Activation: linalg.ReLU, Output: SoftmaxOutput, Eta: 0.001}},
		{"eta decay", Config{Eta: 0.002, EtaDecay: 0.5}},
	}
	// 230 rows, batch 20: the last 10 rows are dropped.
	dense, y := blobs(230, 13, 5, 1)
	sparse, _ := blobs(230, 13, 5, 1)
	if !isSparse(sparsify(sparse, 1)) || isSparse(dense) {
		t.Fatal("the sparse data set does not take the sparse path, or the dense one does")
	}
	for _, data := range []struct {
		name string
		x    linalg.Matrix
	}{{"dense", dense}, {"sparse", sparse}} {
		for _, tc := range tests {
			t.Run(data.name+"/"+tc.name, func(t *testing.T) { seedSemantics(t, tc.cfg, data.x, y) })
		}
	}
}

// seedSemantics is one case of TestSeedSemantics.
func seedSemantics(t *testing.T, cfg Config, x linalg.Matrix, y []uint8) {
	cfg.Epochs, cfg.BatchSize, cfg.NoShuffle = 4, 20, true
	n, err := New(13, 5, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ref := newRef(n)
	h, err := n.Fit(context.Background(), x, y, linalg.Matrix{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := n.Config()
	l2 := c.L2
	ref.fitSeed(rows64(x), y, c.Epochs, c.BatchSize, c.Eta, c.EtaDecay, l2)
	compareWeights(t, n, ref, 2e-5)

	if len(h) != c.Epochs {
		t.Fatalf("history has %d rows, want %d", len(h), c.Epochs)
	}
	last := h[len(h)-1]
	wantCost := ref.dataCost(rows64(x), y) + l2*ref.sumSquares()
	if !closeTo(last.Cost, wantCost, 1e-5) {
		t.Errorf("final cost = %.9g, want %.9g", last.Cost, wantCost)
	}
	correct := 0
	for i, row := range rows64(x) {
		_, z := ref.forward(row)
		best := 0
		for o, v := range z {
			if v > z[best] {
				best = o
			}
		}
		if best == int(y[i]) {
			correct++
		}
	}
	if want := float64(correct) / float64(len(y)); math.Abs(last.TrainAcc-want) > 1.5/float64(len(y)) {
		t.Errorf("final train accuracy = %g, want %g", last.TrainAcc, want)
	}
	if !math.IsNaN(last.ValidAcc) {
		t.Errorf("valid accuracy without a validation set = %g, want NaN", last.ValidAcc)
	}
}

// TestSeedInit checks the seed's initialization: Normal(0, 0.1) weights in
// the seed's order and zero biases, and that the other inits have the
// documented spread.
func TestSeedInit(t *testing.T) {
	tests := []struct {
		init Init
		std  func(in, out int) float64
	}{
		{InitNormal, func(in, out int) float64 { return 0.1 }},
		{InitGlorot, func(in, out int) float64 { return math.Sqrt(6.0/float64(in+out)) / math.Sqrt(3) }},
		{InitHe, func(in, out int) float64 { return math.Sqrt(2 / float64(in)) }},
	}
	for _, tc := range tests {
		t.Run(tc.init.String(), func(t *testing.T) {
			n, err := New(300, 10, Config{Init: tc.init, Hidden: []int{200}})
			if err != nil {
				t.Fatal(err)
			}
			for l, ly := range n.layers {
				var s, s2 float64
				for _, v := range ly.w.Data {
					s += float64(v)
					s2 += float64(v) * float64(v)
				}
				k := float64(len(ly.w.Data))
				mean, std := s/k, math.Sqrt(s2/k-(s/k)*(s/k))
				want := tc.std(ly.w.Rows, ly.w.Cols)
				if math.Abs(mean) > 4*want/math.Sqrt(k) || math.Abs(std-want) > 0.05*want {
					t.Errorf("layer %d: mean %g, std %g; want mean 0, std %g", l, mean, std, want)
				}
				for o, v := range ly.b {
					if v != 0 {
						t.Fatalf("layer %d bias[%d] = %g, want 0", l, o, v)
					}
				}
			}
		})
	}
}

// TestShuffleDeterministic checks that seeds 0 and 1 are the same run, that
// another seed differs, and that shuffling changes the result.
func TestShuffleDeterministic(t *testing.T) {
	x, y := blobs(200, 6, 3, 2)
	train := func(cfg Config) []float32 {
		cfg.Hidden, cfg.Epochs, cfg.BatchSize = []int{5}, 3, 10
		n, err := New(6, 3, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.Fit(context.Background(), x, y, linalg.Matrix{}, nil, nil); err != nil {
			t.Fatal(err)
		}
		return n.layers[0].w.Data
	}
	same := func(a, b []float32) bool {
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				return false
			}
		}
		return true
	}
	base := train(Config{})
	if !same(base, train(Config{Seed: 1})) {
		t.Error("Seed 0 and Seed 1 differ, want the same run")
	}
	if same(base, train(Config{Seed: 2})) {
		t.Error("Seed 2 gives the weights of Seed 1")
	}
	if same(base, train(Config{NoShuffle: true})) {
		t.Error("NoShuffle gives the weights of a shuffled run")
	}
}
