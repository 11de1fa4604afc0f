package linalg

import (
	"math"
	"math/rand/v2"
	"testing"
)

// forEachISA runs f once with every kernel set this CPU can run active, as
// a subtest named after the ISA.
func forEachISA(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	runKernelSets(t, isaSets, f)
}

// forEachISAAndSimulated is forEachISA followed by the simulated sets: the
// SIMD sets this CPU cannot run, their assembly executed by x86sim (see
// simulatedKernelSets). They are far slower than the hardware and
// allocate, so the cross-checks use them, and the allocation and
// threading tests do not.
func forEachISAAndSimulated(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	runKernelSets(t, append(isaSets[:len(isaSets):len(isaSets)], simulatedKernelSets(t)...), f)
}

func runKernelSets(t *testing.T, sets []*kernelSet, f func(t *testing.T)) {
	t.Helper()
	for _, ks := range sets {
		t.Run(ks.name, func(t *testing.T) {
			prev := active.Swap(ks)
			defer active.Store(prev)
			f(t)
		})
	}
}

// raggedSizes are lengths around vector widths and block sizes, where edge
// handling goes wrong.
var raggedSizes = []int{1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 47, 48, 49, 63, 64, 65, 100, 127, 129, 257, 300}

// randomSize returns a ragged size half of the time and a uniform one in
// [1, max] otherwise.
func randomSize(r *rand.Rand, max int) int {
	if r.IntN(2) == 0 {
		for {
			if s := raggedSizes[r.IntN(len(raggedSizes))]; s <= max {
				return s
			}
		}
	}
	return 1 + r.IntN(max)
}

// randomMatrix returns a rows x cols matrix of values in [-1, 1). Half of
// the time it is a strided view into a larger parent whose other elements
// are NaN, so a kernel that reads outside the view is caught.
func randomMatrix(r *rand.Rand, rows, cols int) Matrix {
	if r.IntN(2) == 0 {
		m := New(rows, cols)
		for i := range m.Data {
			m.Data[i] = 2*r.Float32() - 1
		}
		return m
	}
	padR, padC := 1+r.IntN(3), 1+r.IntN(5)
	parent := New(rows+padR, cols+padC)
	for i := range parent.Data {
		parent.Data[i] = float32(math.NaN())
	}
	v := parent.View(r.IntN(padR+1), r.IntN(padC+1), rows, cols)
	for i := 0; i < rows; i++ {
		row := v.Row(i)
		for j := range row {
			row[j] = 2*r.Float32() - 1
		}
	}
	return v
}

// outsideUntouched reports whether every element of m's parent outside the
// view is still NaN, given the view's original backing slice.
func checkOutsideView(t *testing.T, what string, m Matrix) {
	t.Helper()
	// Elements between rows (from Cols to Stride) lie inside Data.
	for i := 0; i+1 < m.Rows; i++ {
		gap := m.Data[i*m.Stride+m.Cols : (i+1)*m.Stride]
		for j, v := range gap {
			if v == v {
				t.Fatalf("%s: element %d after row %d, outside the view, was overwritten with %g", what, j, i, v)
			}
		}
	}
}
