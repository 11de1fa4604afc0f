package linalg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestAllFinite puts NaN, +Inf and -Inf at every position of rows of
// ragged lengths (and of a strided view) and checks that AllFinite notices,
// while the largest finite values pass.
func TestAllFinite(t *testing.T) {
	forEachISA(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(51, 52))
		bad := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}
		for _, n := range raggedSizes {
			for _, rows := range []int{1, 3} {
				m := randomMatrix(r, rows, n)
				m.Set(rows-1, n-1, math.MaxFloat32)
				m.Set(0, 0, -math.MaxFloat32)
				if !AllFinite(m) {
					t.Fatalf("AllFinite(%dx%d finite, stride %d) = false, want true", rows, n, m.Stride)
				}
				for _, pos := range []int{0, n / 2, n - 1, r.IntN(n)} {
					for _, v := range bad {
						i := r.IntN(rows)
						old := m.At(i, pos)
						m.Set(i, pos, v)
						if AllFinite(m) {
							t.Fatalf("AllFinite(%dx%d, stride %d) with %g at (%d, %d) = true, want false", rows, n, m.Stride, v, i, pos)
						}
						m.Set(i, pos, old)
					}
				}
			}
		}
	})
}

func BenchmarkAllFinite(b *testing.B) {
	for _, isa := range Available() {
		for _, n := range []int{784, 100 * 784} {
			b.Run(fmt.Sprintf("%s/n=%d", isa, n), func(b *testing.B) {
				restore, err := UseISA(isa)
				if err != nil {
					b.Fatal(err)
				}
				defer restore()
				m := New(1, n)
				b.SetBytes(int64(4 * n))
				for b.Loop() {
					AllFinite(m)
				}
			})
		}
	}
}
