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
			if fmaLanes(&r, &a, &b, &c, 16); r[3] != tc.want {
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
		if fmaLanes(&lr, &la, &lb, &lc, 1); lr[0] != bitsOf(want) {
			t.Fatalf("fmaLanes(%g, %g, %g) = %#08x, want %#08x", tc.a, tc.b, tc.c, lr[0], bitsOf(want))
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
