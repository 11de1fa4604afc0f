//go:build amd64 && !purego

package asm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/cpuid/v2"
)

// TestAVX2ImpliesPOPCNT checks on this machine what CountEqualAVX2 and
// CompressRowAVX2 rely on without a check of their own: a CPU with AVX2
// has POPCNT.
func TestAVX2ImpliesPOPCNT(t *testing.T) {
	needAVX2(t)
	if !cpuid.CPU.Supports(cpuid.POPCNT) {
		t.Errorf("CPU %q has AVX2 but not POPCNT", cpuid.CPU.BrandName)
	}
}

// compressCase is one row for the compress kernels: x, its base and the
// first column number.
type compressCase struct {
	name string
	x    []float32
	base float32
}

// compressCases returns rows of every length up to 40 and a few longer,
// whose elements are the base except a fraction density of them, with
// bases and elements among the values IEEE comparison treats specially:
// NaNs (which equal nothing, themselves included), infinities and both
// zeros (which equal each other).
func compressCases() []compressCase {
	negZero := float32(math.Copysign(0, -1))
	nan := float32(math.NaN())
	specials := []float32{nan, math.Float32frombits(0xffc54321), math.Float32frombits(0x7f812345),
		float32(math.Inf(1)), float32(math.Inf(-1)), 0, negZero}
	bases := []float32{-1, 0, 0.5, negZero, nan, float32(math.Inf(1)), float32(math.Inf(-1))}
	lengths := []int{784, 1000}
	for n := 0; n <= 40; n++ {
		lengths = append(lengths, n)
	}
	r := rand.New(rand.NewPCG(31, 32))
	var cases []compressCase
	for _, n := range lengths {
		for _, density := range []float64{0, 0.1, 0.5, 1} {
			for _, base := range bases {
				for _, special := range []bool{false, true} {
					x := make([]float32, n)
					for j := range x {
						switch {
						case r.Float64() >= density:
							x[j] = base
							if base == 0 && r.IntN(2) == 0 {
								x[j] = -base // the other zero, equal to the base
							}
						case special && r.IntN(3) == 0:
							x[j] = specials[r.IntN(len(specials))]
						default:
							x[j] = 2*r.Float32() - 1
						}
					}
					name := fmt.Sprintf("n=%d/density=%g/base=%g/specials=%v", n, density, base, special)
					cases = append(cases, compressCase{name, x, base})
				}
			}
		}
	}
	return cases
}

// TestCountEqualAVX2 checks the kernel against its documented loop.
func TestCountEqualAVX2(t *testing.T) {
	needAVX2(t)
	for _, c := range compressCases() {
		want := 0
		for _, e := range c.x {
			if e == c.base {
				want++
			}
		}
		if got := CountEqualAVX2(c.x, c.base); got != want {
			t.Errorf("%s: CountEqualAVX2 = %d, want %d", c.name, got, want)
		}
	}
}

// TestCompressRowAVX2 checks the kernel bit for bit against its
// documented loop: the count, and the first count entries of index and
// value. The outputs are exactly len(x)+8 long, between guards of their
// backing arrays that must not be written.
func TestCompressRowAVX2(t *testing.T) {
	needAVX2(t)
	const guard, sentinel = 8, -7777
	for _, c := range compressCases() {
		var wantIndex []int32
		var wantValue []float32
		for j, v := range c.x {
			if v != c.base {
				wantIndex = append(wantIndex, int32(j))
				wantValue = append(wantValue, v-c.base)
			}
		}
		n := len(c.x) + 8
		indexBacking := make([]int32, guard+n+guard)
		valueBacking := make([]float32, guard+n+guard)
		for i := range indexBacking {
			indexBacking[i], valueBacking[i] = sentinel, sentinel
		}
		index := indexBacking[guard : guard+n : guard+n]
		value := valueBacking[guard : guard+n : guard+n]

		k := CompressRowAVX2(c.x, c.base, index, value)
		if k != len(wantIndex) {
			t.Errorf("%s: CompressRowAVX2 = %d, want %d", c.name, k, len(wantIndex))
			continue
		}
		for i := range k {
			if index[i] != wantIndex[i] || math.Float32bits(value[i]) != math.Float32bits(wantValue[i]) {
				t.Errorf("%s: entry %d = (%d, %g %#08x), want (%d, %g %#08x)", c.name, i, index[i], value[i],
					math.Float32bits(value[i]), wantIndex[i], wantValue[i], math.Float32bits(wantValue[i]))
				break
			}
		}
		for i := range indexBacking {
			if i >= guard && i < guard+n {
				continue
			}
			if indexBacking[i] != sentinel || valueBacking[i] != sentinel {
				t.Errorf("%s: element %d of the outputs' backing arrays, outside them, was written: index %d, value %g",
					c.name, i-guard, indexBacking[i], valueBacking[i])
				break
			}
		}
	}
}

// mnistRow returns a row like an MNIST image scaled to [-1, 1]: 28x28
// pixels of background -1 except about 150 random values in the central
// 20x20.
func mnistRow() []float32 {
	r := rand.New(rand.NewPCG(33, 34))
	x := make([]float32, 28*28)
	for i := range x {
		x[i] = -1
	}
	for range 150 {
		x[28*(4+r.IntN(20))+4+r.IntN(20)] = 1 - 2*r.Float32() // in (-1, 1]
	}
	return x
}

func BenchmarkCountEqualAVX2(b *testing.B) {
	needAVX2(b)
	x := mnistRow()
	for b.Loop() {
		CountEqualAVX2(x, -1)
	}
}

func BenchmarkCompressRowAVX2(b *testing.B) {
	needAVX2(b)
	x := mnistRow()
	index, value := make([]int32, len(x)+8), make([]float32, len(x)+8)
	for b.Loop() {
		CompressRowAVX2(x, -1, index, value)
	}
}
