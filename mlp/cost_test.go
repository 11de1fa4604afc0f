package mlp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestRowCost checks the logistic cost of a row, which takes the log of a
// product, against the sum of per-class softplus terms, for outputs from
// tiny to huge and up to MaxClasses classes.
func TestRowCost(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	softplus := func(v float64) float64 { return max(v, 0) + math.Log1p(math.Exp(-math.Abs(v))) }
	for _, classes := range []int{2, 10, MaxClasses} {
		for _, scale := range []float64{1e-3, 1, 30, 1e4} {
			t.Run(fmt.Sprintf("classes=%d/scale=%g", classes, scale), func(t *testing.T) {
				z := make([]float32, classes)
				for i := range z {
					z[i] = float32(scale * r.NormFloat64())
				}
				label := r.IntN(classes)
				want := -float64(z[label])
				for _, v := range z {
					want += softplus(float64(v))
				}
				got := rowCost(SigmoidOutput, z, label)
				if tol := 1e-13 * max(1, math.Abs(want)); math.Abs(got-want) > tol {
					t.Errorf("rowCost = %.17g, want %.17g (tol %g)", got, want, tol)
				}
			})
		}
	}
}
