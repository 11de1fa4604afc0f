package linalg

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestGemmPlans covers each blocking plan the driver can choose (packed or
// in-place B, inner or outer panels of B, one or several blocks of k)
// against the float64 reference, for every ISA.
func TestGemmPlans(t *testing.T) {
	forEachISAAndSimulated(t, func(t *testing.T) {
		gk := &kernels().gemm
		r := rand.New(rand.NewPCG(41, 42))
		for _, g := range []gemmCase{
			{m: 40, n: 20, k: 2100, alpha: 1, beta: 0.5},                  // inner B panels, several deep blocks of k
			{m: 301, n: 37, k: 1500, transA: true, alpha: -1},             // the same with B packed
			{m: 30, n: 700, k: 600, transB: true, alpha: 1, beta: 1},      // outer B panels
			{m: 520, n: 260, k: 300, alpha: 0.5, beta: -1},                // packed B, outer panels
			{m: 7, n: 1, k: 1, transA: true, transB: true, alpha: 2},      // a single ragged tile
			{m: 13, n: 17, k: 1025, transA: true, transB: true, alpha: 1}, // both ragged, deep
		} {
			ar, ac, br, bc := g.m, g.k, g.k, g.n
			if g.transA {
				ar, ac = ac, ar
			}
			if g.transB {
				br, bc = bc, br
			}
			plan := planGemm(gk, gemmArgs{transA: g.transA, transB: g.transB, a: New(ar, ac), b: New(br, bc)}, g.m, g.n, g.k)
			t.Run(fmt.Sprintf("%s/%+v", g, plan), func(t *testing.T) {
				checkGemm(t, r, g, false)
			})
		}
	})
}
