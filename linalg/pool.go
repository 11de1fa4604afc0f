package linalg

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Gemm's threads. A product big enough to pay for waking workers is cut
// into parts along M or N (never K, so every element of C is computed by
// the same operations in the same order for any thread count: results are
// bit-identical) and the parts run on the calling goroutine and on
// persistent pool workers. Nothing is spawned or allocated per call.
//
// Handing a part to a worker through the Go scheduler alone (a channel
// send to a parked worker, a WaitGroup wait for it) cost 8 to 10 µs per
// call on a 2-core Zen 3 VM (BenchmarkParallelHandoff), a tenth of a
// training step's GEMM at batch 100. So both sides spin before they
// park: a worker that finishes a part watches its task slot for
// spinBudget, and the caller, its own part done, watches the count of
// unfinished parts as long. Back to back, as in a training loop, a
// handoff then costs 1 to 2 µs; on 2 threads that made the seed
// network's GEMMs at batch 100 5% faster and its training loop 6%
// (medians of old/new pairs run in turn on the shared VM). A process that
// stops calling Gemm has every worker parked, at no CPU cost, spinBudget
// later, and no goroutine spins while another goroutine or process wants
// its CPU (see spinUntil).

// gemmParallelMinFlops is the smallest product, in multiply-adds
// (m*n*k), that Gemm splits between threads; smaller ones run on the
// caller, where waking a worker costs more than it saves. Measured on a
// 2-core Zen 3 VM: 100x100x100 (1M) breaks even, 100x100x200 (2M) is 20%
// faster on 2 threads, 100x100x784 70%.
const gemmParallelMinFlops = 3 << 19

// spinBudget is how long a worker waits for its next task, and the caller
// for the workers' parts, by watching an atomic before parking. It spans
// the gaps between the parallel products of a training step of the seed's
// network at batch 100 (measured: with 50 µs a third of the handoffs
// found the worker parked, with 100 µs fewer than 1%).
const spinBudget = 100 * time.Microsecond

// A spinning goroutine that loses its CPU for more than contendedGap at
// once stops spinning, and no goroutine spins for contendedBackoff after.
const (
	contendedGap     = 50 * time.Microsecond
	contendedBackoff = 50 * time.Millisecond
)

// threadsSetting is SetThreads' value; 0 means runtime.GOMAXPROCS(0).
var threadsSetting atomic.Int64

// SetThreads sets how many threads Gemm may use and returns the previous
// setting. n <= 0 restores the default, runtime.GOMAXPROCS(0) at each
// call. Results do not depend on the thread count.
func SetThreads(n int) (previous int) {
	return int(threadsSetting.Swap(int64(max(n, 0))))
}

// Threads returns how many threads Gemm uses for a large product.
func Threads() int {
	if n := int(threadsSetting.Load()); n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// A worker's state: waiting for a task (spinning or about to park),
// parked on its wake channel, or given a task it has not taken yet.
const (
	workerIdle int32 = iota
	workerParked
	workerPosted
)

// gemmWorker is a pool goroutine with its own task slot and packing
// buffers.
type gemmWorker struct {
	// state moves from idle to posted when the caller posts a task, from
	// posted to idle when the worker takes it, and from idle to parked
	// when the worker gives up spinning; posting to a parked worker sends
	// on wake. The caller writes task before it posts.
	state atomic.Int32
	wake  chan struct{}
	task  gemmTask
	buf   gemmBuffers
}

// gemmTask is one part of a product, for one worker; or, with parallel
// set, its share of a Parallel call's parts (parallel.go) as worker number
// worker; or, with sparse.ks set, rows of a SparseGemm.
type gemmTask struct {
	gk       *gemmKernel
	plan     gemmPlan
	g        gemmArgs
	m, n, k  int
	parallel bool
	worker   int
	sparse   sparseArgs
}

// callerParked is added to gemmPool.pending while the caller is parked on
// gemmPool.done.
const callerParked = 1 << 30

// gemmPool is the process's worker pool. One Gemm call at a time uses it
// (mu); a call that finds it busy runs on its own goroutine.
var gemmPool struct {
	mu      sync.Mutex
	workers []*gemmWorker
	// buf is the caller's packing buffers, which it holds with mu like
	// the workers theirs: the parallel path does not go through
	// gemmBufferPool, whose objects a GC (or the race detector, at
	// random) drops.
	buf gemmBuffers
	// spin is whether the call in progress lets goroutines spin: only
	// when every thread it uses can have a P of its own.
	spin atomic.Bool
	// epoch is when the pool was set up, and spinOffUntil the time in
	// ns since then before which no goroutine spins, as spinning met
	// contention (a monotonic clock, unlike Unix time).
	epoch        time.Time
	spinOffUntil atomic.Int64
	// pending counts the call's posted parts that have not finished,
	// plus callerParked while the caller sleeps on done, which the worker
	// that finishes the last part then signals.
	pending atomic.Int32
	done    chan struct{}
}

func init() {
	gemmPool.done = make(chan struct{}, 1)
	gemmPool.epoch = time.Now()
}

func (w *gemmWorker) run() {
	<-w.wake // a worker starts parked
	for {
		w.state.Store(workerIdle)
		if t := &w.task; t.parallel {
			runParts(t.worker)
		} else if t.sparse.ks != nil {
			t.sparse.compute()
		} else {
			gemmBlocked(t.gk, t.plan, &w.buf, t.g, t.m, t.n, t.k)
		}
		if gemmPool.pending.Add(-1) == callerParked {
			gemmPool.done <- struct{}{}
		}
		if !spinUntil(&w.state, workerPosted) && w.state.CompareAndSwap(workerIdle, workerParked) {
			<-w.wake
		}
	}
}

// post hands w its task, which the caller has written to w.task, and
// reports whether w was parked and had to be woken.
func (w *gemmWorker) post() (woken bool) {
	if w.state.Swap(workerPosted) == workerParked {
		w.wake <- struct{}{}
		return true
	}
	return false
}

// spinUntil watches v until it holds want, for at most spinBudget when
// spinning is allowed, and reports whether it saw want. Between rounds of
// loads it yields its P to any goroutine waiting for one: a spinning
// worker must not keep the caller, which postTasks sent to the global run
// queue, from running (measured: a round of 64 loads takes 60 ns and a
// yield 75 ns; yielding every round rather than every 64th made a call
// that wakes a parked worker 20% faster). A round that takes longer than
// contendedGap means that another goroutine or process had the CPU: the
// other thread of the call may then be waiting for one, and spinning
// only burns the time it needs (and, for the OS scheduler, the credit a
// sleeping thread gets when it wakes), so spinUntil gives up and turns
// spinning off for contendedBackoff (measured on the shared VM: the
// training loop 5% faster than spinning regardless).
func spinUntil(v *atomic.Int32, want int32) bool {
	if v.Load() == want {
		return true
	}
	if !gemmPool.spin.Load() {
		return false
	}
	start := time.Now()
	if start.Sub(gemmPool.epoch) < time.Duration(gemmPool.spinOffUntil.Load()) {
		return false
	}
	for last := start; ; {
		for range 64 {
			if v.Load() == want {
				return true
			}
		}
		now := time.Now()
		if now.Sub(last) > contendedGap {
			gemmPool.spinOffUntil.Store(int64(now.Sub(gemmPool.epoch) + contendedBackoff))
			return false
		}
		if now.Sub(start) > spinBudget {
			return false
		}
		last = now
		runtime.Gosched()
	}
}

// startWorkers starts pool workers until there are n, and sets whether
// goroutines may spin during a call on threads threads. The caller holds
// gemmPool.mu.
func startWorkers(n, threads int) {
	gemmPool.spin.Store(threads <= runtime.GOMAXPROCS(0))
	for len(gemmPool.workers) < n {
		w := &gemmWorker{wake: make(chan struct{}, 1)}
		w.state.Store(workerParked)
		gemmPool.workers = append(gemmPool.workers, w)
		go w.run()
	}
}

// postTasks hands tasks, written to the first n workers' task slots, to
// those workers.
func postTasks(n int) {
	gemmPool.pending.Store(int32(n))
	woken := false
	for _, w := range gemmPool.workers[:n] {
		woken = w.post() || woken
	}
	if woken {
		// A woken worker sits in this P's run-next slot, where an idle
		// P may not steal it until this goroutine blocks: yield once so
		// that it starts now and this goroutine is picked up by an idle
		// P (measured: without it, a call that wakes a parked worker
		// takes twice as long).
		runtime.Gosched()
	}
}

// waitTasks returns when every posted task has finished: it spins, then
// parks.
func waitTasks() {
	if spinUntil(&gemmPool.pending, 0) || gemmPool.pending.Add(callerParked) == callerParked {
		return
	}
	<-gemmPool.done
}

// gemmRun computes the product g with gk, on several threads if it is
// large enough.
func gemmRun(gk *gemmKernel, g gemmArgs) {
	m, n := g.c.Rows, g.c.Cols
	k := g.a.Cols
	if g.transA {
		k = g.a.Rows
	}
	plan := planGemm(gk, g, m, n, k)
	tilesM, tilesN := (m+gk.mr-1)/gk.mr, (n+gk.nr-1)/gk.nr
	threads := 1
	if m*n*k >= gemmParallelMinFlops { // Threads takes a lock: ask only then
		threads = min(Threads(), max(tilesM, tilesN))
	}
	if threads < 2 || !gemmPool.mu.TryLock() {
		if plan.rows { // the row path packs nothing: no buffers to fetch
			gemmRows(gk, g, m, k)
			return
		}
		buf := gemmBufferPool.Get().(*gemmBuffers)
		gemmBlocked(gk, plan, buf, g, m, n, k)
		gemmBufferPool.Put(buf)
		return
	}
	defer gemmPool.mu.Unlock()
	startWorkers(threads-1, threads)
	// Cut the dimension with more micro-tiles into threads runs of whole
	// tiles; part 0 runs here, part t on worker t-1.
	splitM := tilesM >= tilesN
	tiles, tile := tilesN, gk.nr
	if splitM {
		tiles, tile = tilesM, gk.mr
	}
	part := func(t int) gemmArgs {
		lo, hi := t*tiles/threads*tile, (t+1)*tiles/threads*tile
		if splitM {
			return g.part(lo, min(hi, m), 0, n)
		}
		return g.part(0, m, lo, min(hi, n))
	}
	for t := 1; t < threads; t++ {
		p := part(t)
		gemmPool.workers[t-1].task = gemmTask{gk: gk, plan: plan, g: p, m: p.c.Rows, n: p.c.Cols, k: k}
	}
	postTasks(threads - 1)
	mine := part(0)
	gemmBlocked(gk, plan, &gemmPool.buf, mine, mine.c.Rows, mine.c.Cols, k)
	waitTasks()
}
