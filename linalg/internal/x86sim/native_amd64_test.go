//go:build !purego

package x86sim

import (
	"github.com/klauspost/cpuid/v2"
	"github.com/mlpgo/mlpgo/linalg/asm"
)

// nativeAVX2 returns the committed AVX2 kernels, if this CPU runs them.
func nativeAVX2() (avx2Kernels, bool) {
	if !cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) {
		return avx2Kernels{}, false
	}
	return avx2Kernels{
		gemm: func(k int, alpha float32, a []float32, aRow, aStep int, b []float32, bStep, bPanel int, beta float32, c []float32, ldc, m, n int) error {
			asm.GemmAVX2x6x16(k, alpha, a, aRow, aStep, b, bStep, bPanel, beta, c, ldc, m, n)
			return nil
		},
		packB16: func(dst, b []float32, ldb, k, n int) error {
			asm.PackB16AVX2(dst, b, ldb, k, n)
			return nil
		},
		axpyRows: func(k int, alpha float32, x []float32, incx int, b []float32, ldb int, y []float32) error {
			asm.AxpyRowsAVX2(k, alpha, x, incx, b, ldb, y)
			return nil
		},
	}, true
}
