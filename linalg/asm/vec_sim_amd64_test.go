//go:build !purego

package asm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/klauspost/cpuid/v2"
	"github.com/mlpgo/mlpgo/linalg/internal/x86sim"
)

// The AVX-512 vector kernels run through the x86sim simulator, as the
// AVX-512 GEMM does in gemm_sim_amd64_test.go. They perform the AVX2
// kernels' operations in the same order, so on a machine with AVX2 their
// results must match the AVX2 kernels' bit for bit (NaN payloads
// included); everywhere they must be within the kernels' error bounds of
// float64 math. The simulator checks every access against the slices'
// len, so the tests also verify that the masked tails read and write
// nothing past the slices.

var simVec512 struct {
	once sync.Once
	prog *x86sim.Program
	err  error
}

func loadVec512(t *testing.T) *x86sim.Program {
	t.Helper()
	simVec512.once.Do(func() { simVec512.prog, simVec512.err = x86sim.Load("vec_avx512_amd64.s") })
	if simVec512.err != nil {
		t.Fatal(simVec512.err)
	}
	return simVec512.prog
}

// A vec512Op is an AVX-512 vector kernel behind one signature: dst is
// updated from src, and a and b are the scalars it takes, if any.
type vec512Op struct {
	name  string
	frame func(dst, src []float32, a, b float32) *x86sim.Frame
	// avx2 is the AVX2 kernel that must give the same bits.
	avx2 func(dst, src []float32, a, b float32)
	// generic is one element of the loop in the kernel's doc comment, as
	// package linalg's generic kernel computes it, and tol how far from
	// it the kernel's result may be where it is finite.
	generic func(d, x, a, b float32) (want float32, tol float64)
}

// twoSlices returns the vec512Op of kernel name, which takes dst and src
// and no scalar; avx2 is its AVX2 twin.
func twoSlices(name string, avx2 func(dst, src []float32), generic func(d, x, a, b float32) (float32, float64)) vec512Op {
	return vec512Op{
		name:    name,
		frame:   func(dst, src []float32, _, _ float32) *x86sim.Frame { return x86sim.NewFrame().Slice(dst).Slice(src) },
		avx2:    func(dst, src []float32, _, _ float32) { avx2(dst, src) },
		generic: generic,
	}
}

// withSlope returns the vec512Op of kernel name, which takes dst, src
// and a as the leaky ReLU's slope; avx2 is its AVX2 twin.
func withSlope(name string, avx2 func(dst, src []float32, slope float32), generic func(d, x, a, b float32) (float32, float64)) vec512Op {
	return vec512Op{
		name: name,
		frame: func(dst, src []float32, a, _ float32) *x86sim.Frame {
			return x86sim.NewFrame().Slice(dst).Slice(src).Float32(a)
		},
		avx2:    func(dst, src []float32, a, _ float32) { avx2(dst, src, a) },
		generic: generic,
	}
}

// activationTol is the error bound of an activation kernel within bound
// ulp of float64 math, against the generic kernel that rounds float64
// math (half an ulp more). A result below float32's smallest normal may
// be 0 (e^-z overflows for z < -88.72).
func activationTol(exact, bound float64) float64 {
	if math.Abs(exact) < 0x1p-126 {
		return 0x1p-126
	}
	return (bound + 0.5) * ulp(exact)
}

var vec512Ops = []vec512Op{
	twoSlices("AddAVX512", AddAVX2, func(d, x, _, _ float32) (float32, float64) {
		return d + x, 0
	}),
	{
		name: "AxpbyAVX512",
		frame: func(dst, src []float32, a, b float32) *x86sim.Frame {
			return x86sim.NewFrame().Float32(a).Slice(dst).Float32(b).Slice(src)
		},
		avx2: func(dst, src []float32, a, b float32) { AxpbyAVX2(a, dst, b, src) },
		generic: func(y, x, a, b float32) (float32, float64) {
			// The second product fused: b*x is exact in float64, but the
			// sum, rounded to float64 and then to float32, may be the
			// float32 next to the one the FMA rounds to.
			want := float32(float64(a*y) + float64(b)*float64(x))
			return want, ulp(float64(want))
		},
	},
	twoSlices("BiasSigmoidAVX512", BiasSigmoidAVX2, func(x, bias, _, _ float32) (float32, float64) {
		exact := 1 / (1 + math.Exp(-float64(x+bias)))
		return float32(exact), activationTol(exact, 2.2)
	}),
	twoSlices("BiasTanhAVX512", BiasTanhAVX2, func(x, bias, _, _ float32) (float32, float64) {
		exact := math.Tanh(float64(x + bias))
		return float32(exact), activationTol(exact, 1.3)
	}),
	twoSlices("BiasReLUAVX512", BiasReLUAVX2, func(x, bias, _, _ float32) (float32, float64) {
		if z := x + bias; z > 0 || z != z {
			return z, 0
		}
		return 0, 0
	}),
	withSlope("BiasLeakyReLUAVX512", BiasLeakyReLUAVX2, func(x, bias, slope, _ float32) (float32, float64) {
		z := x + bias
		if z < 0 {
			return slope * z, 0
		}
		return z, 0
	}),
	twoSlices("GradSigmoidAVX512", GradSigmoidAVX2, func(d, a, _, _ float32) (float32, float64) {
		return d * (a * (1 - a)), 0
	}),
	twoSlices("GradTanhAVX512", GradTanhAVX2, func(d, a, _, _ float32) (float32, float64) {
		// 1 - a*a fused: a*a is exact in float64, the difference
		// rounded twice may be the float32 next to the FMA's.
		want := d * float32(1-float64(a)*float64(a))
		return want, 2 * ulp(float64(want))
	}),
	twoSlices("GradReLUAVX512", GradReLUAVX2, func(d, a, _, _ float32) (float32, float64) {
		if a > 0 {
			return d, 0
		}
		return 0, 0
	}),
	withSlope("GradLeakyReLUAVX512", GradLeakyReLUAVX2, func(d, a, slope, _ float32) (float32, float64) {
		if a > 0 {
			return d, 0
		}
		return d * slope, 0
	}),
	{
		name:  "ScaleAVX512",
		frame: func(dst, _ []float32, a, _ float32) *x86sim.Frame { return x86sim.NewFrame().Slice(dst).Float32(a) },
		avx2:  func(dst, _ []float32, a, _ float32) { ScaleAVX2(dst, a) },
		generic: func(x, _, s, _ float32) (float32, float64) {
			return x * s, 0
		},
	},
}

// ulp is the spacing of float32s at |x|.
func ulp(x float64) float64 {
	w := float32(math.Abs(x))
	return float64(math.Nextafter32(w, float32(math.Inf(1)))) - float64(w)
}

// vecSpecials are mixed into the inputs: NaNs with payloads and both
// signs, infinities, zeros, values where exp overflows or underflows, the
// extremes and a subnormal.
var vecSpecials = []float32{
	math.Float32frombits(0x7fc12345), math.Float32frombits(0xff812345), float32(math.Inf(1)), float32(math.Inf(-1)),
	0, float32(math.Copysign(0, -1)), 88.7, -88.7, 89, -89, 104, -104, 105, -105, 200, -200,
	math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32,
}

// vecInputs returns n values in (-scale, scale), with specials every so
// often when asked.
func vecInputs(r *rand.Rand, n int, scale float32, specials bool) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = scale * (2*r.Float32() - 1)
		if specials && r.IntN(8) == 0 {
			v[i] = vecSpecials[r.IntN(len(vecSpecials))]
		}
	}
	return v
}

// vecLengths are the lengths the kernels are checked at: every one up to
// past the unrolled loop's 64, then around multiples of 16 and 64.
func vecLengths() []int {
	var ns []int
	for n := 0; n <= 70; n++ {
		ns = append(ns, n)
	}
	return append(ns, 100, 127, 128, 129, 255, 256, 257, 300, 1000)
}

func TestVecAVX512Simulated(t *testing.T) {
	p := loadVec512(t)
	native := cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3)
	if !native {
		t.Log("CPU lacks AVX2+FMA: checked against float64 only")
	}
	const guard = 8
	r := rand.New(rand.NewPCG(17, 18))
	for _, op := range vec512Ops {
		t.Run(op.name, func(t *testing.T) {
			for _, n := range vecLengths() {
				for _, specials := range []bool{false, true} {
					src := vecInputs(r, n, 20, specials)
					backing := vecInputs(r, guard+n+guard, 20, specials)
					dst := backing[guard : guard+n : guard+n]
					a, b := float32(0.999), float32(-0.0005)
					if specials {
						a, b = 2*r.Float32()-1, vecSpecials[r.IntN(len(vecSpecials))]
					}
					before := append([]float32(nil), backing...)
					what := fmt.Sprintf("n=%d a=%g b=%g", n, a, b)
					if _, err := p.Call(op.name, op.frame(dst, src, a, b)); err != nil {
						t.Fatalf("%s: %v", what, err)
					}
					got := append([]float32(nil), backing...)
					for i := range backing {
						if (i < guard || i >= guard+n) && math.Float32bits(got[i]) != math.Float32bits(before[i]) {
							t.Fatalf("%s: wrote element %d of dst's backing array, outside dst", what, i-guard)
						}
					}
					if native {
						copy(backing, before)
						op.avx2(dst, src, a, b)
						for i := range backing {
							if g, w := math.Float32bits(got[i]), math.Float32bits(backing[i]); g != w {
								t.Fatalf("%s: dst[%d] = %g (%#08x), the AVX2 kernel gives %g (%#08x)", what, i-guard, got[i], g, backing[i], w)
							}
						}
					}
					for i := range n {
						d, x := before[guard+i], src[i]
						want, tol := op.generic(d, x, a, b)
						if g := got[guard+i]; !closeToGeneric(g, want, tol) {
							t.Fatalf("%s: [%d] of d=%g x=%g = %g, want %g within %g", what, i, d, x, g, want, tol)
						}
					}
				}
			}
		})
	}
}

// closeToGeneric reports whether got is NaN where want is, the same as
// want where that is infinite or tol is 0, and within tol of it
// otherwise. Zeros' signs and NaN payloads are left to the comparison
// with the AVX2 kernels.
func closeToGeneric(got, want float32, tol float64) bool {
	switch {
	case want != want:
		return got != got
	case tol == 0 || math.IsInf(float64(want), 0):
		return got == want
	}
	return math.Abs(float64(got)-float64(want)) <= tol
}

// TestActivationAVX512Accuracy sweeps the sigmoid and tanh kernels over
// [-87, 87] (every 1021st float32, all exponents: 2.2 million arguments),
// as linalg's TestActivationAccuracy does for the kernels this machine
// runs, and checks them against float64 math and, bit for bit, against
// their AVX2 twins. Measured: sigmoid 2.11 ulp at most (at -16.7), tanh
// 1.24 ulp, as for AVX2.
func TestActivationAVX512Accuracy(t *testing.T) {
	p := loadVec512(t)
	var zs []float32
	for b := math.Float32bits(-87); b > 1<<31; b -= 1021 {
		zs = append(zs, math.Float32frombits(b))
	}
	for b := uint32(0); math.Float32frombits(b) <= 87; b += 1021 {
		zs = append(zs, math.Float32frombits(b))
	}
	zero := make([]float32, len(zs))
	for _, tc := range []struct {
		name  string
		avx2  func(x, bias []float32)
		exact func(float64) float64
		bound float64
	}{
		{"BiasSigmoidAVX512", BiasSigmoidAVX2, func(z float64) float64 { return 1 / (1 + math.Exp(-z)) }, 2.2},
		{"BiasTanhAVX512", BiasTanhAVX2, math.Tanh, 1.3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := append([]float32(nil), zs...)
			if _, err := p.Call(tc.name, x86sim.NewFrame().Slice(got).Slice(zero)); err != nil {
				t.Fatal(err)
			}
			if cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) {
				avx2 := append([]float32(nil), zs...)
				tc.avx2(avx2, zero)
				for i := range zs {
					if math.Float32bits(got[i]) != math.Float32bits(avx2[i]) {
						t.Fatalf("f(%g) = %g, the AVX2 kernel gives %g", zs[i], got[i], avx2[i])
					}
				}
			}
			var worst float64
			var worstZ float32
			for i, z := range zs {
				want := tc.exact(float64(z))
				if math.Abs(want) < 0x1p-126 {
					continue // see activationTol
				}
				if e := ulpErr(got[i], want); e > worst {
					worst, worstZ = e, z
				}
			}
			t.Logf("max error over %d arguments: %.2f ulp at %g", len(zs), worst, worstZ)
			if worst > tc.bound {
				t.Errorf("max error %.2f ulp at %g, want <= %g", worst, worstZ, tc.bound)
			}
		})
	}
}

// TestReductionsAVX512Simulated checks MaxAVX512, ExpShiftSumAVX512 and
// SumSquaresAVX512 through the simulator: the same maximum as MaxAVX2
// (and NaN when x holds one), the same exponentials as ExpShiftSumAVX2,
// and sums within float64 summation's error bound.
func TestReductionsAVX512Simulated(t *testing.T) {
	p := loadVec512(t)
	native := cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3)
	r := rand.New(rand.NewPCG(19, 20))
	for _, n := range vecLengths() {
		for _, specials := range []bool{false, true} {
			x := vecInputs(r, n, 20, specials)
			what := fmt.Sprintf("n=%d specials=%v", n, specials)

			if n > 0 {
				var got float32
				if _, err := p.Call("MaxAVX512", x86sim.NewFrame().Slice(x).Float32Result(&got)); err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				want := x[0]
				for _, v := range x {
					if v > want || v != v {
						want = v
					}
				}
				if got != want && !(got != got && want != want) {
					t.Fatalf("%s: MaxAVX512 = %g, want %g", what, got, want)
				}
				if native && got != got && math.Float32bits(got) != math.Float32bits(MaxAVX2(x)) {
					t.Fatalf("%s: MaxAVX512 = %#08x, MaxAVX2 gives %#08x", what, math.Float32bits(got), math.Float32bits(MaxAVX2(x)))
				}
			}

			var squares float64
			if _, err := p.Call("SumSquaresAVX512", x86sim.NewFrame().Slice(x).Float64Result(&squares)); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			var want float64
			for _, v := range x {
				want += float64(v) * float64(v)
			}
			if !sumClose(squares, want, n, want) {
				t.Fatalf("%s: SumSquaresAVX512 = %g, want %g", what, squares, want)
			}

			shift := float32(r.NormFloat64() * 10)
			if specials && r.IntN(4) == 0 {
				shift = vecSpecials[r.IntN(len(vecSpecials))]
			}
			e := append([]float32(nil), x...)
			var sum float64
			if _, err := p.Call("ExpShiftSumAVX512", x86sim.NewFrame().Slice(e).Float32(shift).Float64Result(&sum)); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if native {
				e2 := append([]float32(nil), x...)
				sum2 := ExpShiftSumAVX2(e2, shift)
				for i := range e {
					if math.Float32bits(e[i]) != math.Float32bits(e2[i]) {
						t.Fatalf("%s shift=%g: exp(%g) = %g, ExpShiftSumAVX2 gives %g", what, shift, x[i]-shift, e[i], e2[i])
					}
				}
				if !sumClose(sum, sum2, 2*n, sum2) {
					t.Fatalf("%s shift=%g: ExpShiftSumAVX512 = %g, ExpShiftSumAVX2 gives %g", what, shift, sum, sum2)
				}
			}
			want = 0
			for i, v := range x {
				exact := math.Exp(float64(v - shift))
				if exact >= 0x1p-126 && exact <= math.MaxFloat32 && ulpErr(e[i], exact) > 1 ||
					exact < 0x1p-126 && math.Abs(float64(e[i])-exact) > 0x1p-149 {
					t.Fatalf("%s shift=%g: exp(%g) = %g, want %g", what, shift, v-shift, e[i], exact)
				}
				want += float64(e[i])
			}
			if !sumClose(sum, want, n, want) {
				t.Fatalf("%s shift=%g: ExpShiftSumAVX512 = %g, want %g", what, shift, sum, want)
			}
		}
	}
}

// sumClose reports whether a float64 sum of n terms of magnitude sum mag
// is within summation's error bound of want, NaN where want is, or equal
// where want is infinite.
func sumClose(got, want float64, n int, mag float64) bool {
	switch {
	case math.IsNaN(want):
		return math.IsNaN(got)
	case math.IsInf(want, 0):
		return got == want
	}
	return math.Abs(got-want) <= float64(n+1)*0x1p-53*math.Abs(mag)
}
