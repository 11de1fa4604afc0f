package mlp

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mlpgo/mlpgo/linalg"
)

// blobs returns n rows of d features drawn around k random centres, with
// their centre as the label: a small problem every network can learn.
func blobs(n, d, k int, seed uint64) (linalg.Matrix, []uint8) {
	r := rand.New(rand.NewPCG(seed, 7))
	centres := make([]float64, k*d)
	for i := range centres {
		centres[i] = r.NormFloat64()
	}
	x := linalg.New(n, d)
	y := make([]uint8, n)
	for i := range n {
		c := r.IntN(k)
		y[i] = uint8(c)
		for j := range d {
			x.Set(i, j, float32(centres[c*d+j]+0.8*r.NormFloat64()))
		}
	}
	return x, y
}

// sparsify sets every row's first element and about 85% of the others
// of x to -1, as the seed's scaling leaves MNIST's background,
// so that x takes the sparse path (sparse.go). It returns x.
func sparsify(x linalg.Matrix, seed uint64) linalg.Matrix {
	r := rand.New(rand.NewPCG(seed, 9))
	for i := range x.Rows {
		row := x.Row(i)
		for j := range row {
			if j == 0 || r.Float64() < 0.85 {
				row[j] = -1
			}
		}
	}
	return x
}

// refNet is an independent float64 implementation of the network's
// forward pass, cost and the seed's training loop, written from the
// seed's NumPy code with plain loops. Tests compare the float32 network
// built on linalg against it.
type refNet struct {
	w   [][][]float64 // w[l][i][o], the seed's [in, out] layout
	b   [][]float64
	act linalg.Activation
	out Output
}

func newRef(n *Network) *refNet {
	r := &refNet{act: n.cfg.Activation, out: n.cfg.Output}
	for _, ly := range n.layers {
		w := make([][]float64, ly.w.Rows)
		for i := range w {
			w[i] = make([]float64, ly.w.Cols)
			for o := range w[i] {
				w[i][o] = float64(ly.w.At(i, o))
			}
		}
		b := make([]float64, len(ly.b))
		for o := range b {
			b[o] = float64(ly.b[o])
		}
		r.w, r.b = append(r.w, w), append(r.b, b)
	}
	return r
}

func refAct(f linalg.Activation, z float64) float64 {
	switch f {
	case linalg.Sigmoid:
		return 1 / (1 + math.Exp(-z))
	case linalg.Tanh:
		return math.Tanh(z)
	case linalg.ReLU:
		return max(z, 0)
	case linalg.LeakyReLU:
		if z < 0 {
			return linalg.LeakySlope * z
		}
		return z
	}
	return z
}

// refActGrad is f'(z) written through a = f(z), as the seed does.
func refActGrad(f linalg.Activation, a float64) float64 {
	switch f {
	case linalg.Sigmoid:
		return a * (1 - a)
	case linalg.Tanh:
		return 1 - a*a
	case linalg.ReLU:
		if a > 0 {
			return 1
		}
		return 0
	case linalg.LeakyReLU:
		if a > 0 {
			return 1
		}
		return linalg.LeakySlope
	}
	return 1
}

// forward returns every layer's activations for one row (acts[0] is the
// row) and the output layer's net input z.
func (r *refNet) forward(x []float64) (acts [][]float64, z []float64) {
	acts = [][]float64{x}
	in := x
	for l := range r.w {
		zl := append([]float64(nil), r.b[l]...)
		for i, v := range in {
			for o := range zl {
				zl[o] += v * r.w[l][i][o]
			}
		}
		if l == len(r.w)-1 {
			z = zl
			a := make([]float64, len(zl))
			if r.out == SoftmaxOutput {
				mx := math.Inf(-1)
				for _, v := range zl {
					mx = max(mx, v)
				}
				s := 0.0
				for o, v := range zl {
					a[o] = math.Exp(v - mx)
					s += a[o]
				}
				for o := range a {
					a[o] /= s
				}
			} else {
				for o, v := range zl {
					a[o] = refAct(linalg.Sigmoid, v)
				}
			}
			acts = append(acts, a)
			break
		}
		a := make([]float64, len(zl))
		for o, v := range zl {
			a[o] = refAct(r.act, v)
		}
		acts = append(acts, a)
		in = a
	}
	return acts, z
}

// dataCost is the output cost summed over the rows, written as the seed
// writes it (from the activations), without the L2 term.
func (r *refNet) dataCost(x [][]float64, y []uint8) float64 {
	var c float64
	for i, row := range x {
		acts, _ := r.forward(row)
		a := acts[len(acts)-1]
		for o, v := range a {
			t := 0.0
			if o == int(y[i]) {
				t = 1
			}
			if r.out == SoftmaxOutput {
				c -= t * math.Log(v)
			} else {
				c += -t*math.Log(v) - (1-t)*math.Log(1-v)
			}
		}
	}
	return c
}

func (r *refNet) sumSquares() float64 {
	var s float64
	for _, w := range r.w {
		for _, row := range w {
			for _, v := range row {
				s += v * v
			}
		}
	}
	return s
}

// grads returns the gradients of dataCost over the rows: gw[l][i][o] and
// gb[l][o], by backpropagation as in the seed.
func (r *refNet) grads(x [][]float64, y []uint8) (gw [][][]float64, gb [][]float64) {
	for l := range r.w {
		g := make([][]float64, len(r.w[l]))
		for i := range g {
			g[i] = make([]float64, len(r.b[l]))
		}
		gw, gb = append(gw, g), append(gb, make([]float64, len(r.b[l])))
	}
	for n, row := range x {
		acts, _ := r.forward(row)
		L := len(r.w) - 1
		delta := append([]float64(nil), acts[L+1]...)
		delta[y[n]] -= 1
		for l := L; l >= 0; l-- {
			for i, a := range acts[l] {
				for o, d := range delta {
					gw[l][i][o] += a * d
				}
			}
			for o, d := range delta {
				gb[l][o] += d
			}
			if l == 0 {
				break
			}
			next := make([]float64, len(acts[l]))
			for i := range next {
				s := 0.0
				for o, d := range delta {
					s += d * r.w[l][i][o]
				}
				next[i] = s * refActGrad(r.act, acts[l][i])
			}
			delta = next
		}
	}
	return gw, gb
}

// fitSeed runs the seed's fit loop without shuffling: minibatches in order,
// the last incomplete one dropped, W -= eta*(grad + l2*W), b -= eta*grad,
// with eta multiplied by decay after each epoch.
func (r *refNet) fitSeed(x [][]float64, y []uint8, epochs, batch int, eta, decay, l2 float64) {
	for e := range epochs {
		if e > 0 {
			eta *= decay
		}
		for s := 0; s+batch <= len(x); s += batch {
			gw, gb := r.grads(x[s:s+batch], y[s:s+batch])
			for l := range r.w {
				for i := range r.w[l] {
					for o := range r.w[l][i] {
						r.w[l][i][o] -= eta * (gw[l][i][o] + l2*r.w[l][i][o])
					}
				}
				for o := range r.b[l] {
					r.b[l][o] -= eta * gb[l][o]
				}
			}
		}
	}
}

func rows64(m linalg.Matrix) [][]float64 {
	out := make([][]float64, m.Rows)
	for i := range out {
		out[i] = make([]float64, m.Cols)
		for j := range out[i] {
			out[i][j] = float64(m.At(i, j))
		}
	}
	return out
}

// closeTo reports whether got is within tol of want, relative to
// max(1, |want|).
func closeTo(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*max(1, math.Abs(want))
}

// compareWeights fails t unless n's parameters match ref's within tol.
func compareWeights(t *testing.T, n *Network, ref *refNet, tol float64) {
	t.Helper()
	for l, ly := range n.layers {
		for i := range ly.w.Rows {
			for o := range ly.w.Cols {
				if got, want := float64(ly.w.At(i, o)), ref.w[l][i][o]; !closeTo(got, want, tol) {
					t.Fatalf("layer %d W[%d,%d] = %.9g, want %.9g (tol %g)", l, i, o, got, want, tol)
				}
			}
		}
		for o, v := range ly.b {
			if got, want := float64(v), ref.b[l][o]; !closeTo(got, want, tol) {
				t.Fatalf("layer %d b[%d] = %.9g, want %.9g (tol %g)", l, o, got, want, tol)
			}
		}
	}
}
