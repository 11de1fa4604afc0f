package mlp

import (
	"math"
	"testing"

	"github.com/mlpgo/mlpgo/linalg"
)

// TestOptimizers checks three consecutive updates of Momentum, Nesterov and
// Adam against the textbook formulas evaluated in float64 on the step's own
// gradients.
func TestOptimizers(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"momentum", Config{Optimizer: Momentum, Eta: 0.01, Momentum: 0.8}},
		{"nesterov", Config{Optimizer: Nesterov, Eta: 0.01}},
		{"adam", Config{Optimizer: Adam, Eta: 0.01, Beta1: 0.8, Beta2: 0.99, Epsilon: 1e-6}},
		{"adam no L2", Config{Optimizer: Adam, Eta: 0.003, NoL2: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Hidden, cfg.BatchSize, cfg.L2 = []int{5}, 8, 0
			if !cfg.NoL2 {
				cfg.L2 = 0.1
			}
			n, err := New(4, 3, cfg)
			if err != nil {
				t.Fatal(err)
			}
			c := n.Config()
			x, y := blobs(8, 4, 3, 5)
			rows := []uint32{0, 1, 2, 3, 4, 5, 6, 7}
			tr := newTrainer(n, n.cfg.BatchSize, true)
			params := n.params()
			ref := make([][]float64, len(params))
			m1 := make([][]float64, len(params))
			m2 := make([][]float64, len(params))
			for p, v := range params {
				ref[p] = make([]float64, len(v))
				for i, w := range v {
					ref[p][i] = float64(w)
				}
				m1[p], m2[p] = make([]float64, len(v)), make([]float64, len(v))
			}
			for step := 1; step <= 3; step++ {
				tr.grads = true
				tr.step(x, y, rows, nil)
				for p := range params {
					l := p / 2
					g := tr.gb[l]
					l2 := 0.0
					if p%2 == 0 {
						g, l2 = tr.gw[l].Data, c.L2
					}
					for i := range ref[p] {
						gi := float64(g[i]) + l2*ref[p][i]
						switch c.Optimizer {
						case Momentum:
							m1[p][i] = c.Momentum*m1[p][i] - c.Eta*gi
							ref[p][i] += m1[p][i]
						case Nesterov:
							m1[p][i] = c.Momentum*m1[p][i] - c.Eta*gi
							ref[p][i] += c.Momentum*m1[p][i] - c.Eta*gi
						case Adam:
							m1[p][i] = c.Beta1*m1[p][i] + (1-c.Beta1)*gi
							m2[p][i] = c.Beta2*m2[p][i] + (1-c.Beta2)*gi*gi
							mh := m1[p][i] / (1 - math.Pow(c.Beta1, float64(step)))
							vh := m2[p][i] / (1 - math.Pow(c.Beta2, float64(step)))
							ref[p][i] -= c.Eta * mh / (math.Sqrt(vh) + c.Epsilon)
						}
					}
				}
				tr.grads = false
				tr.step(x, y, rows, nil)
				for p, v := range params {
					for i, w := range v {
						if !closeTo(float64(w), ref[p][i], 1e-5) {
							t.Fatalf("step %d: %s[%d] = %.9g, want %.9g", step, paramName(p), i, w, ref[p][i])
						}
					}
				}
			}
		})
	}
}

// TestOptimizersLearn trains every optimizer, activation and output on a
// small problem and checks that each reaches a high accuracy and lowers
// the cost.
func TestOptimizersLearn(t *testing.T) {
	x, y := blobs(600, 10, 4, 8)
	xt, yt, xv, yv := x.RowSlice(0, 500), y[:500], x.RowSlice(500, 600), y[500:]
	for _, opt := range []Optimizer{SGD, Momentum, Nesterov, Adam} {
		for _, act := range []linalg.Activation{linalg.Sigmoid, linalg.Tanh, linalg.ReLU, linalg.LeakyReLU} {
			for _, out := range []Output{SigmoidOutput, SoftmaxOutput} {
				name := opt.String() + "/" + act.String() + "/" + out.String()
				t.Run(name, func(t *testing.T) {
					eta := 0.005
					if opt == Momentum || opt == Nesterov {
						eta = 0.001
					}
					n, err := New(10, 4, Config{Optimizer: opt, Activation: act, Output: out, Init: InitHe,
						Hidden: []int{16, 8}, Eta: eta, Epochs: 15, BatchSize: 25})
					if err != nil {
						t.Fatal(err)
					}
					h, err := n.Fit(t.Context(), xt, yt, xv, yv, nil)
					if err != nil {
						t.Fatal(err)
					}
					first, last := h[0], h[len(h)-1]
					if !(last.Cost < first.Cost) || last.ValidAcc < 0.9 {
						t.Errorf("cost %g -> %g, valid accuracy %g; want a falling cost and >= 0.9", first.Cost, last.Cost, last.ValidAcc)
					}
				})
			}
		}
	}
}
