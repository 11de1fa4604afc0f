package linalg

import "sync/atomic"

// parallelJob is the Parallel call in progress. Parallel sets it while it
// holds gemmPool.mu and before it posts tasks to the workers, which read
// it after taking them.
var parallelJob struct {
	f     func(worker, part int)
	parts int64
	next  atomic.Int64 // the next part to hand out
}

// Parallel calls f(worker, part) once for every part in [0, parts) and
// returns when all calls have returned. The calls run on up to
// min(workers, Threads()) goroutines at once, the caller's and Gemm's
// pool workers, each taking the next part as it finishes one, so uneven
// parts and a busy core balance out. worker, in [0, workers), names the
// goroutine that runs a call: calls with the same worker never overlap,
// so f may use per-worker scratch space. Which worker runs which part is
// not defined; for results that do not depend on the thread count, f
// computes each part on its own and the caller combines the parts in
// order.
//
// While Parallel runs, Gemm calls (including f's) find the pool busy and
// run on their caller's goroutine: the parts are the unit of parallelism.
// Parallel itself runs every part on the caller, as worker 0, when one
// thread is allowed or the pool is busy (as within f). f must not panic.
// Parallel allocates nothing.
func Parallel(workers, parts int, f func(worker, part int)) {
	threads := min(workers, parts)
	if threads > 1 { // Threads takes a lock: ask only then
		threads = min(threads, Threads())
	}
	if threads < 2 || !gemmPool.mu.TryLock() {
		for p := range parts {
			f(0, p)
		}
		return
	}
	defer gemmPool.mu.Unlock()
	startWorkers(threads-1, threads)
	parallelJob.f, parallelJob.parts = f, int64(parts)
	parallelJob.next.Store(0)
	for t := 1; t < threads; t++ {
		gemmPool.workers[t-1].task = gemmTask{parallel: true, worker: t}
	}
	postTasks(threads - 1)
	runParts(0)
	waitTasks()
	parallelJob.f = nil
}

// runParts runs parts of the Parallel call in progress, as worker, until
// none is left.
func runParts(worker int) {
	for {
		p := parallelJob.next.Add(1) - 1
		if p >= parallelJob.parts {
			return
		}
		parallelJob.f(worker, int(p))
	}
}
