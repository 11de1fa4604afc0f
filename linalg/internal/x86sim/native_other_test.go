//go:build !amd64 || purego

package x86sim

// nativeAVX2 reports that the AVX2 kernels are not built here.
func nativeAVX2() (avx2Kernels, bool) { return avx2Kernels{}, false }

// nativeVecAVX2 reports that the AVX2 vector kernels are not built here.
func nativeVecAVX2(string) (func(dst, src []float32, a, b float32) vecResult, bool) {
	return nil, false
}
