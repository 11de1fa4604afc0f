package linalg

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGemmThreadsBitIdentical checks that splitting a product between
// threads changes no bit of the result: the pool cuts M or N, never K.
func TestGemmThreadsBitIdentical(t *testing.T) {
	defer SetThreads(SetThreads(0))
	forEachISA(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(31, 32))
		for _, g := range []gemmCase{
			{m: 100, n: 100, k: 784, alpha: 1},                             // fwd_hidden: split along M
			{m: 784, n: 100, k: 100, transA: true, alpha: 1},               // grad_w_h
			{m: 13, n: 300, k: 257, transB: true, alpha: -0.5, beta: 0.5},  // split along N
			{m: 301, n: 157, k: 529, transA: true, transB: true, alpha: 2}, // ragged everywhere
		} {
			ar, ac, br, bc := g.m, g.k, g.k, g.n
			if g.transA {
				ar, ac = ac, ar
			}
			if g.transB {
				br, bc = bc, br
			}
			a, b, c0 := randomMatrix(r, ar, ac), randomMatrix(r, br, bc), randomMatrix(r, g.m, g.n)
			var want Matrix
			for _, threads := range []int{1, 2, 3} {
				SetThreads(threads)
				c := New(g.m, g.n)
				c.CopyFrom(c0)
				Gemm(g.transA, g.transB, g.alpha, a, b, g.beta, c)
				if threads == 1 {
					want = c
					continue
				}
				if len(gemmPool.workers) < threads-1 {
					t.Fatalf("Gemm(%s) with %d threads started %d pool workers, want %d", g, threads, len(gemmPool.workers), threads-1)
				}
				for i := 0; i < g.m; i++ {
					for j := 0; j < g.n; j++ {
						if got, w := c.At(i, j), want.At(i, j); math.Float32bits(got) != math.Float32bits(w) {
							t.Fatalf("Gemm(%s) with %d threads: C[%d,%d] = %g, with 1 thread %g", g, threads, i, j, got, w)
						}
					}
				}
			}
		}
	})
}

// TestGemmParallelAllocatesNothing runs the pool's path (SetThreads
// overrides the GOMAXPROCS=1 that AllocsPerRun sets) and checks that a
// call allocates nothing once the workers are started.
func TestGemmParallelAllocatesNothing(t *testing.T) {
	defer SetThreads(SetThreads(2))
	forEachISA(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(33, 34))
		for _, s := range [][3]int{{100, 100, 784}, {784, 100, 100}, {30, 600, 200}} {
			a, b, c := randomMatrix(r, s[0], s[2]), randomMatrix(r, s[2], s[1]), New(s[0], s[1])
			if n := testing.AllocsPerRun(20, func() { Gemm(false, false, 1, a, b, 0, c) }); n != 0 {
				t.Errorf("Gemm %v on 2 threads allocates %v times per call, want 0", s, n)
			}
		}
	})
}

func TestSetThreads(t *testing.T) {
	defer SetThreads(SetThreads(0))
	for _, tc := range []struct{ set, want int }{{3, 3}, {1, 1}, {-1, 0}} {
		SetThreads(tc.set)
		if got := SetThreads(tc.set); got != tc.want {
			t.Errorf("after SetThreads(%d), SetThreads returned %d, want %d", tc.set, got, tc.want)
		}
	}
	if got := Threads(); got < 1 {
		t.Errorf("Threads() = %d with the default setting, want >= 1", got)
	}
}
