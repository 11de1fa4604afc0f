package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The vector kernels work on contiguous float32 slices, a vector register
// of lanes at a time, and finish a ragged tail with masked loads and
// stores, so they never touch memory past the slices. They are written
// once, against a vecISA, and emitted for AVX2 (8 lanes, this file) and
// AVX-512F (16 lanes, vec512.go): the same operations in the same order
// and operand roles, so that both give the same bits, NaN payloads
// included.

// vecISA is what the vector kernels need to know of an instruction set:
// its width and the instructions that differ between AVX2 and AVX-512F.
type vecISA struct {
	name  string            // the kernel names' suffix
	lanes int               // float32 lanes in a vector register
	vec   func() VecVirtual // a new vector register

	// tailMask emits the mask of the lanes of an n-element tail, n from 1
	// to lanes-1, and returns it; it may clobber n. maskedLoad loads the
	// lanes under mask and zeroes the others; maskedStore stores the
	// lanes under mask.
	tailMask    func(n Register) Register
	maskedLoad  func(src Mem, mask Register, dst VecVirtual)
	maskedStore func(src VecVirtual, mask Register, dst Mem)

	// The instructions whose first operand is a constant vector of constF
	// or constU: AVX2 reads all of it, AVX-512 broadcasts its first element.
	movC, addC, mulC, fmadd213C, fnmadd231C, padddC, xorC, andC func(...Op)
	// mask returns a new register for a mask of lanes: a vector on AVX2,
	// an opmask on AVX-512. cmpC compares the constant c with x by
	// predicate into the mask dst.
	mask func() Register
	cmpC func(predicate uint8, c Mem, x VecVirtual, dst Register)

	// The register forms of the bitwise instructions, and the rounding.
	xorps, xorpd, orps func(...Op)
	roundps            func(mode, src, dst Op)
	// blend emits dst = a in the lanes under mask, b in the others.
	blend func(mask Register, a, b, dst VecVirtual)
	// zeroOff zeroes the lanes of v that are not under mask.
	zeroOff func(mask Register, v VecVirtual)
}

// avx2 is the 8-lane AVX2 instruction set: masks are vectors of all-ones
// lanes, the tail's is read from tailMask's table and moved by VMASKMOVPS.
var avx2 = vecISA{
	name:  "AVX2",
	lanes: 8,
	vec:   YMM,
	tailMask: func(n Register) Register {
		mask := YMM()
		base := GP64()
		LEAQ(tailMask(), base)
		NEGQ(n)
		VMOVDQU(Mem{Base: base, Index: n, Scale: 4, Disp: 32}, mask)
		return mask
	},
	maskedLoad:  func(src Mem, mask Register, dst VecVirtual) { VMASKMOVPS(src, mask, dst) },
	maskedStore: func(src VecVirtual, mask Register, dst Mem) { VMASKMOVPS(src, mask, dst) },
	movC:        VMOVUPS,
	addC:        VADDPS,
	mulC:        VMULPS,
	fmadd213C:   VFMADD213PS,
	fnmadd231C:  VFNMADD231PS,
	padddC:      VPADDD,
	xorC:        VXORPS,
	andC:        VANDPS,
	mask:        func() Register { return YMM() },
	cmpC:        func(predicate uint8, c Mem, x VecVirtual, dst Register) { VCMPPS(U8(predicate), c, x, dst) },
	xorps:       VXORPS,
	xorpd:       VXORPD,
	orps:        VORPS,
	roundps:     VROUNDPS,
	blend:       func(mask Register, a, b, dst VecVirtual) { VBLENDVPS(mask, a, b, dst) },
	zeroOff:     func(mask Register, v VecVirtual) { VANDPS(mask, v, v) },
}

// vecConsts are the 8-lane constants defined so far, by name.
var vecConsts = map[string]Mem{}

// constF returns a 32-byte read-only vector of eight copies of v.
func constF(name string, v float32) Mem { return constU(name, math.Float32bits(v)) }

// constU returns a 32-byte read-only vector of eight copies of u.
func constU(name string, u uint32) Mem {
	if m, ok := vecConsts[name]; ok {
		return m
	}
	m := GLOBL("vec"+name, RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(4*i, U32(u))
	}
	vecConsts[name] = m
	return m
}

// constant returns a new vector register holding v in every lane.
func (s vecISA) constant(name string, v float32) VecVirtual {
	r := s.vec()
	s.movC(constF(name, v), r)
	return r
}

// tailMask returns the table whose 32 bytes at 4*(8-n) are the lane mask
// of an n-element tail.
func tailMask() Mem {
	if m, ok := vecConsts["tailMask"]; ok {
		return m
	}
	m := onesThenZeros("vecTailMask", 8)
	vecConsts["tailMask"] = m
	return m
}

// vecBody emits the work on one vector of lanes: it loads and stores its
// operands through load and store, and slot tells which of the unrolled
// vectors it is (0 to vecUnroll-1; 0 in the single-vector and tail
// loops), so a reduction can keep independent accumulators per slot. In
// the tail, mask holds the lanes that exist (the others are loaded as
// zeros and not stored); it is nil elsewhere.
type vecBody func(load func(p int) VecVirtual, store func(p int, v VecVirtual), mask Register, slot int)

// vecUnroll is how many vectors the main loop does per iteration.
const vecUnroll = 4

// vecLoop emits the loops of a kernel over n elements: vecUnroll vectors
// at a time, then one, then a masked tail of 1 to s.lanes-1 elements.
func vecLoop(s vecISA, n Register, ptrs []Register, body vecBody) {
	size := 4 * s.lanes
	group := func(u int) {
		body(func(p int) VecVirtual {
			v := s.vec()
			VMOVUPS(Mem{Base: ptrs[p], Disp: size * u}, v)
			return v
		}, func(p int, v VecVirtual) {
			VMOVUPS(v, Mem{Base: ptrs[p], Disp: size * u})
		}, nil, u)
	}
	// The pointer steps are 32-bit immediates where the unrolled one
	// does not fit in a byte.
	step := func(bytes int) Constant {
		if size*vecUnroll > math.MaxUint8 {
			return U32(bytes)
		}
		return U8(bytes)
	}
	advance := func(vectors int) {
		for _, p := range ptrs {
			ADDQ(step(size*vectors), p)
		}
		SUBQ(U8(s.lanes*vectors), n)
	}
	Label("loopN")
	CMPQ(n, U8(s.lanes*vecUnroll))
	JL(LabelRef("loop1"))
	for u := 0; u < vecUnroll; u++ {
		group(u)
	}
	advance(vecUnroll)
	JMP(LabelRef("loopN"))

	Label("loop1")
	CMPQ(n, U8(s.lanes))
	JL(LabelRef("tail"))
	group(0)
	advance(1)
	JMP(LabelRef("loop1"))

	Label("tail")
	TESTQ(n, n)
	JZ(LabelRef("done"))
	mask := s.tailMask(n)
	body(func(p int) VecVirtual {
		v := s.vec()
		s.maskedLoad(Mem{Base: ptrs[p]}, mask, v)
		return v
	}, func(p int, v VecVirtual) {
		s.maskedStore(v, mask, Mem{Base: ptrs[p]})
	}, mask, 0)
	Label("done")
}

// mapKernel writes a kernel that replaces dst (the first slice parameter)
// elementwise by f of the slices' elements. The other slices must be at
// least as long as dst; scalars are float32 parameters broadcast to every
// lane before f sees them.
func mapKernel(s vecISA, name, sig string, doc []string, slices, scalars []string, f func(in, sc []VecVirtual) VecVirtual) {
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(doc...)
	n := Load(Param(slices[0]).Len(), GP64())
	var ptrs []Register
	for _, p := range slices {
		ptrs = append(ptrs, Load(Param(p).Base(), GP64()))
	}
	var sc []VecVirtual
	for _, p := range scalars {
		v := s.vec()
		VBROADCASTSS(paramAddr(p), v)
		sc = append(sc, v)
	}
	vecLoop(s, n, ptrs, func(load func(int) VecVirtual, store func(int, VecVirtual), _ Register, _ int) {
		in := make([]VecVirtual, len(slices))
		for i := range slices {
			in[i] = load(i)
		}
		store(0, f(in, sc))
	})
	VZEROUPPER()
	RET()
}

// expPS emits e^x for the lanes of x: Cephes' expf, range-reduced by
// n = round(x/ln 2) with ln 2 split in two, a degree-7 polynomial in the
// remainder, and the scaling by 2^n done in two halves so that results
// near the overflow threshold and the subnormal ones are both right.
// x is clamped to [-104.5, 89] first (beyond them e^x rounds to 0 or
// overflows to +Inf anyway); NaN propagates.
func expPS(s vecISA, x VecVirtual) VecVirtual {
	hi, lo := s.constant("ExpHi", 89), s.constant("ExpLo", -104.5)
	t := s.vec()
	VMINPS(x, hi, t) // hi < x ? hi : x, and x when x is NaN
	VMAXPS(t, lo, t) // lo > t ? lo : t, and t when t is NaN
	n := s.vec()
	s.mulC(constF("Log2e", 1.44269504088896341), t, n)
	s.roundps(U8(0), n, n) // to nearest even
	s.fnmadd231C(constF("Ln2Hi", 0.693359375), n, t)
	s.fnmadd231C(constF("Ln2Lo", -2.12194440e-4), n, t)
	p := s.constant("ExpP0", 1.9875691500e-4)
	for i, c := range []float32{1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1} {
		s.fmadd213C(constF(fmt.Sprintf("ExpP%d", i+1), c), t, p) // p = p*t + c
	}
	z := s.vec()
	VMULPS(t, t, z)
	VFMADD213PS(t, z, p) // p = p*t² + t
	s.addC(constF("One", 1), p, p)
	// 2^n = 2^h * 2^(n-h) with h = n>>1: both factors stay normal.
	ni, h := s.vec(), s.vec()
	VCVTPS2DQ(n, ni)
	VPSRAD(U8(1), ni, h)
	VPSUBD(h, ni, ni)
	bias := constU("ExpBias", 127)
	s.padddC(bias, h, h)
	s.padddC(bias, ni, ni)
	VPSLLD(U8(23), h, h)
	VPSLLD(U8(23), ni, ni)
	VMULPS(h, p, p)
	VMULPS(ni, p, p)
	return p
}

// sigmoidPS emits 1/(1+e^-x).
func sigmoidPS(s vecISA, x VecVirtual) VecVirtual {
	neg := s.vec()
	s.xorC(constU("SignBit", 0x80000000), x, neg)
	e := expPS(s, neg)
	s.addC(constF("One", 1), e, e)
	r := s.constant("One", 1)
	VDIVPS(e, r, r)
	return r
}

// tanhPS emits tanh x: Cephes' odd polynomial for |x| < 0.625, and
// sign(x)*(1 - 2/(e^2|x| + 1)) elsewhere.
func tanhPS(s vecISA, x VecVirtual) VecVirtual {
	ax := s.vec()
	s.andC(constU("AbsMask", 0x7fffffff), x, ax)
	e := s.vec()
	VADDPS(ax, ax, e)
	e = expPS(s, e)
	s.addC(constF("One", 1), e, e)
	big := s.constant("Two", 2)
	VDIVPS(e, big, big)
	one := s.constant("One", 1)
	VSUBPS(big, one, big) // 1 - 2/(e+1)
	sign := s.vec()
	s.andC(constU("SignBit", 0x80000000), x, sign)
	s.orps(sign, big, big)

	z := s.vec()
	VMULPS(x, x, z)
	p := s.constant("TanhP0", -5.70498872745e-3)
	for i, c := range []float32{2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1} {
		s.fmadd213C(constF(fmt.Sprintf("TanhP%d", i+1), c), z, p)
	}
	VMULPS(z, p, p)
	VFMADD213PS(x, x, p) // p*x + x

	small := s.mask()
	s.cmpC(1, constF("TanhSmall", 0.625), ax, small) // |x| < 0.625
	s.blend(small, p, big, big)
	return big
}

// intro is the first line of the doc of kernel name: the AVX-512 kernels
// name the AVX2 one they widen, and sameBits tells that they give its
// results where that is news.
func (s vecISA) intro(name string, sameBits bool) string {
	if s.name == avx2.name {
		return name + s.name + " is"
	}
	same := ""
	if sameBits {
		same = ", with the same results"
	}
	return fmt.Sprintf("%s%s is %s%s on %d lanes%s:", name, s.name, name, avx2.name, s.lanes, same)
}

// mapKernels writes the elementwise kernels for s.
func mapKernels(s vecISA) {
	mapKernel(s, "Add"+s.name, "func(dst, x []float32)", []string{
		s.intro("Add", false),
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

	mapKernel(s, "Axpby"+s.name, "func(a float32, y []float32, b float32, x []float32)", []string{
		s.intro("Axpby", false),
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

	biasKernel := func(name, expr string, sameBits bool, scalars []string, f func(z VecVirtual, sc []VecVirtual) VecVirtual) {
		sig := "func(x, bias []float32)"
		if len(scalars) > 0 {
			sig = "func(x, bias []float32, slope float32)"
		}
		doc := []string{
			s.intro(name, sameBits),
			"",
			"\tfor i := range x {",
			"\t\tz := x[i] + bias[i]",
			"\t\tx[i] = " + expr,
			"\t}",
			"",
			"len(bias) >= len(x) is the caller's to ensure.",
		}
		mapKernel(s, name+s.name, sig, doc, []string{"x", "bias"}, scalars, func(in, sc []VecVirtual) VecVirtual {
			VADDPS(in[1], in[0], in[0])
			return f(in[0], sc)
		})
	}
	biasKernel("BiasSigmoid", "1 / (1 + exp(-z)) // within 2.2 ulp of float64 math", true, nil, func(z VecVirtual, _ []VecVirtual) VecVirtual {
		return sigmoidPS(s, z)
	})
	biasKernel("BiasTanh", "tanh(z) // within 1.3 ulp of float64 math", true, nil, func(z VecVirtual, _ []VecVirtual) VecVirtual {
		return tanhPS(s, z)
	})
	biasKernel("BiasReLU", "max(z, 0) // NaN stays NaN, -0 becomes 0", false, nil, func(z VecVirtual, _ []VecVirtual) VecVirtual {
		zero := s.vec()
		s.xorps(zero, zero, zero)
		r := s.vec()
		VMAXPS(z, zero, r) // 0 > z ? 0 : z, and z when z is NaN
		VADDPS(zero, r, r) // -0 + 0 = +0
		return r
	})
	biasKernel("BiasLeakyReLU", "z, or slope*z if z < 0", false, []string{"slope"}, func(z VecVirtual, sc []VecVirtual) VecVirtual {
		neg, sz := s.mask(), s.vec()
		VMULPS(sc[0], z, sz)
		s.cmpC(1, constF("Zero", 0), z, neg) // z < 0
		s.blend(neg, sz, z, z)
		return z
	})

	gradKernel := func(name, expr string, scalars []string, f func(d, a VecVirtual, sc []VecVirtual) VecVirtual) {
		sig := "func(d, a []float32)"
		if len(scalars) > 0 {
			sig = "func(d, a []float32, slope float32)"
		}
		doc := []string{
			s.intro(name, false),
			"",
			"\tfor i := range d {",
			"\t\td[i] " + expr,
			"\t}",
			"",
			"len(a) >= len(d) is the caller's to ensure.",
		}
		mapKernel(s, name+s.name, sig, doc, []string{"d", "a"}, scalars, func(in, sc []VecVirtual) VecVirtual {
			return f(in[0], in[1], sc)
		})
	}
	gradKernel("GradSigmoid", "*= a[i] * (1 - a[i])", nil, func(d, a VecVirtual, _ []VecVirtual) VecVirtual {
		t := s.constant("One", 1)
		VSUBPS(a, t, t)
		VMULPS(t, a, t)
		VMULPS(t, d, d)
		return d
	})
	gradKernel("GradTanh", "*= 1 - a[i]*a[i] // fused", nil, func(d, a VecVirtual, _ []VecVirtual) VecVirtual {
		t := s.constant("One", 1)
		VFNMADD231PS(a, a, t)
		VMULPS(t, d, d)
		return d
	})
	gradKernel("GradReLU", "= 0 unless a[i] > 0", nil, func(d, a VecVirtual, _ []VecVirtual) VecVirtual {
		pos := s.mask()
		s.cmpC(0x0e, constF("Zero", 0), a, pos) // a > 0
		s.zeroOff(pos, d)
		return d
	})
	gradKernel("GradLeakyReLU", "*= slope unless a[i] > 0", []string{"slope"}, func(d, a VecVirtual, sc []VecVirtual) VecVirtual {
		pos, sd := s.mask(), s.vec()
		VMULPS(sc[0], d, sd)
		s.cmpC(0x0e, constF("Zero", 0), a, pos) // a > 0
		s.blend(pos, d, sd, d)
		return d
	})

	mapKernel(s, "Scale"+s.name, "func(x []float32, s float32)", []string{
		s.intro("Scale", false),
		"",
		"\tfor i := range x {",
		"\t\tx[i] *= s",
		"\t}",
	}, []string{"x"}, []string{"s"}, func(in, sc []VecVirtual) VecVirtual {
		VMULPS(sc[0], in[0], in[0])
		return in[0]
	})
}

// vecAVX2 writes the AVX2 vector kernels.
func vecAVX2() {
	mapKernels(avx2)
	maxKernel()
	expShiftSumKernel(avx2, []string{
		"ExpShiftSumAVX2 is, with exp accurate to 1 ulp of float64 math",
		"(e^x rounds to 0 below -104 and overflows to +Inf above 88.72),",
	}, nil)
	sumSquaresKernel(avx2, "eight")
}

// zeroAccs returns n zeroed float64 accumulators.
func zeroAccs(s vecISA, n int) []VecVirtual {
	acc := make([]VecVirtual, n)
	for i := range acc {
		acc[i] = s.vec()
		s.xorpd(acc[i], acc[i], acc[i])
	}
	return acc
}

// lowerHalf is the lower half of the ymm or zmm v: the same register,
// half as wide.
func lowerHalf(v VecVirtual) VecVirtual {
	if v.Size() == 64 {
		return v.AsY().(VecVirtual)
	}
	return v.AsX().(VecVirtual)
}

// extractUpper emits the upper half of the ymm or zmm v into dst, a
// register half as wide.
func extractUpper(v VecVirtual, dst Op) {
	if v.Size() == 64 {
		VEXTRACTF64X4(U8(1), v, dst)
	} else {
		VEXTRACTF128(U8(1), v, dst)
	}
}

// foldHalves emits op(upper half, lower half) into the lower half of v
// until it is an xmm register, and returns that xmm and the register
// that held the last upper half.
func foldHalves(v VecVirtual, op func(...Op)) (x, hi VecVirtual) {
	for v.Size() > 16 {
		if v.Size() == 64 {
			hi = YMM()
		} else {
			hi = XMM()
		}
		extractUpper(v, hi)
		v = lowerHalf(v)
		op(hi, v, v)
	}
	return v, hi
}

// sumAccs emits the float64 sum of every lane of the accumulators into
// the low lane of the first one's xmm, which it returns.
func sumAccs(acc []VecVirtual) VecVirtual {
	for _, a := range acc[1:] {
		VADDPD(a, acc[0], acc[0])
	}
	x, _ := foldHalves(acc[0], VADDPD)
	VHADDPD(x, x, x)
	return x
}

// maxLanes emits the largest of the float32 lanes of m (by VMAXPS, so a
// NaN may or may not win) into the low lane of its xmm, which it returns.
func maxLanes(m VecVirtual) VecVirtual {
	x, hi := foldHalves(m, VMAXPS)
	VPERMILPS(U8(0x4e), x, hi)
	VMAXPS(hi, x, x)
	VPERMILPS(U8(0xb1), x, hi)
	VMAXPS(hi, x, x)
	return x
}

// widenPD emits the float32 lanes of v widened to float64: the lower
// half's in lo and the upper half's in hi.
func widenPD(s vecISA, v VecVirtual) (lo, hi VecVirtual) {
	lo, hi = s.vec(), s.vec()
	VCVTPS2PD(lowerHalf(v), lo)
	extractUpper(v, lowerHalf(hi))
	VCVTPS2PD(lowerHalf(hi), hi)
	return lo, hi
}

// maxFrame opens Max for s with its doc, whose first lines are intro,
// and returns the registers of len(x) and &x[0].
func maxFrame(s vecISA, intro ...string) (n, p Register) {
	TEXT("Max"+s.name, NOSPLIT, "func(x []float32) float32")
	Pragma("noescape")
	Doc(append(intro,
		"",
		"\tm := x[0]",
		"\tfor _, v := range x {",
		"\t\tif v > m || v != v {",
		"\t\t\tm = v",
		"\t\t}",
		"\t}",
		"",
		"but once it has seen a NaN it returns NaN. x must not be empty.",
	)...)
	return Load(Param("x").Len(), GP64()), Load(Param("x").Base(), GP64())
}

// maxReturn closes Max: the code returns NaN if it falls through to it,
// and the low lane of m if it jumps to "ret".
func maxReturn(m VecVirtual) {
	VMOVSS(constF("NaN", float32(math.NaN())), m)
	Label("ret")
	Store(m, ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// maxKernel writes MaxAVX2. It and max512Kernel share the loop and the
// reduction of the lanes but not the NaN tracking and the tail: AVX2 ORs
// vectors of the NaN lanes and blends -Inf into the tail, AVX-512 narrows
// an opmask of the ordered lanes and leaves the tail out of a masked
// VMAXPS, and a vecISA of both would be longer than the two loops.
func maxKernel() {
	n, p := maxFrame(avx2, "MaxAVX2 returns the largest element of x, or NaN if x holds a NaN:")
	var ms, nans [vecUnroll]VecVirtual
	for u := range ms {
		ms[u] = avx2.constant("NegInf", float32(math.Inf(-1)))
		nans[u] = YMM()
		VXORPS(nans[u], nans[u], nans[u])
	}
	vecLoop(avx2, n, []Register{p}, func(load func(int) VecVirtual, _ func(int, VecVirtual), mask Register, u int) {
		v := load(0)
		if mask != nil {
			ninf := avx2.constant("NegInf", float32(math.Inf(-1)))
			VBLENDVPS(mask, v, ninf, v) // lanes past the tail are -Inf
		}
		isNaN := YMM()
		VCMPPS(U8(3), v, v, isNaN) // unordered
		VORPS(isNaN, nans[u], nans[u])
		VMAXPS(v, ms[u], ms[u])
	})
	Comment("Reduce the slots and lanes; a NaN seen anywhere wins.")
	m, nan := ms[0], nans[0]
	for u := 1; u < vecUnroll; u++ {
		VMAXPS(ms[u], m, m)
		VORPS(nans[u], nan, nan)
	}
	m = maxLanes(m)
	bits := GP32()
	VMOVMSKPS(nan, bits)
	TESTL(bits, bits)
	JZ(LabelRef("ret"))
	maxReturn(m)
}

// expShiftSumKernel writes ExpShiftSum for s, its doc opening with intro
// and closing with outro.
func expShiftSumKernel(s vecISA, intro, outro []string) {
	TEXT("ExpShiftSum"+s.name, NOSPLIT, "func(x []float32, shift float32) float64")
	Pragma("noescape")
	doc := append(append([]string{}, intro...),
		"",
		"\tvar sum float64",
		"\tfor i := range x {",
		"\t\tx[i] = exp(x[i] - shift)",
		"\t\tsum += float64(x[i])",
		"\t}",
		"\treturn sum",
	)
	Doc(append(doc, outro...)...)
	n := Load(Param("x").Len(), GP64())
	p := Load(Param("x").Base(), GP64())
	sh := s.vec()
	VBROADCASTSS(paramAddr("shift"), sh)
	acc := zeroAccs(s, 4)
	vecLoop(s, n, []Register{p}, func(load func(int) VecVirtual, store func(int, VecVirtual), mask Register, u int) {
		v := load(0)
		VSUBPS(sh, v, v)
		e := expPS(s, v)
		store(0, e)
		if mask != nil {
			s.zeroOff(mask, e) // lanes past the tail add nothing
		}
		lo, hi := widenPD(s, e)
		VADDPD(lo, acc[2*(u%2)], acc[2*(u%2)])
		VADDPD(hi, acc[2*(u%2)+1], acc[2*(u%2)+1])
	})
	Store(sumAccs(acc), ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// sumSquaresKernel writes SumSquares for s, whose doc gives its number of
// float64 lanes as lanes.
func sumSquaresKernel(s vecISA, lanes string) {
	name := "SumSquares" + s.name
	TEXT(name, NOSPLIT, "func(x []float32) float64")
	Pragma("noescape")
	Doc(
		name+" is",
		"",
		"\tvar sum float64",
		"\tfor _, v := range x {",
		"\t\tsum += float64(v) * float64(v)",
		"\t}",
		"\treturn sum",
		"",
		"with the sum taken in "+lanes+" float64 lanes.",
	)
	n := Load(Param("x").Len(), GP64())
	p := Load(Param("x").Base(), GP64())
	acc := zeroAccs(s, 2*vecUnroll)
	vecLoop(s, n, []Register{p}, func(load func(int) VecVirtual, _ func(int, VecVirtual), _ Register, u int) {
		lo, hi := widenPD(s, load(0))
		VFMADD231PD(lo, lo, acc[2*u])
		VFMADD231PD(hi, hi, acc[2*u+1])
	})
	Store(sumAccs(acc), ReturnIndex(0))
	VZEROUPPER()
	RET()
}
