package mlp

import "github.com/mlpgo/mlpgo/linalg"

// A minibatch's rows are scattered over the training set, which is far
// larger than the caches: gathering them waits on memory, about 60 µs of
// a 400 µs training step on MNIST's rows. With more than one thread, Fit
// gathers the next minibatch on another goroutine while a step computes,
// into the second of two buffers, and the step that needs it takes it
// from there. The rows are copied alike on either path, so the weights do
// not depend on it.

// gatheredBatch is a minibatch's rows copied out of the training set:
// dense rows, or for a sparse training set its compressed rows.
type gatheredBatch struct {
	x  linalg.Matrix
	xs linalg.SparseRows
}

// gather sets b to the given rows of x, or of xs if that is not nil.
func (b *gatheredBatch) gather(x linalg.Matrix, xs *linalg.SparseRows, rows []uint32) {
	if xs != nil {
		b.xs.Gather(xs, rows)
		return
	}
	for i, r := range rows {
		copy(b.x.Row(i), x.Row(int(r)))
	}
}

// prefetcher gathers minibatches on a goroutine of its own, one at a
// time.
type prefetcher struct {
	requests chan prefetch
	done     chan struct{}
	busy     bool // a request is in progress: done will receive
}

// prefetch is a request: gather rows of x (or of xs) into dst.
type prefetch struct {
	dst  *gatheredBatch
	x    linalg.Matrix
	xs   *linalg.SparseRows
	rows []uint32
}

func startPrefetcher() *prefetcher {
	p := &prefetcher{requests: make(chan prefetch, 1), done: make(chan struct{}, 1)}
	go p.run()
	return p
}

func (p *prefetcher) run() {
	for r := range p.requests {
		r.dst.gather(r.x, r.xs, r.rows)
		p.done <- struct{}{}
	}
}

// start hands the prefetcher a request; the previous one must be waited
// for.
func (p *prefetcher) start(r prefetch) {
	p.busy = true
	p.requests <- r
}

// wait returns when the request in progress, if any, is done.
func (p *prefetcher) wait() {
	if p.busy {
		<-p.done
		p.busy = false
	}
}

// stop waits for the request in progress and ends the goroutine.
func (p *prefetcher) stop() {
	p.wait()
	close(p.requests)
}
