//go:build purego || !(amd64 || arm64)

package linalg

// simdKernelSets returns the SIMD kernel sets this CPU can run, best first:
// none in a purego build or on an architecture without mlpgo assembly.
func simdKernelSets() []*kernelSet { return nil }
