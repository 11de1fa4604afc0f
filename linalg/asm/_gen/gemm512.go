package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

var zRegs = []VecPhysical{
	Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
	Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31,
}

// gemmAVX512 writes GemmAVX512x12x32 and PackB32AVX512. The 12x32 tile
// takes 24 zmm accumulators: 24 FMAs per 14 loads keep both FMA ports of
// an Intel core busy at its 2 loads per cycle, and Zen 4's double-pumped
// unit too, with 24 independent chains against a 4-cycle latency.
func gemmAVX512() {
	// The 32-bit column mask of a tile n <= 32 columns wide is entry n,
	// (1<<n)-1: its low half masks the first 16 columns, its high half the
	// next 16.
	mask := GLOBL("gemm512ColumnMask", RODATA|NOPTR)
	for n := 0; n <= 32; n++ {
		DATA(4*n, U32(uint32(1)<<n-1)) // n = 32: all ones (a shift by 32 gives 0)
	}
	mk := &microKernel{
		name: "GemmAVX512x12x32", isa: "AVX-512F", mr: 12, lanes: 16,
		vecs:  zRegs,
		b:     [2]VecPhysical{Z24, Z25},
		bcast: []VecPhysical{Z26, Z27, Z28, Z29},
		alpha: Z30, beta: Z31, cTmp: Z26,
		prefetch:  []int{0, 64, 124},
		zero:      func(v VecPhysical) { VPXORD(v, v, v) }, // VXORPS on zmm is AVX512DQ
		edges:     "opmasks",
		loadMasks: func(n Register) { columnMasks512(mask, n) },
		masks:     [2]Op{K1, K2},
		maskLoad:  func(mem, mask, dst Op) { VMOVUPS_Z(mem, mask, dst) },
		maskStore: func(src, mask, mem Op) { VMOVUPS(src, mask, mem) },
	}
	mk.emit()
	packB32AVX512(mask)
}

// columnMasks512 sets K1 and K2 to the masks of the first n of 32
// columns (n <= 32), from gemm512ColumnMask.
func columnMasks512(mask Mem, n Register) {
	bits := GP64()
	LEAQ(mask, bits)
	MOVL(Mem{Base: bits, Index: n, Scale: 4}, bits.As32())
	KMOVW(bits.As32(), K1)
	SHRQ(U8(16), bits)
	KMOVW(bits.As32(), K2)
}

// packB32AVX512 writes PackB32AVX512, which copies a 32-column panel of B
// into the packed layout the micro-kernel reads, zero padding ragged
// panels through zero-masked loads.
func packB32AVX512(mask Mem) {
	TEXT("PackB32AVX512", NOSPLIT, "func(dst, b []float32, ldb, k, n int)")
	Pragma("noescape")
	Doc(
		"PackB32AVX512 is, for 1 <= n <= 32,",
		"",
		"\tfor p := 0; p < k; p++ {",
		"\t\tfor j := 0; j < 32; j++ {",
		"\t\t\tdst[32*p+j] = 0",
		"\t\t\tif j < n {",
		"\t\t\t\tdst[32*p+j] = b[p*ldb+j]",
		"\t\t\t}",
		"\t\t}",
		"\t}",
		"",
		"len(dst) >= 32k and len(b) >= (k-1)*ldb+n are the caller's to ensure.",
	)
	d := Load(Param("dst").Base(), GP64())
	src := Load(Param("b").Base(), GP64())
	ldb := Load(Param("ldb"), GP64())
	k := Load(Param("k"), GP64())
	n := Load(Param("n"), GP64())
	SHLQ(U8(2), ldb)
	TESTQ(k, k)
	JZ(LabelRef("done"))
	columnMasks512(mask, n)
	Label("loop")
	VMOVUPS_Z(Mem{Base: src}, K1, Z0)
	VMOVUPS_Z(Mem{Base: src, Disp: 64}, K2, Z1)
	VMOVUPS(Z0, Mem{Base: d})
	VMOVUPS(Z1, Mem{Base: d, Disp: 64})
	ADDQ(ldb, src)
	ADDQ(U32(128), d)
	DECQ(k)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}
