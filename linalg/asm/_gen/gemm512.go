package main

import (
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The AVX-512 micro-kernel keeps a 12x32 tile of C in 24 zmm accumulators
// (two per row). For each step of k it loads 32 values of the B panel into
// two registers and broadcasts each of the A panel's 12 values once, for
// two FMAs: 24 FMAs per 14 loads. That keeps both FMA ports of an Intel
// core busy at its 2 loads per cycle, and Zen 4's double-pumped unit too,
// with 24 independent chains against a 4-cycle latency. A panel 16 columns
// wide or less (the MLP's 10 outputs, the last 4 of 100 hidden units) runs
// a narrow loop with one accumulator per row, so it does not pay for 32.
const (
	gemm512MR = 12
	gemm512NR = 32
)

var zRegs = []VecPhysical{
	Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
	Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31,
}

// zacc returns the accumulator of row r, half h (columns 16h..16h+15).
// Z24-Z25 hold B, Z26-Z29 the broadcasts of A, Z30 alpha and Z31 beta.
func zacc(r, h int) VecPhysical { return zRegs[2*r+h] }

// gemmAVX512 writes GemmAVX512x12x32 and PackB32AVX512.
func gemmAVX512() {
	// The 32-bit column mask of a tile n < 32 columns wide is entry n,
	// (1<<n)-1: its low half masks the first 16 columns, its high half the
	// next 16.
	mask := GLOBL("gemm512ColumnMask", RODATA|NOPTR)
	for n := 0; n < gemm512NR; n++ {
		DATA(4*n, U32(uint32(1)<<n-1))
	}

	TEXT("GemmAVX512x12x32", NOSPLIT, "func(k int, alpha float32, a []float32, aRow, aStep int, b []float32, bStep, bPanel int, beta float32, c []float32, ldc, m, n int)")
	Pragma("noescape")
	Doc(
		"GemmAVX512x12x32 is the AVX-512F GEMM micro-kernel. With",
		"A(i, p) = a[i*aRow+p*aStep] and B(p, j) = b[p*bStep+j], it computes",
		"for i < m <= 12 and j < n <= 32",
		"",
		"\tvar acc [12][32]float32",
		"\tfor p := 0; p < k; p++ {",
		"\t\tfor i := range acc {",
		"\t\t\tfor j := range acc[i] {",
		"\t\t\t\tacc[i][j] += A(i, p) * B(p, j) // fused multiply-add",
		"\t\t\t}",
		"\t\t}",
		"\t}",
		"\tc[i*ldc+j] = alpha*acc[i][j] + beta*c[i*ldc+j] // fused; C is not read when beta == 0",
		"",
		"A packed panel has aRow = 1, aStep = 12 and bStep = 32; the strides also",
		"let it read a row-major A (aRow = lda, aStep = 1), a transposed one",
		"(aRow = 1, aStep = lda) and B's rows (bStep = ldb) in place. It reads",
		"all 12 rows of A and 32 columns of B (16 when n <= 16) for every p, so",
		"the caller must make those elements addressable in a and b, and",
		"len(c) >= (m-1)*ldc+n; m, n and k must be at least 1. C is neither",
		"read nor written past its first m rows and n columns (ragged edges use",
		"opmasks).",
		"",
		"With n > 32 it computes one such tile per 32 columns of C, moving b",
		"by bPanel elements and c by 32 from one to the next (bPanel = 32k for",
		"consecutive packed panels): one call covers a row of tiles.",
	)

	Label("panel")
	k := Load(Param("k"), GP64())
	a0 := Load(Param("a").Base(), GP64())
	aRow := Load(Param("aRow"), GP64())
	aStep := Load(Param("aStep"), GP64())
	bp := Load(Param("b").Base(), GP64())
	bStep := Load(Param("bStep"), GP64())
	cp := Load(Param("c").Base(), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), aRow)
	SHLQ(U8(2), aStep)
	SHLQ(U8(2), bStep)
	SHLQ(U8(2), ldc)
	Comment("Rows 3g, 3g+1 and 3g+2 of A are at base g + {0,1,2}*aRow.")
	bases := []Register{a0, GP64(), GP64(), GP64()}
	for g := 1; g < len(bases); g++ {
		LEAQ(Mem{Base: bases[g-1], Index: aRow, Scale: 2}, bases[g])
		ADDQ(aRow, bases[g])
	}

	Comment("Zero the accumulators and prefetch the C tile.")
	for r := 0; r < gemm512MR; r++ {
		VPXORD(zacc(r, 0), zacc(r, 0), zacc(r, 0))
		VPXORD(zacc(r, 1), zacc(r, 1), zacc(r, 1))
	}
	pc := GP64()
	MOVQ(cp, pc)
	for r := 0; r < gemm512MR; r++ {
		PREFETCHT0(Mem{Base: pc})
		PREFETCHT0(Mem{Base: pc, Disp: 64})
		PREFETCHT0(Mem{Base: pc, Disp: 124})
		if r < gemm512MR-1 {
			ADDQ(ldc, pc)
		}
	}

	// step emits one step of k over halves of the tile's columns.
	step := func(halves int) {
		for h := 0; h < halves; h++ {
			VMOVUPS(Mem{Base: bp, Disp: 64 * h}, zRegs[24+h])
		}
		for r := 0; r < gemm512MR; r++ {
			t := zRegs[26+r%4]
			addr := Mem{Base: bases[r/3]}
			if r%3 > 0 {
				addr = Mem{Base: bases[r/3], Index: aRow, Scale: uint8(r % 3)}
			}
			VBROADCASTSS(addr, t)
			for h := 0; h < halves; h++ {
				VFMADD231PS(zRegs[24+h], t, zacc(r, h))
			}
		}
		ADDQ(bStep, bp)
		for _, base := range bases {
			ADDQ(aStep, base)
		}
	}
	Comment("A panel of 16 columns or fewer needs only the first half of each row.")
	CMPQ(Load(Param("n"), GP64()), U8(16))
	JLE(LabelRef("narrow"))
	quads := GP64()
	kLoop("", k, quads, func() { step(2) }, false)
	Label("narrow")
	kLoop("narrow_", k, quads, func() { step(1) }, true)

	Label("epilogue")
	Comment("Scale by alpha unless it is 1; Z31 holds beta, Z26 is free for C.")
	alphaBits := GP32()
	MOVL(paramAddr("alpha"), alphaBits)
	CMPL(alphaBits, U32(math.Float32bits(1)))
	JE(LabelRef("scaled"))
	VBROADCASTSS(paramAddr("alpha"), Z30)
	for r := 0; r < gemm512MR; r++ {
		VMULPS(Z30, zacc(r, 0), zacc(r, 0))
		VMULPS(Z30, zacc(r, 1), zacc(r, 1))
	}
	Label("scaled")
	VBROADCASTSS(paramAddr("beta"), Z31)
	m := Load(Param("m"), GP64())
	n := Load(Param("n"), GP64())
	betaBits := GP32()
	MOVL(paramAddr("beta"), betaBits)
	ANDL(U32(0x7fffffff), betaBits) // -0 counts as 0, as in Go's beta == 0
	CMPQ(n, U8(gemm512NR))
	JL(LabelRef("masked"))
	TESTL(betaBits, betaBits)
	JZ(LabelRef("full_beta0"))
	storeRows("full_beta", gemm512MR, cp, ldc, m, func(r int, row Mem) {
		for h := 0; h < 2; h++ {
			VFMADD231PS(row.Offset(64*h), Z31, zacc(r, h))
			VMOVUPS(zacc(r, h), row.Offset(64*h))
		}
	})
	storeRows("full_beta0", gemm512MR, cp, ldc, m, func(r int, row Mem) {
		VMOVUPS(zacc(r, 0), row)
		VMOVUPS(zacc(r, 1), row.Offset(64))
	})

	Label("masked")
	bits := GP64()
	LEAQ(mask, bits)
	MOVL(Mem{Base: bits, Index: n, Scale: 4}, bits.As32())
	KMOVW(bits.As32(), K1)
	SHRQ(U8(16), bits)
	KMOVW(bits.As32(), K2)
	TESTL(betaBits, betaBits)
	JZ(LabelRef("masked_beta0"))
	storeRows("masked_beta", gemm512MR, cp, ldc, m, func(r int, row Mem) {
		for h, mk := range []Register{K1, K2} {
			VMOVUPS_Z(row.Offset(64*h), mk, Z26)
			VFMADD231PS(Z26, Z31, zacc(r, h))
			VMOVUPS(zacc(r, h), mk, row.Offset(64*h))
		}
	})
	storeRows("masked_beta0", gemm512MR, cp, ldc, m, func(r int, row Mem) {
		VMOVUPS(zacc(r, 0), K1, row)
		VMOVUPS(zacc(r, 1), K2, row.Offset(64))
	})

	nextPanel(gemm512NR)
	packB32AVX512(mask)
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
	Comment("All 32 lanes are loaded when n == 32, the first n otherwise.")
	bits := GP64()
	MOVQ(U32(0xffffffff), bits)
	CMPQ(n, U8(gemm512NR))
	JGE(LabelRef("masks"))
	LEAQ(mask, bits)
	MOVL(Mem{Base: bits, Index: n, Scale: 4}, bits.As32())
	Label("masks")
	KMOVW(bits.As32(), K1)
	SHRQ(U8(16), bits)
	KMOVW(bits.As32(), K2)
	Label("loop")
	VMOVUPS_Z(Mem{Base: src}, K1, Z0)
	VMOVUPS_Z(Mem{Base: src, Disp: 64}, K2, Z1)
	VMOVUPS(Z0, Mem{Base: d})
	VMOVUPS(Z1, Mem{Base: d, Disp: 64})
	ADDQ(ldb, src)
	ADDQ(U32(4*gemm512NR), d)
	DECQ(k)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}
