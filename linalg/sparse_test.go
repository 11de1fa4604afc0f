package linalg

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// mostlyBase returns a rows x cols matrix (a strided view half of the
// time) in which each element is base with probability 1 - density and
// uniform in [-1, 1) otherwise; row 0's first element is always base.
func mostlyBase(r *rand.Rand, rows, cols int, base float32, density float64) Matrix {
	x := randomMatrix(r, rows, cols)
	for i := range rows {
		row := x.Row(i)
		for j := range row {
			if r.Float64() >= density || (i == 0 && j == 0) {
				row[j] = base
			}
		}
	}
	return x
}

// dense returns the matrix s stores.
func (s *SparseRows) dense() Matrix {
	m := New(s.Rows(), s.cols)
	for i, base := range s.base {
		row := m.Row(i)
		for j := range row {
			row[j] = base
		}
		for e := s.start[i]; e < s.end[i]; e++ {
			row[s.index[e]] = base + s.value[e]
		}
	}
	return m
}

func TestSparseRowsCompress(t *testing.T) {
	forEachISA(t, testSparseRowsCompress)
}

func testSparseRowsCompress(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	var s SparseRows
	for _, tc := range []struct {
		name    string
		base    float32
		density float64
	}{
		{"mostly -1", -1, 0.2},
		{"mostly 0", 0, 0.3},
		{"mostly 0.3", 0.3, 0.45},
		{"dense", 0.5, 0.9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 20 {
				x := mostlyBase(r, randomSize(r, 40), randomSize(r, 300), tc.base, tc.density)
				s.Compress(x)
				if s.Rows() != x.Rows || s.cols != x.Cols {
					t.Fatalf("Compress of %s gave %dx%d", x.shape(), s.Rows(), s.cols)
				}
				got := s.dense()
				for i := range x.Rows {
					row := x.Row(i)
					count := map[float32]int{}
					for _, v := range row {
						count[v]++
					}
					want := float32(0)
					for _, cand := range []float32{row[0], row[len(row)-1], 0} {
						if 2*count[cand] > x.Cols {
							want = cand
							break
						}
					}
					if s.base[i] != want {
						t.Fatalf("row %d: base %g, want %g (%d of %d elements)", i, s.base[i], want, count[want], x.Cols)
					}
					for j, v := range x.Row(i) {
						// Base + (v - base) is v to within one rounding.
						if g := got.At(i, j); g != v && math.Abs(float64(g-v)) > 2*eps32*math.Abs(float64(v)) {
							t.Fatalf("row %d column %d: stored %g, want %g", i, j, g, v)
						}
					}
					for e := s.start[i]; e < s.end[i]; e++ {
						if e > s.start[i] && s.index[e] <= s.index[e-1] {
							t.Fatalf("row %d: entry columns %d, %d not ascending", i, s.index[e-1], s.index[e])
						}
						if x.At(i, int(s.index[e])) == s.base[i] {
							t.Fatalf("row %d: entry at column %d equals the base", i, s.index[e])
						}
					}
				}
				if n := s.Entries(); n != len(s.index) {
					t.Fatalf("Entries() = %d, stored %d", n, len(s.index))
				}
			}
		})
	}
	// NaN never equals the base, so it is always an entry, and it stays NaN.
	x := New(1, 5)
	x.Data[2] = float32(math.NaN())
	s.Compress(x)
	if s.base[0] != 0 || s.end[0]-s.start[0] != 1 || s.value[s.start[0]] == s.value[s.start[0]] {
		t.Errorf("Compress of a zero row with one NaN: base %g, entries %v %v; want base 0 and the NaN alone", s.base[0], s.index, s.value)
	}
}

// sparseScale returns, for the product alpha*A·B (or alpha*Aᵀ·B with
// trans) + beta*C computed through s, the sum of the magnitudes of the
// terms SparseGemm adds: the bases' share, counted term by term as the
// column sums add them, and the entries'.
func sparseScale(s *SparseRows, trans bool, alpha float32, b Matrix, beta float32, c Matrix) [][]float64 {
	scale := make([][]float64, c.Rows)
	for i := range scale {
		scale[i] = make([]float64, c.Cols)
		for j := range scale[i] {
			scale[i][j] = math.Abs(float64(beta) * float64(c.At(i, j)))
		}
	}
	add := func(i, p int, x float64) {
		for j := range c.Cols {
			scale[i][j] += math.Abs(float64(alpha) * x * float64(b.At(p, j)))
		}
	}
	for r, base := range s.base {
		for p := range s.cols {
			if trans {
				add(p, r, float64(base))
			} else {
				add(r, p, float64(base))
			}
		}
		for e := s.start[r]; e < s.end[r]; e++ {
			if trans {
				add(int(s.index[e]), r, float64(s.value[e]))
			} else {
				add(r, int(s.index[e]), float64(s.value[e]))
			}
		}
	}
	return scale
}

// checkSparseProduct checks C, from SparseGemm, against the float64
// product want with the error bound of TestGemmCrossCheck, k + 2 roundings
// of the sum of the terms' magnitudes, plus two for the bases' share.
func checkSparseProduct(t *testing.T, what string, c Matrix, want, scale [][]float64, k int) {
	t.Helper()
	for i := range c.Rows {
		for j := range c.Cols {
			got := float64(c.At(i, j))
			if tol := float64(k+4) * eps32 * scale[i][j]; math.Abs(got-want[i][j]) > tol {
				t.Fatalf("%s: C[%d, %d] = %g, want %g (tolerance %g)", what, i, j, got, want[i][j], tol)
			}
		}
	}
}

// TestSparseGemm checks A·B and Aᵀ·B through SparseRows against the dense
// products on every ISA: random shapes, bases, densities, strided B and C,
// alpha and beta, and C's elements outside the view left alone.
func TestSparseGemm(t *testing.T) {
	forEachISA(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(43, 44))
		var s SparseRows
		for range 200 {
			m, k, n := randomSize(r, 130), randomSize(r, 300), randomSize(r, 140)
			base := []float32{0, -1, 0.25}[r.IntN(3)]
			x := mostlyBase(r, m, k, base, []float64{0, 0.2, 0.6, 1}[r.IntN(4)])
			b := randomMatrix(r, k, n)
			alpha := []float32{1, -0.5, 2}[r.IntN(3)]
			beta := []float32{0, 1, 0.5}[r.IntN(3)]
			s.Compress(x)
			xs := s.dense() // what s stores, within a rounding of x

			c := randomMatrix(r, m, n)
			if beta == 0 {
				c.Fill(float32(math.NaN())) // not read
			}
			want, _ := refGemm(false, false, alpha, xs, b, beta, c)
			scale := sparseScale(&s, false, alpha, b, beta, c)
			sums := make([]float32, n)
			ColSums(sums, b)
			SparseGemm(alpha, s, b, beta, c, sums)
			checkSparseProduct(t, "A·B", c, want, scale, k)
			checkOutsideView(t, "A·B", c)

			// Aᵀ·B2 with B2 m x n2.
			n2 := randomSize(r, 140)
			b2 := randomMatrix(r, m, n2)
			c2 := randomMatrix(r, k, n2)
			want2, _ := refGemm(true, false, alpha, xs, b2, beta, c2)
			scale2 := sparseScale(&s, true, alpha, b2, beta, c2)
			if beta == 0 {
				c2.Fill(float32(math.NaN())) // not read
			}
			sums2 := make([]float32, n2)
			SparseGemmT(alpha, s, b2, beta, c2, sums2)
			checkSparseProduct(t, "Aᵀ·B", c2, want2, scale2, m)
			checkOutsideView(t, "Aᵀ·B", c2)
			wantSums := make([]float32, n2)
			ColSums(wantSums, c2)
			for j, v := range sums2 {
				if math.Float32bits(v) != math.Float32bits(wantSums[j]) {
					t.Fatalf("Aᵀ·B: column sum %d = %g, ColSums gives %g", j, v, wantSums[j])
				}
			}

			// Rows gathered in another order, and a slice of them.
			rows := make([]uint32, r.IntN(m+1))
			for i := range rows {
				rows[i] = uint32(r.IntN(m))
			}
			var g SparseRows
			g.Gather(&s, rows)
			gd := g.dense()
			for i, row := range rows {
				for j := range k {
					if gd.At(i, j) != xs.At(int(row), j) {
						t.Fatalf("Gather row %d (row %d of A), column %d: %g, want %g", i, row, j, gd.At(i, j), xs.At(int(row), j))
					}
				}
			}
			if m >= 2 {
				part := s.RowSlice(1, m)
				c3 := New(m-1, n)
				SparseGemm(alpha, part, b, 0, c3, sums)
				ColSums(sums, b)
				SparseGemm(alpha, s, b, 0, c, sums)
				for i := 1; i < m; i++ {
					for j := range n {
						if math.Float32bits(c3.At(i-1, j)) != math.Float32bits(c.At(i, j)) {
							t.Fatalf("RowSlice(1, %d) row %d column %d: %g, the whole product has %g", m, i-1, j, c3.At(i-1, j), c.At(i, j))
						}
					}
				}
			}
		}
	})
}

// TestSparseGemmTBlocks checks that SparseGemmT's bits do not depend on
// how many columns it computes at a time: on every ISA, C and its column
// sums are those of eight columns at a time through scatterAxpy8 and
// combineRows8, as SparseGemmT computed them before its blocks of
// sixteen, so that models trained before and after are the same.
func TestSparseGemmTBlocks(t *testing.T) {
	forEachISA(t, func(t *testing.T) {
		ks := kernels()
		r := rand.New(rand.NewPCG(49, 50))
		var s SparseRows
		for c := range 100 {
			m, k, n := randomSize(r, 130), randomSize(r, 300), randomSize(r, 140)
			s.Compress(mostlyBase(r, m, k, []float32{0, -1}[r.IntN(2)], []float64{0.2, 1}[r.IntN(2)]))
			b, got := randomMatrix(r, m, n), randomMatrix(r, k, n)
			alpha, beta := []float32{1, -0.5}[r.IntN(2)], []float32{0, 0.9}[r.IntN(2)]
			want, wantSums := New(k, n), make([]float32, n)
			want.CopyFrom(got)
			shares := make([]float32, n)
			Gemm(false, false, 1, FromSlice(1, m, s.base), b, 0, FromSlice(1, n, shares))
			acc := make([]float32, 8*k)
			for j0 := 0; j0 < n; j0 += 8 {
				w := min(8, n-j0)
				clear(acc)
				for i := range m {
					var x [8]float32
					copy(x[:], b.Row(i)[j0:j0+w])
					lo, hi := s.start[i], s.end[i]
					ks.scatterAxpy8(s.value[lo:hi], s.index[lo:hi], x[:], acc)
				}
				ks.combineRows8(alpha, beta, acc, 8, shares[j0:], want.Data[j0:], want.Stride, k, w, wantSums[j0:])
			}
			sums := make([]float32, n)
			SparseGemmT(alpha, s, b, beta, got, sums)
			for i := range k {
				for j := range n {
					if g, w := got.At(i, j), want.At(i, j); math.Float32bits(g) != math.Float32bits(w) {
						t.Fatalf("case %d: %dx%d·%dx%d: C[%d, %d] = %g, eight columns at a time give %g", c, k, m, m, n, i, j, g, w)
					}
				}
			}
			for j, v := range sums {
				if math.Float32bits(v) != math.Float32bits(wantSums[j]) {
					t.Fatalf("case %d: %dx%d·%dx%d: column sum %d = %g, eight columns at a time give %g", c, k, m, m, n, j, v, wantSums[j])
				}
			}
		}
	})
}

func TestSparseGemmPanics(t *testing.T) {
	var s SparseRows
	s.Compress(New(2, 3))
	for _, tc := range []struct {
		name, want string
		f          func()
	}{
		{"shapes", "A is 2x3, B 4x4", func() { SparseGemm(1, s, New(4, 4), 0, New(2, 4), make([]float32, 4)) }},
		{"baseRow", "baseRow has 3 elements", func() { SparseGemm(1, s, New(3, 4), 0, New(2, 4), make([]float32, 3)) }},
		{"RowSlice", "RowSlice(1, 3) of 2 rows", func() { s.RowSlice(1, 3) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, tc.want) {
					t.Errorf("panic %q, want one containing %q", msg, tc.want)
				}
			}()
			tc.f()
		})
	}
}

func TestSparseAllocatesNothing(t *testing.T) {
	forEachISA(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(45, 46))
		x := mostlyBase(r, 100, 784, -1, 0.2)
		b, d := randomMatrix(r, 784, 100), randomMatrix(r, 100, 100)
		c, g := New(100, 100), New(784, 100)
		sums := make([]float32, 100)
		rows := make([]uint32, 50)
		var s, batch SparseRows
		s.Compress(x)
		batch.Gather(&s, rows)
		for name, op := range map[string]func(){
			"Compress":    func() { s.Compress(x) },
			"Gather":      func() { batch.Gather(&s, rows) },
			"SparseGemm":  func() { SparseGemm(1, s, b, 0, c, sums) },
			"SparseGemmT": func() { SparseGemmT(-0.1, batch, d.RowSlice(0, 50), 0.9, g, sums) },
		} {
			if n := testing.AllocsPerRun(20, op); n != 0 {
				t.Errorf("%s allocates %v times per call, want 0", name, n)
			}
		}
	})
}

// TestSparseGemmThreads checks that a SparseGemm and a SparseGemmT large enough to be split
// between threads gives the same bits for any thread count, with the
// entries bunched in a few rows as well as spread.
func TestSparseGemmThreads(t *testing.T) {
	defer SetThreads(SetThreads(0))
	forEachISA(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(47, 48))
		x := mostlyBase(r, 300, 784, -1, 0.2)
		for i := 290; i < 300; i++ { // ten dense rows at the end
			for j := range x.Row(i) {
				x.Row(i)[j] = 2*r.Float32() - 1
			}
		}
		b := randomMatrix(r, 784, 100)
		sums := make([]float32, 100)
		ColSums(sums, b)
		var s SparseRows
		s.Compress(x)
		d := randomMatrix(r, 300, 100)
		var want, wantT Matrix
		for _, threads := range []int{1, 2, 3} {
			SetThreads(threads)
			c, g := New(300, 100), New(784, 100)
			c.Fill(0.5)
			g.Fill(0.25)
			SparseGemm(-0.5, s, b, 0.9, c, sums)
			SparseGemmT(-0.5, s, d, 0.9, g, nil)
			if threads == 1 {
				want, wantT = c, g
				continue
			}
			for _, m := range []struct {
				name      string
				got, want Matrix
			}{{"SparseGemm", c, want}, {"SparseGemmT", g, wantT}} {
				for i, v := range m.got.Data {
					if math.Float32bits(v) != math.Float32bits(m.want.Data[i]) {
						t.Fatalf("%s, %d threads: C element %d = %g, with 1 thread %g", m.name, threads, i, v, m.want.Data[i])
					}
				}
			}
		}
	})
}

func TestRowBase(t *testing.T) {
	nan := float32(math.NaN())
	forEachISA(t, func(t *testing.T) {
		for _, tc := range []struct {
			row     []float32
			base    float32
			entries int
		}{
			{nil, 0, 0},
			{[]float32{-1, -1, -1, 5}, -1, 1},
			{[]float32{5, -1, -1, -1}, -1, 1},                      // the last element
			{[]float32{5, 0, 0, 2, 0}, 0, 2},                       // 0
			{[]float32{5, -1, -1, -1, 7}, 0, 5},                    // -1 is neither first nor last
			{[]float32{2, 2, 3, 3}, 0, 4},                          // half is not more than half
			{[]float32{nan, nan, nan, 1}, 0, 4},                    // NaN equals nothing
			{[]float32{0, float32(math.Copysign(0, -1)), 1}, 0, 1}, // -0 == 0
		} {
			base, entries := RowBase(tc.row)
			if math.Float32bits(base) != math.Float32bits(tc.base) || entries != tc.entries {
				t.Errorf("RowBase(%v) = %g, %d; want %g, %d", tc.row, base, entries, tc.base, tc.entries)
			}
		}
	})
}
