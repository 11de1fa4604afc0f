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
	// touched, and when beta == 0 C is not read.
	micro func(k int, alpha float32, ap, bp []float32, beta float32, c []float32, ldc, m, n int)
}

// gemmBuffers are the packing buffers of one Gemm call, recycled through a
// sync.Pool so that a call allocates nothing once the pool is warm.
type gemmBuffers struct {
	a, b []float32
}

var gemmBufferPool = sync.Pool{New: func() any { return new(gemmBuffers) }}

// grow returns s resized to n elements, reallocating only when it is too
// small.
func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
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
	ks := kernels()
	gemmBlocked(&ks.gemm, transA, transB, alpha, a, b, beta, c, m, n, k)
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

// gemmBlocked runs the cache-blocked driver around gk's micro-kernel.
func gemmBlocked(gk *gemmKernel, transA, transB bool, alpha float32, a, b Matrix, beta float32, c Matrix, m, n, k int) {
	mr, nr := gk.mr, gk.nr
	buf := gemmBufferPool.Get().(*gemmBuffers)
	defer gemmBufferPool.Put(buf)
	kcMax, mcMax, ncMax := min(gk.kc, k), min(gk.mc, m), min(gk.nc, n)
	buf.a = grow(buf.a, roundUp(mcMax, mr)*kcMax)
	buf.b = grow(buf.b, roundUp(ncMax, nr)*kcMax)

	for jc := 0; jc < n; jc += gk.nc {
		nb := min(gk.nc, n-jc)
		for pc := 0; pc < k; pc += gk.kc {
			kb := min(gk.kc, k-pc)
			packB(buf.b, b, transB, pc, jc, kb, nb, nr)
			betaBlock := beta
			if pc > 0 {
				betaBlock = 1
			}
			for ic := 0; ic < m; ic += gk.mc {
				mb := min(gk.mc, m-ic)
				packA(buf.a, a, transA, ic, pc, mb, kb, mr)
				for jr := 0; jr < nb; jr += nr {
					bp := buf.b[jr*kb : jr*kb+nr*kb]
					for ir := 0; ir < mb; ir += mr {
						ap := buf.a[ir*kb : ir*kb+mr*kb]
						off := (ic+ir)*c.Stride + jc + jr
						gk.micro(kb, alpha, ap, bp, betaBlock, c.Data[off:], c.Stride, min(mr, mb-ir), min(nr, nb-jr))
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
				d := panel[p*mr : p*mr+mr]
				copy(d, src[:rows])
				clear(d[rows:])
			}
			continue
		}
		for r := 0; r < rows; r++ {
			src := a.Data[(i0+ir+r)*a.Stride+p0:]
			src = src[:kb]
			for p, v := range src {
				panel[p*mr+r] = v
			}
		}
		for r := rows; r < mr; r++ {
			for p := 0; p < kb; p++ {
				panel[p*mr+r] = 0
			}
		}
	}
}

// packB copies the kb x nb block of op(B) at (p0, j0) into dst as panels of
// nr columns: panel c holds, for each p, the nr values op(B)[p0+p,
// j0+c*nr+0..nr-1], zero padded past the last column.
func packB(dst []float32, b Matrix, trans bool, p0, j0, kb, nb, nr int) {
	for jr := 0; jr < nb; jr += nr {
		panel := dst[jr*kb : (jr+nr)*kb]
		cols := min(nr, nb-jr)
		if !trans {
			for p := 0; p < kb; p++ {
				src := b.Data[(p0+p)*b.Stride+j0+jr:]
				d := panel[p*nr : p*nr+nr]
				copy(d, src[:cols])
				clear(d[cols:])
			}
			continue
		}
		// op(B)[p, j] = B[j, p]: each column j reads a contiguous run of p.
		for col := 0; col < cols; col++ {
			src := b.Data[(j0+jr+col)*b.Stride+p0:]
			src = src[:kb]
			for p, v := range src {
				panel[p*nr+col] = v
			}
		}
		for col := cols; col < nr; col++ {
			for p := 0; p < kb; p++ {
				panel[p*nr+col] = 0
			}
		}
	}
}
