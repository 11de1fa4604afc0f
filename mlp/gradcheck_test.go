package mlp

import (
	"fmt"
	"math"
	"testing"

	"github.com/mlpgo/mlpgo/linalg"
)

// TestGradientCheck compares the gradients of a training step (float32, on
// linalg) with central finite differences of the float64 cost, on tiny
// networks of every depth, hidden activation and output, with dense rows
// and with rows that take the sparse path.
func TestGradientCheck(t *testing.T) {
	acts := []linalg.Activation{linalg.Sigmoid, linalg.Tanh, linalg.ReLU, linalg.LeakyReLU}
	for _, out := range []Output{SigmoidOutput, SoftmaxOutput} {
		for _, act := range acts {
			for _, hidden := range [][]int{{5}, {6, 4}, {4, 5, 3}} {
				for _, sparse := range []bool{false, true} {
					name := fmt.Sprintf("%s/%s/%v/sparse=%t", out, act, hidden, sparse)
					t.Run(name, func(t *testing.T) {
						gradCheck(t, Config{Hidden: hidden, Activation: act, Output: out, Init: InitGlorot, BatchSize: 6}, sparse)
					})
				}
			}
		}
	}
}

func gradCheck(t *testing.T, cfg Config, sparse bool) {
	const inputs, classes, rows = 4, 3, 6
	n, err := New(inputs, classes, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Random biases too, so that every unit sits away from ReLU's kink in
	// a different place.
	for l, ly := range n.layers {
		for o := range ly.b {
			ly.b[o] = float32(0.1 * math.Sin(float64(7*l+o+1)))
		}
	}
	x, y := blobs(rows, inputs, classes, 3)
	tr := newTrainer(n, n.cfg.BatchSize, true)
	if sparse {
		if tr.xs = sparseRows(sparsify(x, 3)); tr.xs == nil {
			t.Fatal("the sparsified rows do not take the sparse path")
		}
	}
	tr.keepGrads()
	if !tr.step(x, y, []uint32{0, 1, 2, 3, 4, 5}, nil) {
		t.Fatal("step: outputs not finite")
	}

	ref := newRef(n)
	x64 := rows64(x)
	gw, gb := ref.grads(x64, y)
	const h = 1e-6
	fd := func(p *float64) float64 {
		old := *p
		*p = old + h
		up := ref.dataCost(x64, y)
		*p = old - h
		down := ref.dataCost(x64, y)
		*p = old
		return (up - down) / (2 * h)
	}
	check := func(what string, got32 float32, ana, num float64) {
		t.Helper()
		if !closeTo(ana, num, 1e-5) {
			t.Errorf("%s: float64 backprop %.9g, finite difference %.9g", what, ana, num)
		}
		if got := float64(got32); !closeTo(got, num, 1e-4) {
			t.Errorf("%s: gradient %.9g, finite difference %.9g", what, got, num)
		}
	}
	for l, ly := range n.layers {
		for i := range ly.w.Rows {
			for o := range ly.w.Cols {
				check(fmt.Sprintf("layer %d dW[%d,%d]", l, i, o), tr.gw[l].At(i, o), gw[l][i][o], fd(&ref.w[l][i][o]))
			}
		}
		for o := range ly.b {
			check(fmt.Sprintf("layer %d db[%d]", l, o), tr.gb[l][o], gb[l][o], fd(&ref.b[l][o]))
		}
	}
}
