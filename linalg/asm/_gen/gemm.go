package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/gotypes"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// A microKernel describes one ISA's GEMM micro-kernel: an mr x 2*lanes
// tile of C kept in two vector accumulators per row. For each step of k
// it loads a row of the B panel into two registers and broadcasts each of
// the A panel's mr values once, for two FMAs. A panel of lanes columns or
// fewer runs a narrow loop with one accumulator per row. emit writes it;
// the ISAs differ only in registers and in how ragged edges are masked.
type microKernel struct {
	name, isa string
	mr, lanes int
	vecs      []VecPhysical // accumulators (2 per row), then the registers below
	b         [2]VecPhysical
	bcast     []VecPhysical // broadcast temporaries, used in turn
	alpha     VecPhysical
	beta      VecPhysical
	cTmp      VecPhysical // C's values in the masked epilogue
	prefetch  []int       // displacements of the C prefetches per row
	zero      func(v VecPhysical)
	edges     string // how the doc says ragged edges are handled

	// loadMasks loads the masks of a tile n < 2*lanes columns wide into
	// masks, given n in a register it may clobber.
	loadMasks func(n Register)
	masks     [2]Op
	maskLoad  func(mem, mask, dst Op)
	maskStore func(src, mask, mem Op)
}

func (mk *microKernel) nr() int                  { return 2 * mk.lanes }
func (mk *microKernel) vecBytes() int            { return 4 * mk.lanes }
func (mk *microKernel) acc(r, h int) VecPhysical { return mk.vecs[2*r+h] }

// emit writes the micro-kernel's TEXT block.
func (mk *microKernel) emit() {
	mr, nr := mk.mr, mk.nr()
	TEXT(mk.name, NOSPLIT, "func(k int, alpha float32, a []float32, aRow, aStep int, b []float32, bStep, bPanel int, beta float32, c []float32, ldc, m, n int)")
	Pragma("noescape")
	Doc(
		fmt.Sprintf("%s is the %s GEMM micro-kernel. With", mk.name, mk.isa),
		"A(i, p) = a[i*aRow+p*aStep] and B(p, j) = b[p*bStep+j], it computes",
		fmt.Sprintf("for i < m <= %d and j < n <= %d", mr, nr),
		"",
		fmt.Sprintf("\tvar acc [%d][%d]float32", mr, nr),
		"\tfor p := 0; p < k; p++ {",
		"\t\tfor i := range acc {",
		"\t\t\tfor j := range acc[i] {",
		"\t\t\t\tacc[i][j] += A(i, p) * B(p, j) // fused multiply-add",
		"\t\t\t}",
		"\t\t}",
		"\t}",
		"\tc[i*ldc+j] = alpha*acc[i][j] + beta*c[i*ldc+j] // fused; C is not read when beta == 0",
		"",
		fmt.Sprintf("A packed panel has aRow = 1, aStep = %d and bStep = %d; the strides also", mr, nr),
		"let it read a row-major A (aRow = lda, aStep = 1), a transposed one",
		"(aRow = 1, aStep = lda) and B's rows (bStep = ldb) in place. It reads",
		fmt.Sprintf("all %d rows of A and %d columns of B (%d when n <= %d) for every p, so", mr, nr, mk.lanes, mk.lanes),
		"the caller must make those elements addressable in a and b, and",
		"len(c) >= (m-1)*ldc+n; m, n and k must be at least 1. C is neither",
		"read nor written past its first m rows and n columns (ragged edges",
		fmt.Sprintf("use %s).", mk.edges),
		"",
		fmt.Sprintf("With n > %d it computes one such tile per %d columns of C, moving b", nr, nr),
		fmt.Sprintf("by bPanel elements and c by %d from one to the next (bPanel = %dk for", nr, nr),
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
	bases := []Register{a0}
	for g := 1; g < mr/3; g++ {
		base := GP64()
		LEAQ(Mem{Base: bases[g-1], Index: aRow, Scale: 2}, base)
		ADDQ(aRow, base)
		bases = append(bases, base)
	}

	Comment("Zero the accumulators and prefetch the C tile.")
	for r := 0; r < mr; r++ {
		mk.zero(mk.acc(r, 0))
		mk.zero(mk.acc(r, 1))
	}
	pc := GP64()
	MOVQ(cp, pc)
	for r := 0; r < mr; r++ {
		for _, d := range mk.prefetch {
			PREFETCHT0(Mem{Base: pc, Disp: d})
		}
		if r < mr-1 {
			ADDQ(ldc, pc)
		}
	}

	// step emits one step of k over halves of the tile's columns.
	step := func(halves int) {
		for h := 0; h < halves; h++ {
			VMOVUPS(Mem{Base: bp, Disp: mk.vecBytes() * h}, mk.b[h])
		}
		for r := 0; r < mr; r++ {
			t := mk.bcast[r%len(mk.bcast)]
			addr := Mem{Base: bases[r/3]}
			if r%3 > 0 {
				addr = Mem{Base: bases[r/3], Index: aRow, Scale: uint8(r % 3)}
			}
			VBROADCASTSS(addr, t)
			for h := 0; h < halves; h++ {
				VFMADD231PS(mk.b[h], t, mk.acc(r, h))
			}
		}
		ADDQ(bStep, bp)
		for _, base := range bases {
			ADDQ(aStep, base)
		}
	}
	Comment(fmt.Sprintf("A panel of %d columns or fewer needs only the first half of each row.", mk.lanes))
	CMPQ(Load(Param("n"), GP64()), U8(mk.lanes))
	JLE(LabelRef("narrow"))
	quads := GP64()
	kLoop("", k, quads, func() { step(2) }, false)
	Label("narrow")
	kLoop("narrow_", k, quads, func() { step(1) }, true)

	Label("epilogue")
	Comment("Scale by alpha unless it is 1.")
	alphaBits := GP32()
	MOVL(paramAddr("alpha"), alphaBits)
	CMPL(alphaBits, U32(math.Float32bits(1)))
	JE(LabelRef("scaled"))
	VBROADCASTSS(paramAddr("alpha"), mk.alpha)
	for r := 0; r < mr; r++ {
		VMULPS(mk.alpha, mk.acc(r, 0), mk.acc(r, 0))
		VMULPS(mk.alpha, mk.acc(r, 1), mk.acc(r, 1))
	}
	Label("scaled")
	VBROADCASTSS(paramAddr("beta"), mk.beta)
	m := Load(Param("m"), GP64())
	n := Load(Param("n"), GP64())
	betaBits := magnitudeBits("beta") // -0 counts as 0, as in Go's beta == 0
	CMPQ(n, U8(nr))
	JL(LabelRef("masked"))
	TESTL(betaBits, betaBits)
	JZ(LabelRef("full_beta0"))
	storeRows("full_beta", mr, cp, ldc, m, func(r int, row Mem) {
		for h := 0; h < 2; h++ {
			VFMADD231PS(row.Offset(mk.vecBytes()*h), mk.beta, mk.acc(r, h))
			VMOVUPS(mk.acc(r, h), row.Offset(mk.vecBytes()*h))
		}
	})
	storeRows("full_beta0", mr, cp, ldc, m, func(r int, row Mem) {
		for h := 0; h < 2; h++ {
			VMOVUPS(mk.acc(r, h), row.Offset(mk.vecBytes()*h))
		}
	})

	Label("masked")
	mk.loadMasks(n)
	TESTL(betaBits, betaBits)
	JZ(LabelRef("masked_beta0"))
	storeRows("masked_beta", mr, cp, ldc, m, func(r int, row Mem) {
		for h := 0; h < 2; h++ {
			mk.maskLoad(row.Offset(mk.vecBytes()*h), mk.masks[h], mk.cTmp)
			VFMADD231PS(mk.cTmp, mk.beta, mk.acc(r, h))
			mk.maskStore(mk.acc(r, h), mk.masks[h], row.Offset(mk.vecBytes()*h))
		}
	})
	storeRows("masked_beta0", mr, cp, ldc, m, func(r int, row Mem) {
		for h := 0; h < 2; h++ {
			mk.maskStore(mk.acc(r, h), mk.masks[h], row.Offset(mk.vecBytes()*h))
		}
	})

	nextPanel(nr)
}

var yRegs = []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}

// gemmAVX2 writes GemmAVX2x6x16 and PackB16AVX2. The 6x16 tile takes
// twelve ymm accumulators: 12 FMAs per 8 loads, enough independent chains
// to cover the FMA latency on Zen 3 and Intel cores alike.
func gemmAVX2() {
	// mask[16-n : 32-n] has its first n lanes set: the column mask of a
	// tile n < 16 columns wide.
	mask := onesThenZeros("gemmColumnMask", 16)
	mk := &microKernel{
		name: "GemmAVX2x6x16", isa: "AVX2+FMA", mr: 6, lanes: 8,
		vecs:  yRegs,
		b:     [2]VecPhysical{Y12, Y13},
		bcast: []VecPhysical{Y14, Y15},
		alpha: Y12, beta: Y13, cTmp: Y12,
		prefetch:  []int{0, 60},
		zero:      func(v VecPhysical) { VXORPS(v, v, v) },
		edges:     "masked loads and stores",
		loadMasks: func(n Register) { columnMasksAVX2(mask, n, Y14, Y15) },
		masks:     [2]Op{Y14, Y15},
		maskLoad:  func(mem, mask, dst Op) { VMASKMOVPS(mem, mask, dst) },
		maskStore: func(src, mask, mem Op) { VMASKMOVPS(src, mask, mem) },
	}
	mk.emit()
	packB16AVX2(mask)
}

// onesThenZeros defines the read-only table of 2*ones 32-bit lanes whose
// first ones lanes are all ones and the rest zero: the 8 lanes at 4*(8-n)
// bytes in (or the 16 at 4*(16-n)) are the mask of the first n lanes.
func onesThenZeros(name string, ones int) Mem {
	m := GLOBL(name, RODATA|NOPTR)
	for i := 0; i < 2*ones; i++ {
		v := U32(0)
		if i < ones {
			v = U32(0xffffffff)
		}
		DATA(4*i, v)
	}
	return m
}

// columnMasksAVX2 loads into lo and hi the lane masks of the first n of 16
// columns, from mask = onesThenZeros(_, 16). It clobbers n.
func columnMasksAVX2(mask Mem, n Register, lo, hi VecPhysical) {
	base := GP64()
	LEAQ(mask, base)
	NEGQ(n)
	ADDQ(U8(16), n)
	VMOVDQU(Mem{Base: base, Index: n, Scale: 4}, lo)
	VMOVDQU(Mem{Base: base, Index: n, Scale: 4, Disp: 32}, hi)
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
func paramAddr(name string) Mem { return componentAddr(Param(name)) }

// magnitudeBits loads the bits of the named float32 argument with the
// sign cleared: zero exactly when the argument == 0 (either zero).
func magnitudeBits(name string) Register {
	bits := GP32()
	MOVL(paramAddr(name), bits)
	ANDL(U32(0x7fffffff), bits)
	return bits
}

// componentAddr is the stack address of an argument's scalar component,
// such as a slice's base pointer or length.
func componentAddr(c gotypes.Component) Mem {
	b, err := c.Resolve()
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
	CMPQ(n, U8(16))
	JNE(LabelRef("ragged"))
	Label("full")
	VMOVUPS(Mem{Base: src}, Y0)
	VMOVUPS(Mem{Base: src, Disp: 32}, Y1)
	VMOVUPS(Y0, Mem{Base: d})
	VMOVUPS(Y1, Mem{Base: d, Disp: 32})
	ADDQ(ldb, src)
	ADDQ(U8(64), d)
	DECQ(k)
	JNZ(LabelRef("full"))
	JMP(LabelRef("done"))

	Label("ragged")
	columnMasksAVX2(mask, n, Y2, Y3)
	Label("raggedLoop")
	VMASKMOVPS(Mem{Base: src}, Y2, Y0)
	VMASKMOVPS(Mem{Base: src, Disp: 32}, Y3, Y1)
	VMOVUPS(Y0, Mem{Base: d})
	VMOVUPS(Y1, Mem{Base: d, Disp: 32})
	ADDQ(ldb, src)
	ADDQ(U8(64), d)
	DECQ(k)
	JNZ(LabelRef("raggedLoop"))
	Label("done")
	VZEROUPPER()
	RET()
}
