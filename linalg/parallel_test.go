package linalg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
)

// TestParallel checks that every part runs exactly once, on a worker in
// range, that one worker's calls never overlap, and that Gemm calls in the
// parts give the results of a sequential run, for several thread counts.
func TestParallel(t *testing.T) {
	defer SetThreads(SetThreads(0))
	r := rand.New(rand.NewPCG(41, 42))
	const parts = 37
	a, b := randomMatrix(r, 40, 300), randomMatrix(r, 300, 50)
	want := make([]Matrix, parts)
	for p := range want {
		want[p] = New(40, 50)
		Gemm(false, false, float32(p), a, b, 0, want[p])
	}
	for _, tc := range []struct{ threads, workers int }{{1, 4}, {2, 2}, {3, 3}, {4, 2}, {2, 1}} {
		t.Run(fmt.Sprintf("threads=%d/workers=%d", tc.threads, tc.workers), func(t *testing.T) {
			SetThreads(tc.threads)
			var calls [parts]atomic.Int32
			busy := make([]atomic.Int32, tc.workers)
			var bad atomic.Value
			got := make([]Matrix, parts)
			for p := range got {
				got[p] = New(40, 50)
			}
			Parallel(tc.workers, parts, func(worker, part int) {
				if worker < 0 || worker >= min(tc.workers, tc.threads) {
					bad.Store(fmt.Sprintf("part %d ran on worker %d, want 0..%d", part, worker, min(tc.workers, tc.threads)-1))
					return
				}
				if busy[worker].Add(1) != 1 {
					bad.Store(fmt.Sprintf("worker %d ran two parts at once", worker))
				}
				calls[part].Add(1)
				Gemm(false, false, float32(part), a, b, 0, got[part])
				busy[worker].Add(-1)
			})
			if msg := bad.Load(); msg != nil {
				t.Fatal(msg)
			}
			for p := range calls {
				if n := calls[p].Load(); n != 1 {
					t.Fatalf("part %d ran %d times, want 1", p, n)
				}
				for i, v := range got[p].Data {
					if math.Float32bits(v) != math.Float32bits(want[p].Data[i]) {
						t.Fatalf("part %d: Gemm element %d = %g, want %g as in a sequential run", p, i, v, want[p].Data[i])
					}
				}
			}
		})
	}
}

// TestParallelNested checks that Parallel called from a part runs its
// parts on the calling goroutine, as worker 0.
func TestParallelNested(t *testing.T) {
	defer SetThreads(SetThreads(2))
	var inner [2][3]int
	Parallel(2, 2, func(_, outer int) {
		Parallel(2, 3, func(worker, part int) {
			inner[outer][part] = worker + 1
		})
	})
	for o, parts := range inner {
		for p, w := range parts {
			if w != 1 {
				t.Errorf("nested part %d of outer part %d ran on worker %d, want 0", p, o, w-1)
			}
		}
	}
}

// TestParallelAllocatesNothing runs Parallel on the pool (SetThreads
// overrides the GOMAXPROCS=1 of AllocsPerRun) with a function bound once.
func TestParallelAllocatesNothing(t *testing.T) {
	defer SetThreads(SetThreads(2))
	sums := make([]float64, 8)
	x := New(8, 100)
	f := func(_, part int) { sums[part] = SumSquares(x.RowSlice(part, part+1)) }
	if n := testing.AllocsPerRun(50, func() { Parallel(2, len(sums), f) }); n != 0 {
		t.Errorf("Parallel allocates %v times per call, want 0", n)
	}
}

// BenchmarkParallelHandoff measures the cost of handing work to a pool
// worker: a Parallel call on 2 threads with 2 parts that each keep a
// thread busy for partTime. Run in parallel, a call takes partTime plus
// the handoff; a worker that starts late leaves both parts to the caller
// (2 x partTime). "spinning" calls back to back, so the worker is still
// watching for work; "parked" first waits until it has parked, and
// reports the calls' own time as ns/call.
func BenchmarkParallelHandoff(b *testing.B) {
	defer SetThreads(SetThreads(2))
	const partTime = 20 * time.Microsecond
	f := func(_, _ int) {
		for start := time.Now(); time.Since(start) < partTime; {
		}
	}
	b.Run("spinning", func(b *testing.B) {
		for b.Loop() {
			Parallel(2, 2, f)
		}
	})
	b.Run("parked", func(b *testing.B) {
		var calls time.Duration
		for b.Loop() {
			waitParked(b)
			start := time.Now()
			Parallel(2, 2, f)
			calls += time.Since(start)
		}
		b.ReportMetric(float64(calls.Nanoseconds())/float64(b.N), "ns/call")
	})
}
