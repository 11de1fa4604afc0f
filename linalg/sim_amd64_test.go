//go:build amd64 && !purego

package linalg

import (
	"sync"
	"testing"

	"github.com/klauspost/cpuid/v2"

	"github.com/mlpgo/mlpgo/linalg/internal/x86sim"
)

// simulatedKernelSets returns test-only copies of the SIMD kernel sets
// this CPU cannot run, with their assembly GEMM kernels executed by the
// x86sim simulator, so that the driver around them is cross-checked here
// too. On an AVX2 machine without AVX-512 that is "avx512-sim": the
// AVX-512 GEMM and B packing simulated, the AVX2 vector ops it shares with
// the avx2 set run natively.
func simulatedKernelSets(t *testing.T) []*kernelSet {
	t.Helper()
	if cpuid.CPU.Supports(cpuid.AVX512F) || !cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) {
		return nil
	}
	simAVX512.once.Do(func() {
		simAVX512.prog, simAVX512.err = x86sim.Load("asm/gemm_avx512_amd64.s")
	})
	if simAVX512.err != nil {
		t.Fatal(simAVX512.err)
	}
	prog := simAVX512.prog
	ks := avx512Kernels
	ks.name = "avx512-sim"
	ks.gemm.strided = func(k int, alpha float32, a []float32, aRow, aStep int, b []float32, bStep, bPanel int, beta float32, c []float32, ldc, m, n int) {
		call(prog, "GemmAVX512x12x32", x86sim.NewFrame().Int(k).Float32(alpha).Slice(a).Int(aRow).Int(aStep).
			Slice(b).Int(bStep).Int(bPanel).Float32(beta).Slice(c).Int(ldc).Int(m).Int(n))
	}
	ks.gemm.packBPanel = func(dst, b []float32, ldb, k, n int) {
		call(prog, "PackB32AVX512", x86sim.NewFrame().Slice(dst).Slice(b).Int(ldb).Int(k).Int(n))
	}
	return []*kernelSet{&ks}
}

// simAVX512 is the parsed AVX-512 GEMM file, loaded once per test binary.
var simAVX512 struct {
	once sync.Once
	prog *x86sim.Program
	err  error
}

// call runs a simulated kernel. The kernels run on pool workers too, where
// a test cannot fail cleanly, so a fault (a read or write outside the
// operands the kernel's doc comment allows) panics.
func call(p *x86sim.Program, name string, f *x86sim.Frame) {
	if _, err := p.Call(name, f); err != nil {
		panic(err)
	}
}
