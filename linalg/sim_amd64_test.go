//go:build amd64 && !purego

package linalg

import (
	"sync"
	"testing"

	"github.com/klauspost/cpuid/v2"

	"github.com/mlpgo/mlpgo/linalg/internal/x86sim"
)

// simulatedKernelSets returns test-only copies of the SIMD kernel sets
// this CPU cannot run, with their assembly kernels executed by the x86sim
// simulator, so that the driver around them is cross-checked here too.
// On an AVX2 machine without AVX-512 that is "avx512-sim": the AVX-512
// GEMM, B packing and vector ops simulated, and the AVX2 kernels it
// shares with the avx2 set (argmax, the GEMV rows, AllFinite) run
// natively.
func simulatedKernelSets(t *testing.T) []*kernelSet {
	t.Helper()
	if cpuid.CPU.Supports(cpuid.AVX512F) || !cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) {
		return nil
	}
	simAVX512.once.Do(func() {
		simAVX512.gemm, simAVX512.err = x86sim.Load("asm/gemm_avx512_amd64.s")
		if simAVX512.err == nil {
			simAVX512.vec, simAVX512.err = x86sim.Load("asm/vec_avx512_amd64.s")
		}
	})
	if simAVX512.err != nil {
		t.Fatal(simAVX512.err)
	}
	gemm, vec := simAVX512.gemm, simAVX512.vec
	ks := avx512Kernels
	ks.name = "avx512-sim"
	ks.gemm.strided = func(k int, alpha float32, a []float32, aRow, aStep int, b []float32, bStep, bPanel int, beta float32, c []float32, ldc, m, n int) {
		call(gemm, "GemmAVX512x12x32", x86sim.NewFrame().Int(k).Float32(alpha).Slice(a).Int(aRow).Int(aStep).
			Slice(b).Int(bStep).Int(bPanel).Float32(beta).Slice(c).Int(ldc).Int(m).Int(n))
	}
	ks.gemm.packBPanel = func(dst, b []float32, ldb, k, n int) {
		call(gemm, "PackB32AVX512", x86sim.NewFrame().Slice(dst).Slice(b).Int(ldb).Int(k).Int(n))
	}
	// The wrappers reslice as avx512Kernels' do.
	slices := func(name string) func(x, y []float32) {
		return func(x, y []float32) { call(vec, name, x86sim.NewFrame().Slice(x).Slice(y[:len(x)])) }
	}
	slope := func(name string) func(x, y []float32) {
		return func(x, y []float32) {
			call(vec, name, x86sim.NewFrame().Slice(x).Slice(y[:len(x)]).Float32(LeakySlope))
		}
	}
	ks.biasAct = [numActivations]func(x, bias []float32){
		Identity:  slices("AddAVX512"),
		Sigmoid:   slices("BiasSigmoidAVX512"),
		Tanh:      slices("BiasTanhAVX512"),
		ReLU:      slices("BiasReLUAVX512"),
		LeakyReLU: slope("BiasLeakyReLUAVX512"),
	}
	ks.actGrad = [numActivations]func(d, a []float32){
		Identity:  gradIdentityGeneric,
		Sigmoid:   slices("GradSigmoidAVX512"),
		Tanh:      slices("GradTanhAVX512"),
		ReLU:      slices("GradReLUAVX512"),
		LeakyReLU: slope("GradLeakyReLUAVX512"),
	}
	ks.softmax = func(x []float32) {
		if len(x) == 0 {
			return
		}
		var mx float32
		var sum float64
		call(vec, "MaxAVX512", x86sim.NewFrame().Slice(x).Float32Result(&mx))
		call(vec, "ExpShiftSumAVX512", x86sim.NewFrame().Slice(x).Float32(mx).Float64Result(&sum))
		call(vec, "ScaleAVX512", x86sim.NewFrame().Slice(x).Float32(float32(1/sum)))
	}
	ks.sumSquares = func(x []float32) float64 {
		var sum float64
		call(vec, "SumSquaresAVX512", x86sim.NewFrame().Slice(x).Float64Result(&sum))
		return sum
	}
	ks.addTo = slices("AddAVX512")
	ks.axpby = func(a float32, y []float32, b float32, x []float32) {
		call(vec, "AxpbyAVX512", x86sim.NewFrame().Float32(a).Slice(y).Float32(b).Slice(x[:len(y)]))
	}
	return []*kernelSet{&ks}
}

// simAVX512 holds the parsed AVX-512 GEMM and vector files, loaded once
// per test binary.
var simAVX512 struct {
	once      sync.Once
	gemm, vec *x86sim.Program
	err       error
}

// call runs a simulated kernel. The kernels run on pool workers too, where
// a test cannot fail cleanly, so a fault (a read or write outside the
// operands the kernel's doc comment allows) panics.
func call(p *x86sim.Program, name string, f *x86sim.Frame) {
	if _, err := p.Call(name, f); err != nil {
		panic(err)
	}
}
