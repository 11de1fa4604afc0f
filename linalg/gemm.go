package linalg

import (
	"fmt"
	"sync"
)

// gemmKernel describes one ISA's GEMM: a register-blocked micro-kernel that
// computes an mr x nr block of C from packed panels, and the cache-block
// sizes the Go driver loops use around it (the GotoBLAS/BLIS plan).
type gemmKernel struct {
	mr, nr     int // micro-tile rows and columns
	mc, kc, nc int // cache blocks: rows of A, depth, and columns of B per packed block

	// micro computes C[0:m, 0:n] = alpha * Ap·Bp + beta * C over depth k,
	// where Ap holds k groups of mr values (rows of the A panel, zero
	// padded) and Bp holds k groups of nr values. C is row-major with row
	// stride ldc; only its first m <= mr rows and n <= nr columns are
	// touched, and when beta == 0 C is not read. A kernel set with a
	// strided kernel leaves micro nil.
	micro func(k int, alpha float32, ap, bp []float32, beta float32, c []float32, ldc, m, n int)

	// strided, if not nil, is micro reading its panels through strides:
	// A(i, p) = a[i*aRow+p*aStep] and B(p, j) = b[p*bStep+j] (a packed
	// panel is aRow = 1, aStep = mr, bStep = nr). It reads all mr rows of
	// A and nr columns of B at every p, so the driver packs ragged edge
	// panels; whole panels it may read in place, as planGemm decides.
	// Given n > nr it computes a row of tiles, the next one's B panel
	// bPanel elements further on, in one call.
	strided func(k int, alpha float32, a []float32, aRow, aStep int, b []float32, bStep, bPanel int, beta float32, c []float32, ldc, m, n int)

	// packBPanel, if not nil, packs one panel of a B that is not
	// transposed: dst[p*nr+j] = b[p*ldb+j] for p < k and j < n <= nr,
	// zero for n <= j < nr. packB's Go loop stands in otherwise.
	packBPanel func(dst, b []float32, ldb, k, n int)

	// axpyRows, if not nil, is the kernel of the path for products with
	// few rows (gemv.go): for p < k, y += (alpha*x[p*incx]) * b[p*ldb:][:len(y)].
	axpyRows func(k int, alpha float32, x []float32, incx int, b []float32, ldb int, y []float32)
}

// gemmBuffers are one goroutine's packing buffers: whole packed blocks of A
// and B, and single ragged edge panels. The caller's come from a sync.Pool
// and each pool worker owns one, so a call allocates nothing once warm.
type gemmBuffers struct {
	a, b, aEdge, bEdge []float32
}

var gemmBufferPool = sync.Pool{New: func() any { return new(gemmBuffers) }}

// grow returns s resized to n elements, reallocating only when it is too
// small.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// Gemm computes C = alpha * op(A) * op(B) + beta * C, where op(X) is X or,
// when the matching trans flag is set, Xᵀ. As in BLAS, beta == 0 means C
// is only written, never read, so NaN in C does not leak into the result.
// A, B and C may be strided views. Gemm panics if the shapes do not agree;
// C must not overlap A or B.
func Gemm(transA, transB bool, alpha float32, a, b Matrix, beta float32, c Matrix) {
	a.valid("Gemm A")
	b.valid("Gemm B")
	c.valid("Gemm C")
	m, k := a.Rows, a.Cols
	if transA {
		m, k = k, m
	}
	kb, n := b.Rows, b.Cols
	if transB {
		kb, n = n, kb
	}
	if k != kb || c.Rows != m || c.Cols != n {
		panic(fmt.Sprintf("linalg: Gemm: op(A) is %dx%d (A %s, trans %t), op(B) is %dx%d (B %s, trans %t), C is %s",
			m, k, a.shape(), transA, kb, n, b.shape(), transB, c.shape()))
	}
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scaleMatrix(beta, c)
		return
	}
	gemmRun(&kernels().gemm, gemmArgs{transA, transB, alpha, a, b, beta, c})
}

// scaleMatrix sets C = beta*C, writing zeros without reading C when beta is 0.
func scaleMatrix(beta float32, c Matrix) {
	for i := 0; i < c.Rows; i++ {
		row := c.Row(i)
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// gemmArgs are the operands of one product C = alpha*op(A)*op(B) + beta*C,
// or of the part of it that one thread computes.
type gemmArgs struct {
	transA, transB bool
	alpha          float32
	a, b           Matrix
	beta           float32
	c              Matrix
}

// part returns the product restricted to rows [i0, i1) and columns
// [j0, j1) of C.
func (g gemmArgs) part(i0, i1, j0, j1 int) gemmArgs {
	k := g.a.Cols
	if g.transA {
		k = g.a.Rows
	}
	p := g
	if g.transA {
		p.a = g.a.View(0, i0, k, i1-i0)
	} else {
		p.a = g.a.View(i0, 0, i1-i0, k)
	}
	if g.transB {
		p.b = g.b.View(j0, 0, j1-j0, k)
	} else {
		p.b = g.b.View(0, j0, k, j1-j0)
	}
	p.c = g.c.View(i0, j0, i1-i0, j1-j0)
	return p
}

// gemmPlan is how a product is blocked. It depends on the whole product's
// shape only, never on how it is split between threads, so every element
// of C sees the same sequence of operations for any thread count.
type gemmPlan struct {
	kc           int  // depth of a block, balanced so the last one is not a sliver
	packA, packB bool // pack whole blocks (else whole panels are read in place)
	// jrInner runs the panels of B in the inner loop, so an A panel stays
	// in L1 while the B block streams from L2: A, read in place, is then
	// read once per block of k instead of once per panel of B.
	jrInner bool
	// rows computes C one row at a time with axpyRows (gemv.go).
	rows bool
}

func planGemm(gk *gemmKernel, g gemmArgs, m, n, k int) gemmPlan {
	if gk.useRows(g, m) {
		return gemmPlan{rows: true}
	}
	p := gemmPlan{packA: true, packB: true}
	kc := gk.kc
	if gk.strided != nil {
		// With B's panels inner, A's micro-panel is the one that stays in
		// L1 and B's whole kc x n block is swept from L2 for each of them:
		// that order pays when A is the taller operand, and lets kc grow
		// to what L2 holds, so C is loaded and stored fewer times. B is
		// then packed (contiguous panels stream from L2 at full speed) and
		// A is read in place, once.
		kcInner := min(gemmL2Floats/roundUp(min(n, gk.nc), gk.nr), gemmKcInnerMax)
		if m >= n && kcInner >= gk.kc {
			p.jrInner, kc = true, kcInner
		}
		// In the outer-jr order the A block is swept once per panel of B:
		// packed, it is contiguous in L2 whatever A's stride (a power of
		// two would map its rows to a few cache sets). B's panel stays in
		// L1 and is worth packing when it is transposed or reused by many
		// rows.
		p.packA = !p.jrInner
		p.packB = p.jrInner || g.transB || m > gemmPackBMinM
	}
	blocks := (k + kc - 1) / kc
	p.kc = (k + blocks - 1) / blocks
	return p
}

// Tuning of the strided kernels' plans, measured on the benchmark shapes
// (BenchmarkGemm). Packing B pays once it is reused by more than
// gemmPackBMinM rows of A. In the inner-jr order the B block (kc x n) takes at most
// gemmL2Floats, 3/4 of Zen 3's 512 KiB L2 (Intel's are larger), and kc
// stays below gemmKcInnerMax so that A's micro-panel (6 x kc) fits in
// L1 beside a B micro-panel's stream.
const (
	gemmPackBMinM  = 256
	gemmL2Floats   = 96 << 10
	gemmKcInnerMax = 1024
)

// gemmBlock is the state of one kc x nc block of B and one mc x kc block
// of A in the driver: where each micro-panel comes from.
type gemmBlock struct {
	gk           *gemmKernel
	plan         gemmPlan
	buf          *gemmBuffers
	a, b, c      Matrix
	transA       bool
	alpha, beta  float32 // beta is 1 after the first block of k
	ic, pc, jc   int
	kb           int
	mFull, nFull int // rows and columns made of whole panels read in place
}

// micro runs the micro-kernel on the tile at (ir, jr) of the mb x nb block.
func (blk *gemmBlock) micro(ir, jr, mb, nb int) {
	gk, c := blk.gk, blk.c
	ap, aRow, aStep := blk.aPanel(ir)
	bp, bStep := blk.bPanel(jr)
	ct := c.Data[(blk.ic+ir)*c.Stride+blk.jc+jr:]
	rows, cols := min(gk.mr, mb-ir), min(gk.nr, nb-jr)
	if gk.strided != nil {
		gk.strided(blk.kb, blk.alpha, ap, aRow, aStep, bp, bStep, 0, blk.beta, ct, c.Stride, rows, cols)
	} else {
		gk.micro(blk.kb, blk.alpha, ap, bp, blk.beta, ct, c.Stride, rows, cols)
	}
}

// microRow runs the strided micro-kernel on the whole row of tiles at ir,
// B's packed panels one after the other (planGemm packs B for the
// inner-jr order).
func (blk *gemmBlock) microRow(ir, mb, nb int) {
	gk, c := blk.gk, blk.c
	ap, aRow, aStep := blk.aPanel(ir)
	ct := c.Data[(blk.ic+ir)*c.Stride+blk.jc:]
	bp := blk.buf.b[:roundUp(nb, gk.nr)*blk.kb]
	gk.strided(blk.kb, blk.alpha, ap, aRow, aStep, bp, gk.nr, gk.nr*blk.kb, blk.beta, ct, c.Stride, min(gk.mr, mb-ir), nb)
}

// aPanel returns the micro-panel of A at row ir of the block, and its strides.
func (blk *gemmBlock) aPanel(ir int) (ap []float32, aRow, aStep int) {
	mr, kb := blk.gk.mr, blk.kb
	switch {
	case blk.plan.packA:
		return blk.buf.a[ir*kb : ir*kb+mr*kb], 1, mr
	case ir >= blk.mFull:
		return blk.buf.aEdge[:mr*kb], 1, mr
	case blk.transA:
		return blk.a.Data[blk.pc*blk.a.Stride+blk.ic+ir:], 1, blk.a.Stride
	default:
		return blk.a.Data[(blk.ic+ir)*blk.a.Stride+blk.pc:], blk.a.Stride, 1
	}
}

// bPanel returns the micro-panel of B at column jr of the block, and its
// row stride.
func (blk *gemmBlock) bPanel(jr int) (bp []float32, bStep int) {
	nr, kb := blk.gk.nr, blk.kb
	switch {
	case blk.plan.packB:
		return blk.buf.b[jr*kb : jr*kb+nr*kb], nr
	case jr < blk.nFull:
		return blk.b.Data[blk.pc*blk.b.Stride+blk.jc+jr:], blk.b.Stride
	default:
		return blk.buf.bEdge[:nr*kb], nr
	}
}

// gemmBlocked runs the cache-blocked driver around gk's micro-kernel for
// the m x n x k product g, with buf's packing buffers.
func gemmBlocked(gk *gemmKernel, plan gemmPlan, buf *gemmBuffers, g gemmArgs, m, n, k int) {
	if plan.rows {
		gemmRows(gk, g, m, k)
		return
	}
	mr, nr := gk.mr, gk.nr
	a, b, c := g.a, g.b, g.c
	kcMax, mcMax, ncMax := min(plan.kc, k), min(gk.mc, m), min(gk.nc, n)
	if plan.packA {
		buf.a = grow(buf.a, roundUp(mcMax, mr)*kcMax)
	} else {
		buf.aEdge = grow(buf.aEdge, mr*kcMax)
	}
	if plan.packB {
		buf.b = grow(buf.b, roundUp(ncMax, nr)*kcMax)
	} else {
		buf.bEdge = grow(buf.bEdge, nr*kcMax)
	}
	blk := gemmBlock{gk: gk, plan: plan, buf: buf, a: a, b: b, c: c, transA: g.transA, alpha: g.alpha}

	for jc := 0; jc < n; jc += gk.nc {
		nb := min(gk.nc, n-jc)
		blk.jc = jc
		for pc := 0; pc < k; pc += plan.kc {
			kb := min(plan.kc, k-pc)
			blk.pc, blk.kb = pc, kb
			blk.beta = g.beta
			if pc > 0 {
				blk.beta = 1
			}
			blk.nFull = nb / nr * nr
			if plan.packB {
				packB(gk, buf.b, b, g.transB, pc, jc, kb, nb)
			} else if blk.nFull < nb {
				packB(gk, buf.bEdge, b, g.transB, pc, jc+blk.nFull, kb, nb-blk.nFull)
			}
			for ic := 0; ic < m; ic += gk.mc {
				mb := min(gk.mc, m-ic)
				blk.ic, blk.mFull = ic, mb/mr*mr
				if plan.packA {
					packA(buf.a, a, g.transA, ic, pc, mb, kb, mr)
				} else if blk.mFull < mb {
					packA(buf.aEdge, a, g.transA, ic+blk.mFull, pc, mb-blk.mFull, kb, mr)
				}
				if plan.jrInner {
					for ir := 0; ir < mb; ir += mr {
						blk.microRow(ir, mb, nb)
					}
					continue
				}
				for jr := 0; jr < nb; jr += nr {
					for ir := 0; ir < mb; ir += mr {
						blk.micro(ir, jr, mb, nb)
					}
				}
			}
		}
	}
}

func roundUp(x, to int) int { return (x + to - 1) / to * to }

// packA copies the mb x kb block of op(A) at (i0, p0) into dst as panels of
// mr rows: panel r holds, for each p, the mr values op(A)[i0+r*mr+0..mr-1,
// p0+p], zero padded past the last row.
func packA(dst []float32, a Matrix, trans bool, i0, p0, mb, kb, mr int) {
	for ir := 0; ir < mb; ir += mr {
		panel := dst[ir*kb : (ir+mr)*kb]
		rows := min(mr, mb-ir)
		if trans {
			// op(A)[i, p] = A[p, i]: each p reads a contiguous run of i.
			for p := 0; p < kb; p++ {
				src := a.Data[(p0+p)*a.Stride+i0+ir:]
				copyPadded(panel[p*mr:p*mr+mr], src[:rows])
			}
			continue
		}
		if mr == 6 && rows == 6 {
			packA6(panel, a, i0+ir, p0, kb)
			continue
		}
		interleave(panel, mr, a.Data, (i0+ir)*a.Stride+p0, a.Stride, rows, kb)
	}
}

// interleave fills a panel of kb groups of width lanes: lane l of group p
// is src[start+l*stride+p] for the count runs that exist, and the lanes
// from count to width are zero. It packs rows of A and columns of Bᵀ.
func interleave(panel []float32, width int, src []float32, start, stride, count, kb int) {
	for l := 0; l < count; l++ {
		for p, v := range src[start+l*stride:][:kb] {
			panel[p*width+l] = v
		}
	}
	for l := count; l < width; l++ {
		for p := 0; p < kb; p++ {
			panel[p*width+l] = 0
		}
	}
}

// packA6 packs the 6 x kb panel of A (not transposed) at (i0, p0): the
// common case of packA for 6-row kernels, six rows interleaved at once.
func packA6(panel []float32, a Matrix, i0, p0, kb int) {
	row := func(r int) []float32 { return a.Data[(i0+r)*a.Stride+p0:][:kb] }
	r0, r1, r2, r3, r4, r5 := row(0), row(1), row(2), row(3), row(4), row(5)
	panel = panel[:6*kb]
	for p := range r0 {
		*(*[6]float32)(panel[6*p:]) = [6]float32{r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]}
	}
}

// packB copies the kb x nb block of op(B) at (p0, j0) into dst as panels of
// nr columns: panel c holds, for each p, the nr values op(B)[p0+p,
// j0+c*nr+0..nr-1], zero padded past the last column.
func packB(gk *gemmKernel, dst []float32, b Matrix, trans bool, p0, j0, kb, nb int) {
	nr := gk.nr
	for jr := 0; jr < nb; jr += nr {
		panel := dst[jr*kb : (jr+nr)*kb]
		cols := min(nr, nb-jr)
		if !trans && gk.packBPanel != nil {
			gk.packBPanel(panel, b.Data[p0*b.Stride+j0+jr:(p0+kb-1)*b.Stride+j0+jr+cols], b.Stride, kb, cols)
			continue
		}
		if !trans {
			for p := 0; p < kb; p++ {
				src := b.Data[(p0+p)*b.Stride+j0+jr:]
				copyPadded(panel[p*nr:p*nr+nr], src[:cols])
			}
			continue
		}
		// op(B)[p, j] = B[j, p]: each column j reads a contiguous run of p.
		interleave(panel, nr, b.Data, (j0+jr)*b.Stride+p0, b.Stride, cols, kb)
	}
}

// copyPadded copies src to the start of dst and zeroes the rest of dst.
// Panel rows are short (nr or mr values), so whole-array moves and plain
// loops beat copy's and clear's calls into memmove and memclr.
func copyPadded(dst, src []float32) {
	switch {
	case len(dst) == 16 && len(src) == 16:
		*(*[16]float32)(dst) = *(*[16]float32)(src)
	case len(dst) == 6 && len(src) == 6:
		*(*[6]float32)(dst) = *(*[6]float32)(src)
	default:
		for i, v := range src {
			dst[i] = v
		}
		for i := len(src); i < len(dst); i++ {
			dst[i] = 0
		}
	}
}
