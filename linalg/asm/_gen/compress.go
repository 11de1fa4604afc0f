package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// compressAVX2 writes the kernels that compress input rows which are
// mostly one value (an image's background): CountEqualAVX2 counts the
// elements equal to a candidate base, and CompressRowAVX2 writes the
// others as (column, difference) entries. Both compare eight elements at
// a time and turn the comparison into an 8-bit mask with VMOVMSKPS, whose
// POPCNT is the count; every CPU with AVX2 has POPCNT (it came with
// SSE4.2 and AMD's SSE4a, years before AVX2), so linalg's AVX2 set needs
// no check of its own for it.
func compressAVX2() {
	countEqualAVX2()
	compressRowAVX2()
}

// VCMPPS predicates.
const (
	cmpEQOQ  = 0x00 // equal, false if either is NaN
	cmpNEQUQ = 0x04 // not equal, true if either is NaN
)

// countEqualAVX2 writes CountEqualAVX2. Each vector costs a compare, a
// VMOVMSKPS, a POPCNT and an add; the count alternates between two
// registers so that the adds do not wait on each other.
func countEqualAVX2() {
	TEXT("CountEqualAVX2", NOSPLIT, "func(x []float32, v float32) int")
	Pragma("noescape")
	Doc(
		"CountEqualAVX2 is",
		"",
		"\tn := 0",
		"\tfor _, e := range x {",
		"\t\tif e == v { // NaN equals nothing, -0 equals +0",
		"\t\t\tn++",
		"\t\t}",
		"\t}",
		"\treturn n",
	)
	n := Load(Param("x").Len(), GP64())
	p := Load(Param("x").Base(), GP64())
	v := YMM()
	VBROADCASTSS(paramAddr("v"), v)
	var counts [2]Register
	for i := range counts {
		counts[i] = GP64()
		XORQ(counts[i], counts[i])
	}
	vecLoop(avx2, n, []Register{p}, func(load func(int) VecVirtual, _ func(int, VecVirtual), mask Register, u int) {
		eq := YMM()
		VCMPPS(U8(cmpEQOQ), v, load(0), eq)
		if mask != nil {
			VANDPS(mask, eq, eq) // the lanes past the tail, loaded as 0, count for nothing
		}
		c := GP64()
		VMOVMSKPS(eq, c.As32())
		POPCNTL(c.As32(), c.As32())
		ADDQ(c, counts[u%2])
	})
	ADDQ(counts[1], counts[0])
	Store(counts[0], ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// compressRowAVX2 writes CompressRowAVX2. Per vector of x it compares
// with the base, looks the 8-bit mask of the kept lanes up in
// leftPackTable, and permutes the differences and the column numbers by
// that entry so that the kept lanes come first, in order; it stores all
// eight lanes of both at the next free entry and moves the outputs on by
// the POPCNT of the mask. No branch depends on the data.
func compressRowAVX2() {
	TEXT("CompressRowAVX2", NOSPLIT, "func(x []float32, base float32, index []int32, value []float32) int")
	Pragma("noescape")
	Doc(
		"CompressRowAVX2 is, for len(index) >= len(x)+8 and len(value) >= len(x)+8,",
		"",
		"\tk := 0",
		"\tfor j, v := range x {",
		"\t\tif v != base { // NaN always differs, -0 equals +0",
		"\t\t\tindex[k], value[k] = int32(j), v-base",
		"\t\t\tk++",
		"\t\t}",
		"\t}",
		"\treturn k",
		"",
		"except that what it leaves in index and value past their first k elements",
		"is unspecified: it stores eight of each per eight elements of x. It",
		"writes only the first len(x)+7 elements of each.",
	)
	n := Load(Param("x").Len(), GP64())
	xp := Load(Param("x").Base(), GP64())
	ip := Load(Param("index").Base(), GP64())
	vp := Load(Param("value").Base(), GP64())
	base := YMM()
	VBROADCASTSS(paramAddr("base"), base)
	cols := YMM()
	VMOVDQU(laneNumbers(), cols) // the columns 0 to 7
	eight := YMM()
	VMOVDQU(constU("Eight", 8), eight)
	table := GP64()
	LEAQ(leftPackTable(), table)

	vecLoop(avx2, n, []Register{xp}, func(load func(int) VecVirtual, _ func(int, VecVirtual), mask Register, _ int) {
		x := load(0)
		keep := YMM()
		VCMPPS(U8(cmpNEQUQ), base, x, keep)
		if mask != nil {
			VANDPS(mask, keep, keep) // the lanes past the tail are never kept
		}
		bits, off := GP64(), GP64()
		VMOVMSKPS(keep, bits.As32())
		MOVQ(bits, off)
		SHLQ(U8(5), off) // 32 bytes per entry
		perm := YMM()
		VMOVDQU(Mem{Base: table, Index: off, Scale: 1}, perm)
		diff, col := YMM(), YMM()
		VSUBPS(base, x, diff)
		VPERMPS(diff, perm, diff)
		VPERMD(cols, perm, col)
		VMOVUPS(diff, Mem{Base: vp})
		VMOVDQU(col, Mem{Base: ip})
		POPCNTL(bits.As32(), bits.As32())
		LEAQ(Mem{Base: vp, Index: bits, Scale: 4}, vp)
		LEAQ(Mem{Base: ip, Index: bits, Scale: 4}, ip)
		if mask == nil {
			VPADDD(eight, cols, cols)
		}
	})
	Comment("The count is how far index's pointer moved.")
	SUBQ(componentAddr(Param("index").Base()), ip)
	SHRQ(U8(2), ip)
	Store(ip, ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// laneNumbers returns a 32-byte read-only vector of the int32s 0 to 7.
func laneNumbers() Mem {
	m := GLOBL("compressLaneNumbers", RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(4*i, U32(i))
	}
	return m
}

// leftPackTable returns the read-only table whose 32 bytes at 32*mask
// are, for each 8-bit mask, a permutation of the lane numbers 0 to 7 as
// int32s: the lanes whose bit is set, in increasing order, then the
// others, in increasing order. VPERMPS by it packs the lanes under mask
// to the front of a vector.
func leftPackTable() Mem {
	m := GLOBL("compressLeftPack", RODATA|NOPTR)
	for mask := 0; mask < 256; mask++ {
		slot := 0
		for _, set := range []bool{true, false} {
			for lane := 0; lane < 8; lane++ {
				if (mask>>lane&1 != 0) == set {
					DATA(32*mask+4*slot, U32(lane))
					slot++
				}
			}
		}
	}
	return m
}
