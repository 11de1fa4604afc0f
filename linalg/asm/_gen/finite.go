package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// finiteAVX2 writes AllFiniteAVX2, the input check that Predict and
// training run on every sample: v - v is 0 for a finite v and NaN for NaN
// and ±Inf, and a sum of such terms stays 0 unless one is NaN.
func finiteAVX2() {
	TEXT("AllFiniteAVX2", NOSPLIT, "func(x []float32) bool")
	Pragma("noescape")
	Doc(
		"AllFiniteAVX2 is",
		"",
		"\tfor _, v := range x {",
		"\t\tif v-v != 0 { // NaN or ±Inf",
		"\t\t\treturn false",
		"\t\t}",
		"\t}",
		"\treturn true",
		"",
		"without the early return: it reads all of x.",
	)
	n := Load(Param("x").Len(), GP64())
	p := Load(Param("x").Base(), GP64())
	acc := zeroAccs(avx2, vecUnroll)
	vecLoop(avx2, n, []Register{p}, func(load func(int) VecVirtual, _ func(int, VecVirtual), _ Register, u int) {
		v := load(0)
		VSUBPS(v, v, v)
		VADDPS(v, acc[u], acc[u])
	})
	for _, a := range acc[1:] {
		VADDPS(a, acc[0], acc[0])
	}
	// Every lane is 0 (equal to itself) unless an element was not finite.
	VCMPPS(U8(0), acc[0], acc[0], acc[0]) // EQ_OQ: false for NaN
	mask := GP32()
	VMOVMSKPS(acc[0], mask)
	CMPL(mask, U8(0xff))
	ok := GP8()
	SETEQ(ok)
	Store(ok, ReturnIndex(0))
	VZEROUPPER()
	RET()
}
