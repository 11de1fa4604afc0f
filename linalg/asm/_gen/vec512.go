package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The AVX-512 vector kernels are the AVX2 ones of vec.go on 16 lanes: the
// same operations in the same order and operand roles, so that both give
// the same bits, NaN payloads included. They use AVX-512F only, which
// changes a few instructions: constants are broadcast from the first
// element of vec.go's constant vectors (as embedded-broadcast operands or
// with VBROADCASTSS), VPXORD, VPANDD and VPORD stand for VXORPS, VANDPS
// and VORPS (whose zmm forms need AVX512DQ), VRNDSCALEPS for VROUNDPS,
// and comparisons write opmasks, which VBLENDMPS and zero-masking select
// by. The reductions sum in 16 float64 lanes instead of 8, so their
// sums may differ from the AVX2 ones in the last bits.

// avx512 is the 16-lane AVX-512F instruction set: a ragged tail of 1-15
// elements is loaded zero-masked and stored masked under an opmask from
// tailMask16's table.
var avx512 = vecISA{
	name:  "AVX512",
	lanes: 16,
	vec:   ZMM,
	tailMask: func(n Register) Register {
		mask := K()
		table := GP64()
		LEAQ(tailMask16(), table)
		KMOVW(Mem{Base: table, Index: n, Scale: 2}, mask)
		return mask
	},
	maskedLoad:  func(src Mem, mask Register, dst VecVirtual) { VMOVUPS_Z(src, mask, dst) },
	maskedStore: func(src VecVirtual, mask Register, dst Mem) { VMOVUPS(src, mask, dst) },
}

// tailMask16 returns the table whose 16-bit entry n is the opmask of an
// n-element tail, (1<<n)-1.
func tailMask16() Mem {
	if m, ok := vecConsts["tailMask16"]; ok {
		return m
	}
	m := GLOBL("vecTailMask16", RODATA|NOPTR)
	for n := 0; n < 16; n++ {
		DATA(2*n, U16(uint16(1)<<n-1))
	}
	vecConsts["tailMask16"] = m
	return m
}

// broadcastF returns a zmm holding 16 copies of v, from the constant
// vector constF makes.
func broadcastF(name string, v float32) VecVirtual {
	r := ZMM()
	VBROADCASTSS(constF(name, v), r)
	return r
}

// expPS512 is expPS on 16 lanes.
func expPS512(x VecVirtual) VecVirtual {
	hi, lo := broadcastF("ExpHi", 89), broadcastF("ExpLo", -104.5)
	t := ZMM()
	VMINPS(x, hi, t) // hi < x ? hi : x, and x when x is NaN
	VMAXPS(t, lo, t) // lo > t ? lo : t, and t when t is NaN
	n := ZMM()
	VMULPS_BCST(constF("Log2e", 1.44269504088896341), t, n)
	VRNDSCALEPS(U8(0), n, n) // to nearest even
	VFNMADD231PS_BCST(constF("Ln2Hi", 0.693359375), n, t)
	VFNMADD231PS_BCST(constF("Ln2Lo", -2.12194440e-4), n, t)
	p := broadcastF("ExpP0", 1.9875691500e-4)
	for i, c := range []float32{1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1} {
		VFMADD213PS_BCST(constF(fmt.Sprintf("ExpP%d", i+1), c), t, p) // p = p*t + c
	}
	z := ZMM()
	VMULPS(t, t, z)
	VFMADD213PS(t, z, p) // p = p*t² + t
	VADDPS_BCST(constF("One", 1), p, p)
	// 2^n = 2^h * 2^(n-h) with h = n>>1: both factors stay normal.
	ni, h := ZMM(), ZMM()
	VCVTPS2DQ(n, ni)
	VPSRAD(U8(1), ni, h)
	VPSUBD(h, ni, ni)
	bias := constU("ExpBias", 127)
	VPADDD_BCST(bias, h, h)
	VPADDD_BCST(bias, ni, ni)
	VPSLLD(U8(23), h, h)
	VPSLLD(U8(23), ni, ni)
	VMULPS(h, p, p)
	VMULPS(ni, p, p)
	return p
}

// sigmoidPS512 is sigmoidPS on 16 lanes.
func sigmoidPS512(x VecVirtual) VecVirtual {
	neg := ZMM()
	VPXORD_BCST(constU("SignBit", 0x80000000), x, neg)
	e := expPS512(neg)
	VADDPS_BCST(constF("One", 1), e, e)
	r := broadcastF("One", 1)
	VDIVPS(e, r, r)
	return r
}

// tanhPS512 is tanhPS on 16 lanes.
func tanhPS512(x VecVirtual) VecVirtual {
	ax := ZMM()
	VPANDD_BCST(constU("AbsMask", 0x7fffffff), x, ax)
	e := ZMM()
	VADDPS(ax, ax, e)
	e = expPS512(e)
	VADDPS_BCST(constF("One", 1), e, e)
	big := broadcastF("Two", 2)
	VDIVPS(e, big, big)
	one := broadcastF("One", 1)
	VSUBPS(big, one, big) // 1 - 2/(e+1)
	sign := ZMM()
	VPANDD_BCST(constU("SignBit", 0x80000000), x, sign)
	VPORD(sign, big, big)

	z := ZMM()
	VMULPS(x, x, z)
	p := broadcastF("TanhP0", -5.70498872745e-3)
	for i, c := range []float32{2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1} {
		VFMADD213PS_BCST(constF(fmt.Sprintf("TanhP%d", i+1), c), z, p)
	}
	VMULPS(z, p, p)
	VFMADD213PS(x, x, p) // p*x + x

	small := K()
	VCMPPS_BCST(U8(1), constF("TanhSmall", 0.625), ax, small) // |x| < 0.625
	VBLENDMPS(p, big, small, big)
	return big
}

// compareZero512 returns the opmask of the lanes of x that compare with
// zero by predicate (1: x < 0, 0x0e: x > 0).
func compareZero512(predicate uint8, x VecVirtual) Register {
	k := K()
	VCMPPS_BCST(U8(predicate), constF("Zero", 0), x, k)
	return k
}

func vecAVX512() {
	mapKernel(avx512, "AddAVX512", "func(dst, x []float32)", []string{
		"AddAVX512 is AddAVX2 on 16 lanes:",
		"",
		"\tfor i := range dst {",
		"\t\tdst[i] += x[i]",
		"\t}",
		"",
		"len(x) >= len(dst) is the caller's to ensure.",
	}, []string{"dst", "x"}, nil, func(in, _ []VecVirtual) VecVirtual {
		VADDPS(in[1], in[0], in[0])
		return in[0]
	})

	mapKernel(avx512, "AxpbyAVX512", "func(a float32, y []float32, b float32, x []float32)", []string{
		"AxpbyAVX512 is AxpbyAVX2 on 16 lanes:",
		"",
		"\tfor i := range y {",
		"\t\ty[i] = a*y[i] + b*x[i] // the second product fused",
		"\t}",
		"",
		"len(x) >= len(y) is the caller's to ensure.",
	}, []string{"y", "x"}, []string{"a", "b"}, func(in, sc []VecVirtual) VecVirtual {
		VMULPS(sc[0], in[0], in[0])
		VFMADD231PS(sc[1], in[1], in[0])
		return in[0]
	})

	mapKernel(avx512, "BiasSigmoidAVX512", "func(x, bias []float32)", []string{
		"BiasSigmoidAVX512 is BiasSigmoidAVX2 on 16 lanes, with the same results:",
		"",
		"\tfor i := range x {",
		"\t\tz := x[i] + bias[i]",
		"\t\tx[i] = 1 / (1 + exp(-z)) // within 2.2 ulp of float64 math",
		"\t}",
		"",
		"len(bias) >= len(x) is the caller's to ensure.",
	}, []string{"x", "bias"}, nil, func(in, _ []VecVirtual) VecVirtual {
		VADDPS(in[1], in[0], in[0])
		return sigmoidPS512(in[0])
	})

	mapKernel(avx512, "BiasTanhAVX512", "func(x, bias []float32)", []string{
		"BiasTanhAVX512 is BiasTanhAVX2 on 16 lanes, with the same results:",
		"",
		"\tfor i := range x {",
		"\t\tz := x[i] + bias[i]",
		"\t\tx[i] = tanh(z) // within 1.3 ulp of float64 math",
		"\t}",
		"",
		"len(bias) >= len(x) is the caller's to ensure.",
	}, []string{"x", "bias"}, nil, func(in, _ []VecVirtual) VecVirtual {
		VADDPS(in[1], in[0], in[0])
		return tanhPS512(in[0])
	})

	mapKernel(avx512, "BiasReLUAVX512", "func(x, bias []float32)", []string{
		"BiasReLUAVX512 is BiasReLUAVX2 on 16 lanes:",
		"",
		"\tfor i := range x {",
		"\t\tz := x[i] + bias[i]",
		"\t\tx[i] = max(z, 0) // NaN stays NaN, -0 becomes 0",
		"\t}",
		"",
		"len(bias) >= len(x) is the caller's to ensure.",
	}, []string{"x", "bias"}, nil, func(in, _ []VecVirtual) VecVirtual {
		VADDPS(in[1], in[0], in[0])
		zero := ZMM()
		VPXORD(zero, zero, zero)
		r := ZMM()
		VMAXPS(in[0], zero, r) // 0 > z ? 0 : z, and z when z is NaN
		VADDPS(zero, r, r)     // -0 + 0 = +0
		return r
	})

	mapKernel(avx512, "BiasLeakyReLUAVX512", "func(x, bias []float32, slope float32)", []string{
		"BiasLeakyReLUAVX512 is BiasLeakyReLUAVX2 on 16 lanes:",
		"",
		"\tfor i := range x {",
		"\t\tz := x[i] + bias[i]",
		"\t\tx[i] = z, or slope*z if z < 0",
		"\t}",
		"",
		"len(bias) >= len(x) is the caller's to ensure.",
	}, []string{"x", "bias"}, []string{"slope"}, func(in, sc []VecVirtual) VecVirtual {
		z := in[0]
		VADDPS(in[1], z, z)
		s := ZMM()
		VMULPS(sc[0], z, s)
		VBLENDMPS(s, z, compareZero512(1, z), z)
		return z
	})

	mapKernel(avx512, "GradSigmoidAVX512", "func(d, a []float32)", []string{
		"GradSigmoidAVX512 is GradSigmoidAVX2 on 16 lanes:",
		"",
		"\tfor i := range d {",
		"\t\td[i] *= a[i] * (1 - a[i])",
		"\t}",
		"",
		"len(a) >= len(d) is the caller's to ensure.",
	}, []string{"d", "a"}, nil, func(in, _ []VecVirtual) VecVirtual {
		t := broadcastF("One", 1)
		VSUBPS(in[1], t, t)
		VMULPS(t, in[1], t)
		VMULPS(t, in[0], in[0])
		return in[0]
	})

	mapKernel(avx512, "GradTanhAVX512", "func(d, a []float32)", []string{
		"GradTanhAVX512 is GradTanhAVX2 on 16 lanes:",
		"",
		"\tfor i := range d {",
		"\t\td[i] *= 1 - a[i]*a[i] // fused",
		"\t}",
		"",
		"len(a) >= len(d) is the caller's to ensure.",
	}, []string{"d", "a"}, nil, func(in, _ []VecVirtual) VecVirtual {
		t := broadcastF("One", 1)
		VFNMADD231PS(in[1], in[1], t)
		VMULPS(t, in[0], in[0])
		return in[0]
	})

	mapKernel(avx512, "GradReLUAVX512", "func(d, a []float32)", []string{
		"GradReLUAVX512 is GradReLUAVX2 on 16 lanes:",
		"",
		"\tfor i := range d {",
		"\t\td[i] = 0 unless a[i] > 0",
		"\t}",
		"",
		"len(a) >= len(d) is the caller's to ensure.",
	}, []string{"d", "a"}, nil, func(in, _ []VecVirtual) VecVirtual {
		r := ZMM()
		VMOVUPS_Z(in[0], compareZero512(0x0e, in[1]), r)
		return r
	})

	mapKernel(avx512, "GradLeakyReLUAVX512", "func(d, a []float32, slope float32)", []string{
		"GradLeakyReLUAVX512 is GradLeakyReLUAVX2 on 16 lanes:",
		"",
		"\tfor i := range d {",
		"\t\td[i] *= slope unless a[i] > 0",
		"\t}",
		"",
		"len(a) >= len(d) is the caller's to ensure.",
	}, []string{"d", "a"}, []string{"slope"}, func(in, sc []VecVirtual) VecVirtual {
		s := ZMM()
		VMULPS(sc[0], in[0], s)
		VBLENDMPS(in[0], s, compareZero512(0x0e, in[1]), in[0])
		return in[0]
	})

	mapKernel(avx512, "ScaleAVX512", "func(x []float32, s float32)", []string{
		"ScaleAVX512 is ScaleAVX2 on 16 lanes:",
		"",
		"\tfor i := range x {",
		"\t\tx[i] *= s",
		"\t}",
	}, []string{"x"}, []string{"s"}, func(in, sc []VecVirtual) VecVirtual {
		VMULPS(sc[0], in[0], in[0])
		return in[0]
	})

	max512Kernel()
	expShiftSum512Kernel()
	sumSquares512Kernel()
}

// zeroAccs512 returns n zeroed zmm float64 accumulators.
func zeroAccs512(n int) []VecVirtual {
	acc := make([]VecVirtual, n)
	for i := range acc {
		acc[i] = ZMM()
		VPXORD(acc[i], acc[i], acc[i])
	}
	return acc
}

// sumAccs512 emits the float64 sum of every lane of the accumulators
// into the low lane of the first one, which it returns.
func sumAccs512(acc []VecVirtual) VecVirtual {
	for _, a := range acc[1:] {
		VADDPD(a, acc[0], acc[0])
	}
	hi := YMM()
	VEXTRACTF64X4(U8(1), acc[0], hi)
	VADDPD(hi, acc[0].AsY(), acc[0].AsY())
	sumPD(acc[0].AsY().(VecVirtual)) // a vecv, as AsY returns it
	return acc[0]
}

// widenPD512 emits the 16 float32 lanes of v widened to float64: lanes
// 0-7 in lo and 8-15 in hi.
func widenPD512(v VecVirtual) (lo, hi VecVirtual) {
	lo, hi = ZMM(), ZMM()
	VCVTPS2PD(v.AsY(), lo)
	VEXTRACTF64X4(U8(1), v, hi.AsY())
	VCVTPS2PD(hi.AsY(), hi)
	return lo, hi
}

func max512Kernel() {
	TEXT("MaxAVX512", NOSPLIT, "func(x []float32) float32")
	Pragma("noescape")
	Doc(
		"MaxAVX512 is MaxAVX2 on 16 lanes. It returns the largest element of x,",
		"or NaN if x holds a NaN:",
		"",
		"\tm := x[0]",
		"\tfor _, v := range x {",
		"\t\tif v > m || v != v {",
		"\t\t\tm = v",
		"\t\t}",
		"\t}",
		"",
		"but once it has seen a NaN it returns NaN. x must not be empty.",
	)
	n := Load(Param("x").Len(), GP64())
	p := Load(Param("x").Base(), GP64())
	// ordered[u] keeps the lanes of slot u that have seen no NaN.
	var ms [vecUnroll]VecVirtual
	var ordered [vecUnroll]Register
	all := GP32()
	MOVL(U32(0xffff), all)
	for u := range ms {
		ms[u] = broadcastF("NegInf", float32(math.Inf(-1)))
		ordered[u] = K()
		KMOVW(all, ordered[u])
	}
	vecLoop(avx512, n, []Register{p}, func(load func(int) VecVirtual, _ func(int, VecVirtual), mask Register, u int) {
		v := load(0)
		VCMPPS(U8(7), v, v, ordered[u], ordered[u]) // ordered: v is not NaN
		if mask != nil {
			VMAXPS(v, ms[u], mask, ms[u]) // lanes past the tail keep -Inf
		} else {
			VMAXPS(v, ms[u], ms[u])
		}
	})
	Comment("Reduce the slots and lanes; a NaN seen anywhere wins.")
	m := ms[0]
	for u := 1; u < vecUnroll; u++ {
		VMAXPS(ms[u], m, m)
	}
	hi := YMM()
	VEXTRACTF64X4(U8(1), m, hi)
	VMAXPS(hi, m.AsY(), m.AsY())
	hx := XMM()
	VEXTRACTF128(U8(1), m.AsY(), hx)
	VMAXPS(hx, m.AsX(), m.AsX())
	VPERMILPS(U8(0x4e), m.AsX(), hx)
	VMAXPS(hx, m.AsX(), m.AsX())
	VPERMILPS(U8(0xb1), m.AsX(), hx)
	VMAXPS(hx, m.AsX(), m.AsX())
	bits := GP32()
	KMOVW(ordered[0], bits)
	for u := 1; u < vecUnroll; u++ {
		b := GP32()
		KMOVW(ordered[u], b)
		ANDL(b, bits)
	}
	CMPL(bits, U32(0xffff))
	JE(LabelRef("ret"))
	VMOVSS(constF("NaN", float32(math.NaN())), m.AsX())
	Label("ret")
	Store(m.AsX(), ReturnIndex(0))
	VZEROUPPER()
	RET()
}

func expShiftSum512Kernel() {
	TEXT("ExpShiftSumAVX512", NOSPLIT, "func(x []float32, shift float32) float64")
	Pragma("noescape")
	Doc(
		"ExpShiftSumAVX512 is ExpShiftSumAVX2 on 16 lanes: with exp accurate to",
		"1 ulp of float64 math (e^x rounds to 0 below -104 and overflows to +Inf",
		"above 88.72), and the same bits in x as ExpShiftSumAVX2,",
		"",
		"\tvar sum float64",
		"\tfor i := range x {",
		"\t\tx[i] = exp(x[i] - shift)",
		"\t\tsum += float64(x[i])",
		"\t}",
		"\treturn sum",
		"",
		"with the sum taken in 16 float64 lanes.",
	)
	n := Load(Param("x").Len(), GP64())
	p := Load(Param("x").Base(), GP64())
	s := ZMM()
	VBROADCASTSS(paramAddr("shift"), s)
	acc := zeroAccs512(4)
	vecLoop(avx512, n, []Register{p}, func(load func(int) VecVirtual, store func(int, VecVirtual), mask Register, u int) {
		v := load(0)
		VSUBPS(s, v, v)
		e := expPS512(v)
		store(0, e)
		if mask != nil {
			VMOVUPS_Z(e, mask, e) // lanes past the tail add nothing
		}
		lo, hi := widenPD512(e)
		VADDPD(lo, acc[2*(u%2)], acc[2*(u%2)])
		VADDPD(hi, acc[2*(u%2)+1], acc[2*(u%2)+1])
	})
	Store(sumAccs512(acc).AsX(), ReturnIndex(0))
	VZEROUPPER()
	RET()
}

func sumSquares512Kernel() {
	TEXT("SumSquaresAVX512", NOSPLIT, "func(x []float32) float64")
	Pragma("noescape")
	Doc(
		"SumSquaresAVX512 is",
		"",
		"\tvar sum float64",
		"\tfor _, v := range x {",
		"\t\tsum += float64(v) * float64(v)",
		"\t}",
		"\treturn sum",
		"",
		"with the sum taken in 16 float64 lanes.",
	)
	n := Load(Param("x").Len(), GP64())
	p := Load(Param("x").Base(), GP64())
	acc := zeroAccs512(2 * vecUnroll)
	vecLoop(avx512, n, []Register{p}, func(load func(int) VecVirtual, _ func(int, VecVirtual), _ Register, u int) {
		lo, hi := widenPD512(load(0))
		VFMADD231PD(lo, lo, acc[2*u])
		VFMADD231PD(hi, hi, acc[2*u+1])
	})
	Store(sumAccs512(acc).AsX(), ReturnIndex(0))
	VZEROUPPER()
	RET()
}
