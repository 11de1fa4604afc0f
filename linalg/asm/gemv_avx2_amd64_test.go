//go:build amd64 && !purego

package asm

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// fma32 returns s*b + y rounded once to float32, as VFMADD231PS does.
func fma32(s, b, y float32) float32 {
	var p, sum big.Float
	p.SetPrec(100).Mul(big.NewFloat(float64(s)), big.NewFloat(float64(b)))
	sum.SetPrec(100).Add(&p, big.NewFloat(float64(y)))
	f, _ := sum.Float32()
	return f
}

// TestAxpyRowsAVX2 checks the kernel bit for bit against its documented
// loop, with every fused multiply-add rounded once, on widths around the
// vector width, depths around its groups of 8 rows, strided x and padded
// rows of B whose padding (NaN) must not be read.
func TestAxpyRowsAVX2(t *testing.T) {
	needAVX2(t)
	r := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{1, 3, 7, 8, 9, 15, 16, 17, 23, 24, 25, 100} {
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
