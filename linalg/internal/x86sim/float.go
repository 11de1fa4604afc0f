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

// fmaLanes sets r[i] = fmaLane(a[i], b[i], c[i]) for i < n; r may be one
// of the sources. It takes a shortcut for the common case of a float64
// sum that is finite, at least float32's smallest normal in magnitude and
// not on a float32 midpoint: rounding that sum to float32 is exact (see
// fma).
func fmaLanes(r, a, b, c *[16]uint32, n int) {
	const (
		lowBits   = 1<<29 - 1 // the bits of a float64 that float32 drops
		midpoint  = 1 << 28   // halfway between two float32s
		minNormal = 0x381 << 53
		inf       = 0x7ff << 53
	)
	for i := range n {
		s := float64(f32(a[i]))*float64(f32(b[i])) + float64(f32(c[i])) // fusing it would change nothing: the product is exact
		if u := math.Float64bits(s); u&lowBits != midpoint && u<<1 >= minNormal && u<<1 < inf {
			r[i] = math.Float32bits(float32(s))
		} else {
			r[i] = fmaLane(a[i], b[i], c[i])
		}
	}
}
