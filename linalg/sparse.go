package linalg

import "fmt"

// Inputs such as MNIST's are mostly one value: after the seed's scaling,
// 81% of a digit's pixels are the background's -1. A product with such a
// matrix need not multiply by every element: X·B = (X - c)·B + c·1·colsum(B)
// for any c, and X - c is zero wherever X is c. SparseRows stores X as a
// base value per row and the entries that differ from it, and SparseGemm
// multiplies by the entries alone, reading one row of B per entry, so a
// product with MNIST's rows does a fifth of the dense product's work.

// SparseRows is a matrix stored by rows as a base value per row and the
// entries that differ from it. Element (i, j) is Base[i] + Value[e] if
// row i has an entry e at column j (Index[e] == j), else Base[i]. Row i's
// entries are e in [Start[i], End[i]), in ascending column order.
//
// A SparseRows made by Gather or RowSlice shares Index and Value with the
// matrix it came from.
type SparseRows struct {
	Cols       int
	Base       []float32 // one per row
	Start, End []int     // row i's entries are [Start[i], End[i])
	Index      []int32   // column of each entry
	Value      []float32 // each entry's element minus its row's base

	count []int // TransposeEntries' scratch space
}

// Rows returns the number of rows.
func (s *SparseRows) Rows() int { return len(s.Base) }

// Entries returns the number of entries of all rows.
func (s *SparseRows) Entries() int {
	n := 0
	for i, start := range s.Start {
		n += s.End[i] - start
	}
	return n
}

// RowBase returns the base Compress picks for a row, its first element if
// at least half of the row equals it and otherwise 0, and how many entries
// the row then has: the elements that differ from the base.
func RowBase(row []float32) (base float32, entries int) {
	if len(row) == 0 {
		return 0, 0
	}
	same := 0
	for _, v := range row {
		if v == row[0] {
			same++
		}
	}
	if 2*same >= len(row) {
		return row[0], len(row) - same
	}
	for _, v := range row {
		if v != 0 {
			entries++
		}
	}
	return 0, entries
}

// Compress sets s to x, reusing s's storage. Row i's base is RowBase's;
// every element that differs from it (NaN always does) is an entry,
// stored as its difference from the base, so the elements of s may differ
// from x's by that subtraction's rounding.
func (s *SparseRows) Compress(x Matrix) {
	x.valid("SparseRows.Compress")
	s.Cols = x.Cols
	s.Base = resizeSlice(s.Base, x.Rows)
	s.Start = resizeSlice(s.Start, x.Rows)
	s.End = resizeSlice(s.End, x.Rows)
	s.Index, s.Value = s.Index[:0], s.Value[:0]
	for i := range x.Rows {
		row := x.Row(i)
		base, _ := RowBase(row)
		s.Base[i], s.Start[i] = base, len(s.Index)
		for j, v := range row {
			if v != base {
				s.Index = append(s.Index, int32(j))
				s.Value = append(s.Value, v-base)
			}
		}
		s.End[i] = len(s.Index)
	}
}

// RowSlice returns rows [from, to) of s, sharing its storage.
func (s *SparseRows) RowSlice(from, to int) SparseRows {
	if from < 0 || to < from || to > s.Rows() {
		panic(fmt.Sprintf("linalg: SparseRows.RowSlice(%d, %d) of %d rows", from, to, s.Rows()))
	}
	return SparseRows{Cols: s.Cols, Base: s.Base[from:to], Start: s.Start[from:to], End: s.End[from:to], Index: s.Index, Value: s.Value}
}

// Gather sets s to the rows of src listed in rows, in that order, sharing
// src's entries: only the per-row bases and bounds are copied.
func (s *SparseRows) Gather(src *SparseRows, rows []uint32) {
	s.Cols, s.Index, s.Value = src.Cols, src.Index, src.Value
	s.Base = resizeSlice(s.Base, len(rows))
	s.Start = resizeSlice(s.Start, len(rows))
	s.End = resizeSlice(s.End, len(rows))
	for i, r := range rows {
		s.Base[i], s.Start[i], s.End[i] = src.Base[r], src.Start[r], src.End[r]
	}
}

// TransposeEntries sets s to the transpose of src's entries with every
// base 1, reusing s's storage: row j of s lists, in ascending row order,
// the entries src has in column j. With A the matrix src stores and
//
//	SparseGemm(alpha, s, B, beta, C, v), v = src.Baseᵀ·B (one row),
//
// C becomes alpha * Aᵀ·B + beta*C: the bases' share of Aᵀ·B is v in every
// row. Repeated calls allocate nothing once s's storage is large enough.
func (s *SparseRows) TransposeEntries(src *SparseRows) {
	rows := src.Rows()
	s.Cols = rows
	s.Base = resizeSlice(s.Base, src.Cols)
	s.Start = resizeSlice(s.Start, src.Cols)
	s.End = resizeSlice(s.End, src.Cols)
	for j := range s.Base {
		s.Base[j] = 1
	}
	count := resizeSlice(s.count, src.Cols)
	s.count = count
	clear(count)
	entries := 0
	for i := range rows {
		for _, j := range src.Index[src.Start[i]:src.End[i]] {
			count[j]++
		}
		entries += src.End[i] - src.Start[i]
	}
	next := 0
	for j, c := range count {
		s.Start[j], s.End[j] = next, next
		next += c
	}
	s.Index = resizeSlice(s.Index, entries)
	s.Value = resizeSlice(s.Value, entries)
	for i := range rows {
		lo, hi := src.Start[i], src.End[i]
		for e, j := range src.Index[lo:hi] {
			at := s.End[j]
			s.Index[at], s.Value[at] = int32(i), src.Value[lo+e]
			s.End[j] = at + 1
		}
	}
}

// SparseGemm computes, for every row i of A,
//
//	C[i, :] = alpha * (A.Base[i]*baseRow + Σ A.Value[e]*B[A.Index[e], :]) + beta*C[i, :]
//
// over row i's entries e, in order. With baseRow the column sums of B
// (ColSums) that is C = alpha*A·B + beta*C; TransposeEntries says how to
// compute alpha*Aᵀ·B + beta*C. As in Gemm, beta == 0 means C is only
// written. Large products are split between threads by rows, each row
// computed on its own, so the results do not depend on the thread count.
// SparseGemm panics if the shapes do not agree or an index is out of
// range.
func SparseGemm(alpha float32, a SparseRows, b Matrix, beta float32, c Matrix, baseRow []float32) {
	b.valid("SparseGemm B")
	c.valid("SparseGemm C")
	if a.Cols != b.Rows || c.Rows != a.Rows() || c.Cols != b.Cols || len(baseRow) != b.Cols {
		panic(fmt.Sprintf("linalg: SparseGemm: A is %dx%d, B %s, C %s, baseRow has %d elements",
			a.Rows(), a.Cols, b.shape(), c.shape(), len(baseRow)))
	}
	if c.Cols == 0 {
		return
	}
	entries := 0
	for i, lo := range a.Start {
		hi := a.End[i]
		for _, j := range a.Index[lo:hi] {
			if uint(j) >= uint(b.Rows) {
				panic(fmt.Sprintf("linalg: SparseGemm: row %d has an entry in column %d, B has %d rows", i, j, b.Rows))
			}
		}
		entries += hi - lo
	}
	// The last row of B that an entry may name ends at bEnd.
	bEnd := 0
	if b.Rows > 0 {
		bEnd = (b.Rows-1)*b.Stride + b.Cols
	}
	sparseRun(sparseArgs{kernels(), alpha, a, b.Data[:bEnd], b.Stride, beta, c, baseRow}, entries)
}

// sparseArgs are the operands of a SparseGemm, or of the rows of it that
// one thread computes.
type sparseArgs struct {
	ks      *kernelSet
	alpha   float32
	a       SparseRows
	b       []float32 // B's elements, from the first to the last row's end
	ldb     int
	beta    float32
	c       Matrix
	baseRow []float32
}

// sparseParallelMinMACs is the smallest SparseGemm, in multiply-adds
// (entries times columns), that is split between threads. It is lower
// than Gemm's threshold because a sparse multiply-add costs more: the
// kernel reads a row of B per entry.
const sparseParallelMinMACs = 1 << 19

// sparseRun computes g, which has entries entries in all, splitting its
// rows between threads into runs of about as many entries each when it is
// large enough and the pool is free.
func sparseRun(g sparseArgs, entries int) {
	threads := min(Threads(), g.a.Rows())
	if threads < 2 || entries*g.c.Cols < sparseParallelMinMACs || !gemmPool.mu.TryLock() {
		g.compute()
		return
	}
	defer gemmPool.mu.Unlock()
	startWorkers(threads-1, threads)
	// Part t starts at the first row by which t/threads of the entries
	// are done; part 0 runs here, part t on worker t-1.
	var mine sparseArgs
	lo, done, t := 0, 0, 0
	for i, start := range g.a.Start {
		done += g.a.End[i] - start
		if t < threads-1 && done*threads >= (t+1)*entries {
			part := g.part(lo, i+1)
			if t == 0 {
				mine = part
			} else {
				gemmPool.workers[t-1].task = gemmTask{sparse: part}
			}
			lo, t = i+1, t+1
		}
	}
	last := g.part(lo, g.a.Rows())
	if t == 0 {
		mine = last
	} else {
		gemmPool.workers[t-1].task = gemmTask{sparse: last}
	}
	postTasks(t)
	mine.compute()
	waitTasks()
}

// part returns the product restricted to rows [lo, hi).
func (g sparseArgs) part(lo, hi int) sparseArgs {
	p := g
	p.a = g.a.RowSlice(lo, hi)
	p.c = g.c.RowSlice(lo, hi)
	return p
}

// compute computes g's rows on the caller's goroutine.
func (g sparseArgs) compute() {
	a, ks := &g.a, g.ks
	for i, base := range a.Base {
		y := g.c.Row(i)
		switch {
		case g.beta == 0:
			clear(y)
			if base != 0 {
				ks.axpby(1, y, g.alpha*base, g.baseRow)
			}
		case g.beta != 1 || base != 0:
			ks.axpby(g.beta, y, g.alpha*base, g.baseRow)
		}
		if lo, hi := a.Start[i], a.End[i]; lo < hi {
			ks.axpyIndexed(g.alpha, a.Value[lo:hi], a.Index[lo:hi], g.b, g.ldb, y)
		}
	}
}

// axpyIndexedGeneric is the portable axpyIndexed: for each e, y +=
// (alpha*val[e]) * b[idx[e]*ldb:][:len(y)].
func axpyIndexedGeneric(alpha float32, val []float32, idx []int32, b []float32, ldb int, y []float32) {
	for e, v := range val {
		s := alpha * v
		row := b[int(idx[e])*ldb:][:len(y)]
		for j, bv := range row {
			y[j] += s * bv
		}
	}
}

// resizeSlice returns s with n elements, reallocated only if it is too
// small; the elements' values are not kept when it grows.
func resizeSlice[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
