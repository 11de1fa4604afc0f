//go:build amd64 && !purego

package linalg

import (
	"github.com/klauspost/cpuid/v2"

	"github.com/mlpgo/mlpgo/linalg/asm"
)

// simdKernelSets returns the SIMD kernel sets this CPU can run, best first.
// cpuid also checks that the OS saves the ymm state. There is no AVX-512
// set yet: it cannot be tested on the machines mlpgo is developed on, and
// untested assembly is not shipped.
func simdKernelSets() []*kernelSet {
	if cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) {
		return []*kernelSet{&avx2Kernels}
	}
	return nil
}

// avx2Kernels is the AVX2+FMA set (Haswell and later, Zen and later).
var avx2Kernels = func() kernelSet {
	ks := genericKernels
	ks.name = "avx2"
	// A 6x16 tile in 12 ymm accumulators. kc = 256 keeps the B micro-panel
	// (16 KiB) and an A micro-panel (6 KiB) in a 32 KiB L1; mc = 144 keeps
	// the packed A block (144 KiB) in half of a 512 KiB L2 (Zen 3; Intel's
	// 1-2 MiB L2 hold it too); nc = 4096 keeps the packed B block (4 MiB)
	// in L3.
	ks.gemm = gemmKernel{mr: 6, nr: 16, mc: 144, kc: 256, nc: 4096, micro: microAVX2, strided: asm.GemmAVX2x6x16}
	return ks
}()

// microAVX2 is the AVX2 micro-kernel on packed panels.
func microAVX2(k int, alpha float32, ap, bp []float32, beta float32, c []float32, ldc, m, n int) {
	asm.GemmAVX2x6x16(k, alpha, ap, 1, 6, bp, 16, beta, c, ldc, m, n)
}
