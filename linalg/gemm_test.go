package linalg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// refGemm computes alpha*op(A)*op(B) + beta*C in float64, and for each
// element the scale sum_p |alpha*a_ip*b_pj| + |beta*c_ij| that rounding
// errors are proportional to.
func refGemm(transA, transB bool, alpha float32, a, b Matrix, beta float32, c Matrix) (want, scale [][]float64) {
	at := func(m Matrix, trans bool, i, j int) float64 {
		if trans {
			i, j = j, i
		}
		return float64(m.Data[i*m.Stride+j])
	}
	k := a.Cols
	if transA {
		k = a.Rows
	}
	want = make([][]float64, c.Rows)
	scale = make([][]float64, c.Rows)
	for i := 0; i < c.Rows; i++ {
		want[i] = make([]float64, c.Cols)
		scale[i] = make([]float64, c.Cols)
		for j := 0; j < c.Cols; j++ {
			var s, sabs float64
			// As in BLAS, alpha == 0 means A and B are not read: NaN in
			// them does not reach C.
			for p := 0; p < k && alpha != 0; p++ {
				x := at(a, transA, i, p) * at(b, transB, p, j)
				s += x
				sabs += math.Abs(x)
			}
			s *= float64(alpha)
			sabs *= math.Abs(float64(alpha))
			if beta != 0 {
				cv := float64(c.At(i, j))
				s += float64(beta) * cv
				sabs += math.Abs(float64(beta) * cv)
			}
			want[i][j], scale[i][j] = s, sabs
		}
	}
	return want, scale
}

const eps32 = 1.0 / (1 << 23)

type gemmCase struct {
	m, n, k        int
	transA, transB bool
	alpha, beta    float32
}

func (g gemmCase) String() string {
	return fmt.Sprintf("m=%d n=%d k=%d tA=%t tB=%t alpha=%g beta=%g", g.m, g.n, g.k, g.transA, g.transB, g.alpha, g.beta)
}

// checkGemm runs one case with random data and compares every element of C
// with the float64 reference, within (k+2)*eps*scale.
func checkGemm(t *testing.T, r *rand.Rand, g gemmCase, poison bool) {
	t.Helper()
	ar, ac := g.m, g.k
	if g.transA {
		ar, ac = ac, ar
	}
	br, bc := g.k, g.n
	if g.transB {
		br, bc = bc, br
	}
	a, b, c := randomMatrix(r, ar, ac), randomMatrix(r, br, bc), randomMatrix(r, g.m, g.n)
	if poison && ar > 0 && ac > 0 {
		// A NaN and an Inf in A must reach C as the reference says.
		a.Set(r.IntN(ar), r.IntN(ac), float32(math.NaN()))
		a.Set(r.IntN(ar), r.IntN(ac), float32(math.Inf(1)))
	}
	if g.beta == 0 {
		c.Fill(float32(math.NaN())) // must not be read
	}
	want, scale := refGemm(g.transA, g.transB, g.alpha, a, b, g.beta, c)
	Gemm(g.transA, g.transB, g.alpha, a, b, g.beta, c)
	checkOutsideView(t, "Gemm C", c)
	for i := 0; i < g.m; i++ {
		for j := 0; j < g.n; j++ {
			got, w := float64(c.At(i, j)), want[i][j]
			if math.IsNaN(w) || math.IsInf(w, 0) {
				if !(math.IsNaN(w) && math.IsNaN(got)) && got != w {
					t.Fatalf("Gemm(%s) C[%d,%d] = %g, want %g", g, i, j, got, w)
				}
				continue
			}
			tol := float64(g.k+2)*eps32*scale[i][j] + 1e-30
			if math.Abs(got-w) > tol {
				t.Fatalf("Gemm(%s) C[%d,%d] = %g, want %g (tol %g)", g, i, j, got, w, tol)
			}
		}
	}
}

func TestGemmCrossCheck(t *testing.T) {
	forEachISAAndSimulated(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		scalars := []float32{0, 1, -0.5}
		cases := 300
		if testing.Short() {
			cases = 60
		}
		for i := 0; i < cases; i++ {
			g := gemmCase{
				m: randomSize(r, 300), n: randomSize(r, 300), k: randomSize(r, 300),
				transA: r.IntN(2) == 0, transB: r.IntN(2) == 0,
				alpha: scalars[r.IntN(3)], beta: scalars[r.IntN(3)],
			}
			if g.alpha == 0 {
				g.alpha = 1.5
			}
			checkGemm(t, r, g, i%5 == 0)
		}
	})
}

// TestGemmBlockEdges covers shapes that straddle the cache-block sizes of
// the active kernel set, for every transpose.
func TestGemmBlockEdges(t *testing.T) {
	forEachISAAndSimulated(t, func(t *testing.T) {
		gk := kernels().gemm
		r := rand.New(rand.NewPCG(3, 4))
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			for _, s := range [][3]int{
				{gk.mc + 1, gk.nr + 1, gk.kc + 1},
				{max(gk.mr-1, 1), gk.nc + 3, 2*gk.kc + 5},
				{2*gk.mc + gk.mr + 1, 2*gk.nr - 1, gk.kc - 1},
			} {
				checkGemm(t, r, gemmCase{m: s[0], n: s[1], k: s[2], transA: tr[0], transB: tr[1], alpha: 1, beta: -0.5}, false)
			}
		}
	})
}

func TestGemmDegenerate(t *testing.T) {
	forEachISAAndSimulated(t, func(t *testing.T) {
		// k == 0: C = beta*C, and with beta == 0 NaN in C is overwritten.
		c := New(3, 2)
		c.Fill(float32(math.NaN()))
		Gemm(false, false, 1, New(3, 0), New(0, 2), 0, c)
		for _, v := range c.Data {
			if v != 0 {
				t.Fatalf("Gemm with k=0, beta=0: C element = %g, want 0", v)
			}
		}
		c.Fill(2)
		Gemm(false, false, 0, New(3, 4), New(4, 2), 0.5, c)
		for _, v := range c.Data {
			if v != 1 {
				t.Fatalf("Gemm with alpha=0, beta=0.5 on C=2: element = %g, want 1", v)
			}
		}
		Gemm(false, false, 1, New(0, 4), New(4, 2), 1, New(0, 2)) // m == 0: nothing to do
	})
}

func TestGemmShapeMismatchPanics(t *testing.T) {
	for _, tc := range []struct {
		name    string
		a, b, c Matrix
		tA, tB  bool
		want    string
	}{
		{"inner", New(2, 3), New(4, 5), New(2, 5), false, false, "op(A) is 2x3"},
		{"rows of C", New(2, 3), New(3, 5), New(3, 5), false, false, "C is 3x5"},
		{"transposed", New(2, 3), New(4, 5), New(3, 4), true, true, "op(B) is 5x4"},
		{"malformed", Matrix{Rows: 2, Cols: 3, Stride: 3, Data: make([]float32, 5)}, New(3, 1), New(2, 1), false, false, "malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !contains(msg, tc.want) {
					t.Fatalf("panic message %q does not contain %q", msg, tc.want)
				}
			}()
			Gemm(tc.tA, tc.tB, 1, tc.a, tc.b, 0, tc.c)
		})
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestGemmAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race (sync.Pool drops objects)")
	}
	forEachISA(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 6))
		for _, s := range [][3]int{{100, 100, 784}, {100, 10, 100}, {300, 257, 129}} {
			a, b, c := randomMatrix(r, s[0], s[2]), randomMatrix(r, s[2], s[1]), New(s[0], s[1])
			if n := testing.AllocsPerRun(20, func() { Gemm(false, false, 1, a, b, 0, c) }); n != 0 {
				t.Errorf("Gemm %v allocates %v times per call, want 0", s, n)
			}
		}
	})
}

// FuzzGemm checks random shapes, transposes and scalars against the
// float64 reference.
func FuzzGemm(f *testing.F) {
	f.Add(uint16(1), uint16(1), uint16(1), uint8(0), int8(2), int8(0), uint64(1))
	f.Add(uint16(100), uint16(10), uint16(100), uint8(3), int8(2), int8(-1), uint64(2))
	f.Add(uint16(17), uint16(33), uint16(257), uint8(1), int8(-1), int8(2), uint64(3))
	f.Fuzz(func(t *testing.T, m, n, k uint16, trans uint8, alpha, beta int8, seed uint64) {
		g := gemmCase{
			m: 1 + int(m)%300, n: 1 + int(n)%300, k: 1 + int(k)%300,
			transA: trans&1 != 0, transB: trans&2 != 0,
			alpha: float32(alpha) / 2, beta: float32(beta) / 2,
		}
		r := rand.New(rand.NewPCG(seed, 7))
		for _, name := range Available() {
			restore, err := UseISA(name)
			if err != nil {
				t.Fatal(err)
			}
			checkGemm(t, r, g, seed%4 == 0)
			restore()
		}
	})
}
