package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The AVX2+FMA micro-kernel keeps a 6x16 tile of C in twelve ymm
// accumulators (two per row) and, for each step of k, loads 16 values of
// the packed B panel and broadcasts the 6 values of the packed A panel:
// 12 FMAs per 8 loads, enough independent chains to cover the FMA latency
// on Zen 3 and Intel cores alike.
const (
	gemmMR = 6
	gemmNR = 16
)

// acc returns the accumulator of row r, half h (columns 8h..8h+7).
func acc(r, h int) VecPhysical { return yRegs[2*r+h] }

var yRegs = []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}

func gemmAVX2() {
	// mask[16-n : 32-n] has its first n lanes set: the column mask of a
	// tile n < 16 columns wide.
	mask := GLOBL("gemmColumnMask", RODATA|NOPTR)
	for i := 0; i < 32; i++ {
		v := U32(0)
		if i < 16 {
			v = U32(0xffffffff)
		}
		DATA(4*i, v)
	}

	TEXT("GemmAVX2x6x16", NOSPLIT, "func(k int, alpha float32, a []float32, aRow, aStep int, b []float32, bStep, bPanel int, beta float32, c []float32, ldc, m, n int)")
	Pragma("noescape")
	Doc(
		"GemmAVX2x6x16 is the AVX2+FMA GEMM micro-kernel. With",
		"A(i, p) = a[i*aRow+p*aStep] and B(p, j) = b[p*bStep+j], it computes",
		"for i < m <= 6 and j < n <= 16",
		"",
		"\tvar acc [6][16]float32",
		"\tfor p := 0; p < k; p++ {",
		"\t\tfor i := range acc {",
		"\t\t\tfor j := range acc[i] {",
		"\t\t\t\tacc[i][j] += A(i, p) * B(p, j) // fused multiply-add",
		"\t\t\t}",
		"\t\t}",
		"\t}",
		"\tc[i*ldc+j] = alpha*acc[i][j] + beta*c[i*ldc+j] // fused; C is not read when beta == 0",
		"",
		"A packed panel has aRow = 1, aStep = 6 and bStep = 16; the strides also",
		"let it read a row-major A (aRow = lda, aStep = 1), a transposed one",
		"(aRow = 1, aStep = lda) and B's rows (bStep = ldb) in place. It reads",
		"all 6 rows of A and 16 columns of B (8 when n <= 8) for every p, so the",
		"caller must make those elements addressable in a and b, and",
		"len(c) >= (m-1)*ldc+n; m, n and k must be at least 1. C is neither",
		"read nor written past its first m rows and n columns (ragged edges",
		"use masked loads and stores).",
		"",
		"With n > 16 it computes one such tile per 16 columns of C, moving b",
		"by bPanel elements and c by 16 from one to the next (bPanel = 16k for",
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
	Comment("Rows 0-2 of A are at a0 + {0,1,2}*aRow, rows 3-5 at a3 + {0,1,2}*aRow.")
	a3 := GP64()
	LEAQ(Mem{Base: a0, Index: aRow, Scale: 2}, a3)
	ADDQ(aRow, a3)

	Comment("Zero the accumulators and prefetch the C tile.")
	for r := 0; r < gemmMR; r++ {
		VXORPS(acc(r, 0), acc(r, 0), acc(r, 0))
		VXORPS(acc(r, 1), acc(r, 1), acc(r, 1))
	}
	pc := GP64()
	MOVQ(cp, pc)
	for r := 0; r < gemmMR; r++ {
		PREFETCHT0(Mem{Base: pc})
		PREFETCHT0(Mem{Base: pc, Disp: 60})
		if r < gemmMR-1 {
			ADDQ(ldc, pc)
		}
	}

	// step emits one step of k over halves of the tile's columns.
	step := func(halves int) {
		for h := 0; h < halves; h++ {
			VMOVUPS(Mem{Base: bp, Disp: 32 * h}, yRegs[12+h])
		}
		for r := 0; r < gemmMR; r++ {
			t := []VecPhysical{Y14, Y15}[r%2]
			base := []Register{a0, a3}[r/3]
			addr := Mem{Base: base}
			if r%3 > 0 {
				addr = Mem{Base: base, Index: aRow, Scale: uint8(r % 3)}
			}
			VBROADCASTSS(addr, t)
			for h := 0; h < halves; h++ {
				VFMADD231PS(yRegs[12+h], t, acc(r, h))
			}
		}
		ADDQ(bStep, bp)
		ADDQ(aStep, a0)
		ADDQ(aStep, a3)
	}
	Comment("A panel of 8 columns or fewer (the last 4 of 100) needs only the first half of each row.")
	CMPQ(Load(Param("n"), GP64()), U8(8))
	JLE(LabelRef("narrow"))
	quads := GP64()
	kLoop("", k, quads, func() { step(2) }, false)
	Label("narrow")
	kLoop("narrow_", k, quads, func() { step(1) }, true)

	Label("epilogue")
	Comment("Scale by alpha unless it is 1; Y12 is then free for C, Y13 holds beta, Y14 and Y15 the column mask.")
	alphaBits := GP32()
	MOVL(paramAddr("alpha"), alphaBits)
	CMPL(alphaBits, U32(math.Float32bits(1)))
	JE(LabelRef("scaled"))
	VBROADCASTSS(paramAddr("alpha"), Y12)
	for r := 0; r < gemmMR; r++ {
		VMULPS(Y12, acc(r, 0), acc(r, 0))
		VMULPS(Y12, acc(r, 1), acc(r, 1))
	}
	Label("scaled")
	VBROADCASTSS(paramAddr("beta"), Y13)
	m := Load(Param("m"), GP64())
	n := Load(Param("n"), GP64())
	betaBits := GP32()
	MOVL(paramAddr("beta"), betaBits)
	ANDL(U32(0x7fffffff), betaBits) // -0 counts as 0, as in Go's beta == 0
	CMPQ(n, U8(gemmNR))
	JL(LabelRef("masked"))
	TESTL(betaBits, betaBits)
	JZ(LabelRef("full_beta0"))
	storeRows("full_beta", gemmMR, cp, ldc, m, func(r int, row Mem) {
		for h := 0; h < 2; h++ {
			VFMADD231PS(row.Offset(32*h), Y13, acc(r, h))
			VMOVUPS(acc(r, h), row.Offset(32*h))
		}
	})
	storeRows("full_beta0", gemmMR, cp, ldc, m, func(r int, row Mem) {
		VMOVUPS(acc(r, 0), row)
		VMOVUPS(acc(r, 1), row.Offset(32))
	})

	Label("masked")
	maskBase := GP64()
	LEAQ(mask, maskBase)
	NEGQ(n)
	ADDQ(U8(gemmNR), n)
	VMOVDQU(Mem{Base: maskBase, Index: n, Scale: 4}, Y14)
	VMOVDQU(Mem{Base: maskBase, Index: n, Scale: 4, Disp: 32}, Y15)
	TESTL(betaBits, betaBits)
	JZ(LabelRef("masked_beta0"))
	storeRows("masked_beta", gemmMR, cp, ldc, m, func(r int, row Mem) {
		for h := 0; h < 2; h++ {
			mk := []VecPhysical{Y14, Y15}[h]
			VMASKMOVPS(row.Offset(32*h), mk, Y12)
			VFMADD231PS(Y12, Y13, acc(r, h))
			VMASKMOVPS(acc(r, h), mk, row.Offset(32*h))
		}
	})
	storeRows("masked_beta0", gemmMR, cp, ldc, m, func(r int, row Mem) {
		VMASKMOVPS(acc(r, 0), Y14, row)
		VMASKMOVPS(acc(r, 1), Y15, row.Offset(32))
	})

	nextPanel(gemmNR)
	packB16AVX2(mask)
}

// nextPanel emits the end of a micro-kernel that computes a row of tiles
// nr columns wide: at the label "next" it moves b by bPanel elements and c
// by nr and jumps back to "panel" while columns are left, else returns.
func nextPanel(nr int) {
	Comment(fmt.Sprintf("Move to the next %d columns, if any.", nr))
	Label("next")
	left := Load(Param("n"), GP64())
	SUBQ(U8(nr), left)
	JLE(LabelRef("return"))
	Store(left, Param("n"))
	nextC := Load(Param("c").Base(), GP64())
	ADDQ(imm(4*nr), nextC)
	Store(nextC, Param("c").Base())
	nextB := Load(Param("b").Base(), GP64())
	panelStep := Load(Param("bPanel"), GP64())
	LEAQ(Mem{Base: nextB, Index: panelStep, Scale: 4}, nextB)
	Store(nextB, Param("b").Base())
	JMP(LabelRef("panel"))
	Label("return")
	VZEROUPPER()
	RET()
}

// kLoop emits a k loop under the label prefix: step unrolled four times
// while four steps are left, then once per step. It ends at the label
// "epilogue", jumping there unless it is the last loop emitted before it.
// It clobbers k and quads.
func kLoop(prefix string, k, quads Register, step func(), last bool) {
	MOVQ(k, quads)
	SHRQ(U8(2), quads)
	JZ(LabelRef(prefix + "tail"))
	Label(prefix + "loop4")
	for u := 0; u < 4; u++ {
		step()
	}
	DECQ(quads)
	JNZ(LabelRef(prefix + "loop4"))
	Label(prefix + "tail")
	ANDQ(U8(3), k)
	JZ(LabelRef("epilogue"))
	Label(prefix + "loop1")
	step()
	DECQ(k)
	JNZ(LabelRef(prefix + "loop1"))
	if !last {
		JMP(LabelRef("epilogue"))
	}
}

// storeRows emits the labelled store of the first m rows of a tile of
// rows rows: store(r, row) writes row r at row, then the code moves to the
// next row or, once m rows are done, jumps to the label "next". It
// clobbers cp and m.
func storeRows(label string, rows int, cp, ldc, m Register, store func(r int, row Mem)) {
	Label(label)
	for r := 0; r < rows; r++ {
		store(r, Mem{Base: cp})
		if r == rows-1 {
			break
		}
		DECQ(m)
		JZ(LabelRef(fmt.Sprintf("%s_done", label)))
		ADDQ(ldc, cp)
	}
	Label(fmt.Sprintf("%s_done", label))
	JMP(LabelRef("next"))
}

// imm is x as an immediate, 8 bits wide when it fits in a signed byte.
func imm(x int) Constant {
	if x <= math.MaxInt8 {
		return U8(x)
	}
	return U32(x)
}

// paramAddr is the stack address of the named scalar argument.
func paramAddr(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// packB16AVX2 writes PackB16AVX2, which copies a 16-column panel of B
// into the packed layout the micro-kernel reads, zero padding ragged
// panels through masked loads.
func packB16AVX2(mask Mem) {
	TEXT("PackB16AVX2", NOSPLIT, "func(dst, b []float32, ldb, k, n int)")
	Pragma("noescape")
	Doc(
		"PackB16AVX2 is, for 1 <= n <= 16,",
		"",
		"\tfor p := 0; p < k; p++ {",
		"\t\tfor j := 0; j < 16; j++ {",
		"\t\t\tdst[16*p+j] = 0",
		"\t\t\tif j < n {",
		"\t\t\t\tdst[16*p+j] = b[p*ldb+j]",
		"\t\t\t}",
		"\t\t}",
		"\t}",
		"",
		"len(dst) >= 16k and len(b) >= (k-1)*ldb+n are the caller's to ensure.",
	)
	d := Load(Param("dst").Base(), GP64())
	src := Load(Param("b").Base(), GP64())
	ldb := Load(Param("ldb"), GP64())
	k := Load(Param("k"), GP64())
	n := Load(Param("n"), GP64())
	SHLQ(U8(2), ldb)
	TESTQ(k, k)
	JZ(LabelRef("done"))
	CMPQ(n, U8(gemmNR))
	JNE(LabelRef("ragged"))
	Label("full")
	VMOVUPS(Mem{Base: src}, Y0)
	VMOVUPS(Mem{Base: src, Disp: 32}, Y1)
	VMOVUPS(Y0, Mem{Base: d})
	VMOVUPS(Y1, Mem{Base: d, Disp: 32})
	ADDQ(ldb, src)
	ADDQ(U8(4*gemmNR), d)
	DECQ(k)
	JNZ(LabelRef("full"))
	JMP(LabelRef("done"))

	Label("ragged")
	base := GP64()
	LEAQ(mask, base)
	NEGQ(n)
	ADDQ(U8(gemmNR), n)
	VMOVDQU(Mem{Base: base, Index: n, Scale: 4}, Y2)
	VMOVDQU(Mem{Base: base, Index: n, Scale: 4, Disp: 32}, Y3)
	Label("raggedLoop")
	VMASKMOVPS(Mem{Base: src}, Y2, Y0)
	VMASKMOVPS(Mem{Base: src, Disp: 32}, Y3, Y1)
	VMOVUPS(Y0, Mem{Base: d})
	VMOVUPS(Y1, Mem{Base: d, Disp: 32})
	ADDQ(ldb, src)
	ADDQ(U8(4*gemmNR), d)
	DECQ(k)
	JNZ(LabelRef("raggedLoop"))
	Label("done")
	VZEROUPPER()
	RET()
}
