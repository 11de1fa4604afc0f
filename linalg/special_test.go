package linalg

import (
	"math"
	"testing"
)

// ulps returns |got - want| in units of the float32 spacing at want.
func ulps(got float32, want float64) float64 {
	w := float32(want)
	spacing := float64(math.Nextafter32(w, float32(math.Inf(1)))) - float64(w)
	return math.Abs(float64(got)-want) / spacing
}

// TestActivationAccuracy sweeps Sigmoid and Tanh over [-87, 87] (every
// 1021st float32, all exponents: 2.2 million arguments) and checks the
// largest error against float64 math. Measured on Zen 3: generic 0.50 ulp
// (it rounds float64 math); avx2 sigmoid 2.11 ulp (at -16.7, where
// 1/(1+e^-z) compounds exp's 1 ulp with the division), tanh 1.24 ulp.
func TestActivationAccuracy(t *testing.T) {
	var zs []float32
	for b := math.Float32bits(-87); b > 1<<31; b -= 1021 {
		zs = append(zs, math.Float32frombits(b))
	}
	for b := uint32(0); math.Float32frombits(b) <= 87; b += 1021 {
		zs = append(zs, math.Float32frombits(b))
	}
	forEachISA(t, func(t *testing.T) {
		for _, f := range []Activation{Sigmoid, Tanh} {
			m := FromSlice(1, len(zs), append([]float32(nil), zs...))
			BiasActivate(m, make([]float32, len(zs)), f)
			var worst float64
			var worstZ float32
			for i, z := range zs {
				want := refActivation(f, float64(z))
				if math.Abs(want) < 0x1p-126 {
					continue // subnormal results are checked by TestActivationSpecialValues
				}
				if e := ulps(m.Data[i], want); e > worst {
					worst, worstZ = e, z
				}
			}
			t.Logf("%s: max error %.2f ulp (at %g) over %d arguments", f, worst, worstZ, len(zs))
			if worst > 3 {
				t.Errorf("BiasActivate(%s) max error %.2f ulp at %g, want <= 3", f, worst, worstZ)
			}
		}
	})
}

// specialRow holds the values where vector kernels go wrong: NaN, both
// infinities, both zeros, the extremes of float32, and subnormals.
var specialRow = []float32{
	float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)),
	math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32,
	1, -1, 0.5, 88.7, -88.7, 1e-30, -1e-30, 3, -3,
}

// sameSpecial reports whether got matches want on what the special values
// decide: NaN-ness, infinities and signs of zero exactly, finite values
// within tol relative.
func sameSpecial(got, want float32, tol float64) bool {
	switch {
	case want != want:
		return got != got
	case math.IsInf(float64(want), 0) || want == 0:
		return got == want && math.Signbit(float64(got)) == math.Signbit(float64(want))
	}
	return math.Abs(float64(got)-float64(want)) <= tol*math.Abs(float64(want))
}

// TestOpsSpecialValues runs every vector op on NaN, infinities, signed
// zeros and extremes (in every lane position and in the ragged tail) and
// compares each ISA with the generic kernels.
func TestOpsSpecialValues(t *testing.T) {
	// The row is repeated with a shift so every value lands in every lane
	// of a vector and in the tail.
	n := len(specialRow)
	row := func(shift int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = specialRow[(i+shift)%n]
		}
		return x
	}
	type op struct {
		name string
		run  func(ks *kernelSet, shift int) []float32
	}
	ops := []op{
		{"addTo", func(ks *kernelSet, s int) []float32 { x := row(s); ks.addTo(x, row(s+1)); return x }},
		{"axpby", func(ks *kernelSet, s int) []float32 { y := row(s); ks.axpby(0.5, y, -2, row(s+3)); return y }},
		{"softmax", func(ks *kernelSet, s int) []float32 { x := row(s)[1:]; ks.softmax(x); return x }},
		{"softmax finite", func(ks *kernelSet, s int) []float32 {
			x := row(s)
			for i, v := range x {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || math.Abs(float64(v)) > 100 {
					x[i] = -50
				}
			}
			ks.softmax(x)
			return x
		}},
		{"sumSquares", func(ks *kernelSet, s int) []float32 { return []float32{float32(ks.sumSquares(row(s)[1:]))} }},
		{"argmax", func(ks *kernelSet, s int) []float32 {
			x := row(s)
			a, b := ks.argmax(x), ks.argmax(x[1:])
			return []float32{float32(a), float32(b)}
		}},
	}
	for f := Identity; f < numActivations; f++ {
		ops = append(ops, op{"biasAct " + f.String(), func(ks *kernelSet, s int) []float32 {
			x := row(s)
			ks.biasAct[f](x, row(s+5))
			return x
		}}, op{"actGrad " + f.String(), func(ks *kernelSet, s int) []float32 {
			d := row(s)
			ks.actGrad[f](d, row(s+7))
			return d
		}})
	}
	forEachISA(t, func(t *testing.T) {
		ks := kernels()
		for _, o := range ops {
			for shift := 0; shift < n; shift++ {
				got, want := o.run(ks, shift), o.run(&genericKernels, shift)
				for i := range want {
					if !sameSpecial(got[i], want[i], 8*eps32) {
						t.Fatalf("%s (shift %d) element %d = %g, generic gives %g", o.name, shift, i, got[i], want[i])
					}
				}
			}
		}
	})
}
