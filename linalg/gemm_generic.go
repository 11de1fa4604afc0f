package linalg

// genericGemm is the portable GEMM: the shared blocked driver around a
// scalar 4x4 register-blocked micro-kernel.
var genericGemm = gemmKernel{mr: 4, nr: 4, mc: 128, kc: 256, nc: 2048, micro: microGeneric4x4}

// microGeneric4x4 is the portable micro-kernel: sixteen accumulators live
// in registers while the packed panels stream by, four A values times four
// B values per step of k.
func microGeneric4x4(k int, alpha float32, ap, bp []float32, beta float32, c []float32, ldc, m, n int) {
	ap = ap[:4*k]
	bp = bp[:4*k]
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	for p := 0; p < len(ap) && p < len(bp); p += 4 {
		a := ap[p : p+4 : p+4]
		b := bp[p : p+4 : p+4]
		a0, a1, a2, a3 := a[0], a[1], a[2], a[3]
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	acc := [4][4]float32{
		{c00, c01, c02, c03},
		{c10, c11, c12, c13},
		{c20, c21, c22, c23},
		{c30, c31, c32, c33},
	}
	storeTile(acc[:m], alpha, beta, c, ldc, n)
}

// storeTile writes C[i, j] = alpha*acc[i][j] + beta*C[i, j] for the first n
// columns of each accumulator row, never reading C when beta == 0.
func storeTile(acc [][4]float32, alpha, beta float32, c []float32, ldc, n int) {
	for i := range acc {
		row := c[i*ldc : i*ldc+n]
		for j := range row {
			if beta == 0 {
				row[j] = alpha * acc[i][j]
			} else {
				row[j] = alpha*acc[i][j] + beta*row[j]
			}
		}
	}
}
