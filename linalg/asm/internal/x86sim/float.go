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
// it (VFMADD231PS x, y, d: d = y*x + d), not the order of the operands;
// this machine's hardware agrees (TestNaNOrderMatchesHardware) and QEMU
// models x86 the same way.
func fmaLane(a, b, c uint32) uint32 {
	r := fma(a, b, c)
	if !isNaN32(r) {
		return r
	}
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
// fit in 53), so only the sum is rounded. float32(math.FMA(a, b, c)) would
// round twice, to float64 and then to float32, and in rare cases (about
// one in 2^29 sums that are inexact in float64) lands on a float32
// midpoint the exact sum is not on, rounding the wrong way. Rounding the
// float64 sum to odd instead (when inexact, taking the neighbour with an
// odd last bit) makes the second rounding exact, since 53 >= 24+2 (Boldo
// and Melquiond, "Emulation of FMA and correctly rounded sums: proved
// algorithms using rounding to odd", IEEE TC 2008).
func fma(a, b, c uint32) uint32 {
	p := float64(float64(f32(a)) * float64(f32(b))) // exact
	z := float64(f32(c))
	s := p + z
	if s-s == 0 { // s is finite, so the TwoSum error is exact
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
