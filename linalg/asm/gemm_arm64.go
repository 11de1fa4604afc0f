//go:build arm64 && !purego

package asm

// GemmNEON8x12 is the ASIMD (NEON) GEMM micro-kernel, hand-written in
// gemm_neon_arm64.s. It computes, for i < m <= 8 and j < n <= 12,
//
//	var acc [8][12]float32
//	for p := 0; p < k; p++ {
//		for i := range acc {
//			for j := range acc[i] {
//				acc[i][j] += a[8*p+i] * b[12*p+j] // fused multiply-add
//			}
//		}
//	}
//	c[i*ldc+j] = alpha*acc[i][j] + beta*c[i*ldc+j] // C is not read when beta == 0
//
// The tile lives in 24 accumulators (v8-v31, three .4S vectors per row);
// each step of p loads the 8 values of A and the 12 of B with two LD1s and
// issues 24 FMLAs by element. a and b are packed panels of k groups of 8
// and 12 values; len(a) >= 8k, len(b) >= 12k and len(c) >= (m-1)*ldc+n are
// the caller's to ensure. m and n must be at least 1. Rows and columns
// past m and n are neither read nor written: a ragged tile goes through a
// scratch copy on the stack and is stored a vector, then a lane, at a time.
//
//go:noescape
func GemmNEON8x12(k int, alpha float32, a, b []float32, beta float32, c []float32, ldc, m, n int)
