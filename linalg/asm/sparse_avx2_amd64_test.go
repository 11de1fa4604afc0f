//go:build amd64 && !purego

package asm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// scatterKernels are the ScatterAxpy kernels and their widths.
var scatterKernels = []struct {
	cols   int
	kernel func(val []float32, idx []int32, x []float32, acc []float32)
}{
	{8, ScatterAxpy8AVX2},
	{16, ScatterAxpy16AVX2},
}

// TestScatterAxpyAVX2 checks each ScatterAxpy kernel bit for bit against
// its documented loop on every count of entries up to 40 and 150, into
// accumulators of as many rows as entries, a few more, or 784: indices
// ascending and distinct, zeros throughout and NaNs and infinities in some
// cases. acc sits between guards that must not be written, and idx may
// hold more entries than val, with indices that would be out of range.
func TestScatterAxpyAVX2(t *testing.T) {
	needAVX2(t)
	const guard = 8
	counts := []int{150}
	for k := 0; k <= 40; k++ {
		counts = append(counts, k)
	}
	for _, sk := range scatterKernels {
		t.Run(fmt.Sprintf("ScatterAxpy%dAVX2", sk.cols), func(t *testing.T) {
			n := sk.cols
			r := rand.New(rand.NewPCG(31, uint64(n)))
			c := 0
			for _, k := range counts {
				for _, rows := range []int{k, k + 1 + r.IntN(20), 784} {
					c++
					special := c%4 == 0
					val := testValues(r, k, special)
					idx := make([]int32, k, k+r.IntN(3))
					for i, p := range r.Perm(rows)[:k] {
						idx[i] = int32(p)
					}
					slices.Sort(idx)
					for len(idx) < cap(idx) {
						idx = append(idx, math.MaxInt32) // past val: never used
					}
					x := testValues(r, n, special)
					backing := testValues(r, guard+n*rows+guard, special)
					acc := backing[guard : guard+n*rows : guard+n*rows]
					name := fmt.Sprintf("len(val)=%d/rows=%d/specials=%v", k, rows, special)

					want := slices.Clone(backing)
					for e := range val {
						p := guard + n*int(idx[e])
						for l := range n {
							want[p+l] = fma32(val[e], x[l], want[p+l])
						}
					}
					sk.kernel(val, idx, x, acc)
					checkBacking(t, name, "acc", backing, want, guard, func(i int) bool { return i >= 0 && i < len(acc) })
				}
			}
		})
	}
}

// TestCombineRows8AVX2 checks the kernel bit for bit against its
// documented loop for 1 to 20 rows and 784, every width, acc's rows packed
// or 8 or 16 apart, C's packed or strided, and every pair of alpha in {1,
// -0.0005, 2} and beta in {0, -0, 1, 0.9}, with NaNs and infinities in
// some cases. C sits between guards; they, and the elements between C's
// rows, must not be written. With beta == 0 C is full of NaNs, which must
// not reach the result. acc ends at its last row's width-th element and v
// holds exactly width elements.
func TestCombineRows8AVX2(t *testing.T) {
	needAVX2(t)
	const guard = 8
	r := rand.New(rand.NewPCG(33, 34))
	alphas := []float32{1, -0.0005, 2}
	betas := []float32{0, float32(math.Copysign(0, -1)), 1, 0.9}
	c := 0
	for _, rows := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 784} {
		for width := 1; width <= 8; width++ {
			for _, ldc := range []int{width, width + 1 + r.IntN(8), 100} {
				c++
				special := c%4 == 0
				alpha, beta := alphas[c%len(alphas)], betas[c/len(alphas)%len(betas)]
				lda := []int{width, 8, 16}[c%3]
				acc := testValues(r, (rows-1)*lda+width, special)
				v := testValues(r, width, special)
				backing := testValues(r, guard+(rows-1)*ldc+width+guard, special)
				if beta == 0 {
					for i := range backing {
						backing[i] = float32(math.NaN())
					}
				}
				n := (rows-1)*ldc + width
				cs := backing[guard : guard+n : guard+n]
				name := fmt.Sprintf("rows=%d/width=%d/lda=%d/ldc=%d/alpha=%g/beta=%g/specials=%v", rows, width, lda, ldc, alpha, beta, special)

				want := slices.Clone(backing)
				sumsBacking := testValues(r, guard+width+guard, false)
				sums := sumsBacking[guard : guard+width : guard+width]
				wantSums := slices.Clone(sumsBacking)
				for l := range width {
					var sum float32
					for p := range rows {
						t := float32(acc[p*lda+l] + v[l])
						w := &want[guard+p*ldc+l]
						if beta == 0 {
							*w = float32(alpha * t)
						} else {
							*w = fma32(alpha, t, float32(beta*(*w)))
						}
						sum = float32(sum + *w)
					}
					wantSums[guard+l] = sum
				}
				CombineRows8AVX2(alpha, beta, acc, lda, v, cs, ldc, rows, width, sums)
				checkBacking(t, name, "c", backing, want, guard, func(i int) bool { return i >= 0 && i < len(cs) && i%ldc < width })
				checkBacking(t, name, "sums", sumsBacking, wantSums, guard, func(i int) bool { return i >= 0 && i < width })
			}
		}
	}
}

// BenchmarkScatterAxpyAVX2 adds 150 entries, at sorted random rows of
// 784, times each kernel's columns into an accumulator of 784 rows of as
// many: one sparse input row's share of a block of a weight gradient.
func BenchmarkScatterAxpyAVX2(b *testing.B) {
	needAVX2(b)
	const rows, k = 784, 150
	r := rand.New(rand.NewPCG(35, 36))
	val := testValues(r, k, false)
	idx := make([]int32, k)
	for i, p := range r.Perm(rows)[:k] {
		idx[i] = int32(p)
	}
	slices.Sort(idx)
	for _, sk := range scatterKernels {
		b.Run(fmt.Sprintf("cols=%d", sk.cols), func(b *testing.B) {
			x := testValues(r, sk.cols, false)
			acc := make([]float32, sk.cols*rows)
			for b.Loop() {
				sk.kernel(val, idx, x, acc)
			}
			b.ReportMetric(2*k*float64(sk.cols)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkCombineRows8AVX2 writes eight columns of a 784x16 accumulator
// into eight columns of a 784x100 C, with and without reading C, and sums
// them.
func BenchmarkCombineRows8AVX2(b *testing.B) {
	needAVX2(b)
	const rows, lda, width, ldc = 784, 16, 8, 100
	r := rand.New(rand.NewPCG(37, 38))
	acc := testValues(r, lda*rows, false)
	v := testValues(r, width, false)
	cs := testValues(r, (rows-1)*ldc+width, false)
	sums := make([]float32, width)
	for _, beta := range []float32{0, 1} {
		b.Run(fmt.Sprintf("beta=%g", beta), func(b *testing.B) {
			for b.Loop() {
				CombineRows8AVX2(0.5, beta, acc, lda, v, cs, ldc, rows, width, sums)
			}
		})
	}
}
