package linalg

// AllFinite reports whether every element of m is finite: neither NaN nor
// ±Inf. It is the input check of inference and training, so it reads
// memory at full speed rather than stop early.
func AllFinite(m Matrix) bool {
	m.valid("AllFinite")
	kern := kernels().allFinite
	if m.Contiguous() {
		return kern(m.Data[:m.Rows*m.Cols])
	}
	ok := true
	for i := 0; i < m.Rows; i++ {
		ok = kern(m.Row(i)) && ok
	}
	return ok
}

// allFiniteGeneric is the portable allFinite: v - v is 0 for a finite v
// and NaN for NaN and ±Inf, and sums of such terms stay 0 unless one is
// NaN. Four sums keep four independent add chains in flight.
func allFiniteGeneric(x []float32) bool {
	var a0, a1, a2, a3 float32
	k := 0
	for ; k+4 <= len(x); k += 4 {
		r := x[k : k+4 : k+4]
		a0 += r[0] - r[0]
		a1 += r[1] - r[1]
		a2 += r[2] - r[2]
		a3 += r[3] - r[3]
	}
	for _, v := range x[k:] {
		a0 += v - v
	}
	return a0+a1+a2+a3 == 0
}
