//go:build !purego

package asm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/cpuid/v2"
	"github.com/mlpgo/mlpgo/linalg/internal/x86sim"
)

// The AVX-512 kernels run through the x86sim simulator, so that they are
// tested on machines without AVX-512 (this one and CI). The simulator
// checks every access against the slices' len, so the tests also verify
// that the kernels read and write only what their doc comments allow.

func loadAVX512(t *testing.T) *x86sim.Program {
	t.Helper()
	p, err := x86sim.Load("gemm_avx512_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// simGemmAVX512 runs GemmAVX512x12x32 in the simulator.
func simGemmAVX512(p *x86sim.Program, k int, alpha float32, a []float32, aRow, aStep int, b []float32, bStep, bPanel int, beta float32, c []float32, ldc, m, n int) error {
	_, err := p.Call("GemmAVX512x12x32", x86sim.NewFrame().Int(k).Float32(alpha).Slice(a).Int(aRow).Int(aStep).
		Slice(b).Int(bStep).Int(bPanel).Float32(beta).Slice(c).Int(ldc).Int(m).Int(n))
	return err
}

// gemmAVX2Tiles computes what GemmAVX512x12x32 computes with the AVX2
// kernel, one 6x16 tile at a time. Both kernels take, for each element of
// C, one FMA per p in order into a zero accumulator, a multiplication by
// alpha unless alpha is 1 and an FMA with beta*C unless beta is ±0, so
// their results must agree bit for bit.
func gemmAVX2Tiles(k int, alpha float32, a []float32, aRow, aStep int, b []float32, bStep, bPanel int, beta float32, c []float32, ldc, m, n int) {
	for i0 := 0; i0 < m; i0 += 6 {
		for j0 := 0; j0 < n; j0 += 16 {
			tile := b[j0/32*bPanel+j0%32:]
			GemmAVX2x6x16(k, alpha, a[i0*aRow:], aRow, aStep, tile, bStep, 16*k, beta, c[i0*ldc+j0:], ldc, min(6, m-i0), min(16, n-j0))
		}
	}
}

func TestGemmAVX512x12x32Simulated(t *testing.T) {
	p := loadAVX512(t)
	native := cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3)
	if !native {
		t.Log("CPU lacks AVX2+FMA: checked against the float64 reference only")
	}
	specialValues := []float32{float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.Copysign(0, -1)),
		math.Float32frombits(0x7fc12345), math.Float32frombits(0xff812345), math.MaxFloat32}
	r := rand.New(rand.NewPCG(13, 14))
	random := func(n int, specials bool) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = 2*r.Float32() - 1
			if specials && r.IntN(10) == 0 {
				v[i] = specialValues[r.IntN(len(specialValues))]
			}
		}
		return v
	}
	const guard = 8
	for c := range 600 {
		m, k := 1+r.IntN(12), []int{1, 2, 3, 4, 5, 7, 8, 13, 33}[r.IntN(9)]
		n := 1 + r.IntN([]int{16, 32, 80}[r.IntN(3)]) // the narrow path, one panel, several
		specials := native && c%5 == 4
		alpha := []float32{1, 1, -1, 2*r.Float32() - 1}[r.IntN(4)]
		beta := []float32{0, 0, 1, float32(math.Copysign(0, -1)), 2*r.Float32() - 1}[r.IntN(5)]
		var aRow, aStep int
		switch r.IntN(3) {
		case 0: // packed
			aRow, aStep = 1, 12
		case 1: // row-major
			aRow, aStep = k+r.IntN(4), 1
		default: // transposed
			aRow, aStep = 1, 12+r.IntN(4)
		}
		bStep, bPanel := 32, 32*k // packed panels
		if r.IntN(2) == 0 {
			bStep, bPanel = n+r.IntN(4), 32 // B in place
		}
		// The kernel reads 12 rows of A, and 32 columns of B per panel but
		// 16 in a last panel of at most 16 columns: no more is allocated.
		last := (n - 1) / 32
		width := 32
		if n-32*last <= 16 {
			width = 16
		}
		a := random(11*aRow+(k-1)*aStep+1, specials)
		b := random(last*bPanel+(k-1)*bStep+width, specials)
		ldc := n + r.IntN(4)
		backing := random(guard+(m-1)*ldc+n+guard, specials)
		cs := backing[guard : len(backing)-guard : len(backing)-guard]
		before := append([]float32(nil), backing...)
		shape := fmt.Sprintf("case %d: m=%d n=%d k=%d aRow=%d aStep=%d bStep=%d bPanel=%d ldc=%d alpha=%g beta=%g",
			c, m, n, k, aRow, aStep, bStep, bPanel, ldc, alpha, beta)

		if err := simGemmAVX512(p, k, alpha, a, aRow, aStep, b, bStep, bPanel, beta, cs, ldc, m, n); err != nil {
			t.Fatalf("%s: %v", shape, err)
		}
		got := append([]float32(nil), backing...)
		for i := range backing {
			if j := i - guard; (j < 0 || j >= len(cs) || j%ldc >= n) && math.Float32bits(got[i]) != math.Float32bits(before[i]) {
				t.Fatalf("%s: wrote element %d of C's backing array, outside its m x n: %g, was %g", shape, j, got[i], before[i])
			}
		}

		if native {
			copy(backing, before)
			gemmAVX2Tiles(k, alpha, a, aRow, aStep, b, bStep, bPanel, beta, cs, ldc, m, n)
			for i := range backing {
				if g, w := math.Float32bits(got[i]), math.Float32bits(backing[i]); g != w {
					t.Fatalf("%s: C's backing array [%d] = %g (%#08x), the AVX2 kernel gives %g (%#08x)",
						shape, i-guard, got[i], g, backing[i], w)
				}
			}
		}
		if specials {
			continue
		}
		// C = alpha*A*B + beta*C in float64, within the error bound of k+2
		// roundings of the magnitudes involved.
		const u = 0x1p-23
		for i := range m {
			for j := range n {
				panel := b[j/32*bPanel:]
				var sum, mag float64
				for q := range k {
					prod := float64(a[i*aRow+q*aStep]) * float64(panel[q*bStep+j%32])
					sum += prod
					mag += math.Abs(prod)
				}
				want, tol := float64(alpha)*sum, float64(k+2)*u*math.Abs(float64(alpha))*mag
				if beta != 0 {
					cij := float64(before[guard+i*ldc+j])
					want += float64(beta) * cij
					tol += float64(k+2) * u * math.Abs(float64(beta)*cij)
				}
				if g := float64(got[guard+i*ldc+j]); math.Abs(g-want) > tol+1e-30 {
					t.Fatalf("%s: C[%d,%d] = %g, want %g (tol %g)", shape, i, j, g, want, tol)
				}
			}
		}
	}
}

func TestPackB32AVX512Simulated(t *testing.T) {
	p := loadAVX512(t)
	r := rand.New(rand.NewPCG(15, 16))
	for c := range 200 {
		n, k := 1+r.IntN(32), 1+r.IntN(9)
		ldb := n + r.IntN(4)
		b := make([]float32, (k-1)*ldb+n)
		for i := range b {
			b[i] = 2*r.Float32() - 1
		}
		dst := make([]float32, 32*k)
		for i := range dst {
			dst[i] = float32(math.NaN())
		}
		if _, err := p.Call("PackB32AVX512", x86sim.NewFrame().Slice(dst).Slice(b).Int(ldb).Int(k).Int(n)); err != nil {
			t.Fatalf("case %d: n=%d k=%d ldb=%d: %v", c, n, k, ldb, err)
		}
		for q := range k {
			for j := range 32 {
				var want float32
				if j < n {
					want = b[q*ldb+j]
				}
				if got := dst[32*q+j]; math.Float32bits(got) != math.Float32bits(want) {
					t.Fatalf("case %d: n=%d k=%d ldb=%d: dst[%d] = %g, want %g", c, n, k, ldb, 32*q+j, got, want)
				}
			}
		}
	}
}
