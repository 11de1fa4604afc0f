package x86sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The AVX2 vector kernels run through the simulator must give the same
// bits as on the hardware, NaN payloads included: that checks the
// simulator's min, max, rounding, conversion, integer, comparison and
// negated-FMA instructions against real hardware, with the same
// semantics the AVX-512 kernels rely on.

// A vecKernel is one of the AVX2 vector kernels behind one signature:
// dst is updated from src (bias, x or a), a and b are the scalars the
// kernel takes, if any, and its result, if any, goes to res.
type vecKernel struct {
	name   string
	frame  func(dst, src []float32, a, b float32, res *vecResult) *Frame
	minLen int // the shortest dst the kernel takes
}

// vecResult holds a kernel's result.
type vecResult struct {
	f32 float32
	f64 float64
}

func twoSlices(dst, src []float32, _, _ float32, _ *vecResult) *Frame {
	return NewFrame().Slice(dst).Slice(src)
}

func slope(dst, src []float32, a, _ float32, _ *vecResult) *Frame {
	return NewFrame().Slice(dst).Slice(src).Float32(a)
}

var vecKernels = []vecKernel{
	{"AddAVX2", twoSlices, 0},
	{"AxpbyAVX2", func(dst, src []float32, a, b float32, _ *vecResult) *Frame {
		return NewFrame().Float32(a).Slice(dst).Float32(b).Slice(src)
	}, 0},
	{"BiasSigmoidAVX2", twoSlices, 0},
	{"BiasTanhAVX2", twoSlices, 0},
	{"BiasReLUAVX2", twoSlices, 0},
	{"BiasLeakyReLUAVX2", slope, 0},
	{"GradSigmoidAVX2", twoSlices, 0},
	{"GradTanhAVX2", twoSlices, 0},
	{"GradReLUAVX2", twoSlices, 0},
	{"GradLeakyReLUAVX2", slope, 0},
	{"ScaleAVX2", func(dst, _ []float32, a, _ float32, _ *vecResult) *Frame { return NewFrame().Slice(dst).Float32(a) }, 0},
	{"MaxAVX2", func(dst, _ []float32, _, _ float32, res *vecResult) *Frame {
		return NewFrame().Slice(dst).Float32Result(&res.f32)
	}, 1},
	{"ExpShiftSumAVX2", func(dst, _ []float32, a, _ float32, res *vecResult) *Frame {
		return NewFrame().Slice(dst).Float32(a).Float64Result(&res.f64)
	}, 0},
	{"SumSquaresAVX2", func(dst, _ []float32, _, _ float32, res *vecResult) *Frame {
		return NewFrame().Slice(dst).Float64Result(&res.f64)
	}, 0},
}

// activationValues returns n values: randomValues, a third of them
// replaced by values up to ±120, where exp overflows and underflows.
func activationValues(r *rand.Rand, n int) []float32 {
	v := randomValues(r, n, true)
	for i := range v {
		if r.IntN(3) == 0 {
			v[i] = pick[float32](r, -1, 1) * r.Float32() * 120
		}
	}
	return v
}

func TestVecAVX2(t *testing.T) {
	if _, ok := nativeVecAVX2("AddAVX2"); !ok {
		t.Skip("this machine cannot run the AVX2 kernels") // the per-instruction tests still run
	}
	prog := load(t, "../../asm/vec_avx2_amd64.s")
	r := rand.New(rand.NewPCG(9, 10))
	for _, kern := range vecKernels {
		t.Run(kern.name, func(t *testing.T) {
			native, ok := nativeVecAVX2(kern.name)
			if !ok {
				t.Fatalf("no native %s", kern.name)
			}
			for n := range 80 {
				if n >= 41 {
					n = 41 + r.IntN(300)
				}
				n = max(n, kern.minLen)
				src := activationValues(r, n)
				dst, backing := guarded(r, n)
				copy(dst, activationValues(r, n))
				a, b := pick(r, 0.01, 0.999, -2, pick(r, specialValues...)), pick(r, -0.0005, 1, pick(r, specialValues...))
				before := append([]float32(nil), backing...)
				var res vecResult
				if _, err := prog.Call(kern.name, kern.frame(dst, src, a, b, &res)); err != nil {
					t.Fatalf("n=%d: %v", n, err)
				}
				got := append([]float32(nil), backing...)
				copy(backing, before)
				nativeRes := native(dst, src, a, b)
				what := fmt.Sprintf("n=%d a=%g b=%g: simulated vs native", n, a, b)
				compareBits(t, what, got, backing)
				if g, w := math.Float64bits(res.f64), math.Float64bits(nativeRes.f64); bitsOf(res.f32) != bitsOf(nativeRes.f32) || g != w {
					t.Errorf("%s: result %g %g (%#x %#x), want %g %g (%#x %#x)", what, res.f32, res.f64, bitsOf(res.f32), g,
						nativeRes.f32, nativeRes.f64, bitsOf(nativeRes.f32), w)
				}
				if t.Failed() {
					return
				}
			}
		})
	}
}
