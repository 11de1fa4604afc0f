package mlpgo_test

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/mlpgo/mlpgo/linalg"
)

// gemmShape is one product C = op(A)·op(B) from the MLP or a square, named
// as in ../shared/bench/sgemm_bench.c.
type gemmShape struct {
	name           string
	m, n, k        int
	transA, transB bool
}

// gemmShapes are the seed network's products at batch 100, the per-epoch
// evaluation over 10,000 rows, and two squares.
var gemmShapes = []gemmShape{
	{"fwd_hidden", 100, 100, 784, false, false},     // X_b·W_hᵀ as 100x784·784x100
	{"fwd_out", 100, 10, 100, false, false},         // a_h·W_out: 100x100·100x10
	{"bwd_delta_h", 100, 100, 10, false, true},      // delta_out·W_outᵀ: 100x10·(100x10)ᵀ
	{"grad_w_h", 784, 100, 100, true, false},        // X_bᵀ·delta_h: (100x784)ᵀ·100x100
	{"grad_w_out", 100, 10, 100, true, false},       // a_hᵀ·delta_out: (100x100)ᵀ·100x10
	{"eval", 10000, 100, 784, false, false},         // 10000x784·784x100
	{"square_256", 256, 256, 256, false, false},     // 256³
	{"square_1024", 1024, 1024, 1024, false, false}, // 1024³
}

// operands returns random A, B and a zero C for the shape.
func (s gemmShape) operands() (a, b, c linalg.Matrix) {
	r := rand.New(rand.NewPCG(1, 2))
	fill := func(rows, cols int) linalg.Matrix {
		m := linalg.New(rows, cols)
		for i := range m.Data {
			m.Data[i] = 2*r.Float32() - 1
		}
		return m
	}
	a, b = fill(s.m, s.k), fill(s.k, s.n)
	if s.transA {
		a = fill(s.k, s.m)
	}
	if s.transB {
		b = fill(s.n, s.k)
	}
	return a, b, linalg.New(s.m, s.n)
}

func (s gemmShape) reportGFLOPs(b *testing.B) {
	b.ReportMetric(2*float64(s.m)*float64(s.n)*float64(s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkGemm measures linalg.Gemm per ISA on each shape, and gonum's
// blas32.Gemm (pure Go plus small SSE helpers) beside it as "gonum".
func BenchmarkGemm(b *testing.B) {
	for _, isa := range linalg.Available() {
		b.Run(isa, func(b *testing.B) {
			restore, err := linalg.UseISA(isa)
			if err != nil {
				b.Fatal(err)
			}
			defer restore()
			for _, s := range gemmShapes {
				b.Run(s.name, func(b *testing.B) {
					x, y, z := s.operands()
					b.ReportAllocs()
					for b.Loop() {
						linalg.Gemm(s.transA, s.transB, 1, x, y, 0, z)
					}
					s.reportGFLOPs(b)
				})
			}
		})
	}
	b.Run("gonum", func(b *testing.B) {
		for _, s := range gemmShapes {
			b.Run(s.name, func(b *testing.B) {
				x, y, z := s.operands()
				toGonum := func(m linalg.Matrix) blas32.General {
					return blas32.General{Rows: m.Rows, Cols: m.Cols, Stride: m.Stride, Data: m.Data}
				}
				ta, tb := blas.NoTrans, blas.NoTrans
				if s.transA {
					ta = blas.Trans
				}
				if s.transB {
					tb = blas.Trans
				}
				b.ReportAllocs()
				for b.Loop() {
					blas32.Gemm(ta, tb, 1, toGonum(x), toGonum(y), 0, toGonum(z))
				}
				s.reportGFLOPs(b)
			})
		}
	})
}
