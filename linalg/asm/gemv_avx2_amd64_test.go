//go:build amd64 && !purego

package asm

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
)

// fma32 returns s*b + y rounded once to float32, as VFMADD231PS does.
// With an infinite or NaN operand the result is infinite or NaN, which
// float64 math gives exactly (NaN payloads aside).
func fma32(s, b, y float32) float32 {
	if !finite32(s) || !finite32(b) || !finite32(y) {
		return float32(float64(s)*float64(b) + float64(y))
	}
	var p, sum big.Float
	p.SetPrec(100).Mul(big.NewFloat(float64(s)), big.NewFloat(float64(b)))
	sum.SetPrec(100).Add(&p, big.NewFloat(float64(y)))
	f, _ := sum.Float32()
	return f
}

// TestAxpyRowsAVX2 checks the kernel bit for bit against its documented
// loop, with every fused multiply-add rounded once, on widths around the
// vector width, on either side of 64 (below it y stays in registers) and
// with every count of whole vectors below it, depths around its groups of
// 8 rows, strided x and padded rows of B whose padding (NaN) must not be
// read.
func TestAxpyRowsAVX2(t *testing.T) {
	needAVX2(t)
	r := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{1, 3, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 40, 47, 48, 55, 56, 57, 63, 64, 65, 100} {
		for _, k := range []int{1, 2, 7, 8, 9, 16, 17, 33} {
			for _, incx := range []int{1, 3} {
				name := fmt.Sprintf("n=%d/k=%d/incx=%d", n, k, incx)
				ldb := n + r.IntN(3)
				x := make([]float32, (k-1)*incx+1)
				b := make([]float32, (k-1)*ldb+n)
				y := make([]float32, n+1) // y[n] must stay NaN
				for i := range x {
					x[i] = 2*r.Float32() - 1
				}
				for i := range b {
					b[i] = float32(math.NaN())
					if i%ldb < n {
						b[i] = 2*r.Float32() - 1
					}
				}
				for i := range y {
					y[i] = 2*r.Float32() - 1
				}
				y[n] = float32(math.NaN())
				alpha := float32(-0.75)
				want := append([]float32(nil), y[:n]...)
				for p := 0; p < k; p++ {
					s := alpha * x[p*incx]
					for j := range want {
						want[j] = fma32(s, b[p*ldb+j], want[j])
					}
				}
				AxpyRowsAVX2(k, alpha, x, incx, b, ldb, y[:n])
				for j, w := range want {
					if math.Float32bits(y[j]) != math.Float32bits(w) {
						t.Fatalf("%s: y[%d] = %g, want %g", name, j, y[j], w)
					}
				}
				if !math.IsNaN(float64(y[n])) {
					t.Fatalf("%s: y[%d], past the slice, was overwritten with %g", name, n, y[n])
				}
			}
		}
	}
}

func finite32(x float32) bool { return !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0) }

// sameFloat reports whether got is want bit for bit, or both are NaN.
func sameFloat(got, want float32) bool {
	return math.Float32bits(got) == math.Float32bits(want) || got != got && want != want
}

// testSpecials are mixed into some inputs of the kernels' tests.
var testSpecials = []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
	float32(math.NaN()), math.MaxFloat32}

// testValues returns n values in (-1, 1), a tenth of them zero, and with
// special a tenth of them replaced by testSpecials.
func testValues(r *rand.Rand, n int, special bool) []float32 {
	v := make([]float32, n)
	for i := range v {
		switch {
		case special && r.IntN(10) == 0:
			v[i] = testSpecials[r.IntN(len(testSpecials))]
		case r.IntN(10) == 0:
			v[i] = 0
		default:
			v[i] = 2*r.Float32() - 1
		}
	}
	return v
}

// checkBacking reports the first element of backing, the backing array of
// a slice starting at offset guard, that differs from want in bits (NaNs
// of any payload match). inSlice says which elements the kernel writes, by
// offset from the slice's start.
func checkBacking(t *testing.T, name, slice string, backing, want []float32, guard int, inSlice func(i int) bool) {
	t.Helper()
	for i, w := range want {
		if got := backing[i]; !sameFloat(got, w) {
			where := fmt.Sprintf("%s[%d]", slice, i-guard)
			if !inSlice(i - guard) {
				where = fmt.Sprintf("element %d of %s's backing array, which the kernel must not write,", i-guard, slice)
			}
			t.Fatalf("%s: %s = %g (%#08x), want %g (%#08x)", name, where, got, math.Float32bits(got), w, math.Float32bits(w))
		}
	}
}

// TestAxpyIndexedAVX2 checks the kernel bit for bit against its
// documented loop on every width up to 40 and some past it, with up to 30
// rows and 150: indices unsorted and repeated, rows strided, zeros and
// negatives throughout and NaNs and infinities in some cases. y sits
// between guards that must not be written, b ends where the largest index
// needs, and idx may hold more entries than val, with indices that would
// be out of range: none of them may be read.
func TestAxpyIndexedAVX2(t *testing.T) {
	needAVX2(t)
	const guard = 8
	r := rand.New(rand.NewPCG(21, 22))
	widths := []int{96, 100, 104, 130, 257}
	for n := 1; n <= 40; n++ {
		widths = append(widths, n)
	}
	counts := []int{150}
	for k := 0; k <= 30; k++ {
		counts = append(counts, k)
	}
	c := 0
	for _, n := range widths {
		for _, k := range counts {
			c++
			special := c%4 == 0
			ldb := n + []int{0, 0, 1, 3, 8}[r.IntN(5)]
			rows := 1 + r.IntN(2*k+1) // small enough that indices repeat
			val := testValues(r, k, special)
			idx := make([]int32, k, k+r.IntN(3))
			maxIdx := 0
			for i := range idx {
				idx[i] = int32(r.IntN(rows))
				maxIdx = max(maxIdx, int(idx[i]))
			}
			for len(idx) < cap(idx) {
				idx = append(idx, math.MaxInt32) // past val: never used
			}
			var b []float32
			if k > 0 {
				b = testValues(r, maxIdx*ldb+n, special)
			}
			backing := testValues(r, guard+n+guard, false)
			y := backing[guard : guard+n : guard+n]
			copy(y, testValues(r, n, special))
			alpha := []float32{-0.75, 1.5, 2*r.Float32() - 1}[r.IntN(3)]
			name := fmt.Sprintf("n=%d/k=%d/ldb=%d/rows=%d/alpha=%g/specials=%v", n, k, ldb, rows, alpha, special)

			want := append([]float32(nil), backing...)
			for p := range val {
				s := alpha * val[p]
				row := b[int(idx[p])*ldb:]
				for j := range n {
					want[guard+j] = fma32(s, row[j], want[guard+j])
				}
			}
			AxpyIndexedAVX2(alpha, val, idx, b, ldb, y)
			checkBacking(t, name, "y", backing, want, guard, func(i int) bool { return i >= 0 && i < n })
		}
	}
}

// BenchmarkAxpyIndexedAVX2 adds 150 rows of a 784x100 B, at sorted
// random indices, into a y of 100: one sparse input row times a first
// layer's weights.
func BenchmarkAxpyIndexedAVX2(b *testing.B) {
	needAVX2(b)
	const rows, n, k = 784, 100, 150
	r := rand.New(rand.NewPCG(23, 24))
	m := make([]float32, rows*n)
	for i := range m {
		m[i] = 2*r.Float32() - 1
	}
	val := make([]float32, k)
	for i := range val {
		val[i] = r.Float32()
	}
	idx := make([]int32, k)
	for i, p := range r.Perm(rows)[:k] {
		idx[i] = int32(p)
	}
	slices.Sort(idx)
	y := make([]float32, n)
	for b.Loop() {
		AxpyIndexedAVX2(0.5, val, idx, m, n, y)
	}
	b.ReportMetric(2*k*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
