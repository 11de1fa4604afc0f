//go:build !purego

package x86sim

import (
	"fmt"

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
		axpyIndexed: func(alpha float32, val []float32, idx []int32, b []float32, ldb int, y []float32) error {
			asm.AxpyIndexedAVX2(alpha, val, idx, b, ldb, y)
			return nil
		},
		countEqual: func(x []float32, v float32) (int, error) { return asm.CountEqualAVX2(x, v), nil },
		compressRow: func(x []float32, base float32, index []int32, value []float32) (int, error) {
			return asm.CompressRowAVX2(x, base, index, value), nil
		},
		scatterAxpy: func(cols int, val []float32, idx []int32, x []float32, acc []float32) error {
			switch cols {
			case 8:
				asm.ScatterAxpy8AVX2(val, idx, x, acc)
			case 16:
				asm.ScatterAxpy16AVX2(val, idx, x, acc)
			default:
				return fmt.Errorf("no ScatterAxpy%dAVX2", cols)
			}
			return nil
		},
		combineRows: func(alpha, beta float32, acc []float32, lda int, v, c []float32, ldc, rows, width int, sums []float32) error {
			asm.CombineRows8AVX2(alpha, beta, acc, lda, v, c, ldc, rows, width, sums)
			return nil
		},
	}, true
}

// nativeVecAVX2 returns the committed AVX2 vector kernel called name
// behind vecKernel's signature, if this CPU runs it.
func nativeVecAVX2(name string) (func(dst, src []float32, a, b float32) vecResult, bool) {
	if !cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) {
		return nil, false
	}
	none := func(f func(dst, src []float32, a, b float32)) func(dst, src []float32, a, b float32) vecResult {
		return func(dst, src []float32, a, b float32) vecResult { f(dst, src, a, b); return vecResult{} }
	}
	f, ok := map[string]func(dst, src []float32, a, b float32) vecResult{
		"AddAVX2":           none(func(dst, src []float32, _, _ float32) { asm.AddAVX2(dst, src) }),
		"AxpbyAVX2":         none(func(dst, src []float32, a, b float32) { asm.AxpbyAVX2(a, dst, b, src) }),
		"BiasSigmoidAVX2":   none(func(dst, src []float32, _, _ float32) { asm.BiasSigmoidAVX2(dst, src) }),
		"BiasTanhAVX2":      none(func(dst, src []float32, _, _ float32) { asm.BiasTanhAVX2(dst, src) }),
		"BiasReLUAVX2":      none(func(dst, src []float32, _, _ float32) { asm.BiasReLUAVX2(dst, src) }),
		"BiasLeakyReLUAVX2": none(func(dst, src []float32, a, _ float32) { asm.BiasLeakyReLUAVX2(dst, src, a) }),
		"GradSigmoidAVX2":   none(func(dst, src []float32, _, _ float32) { asm.GradSigmoidAVX2(dst, src) }),
		"GradTanhAVX2":      none(func(dst, src []float32, _, _ float32) { asm.GradTanhAVX2(dst, src) }),
		"GradReLUAVX2":      none(func(dst, src []float32, _, _ float32) { asm.GradReLUAVX2(dst, src) }),
		"GradLeakyReLUAVX2": none(func(dst, src []float32, a, _ float32) { asm.GradLeakyReLUAVX2(dst, src, a) }),
		"ScaleAVX2":         none(func(dst, _ []float32, a, _ float32) { asm.ScaleAVX2(dst, a) }),
		"MaxAVX2":           func(dst, _ []float32, _, _ float32) vecResult { return vecResult{f32: asm.MaxAVX2(dst)} },
		"ExpShiftSumAVX2":   func(dst, _ []float32, a, _ float32) vecResult { return vecResult{f64: asm.ExpShiftSumAVX2(dst, a)} },
		"SumSquaresAVX2":    func(dst, _ []float32, _, _ float32) vecResult { return vecResult{f64: asm.SumSquaresAVX2(dst)} },
	}[name]
	return f, ok
}
