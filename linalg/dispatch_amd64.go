//go:build amd64 && !purego

package linalg

// simdKernelSets returns the SIMD kernel sets this CPU can run, best first.
// The AVX-512 and AVX2+FMA sets are added here as their linalg/asm kernels
// land.
func simdKernelSets() []*kernelSet { return nil }
