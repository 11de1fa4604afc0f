//go:build arm64 && !purego

package linalg

import "github.com/mlpgo/mlpgo/linalg/asm"

// simdKernelSets returns the SIMD kernel sets this CPU can run, best first.
// ASIMD (NEON) is part of ARMv8-A, so every arm64 CPU runs the NEON set;
// it is not looked up in cpuid, which does not report it on every OS.
func simdKernelSets() []*kernelSet { return []*kernelSet{&neonKernels} }

// neonKernels is the ASIMD set.
var neonKernels = func() kernelSet {
	ks := genericKernels
	ks.name = "neon"
	// An 8x12 tile in 24 of the 32 vector registers. kc = 256 keeps the B
	// micro-panel (12 KiB) and an A micro-panel (8 KiB) in L1 (64 KiB on
	// Cortex-A76 and Neoverse N1, 128 KiB on Apple cores); mc = 128 keeps
	// the packed A block (128 KiB) in L2 (512 KiB to 1 MiB on those cores,
	// shared 4+ MiB on Apple's); nc = 2040, a multiple of 12, keeps the
	// packed B block (2 MiB) in L3 or the system cache. To be tuned on
	// hardware.
	ks.gemm = gemmKernel{mr: 8, nr: 12, mc: 128, kc: 256, nc: 2040, micro: asm.GemmNEON8x12}
	// The ops a sigmoid MLP's training step runs. Tanh, ReLU, LeakyReLU,
	// their gradients, softmax and the sum of squares stay generic.
	ks.biasAct[Identity] = asm.AddToNEON
	ks.biasAct[Sigmoid] = asm.BiasSigmoidNEON
	ks.actGrad[Sigmoid] = asm.SigmoidGradNEON
	ks.addTo = asm.AddToNEON
	ks.axpby = asm.AxpbyNEON
	ks.argmax = asm.ArgmaxNEON
	return ks
}()
