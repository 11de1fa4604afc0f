package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// scatterUnroll is how many entries ScatterAxpy8AVX2 handles per
// iteration: their loads, FMAs and stores are independent (the indices of
// one call are distinct), so the core overlaps them.
const scatterUnroll = 4

// sparseAVX2 writes the kernels of the weight gradient of a sparse input,
// C = Aᵀ·B with A's rows sparse: ScatterAxpy8AVX2 adds each sparse row of
// A times eight columns of B's row into an accumulator of eight columns,
// and CombineRows8AVX2 writes the accumulator into C.
func sparseAVX2() {
	scatterAxpy8AVX2()
	combineRows8AVX2()
}

// scatterAxpy8AVX2 writes ScatterAxpy8AVX2, which adds val[k]·x into the
// eight floats of acc at row idx[k], for every entry k.
func scatterAxpy8AVX2() {
	TEXT("ScatterAxpy8AVX2", NOSPLIT, "func(val []float32, idx []int32, x []float32, acc []float32)")
	Pragma("noescape")
	Doc(
		"ScatterAxpy8AVX2 is, for len(idx) >= len(val) and len(x) >= 8,",
		"",
		"\tfor k := range val {",
		"\t\tp := int(idx[k])",
		"\t\tfor l := 0; l < 8; l++ {",
		"\t\t\tacc[p*8+l] += val[k] * x[l] // fused multiply-add",
		"\t\t}",
		"\t}",
		"",
		"a sparse row times eight columns, scattered into rows of acc. It",
		"handles several entries at once, so the indices of one call must be",
		"distinct; 0 <= idx[k] and idx[k]*8+8 <= len(acc) for every k < len(val)",
		"are the caller's to ensure too.",
	)
	x := YMM()
	VMOVUPS(Mem{Base: Load(Param("x").Base(), GP64())}, x)
	e := loadSparseEntries()
	acc := Load(Param("acc").Base(), GP64())
	e.loop(scatterUnroll, func(n int) {
		s, rows := make([]VecVirtual, n), make([]Mem, n)
		for r := range n {
			s[r] = YMM()
			VBROADCASTSS(e.val(r), s[r])
			p := GP64()
			MOVLQSX(e.idx(r), p)
			SHLQ(U8(5), p)
			rows[r] = Mem{Base: acc, Index: p, Scale: 1}
		}
		for r := range n {
			VFMADD213PS(rows[r], x, s[r]) // s = x*s + row
		}
		for r := range n {
			VMOVUPS(s[r], rows[r])
		}
	})
	Label("ret")
	VZEROUPPER()
	RET()
}

// combineRows8AVX2 writes CombineRows8AVX2, which writes alpha times an
// accumulator of eight columns plus a row vector into C, scaled by beta.
// It has one loop for each case of beta == 0 and width == 8, so that no
// row tests either and full rows of C move with plain loads and stores.
func combineRows8AVX2() {
	TEXT("CombineRows8AVX2", NOSPLIT, "func(alpha, beta float32, acc []float32, v []float32, c []float32, ldc int, rows int, width int, sums []float32)")
	Pragma("noescape")
	Doc(
		"CombineRows8AVX2 is, for rows >= 1 and 1 <= width <= 8,",
		"",
		"\tfor p := 0; p < rows; p++ {",
		"\t\tfor l := 0; l < width; l++ {",
		"\t\t\tt := acc[p*8+l] + v[l]",
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
		"(masked loads and stores when width < 8) and reads v[:width] only.",
		"len(v) >= width, len(sums) >= width, len(acc) >= 8*rows and",
		"len(c) >= (rows-1)*ldc+width are the caller's to ensure.",
	)
	alpha, beta := YMM(), YMM()
	VBROADCASTSS(paramAddr("alpha"), alpha)
	VBROADCASTSS(paramAddr("beta"), beta)
	mask := avx2.tailMask(Load(Param("width"), GP64())) // all lanes for width 8
	v := YMM()
	VMASKMOVPS(Mem{Base: Load(Param("v").Base(), GP64())}, mask, v)
	ap := Load(Param("acc").Base(), GP64())
	cp := Load(Param("c").Base(), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	rows := Load(Param("rows"), GP64())
	betaZero := magnitudeBits("beta")
	// The column sums of the new C, added row by row in order.
	sums := YMM()
	VXORPS(sums, sums, sums)

	// loop emits the loop over the rows under label; C's row moves
	// through loadC (into a register or to an operand it returns) and
	// store.
	loop := func(label string, scaleC bool, loadC func(row Mem) Op, store func(src VecVirtual, row Mem)) {
		Label(label)
		row := Mem{Base: cp}
		t := YMM()
		VADDPS(Mem{Base: ap}, v, t) // t = v + acc
		if scaleC {
			ct := YMM()
			VMULPS(loadC(row), beta, ct) // ct = beta * C
			VFMADD231PS(t, alpha, ct)    // ct = alpha*t + ct
			t = ct
		} else {
			VMULPS(alpha, t, t) // t = t * alpha
		}
		store(t, row)
		VADDPS(t, sums, sums)
		ADDQ(U8(32), ap)
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
	loop("full_beta0", false, nil, storeFull)
	Label("masked")
	TESTL(betaZero, betaZero)
	JZ(LabelRef("masked_beta0"))
	loop("masked_beta", true, masked, storeMasked)
	loop("masked_beta0", false, nil, storeMasked)
	Label("ret")
	VMASKMOVPS(sums, mask, Mem{Base: Load(Param("sums").Base(), GP64())})
	VZEROUPPER()
	RET()
}
