package linalg

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Gemm's threads. A product big enough to pay for waking workers is cut
// into parts along M or N (never K, so every element of C is computed by
// the same operations in the same order for any thread count: results are
// bit-identical) and the parts run on the calling goroutine and on
// persistent pool workers. Nothing is spawned or allocated per call.

// gemmParallelMinFlops is the smallest product, in multiply-adds
// (m*n*k), that Gemm splits between threads; smaller ones run on the
// caller, where waking a worker costs more than it saves. Measured on a
// 2-core Zen 3 VM: 100x100x100 (1M) breaks even, 100x100x200 (2M) is 20%
// faster on 2 threads, 100x100x784 70%.
const gemmParallelMinFlops = 3 << 19

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

// gemmWorker is a pool goroutine with its own packing buffers.
type gemmWorker struct {
	tasks chan *gemmTask
	buf   gemmBuffers
}

// gemmTask is one part of a product, for one worker, or with parallel
// set its share of a Parallel call's parts (parallel.go) as worker number
// worker.
type gemmTask struct {
	gk       *gemmKernel
	plan     gemmPlan
	g        gemmArgs
	m, n, k  int
	parallel bool
	worker   int
}

// gemmPool is the process's worker pool. One Gemm call at a time uses it
// (mu); a call that finds it busy runs on its own goroutine.
var gemmPool struct {
	mu      sync.Mutex
	workers []*gemmWorker
	tasks   []gemmTask
	done    sync.WaitGroup
}

func (w *gemmWorker) run() {
	for t := range w.tasks {
		if t.parallel {
			runParts(t.worker)
		} else {
			gemmBlocked(t.gk, t.plan, &w.buf, t.g, t.m, t.n, t.k)
		}
		gemmPool.done.Done()
	}
}

// startWorkers starts pool workers until there are n. The caller holds
// gemmPool.mu.
func startWorkers(n int) {
	for len(gemmPool.workers) < n {
		w := &gemmWorker{tasks: make(chan *gemmTask, 1)}
		gemmPool.workers = append(gemmPool.workers, w)
		gemmPool.tasks = append(gemmPool.tasks, gemmTask{})
		go w.run()
	}
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
	threads := min(Threads(), max(tilesM, tilesN))
	if threads < 2 || m*n*k < gemmParallelMinFlops || !gemmPool.mu.TryLock() {
		buf := gemmBufferPool.Get().(*gemmBuffers)
		gemmBlocked(gk, plan, buf, g, m, n, k)
		gemmBufferPool.Put(buf)
		return
	}
	defer gemmPool.mu.Unlock()
	startWorkers(threads - 1)
	// Cut the dimension with more micro-tiles into threads runs of whole
	// tiles; part 0 runs here, the others on workers.
	splitM := tilesM >= tilesN
	tiles, tile := tilesN, gk.nr
	if splitM {
		tiles, tile = tilesM, gk.mr
	}
	var mine gemmArgs
	gemmPool.done.Add(threads - 1)
	for t := threads - 1; t >= 0; t-- {
		lo, hi := t*tiles/threads*tile, (t+1)*tiles/threads*tile
		var p gemmArgs
		if splitM {
			p = g.part(lo, min(hi, m), 0, n)
		} else {
			p = g.part(0, m, lo, min(hi, n))
		}
		if t == 0 {
			mine = p
			break
		}
		task := &gemmPool.tasks[t-1]
		*task = gemmTask{gk: gk, plan: plan, g: p, m: p.c.Rows, n: p.c.Cols, k: k}
		gemmPool.workers[t-1].tasks <- task
	}
	// The last worker readied sits in this P's run-next slot, where an
	// idle P may not steal it until this goroutine blocks: yield once so
	// that it starts now and this goroutine is picked up by an idle P
	// (measured: without it, on 2 threads, the parts ran one after the
	// other).
	runtime.Gosched()
	buf := gemmBufferPool.Get().(*gemmBuffers)
	gemmBlocked(gk, plan, buf, mine, mine.c.Rows, mine.c.Cols, k)
	gemmBufferPool.Put(buf)
	gemmPool.done.Wait()
}
