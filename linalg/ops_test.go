package linalg

import (
	"math"
	"math/rand/v2"
	"testing"
)

// refActivation is f(z) in float64.
func refActivation(f Activation, z float64) float64 {
	switch f {
	case Sigmoid:
		return 1 / (1 + math.Exp(-z))
	case Tanh:
		return math.Tanh(z)
	case ReLU:
		return math.Max(z, 0)
	case LeakyReLU:
		if z < 0 {
			return LeakySlope * z
		}
		return z
	}
	return z
}

// refActivationGrad is f'(z) expressed through a = f(z), in float64.
func refActivationGrad(f Activation, a float64) float64 {
	switch f {
	case Sigmoid:
		return a * (1 - a)
	case Tanh:
		return 1 - a*a
	case ReLU:
		if a > 0 {
			return 1
		}
		return 0
	case LeakyReLU:
		if a > 0 {
			return 1
		}
		return LeakySlope
	}
	return 1
}

// closeTo reports whether got is within ulps units of float32 precision of
// want, relative to max(|want|, floor).
func closeTo(got float32, want float64, ulps, floor float64) bool {
	if math.IsNaN(want) {
		return got != got
	}
	if float64(got) == want {
		return true
	}
	return math.Abs(float64(got)-want) <= ulps*eps32*math.Max(math.Abs(want), floor)
}

// randomVec returns n values spread over [-scale, scale).
func randomVec(r *rand.Rand, n int, scale float32) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = scale * (2*r.Float32() - 1)
	}
	return x
}

func TestBiasActivate(t *testing.T) {
	forEachISAAndSimulated(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(11, 12))
		for f := Identity; f < numActivations; f++ {
			for _, rows := range []int{1, 3} {
				for _, cols := range raggedSizes {
					m := randomMatrix(r, rows, cols)
					for i := 0; i < rows; i++ {
						copy(m.Row(i), randomVec(r, cols, 20))
					}
					bias := randomVec(r, cols, 2)
					z := New(rows, cols)
					z.CopyFrom(m)
					BiasActivate(m, bias, f)
					checkOutsideView(t, "BiasActivate", m)
					for i := 0; i < rows; i++ {
						for j := 0; j < cols; j++ {
							in := z.At(i, j) + bias[j]
							want := refActivation(f, float64(in))
							if got := m.At(i, j); !closeTo(got, want, 8, 1e-6) {
								t.Fatalf("BiasActivate(%s) %dx%d [%d,%d] of %g = %g, want %g", f, rows, cols, i, j, in, got, want)
							}
						}
					}
				}
			}
		}
	})
}

// TestActivationRuns checks that BiasActivate and ActivationGrad give a
// contiguous matrix, which they take in long runs against a repeated bias,
// the bits they give a strided view of the same values, which they take
// row by row: for row lengths that are and are not multiples of the
// vector width, and matrices smaller and larger than a run.
func TestActivationRuns(t *testing.T) {
	forEachISA(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(13, 14))
		for f := Identity; f < numActivations; f++ {
			for _, rows := range []int{2, 5, 37} {
				for _, cols := range []int{1, 3, 10, 16, 100, 700, 1500} {
					flat := New(rows, cols)
					for i := range flat.Data {
						flat.Data[i] = 8 * (2*r.Float32() - 1)
					}
					view := New(rows, cols+3).View(0, 1, rows, cols)
					view.CopyFrom(flat)
					bias := randomVec(r, cols, 2)
					BiasActivate(flat, bias, f)
					BiasActivate(view, bias, f)
					compareBits(t, "BiasActivate", f, flat, view)

					d, dv := New(rows, cols), New(rows, cols+5).View(0, 2, rows, cols)
					for i := range d.Data {
						d.Data[i] = 2*r.Float32() - 1
					}
					dv.CopyFrom(d)
					ActivationGrad(d, flat, f)
					ActivationGrad(dv, view, f)
					compareBits(t, "ActivationGrad", f, d, dv)
				}
			}
		}
	})
}

// compareBits fails t unless got and want hold the same bits.
func compareBits(t *testing.T, op string, f Activation, got, want Matrix) {
	t.Helper()
	for i := range got.Rows {
		for j := range got.Cols {
			if g, w := got.At(i, j), want.At(i, j); math.Float32bits(g) != math.Float32bits(w) {
				t.Fatalf("%s(%s) %dx%d [%d,%d]: contiguous %g, strided %g", op, f, got.Rows, got.Cols, i, j, g, w)
			}
		}
	}
}

// TestActivationSpecialValues checks the limits and NaN propagation of the
// activations, where vectorized exp approximations go wrong.
func TestActivationSpecialValues(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	in := []float32{0, -0, 1e-8, -1e-8, 88, -88, 89, -89, 104, -104, 200, -200, inf, -inf, nan, 15, -15, 9.5, -9.5}
	forEachISAAndSimulated(t, func(t *testing.T) {
		for f := Identity; f < numActivations; f++ {
			m := FromSlice(1, len(in), append([]float32(nil), in...))
			BiasActivate(m, make([]float32, len(in)), f)
			for j, z := range in {
				want := refActivation(f, float64(z))
				if got := m.Data[j]; !closeTo(got, want, 8, 1e-6) {
					t.Errorf("BiasActivate(%s) of %g = %g, want %g", f, z, got, want)
				}
			}
		}
	})
}

func TestActivationGrad(t *testing.T) {
	forEachISAAndSimulated(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(13, 14))
		for f := Identity; f < numActivations; f++ {
			for _, cols := range raggedSizes {
				d, a := randomMatrix(r, 2, cols), randomMatrix(r, 2, cols)
				d0 := New(2, cols)
				d0.CopyFrom(d)
				ActivationGrad(d, a, f)
				checkOutsideView(t, "ActivationGrad", d)
				for i := 0; i < 2; i++ {
					for j := 0; j < cols; j++ {
						want := float64(d0.At(i, j)) * refActivationGrad(f, float64(a.At(i, j)))
						if got := d.At(i, j); !closeTo(got, want, 4, math.Abs(float64(d0.At(i, j)))) {
							t.Fatalf("ActivationGrad(%s) [%d,%d] d=%g a=%g: got %g, want %g", f, i, j, d0.At(i, j), a.At(i, j), got, want)
						}
					}
				}
			}
		}
	})
}

func TestSoftmaxRows(t *testing.T) {
	forEachISAAndSimulated(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(15, 16))
		for _, cols := range raggedSizes {
			m := randomMatrix(r, 3, cols)
			for i := 0; i < 3; i++ {
				copy(m.Row(i), randomVec(r, cols, 30))
			}
			in := New(3, cols)
			in.CopyFrom(m)
			SoftmaxRows(m)
			checkOutsideView(t, "SoftmaxRows", m)
			for i := 0; i < 3; i++ {
				mx := math.Inf(-1)
				for _, v := range in.Row(i) {
					mx = math.Max(mx, float64(v))
				}
				var sum float64
				for _, v := range in.Row(i) {
					sum += math.Exp(float64(v) - mx)
				}
				for j, v := range in.Row(i) {
					want := math.Exp(float64(v)-mx) / sum
					if got := m.At(i, j); !closeTo(got, want, 8, 1e-7) {
						t.Fatalf("SoftmaxRows %d cols [%d,%d] = %g, want %g", cols, i, j, got, want)
					}
				}
			}
		}
	})
}

func TestColSumsAxpbySumSquares(t *testing.T) {
	forEachISAAndSimulated(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(17, 18))
		for _, cols := range raggedSizes {
			rows := 1 + r.IntN(40)
			m := randomMatrix(r, rows, cols)

			sums := make([]float32, cols)
			ColSums(sums, m)
			var ss float64
			for j := 0; j < cols; j++ {
				var want, scale float64
				for i := 0; i < rows; i++ {
					v := float64(m.At(i, j))
					want += v
					scale += math.Abs(v)
					ss += v * v
				}
				if math.Abs(float64(sums[j])-want) > float64(rows+1)*eps32*scale {
					t.Fatalf("ColSums %dx%d [%d] = %g, want %g", rows, cols, j, sums[j], want)
				}
			}
			if got := SumSquares(m); math.Abs(got-ss) > float64(rows*cols+1)*eps32*ss {
				t.Fatalf("SumSquares %dx%d = %g, want %g", rows, cols, got, ss)
			}

			x := randomMatrix(r, rows, cols)
			y0 := New(rows, cols)
			y0.CopyFrom(m)
			const a, b = 0.999, -0.0005
			Axpby(a, m, b, x)
			checkOutsideView(t, "Axpby", m)
			for i := 0; i < rows; i++ {
				for j := 0; j < cols; j++ {
					want := a*float64(y0.At(i, j)) + b*float64(x.At(i, j))
					if got := m.At(i, j); !closeTo(got, want, 3, math.Abs(a*float64(y0.At(i, j)))) {
						t.Fatalf("Axpby [%d,%d] = %g, want %g", i, j, got, want)
					}
				}
			}
		}
	})
}

func TestArgmaxRows(t *testing.T) {
	forEachISAAndSimulated(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(19, 20))
		for _, cols := range raggedSizes {
			m := randomMatrix(r, 4, cols)
			m.Set(1, cols-1, 5) // the largest at the very end
			m.Set(2, 0, 5)      // ties: the first one wins
			m.Set(2, cols-1, 5)
			m.Set(3, cols/2, float32(math.NaN()))
			got := make([]int, 4)
			ArgmaxRows(got, m)
			want := []int{argmaxGeneric(m.Row(0)), cols - 1, 0, cols / 2}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("ArgmaxRows %d cols row %d = %d, want %d", cols, i, got[i], want[i])
				}
			}
		}
	})
}

func TestOpsAllocateNothing(t *testing.T) {
	forEachISA(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(21, 22))
		m, x := randomMatrix(r, 100, 100), randomMatrix(r, 100, 100)
		bias, sums, idx := randomVec(r, 100, 1), make([]float32, 100), make([]int, 100)
		for name, op := range map[string]func(){
			"BiasActivate":   func() { BiasActivate(m, bias, Sigmoid) },
			"ActivationGrad": func() { ActivationGrad(m, x, Tanh) },
			"SoftmaxRows":    func() { SoftmaxRows(m) },
			"ColSums":        func() { ColSums(sums, m) },
			"Axpby":          func() { Axpby(1, m, 0.5, x) },
			"ArgmaxRows":     func() { ArgmaxRows(idx, m) },
			"SumSquares":     func() { SumSquares(m) },
		} {
			if n := testing.AllocsPerRun(50, op); n != 0 {
				t.Errorf("%s allocates %v times per call, want 0", name, n)
			}
		}
	})
}

func TestISADispatch(t *testing.T) {
	avail := Available()
	if avail[len(avail)-1] != "generic" {
		t.Fatalf("Available() = %v, want generic last", avail)
	}
	if ISA() == "" {
		t.Fatalf("ISA() is empty; ISAError() = %v", ISAError())
	}
	if _, err := UseISA("mmx"); err == nil || !contains(err.Error(), `unknown ISA "mmx"`) {
		t.Errorf("UseISA(mmx) error = %v, want unknown ISA", err)
	}
	for _, name := range knownISAs {
		restore, err := UseISA(name)
		have := false
		for _, a := range avail {
			have = have || a == name
		}
		if have != (err == nil) {
			t.Errorf("UseISA(%s): error %v, but available %v", name, err, avail)
		}
		if err != nil {
			if !contains(err.Error(), "cannot run "+name) {
				t.Errorf("UseISA(%s) error = %q, want it to say the CPU cannot run it", name, err)
			}
			continue
		}
		if ISA() != name {
			t.Errorf("after UseISA(%s), ISA() = %s", name, ISA())
		}
		restore()
	}
}

func TestParseActivation(t *testing.T) {
	for f := Identity; f < numActivations; f++ {
		if g, err := ParseActivation(f.String()); err != nil || g != f {
			t.Errorf("ParseActivation(%q) = %v, %v; want %v", f.String(), g, err, f)
		}
	}
	if _, err := ParseActivation("swish"); err == nil {
		t.Error("ParseActivation(swish) succeeded, want an error")
	}
}
