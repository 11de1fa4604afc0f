package linalg

// Products with one or a few rows, such as one sample's forward pass
// (1x784·784x100), do not pay for the blocked driver: the micro-kernel
// computes mr rows whatever m is, and packing B costs as much as the
// product. Gemm runs them instead row by row with the kernel set's
// axpyRows, y += alpha * x·B, which reads B's rows in place once per row
// of C and does no padded work.

// gemvMaxRows is the most rows of op(A) that Gemm computes row by row
// rather than with the micro-kernel (when B is not transposed). Measured
// with BenchmarkGemmFewRows on Zen 3 at the MLP's shapes: the row path
// wins up to 4 rows with AVX2 and the generic kernels alike.
const gemvMaxRows = 4

// useRows reports whether the product g, with m rows, takes the row path.
func (gk *gemmKernel) useRows(g gemmArgs, m int) bool {
	return gk.axpyRows != nil && !g.transB && m <= gemvMaxRows
}

// gemmRows computes the product g (or the part of it that one thread has)
// one row of C at a time: C[i, :] = beta*C[i, :], then
// C[i, :] += alpha * op(A)[i, :]·B.
func gemmRows(gk *gemmKernel, g gemmArgs, m, k int) {
	a, b, c := g.a, g.b, g.c
	if g.beta != 1 {
		scaleMatrix(g.beta, c)
	}
	for i := range m {
		y := c.Row(i)
		// Row i of op(A): a row of A, or a column of a transposed one.
		x, incx := a.Data[i:], a.Stride
		if !g.transA {
			x, incx = a.Data[i*a.Stride:], 1
		}
		x = x[:(k-1)*incx+1]
		gk.axpyRows(k, g.alpha, x, incx, b.Data[:(k-1)*b.Stride+len(y)], b.Stride, y)
	}
}

// axpyRowsGeneric is the portable axpyRows: for each p < k, y += (alpha *
// x[p*incx]) * B[p, :], with B's rows ldb apart.
func axpyRowsGeneric(k int, alpha float32, x []float32, incx int, b []float32, ldb int, y []float32) {
	for p := range k {
		s := alpha * x[p*incx]
		row := b[p*ldb:][:len(y)]
		for j, v := range row {
			y[j] += s * v
		}
	}
}
