//go:build amd64 && !purego

package asm

import (
	"testing"

	"github.com/klauspost/cpuid/v2"
)

// BenchmarkGemmAVX2x6x16 measures the micro-kernel alone on panels that
// stay in L1, the ceiling the blocked driver in linalg can reach.
func BenchmarkGemmAVX2x6x16(b *testing.B) {
	if !cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) {
		b.Skip("CPU lacks AVX2+FMA")
	}
	const k = 256
	a, bp, c := make([]float32, 6*k), make([]float32, 16*k), make([]float32, 6*16)
	for i := range a {
		a[i] = float32(i%7) / 7
	}
	for i := range bp {
		bp[i] = float32(i%5) / 5
	}
	for b.Loop() {
		GemmAVX2x6x16(k, 1, a, 1, 6, bp, 16, 16*k, 1, c, 16, 6, 16)
	}
	b.ReportMetric(2*6*16*k*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
