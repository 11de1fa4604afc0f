package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// gemvRows is how many rows of B AxpyRowsAVX2 adds into y per pass: it
// broadcasts their eight scaled x values once, then sweeps y, so each
// element of y is loaded and stored once per eight FMAs.
const gemvRows = 8

// gemvAVX2 writes AxpyRowsAVX2, the kernel of Gemm's path for products
// with one or a few rows: y += alpha * x·B, reading B's rows in place.
// Unlike the micro-kernel it needs no packing and does no padded work, so
// one sample's forward pass costs about one read of the weights.
func gemvAVX2() {
	TEXT("AxpyRowsAVX2", NOSPLIT, "func(k int, alpha float32, x []float32, incx int, b []float32, ldb int, y []float32)")
	Pragma("noescape")
	Doc(
		"AxpyRowsAVX2 is, for k >= 1 and len(y) >= 1,",
		"",
		"\tfor p := 0; p < k; p++ {",
		"\t\ts := alpha * x[p*incx]",
		"\t\tfor j := range y {",
		"\t\t\ty[j] += s * b[p*ldb+j] // fused multiply-add",
		"\t\t}",
		"\t}",
		"",
		"It adds eight rows of B per sweep over y, in the order of the loop, so",
		"every y[j] sees the same operations as in the loop above.",
		"len(x) >= (k-1)*incx+1 and len(b) >= (k-1)*ldb+len(y) are the caller's",
		"to ensure.",
	)
	k := Load(Param("k"), GP64())
	xp := Load(Param("x").Base(), GP64())
	incx := Load(Param("incx"), GP64())
	SHLQ(U8(2), incx)
	bp := Load(Param("b").Base(), GP64())
	ldb := Load(Param("ldb"), GP64())
	SHLQ(U8(2), ldb)
	yBase := Load(Param("y").Base(), GP64())
	n := Load(Param("y").Len(), GP64())

	alpha := YMM()
	VBROADCASTSS(NewParamAddr("alpha", 8), alpha)

	// The tail's lane mask: vecTailMask's 32 bytes at 4*(8 - n%8).
	mask := YMM()
	tail := GP64()
	MOVQ(n, tail)
	ANDQ(U8(7), tail)
	table := GP64()
	LEAQ(tailMask(), table)
	NEGQ(tail)
	VMOVDQU(Mem{Base: table, Index: tail, Scale: 4, Disp: 32}, mask)
	NEGQ(tail)

	// Row r of the pass is at rowBase(r) + r%4 * ldb: rows 0-3 from bp,
	// rows 4-7 from bp4 = bp + 4*ldb, indexed by 0, ldb, 2*ldb, 3*ldb.
	ldb3 := GP64()
	LEAQ(Mem{Base: ldb, Index: ldb, Scale: 2}, ldb3)
	row := func(base Register, r int) Mem {
		switch r % 4 {
		case 1:
			return Mem{Base: base, Index: ldb, Scale: 1}
		case 2:
			return Mem{Base: base, Index: ldb, Scale: 2}
		case 3:
			return Mem{Base: base, Index: ldb3, Scale: 1}
		}
		return Mem{Base: base}
	}

	// The ragged tail of y, n%8 elements, stays in yTail from the first
	// pass to the last: a masked store followed by a masked load of the
	// same address is not forwarded, and would stall every pass.
	yTail := YMM()
	tailPtr := GP64()
	MOVQ(n, tailPtr)
	ANDQ(I32(-8), tailPtr)
	LEAQ(Mem{Base: yBase, Index: tailPtr, Scale: 4}, tailPtr)
	TESTQ(tail, tail)
	JZ(LabelRef("rows8"))
	VMASKMOVPS(Mem{Base: tailPtr}, mask, yTail)

	xs := make([]VecVirtual, gemvRows)
	for r := range xs {
		xs[r] = YMM()
	}

	// pass emits one sweep over y adding rows rows of B, starting at bp.
	pass := func(name string, rows int) {
		for r := 0; r < rows; r++ {
			VBROADCASTSS(Mem{Base: xp}, xs[r])
			VMULPS(alpha, xs[r], xs[r])
			ADDQ(incx, xp)
		}
		b0, b4 := GP64(), GP64()
		MOVQ(bp, b0)
		if rows > 4 {
			LEAQ(Mem{Base: bp, Index: ldb, Scale: 4}, b4)
		}
		at := func(r, disp int) Mem {
			base := b0
			if r >= 4 {
				base = b4
			}
			m := row(base, r)
			m.Disp = disp
			return m
		}
		yp := GP64()
		MOVQ(yBase, yp)
		cnt := GP64()
		MOVQ(n, cnt)
		SHRQ(U8(3), cnt)

		// Two vectors of y per iteration, then one, then the masked tail.
		Label(name + "_pairs")
		CMPQ(cnt, U8(2))
		JL(LabelRef(name + "_single"))
		acc0, acc1 := YMM(), YMM()
		VMOVUPS(Mem{Base: yp}, acc0)
		VMOVUPS(Mem{Base: yp, Disp: 32}, acc1)
		for r := 0; r < rows; r++ {
			VFMADD231PS(at(r, 0), xs[r], acc0)
			VFMADD231PS(at(r, 32), xs[r], acc1)
		}
		VMOVUPS(acc0, Mem{Base: yp})
		VMOVUPS(acc1, Mem{Base: yp, Disp: 32})
		ADDQ(U8(64), yp)
		ADDQ(U8(64), b0)
		if rows > 4 {
			ADDQ(U8(64), b4)
		}
		SUBQ(U8(2), cnt)
		JMP(LabelRef(name + "_pairs"))

		Label(name + "_single")
		TESTQ(cnt, cnt)
		JZ(LabelRef(name + "_tail"))
		acc := YMM()
		VMOVUPS(Mem{Base: yp}, acc)
		for r := 0; r < rows; r++ {
			VFMADD231PS(at(r, 0), xs[r], acc)
		}
		VMOVUPS(acc, Mem{Base: yp})
		ADDQ(U8(32), yp)
		ADDQ(U8(32), b0)
		if rows > 4 {
			ADDQ(U8(32), b4)
		}

		Label(name + "_tail")
		TESTQ(tail, tail)
		JZ(LabelRef(name + "_done"))
		t := YMM()
		for r := 0; r < rows; r++ {
			VMASKMOVPS(at(r, 0), mask, t)
			VFMADD231PS(t, xs[r], yTail)
		}
		Label(name + "_done")
	}

	Label("rows8")
	CMPQ(k, U8(gemvRows))
	JL(LabelRef("rows1"))
	pass("p8", gemvRows)
	LEAQ(Mem{Base: bp, Index: ldb, Scale: 8}, bp)
	SUBQ(U8(gemvRows), k)
	JMP(LabelRef("rows8"))

	Label("rows1")
	TESTQ(k, k)
	JZ(LabelRef("ret"))
	pass("p1", 1)
	ADDQ(ldb, bp)
	DECQ(k)
	JMP(LabelRef("rows1"))

	Label("ret")
	TESTQ(tail, tail)
	JZ(LabelRef("end"))
	VMASKMOVPS(yTail, mask, Mem{Base: tailPtr})
	Label("end")
	VZEROUPPER()
	RET()
}
