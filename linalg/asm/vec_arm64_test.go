//go:build arm64 && !purego

package asm

import (
	"math"
	"testing"
)

// ulpsOff returns how many float32 spacings at want got is away from want.
func ulpsOff(got float32, want float64) float64 {
	w := float32(want)
	ulp := float64(math.Nextafter32(w, float32(math.Inf(1))) - w)
	return math.Abs(float64(got)-want) / ulp
}

// TestBiasSigmoidNEONUlps checks the 4 ulp bound BiasSigmoidNEON documents
// on 2^20 arguments spread over [-87, 88], where the sigmoid is a normal
// float, and its limits outside.
func TestBiasSigmoidNEONUlps(t *testing.T) {
	const n = 1 << 20
	x, bias := make([]float32, n+3), make([]float32, n+3) // +3: a ragged tail
	for i := range x {
		x[i] = -87 + 175*float32(i)/n
		bias[i] = float32(i%5) * 0.25
	}
	in := make([]float32, len(x))
	for i := range x {
		in[i] = x[i] + bias[i]
	}
	BiasSigmoidNEON(x, bias)
	var worst float64
	var worstAt float32
	for i, v := range in {
		want := 1 / (1 + math.Exp(-float64(v)))
		if u := ulpsOff(x[i], want); u > worst {
			worst, worstAt = u, v
		}
	}
	t.Logf("largest error %.2f ulp, at %g", worst, worstAt)
	if worst > 4 {
		t.Errorf("BiasSigmoidNEON of %g is %.2f ulp off, want <= 4", worstAt, worst)
	}

	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, tc := range []struct {
		in, want, tol float32
	}{
		{inf, 1, 0}, {200, 1, 0}, {88, 1, 0},
		{-inf, 0, 1e-37}, {-200, 0, 1e-37}, {-88.5, 0, 1e-37},
		{0, 0.5, 0}, {float32(math.Copysign(0, -1)), 0.5, 0},
	} {
		got := []float32{tc.in}
		BiasSigmoidNEON(got, []float32{0})
		if math.Abs(float64(got[0]-tc.want)) > float64(tc.tol) {
			t.Errorf("BiasSigmoidNEON of %g = %g, want %g (tol %g)", tc.in, got[0], tc.want, tc.tol)
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
