package cli

import (
	"fmt"
	"runtime"
	"time"

	"github.com/klauspost/cpuid/v2"
)

// cpuPeak is one core's FP32 FMA peak: the flops per cycle its vector
// units retire (from a table of microarchitectures) times its clock (as
// measured).
type cpuPeak struct {
	FlopsPerCycle int     `json:"fp32_flops_per_cycle"` // per core, from flopsPerCycle
	Basis         string  `json:"basis"`                // how FlopsPerCycle was derived
	GHz           float64 `json:"ghz"`                  // measured by measureGHz
	GFLOPS        float64 `json:"gflops_per_core"`      // FlopsPerCycle × GHz
}

// peakOf returns the FP32 peak of one core of cpu running at ghz.
func peakOf(cpu *cpuid.CPUInfo, ghz float64) cpuPeak {
	f, basis := flopsPerCycle(cpu)
	return cpuPeak{FlopsPerCycle: f, Basis: basis, GHz: ghz, GFLOPS: float64(f) * ghz}
}

// flopsPerCycle returns the FP32 flops one core of cpu retires per cycle at
// best (vector lanes × 2 for a fused multiply-add × FMA pipes) and the
// reasoning, from what is known of each microarchitecture. Unknown cores
// are assumed to have two FMA pipes of their widest vector.
func flopsPerCycle(cpu *cpuid.CPUInfo) (int, string) {
	amd := cpu.VendorID == cpuid.AMD || cpu.VendorID == cpuid.Hygon
	switch {
	case cpu.Supports(cpuid.AVX512F) && amd && cpu.Family < 0x1a:
		return 32, "2 FMA pipes x 8 lanes: Zen 4 runs AVX-512 on 256-bit units"
	case cpu.Supports(cpuid.AVX512F):
		return 64, "2 FMA pipes x 16 lanes (AVX-512)"
	case cpu.Supports(cpuid.AVX2, cpuid.FMA3) && amd && cpu.Family == 0x17 && cpu.Model < 0x30:
		return 16, "2 FMA pipes x 4 lanes: Zen 1 splits AVX2 into 128-bit halves"
	case cpu.Supports(cpuid.AVX2, cpuid.FMA3):
		return 32, "2 FMA pipes x 8 lanes (AVX2+FMA)"
	case cpu.Supports(cpuid.AVX):
		return 16, "1 add + 1 multiply pipe x 8 lanes (AVX, no FMA)"
	case cpu.Supports(cpuid.SSE2):
		return 8, "1 add + 1 multiply pipe x 4 lanes (SSE2)"
	case cpu.Supports(cpuid.ASIMD) && cpu.VendorID == cpuid.Apple:
		return 32, "4 FMA pipes x 4 lanes (Apple NEON)"
	case cpu.Supports(cpuid.ASIMD):
		return 16, "2 FMA pipes x 4 lanes (NEON)"
	}
	return 2, "1 scalar FMA per cycle (no known vector unit)"
}

// measureGHz estimates the clock of the core it runs on from a chain of
// dependent one-cycle integer operations, keeping the fastest of many short
// runs: preemption and other tenants only ever slow a run down, and a short
// run is likely to fit between them.
func measureGHz() float64 {
	const iters = 1 << 14 // 256 Ki dependent ops: about 80 µs at 3 GHz
	best, x := 0.0, uint64(1)
	for range 200 {
		start := time.Now()
		x = dependentChain(iters, x, 0x9e3779b97f4a7c15, 0x5851f42d4c957f2d)
		if ghz := float64(iters*opsPerChainIter) / float64(time.Since(start).Nanoseconds()); ghz > best {
			best = ghz
		}
	}
	runtime.KeepAlive(x)
	return best
}

// opsPerChainIter is the number of dependent operations in one iteration
// of dependentChain's loop.
const opsPerChainIter = 16

// dependentChain runs n iterations of 16 integer operations, each of which
// needs the result of the one before: add and xor have one cycle of
// latency on every x86 and Arm core, so n iterations take 16n cycles while
// the loop's own counter runs alongside.
//
//go:noinline
func dependentChain(n int, x, y, z uint64) uint64 {
	for range n {
		x += y
		x ^= z
		x += y
		x ^= z
		x += y
		x ^= z
		x += y
		x ^= z
		x += y
		x ^= z
		x += y
		x ^= z
		x += y
		x ^= z
		x += y
		x ^= z
	}
	return x
}

// String describes the peak in one line.
func (p cpuPeak) String() string {
	return fmt.Sprintf("%.1f GFLOP/s per core = %d FP32 flop/cycle (table: %s) x %.2f GHz (measured)",
		p.GFLOPS, p.FlopsPerCycle, p.Basis, p.GHz)
}
