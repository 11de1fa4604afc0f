//go:build arm64 && !purego

package asm

import (
	"math"
	"testing"
)

// ulpsOff returns how many float32 spacings at want got is away from want.
func ulpsOff(got float32, want float64) float64 {
	w := float32(want)
	spacing := float64(math.Nextafter32(w, float32(math.Inf(1)))) - float64(w)
	return math.Abs(float64(got)-want) / spacing
}

// TestBiasSigmoidNEONAccuracy checks the bounds BiasSigmoidNEON documents
// on 2^20 arguments spread over each range, against float64 math, and its
// limits.
func TestBiasSigmoidNEONAccuracy(t *testing.T) {
	for _, tc := range []struct {
		name     string
		from, to float32
		maxUlps  float64
	}{
		{"normal", -87.3, 88, 3},
		{"subnormal", -104, -87.4, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const n = 1 << 20
			x, bias := make([]float32, n+3), make([]float32, n+3) // +3: a ragged tail
			for i := range x {
				bias[i] = float32(i%5) * 0.0625
				x[i] = tc.from + (tc.to-tc.from)*float32(i)/(n+3) - bias[i]
			}
			z := make([]float32, len(x))
			for i := range x {
				z[i] = x[i] + bias[i]
			}
			BiasSigmoidNEON(x, bias)
			var worst float64
			var worstAt float32
			for i, v := range z {
				want := 1 / (1 + math.Exp(-float64(v)))
				if u := ulpsOff(x[i], want); u > worst {
					worst, worstAt = u, v
				}
			}
			t.Logf("largest error %.2f spacings, at %g", worst, worstAt)
			if worst > tc.maxUlps {
				t.Errorf("BiasSigmoidNEON of %g is %.2f spacings off, want <= %g", worstAt, worst, tc.maxUlps)
			}
		})
	}

	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, tc := range []struct{ in, want float32 }{
		{inf, 1}, {math.MaxFloat32, 1}, {200, 1}, {104, 1},
		{-inf, 0}, {-math.MaxFloat32, 0}, {-200, 0}, {-104, 0},
		{0, 0.5}, {float32(math.Copysign(0, -1)), 0.5},
	} {
		got := []float32{tc.in}
		BiasSigmoidNEON(got, []float32{0})
		if got[0] != tc.want || math.Signbit(float64(got[0])) {
			t.Errorf("BiasSigmoidNEON of %g = %g, want %g", tc.in, got[0], tc.want)
		}
	}
	got := []float32{nan, 1, nan, 2, nan}
	BiasSigmoidNEON(got, make([]float32, len(got)))
	for i, v := range got {
		if isNaN := v != v; isNaN != (i%2 == 0) {
			t.Errorf("BiasSigmoidNEON of [NaN 1 NaN 2 NaN][%d] = %g", i, v)
		}
	}
}
