package main

import (
	"fmt"
	"math/bits"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// scatterUnroll is how many entries the ScatterAxpy kernels handle per
// iteration: their loads, FMAs and stores are independent (the indices of
// one call are distinct), so the core overlaps them.
const scatterUnroll = 4

// sparseAVX2 writes the kernels of the weight gradient of a sparse input,
// C = Aᵀ·B with A's rows sparse: ScatterAxpy16AVX2 adds each sparse row of
// A times sixteen columns of B's row into an accumulator of sixteen
// columns (ScatterAxpy8AVX2 eight, for a last block of at most eight),
// and CombineRows8AVX2 writes eight columns of the accumulator into C.
func sparseAVX2() {
	scatterAxpyAVX2(8)
	scatterAxpyAVX2(16)
	combineRows8AVX2()
}

// scatterAxpyAVX2 writes ScatterAxpy<cols>AVX2, which adds val[k]·x into
// the cols floats of acc at row idx[k], for every entry k. x stays in
// registers, so each entry costs one index, one broadcast and, per ymm of
// columns, one FMA with the accumulator's row and one store.
func scatterAxpyAVX2(cols int) {
	name := fmt.Sprintf("ScatterAxpy%dAVX2", cols)
	TEXT(name, NOSPLIT, "func(val []float32, idx []int32, x []float32, acc []float32)")
	Pragma("noescape")
	Doc(
		fmt.Sprintf("%s is, for len(idx) >= len(val) and len(x) >= %d,", name, cols),
		"",
		"\tfor k := range val {",
		"\t\tp := int(idx[k])",
		fmt.Sprintf("\t\tfor l := 0; l < %d; l++ {", cols),
		fmt.Sprintf("\t\t\tacc[p*%d+l] += val[k] * x[l] // fused multiply-add", cols),
		"\t\t}",
		"\t}",
		"",
		fmt.Sprintf("a sparse row times %d columns, scattered into rows of acc. It", cols),
		"handles several entries at once, so the indices of one call must be",
		fmt.Sprintf("distinct; 0 <= idx[k] and idx[k]*%d+%d <= len(acc) for every k < len(val)", cols, cols),
		"are the caller's to ensure too.",
	)
	vecs := cols / 8
	xp := Load(Param("x").Base(), GP64())
	x := make([]VecVirtual, vecs)
	for v := range x {
		x[v] = YMM()
		VMOVUPS(Mem{Base: xp, Disp: 32 * v}, x[v])
	}
	e := loadSparseEntries()
	acc := Load(Param("acc").Base(), GP64())
	e.loop(scatterUnroll, func(n int) {
		// s[r][v] = val[r] for the v-th ymm of entry r's row, then the
		// row's new sums: VFMADD213PS overwrites its multiplier, so every
		// ymm past the first takes a copy of the broadcast.
		s, rows := make([][]VecVirtual, n), make([]Mem, n)
		for r := range n {
			s[r] = make([]VecVirtual, vecs)
			for v := range s[r] {
				s[r][v] = YMM()
				if v == 0 {
					VBROADCASTSS(e.val(r), s[r][v])
				} else {
					VMOVUPS(s[r][0], s[r][v])
				}
			}
			p := GP64()
			MOVLQSX(e.idx(r), p)
			SHLQ(U8(bits.TrailingZeros(uint(4*cols))), p)
			rows[r] = Mem{Base: acc, Index: p, Scale: 1}
		}
		for r := range n {
			for v := range vecs {
				VFMADD213PS(rows[r].Offset(32*v), x[v], s[r][v]) // s = x*s + row
			}
		}
		for r := range n {
			for v := range vecs {
				VMOVUPS(s[r][v], rows[r].Offset(32*v))
			}
		}
	})
	Label("ret")
	VZEROUPPER()
	RET()
}

// combineRows8AVX2 writes CombineRows8AVX2, which writes alpha times
// eight columns of an accumulator plus a row vector into C, scaled by
// beta. It has one loop for each case of beta == 0 and width == 8, so that
// no row tests either and full rows move with plain loads and stores.
func combineRows8AVX2() {
	TEXT("CombineRows8AVX2", NOSPLIT, "func(alpha, beta float32, acc []float32, lda int, v []float32, c []float32, ldc int, rows int, width int, sums []float32)")
	Pragma("noescape")
	Doc(
		"CombineRows8AVX2 is, for rows >= 1 and 1 <= width <= 8,",
		"",
		"\tfor p := 0; p < rows; p++ {",
		"\t\tfor l := 0; l < width; l++ {",
		"\t\t\tt := acc[p*lda+l] + v[l]",
		"\t\t\tif beta == 0 {",
		"\t\t\t\tc[p*ldc+l] = alpha * t // C is not read",
		"\t\t\t} else {",
		"\t\t\t\tc[p*ldc+l] = alpha*t + beta*c[p*ldc+l] // fused multiply-add",
		"\t\t\t}",
		"\t\t}",
		"\t}",
		"\tfor l := 0; l < width; l++ {",
		"\t\tsums[l] = 0",
		"\t\tfor p := 0; p < rows; p++ {",
		"\t\t\tsums[l] += c[p*ldc+l] // the new C: what ColSums computes",
		"\t\t}",
		"\t}",
		"",
		"It touches nothing of C outside the first width elements of its rows",
		"and reads nothing of acc outside the first width elements of its",
		"rows (masked loads and stores when width < 8), and v[:width] only.",
		"len(v) >= width, len(sums) >= width, len(acc) >= (rows-1)*lda+width",
		"and len(c) >= (rows-1)*ldc+width are the caller's to ensure.",
	)
	alpha, beta := YMM(), YMM()
	VBROADCASTSS(paramAddr("alpha"), alpha)
	VBROADCASTSS(paramAddr("beta"), beta)
	mask := avx2.tailMask(Load(Param("width"), GP64())) // all lanes for width 8
	v := YMM()
	VMASKMOVPS(Mem{Base: Load(Param("v").Base(), GP64())}, mask, v)
	ap := Load(Param("acc").Base(), GP64())
	lda := Load(Param("lda"), GP64())
	SHLQ(U8(2), lda)
	cp := Load(Param("c").Base(), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	rows := Load(Param("rows"), GP64())
	betaZero := magnitudeBits("beta")
	// The column sums of the new C, added row by row in order.
	sums := YMM()
	VXORPS(sums, sums, sums)

	// loop emits the loop over the rows under label; the rows of acc and
	// C are read through load (into a register, or as the operand it
	// returns) and C's written through store.
	loop := func(label string, scaleC bool, load func(row Mem) Op, store func(src VecVirtual, row Mem)) {
		Label(label)
		row := Mem{Base: cp}
		t := YMM()
		VADDPS(load(Mem{Base: ap}), v, t) // t = v + acc
		if scaleC {
			ct := YMM()
			VMULPS(load(row), beta, ct) // ct = beta * C
			VFMADD231PS(t, alpha, ct)   // ct = alpha*t + ct
			t = ct
		} else {
			VMULPS(alpha, t, t) // t = t * alpha
		}
		store(t, row)
		VADDPS(t, sums, sums)
		ADDQ(lda, ap)
		ADDQ(ldc, cp)
		DECQ(rows)
		JNZ(LabelRef(label))
		JMP(LabelRef("ret"))
	}
	full := func(row Mem) Op { return row }
	masked := func(row Mem) Op {
		ct := YMM()
		VMASKMOVPS(row, mask, ct)
		return ct
	}
	storeFull := func(src VecVirtual, row Mem) { VMOVUPS(src, row) }
	storeMasked := func(src VecVirtual, row Mem) { VMASKMOVPS(src, mask, row) }

	CMPQ(paramAddr("width"), U8(8))
	JNE(LabelRef("masked"))
	TESTL(betaZero, betaZero)
	JZ(LabelRef("full_beta0"))
	loop("full_beta", true, full, storeFull)
	loop("full_beta0", false, full, storeFull)
	Label("masked")
	TESTL(betaZero, betaZero)
	JZ(LabelRef("masked_beta0"))
	loop("masked_beta", true, masked, storeMasked)
	loop("masked_beta0", false, masked, storeMasked)
	Label("ret")
	VMASKMOVPS(sums, mask, Mem{Base: Load(Param("sums").Base(), GP64())})
	VZEROUPPER()
	RET()
}
