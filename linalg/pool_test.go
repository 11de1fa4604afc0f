package linalg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
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

// waitParked waits until every pool worker is parked, as they must be
// spinBudget after the last call, and fails tb if one is not within 10 s.
func waitParked(tb testing.TB) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for i, w := range gemmPool.workers {
		for w.state.Load() != workerParked {
			if time.Now().After(deadline) {
				tb.Fatalf("pool worker %d is in state %d 10 s after the last call, want parked (%d)", i, w.state.Load(), workerParked)
			}
			time.Sleep(spinBudget / 4)
		}
	}
}

// TestGemmPoolHandoff checks that the workers park once calls stop (an
// idle process costs no CPU) and that a call finds them whether they are
// spinning or parked: results stay bit-identical either way, and no
// goroutine is started beyond the workers.
func TestGemmPoolHandoff(t *testing.T) {
	defer SetThreads(SetThreads(0))
	r := rand.New(rand.NewPCG(35, 36))
	a, b := randomMatrix(r, 100, 784), randomMatrix(r, 784, 100)
	want := New(100, 100)
	SetThreads(1)
	Gemm(false, false, 1, a, b, 0, want)
	for _, threads := range []int{2, 3} {
		t.Run(fmt.Sprintf("threads=%d", threads), func(t *testing.T) {
			SetThreads(threads)
			c := New(100, 100)
			Gemm(false, false, 1, a, b, 0, c) // starts the workers
			goroutines := runtime.NumGoroutine()
			for _, parked := range []bool{true, false, true, false} {
				if parked {
					waitParked(t)
				}
				for call := range 3 {
					c.Fill(float32(math.NaN()))
					Gemm(false, false, 1, a, b, 0, c)
					for i, v := range c.Data {
						if math.Float32bits(v) != math.Float32bits(want.Data[i]) {
							t.Fatalf("call %d (workers parked before: %t): C element %d = %g, with 1 thread %g", call, parked, i, v, want.Data[i])
						}
					}
				}
			}
			// Goroutines that earlier tests left winding down may end
			// meanwhile, so only a rise is a failure.
			if n := runtime.NumGoroutine(); n > goroutines {
				t.Errorf("%d goroutines after the calls, more than the %d after the first", n, goroutines)
			}
			waitParked(t)
		})
	}
}

// TestSpinUntilBacksOff checks that a spin that loses its CPU for longer
// than contendedGap (here to another goroutine, on one P) stops and turns
// spinning off, and that in the backoff spinUntil only looks once.
func TestSpinUntilBacksOff(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	gemmPool.mu.Lock()
	defer gemmPool.mu.Unlock()
	defer gemmPool.spinOffUntil.Store(0)
	gemmPool.spin.Store(true)
	gemmPool.spinOffUntil.Store(0)
	var never atomic.Int32
	go func() { // runs when spinUntil yields, and keeps the one P
		for start := time.Now(); time.Since(start) < 2*contendedGap; {
		}
	}()
	start := time.Now()
	if spinUntil(&never, 1) {
		t.Fatal("spinUntil reported a value that never changed")
	}
	if off := time.Duration(gemmPool.spinOffUntil.Load()); off < start.Sub(gemmPool.epoch)+contendedBackoff {
		t.Fatalf("after a spin that lost its CPU for %v, spinning is off until %v, want at least %v", 2*contendedGap, off, start.Sub(gemmPool.epoch)+contendedBackoff)
	}
	never.Store(1)
	if !spinUntil(&never, 1) {
		t.Error("spinUntil in the backoff missed a value already there")
	}
	never.Store(0)
	go never.Store(1) // runs only if spinUntil yields the one P, as a spin would
	if spinUntil(&never, 1) {
		t.Error("spinUntil spun in the backoff")
	}
}
