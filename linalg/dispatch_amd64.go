//go:build amd64 && !purego

package linalg

import (
	"github.com/klauspost/cpuid/v2"

	"github.com/mlpgo/mlpgo/linalg/asm"
)

// simdKernelSets returns the SIMD kernel sets this CPU can run, best first.
// cpuid also checks that the OS saves the ymm and zmm state.
func simdKernelSets() []*kernelSet {
	var sets []*kernelSet
	if cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX2, cpuid.FMA3) {
		sets = append(sets, &avx512Kernels)
	}
	if cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) {
		sets = append(sets, &avx2Kernels)
	}
	return sets
}

// avx512Kernels is the AVX-512F set (Skylake-SP and later, Zen 4 and
// later): the AVX2 set with an AVX-512 GEMM and AVX-512F vector ops,
// which work on 16 lanes with opmask tails and give the same bits as
// their AVX2 twins (the sums of softmax and SumSquares add in a different
// order). Argmax keeps the AVX2 kernel: its cost is the scan for the
// maximum's index.
var avx512Kernels = func() kernelSet {
	ks := avx2Kernels
	ks.name = "avx512"
	// A 12x32 tile in 24 zmm accumulators. The B micro-panel (32 x kc)
	// stays in L1 while the A block streams from L2 in the outer-jr
	// order: kc = 160 keeps it at 20 KiB of a 32 KiB L1 (Intel since
	// Skylake-SP and Zen 4 alike), next to A's 12-float steps. mc = 144
	// keeps the packed A block (90 KiB) in L2, and nc = 4096 the packed
	// B block (2.5 MiB) in L3.
	ks.gemm = gemmKernel{mr: 12, nr: 32, mc: 144, kc: 160, nc: 4096, strided: asm.GemmAVX512x12x32, packBPanel: asm.PackB32AVX512, axpyRows: asm.AxpyRowsAVX2}
	ks.biasAct = [numActivations]func(x, bias []float32){
		Identity:  addToAVX512,
		Sigmoid:   func(x, bias []float32) { asm.BiasSigmoidAVX512(x, bias[:len(x)]) },
		Tanh:      func(x, bias []float32) { asm.BiasTanhAVX512(x, bias[:len(x)]) },
		ReLU:      func(x, bias []float32) { asm.BiasReLUAVX512(x, bias[:len(x)]) },
		LeakyReLU: func(x, bias []float32) { asm.BiasLeakyReLUAVX512(x, bias[:len(x)], LeakySlope) },
	}
	ks.actGrad = [numActivations]func(d, a []float32){
		Identity:  gradIdentityGeneric,
		Sigmoid:   func(d, a []float32) { asm.GradSigmoidAVX512(d, a[:len(d)]) },
		Tanh:      func(d, a []float32) { asm.GradTanhAVX512(d, a[:len(d)]) },
		ReLU:      func(d, a []float32) { asm.GradReLUAVX512(d, a[:len(d)]) },
		LeakyReLU: func(d, a []float32) { asm.GradLeakyReLUAVX512(d, a[:len(d)], LeakySlope) },
	}
	ks.softmax = softmaxAVX512
	ks.addTo = addToAVX512
	ks.axpby = func(a float32, y []float32, b float32, x []float32) { asm.AxpbyAVX512(a, y, b, x[:len(y)]) }
	ks.sumSquares = asm.SumSquaresAVX512
	return ks
}()

// avx2Kernels is the AVX2+FMA set (Haswell and later, Zen and later).
var avx2Kernels = func() kernelSet {
	ks := genericKernels
	ks.name = "avx2"
	// A 6x16 tile in 12 ymm accumulators. kc = 256 keeps the B micro-panel
	// (16 KiB) and an A micro-panel (6 KiB) in a 32 KiB L1; mc = 144 keeps
	// the packed A block (144 KiB) in half of a 512 KiB L2 (Zen 3; Intel's
	// 1-2 MiB L2 hold it too); nc = 4096 keeps the packed B block (4 MiB)
	// in L3.
	ks.gemm = gemmKernel{mr: 6, nr: 16, mc: 144, kc: 256, nc: 4096, strided: asm.GemmAVX2x6x16, packBPanel: asm.PackB16AVX2, axpyRows: asm.AxpyRowsAVX2}
	ks.biasAct = [numActivations]func(x, bias []float32){
		Identity:  addToAVX2,
		Sigmoid:   func(x, bias []float32) { asm.BiasSigmoidAVX2(x, bias[:len(x)]) },
		Tanh:      func(x, bias []float32) { asm.BiasTanhAVX2(x, bias[:len(x)]) },
		ReLU:      func(x, bias []float32) { asm.BiasReLUAVX2(x, bias[:len(x)]) },
		LeakyReLU: func(x, bias []float32) { asm.BiasLeakyReLUAVX2(x, bias[:len(x)], LeakySlope) },
	}
	ks.actGrad = [numActivations]func(d, a []float32){
		Identity:  gradIdentityGeneric,
		Sigmoid:   func(d, a []float32) { asm.GradSigmoidAVX2(d, a[:len(d)]) },
		Tanh:      func(d, a []float32) { asm.GradTanhAVX2(d, a[:len(d)]) },
		ReLU:      func(d, a []float32) { asm.GradReLUAVX2(d, a[:len(d)]) },
		LeakyReLU: func(d, a []float32) { asm.GradLeakyReLUAVX2(d, a[:len(d)], LeakySlope) },
	}
	ks.softmax = softmaxAVX2
	ks.addTo = addToAVX2
	ks.axpby = func(a float32, y []float32, b float32, x []float32) { asm.AxpbyAVX2(a, y, b, x[:len(y)]) }
	ks.argmax = argmaxAVX2
	ks.sumSquares = asm.SumSquaresAVX2
	ks.allFinite = asm.AllFiniteAVX2
	ks.axpyIndexed = asm.AxpyIndexedAVX2
	ks.countEqual = asm.CountEqualAVX2
	ks.compressRow = asm.CompressRowAVX2
	ks.scatterAxpy16 = asm.ScatterAxpy16AVX2
	ks.scatterAxpy8 = asm.ScatterAxpy8AVX2
	ks.combineRows8 = asm.CombineRows8AVX2
	return ks
}()

// The wrappers below reslice the second operand to the first one's length,
// so a short slice panics here rather than let the assembly read past it.

func addToAVX2(dst, x []float32) { asm.AddAVX2(dst, x[:len(dst)]) }

func addToAVX512(dst, x []float32) { asm.AddAVX512(dst, x[:len(dst)]) }

// softmaxAVX2 is softmaxGeneric with exp in float32 (within 1 ulp) and the
// sum in float64.
func softmaxAVX2(x []float32) {
	if len(x) == 0 {
		return
	}
	sum := asm.ExpShiftSumAVX2(x, asm.MaxAVX2(x))
	asm.ScaleAVX2(x, float32(1/sum))
}

// softmaxAVX512 is softmaxAVX2 with the AVX-512 kernels.
func softmaxAVX512(x []float32) {
	if len(x) == 0 {
		return
	}
	sum := asm.ExpShiftSumAVX512(x, asm.MaxAVX512(x))
	asm.ScaleAVX512(x, float32(1/sum))
}

// argmaxAVX2 finds the maximum (or a NaN) with the vector kernel, then the
// first element equal to it.
func argmaxAVX2(x []float32) int {
	if len(x) == 0 {
		return -1
	}
	mx := asm.MaxAVX2(x)
	for i, v := range x {
		if v == mx || (mx != mx && v != v) {
			return i
		}
	}
	panic("linalg: argmaxAVX2: maximum not found") // unreachable: mx is an element of x
}
