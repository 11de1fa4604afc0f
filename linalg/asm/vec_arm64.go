//go:build arm64 && !purego

package asm

// The ASIMD (NEON) vector kernels, hand-written in vec_neon_arm64.s. Each
// works on len(x) (or len(y), len(d), len(dst)) elements; the other slice
// must be at least as long, which is the caller's to ensure. Tails shorter
// than a vector are handled inside, so any length works.

// AddToNEON is
//
//	for i := range dst {
//		dst[i] += x[i]
//	}
//
//go:noescape
func AddToNEON(dst, x []float32)

// AxpbyNEON is
//
//	for i := range y {
//		y[i] = b*x[i] + a*y[i] // one fused multiply-add after a*y[i]
//	}
//
//go:noescape
func AxpbyNEON(a float32, y []float32, b float32, x []float32)

// BiasSigmoidNEON is
//
//	for i := range x {
//		x[i] = float32(1 / (1 + math.Exp(-float64(x[i]+bias[i]))))
//	}
//
// computed in float32 as 1/(1+e) for z = x+bias >= 0 and e/(1+e) for
// z < 0, with e = exp(-|z|) <= 1, so nothing overflows. The vectorized exp
// clamps its argument at -104.5 (exp of less rounds to 0), splits it as
// n*ln 2 + r with n = round(t/ln 2) and ln 2 in two parts, uses Cephes'
// degree-7 polynomial for exp(r) on [-ln 2/2, ln 2/2], and scales by 2^n
// in two halves, so a subnormal e is rounded once. The result is within
// 3 ulp of the exact sigmoid where that is a normal float, and within one
// spacing where it is subnormal (z < -87.3); NaN stays NaN.
//
//go:noescape
func BiasSigmoidNEON(x, bias []float32)

// SigmoidGradNEON is
//
//	for i := range d {
//		d[i] *= a[i] * (1 - a[i])
//	}
//
//go:noescape
func SigmoidGradNEON(d, a []float32)

// ArgmaxNEON is
//
//	if len(x) == 0 {
//		return -1
//	}
//	best := 0
//	for i, v := range x {
//		if v != v {
//			return i
//		}
//		if v > x[best] {
//			best = i
//		}
//	}
//	return best
//
// computed in two passes: the maximum with FMAX (which yields NaN if any
// element is NaN), then the first element equal to it, or the first NaN.
//
//go:noescape
func ArgmaxNEON(x []float32) int
