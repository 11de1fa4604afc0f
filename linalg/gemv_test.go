package linalg

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestGemmFewRows covers the row path and the blocked path on either side
// of gemvMaxRows: every row count up to 8, column counts around the vector
// width and depths around axpyRows' groups of 8 rows of B.
func TestGemmFewRows(t *testing.T) {
	forEachISA(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 8))
		for m := 1; m <= 8; m++ {
			for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 100} {
				for _, k := range []int{1, 7, 8, 9, 17, 100} {
					for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}} {
						g := gemmCase{m: m, n: n, k: k, transA: tr[0], transB: tr[1], alpha: 1, beta: 0}
						switch r.IntN(3) {
						case 1:
							g.alpha, g.beta = -0.5, 1
						case 2:
							g.alpha, g.beta = 1.5, -0.5
						}
						checkGemm(t, r, g, (m+n+k)%5 == 0)
					}
				}
			}
		}
	})
}

func TestGemmFewRowsAllocatesNothing(t *testing.T) {
	forEachISA(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(9, 10))
		a, b, c := randomMatrix(r, 1, 784), randomMatrix(r, 784, 100), New(1, 100)
		if n := testing.AllocsPerRun(20, func() { Gemm(false, false, 1, a, b, 0, c) }); n != 0 {
			t.Errorf("Gemm 1x100x784 allocates %v times per call, want 0", n)
		}
	})
}

// BenchmarkGemmFewRows measures the row path ("rows") against the blocked
// driver ("blocked") for 1 to 8 rows, on one sample's products in the seed
// network (784 -> 100 -> 10) and a square: the measurement behind
// gemvMaxRows. Both run on the calling goroutine.
func BenchmarkGemmFewRows(b *testing.B) {
	shapes := []struct {
		name string
		n, k int
	}{{"hidden", 100, 784}, {"out", 10, 100}, {"square", 256, 256}}
	for _, isa := range Available() {
		b.Run(isa, func(b *testing.B) {
			restore, err := UseISA(isa)
			if err != nil {
				b.Fatal(err)
			}
			defer restore()
			gk := kernels().gemm
			for _, s := range shapes {
				for m := 1; m <= 8; m++ {
					r := rand.New(rand.NewPCG(1, 2))
					x, y, z := randomMatrix(r, m, s.k), randomMatrix(r, s.k, s.n), New(m, s.n)
					g := gemmArgs{alpha: 1, a: x, b: y, c: z}
					for _, path := range []string{"rows", "blocked"} {
						plan := gemmPlan{rows: true}
						if path == "blocked" {
							blocked := gk
							blocked.axpyRows = nil
							plan = planGemm(&blocked, g, m, s.n, s.k)
						}
						b.Run(fmt.Sprintf("%s/m=%d/%s", s.name, m, path), func(b *testing.B) {
							buf := new(gemmBuffers)
							b.ReportAllocs()
							for b.Loop() {
								gemmBlocked(&gk, plan, buf, g, m, s.n, s.k)
							}
							b.ReportMetric(2*float64(m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
						})
					}
				}
			}
		})
	}
}
