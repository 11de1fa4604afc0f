package linalg

import "math"

// The generic vector kernels below are the reference every SIMD kernel is
// checked against. They work on one contiguous slice (a matrix row); the
// Matrix-level functions in ops.go loop over rows.

func addBiasGeneric(x, bias []float32) {
	bias = bias[:len(x)]
	for i := range x {
		x[i] += bias[i]
	}
}

func sigmoid32(v float32) float32 {
	return float32(1 / (1 + math.Exp(-float64(v))))
}

func biasIdentityGeneric(x, bias []float32) { addBiasGeneric(x, bias) }

func biasSigmoidGeneric(x, bias []float32) {
	bias = bias[:len(x)]
	for i := range x {
		x[i] = sigmoid32(x[i] + bias[i])
	}
}

func biasTanhGeneric(x, bias []float32) {
	bias = bias[:len(x)]
	for i := range x {
		x[i] = float32(math.Tanh(float64(x[i] + bias[i])))
	}
}

func biasReLUGeneric(x, bias []float32) {
	bias = bias[:len(x)]
	for i := range x {
		v := x[i] + bias[i]
		if !(v > 0) && v == v { // keeps NaN, maps -0 and negatives to 0
			v = 0
		}
		x[i] = v
	}
}

func biasLeakyReLUGeneric(x, bias []float32) {
	bias = bias[:len(x)]
	for i := range x {
		v := x[i] + bias[i]
		if v < 0 {
			v *= LeakySlope
		}
		x[i] = v
	}
}

// The gradient kernels compute d *= f'(z) where a = f(z) is the layer's
// output, so the derivative is expressed through a.

func gradIdentityGeneric(d, a []float32) {}

func gradSigmoidGeneric(d, a []float32) {
	a = a[:len(d)]
	for i := range d {
		d[i] *= a[i] * (1 - a[i])
	}
}

func gradTanhGeneric(d, a []float32) {
	a = a[:len(d)]
	for i := range d {
		d[i] *= 1 - a[i]*a[i]
	}
}

func gradReLUGeneric(d, a []float32) {
	a = a[:len(d)]
	for i := range d {
		if !(a[i] > 0) {
			d[i] = 0
		}
	}
}

func gradLeakyReLUGeneric(d, a []float32) {
	a = a[:len(d)]
	for i := range d {
		if !(a[i] > 0) {
			d[i] *= LeakySlope
		}
	}
}

// softmaxGeneric replaces x by exp(x - max x) / sum, in place.
func softmaxGeneric(x []float32) {
	if len(x) == 0 {
		return
	}
	mx := x[0]
	for _, v := range x[1:] {
		if v > mx || v != v {
			mx = v
		}
	}
	var sum float64
	for i, v := range x {
		e := math.Exp(float64(v - mx))
		x[i] = float32(e)
		sum += e
	}
	inv := float32(1 / sum)
	for i := range x {
		x[i] *= inv
	}
}

// addToGeneric is dst[i] += x[i].
func addToGeneric(dst, x []float32) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] += x[i]
	}
}

// axpbyGeneric is y[i] = a*y[i] + b*x[i].
func axpbyGeneric(a float32, y []float32, b float32, x []float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] = a*y[i] + b*x[i]
	}
}

// argmaxGeneric returns the index of the first largest element, or of the
// first NaN, or -1 for an empty slice.
func argmaxGeneric(x []float32) int {
	if len(x) == 0 {
		return -1
	}
	best := 0
	for i, v := range x {
		if v != v {
			return i
		}
		if v > x[best] {
			best = i
		}
	}
	return best
}

// sumSquaresGeneric returns the sum of x[i]*x[i], accumulated in float64.
func sumSquaresGeneric(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return s
}
