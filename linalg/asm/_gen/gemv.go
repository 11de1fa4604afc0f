package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// gemvRows is how many rows of B AxpyRowsAVX2 adds into y per pass: it
// broadcasts their eight scaled x values once, then sweeps y, so each
// element of y is loaded and stored once per eight FMAs.
const gemvRows = 8

// shortVectors is the most whole vectors of y that AxpyRowsAVX2 keeps in
// registers from the first row of B to the last, adding one row at a
// time, instead of sweeping y once per eight rows. A short y gives too few
// independent chains of FMAs to hide their latency, and each sweep's load
// of y waits for the previous sweep's store; kept in registers, every
// element waits for its own FMAs alone. Measured on Zen 3 with k = 100
// (medians of 30 alternated runs): 12% faster with len(y) = 10 (the seed's
// output layer), 13% with 24, 22% with 40, 15% with 63. From eight vectors
// on, a sweep has about as many independent FMAs as their latency needs.
const shortVectors = 7

// indexedRows is how many rows of B AxpyIndexedAVX2 adds into y per
// sweep. Each row has its own pointer, so general-purpose registers bound
// it: eight row pointers, the cursor, y's and B's ends, val's and idx's
// ends and their index take all fourteen that avo allocates without a
// frame (ldb and len(y) are read from the argument frame). On Zen 3
// (BenchmarkAxpyIndexedAVX2), 8 rows ran about 5% faster than 4 and as
// fast as 6 within the noise.
const indexedRows = 8

// gemvAVX2 writes the kernels of Gemm's path for products with one or a
// few rows, which add rows of B, scaled, into one row y.
func gemvAVX2() {
	axpyRowsAVX2()
	axpyIndexedAVX2()
}

// gemvY is the state of y that a kernel keeps across its sweeps: the
// whole vectors of y are loaded and stored once per sweep, and the ragged
// tail, len(y)%8 elements, stays in tail from the first sweep to the last
// (a masked store followed by a masked load of the same address is not
// forwarded, and would stall every sweep).
type gemvY struct {
	base, len Mem // y's base pointer and length in the argument frame
	// end is y + 4*(len(y)&^7), where the whole vectors end and the
	// tail starts.
	end Register
	// cursor is the offset of the next vector of a sweep from end: it
	// runs from -4*(len(y)&^7) up to 0.
	cursor     Register
	mask, tail Register
}

// loadGemvY sets up the tail's lane mask and loads the tail, if any.
func loadGemvY() gemvY {
	y := gemvY{base: componentAddr(Param("y").Base()), len: componentAddr(Param("y").Len()), end: GP64(), cursor: GP64(), tail: YMM()}
	n := Load(Param("y").Len(), GP64())
	tail := GP64()
	MOVQ(n, tail)
	ANDQ(U8(7), tail)
	y.mask = avx2.tailMask(tail) // negates tail, which stays zero or not
	ANDQ(I32(-8), n)
	MOVQ(y.base, y.end)
	LEAQ(Mem{Base: y.end, Index: n, Scale: 4}, y.end)
	TESTQ(tail, tail)
	JZ(LabelRef("sweeps"))
	VMASKMOVPS(Mem{Base: y.end}, y.mask, y.tail)
	Label("sweeps")
	return y
}

// skipIfNoTail jumps to label if len(y) is a multiple of 8.
func (y gemvY) skipIfNoTail(label string) {
	TESTQ(U32(7), y.len)
	JZ(LabelRef(label))
}

// store stores the tail after the last sweep.
func (y gemvY) store() {
	y.skipIfNoTail("stored")
	VMASKMOVPS(y.tail, y.mask, Mem{Base: y.end})
	Label("stored")
}

// sweep emits one sweep over y adding len(xs) rows of B, row r scaled by
// xs[r], in order: two vectors of y per iteration, then one, then the
// masked tail. row(r, disp) addresses row r's element disp bytes past the
// cursor's, and step, if not nil, moves the kernel's row pointers along
// with the cursor.
func (y gemvY) sweep(name string, xs []VecVirtual, row func(r, disp int) Mem, step func(bytes int)) {
	MOVQ(y.base, y.cursor)
	SUBQ(y.end, y.cursor)
	at := func(disp int) Mem { return Mem{Base: y.end, Index: y.cursor, Scale: 1, Disp: disp} }
	advance := func(bytes int) {
		ADDQ(U8(bytes), y.cursor)
		if step != nil {
			step(bytes)
		}
	}

	Label(name + "_pairs")
	CMPQ(y.cursor, I8(-64))
	JG(LabelRef(name + "_single"))
	acc0, acc1 := YMM(), YMM()
	VMOVUPS(at(0), acc0)
	VMOVUPS(at(32), acc1)
	for r, x := range xs {
		VFMADD231PS(row(r, 0), x, acc0)
		VFMADD231PS(row(r, 32), x, acc1)
	}
	VMOVUPS(acc0, at(0))
	VMOVUPS(acc1, at(32))
	advance(64)
	JMP(LabelRef(name + "_pairs"))

	Label(name + "_single")
	TESTQ(y.cursor, y.cursor)
	JZ(LabelRef(name + "_tail"))
	acc := YMM()
	VMOVUPS(at(0), acc)
	for r, x := range xs {
		VFMADD231PS(row(r, 0), x, acc)
	}
	VMOVUPS(acc, at(0))
	advance(32)

	Label(name + "_tail")
	y.skipIfNoTail(name + "_done")
	t := YMM()
	for r, x := range xs {
		VMASKMOVPS(row(r, 0), y.mask, t)
		VFMADD231PS(t, x, y.tail)
	}
	Label(name + "_done")
}

// axpyRowsAVX2 writes AxpyRowsAVX2: y += alpha * x·B, reading B's rows in
// place. Unlike the micro-kernel it needs no packing and does no padded
// work, so one sample's forward pass costs about one read of the weights.
func axpyRowsAVX2() {
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
		"It adds eight rows of B per sweep over y, or, if len(y) < 64, keeps y in",
		"registers and adds one row at a time; either way in the order of the",
		"loop, so every y[j] sees the same operations as in the loop above.",
		"len(x) >= (k-1)*incx+1 and len(b) >= (k-1)*ldb+len(y) are the caller's",
		"to ensure.",
	)
	y := loadGemvY()
	k := Load(Param("k"), GP64())
	xp := Load(Param("x").Base(), GP64())
	incx := Load(Param("incx"), GP64())
	SHLQ(U8(2), incx)
	bp := Load(Param("b").Base(), GP64())
	ldb := Load(Param("ldb"), GP64())
	SHLQ(U8(2), ldb)
	alpha := YMM()
	VBROADCASTSS(paramAddr("alpha"), alpha)

	// Row r of the pass is at rowBase(r) + r%4 * ldb: rows 0-3 from b0,
	// rows 4-7 from b4 = b0 + 4*ldb, indexed by 0, ldb, 2*ldb, 3*ldb.
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
		y.sweep(name, xs[:rows], func(r, disp int) Mem {
			base := b0
			if r >= 4 {
				base = b4
			}
			m := row(base, r)
			m.Disp = disp
			return m
		}, func(bytes int) {
			ADDQ(U8(bytes), b0)
			if rows > 4 {
				ADDQ(U8(bytes), b4)
			}
		})
	}

	CMPQ(y.len, U8(8*(shortVectors+1)))
	JL(LabelRef("short"))

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
	y.store()
	VZEROUPPER()
	RET()

	axpyRowsShort(y, k, xp, incx, bp, ldb, alpha)
}

// axpyRowsShort emits AxpyRowsAVX2's path for a y of fewer than
// shortVectors+1 whole vectors: y stays in registers while the rows of B
// are added one at a time, in order, each element with one FMA per row
// as in the sweeps. It starts at the label "short", ends at "ret", and
// emits a loop for each count of whole vectors, with and without a tail.
func axpyRowsShort(y gemvY, k, xp, incx, bp, ldb Register, alpha VecVirtual) {
	Label("short")
	yp, whole := GP64(), GP64()
	MOVQ(y.base, yp)
	MOVQ(y.len, whole)
	SHRQ(U8(3), whole)
	for n := 1; n <= shortVectors; n++ {
		CMPQ(whole, U8(n))
		JE(LabelRef(fmt.Sprintf("short%d", n)))
	}
	for n := 0; n <= shortVectors; n++ {
		name := fmt.Sprintf("short%d", n)
		Label(name)
		acc := make([]VecVirtual, n)
		for v := range acc {
			acc[v] = YMM()
			VMOVUPS(Mem{Base: yp, Disp: 32 * v}, acc[v])
		}
		// loop adds the rows of B into acc and, with tail, into y.tail.
		loop := func(label string, tail bool) {
			Label(label)
			s := YMM()
			VBROADCASTSS(Mem{Base: xp}, s)
			VMULPS(alpha, s, s)
			ADDQ(incx, xp)
			for v := range acc {
				VFMADD231PS(Mem{Base: bp, Disp: 32 * v}, s, acc[v])
			}
			if tail {
				t := YMM()
				VMASKMOVPS(Mem{Base: bp, Disp: 32 * n}, y.mask, t)
				VFMADD231PS(t, s, y.tail)
			}
			ADDQ(ldb, bp)
			DECQ(k)
			JNZ(LabelRef(label))
		}
		if n == 0 { // y is a tail
			loop(name+"_tail", true)
		} else {
			y.skipIfNoTail(name + "_whole")
			loop(name+"_tail", true)
			JMP(LabelRef(name + "_store"))
			loop(name+"_whole", false)
			Label(name + "_store")
			for v := range acc {
				VMOVUPS(acc[v], Mem{Base: yp, Disp: 32 * v})
			}
		}
		JMP(LabelRef("ret"))
	}
}

// axpyIndexedAVX2 writes AxpyIndexedAVX2, a sparse row times B: y +=
// alpha * Σ val[k]·B[idx[k], :]. Each sweep takes indexedRows rows, and
// the last fewer than indexedRows rows take at most one sweep for each
// power of two below it, not one sweep each.
func axpyIndexedAVX2() {
	TEXT("AxpyIndexedAVX2", NOSPLIT, "func(alpha float32, val []float32, idx []int32, b []float32, ldb int, y []float32)")
	Pragma("noescape")
	Doc(
		"AxpyIndexedAVX2 is, for len(y) >= 1 and len(idx) >= len(val),",
		"",
		"\tfor k := range val {",
		"\t\ts := alpha * val[k]",
		"\t\trow := b[int(idx[k])*ldb:]",
		"\t\tfor j := range y {",
		"\t\t\ty[j] += s * row[j] // fused multiply-add",
		"\t\t}",
		"\t}",
		"",
		"a sparse row times the matrix B. It adds up to eight rows of B per sweep",
		"over y, in the order of the loop, so every y[j] sees the same operations",
		"as in the loop above. 0 <= idx[k] and idx[k]*ldb+len(y) <= len(b) for",
		"every k < len(val) are the caller's to ensure.",
	)
	y := loadGemvY()
	alpha := YMM()
	VBROADCASTSS(paramAddr("alpha"), alpha)
	e := loadSparseEntries()
	// Rows start at bEnd - 4*(len(y)&^7): a row's pointer is its end of
	// whole vectors, as y.end is y's, so the cursor indexes both.
	bEnd := Load(Param("b").Base(), GP64())
	ADDQ(y.end, bEnd)
	SUBQ(y.base, bEnd)
	ldb := paramAddr("ldb")

	pass := func(rows int) {
		xs, ptrs := make([]VecVirtual, rows), make([]Register, rows)
		for r := range xs {
			xs[r], ptrs[r] = YMM(), GP64()
			VBROADCASTSS(e.val(r), xs[r])
			VMULPS(alpha, xs[r], xs[r])
			MOVLQSX(e.idx(r), ptrs[r])
			IMULQ(ldb, ptrs[r])
			LEAQ(Mem{Base: bEnd, Index: ptrs[r], Scale: 4}, ptrs[r])
		}
		y.sweep(fmt.Sprintf("p%d", rows), xs, func(r, disp int) Mem {
			return Mem{Base: ptrs[r], Index: y.cursor, Scale: 1, Disp: disp}
		}, nil)
	}
	e.loop(indexedRows, pass)

	Label("ret")
	y.store()
	VZEROUPPER()
	RET()
}

// sparseEntries walks the entries of a sparse row, val[k] and idx[k] for
// k < len(val), with one index register k that runs from -len(val) up to
// 0: the entries are addressed from the ends of val and idx.
type sparseEntries struct {
	k, valEnd, idxEnd Register
}

// loadSparseEntries sets up the walk over the entries of the arguments
// val ([]float32) and idx ([]int32).
func loadSparseEntries() sparseEntries {
	k := Load(Param("val").Len(), GP64())
	valEnd := Load(Param("val").Base(), GP64())
	LEAQ(Mem{Base: valEnd, Index: k, Scale: 4}, valEnd)
	idxEnd := Load(Param("idx").Base(), GP64())
	LEAQ(Mem{Base: idxEnd, Index: k, Scale: 4}, idxEnd)
	NEGQ(k)
	return sparseEntries{k: k, valEnd: valEnd, idxEnd: idxEnd}
}

// val and idx address val and idx at the entry r past the current one.
func (e sparseEntries) val(r int) Mem { return Mem{Base: e.valEnd, Index: e.k, Scale: 4, Disp: 4 * r} }
func (e sparseEntries) idx(r int) Mem { return Mem{Base: e.idxEnd, Index: e.k, Scale: 4, Disp: 4 * r} }

// loop emits the loop over the entries: pass(unroll), which handles the
// current entry and the unroll-1 after it, while unroll entries are left;
// then the last fewer than unroll entries take one pass at most for each
// power of two below unroll, from the largest down, instead of one pass
// each. It moves k past the entries after each pass, and ends at the
// label "ret", which the caller places. unroll must be a power of two.
func (e sparseEntries) loop(unroll int, pass func(n int)) {
	label := func(n int) string {
		if n == 0 {
			return "ret"
		}
		return fmt.Sprintf("rows%d", n)
	}
	// step emits one pass of n entries unless fewer are left, in which
	// case it jumps to the label of n/2.
	step := func(n int) {
		CMPQ(e.k, I8(-n))
		JG(LabelRef(label(n / 2)))
		pass(n)
		ADDQ(U8(n), e.k)
	}
	Label(label(unroll))
	step(unroll)
	JMP(LabelRef(label(unroll)))
	for n := unroll / 2; n > 0; n /= 2 {
		Label(label(n))
		step(n)
	}
}
