package x86sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The committed AVX2 kernels run through the simulator must give the same
// bits as on the hardware (when this machine has AVX2 and FMA) and as a
// Go loop that performs the kernels' documented operations in their order
// with the simulator's float32 primitives. Memory outside the outputs the
// kernels document must be untouched, and the simulator's bounds checks
// (len, not cap) verify that the kernels read only what they document.

// avx2Kernels are GemmAVX2x6x16, PackB16AVX2, AxpyRowsAVX2,
// AxpyIndexedAVX2, CountEqualAVX2, CompressRowAVX2, ScatterAxpy8AVX2 and
// ScatterAxpy16AVX2 (scatterAxpy, by their cols) and CombineRows8AVX2
// behind one set of signatures, so that the native, simulated and
// reference versions run the same cases.
type avx2Kernels struct {
	gemm        func(k int, alpha float32, a []float32, aRow, aStep int, b []float32, bStep, bPanel int, beta float32, c []float32, ldc, m, n int) error
	packB16     func(dst, b []float32, ldb, k, n int) error
	axpyRows    func(k int, alpha float32, x []float32, incx int, b []float32, ldb int, y []float32) error
	axpyIndexed func(alpha float32, val []float32, idx []int32, b []float32, ldb int, y []float32) error
	countEqual  func(x []float32, v float32) (int, error)
	compressRow func(x []float32, base float32, index []int32, value []float32) (int, error)
	scatterAxpy func(cols int, val []float32, idx []int32, x []float32, acc []float32) error
	combineRows func(alpha, beta float32, acc []float32, lda int, v, c []float32, ldc, rows, width int, sums []float32) error
}

func load(t testing.TB, path string) *Program {
	t.Helper()
	p, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func simulatedAVX2(t testing.TB) avx2Kernels {
	gemm, gemv := load(t, "../../asm/gemm_avx2_amd64.s"), load(t, "../../asm/gemv_avx2_amd64.s")
	compress := load(t, "../../asm/compress_avx2_amd64.s")
	sparse := load(t, "../../asm/sparse_avx2_amd64.s")
	return avx2Kernels{
		gemm: func(k int, alpha float32, a []float32, aRow, aStep int, b []float32, bStep, bPanel int, beta float32, c []float32, ldc, m, n int) error {
			_, err := gemm.Call("GemmAVX2x6x16", NewFrame().Int(k).Float32(alpha).Slice(a).Int(aRow).Int(aStep).
				Slice(b).Int(bStep).Int(bPanel).Float32(beta).Slice(c).Int(ldc).Int(m).Int(n))
			return err
		},
		packB16: func(dst, b []float32, ldb, k, n int) error {
			_, err := gemm.Call("PackB16AVX2", NewFrame().Slice(dst).Slice(b).Int(ldb).Int(k).Int(n))
			return err
		},
		axpyRows: func(k int, alpha float32, x []float32, incx int, b []float32, ldb int, y []float32) error {
			_, err := gemv.Call("AxpyRowsAVX2", NewFrame().Int(k).Float32(alpha).Slice(x).Int(incx).Slice(b).Int(ldb).Slice(y))
			return err
		},
		axpyIndexed: func(alpha float32, val []float32, idx []int32, b []float32, ldb int, y []float32) error {
			_, err := gemv.Call("AxpyIndexedAVX2", NewFrame().Float32(alpha).Slice(val).Int32Slice(idx).Slice(b).Int(ldb).Slice(y))
			return err
		},
		countEqual: func(x []float32, v float32) (int, error) {
			var n int
			_, err := compress.Call("CountEqualAVX2", NewFrame().Slice(x).Float32(v).IntResult(&n))
			return n, err
		},
		compressRow: func(x []float32, base float32, index []int32, value []float32) (int, error) {
			var k int
			_, err := compress.Call("CompressRowAVX2", NewFrame().Slice(x).Float32(base).Int32Slice(index).Slice(value).IntResult(&k))
			return k, err
		},
		scatterAxpy: func(cols int, val []float32, idx []int32, x []float32, acc []float32) error {
			_, err := sparse.Call(fmt.Sprintf("ScatterAxpy%dAVX2", cols), NewFrame().Slice(val).Int32Slice(idx).Slice(x).Slice(acc))
			return err
		},
		combineRows: func(alpha, beta float32, acc []float32, lda int, v, c []float32, ldc, rows, width int, sums []float32) error {
			_, err := sparse.Call("CombineRows8AVX2", NewFrame().Float32(alpha).Float32(beta).Slice(acc).Int(lda).Slice(v).Slice(c).
				Int(ldc).Int(rows).Int(width).Slice(sums))
			return err
		},
	}
}

func bitsOf(x float32) uint32 { return math.Float32bits(x) }

// referenceAVX2 performs the kernels' operations in their order: per
// element of C, one FMA per p into a zero accumulator, a multiplication by
// alpha unless alpha is 1, and an FMA with beta*C unless beta is ±0.
var referenceAVX2 = avx2Kernels{
	gemm: func(k int, alpha float32, a []float32, aRow, aStep int, b []float32, bStep, bPanel int, beta float32, c []float32, ldc, m, n int) error {
		for j0 := 0; j0 < n; j0 += 16 {
			panel := b[j0/16*bPanel:]
			for i := 0; i < m; i++ {
				for j := j0; j < min(n, j0+16); j++ {
					var acc uint32
					for p := 0; p < k; p++ {
						ap, bp := bitsOf(a[i*aRow+p*aStep]), bitsOf(panel[p*bStep+j-j0])
						acc = fmaLane(ap, bp, acc) // VFMADD231PS B, A, acc
					}
					if bitsOf(alpha) != bitsOf(1) {
						acc = mul(acc, bitsOf(alpha)) // VMULPS alpha, acc, acc
					}
					if bitsOf(beta)&0x7fffffff != 0 {
						cij := bitsOf(c[i*ldc+j])
						acc = fmaLane(bitsOf(beta), cij, acc) // VFMADD231PS C, beta, acc
					}
					c[i*ldc+j] = math.Float32frombits(acc)
				}
			}
		}
		return nil
	},
	packB16: func(dst, b []float32, ldb, k, n int) error {
		for p := 0; p < k; p++ {
			for j := 0; j < 16; j++ {
				dst[16*p+j] = 0
				if j < n {
					dst[16*p+j] = b[p*ldb+j]
				}
			}
		}
		return nil
	},
	axpyRows: func(k int, alpha float32, x []float32, incx int, b []float32, ldb int, y []float32) error {
		for p := 0; p < k; p++ {
			axpyRow(alpha, x[p*incx], b[p*ldb:], y)
		}
		return nil
	},
	axpyIndexed: func(alpha float32, val []float32, idx []int32, b []float32, ldb int, y []float32) error {
		for p, v := range val {
			axpyRow(alpha, v, b[int(idx[p])*ldb:], y)
		}
		return nil
	},
	countEqual: func(x []float32, v float32) (int, error) {
		n := 0
		for _, e := range x {
			if e == v {
				n++
			}
		}
		return n, nil
	},
	compressRow: func(x []float32, base float32, index []int32, value []float32) (int, error) {
		k := 0
		for j, v := range x {
			if v != base {
				index[k] = int32(j)
				value[k] = math.Float32frombits(sub(bitsOf(v), bitsOf(base))) // VSUBPS base, x
				k++
			}
		}
		return k, nil
	},
	scatterAxpy: func(cols int, val []float32, idx []int32, x []float32, acc []float32) error {
		for k, v := range val {
			row := acc[int(idx[k])*cols:]
			for l := range cols {
				row[l] = math.Float32frombits(fmaLane(bitsOf(x[l]), bitsOf(v), bitsOf(row[l]))) // VFMADD213PS row, x, v
			}
		}
		return nil
	},
	combineRows: func(alpha, beta float32, acc []float32, lda int, v, c []float32, ldc, rows, width int, sums []float32) error {
		for l := range width {
			var sum uint32
			for p := range rows {
				t := add(bitsOf(v[l]), bitsOf(acc[p*lda+l])) // VADDPS acc, v, t
				if bitsOf(beta)&0x7fffffff == 0 {
					t = mul(t, bitsOf(alpha)) // VMULPS alpha, t, t
				} else {
					ct := mul(bitsOf(beta), bitsOf(c[p*ldc+l])) // VMULPS C, beta, ct
					t = fmaLane(bitsOf(alpha), t, ct)           // VFMADD231PS t, alpha, ct
				}
				c[p*ldc+l] = math.Float32frombits(t)
				sum = add(sum, t) // VADDPS t, sums, sums
			}
			sums[l] = math.Float32frombits(sum)
		}
		return nil
	},
}

// axpyRow adds alpha*x times row to y as the AxpyRows kernels do.
func axpyRow(alpha, x float32, row, y []float32) {
	s := mul(bitsOf(x), bitsOf(alpha)) // VMULPS alpha, x, s
	for j := range y {
		y[j] = math.Float32frombits(fmaLane(s, bitsOf(row[j]), bitsOf(y[j]))) // VFMADD231PS B, s, y
	}
}

// specialValues are mixed into some inputs: infinities, signed zeros,
// quiet and signalling NaNs with payloads and both signs, a subnormal and
// the extremes.
var specialValues = []float32{
	float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)),
	math.Float32frombits(0x7fc12345), math.Float32frombits(0xffc54321),
	math.Float32frombits(0x7f812345), math.Float32frombits(0xff8abcde),
	math.Float32frombits(1), math.MaxFloat32, -math.MaxFloat32,
}

// randomValues returns n values in (-1, 1), a quarter of them scaled by
// 2^-20..2^19 so that sums round at many positions, and with specials
// some of them replaced by specialValues.
func randomValues(r *rand.Rand, n int, specials bool) []float32 {
	v := make([]float32, n)
	for i := range v {
		x := r.Float32()*2 - 1
		if r.IntN(4) == 0 {
			x = float32(math.Ldexp(float64(x), r.IntN(40)-20))
		}
		if specials && r.IntN(12) == 0 {
			x = specialValues[r.IntN(len(specialValues))]
		}
		v[i] = x
	}
	return v
}

func pick[T any](r *rand.Rand, choices ...T) T { return choices[r.IntN(len(choices))] }

const guard = 8

// guarded returns a slice of n random elements inside a backing array with
// guard elements on both sides, and the backing array.
func guarded(r *rand.Rand, n int) (s, backing []float32) {
	backing = randomValues(r, guard+n+guard, false)
	return backing[guard : guard+n : guard+n], backing
}

// inside returns the test of whether element i of the backing array of
// a slice s from guarded is in s.
func inside(s []float32) func(i int) bool {
	return func(i int) bool { return i >= guard && i < guard+len(s) }
}

// compareBits reports the first elements where got and want differ in
// bits, at most a few.
func compareBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	bad := 0
	for i := range want {
		if bitsOf(got[i]) != bitsOf(want[i]) {
			t.Errorf("%s: [%d] = %g (%#08x), want %g (%#08x)", what, i, got[i], bitsOf(got[i]), want[i], bitsOf(want[i]))
			if bad++; bad == 3 {
				return
			}
		}
	}
}

// checkUntouched reports elements of backing outside the written set that
// differ from before.
func checkUntouched(t *testing.T, what string, backing, before []float32, written func(i int) bool) {
	t.Helper()
	for i := range backing {
		if !written(i) && bitsOf(backing[i]) != bitsOf(before[i]) {
			t.Errorf("%s: element %d of the backing array was written: %g, was %g", what, i, backing[i], before[i])
			return
		}
	}
}

// crossCheck calls call with the simulated kernels and with each of impls,
// each time on a fresh copy of backing, and checks that they leave the
// same bits and leave the elements outside written alone. It reports
// whether the test is still passing.
func crossCheck(t *testing.T, shape string, sim avx2Kernels, impls []implementation, backing []float32, written func(i int) bool, call func(avx2Kernels) error) bool {
	t.Helper()
	before := append([]float32(nil), backing...)
	run := func(name string, kern avx2Kernels) []float32 {
		copy(backing, before)
		if err := call(kern); err != nil {
			t.Fatalf("%s: %s: %v", name, shape, err)
		}
		out := append([]float32(nil), backing...)
		checkUntouched(t, name+": "+shape, out, before, written)
		return out
	}
	got := run("simulated", sim)
	for _, impl := range impls {
		compareBits(t, "simulated vs "+impl.name+": "+shape, got, run(impl.name, impl.k))
	}
	return !t.Failed()
}

type implementation struct {
	name string
	k    avx2Kernels
}

// comparedWith returns the implementations the simulated kernels are
// checked against: the reference, and the hardware if it has AVX2 and FMA.
func comparedWith(t *testing.T) []implementation {
	impls := []implementation{{"reference", referenceAVX2}}
	if native, ok := nativeAVX2(); ok {
		return append(impls, implementation{"native", native})
	}
	t.Log("this machine cannot run the AVX2 kernels: the simulator is checked against the reference only")
	return impls
}

func TestGemmAVX2x6x16(t *testing.T) {
	sim := simulatedAVX2(t)
	impls := comparedWith(t)
	r := rand.New(rand.NewPCG(1, 2))
	for c := range 800 {
		m, n, k := 1+r.IntN(6), 1+r.IntN(48), pick(r, 1, 2, 3, 4, 5, 7, 8, 9, 16, 33)
		specials := c%4 == 3
		alpha := pick(r, 1, 1, -1, r.Float32()*4-2)
		beta := pick(r, 0, 0, 1, float32(math.Copysign(0, -1)), r.Float32()*4-2)
		if specials && r.IntN(4) == 0 {
			alpha, beta = pick(r, specialValues...), pick(r, specialValues...)
		}
		// A packed, row-major or transposed; B packed or in place.
		var aRow, aStep int
		switch r.IntN(3) {
		case 0:
			aRow, aStep = 1, 6
		case 1:
			aRow, aStep = k+r.IntN(4), 1
		default:
			aRow, aStep = 1, 6+r.IntN(4)
		}
		a := randomValues(r, 5*aRow+(k-1)*aStep+1, specials)
		tiles := (n + 15) / 16
		bStep, bPanel := 16, 16*k
		if r.IntN(2) == 0 {
			bStep, bPanel = n+r.IntN(4), 16
		}
		b := randomValues(r, (tiles-1)*bPanel+(k-1)*bStep+16, specials)
		ldc := n + r.IntN(4)
		cs, backing := guarded(r, (m-1)*ldc+n)
		copy(cs, randomValues(r, len(cs), specials))
		written := func(i int) bool {
			i -= guard
			return i >= 0 && i < len(cs) && i%ldc < n
		}
		shape := fmt.Sprintf("case %d: m=%d n=%d k=%d aRow=%d aStep=%d bStep=%d bPanel=%d ldc=%d alpha=%g beta=%g",
			c, m, n, k, aRow, aStep, bStep, bPanel, ldc, alpha, beta)
		if !crossCheck(t, shape, sim, impls, backing, written, func(kern avx2Kernels) error {
			return kern.gemm(k, alpha, a, aRow, aStep, b, bStep, bPanel, beta, cs, ldc, m, n)
		}) {
			return
		}
	}
}

func TestPackB16AVX2(t *testing.T) {
	sim := simulatedAVX2(t)
	impls := comparedWith(t)
	r := rand.New(rand.NewPCG(3, 4))
	for c := range 200 {
		n, k := 1+r.IntN(16), 1+r.IntN(9)
		ldb := n + r.IntN(4)
		b := randomValues(r, (k-1)*ldb+n, c%4 == 3)
		dst, backing := guarded(r, 16*k)
		shape := fmt.Sprintf("case %d: n=%d k=%d ldb=%d", c, n, k, ldb)
		if !crossCheck(t, shape, sim, impls, backing, inside(dst), func(kern avx2Kernels) error {
			return kern.packB16(dst, b, ldb, k, n)
		}) {
			return
		}
	}
}

func TestAxpyRowsAVX2(t *testing.T) {
	sim := simulatedAVX2(t)
	impls := comparedWith(t)
	r := rand.New(rand.NewPCG(5, 6))
	for c := range 400 {
		ny, k, incx := pick(r, 1+r.IntN(72), 100), pick(r, 1, 2, 7, 8, 9, 16, 17, 30), pick(r, 1, 1, 3)
		specials := c%4 == 3
		alpha := pick(r, 1, -1, r.Float32()*4-2)
		ldb := ny + r.IntN(4)
		x := randomValues(r, (k-1)*incx+1, specials)
		b := randomValues(r, (k-1)*ldb+ny, specials)
		y, backing := guarded(r, ny)
		copy(y, randomValues(r, ny, specials))
		shape := fmt.Sprintf("case %d: len(y)=%d k=%d incx=%d ldb=%d alpha=%g", c, ny, k, incx, ldb, alpha)
		if !crossCheck(t, shape, sim, impls, backing, inside(y), func(kern avx2Kernels) error {
			return kern.axpyRows(k, alpha, x, incx, b, ldb, y)
		}) {
			return
		}
	}
}

func TestAxpyIndexedAVX2(t *testing.T) {
	sim := simulatedAVX2(t)
	impls := comparedWith(t)
	r := rand.New(rand.NewPCG(7, 8))
	for c := range 400 {
		ny, k := pick(r, 1+r.IntN(40), 96, 100, 104, 130, 257), pick(r, r.IntN(31), 150)
		specials := c%4 == 3
		alpha := pick(r, 1, -1, r.Float32()*4-2)
		ldb := ny + pick(r, 0, 0, 1, 3)
		val := randomValues(r, k, specials)
		// Unsorted and repeated indices; b ends at the largest one's row.
		idx, maxIdx := make([]int32, k), 0
		for i := range idx {
			idx[i] = int32(r.IntN(1 + k/2))
			maxIdx = max(maxIdx, int(idx[i]))
		}
		b := randomValues(r, maxIdx*ldb+ny, specials)
		y, backing := guarded(r, ny)
		copy(y, randomValues(r, ny, specials))
		shape := fmt.Sprintf("case %d: len(y)=%d len(val)=%d ldb=%d alpha=%g idx=%v", c, ny, k, ldb, alpha, idx)
		if !crossCheck(t, shape, sim, impls, backing, inside(y), func(kern avx2Kernels) error {
			return kern.axpyIndexed(alpha, val, idx, b, ldb, y)
		}) {
			return
		}
	}
}

// mostlyBase returns n elements, each the base (or, if the base is a
// zero, either zero) except with probability density a random value,
// with specials sometimes one of specialValues.
func mostlyBase(r *rand.Rand, n int, base float32, density float64, specials bool) []float32 {
	x := randomValues(r, n, specials)
	for j := range x {
		if r.Float64() >= density {
			x[j] = base
			if base == 0 && r.IntN(2) == 0 {
				x[j] = -base
			}
		}
	}
	return x
}

// compressCase returns a row for the compress kernels and its base: of
// every length up to 40 or an MNIST image's, of every density, with
// specials (NaNs, infinities, zeros) among its elements or as its base.
func compressCase(r *rand.Rand, c int) (x []float32, base float32) {
	n := pick(r, r.IntN(41), r.IntN(41), 784)
	base = pick[float32](r, -1, 0, 0.5, pick(r, specialValues...))
	return mostlyBase(r, n, base, pick(r, 0, 0.1, 0.5, 1), c%2 == 1), base
}

func TestCountEqualAVX2(t *testing.T) {
	sim := simulatedAVX2(t)
	impls := comparedWith(t)
	r := rand.New(rand.NewPCG(11, 12))
	for c := range 400 {
		x, v := compressCase(r, c)
		got, err := sim.countEqual(x, v)
		if err != nil {
			t.Fatalf("case %d: simulated: %v", c, err)
		}
		for _, impl := range impls {
			if want, _ := impl.k.countEqual(x, v); got != want {
				t.Fatalf("case %d: len(x)=%d v=%g: simulated %d, %s %d", c, len(x), v, got, impl.name, want)
			}
		}
	}
}

// TestCompressRowAVX2 checks the count and the entries before it against
// the reference, and, against the hardware, everything the kernel writes
// (what it leaves past the count is unspecified, but the same
// instructions leave the same bits). The outputs are exactly len(x)+8
// long, between guards that must not be written.
func TestCompressRowAVX2(t *testing.T) {
	sim := simulatedAVX2(t)
	impls := comparedWith(t)
	r := rand.New(rand.NewPCG(13, 14))
	for c := range 400 {
		x, base := compressCase(r, c)
		n := len(x) + 8
		indexBefore := make([]int32, guard+n+guard)
		for i := range indexBefore {
			indexBefore[i] = r.Int32()
		}
		_, valueBefore := guarded(r, n)
		shape := fmt.Sprintf("case %d: len(x)=%d base=%g", c, len(x), base)
		// run calls compressRow on fresh copies of the outputs' backing
		// arrays and checks their guards.
		run := func(name string, kern avx2Kernels) (k int, index []int32, value []float32) {
			index, value = append([]int32(nil), indexBefore...), append([]float32(nil), valueBefore...)
			k, err := kern.compressRow(x, base, index[guard:guard+n:guard+n], value[guard:guard+n:guard+n])
			if err != nil {
				t.Fatalf("%s: %s: %v", name, shape, err)
			}
			for i := range index {
				if (i < guard || i >= guard+n) && (index[i] != indexBefore[i] || bitsOf(value[i]) != bitsOf(valueBefore[i])) {
					t.Fatalf("%s: %s: element %d of the outputs' backing arrays, outside them, was written", name, shape, i-guard)
				}
			}
			return k, index[guard : guard+n], value[guard : guard+n]
		}
		k, index, value := run("simulated", sim)
		for _, impl := range impls {
			wantK, wantIndex, wantValue := run(impl.name, impl.k)
			if k != wantK {
				t.Fatalf("%s: simulated count %d, %s %d", shape, k, impl.name, wantK)
			}
			compared := k // the reference leaves the rest alone
			if impl.name == "native" {
				compared = n
			}
			for i := range compared {
				if index[i] != wantIndex[i] || bitsOf(value[i]) != bitsOf(wantValue[i]) {
					t.Fatalf("%s: simulated vs %s: entry %d = (%d, %#08x), want (%d, %#08x)", shape, impl.name, i,
						index[i], bitsOf(value[i]), wantIndex[i], bitsOf(wantValue[i]))
				}
			}
		}
	}
}

// TestAxpyRowsHardwareCases runs AxpyRowsAVX2 with k = 1 and one element,
// y = alpha*x * b + y (VMULPS alpha, x, s; VFMADD231PS b, s, y), on
// inputs whose results hand-computed expectations fix: NaN selection,
// invalid operations and sums that rounding twice gets wrong. The
// simulator must give them, and so must the hardware when this machine
// has AVX2 and FMA.
func TestAxpyRowsHardwareCases(t *testing.T) {
	const n1, n2, n3 = 0x7fc00001, 0x7f800002, 0xffc00003 // quiet, signalling, quiet negative
	one, inf := bitsOf(1), uint32(0x7f800000)
	impls := []implementation{{"simulated", simulatedAVX2(t)}}
	if native, ok := nativeAVX2(); ok {
		impls = append(impls, implementation{"native", native})
	}
	for _, tc := range []struct {
		name           string
		alpha, x, b, y uint32
		want           uint32
	}{
		{"FMA: all NaN, the product's first factor wins", one, n1, n2, n3, n1},
		{"FMA: factors before the addend", one, one, n2, n3, n2 | quietBit},
		{"FMA: first factor before the addend", one, n1, one, n3, n1},
		{"FMA: Inf*0+1 is the default NaN", one, inf, 0, one, defaultNaN},
		{"FMA: Inf*0+NaN is the NaN", one, inf, 0, n3, n3},
		{"FMA: rounding once above a midpoint", one, bitsOf(4097), bitsOf(16773121), 0x5d800000, 0x5d800001},
		{"FMA: rounding once below a midpoint", one, bitsOf(262143), bitsOf(262145), 0x5d800001, 0x5d800001},
		{"VMULPS: src1 (x) before src2 (alpha)", n3, n2, one, one, n2 | quietBit},
		{"VMULPS: src2 alone", n3, one, one, one, n3},
	} {
		for _, impl := range impls {
			y := []float32{math.Float32frombits(tc.y)}
			err := impl.k.axpyRows(1, math.Float32frombits(tc.alpha), []float32{math.Float32frombits(tc.x)}, 1,
				[]float32{math.Float32frombits(tc.b)}, 1, y)
			if err != nil {
				t.Fatalf("%s: %s: %v", tc.name, impl.name, err)
			}
			if got := bitsOf(y[0]); got != tc.want {
				t.Errorf("%s: %s: y = %#08x, want %#08x", tc.name, impl.name, got, tc.want)
			}
		}
	}
}

// TestScatterAxpyAVX2 runs ScatterAxpy8AVX2 and ScatterAxpy16AVX2 on 0
// to 40 entries and 150, at distinct ascending indices, into accumulators
// that end at the last index's row or further (up to 784 rows).
func TestScatterAxpyAVX2(t *testing.T) {
	sim := simulatedAVX2(t)
	impls := comparedWith(t)
	for _, cols := range []int{8, 16} {
		t.Run(fmt.Sprintf("ScatterAxpy%dAVX2", cols), func(t *testing.T) {
			r := rand.New(rand.NewPCG(41, uint64(cols)))
			for c := range 300 {
				k := pick(r, r.IntN(41), 150)
				rows := k + pick(r, 0, 1+r.IntN(20), 784-k)
				specials := c%4 == 3
				val := randomValues(r, k, specials)
				x := randomValues(r, cols, specials)
				idx := make([]int32, 0, k)
				for p := range rows { // k of the rows, each with equal odds
					if r.IntN(rows-p) < k-len(idx) {
						idx = append(idx, int32(p))
					}
				}
				acc, backing := guarded(r, cols*rows)
				copy(acc, randomValues(r, len(acc), specials))
				shape := fmt.Sprintf("case %d: len(val)=%d rows=%d idx=%v", c, k, rows, idx)
				if !crossCheck(t, shape, sim, impls, backing, inside(acc), func(kern avx2Kernels) error {
					return kern.scatterAxpy(cols, val, idx, x, acc)
				}) {
					return
				}
			}
		})
	}
}

// TestCombineRows8AVX2 runs 1 to 20 rows and 784 of every width, acc's
// rows packed or 8 or 16 apart and ending at the last row's width-th
// element, C's rows packed or strided, and checks C and the column sums;
// the elements between C's rows must stay untouched, as the guards must.
func TestCombineRows8AVX2(t *testing.T) {
	sim := simulatedAVX2(t)
	impls := comparedWith(t)
	r := rand.New(rand.NewPCG(43, 44))
	for c := range 400 {
		rows, width := pick(r, 1+r.IntN(20), 784), 1+r.IntN(8)
		lda, ldc := pick(r, width, 8, 16), width+pick(r, 0, 0, 1+r.IntN(8))
		specials := c%4 == 3
		alpha := pick(r, 1, -0.0005, 2, r.Float32()*4-2)
		beta := pick(r, 0, float32(math.Copysign(0, -1)), 1, 0.9, r.Float32()*4-2)
		if specials && r.IntN(4) == 0 {
			alpha, beta = pick(r, specialValues...), pick(r, specialValues...)
		}
		acc := randomValues(r, (rows-1)*lda+width, specials)
		v := randomValues(r, width, specials)
		// C, then the column sums, in one guarded backing array.
		n := (rows-1)*ldc + width
		both, backing := guarded(r, n+guard+width)
		cs, sums := both[:n:n], both[n+guard:]
		copy(cs, randomValues(r, len(cs), specials))
		written := func(i int) bool {
			i -= guard
			return i >= 0 && i < n && i%ldc < width || i >= n+guard && i < len(both)
		}
		shape := fmt.Sprintf("case %d: rows=%d width=%d lda=%d ldc=%d alpha=%g beta=%g", c, rows, width, lda, ldc, alpha, beta)
		if !crossCheck(t, shape, sim, impls, backing, written, func(kern avx2Kernels) error {
			return kern.combineRows(alpha, beta, acc, lda, v, cs, ldc, rows, width, sums)
		}) {
			return
		}
	}
}
