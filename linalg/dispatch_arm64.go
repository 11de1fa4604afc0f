//go:build arm64 && !purego

package linalg

// simdKernelSets returns the SIMD kernel sets this CPU can run, best first.
// The NEON set is added here as its linalg/asm kernels land.
func simdKernelSets() []*kernelSet { return nil }
