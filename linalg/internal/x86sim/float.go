package x86sim

import "math"

// float32 arithmetic on bit patterns, with the results x86 gives under the
// default MXCSR (round to nearest even, no flush-to-zero, exceptions
// masked). Only NaN results need care: Go's own NaN results are not the
// hardware's.

const (
	quietBit   = 0x00400000
	defaultNaN = 0xffc00000 // the "real indefinite" QNaN of invalid operations
)

func isNaN32(x uint32) bool { return x&0x7fffffff > 0x7f800000 }

// nan2 is the NaN result of a two-source operation whose result is NaN:
// the first NaN source in Intel operand order (src1, src2), quieted, or
// the default NaN if neither source is a NaN.
func nan2(src1, src2 uint32) uint32 {
	switch {
	case isNaN32(src1):
		return src1 | quietBit
	case isNaN32(src2):
		return src2 | quietBit
	}
	return defaultNaN
}

// fmaLane is one lane of an FMA instruction: a*b+c rounded once, or if
// that is NaN, the first NaN among a, b and c, quieted (the default NaN
// if none is a NaN, as for Inf*0+1). The order is that of the roles in
// the arithmetic, as the instructions' pseudocode in Intel's manual writes
// it (VFMADD231PS x, y, d: d = y*x + d), not the order of the operands.
// AMD Zen 3 agrees (TestAxpyRowsHardwareCases), and QEMU models x86 the
// same way.
func fmaLane(a, b, c uint32) uint32 {
	r := fma(a, b, c)
	if isNaN32(r) {
		r = fmaNaN(a, b, c)
	}
	return r
}

func fmaNaN(a, b, c uint32) uint32 {
	if isNaN32(a) {
		return a | quietBit
	}
	return nan2(b, c)
}

func f32(x uint32) float32 { return math.Float32frombits(x) }

// add, sub, mul and div compute src1 op src2 as VADDPS and friends do,
// where src1 is the Go middle operand and src2 the Go first operand.
func add(src1, src2 uint32) uint32 {
	r := math.Float32bits(f32(src1) + f32(src2))
	if isNaN32(r) {
		return nan2(src1, src2)
	}
	return r
}

func sub(src1, src2 uint32) uint32 {
	r := math.Float32bits(f32(src1) - f32(src2))
	if isNaN32(r) {
		return nan2(src1, src2)
	}
	return r
}

func mul(src1, src2 uint32) uint32 {
	r := math.Float32bits(f32(src1) * f32(src2))
	if isNaN32(r) {
		return nan2(src1, src2)
	}
	return r
}

func div(src1, src2 uint32) uint32 {
	r := math.Float32bits(f32(src1) / f32(src2))
	if isNaN32(r) {
		return nan2(src1, src2)
	}
	return r
}

// fma returns a*b+c rounded once to float32, as the FMA unit computes it.
// NaN results are left to the caller (see fmaLane).
//
// The product of two float32s is exact in float64 (24+24 significant bits
// fit in 53), so only the float64 sum s is rounded. Rounding s again to
// float32 would be wrong when the first rounding landed exactly on a
// midpoint between two float32s that the exact sum is not on (about one
// in 2^29 inexact sums): it would then go the way of ties-to-even instead
// of toward the exact sum. Rounding the float64 sum to odd instead (when
// inexact, taking the neighbour with an odd last bit) makes the second
// rounding exact, since 53 >= 24+2 (Boldo and Melquiond, "Emulation of
// FMA and correctly rounded sums: proved algorithms using rounding to
// odd", IEEE Transactions on Computers, 2008).
func fma(a, b, c uint32) uint32 {
	p := float64(f32(a)) * float64(f32(b)) // exact
	z := float64(f32(c))
	s := p + z
	if s-s == 0 { // s is finite, so the TwoSum error e is exact
		bv := s - p
		e := (p - (s - bv)) + (z - bv) // p + z == s + e exactly
		if bits := math.Float64bits(s); e != 0 && bits&1 == 0 {
			if (e > 0) == (s > 0) {
				bits++ // away from zero, toward the exact sum
			} else {
				bits--
			}
			s = math.Float64frombits(bits)
		}
	}
	return math.Float32bits(float32(s))
}

// fmaLanes sets r[i] = fmaLane(a[i], b[i], c[i]) for i < n, or with
// negate the VFNMADD result -(a[i]*b[i]) + c[i]; r may be one of the
// sources. A NaN result is chosen from the sources as they are: the
// negation applies to the product, not to a NaN operand. It takes a
// shortcut for the common case of a float64 sum that is finite, at least
// float32's smallest normal in magnitude and not on a float32 midpoint:
// rounding that sum to float32 is exact (see fma).
func fmaLanes(r, a, b, c *[16]uint32, n int, negate bool) {
	const (
		lowBits   = 1<<29 - 1 // the bits of a float64 that float32 drops
		midpoint  = 1 << 28   // halfway between two float32s
		minNormal = 0x381 << 53
		inf       = 0x7ff << 53
	)
	var sign uint32
	if negate {
		sign = signBit
	}
	for i := range n {
		ai := a[i] ^ sign
		s := float64(f32(ai))*float64(f32(b[i])) + float64(f32(c[i])) // fusing it would change nothing: the product is exact
		if u := math.Float64bits(s); u&lowBits != midpoint && u<<1 >= minNormal && u<<1 < inf {
			r[i] = math.Float32bits(float32(s))
		} else if v := fma(ai, b[i], c[i]); !isNaN32(v) {
			r[i] = v
		} else {
			r[i] = fmaNaN(a[i], b[i], c[i])
		}
	}
}

const signBit = 0x80000000

// minLane and maxLane are VMINPS and VMAXPS: src1 if it is less (greater)
// than src2, and otherwise src2 as it is, even when src1 or src2 is a
// NaN (a signalling src2 is not quieted) or both are zeros.
func minLane(src1, src2 uint32) uint32 {
	if f32(src1) < f32(src2) {
		return src1
	}
	return src2
}

func maxLane(src1, src2 uint32) uint32 {
	if f32(src1) > f32(src2) {
		return src1
	}
	return src2
}

// roundScale is VRNDSCALEPS: x rounded to a multiple of 2^-M, where M is
// imm's high nibble, in the rounding mode of imm's bits 0-1 (to nearest
// even, down, up, toward zero) or if bit 2 is set in MXCSR's (to nearest
// even); bit 3 only suppresses the precision exception. VROUNDPS is the
// same with M = 0. A signalling NaN is quieted, and zeros and infinities
// are kept with their signs.
func roundScale(x uint32, imm uint8) uint32 {
	if isNaN32(x) {
		return x | quietBit
	}
	scale := int(imm >> 4)
	round := [...]func(float64) float64{math.RoundToEven, math.Floor, math.Ceil, math.Trunc}[imm&3]
	if imm&4 != 0 {
		round = math.RoundToEven
	}
	// x*2^M is exact in float64, and so are the rounding and the scaling
	// back; the result fits float32 (it is x itself when x's spacing is
	// 2^-M or more).
	return math.Float32bits(float32(math.Ldexp(round(math.Ldexp(float64(f32(x)), scale)), -scale)))
}

// toInt32 is VCVTPS2DQ (with round = math.RoundToEven, as MXCSR's default
// mode says) and VCVTTPS2DQ (math.Trunc): a NaN, or a result outside
// int32's range, gives the "integer indefinite" 0x80000000.
func toInt32(x uint32, round func(float64) float64) uint32 {
	r := round(float64(f32(x)))
	if isNaN32(x) || r < math.MinInt32 || r > math.MaxInt32 {
		return 0x80000000
	}
	return uint32(int32(r))
}

// compareLane is VCMPPS's predicate pred (0-31) on src1 and src2. Bit 4
// of pred only chooses which comparisons signal on a quiet NaN, which has
// no effect with exceptions masked.
func compareLane(pred uint8, src1, src2 uint32) bool {
	a, b := f32(src1), f32(src2)
	unordered := a != a || b != b
	switch pred & 15 {
	case 0: // EQ_OQ
		return a == b
	case 1: // LT_OS
		return a < b
	case 2: // LE_OS
		return a <= b
	case 3: // UNORD_Q
		return unordered
	case 4: // NEQ_UQ
		return a != b
	case 5: // NLT_US
		return !(a < b)
	case 6: // NLE_US
		return !(a <= b)
	case 7: // ORD_Q
		return !unordered
	case 8: // EQ_UQ
		return a == b || unordered
	case 9: // NGE_US
		return !(a >= b)
	case 10: // NGT_US
		return !(a > b)
	case 11: // FALSE_OQ
		return false
	case 12: // NEQ_OQ
		return a != b && !unordered
	case 13: // GE_OS
		return a >= b
	case 14: // GT_OS
		return a > b
	}
	return true // TRUE_UQ
}

// float64 arithmetic for the instructions on float64 lanes, with the same
// NaN rules as float32's.

const (
	quietBit64   = 1 << 51
	defaultNaN64 = 0xfff8000000000000
)

func isNaN64(x uint64) bool { return x&^(1<<63) > 0x7ff0000000000000 }

func f64(x uint64) float64 { return math.Float64frombits(x) }

// nan64 is the NaN result of a float64 operation: the first NaN of xs,
// quieted, or the default NaN.
func nan64(xs ...uint64) uint64 {
	for _, x := range xs {
		if isNaN64(x) {
			return x | quietBit64
		}
	}
	return defaultNaN64
}

// add64 is VADDPD's src1 + src2.
func add64(src1, src2 uint64) uint64 {
	if r := math.Float64bits(f64(src1) + f64(src2)); !isNaN64(r) {
		return r
	}
	return nan64(src1, src2)
}

// fma64 is a*b+c rounded once, NaNs chosen as fmaLane does.
func fma64(a, b, c uint64) uint64 {
	if r := math.Float64bits(math.FMA(f64(a), f64(b), f64(c))); !isNaN64(r) {
		return r
	}
	return nan64(a, b, c)
}

// widen is VCVTPS2PD of one lane: exact, and a NaN quieted with its sign
// and payload kept (in the high bits of float64's).
func widen(x uint32) uint64 {
	if isNaN32(x) {
		return uint64(x>>31)<<63 | 0x7ff<<52 | quietBit64 | uint64(x&0x7fffff)<<29
	}
	return math.Float64bits(float64(f32(x)))
}
