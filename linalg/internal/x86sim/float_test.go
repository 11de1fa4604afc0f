package x86sim

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// naiveFMA rounds twice, to float64 and then to float32: what fma must
// not do.
func naiveFMA(a, b, c float32) float32 {
	return float32(math.FMA(float64(a), float64(b), float64(c)))
}

// exactFMA rounds the exact a*b+c once to float32 with big.Float.
func exactFMA(a, b, c float32) float32 {
	const prec = 1000 // enough for any a*b+c of finite float32s
	x := new(big.Float).SetPrec(prec).SetFloat64(float64(a))
	x.Mul(x, new(big.Float).SetFloat64(float64(b)))
	x.Add(x, new(big.Float).SetFloat64(float64(c)))
	f, _ := x.Float32()
	if f == 0 && x.Sign() == 0 { // an exact zero: +0 unless both terms are -0
		return float32(float64(a)*float64(b) + float64(c))
	}
	return f
}

func f32s(bits ...uint32) (a, b, c float32) {
	return math.Float32frombits(bits[0]), math.Float32frombits(bits[1]), math.Float32frombits(bits[2])
}

func TestFMALane(t *testing.T) {
	negZero := math.Float32bits(float32(math.Copysign(0, -1)))
	for _, tc := range []struct {
		name    string
		a, b, c uint32
		want    uint32
	}{
		// 4097*16773121 = 2^36+1 and c = 2^60, whose float32 ulp is 2^37:
		// the exact sum is just above the midpoint 2^60+2^36, which the
		// float64 sum lands on and ties-to-even would round down.
		{"above a midpoint", bitsOf(4097), bitsOf(16773121), 0x5d800000, 0x5d800001},
		// 262143*262145 = 2^36-1 and c = 2^60+2^37: just below a midpoint
		// whose even neighbour is above.
		{"below a midpoint", bitsOf(262143), bitsOf(262145), 0x5d800001, 0x5d800001},
		{"exact", bitsOf(1.5), bitsOf(2), bitsOf(0.25), bitsOf(3.25)},
		{"cancellation gives +0", bitsOf(1), bitsOf(1), bitsOf(-1), 0},
		{"-0 + -0", bitsOf(1), negZero, negZero, negZero},
		{"-0 + +0", bitsOf(1), negZero, 0, 0},
		{"subnormal result", bitsOf(0x1p-70), bitsOf(0x1p-70), 0, 1 << 9},
		{"tie at half the smallest subnormal goes to 0", bitsOf(0x1p-75), bitsOf(0x1p-75), 0, 0},
		{"just above it goes up", bitsOf(0x1.000002p-75), bitsOf(0x1p-75), 0, 1},
		{"overflow", bitsOf(math.MaxFloat32), bitsOf(2), 0, 0x7f800000},
		{"Inf*0+1 is the default NaN", 0x7f800000, 0, bitsOf(1), defaultNaN},
		{"Inf*0+NaN is the NaN", 0x7f800000, 0, 0x7fc00003, 0x7fc00003},
		{"signalling NaN is quieted", 0x7f812345, bitsOf(1), bitsOf(1), 0x7fc12345},
		{"a before b before c", 0xffc00001, 0x7fc00002, 0x7fc00003, 0xffc00001},
		{"b before c", bitsOf(1), 0x7f800002, 0x7fc00003, 0x7fc00002},
		{"c", bitsOf(1), bitsOf(1), 0xff800003, 0xffc00003},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fmaLane(tc.a, tc.b, tc.c); got != tc.want {
				t.Errorf("fmaLane(%#08x, %#08x, %#08x) = %#08x, want %#08x", tc.a, tc.b, tc.c, got, tc.want)
			}
			var r, a, b, c [16]uint32
			a[3], b[3], c[3] = tc.a, tc.b, tc.c
			if fmaLanes(&r, &a, &b, &c, 16, false); r[3] != tc.want {
				t.Errorf("fmaLanes lane 3 = %#08x, want %#08x", r[3], tc.want)
			}
		})
	}
}

// TestFMAExact compares fma with a big.Float oracle on random operands
// over the whole exponent range and on constructed sums within a float64
// ulp of a float32 midpoint, where rounding twice goes wrong.
func TestFMAExact(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	scaled := func(lo, hi int) float32 {
		return float32(math.Ldexp(r.Float64()*2-1, lo+r.IntN(hi-lo)))
	}
	type triple struct{ a, b, c float32 }
	var cases []triple
	for range 200000 {
		e := r.IntN(240) - 140 // the product's exponent, subnormal to huge
		cases = append(cases, triple{scaled(e/2-2, e/2+2), scaled(e-e/2-2, e-e/2+2), scaled(e-30, e+40)})
	}
	// (2^j-1)(2^j+1) = 2^2j-1 and (2^j+1)(2^2j-2^j+1) = 2^3j+1 put a
	// product at half an ulp of c, give or take far less than a float64
	// ulp of the sum.
	for range 20000 {
		j := 15 + r.IntN(8)
		u, v := float64(int(1)<<j-1), float64(int(1)<<j+1)
		if r.IntN(2) == 0 {
			j = 10 + r.IntN(3)
			u, v = float64(int(1)<<j+1), float64(int(1)<<(2*j)-int(1)<<j+1)
		}
		prodBits := math.Ilogb(u * v)
		s := r.IntN(200) - 100                               // c = M * 2^s, M a 24-bit integer
		c := float64(1<<23+r.IntN(1<<23)) * math.Ldexp(1, s) // its ulp is 2^s
		shift := s - 1 - prodBits                            // scale the product to 2^(s-1)
		a, b := float32(math.Ldexp(u, shift/2)), float32(math.Ldexp(v, shift-shift/2))
		if r.IntN(2) == 0 {
			a = -a
		}
		if r.IntN(2) == 0 {
			c = -c
		}
		cases = append(cases, triple{a, b, float32(c)})
	}
	naiveWrong := 0
	for _, tc := range cases {
		want := exactFMA(tc.a, tc.b, tc.c)
		got := math.Float32frombits(fma(bitsOf(tc.a), bitsOf(tc.b), bitsOf(tc.c)))
		if bitsOf(got) != bitsOf(want) {
			t.Fatalf("fma(%g, %g, %g) = %g (%#08x), want %g (%#08x)", tc.a, tc.b, tc.c, got, bitsOf(got), want, bitsOf(want))
		}
		var lr, la, lb, lc [16]uint32
		la[0], lb[0], lc[0] = bitsOf(tc.a), bitsOf(tc.b), bitsOf(tc.c)
		if fmaLanes(&lr, &la, &lb, &lc, 1, false); lr[0] != bitsOf(want) {
			t.Fatalf("fmaLanes(%g, %g, %g) = %#08x, want %#08x", tc.a, tc.b, tc.c, lr[0], bitsOf(want))
		}
		if fmaLanes(&lr, &la, &lb, &lc, 1, true); lr[0] != bitsOf(exactFMA(-tc.a, tc.b, tc.c)) {
			t.Fatalf("negated fmaLanes(%g, %g, %g) = %#08x, want %#08x", tc.a, tc.b, tc.c, lr[0], bitsOf(exactFMA(-tc.a, tc.b, tc.c)))
		}
		if bitsOf(naiveFMA(tc.a, tc.b, tc.c)) != bitsOf(want) {
			naiveWrong++
		}
	}
	// The constructed cases must include some that rounding twice gets
	// wrong, or this test could not tell fma from naiveFMA.
	if naiveWrong < 1000 {
		t.Errorf("rounding twice was wrong in %d cases, want at least 1000", naiveWrong)
	}
	t.Logf("%d cases, %d of which rounding twice gets wrong", len(cases), naiveWrong)
}

func TestTwoOperandNaNs(t *testing.T) {
	for _, tc := range []struct {
		name       string
		op         func(src1, src2 uint32) uint32
		src1, src2 uint32
		want       uint32
	}{
		{"add src1 first", add, 0x7fc00001, 0xffc00002, 0x7fc00001},
		{"add src2", add, bitsOf(1), 0xff800002, 0xffc00002},
		{"sub Inf-Inf", sub, 0x7f800000, 0x7f800000, defaultNaN},
		{"mul 0*Inf", mul, 0, 0xff800000, defaultNaN},
		{"div 0/0", div, 0, 0, defaultNaN},
		{"div src1 quieted", div, 0x7f800001, 0x7fc00002, 0x7fc00001},
		{"mul ordinary", mul, bitsOf(1.5), bitsOf(-2), bitsOf(-3)},
	} {
		if got := tc.op(tc.src1, tc.src2); got != tc.want {
			t.Errorf("%s(%#08x, %#08x) = %#08x, want %#08x", tc.name, tc.src1, tc.src2, got, tc.want)
		}
	}
}

func TestFNMALaneNaNs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		a, b, c uint32
		want    uint32
	}{
		{"a NaN keeps its sign", 0x7fc00001, bitsOf(1), bitsOf(1), 0x7fc00001},
		{"negative a NaN too", 0xff800001, bitsOf(1), 0x7fc00003, 0xffc00001},
		{"b before c", bitsOf(2), 0xffc00002, 0x7fc00003, 0xffc00002},
		{"-(Inf*1)+Inf is the default NaN", 0x7f800000, bitsOf(1), 0x7f800000, defaultNaN},
		{"-(1*1)+1 is +0", bitsOf(1), bitsOf(1), bitsOf(1), 0},
		{"-(2*3)+1", bitsOf(2), bitsOf(3), bitsOf(1), bitsOf(-5)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r, a, b, c [16]uint32
			a[5], b[5], c[5] = tc.a, tc.b, tc.c
			if fmaLanes(&r, &a, &b, &c, 16, true); r[5] != tc.want {
				t.Errorf("negated fmaLanes lane 5 = %#08x, want %#08x", r[5], tc.want)
			}
		})
	}
}

func TestMinMaxLanes(t *testing.T) {
	const qnan, snan = 0x7fc00001, 0xff800002
	negZero := bitsOf(float32(math.Copysign(0, -1)))
	for _, tc := range []struct {
		name       string
		src1, src2 uint32
		min, max   uint32
	}{
		{"ordered", bitsOf(1), bitsOf(2), bitsOf(1), bitsOf(2)},
		{"reversed", bitsOf(3), bitsOf(-2), bitsOf(-2), bitsOf(3)},
		{"src1 NaN gives src2", qnan, bitsOf(1), bitsOf(1), bitsOf(1)},
		{"src2 NaN is returned unquieted", bitsOf(1), snan, snan, snan},
		{"both NaN gives src2", qnan, snan, snan, snan},
		{"zeros give src2", 0, negZero, negZero, negZero},
		{"zeros give src2, reversed", negZero, 0, 0, 0},
		{"infinities", 0xff800000, 0x7f800000, 0xff800000, 0x7f800000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := minLane(tc.src1, tc.src2); got != tc.min {
				t.Errorf("minLane(%#08x, %#08x) = %#08x, want %#08x", tc.src1, tc.src2, got, tc.min)
			}
			if got := maxLane(tc.src1, tc.src2); got != tc.max {
				t.Errorf("maxLane(%#08x, %#08x) = %#08x, want %#08x", tc.src1, tc.src2, got, tc.max)
			}
		})
	}
}

func TestRoundScale(t *testing.T) {
	negZero := bitsOf(float32(math.Copysign(0, -1)))
	for _, tc := range []struct {
		name string
		x    uint32
		imm  uint8
		want uint32
	}{
		{"nearest even, down", bitsOf(2.5), 0, bitsOf(2)},
		{"nearest even, up", bitsOf(3.5), 0, bitsOf(4)},
		{"nearest", bitsOf(-1.75), 0, bitsOf(-2)},
		{"small negative keeps the sign", bitsOf(-0.25), 0, negZero},
		{"floor", bitsOf(-1.25), 1, bitsOf(-2)},
		{"ceil", bitsOf(1.25), 2, bitsOf(2)},
		{"ceil of -0.5 is -0", bitsOf(-0.5), 2, negZero},
		{"trunc", bitsOf(-1.75), 3, bitsOf(-1)},
		{"MXCSR mode is nearest, whatever bits 0-1 say", bitsOf(2.75), 4 | 3, bitsOf(3)},
		{"precision bit has no effect", bitsOf(2.5), 8, bitsOf(2)},
		{"M = 1: halves", bitsOf(1.3), 0x10, bitsOf(1.5)},
		{"M = 2, floor: quarters", bitsOf(-1.3), 0x21, bitsOf(-1.5)},
		{"M = 15 near zero", bitsOf(0x1p-17), 0xf0, 0},
		{"M = 15, ceil near zero", bitsOf(0x1p-17), 0xf2, bitsOf(0x1p-15)},
		{"large values are integers", bitsOf(0x1p30 + 128), 0xf3, bitsOf(0x1p30 + 128)},
		{"the largest float", bitsOf(math.MaxFloat32), 0xf0, bitsOf(math.MaxFloat32)},
		{"infinity", 0xff800000, 0, 0xff800000},
		{"signalling NaN is quieted", 0x7f800005, 0, 0x7fc00005},
		{"quiet NaN", 0xffc00006, 3, 0xffc00006},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := roundScale(tc.x, tc.imm); got != tc.want {
				t.Errorf("roundScale(%g, %#x) = %g (%#08x), want %g (%#08x)", f32(tc.x), tc.imm, f32(got), got, f32(tc.want), tc.want)
			}
		})
	}
}

func TestToInt32(t *testing.T) {
	for _, tc := range []struct {
		x          float32
		cvt, trunc uint32
	}{
		{2.5, 2, 2},
		{3.5, 4, 3},
		{-2.5, 0xfffffffe, 0xfffffffe},
		{-2.75, 0xfffffffd, 0xfffffffe},
		{0x1p31 - 128, 0x7fffff80, 0x7fffff80},
		{0x1p31, 0x80000000, 0x80000000},
		{-0x1p31, 0x80000000, 0x80000000},
		{float32(math.Inf(-1)), 0x80000000, 0x80000000},
		{float32(math.NaN()), 0x80000000, 0x80000000},
	} {
		if got := toInt32(bitsOf(tc.x), math.RoundToEven); got != tc.cvt {
			t.Errorf("VCVTPS2DQ of %g = %#08x, want %#08x", tc.x, got, tc.cvt)
		}
		if got := toInt32(bitsOf(tc.x), math.Trunc); got != tc.trunc {
			t.Errorf("VCVTTPS2DQ of %g = %#08x, want %#08x", tc.x, got, tc.trunc)
		}
	}
}

// TestCompareLane checks every predicate on less, equal, greater and
// unordered operands, against the table in Intel's manual (CMPPS).
func TestCompareLane(t *testing.T) {
	one, two, nan := bitsOf(1), bitsOf(2), uint32(0x7fc00000)
	// Each predicate's results for (1, 2), (2, 2), (2, 1) and (NaN, 1).
	want := [16]string{
		"0100", // EQ
		"1000", // LT
		"1100", // LE
		"0001", // UNORD
		"1011", // NEQ
		"0111", // NLT
		"0011", // NLE
		"1110", // ORD
		"0101", // EQ_UQ
		"1001", // NGE
		"1101", // NGT
		"0000", // FALSE
		"1010", // NEQ_OQ
		"0110", // GE
		"0010", // GT
		"1111", // TRUE
	}
	pairs := [4][2]uint32{{one, two}, {two, two}, {two, one}, {nan, one}}
	for pred := range uint8(32) {
		var got []byte
		for _, p := range pairs {
			got = append(got, "01"[b2i(compareLane(pred, p[0], p[1]))])
		}
		if string(got) != want[pred&15] {
			t.Errorf("predicate %d on (1,2) (2,2) (2,1) (NaN,1) = %s, want %s", pred, got, want[pred&15])
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestFloat64Lanes(t *testing.T) {
	const qnan, snan = 0x7ff8000000000001, 0xfff0000000000002
	one, two := math.Float64bits(1), math.Float64bits(2)
	for _, tc := range []struct {
		name      string
		got, want uint64
	}{
		{"widen 1.5", widen(bitsOf(1.5)), math.Float64bits(1.5)},
		{"widen -0", widen(0x80000000), 1 << 63},
		{"widen a subnormal", widen(1), math.Float64bits(0x1p-149)},
		{"widen -Inf", widen(0xff800000), math.Float64bits(math.Inf(-1))},
		{"widen quiets a signalling NaN, keeping sign and payload", widen(0xff812345), 0xfff8000000000000 | 0x12345<<29},
		{"add64", add64(one, two), math.Float64bits(3)},
		{"add64 src1 NaN first", add64(qnan, snan), qnan},
		{"add64 src2 NaN quieted", add64(one, snan), snan | quietBit64},
		{"add64 Inf-Inf", add64(math.Float64bits(math.Inf(1)), math.Float64bits(math.Inf(-1))), defaultNaN64},
		{"fma64 rounds once", fma64(math.Float64bits(1+0x1p-30), math.Float64bits(1-0x1p-30), math.Float64bits(-1)), math.Float64bits(-0x1p-60)},
		{"fma64 a before b and c", fma64(snan, qnan, qnan), snan | quietBit64},
		{"fma64 b before c", fma64(one, qnan, snan), qnan},
		{"fma64 Inf*0+1", fma64(math.Float64bits(math.Inf(1)), 0, one), defaultNaN64},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %#016x, want %#016x", tc.name, tc.got, tc.want)
		}
	}
}
