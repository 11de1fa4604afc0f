package main

import (
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// avx512 is the 16-lane AVX-512F instruction set. AVX-512F alone changes
// a few of AVX2's instructions: constants are broadcast from the first
// element of the constant vectors (as embedded-broadcast operands or with
// VBROADCASTSS), VPXORD, VPANDD and VPORD stand for VXORPS, VXORPD,
// VANDPS and VORPS (whose zmm forms need AVX512DQ), VRNDSCALEPS for
// VROUNDPS, and comparisons write opmasks, which VBLENDMPS and
// zero-masking select by. A ragged tail of 1-15 elements is loaded
// zero-masked and stored masked under an opmask from tailMask16's table.
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
	movC:        VBROADCASTSS,
	addC:        VADDPS_BCST,
	mulC:        VMULPS_BCST,
	fmadd213C:   VFMADD213PS_BCST,
	fnmadd231C:  VFNMADD231PS_BCST,
	padddC:      VPADDD_BCST,
	xorC:        VPXORD_BCST,
	andC:        VPANDD_BCST,
	mask:        func() Register { return K() },
	cmpC:        func(predicate uint8, c Mem, x VecVirtual, dst Register) { VCMPPS_BCST(U8(predicate), c, x, dst) },
	xorps:       VPXORD,
	xorpd:       VPXORD,
	orps:        VPORD,
	roundps:     func(mode, src, dst Op) { VRNDSCALEPS(mode, src, dst) },
	blend:       func(mask Register, a, b, dst VecVirtual) { VBLENDMPS(a, b, mask, dst) },
	zeroOff:     func(mask Register, v VecVirtual) { VMOVUPS_Z(v, mask, v) },
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

// vecAVX512 writes the AVX-512 vector kernels. Their reductions sum in 16
// float64 lanes instead of 8, so their sums may differ from the AVX2 ones
// in the last bits.
func vecAVX512() {
	mapKernels(avx512)
	max512Kernel()
	expShiftSumKernel(avx512, []string{
		"ExpShiftSumAVX512 is ExpShiftSumAVX2 on 16 lanes: with exp accurate to",
		"1 ulp of float64 math (e^x rounds to 0 below -104 and overflows to +Inf",
		"above 88.72), and the same bits in x as ExpShiftSumAVX2,",
	}, []string{
		"",
		"with the sum taken in 16 float64 lanes.",
	})
	sumSquaresKernel(avx512, "16")
}

// max512Kernel writes MaxAVX512 (see maxKernel): it tracks the NaNs as
// the opmask of the lanes that have seen none, which each comparison
// narrows under itself.
func max512Kernel() {
	n, p := maxFrame(avx512,
		"MaxAVX512 is MaxAVX2 on 16 lanes. It returns the largest element of x,",
		"or NaN if x holds a NaN:",
	)
	// ordered[u] keeps the lanes of slot u that have seen no NaN.
	var ms [vecUnroll]VecVirtual
	var ordered [vecUnroll]Register
	all := GP32()
	MOVL(U32(0xffff), all)
	for u := range ms {
		ms[u] = avx512.constant("NegInf", float32(math.Inf(-1)))
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
	m = maxLanes(m)
	bits := GP32()
	KMOVW(ordered[0], bits)
	for u := 1; u < vecUnroll; u++ {
		b := GP32()
		KMOVW(ordered[u], b)
		ANDL(b, bits)
	}
	CMPL(bits, U32(0xffff))
	JE(LabelRef("ret"))
	maxReturn(m)
}
