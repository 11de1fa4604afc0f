package mlp

import "github.com/mlpgo/mlpgo/linalg"

// chunkRows is how many rows Predict, PredictProba, Evaluate and Fit's
// per-epoch evaluation push through the network at a time: the unit that
// linalg.Parallel spreads over threads.
const chunkRows = 256

// A rowPass is one forward pass over up to two data sets (Fit evaluates
// its training and validation sets in one pass), cut into chunks of
// chunkRows rows that linalg.Parallel spreads over linalg's threads, each
// worker with its own activations. The chunks are fixed by the row counts
// alone and each one's cost and count of correct rows is kept apart and
// summed in chunk order, so results do not depend on the thread count.
// A rowPass is used by one call at a time; Network.passes recycles them.
type rowPass struct {
	n       *Network
	out     linalg.Activation // the output layer's activation
	softmax bool              // and whether a softmax follows it
	sets    [2]passSet
	works   []*forwardWork         // one per worker
	chunkFn func(worker, part int) // p.chunk, bound once so that run allocates nothing
}

// passSet is one data set of a pass and what the pass computes on it.
type passSet struct {
	x      linalg.Matrix
	xs     *linalg.SparseRows // x compressed, or nil: chunks compress their own
	chunks int
	pred   []int         // if not nil, receives the predicted classes
	proba  linalg.Matrix // if it has rows, receives the output activations
	y      []uint8       // if not nil, the labels: count the correct rows
	cost   bool          // with y, also compute the seed's cost
	// check makes each chunk check its rows for NaN and Inf first (while
	// they are on their way to the cache anyway) and skip itself if it
	// finds one: nonFinite then reports it.
	check bool

	chunkCorrect []int     // per chunk, with y
	chunkCost    []float64 // per chunk, with cost
	chunkBad     []bool    // per chunk, with check: has a NaN or Inf
}

func newRowPass(n *Network) *rowPass {
	p := &rowPass{n: n}
	p.chunkFn = p.chunk
	return p
}

// set prepares set i of the pass over the rows of x, computing nothing
// yet: the caller fills in pred, proba or y (and cost).
func (p *rowPass) set(i int, x linalg.Matrix) *passSet {
	s := &p.sets[i]
	*s = passSet{x: x, chunks: (x.Rows + chunkRows - 1) / chunkRows,
		chunkCorrect: s.chunkCorrect[:0], chunkCost: s.chunkCost[:0], chunkBad: s.chunkBad[:0]}
	return s
}

// run computes the pass's sets, on several threads when there is more than
// one chunk. The output layer applies p.out (and the softmax if
// p.softmax).
func (p *rowPass) run() {
	for i := range p.sets {
		s := &p.sets[i]
		if s.y != nil {
			s.chunkCorrect = resize(s.chunkCorrect, s.chunks)
			s.chunkCost = resize(s.chunkCost, s.chunks)
		}
		if s.check {
			s.chunkBad = resize(s.chunkBad, s.chunks)
		}
	}
	parts := p.sets[0].chunks + p.sets[1].chunks
	workers := 1
	if parts > 1 { // linalg.Threads takes a lock: ask only then
		workers = min(linalg.Threads(), parts)
	}
	for len(p.works) < workers {
		p.works = append(p.works, newForwardWork(p.n.sizes, chunkRows))
	}
	linalg.Parallel(workers, parts, p.chunkFn)
}

// release drops the pass's references to the caller's data, so that a
// recycled pass does not keep it alive.
func (p *rowPass) release() {
	for i := range p.sets {
		p.set(i, linalg.Matrix{})
	}
}

// chunk computes chunk c of the pass (counting the first set's chunks,
// then the second's) with worker's activations.
func (p *rowPass) chunk(worker, c int) {
	s := &p.sets[0]
	if c >= s.chunks {
		c -= s.chunks
		s = &p.sets[1]
	}
	lo := c * chunkRows
	hi := min(lo+chunkRows, s.x.Rows)
	x := s.x.RowSlice(lo, hi)
	if s.check {
		s.chunkBad[c] = !linalg.AllFinite(x)
		if s.chunkBad[c] {
			return
		}
	}
	w := p.works[worker]
	z := p.n.forward(w, x, s.sparse(w, x, lo, hi), p.out, p.softmax)
	if s.pred != nil {
		linalg.ArgmaxRows(s.pred[lo:hi], z)
	}
	if s.proba.Rows > 0 {
		s.proba.RowSlice(lo, hi).CopyFrom(z)
	}
	if s.y == nil {
		return
	}
	pred := w.pred[:hi-lo]
	linalg.ArgmaxRows(pred, z)
	correct := 0
	for i, class := range pred {
		if class == int(s.y[lo+i]) {
			correct++
		}
	}
	s.chunkCorrect[c] = correct
	if s.cost {
		var cost float64
		for i := range pred {
			cost += rowCost(p.n.cfg.Output, z.Row(i), int(s.y[lo+i]))
		}
		s.chunkCost[c] = cost
	}
}

// sparse returns the rows [lo, hi) of the set, x, compressed if they take
// the sparse path (sparseChunk), or nil.
func (s *passSet) sparse(w *forwardWork, x linalg.Matrix, lo, hi int) *linalg.SparseRows {
	if !sparseChunk(x.Row(0)) {
		return nil
	}
	if s.xs != nil {
		w.view = s.xs.RowSlice(lo, hi)
		return &w.view
	}
	w.xs.Compress(x)
	return &w.xs
}

// sparseRow returns the single row x compressed into w if it takes the
// sparse path, or nil. It compresses the row and looks, rather than find
// its base twice.
func (w *forwardWork) sparseRow(x linalg.Matrix) *linalg.SparseRows {
	w.xs.Compress(x)
	if sparseEnough(w.xs.Entries(), x.Cols) {
		return &w.xs
	}
	return nil
}

// forwardRow computes, for the single row x, what a pass's chunk of that
// row computes (the same operations, so the same bits), but on the
// caller's goroutine with a recycled one-row workspace, without the
// machinery that spreads a pass's chunks over threads (measured on Zen 3,
// 7% of Predict of one MNIST row). It hands the output layer's row to
// use, and returns false, without calling use, if x holds a NaN or Inf.
func (n *Network) forwardRow(x linalg.Matrix, out linalg.Activation, softmax bool, use func(z linalg.Matrix)) bool {
	if !linalg.AllFinite(x) {
		return false
	}
	w := n.rowWorks.Get().(*forwardWork)
	use(n.forward(w, x, w.sparseRow(x), out, softmax))
	n.rowWorks.Put(w)
	return true
}

// nonFinite returns nil, or for the first chunk of the first set whose
// check found a NaN or Inf, an ErrNonFinite error that names it.
func (p *rowPass) nonFinite(op string) error {
	s := &p.sets[0]
	for c, bad := range s.chunkBad {
		if bad {
			lo := c * chunkRows
			return nonFiniteError(op, s.x.RowSlice(lo, min(lo+chunkRows, s.x.Rows)), lo)
		}
	}
	return nil
}

// totals returns the sums of set i's per-chunk costs and correct counts.
func (p *rowPass) totals(i int) (cost float64, correct int) {
	s := &p.sets[i]
	for c := range s.chunks {
		correct += s.chunkCorrect[c]
		if s.cost {
			cost += s.chunkCost[c]
		}
	}
	return cost, correct
}

// resize returns s with n elements, reallocated only if it is too small.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
