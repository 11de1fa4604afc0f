package linalg

import (
	"fmt"
	"sync"
)

// Activation names an elementwise activation function.
type Activation int

// The activations mlpgo knows. LeakyReLU's slope for negative inputs is
// LeakySlope.
const (
	Identity Activation = iota
	Sigmoid
	Tanh
	ReLU
	LeakyReLU
	numActivations
)

// LeakySlope is LeakyReLU's slope for negative inputs.
const LeakySlope = 0.01

var activationNames = [numActivations]string{"identity", "sigmoid", "tanh", "relu", "leaky_relu"}

// String returns the activation's name as ParseActivation accepts it.
func (f Activation) String() string {
	if f < 0 || f >= numActivations {
		return fmt.Sprintf("Activation(%d)", int(f))
	}
	return activationNames[f]
}

// ParseActivation returns the activation called name ("identity",
// "sigmoid", "tanh", "relu" or "leaky_relu").
func ParseActivation(name string) (Activation, error) {
	for i, n := range activationNames {
		if n == name {
			return Activation(i), nil
		}
	}
	return 0, fmt.Errorf("linalg: unknown activation %q (known: identity, sigmoid, tanh, relu, leaky_relu)", name)
}

func (f Activation) check(op string) {
	if f < 0 || f >= numActivations {
		panic(fmt.Sprintf("linalg: %s: unknown activation %d", op, int(f)))
	}
}

// BiasActivate sets each row of m to f(row + bias): the epilogue of a
// layer's forward product. len(bias) must equal m.Cols.
func BiasActivate(m Matrix, bias []float32, f Activation) {
	m.valid("BiasActivate")
	f.check("BiasActivate")
	if len(bias) != m.Cols {
		panic(fmt.Sprintf("linalg: BiasActivate: bias has %d elements, matrix is %s", len(bias), m.shape()))
	}
	kern := kernels().biasAct[f]
	if m.Rows < 2 || m.Cols == 0 || !m.Contiguous() {
		for i := 0; i < m.Rows; i++ {
			kern(m.Row(i), bias)
		}
		return
	}
	// Row by row, a row whose length is no multiple of the vector width
	// (the MLP's 100 and 10) ends in a masked tail, which costs as much as
	// the rest of a 100-element row, and each row pays a call. A
	// contiguous m goes through in long runs instead, against the bias
	// repeated to the run's length.
	tile := biasTilePool.Get().(*[]float32)
	defer biasTilePool.Put(tile)
	n := m.Rows * m.Cols
	*tile = tileBias(*tile, bias, n)
	data := m.Data[:n]
	for len(data) > 0 {
		run := min(len(data), len(*tile))
		kern(data[:run], *tile)
		data = data[run:]
	}
}

// biasTileFloats is about how long BiasActivate's runs are.
const biasTileFloats = 1024

var biasTilePool = sync.Pool{New: func() any { return new([]float32) }}

// tileBias returns bias repeated in buf (reallocated if too small) to a
// length that is a multiple of len(bias) and of 16, so that every run but
// a matrix's last ends on whole vectors, and about biasTileFloats long, or
// at least n (a matrix's size) if that is less.
func tileBias(buf, bias []float32, n int) []float32 {
	period := len(bias) * 16 / gcd(len(bias), 16)
	size := period * max(1, biasTileFloats/period)
	size = min(size, (n+period-1)/period*period)
	buf = grow(buf, size)
	for i := 0; i < size; i += len(bias) {
		copy(buf[i:], bias)
	}
	return buf
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// ActivationGrad multiplies d elementwise by f'(z), where a = f(z) is the
// activation's output: a(1-a) for Sigmoid, 1-a² for Tanh, [a > 0] for ReLU.
// d and a must have the same shape.
func ActivationGrad(d, a Matrix, f Activation) {
	d.valid("ActivationGrad d")
	a.valid("ActivationGrad a")
	f.check("ActivationGrad")
	sameShape("ActivationGrad", d, a)
	kern := kernels().actGrad[f]
	if d.Contiguous() && a.Contiguous() {
		// In one run: no masked tail per row (see BiasActivate).
		n := d.Rows * d.Cols
		kern(d.Data[:n], a.Data[:n])
		return
	}
	for i := 0; i < d.Rows; i++ {
		kern(d.Row(i), a.Row(i))
	}
}

// SoftmaxRows replaces each row of m by its softmax, computed stably
// (exp(x - max) / sum).
func SoftmaxRows(m Matrix) {
	m.valid("SoftmaxRows")
	kern := kernels().softmax
	for i := 0; i < m.Rows; i++ {
		kern(m.Row(i))
	}
}

// ColSums sets dst[j] to the sum of column j of m. len(dst) must equal
// m.Cols.
func ColSums(dst []float32, m Matrix) {
	m.valid("ColSums")
	if len(dst) != m.Cols {
		panic(fmt.Sprintf("linalg: ColSums: dst has %d elements, matrix is %s", len(dst), m.shape()))
	}
	clear(dst)
	kern := kernels().addTo
	for i := 0; i < m.Rows; i++ {
		kern(dst, m.Row(i))
	}
}

// Axpby sets y = a*y + b*x elementwise (the optimizers' update, e.g.
// W = (1 - eta*l2)*W - eta*G). x and y must have the same shape.
func Axpby(a float32, y Matrix, b float32, x Matrix) {
	y.valid("Axpby y")
	x.valid("Axpby x")
	sameShape("Axpby", y, x)
	kern := kernels().axpby
	if y.Contiguous() && x.Contiguous() {
		kern(a, y.Data[:y.Rows*y.Cols], b, x.Data[:x.Rows*x.Cols])
		return
	}
	for i := 0; i < y.Rows; i++ {
		kern(a, y.Row(i), b, x.Row(i))
	}
}

// AxpbyVec sets y[i] = a*y[i] + b*x[i]; x and y must have the same length.
func AxpbyVec(a float32, y []float32, b float32, x []float32) {
	if len(x) != len(y) {
		panic(fmt.Sprintf("linalg: AxpbyVec: len(y) = %d, len(x) = %d", len(y), len(x)))
	}
	kernels().axpby(a, y, b, x)
}

// ArgmaxRows sets dst[i] to the column index of the largest element of row
// i of m (the first one on ties; the first NaN if the row has one).
// len(dst) must equal m.Rows and m must have at least one column.
func ArgmaxRows(dst []int, m Matrix) {
	m.valid("ArgmaxRows")
	if len(dst) != m.Rows || (m.Rows > 0 && m.Cols == 0) {
		panic(fmt.Sprintf("linalg: ArgmaxRows: dst has %d elements, matrix is %s", len(dst), m.shape()))
	}
	kern := kernels().argmax
	for i := range dst {
		dst[i] = kern(m.Row(i))
	}
}

// SumSquares returns the sum of the squares of m's elements.
func SumSquares(m Matrix) float64 {
	m.valid("SumSquares")
	kern := kernels().sumSquares
	if m.Contiguous() {
		return kern(m.Data[:m.Rows*m.Cols])
	}
	var s float64
	for i := 0; i < m.Rows; i++ {
		s += kern(m.Row(i))
	}
	return s
}

func sameShape(op string, x, y Matrix) {
	if x.Rows != y.Rows || x.Cols != y.Cols {
		panic(fmt.Sprintf("linalg: %s: shapes %s and %s differ", op, x.shape(), y.shape()))
	}
}
