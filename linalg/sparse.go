package linalg

import (
	"fmt"
	"math"
	"sync"
)

// Inputs such as MNIST's are mostly one value: after the seed's scaling,
// 81% of a digit's pixels are the background's -1. A product with such a
// matrix need not multiply by every element: X·B = (X - c)·B + c·1·colsum(B)
// for any c, and X - c is zero wherever X is c. SparseRows stores X as a
// base value per row and the entries that differ from it, and SparseGemm
// multiplies by the entries alone, reading one row of B per entry, so a
// product with MNIST's rows does a fifth of the dense product's work.

// SparseRows is a matrix stored by rows as a base value per row and the
// entries that differ from it. Element (i, j) is base[i] + value[e] if
// row i has an entry e at column j (index[e] == j), else base[i]. Row i's
// entries are e in [start[i], end[i]), in ascending column order; the
// methods that build a SparseRows keep that order and every index below
// cols, so the products need not check them.
//
// A SparseRows made by RowSlice shares its entries with the matrix it
// came from.
type SparseRows struct {
	cols       int
	base       []float32 // one per row
	start, end []int     // row i's entries are [start[i], end[i])
	index      []int32   // column of each entry
	value      []float32 // each entry's element minus its row's base

	touched int32 // Gather's, so that its touching loads are kept
}

// Rows returns the number of rows.
func (s *SparseRows) Rows() int { return len(s.base) }

// Cols returns the number of columns.
func (s *SparseRows) Cols() int { return s.cols }

// Entries returns the number of entries of all rows.
func (s *SparseRows) Entries() int {
	n := 0
	for i, start := range s.start {
		n += s.end[i] - start
	}
	return n
}

// RowBase returns the base Compress picks for a row and how many entries
// the row then has (the elements that differ from the base). The base is
// the first of the row's first element, its last element and 0 that more
// than half of the row equals, or 0 if none does: an image's background
// fills its corners, and other sparse data is mostly 0. Each candidate
// costs one vectorized count, so a dense row is rejected in three.
func RowBase(row []float32) (base float32, entries int) {
	if len(row) == 0 {
		return 0, 0
	}
	countEqual := kernels().countEqual
	same := 0
	for _, cand := range [...]float32{row[0], row[len(row)-1], 0} {
		if same = countEqual(row, cand); 2*same > len(row) {
			return cand, len(row) - same
		}
	}
	return 0, len(row) - same // same counted the zeros, the last candidate
}

// countEqualGeneric is the portable countEqual: how many elements of x
// equal v.
func countEqualGeneric(x []float32, v float32) int {
	n := 0
	for _, e := range x {
		if e == v {
			n++
		}
	}
	return n
}

// compressSlack is how far past a row's elements compressRow may write:
// the SIMD kernels store whole vectors of eight.
const compressSlack = 8

// compressRowGeneric is the portable compressRow: for every j with
// x[j] != base, in order, index[k], value[k] = j, x[j]-base and k++;
// it returns k. index and value need room for len(x)+compressSlack
// elements.
func compressRowGeneric(x []float32, base float32, index []int32, value []float32) int {
	index, value = index[:len(x)], value[:len(x)]
	k := 0
	for j, v := range x {
		// Every element goes to the next free slot, which only an entry
		// keeps: no branch to mispredict.
		index[k], value[k] = int32(j), v-base
		if v != base {
			k++
		}
	}
	return k
}

// Compress sets s to x, reusing s's storage. Row i's base is RowBase's;
// every element that differs from it (NaN always does) is an entry,
// stored as its difference from the base, so the elements of s may differ
// from x's by that subtraction's rounding.
func (s *SparseRows) Compress(x Matrix) {
	x.valid("SparseRows.Compress")
	s.cols = x.Cols
	s.base = grow(s.base, x.Rows)
	s.start = grow(s.start, x.Rows)
	s.end = grow(s.end, x.Rows)
	entries := 0
	for i := range x.Rows {
		base, e := RowBase(x.Row(i))
		s.base[i] = base
		entries += e
	}
	// compressRow needs room for a row and its slack past the last entry.
	s.index = grow(s.index, entries+x.Cols+compressSlack)
	s.value = grow(s.value, entries+x.Cols+compressSlack)
	compressRow := kernels().compressRow
	n := 0
	for i := range x.Rows {
		s.start[i] = n
		n += compressRow(x.Row(i), s.base[i], s.index[n:], s.value[n:])
		s.end[i] = n
	}
	s.index, s.value = s.index[:n], s.value[:n]
}

// RowSlice returns rows [from, to) of s, sharing its storage.
func (s *SparseRows) RowSlice(from, to int) SparseRows {
	if from < 0 || to < from || to > s.Rows() {
		panic(fmt.Sprintf("linalg: SparseRows.RowSlice(%d, %d) of %d rows", from, to, s.Rows()))
	}
	return SparseRows{cols: s.cols, base: s.base[from:to], start: s.start[from:to], end: s.end[from:to], index: s.index, value: s.value}
}

// Gather sets s to the rows of src listed in rows, in that order, copying
// their entries into s's own storage, which it reuses. The products then
// read one compact run of entries, where rows scattered over a large src
// would cost a cache miss each. Gather panics if a row is out of range.
func (s *SparseRows) Gather(src *SparseRows, rows []uint32) {
	s.cols = src.cols
	s.base = grow(s.base, len(rows))
	s.start = grow(s.start, len(rows))
	s.end = grow(s.end, len(rows))
	// Count the entries, touching each row's first ones on the way: the
	// cache misses of all rows then overlap, not one row's after another's.
	entries := 0
	var touch int32
	for _, r := range rows {
		lo, hi := src.start[r], src.end[r]
		if lo < hi {
			touch += src.index[lo] + int32(math.Float32bits(src.value[lo]))
		}
		entries += hi - lo
	}
	s.touched = touch
	s.index = grow(s.index, entries)
	s.value = grow(s.value, entries)
	n := 0
	for i, r := range rows {
		lo, hi := src.start[r], src.end[r]
		s.base[i], s.start[i] = src.base[r], n
		n += copy(s.index[n:], src.index[lo:hi])
		copy(s.value[s.start[i]:], src.value[lo:hi])
		s.end[i] = n
	}
}

// SparseGemm computes, for every row i of A, with base, index and value
// from A.Row(i),
//
//	C[i, :] = alpha * (base*baseRow + Σ_e value[e]*B[index[e], :]) + beta*C[i, :]
//
// adding the entries in order. With baseRow the column sums of B
// (ColSums, which callers computing many products with one B keep) that
// is C = alpha*A·B + beta*C. As in Gemm, beta == 0 means C is only
// written. Large products are split between threads by rows of C,
// computed on their own, so the results do not depend on the thread
// count. SparseGemm panics if the shapes do not agree.
func SparseGemm(alpha float32, a SparseRows, b Matrix, beta float32, c Matrix, baseRow []float32) {
	b.valid("SparseGemm B")
	c.valid("SparseGemm C")
	if a.cols != b.Rows || c.Rows != a.Rows() || c.Cols != b.Cols || len(baseRow) != b.Cols {
		panic(fmt.Sprintf("linalg: SparseGemm: A is %dx%d, B %s, C %s, baseRow has %d elements",
			a.Rows(), a.cols, b.shape(), c.shape(), len(baseRow)))
	}
	if c.Rows == 0 || c.Cols == 0 {
		return
	}
	sparseRun(sparseArgs{ks: kernels(), alpha: alpha, a: a, b: b, beta: beta, c: c, baseRow: baseRow})
}

// SparseGemmT computes C = alpha*Aᵀ·B + beta*C, where A is m x k, B m x n
// and C k x n: C[p, j] sums A's elements in column p times B's column j,
// over A's rows in order, the bases' share first. If colSums is not nil,
// it also receives C's column sums, the bits ColSums would compute, at no
// extra pass over C. As in Gemm, beta == 0 means C is only written. Large
// products are split between threads by columns of C, computed on their
// own, so the results do not depend on the thread count. SparseGemmT
// panics if the shapes do not agree.
func SparseGemmT(alpha float32, a SparseRows, b Matrix, beta float32, c Matrix, colSums []float32) {
	b.valid("SparseGemmT B")
	c.valid("SparseGemmT C")
	if a.Rows() != b.Rows || c.Rows != a.cols || c.Cols != b.Cols || colSums != nil && len(colSums) != c.Cols {
		panic(fmt.Sprintf("linalg: SparseGemmT: A is %dx%d, B %s, C %s, colSums has %d elements",
			a.Rows(), a.cols, b.shape(), c.shape(), len(colSums)))
	}
	if c.Rows == 0 || c.Cols == 0 {
		return
	}
	// The bases' share of every row of Aᵀ·B: baseᵀ·B.
	buf := sparseBufferPool.Get().(*sparseBuffers)
	defer sparseBufferPool.Put(buf)
	buf.shares = grow(buf.shares, b.Cols)
	Gemm(false, false, 1, FromSlice(1, b.Rows, a.base), b, 0, FromSlice(1, b.Cols, buf.shares))
	sparseRun(sparseArgs{ks: kernels(), transA: true, alpha: alpha, a: a, b: b, beta: beta, c: c, baseRow: buf.shares, colSums: colSums})
}

// sparseArgs are the operands of a SparseGemm or SparseGemmT (transA), or
// of the part of it that one thread computes.
type sparseArgs struct {
	ks      *kernelSet
	transA  bool
	alpha   float32
	a       SparseRows
	b       Matrix
	beta    float32
	c       Matrix
	baseRow []float32 // SparseGemm's, or the bases' share of SparseGemmT
	colSums []float32 // SparseGemmT's, or nil
}

// sparseBuffers is the scratch space of a SparseGemmT, or of the part of
// one that a thread computes.
type sparseBuffers struct {
	shares []float32 // the bases' share of each row of C
	acc    []float32 // k x sparseBlock sums of one block of C's columns
	x      [sparseBlock]float32
	sums   [sparseBlock]float32 // a block's column sums, when nobody wants them
}

var sparseBufferPool = sync.Pool{New: func() any { return new(sparseBuffers) }}

// sparseBlock is how many columns of C SparseGemmT computes at a time:
// two ymm of sums per row of C. Every block reads all of A's entries
// again, so the MLP's 100 hidden units read them 7 times instead of the
// 13 of blocks of eight, which measured some 15% faster on MNIST though
// the sums of 784 inputs (49 KB) then overflow a Zen 3's 32 KB L1. A last
// block of at most eight columns is eight wide: half the work.
const sparseBlock = 16

// sparseParallelMinMACs is the smallest sparse product, in multiply-adds
// (entries times columns of B), that is split between threads. It is
// lower than Gemm's threshold because a sparse multiply-add costs more.
const sparseParallelMinMACs = 1 << 19

// sparseSplit is the unit, in columns of C, in which sparseRun splits a
// SparseGemmT between threads: 64 bytes, so that a thread's columns of a
// matrix whose rows start on a cache line do not share lines with
// another's, and a whole number of SparseGemmT's blocks.
const sparseSplit = 16

// sparseRun computes g, splitting it between threads when it is large
// enough and the pool is free. A SparseGemmT is split by columns of C (its
// rows are A's columns, which every row of A may name), a SparseGemm by
// rows of A and C. Split by columns too, a SparseGemm would have each
// thread walk every entry for a part of a row of B; split by rows, the seed
// network's training loop on MNIST ran 8% faster on 2 threads (2-core Zen
// 3, medians of 6 alternated runs), though each core then reads the rows
// of the weights whose other columns the other core's part of the
// gradient wrote.
func sparseRun(g sparseArgs) {
	threads := 1
	if g.a.Entries()*g.c.Cols >= sparseParallelMinMACs { // Threads takes a lock: ask only then
		threads = min(Threads(), g.c.Rows)
		if g.transA {
			threads = min(threads, (g.c.Cols+sparseSplit-1)/sparseSplit)
		}
	}
	if threads < 2 || !gemmPool.mu.TryLock() {
		g.compute()
		return
	}
	defer gemmPool.mu.Unlock()
	startWorkers(threads-1, threads)
	for t := 1; t < threads; t++ {
		gemmPool.workers[t-1].task = gemmTask{sparse: g.part(t, threads)}
	}
	postTasks(threads - 1)
	g.part(0, threads).compute()
	waitTasks()
}

// part returns part t of g cut into threads parts: rows of A and C for a
// SparseGemm, runs of whole sparseSplit units of C's columns for a
// SparseGemmT.
func (g sparseArgs) part(t, threads int) sparseArgs {
	p := g
	if !g.transA {
		lo, hi := t*g.c.Rows/threads, (t+1)*g.c.Rows/threads
		p.a, p.c = g.a.RowSlice(lo, hi), g.c.RowSlice(lo, hi)
		return p
	}
	units := (g.c.Cols + sparseSplit - 1) / sparseSplit
	lo := min(t*units/threads*sparseSplit, g.c.Cols)
	hi := min((t+1)*units/threads*sparseSplit, g.c.Cols)
	p.b = g.b.View(0, lo, g.b.Rows, hi-lo)
	p.c = g.c.View(0, lo, g.c.Rows, hi-lo)
	p.baseRow = g.baseRow[lo:hi]
	if g.colSums != nil {
		p.colSums = g.colSums[lo:hi]
	}
	return p
}

// compute computes g on the caller's goroutine.
func (g sparseArgs) compute() {
	if g.transA {
		g.computeT()
		return
	}
	a, ks := &g.a, g.ks
	// B's elements up to the end of its last row, which an entry may name.
	var b []float32
	if g.b.Rows > 0 {
		b = g.b.Data[:(g.b.Rows-1)*g.b.Stride+g.b.Cols]
	}
	for i, base := range a.base {
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
		if lo, hi := a.start[i], a.end[i]; lo < hi {
			ks.axpyIndexed(g.alpha, a.value[lo:hi], a.index[lo:hi], b, g.b.Stride, y)
		}
	}
}

// computeT computes a SparseGemmT sparseBlock columns of C at a time:
// every row of A adds its entries times its row of B's block into the
// sums of the rows of C they name, which then join C eight columns at a
// time.
func (g sparseArgs) computeT() {
	a, ks, k := &g.a, g.ks, g.c.Rows
	buf := sparseBufferPool.Get().(*sparseBuffers)
	defer sparseBufferPool.Put(buf)
	buf.acc = grow(buf.acc, k*sparseBlock)
	for j0 := 0; j0 < g.c.Cols; j0 += sparseBlock {
		width := min(sparseBlock, g.c.Cols-j0)
		lda, scatter := sparseBlock, ks.scatterAxpy16
		if width <= 8 {
			lda, scatter = 8, ks.scatterAxpy8
		}
		acc := buf.acc[:k*lda]
		clear(acc)
		for i := range a.base {
			lo, hi := a.start[i], a.end[i]
			if lo == hi {
				continue
			}
			x := g.b.Row(i)[j0:]
			if width < lda {
				copy(buf.x[:], x)
				clear(buf.x[width:lda])
				x = buf.x[:]
			}
			scatter(a.value[lo:hi], a.index[lo:hi], x[:lda], acc)
		}
		for l0 := 0; l0 < width; l0 += 8 {
			w := min(8, width-l0)
			j := j0 + l0
			sums := buf.sums[l0 : l0+w]
			if g.colSums != nil {
				sums = g.colSums[j : j+w]
			}
			ks.combineRows8(g.alpha, g.beta, acc[l0:], lda, g.baseRow[j:j+w], g.c.Data[j:], g.c.Stride, k, w, sums)
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

// scatterAxpy16Generic is the portable scatterAxpy16: for each e,
// acc[idx[e]*16:][:16] += val[e] * x[:16].
func scatterAxpy16Generic(val []float32, idx []int32, x, acc []float32) {
	scatterAxpyGeneric(val, idx, x[:16], acc)
}

// scatterAxpy8Generic is the portable scatterAxpy8: for each e,
// acc[idx[e]*8:][:8] += val[e] * x[:8].
func scatterAxpy8Generic(val []float32, idx []int32, x, acc []float32) {
	scatterAxpyGeneric(val, idx, x[:8], acc)
}

// scatterAxpyGeneric is, for each e, acc[idx[e]*n:][:n] += val[e] * x,
// with n = len(x).
func scatterAxpyGeneric(val []float32, idx []int32, x, acc []float32) {
	n := len(x)
	for e, v := range val {
		row := acc[int(idx[e])*n:][:n]
		for l, xl := range x {
			row[l] += v * xl
		}
	}
}

// combineRows8Generic is the portable combineRows8: for p < rows and
// l < width, c[p*ldc+l] = alpha*(acc[p*lda+l] + v[l]) + beta*c[p*ldc+l],
// not reading c when beta is 0; then sums[l] is the sum of the new
// c[p*ldc+l] over p in order, as ColSums adds them.
func combineRows8Generic(alpha, beta float32, acc []float32, lda int, v, c []float32, ldc, rows, width int, sums []float32) {
	v, sums = v[:width], sums[:width]
	clear(sums)
	for p := range rows {
		block := acc[p*lda:][:width]
		row := c[p*ldc:][:width]
		for l, t := range block {
			t += v[l]
			if beta == 0 {
				row[l] = alpha * t
			} else {
				row[l] = alpha*t + beta*row[l]
			}
			sums[l] += row[l]
		}
	}
}
