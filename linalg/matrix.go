// Package linalg holds mlpgo's numerics core: a row-major float32 Matrix,
// GEMM with BLAS semantics, the elementwise and reduction ops a multilayer
// perceptron needs, and the dispatch that binds each of them to the fastest
// kernel this CPU can run (see ISA).
//
// Shape mismatches are programmer errors: like gonum's BLAS, the functions
// here panic with a message that names the shapes. Bad data (NaN, Inf) is
// not checked; it propagates as IEEE arithmetic says.
package linalg

import "fmt"

// Matrix is a row-major float32 matrix, or a view into one: element (i, j)
// is Data[i*Stride+j]. Views made by View and RowSlice share Data with
// their parent.
type Matrix struct {
	Rows, Cols, Stride int
	Data               []float32
}

// New returns a zeroed rows x cols matrix with Stride == cols.
func New(rows, cols int) Matrix {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("linalg: New(%d, %d): negative dimension", rows, cols))
	}
	return Matrix{Rows: rows, Cols: cols, Stride: cols, Data: make([]float32, rows*cols)}
}

// FromSlice returns a rows x cols matrix that views data (Stride == cols)
// without copying. It panics if data holds fewer than rows*cols elements.
func FromSlice(rows, cols int, data []float32) Matrix {
	if rows < 0 || cols < 0 || len(data) < rows*cols {
		panic(fmt.Sprintf("linalg: FromSlice(%d, %d): need %d elements, have %d", rows, cols, rows*cols, len(data)))
	}
	return Matrix{Rows: rows, Cols: cols, Stride: cols, Data: data[:rows*cols]}
}

// View returns the r x c sub-matrix whose top-left element is (i, j). It
// shares memory with m.
func (m Matrix) View(i, j, r, c int) Matrix {
	if i < 0 || j < 0 || r < 0 || c < 0 || i+r > m.Rows || j+c > m.Cols {
		panic(fmt.Sprintf("linalg: View(%d, %d, %d, %d) out of range for %s", i, j, r, c, m.shape()))
	}
	if r == 0 || c == 0 {
		return Matrix{Rows: r, Cols: c, Stride: m.Stride}
	}
	start := i*m.Stride + j
	return Matrix{Rows: r, Cols: c, Stride: m.Stride, Data: m.Data[start : start+(r-1)*m.Stride+c]}
}

// RowSlice returns rows [from, to) of m as a view sharing memory with m.
func (m Matrix) RowSlice(from, to int) Matrix {
	if from < 0 || to < from || to > m.Rows {
		panic(fmt.Sprintf("linalg: RowSlice(%d, %d) out of range for %s", from, to, m.shape()))
	}
	return m.View(from, 0, to-from, m.Cols)
}

// Row returns row i of m as a slice sharing memory with m.
func (m Matrix) Row(i int) []float32 {
	if i < 0 || i >= m.Rows {
		panic(fmt.Sprintf("linalg: Row(%d) out of range for %s", i, m.shape()))
	}
	return m.Data[i*m.Stride : i*m.Stride+m.Cols]
}

// At returns element (i, j).
func (m Matrix) At(i, j int) float32 {
	m.check(i, j)
	return m.Data[i*m.Stride+j]
}

// Set sets element (i, j) to v.
func (m Matrix) Set(i, j int, v float32) {
	m.check(i, j)
	m.Data[i*m.Stride+j] = v
}

// Contiguous reports whether m's rows follow each other in memory without
// gaps, so that Data[:Rows*Cols] holds exactly its elements.
func (m Matrix) Contiguous() bool { return m.Stride == m.Cols || m.Rows <= 1 }

// CopyFrom copies src into m; both must have the same shape.
func (m Matrix) CopyFrom(src Matrix) {
	if m.Rows != src.Rows || m.Cols != src.Cols {
		panic(fmt.Sprintf("linalg: CopyFrom: destination %s, source %s", m.shape(), src.shape()))
	}
	for i := 0; i < m.Rows; i++ {
		copy(m.Row(i), src.Row(i))
	}
}

// Fill sets every element of m to v.
func (m Matrix) Fill(v float32) {
	for i := 0; i < m.Rows; i++ {
		row := m.Row(i)
		for j := range row {
			row[j] = v
		}
	}
}

func (m Matrix) check(i, j int) {
	if i < 0 || j < 0 || i >= m.Rows || j >= m.Cols {
		panic(fmt.Sprintf("linalg: index (%d, %d) out of range for %s", i, j, m.shape()))
	}
}

// shape formats m's dimensions, with the stride when it differs from Cols.
func (m Matrix) shape() string {
	if m.Stride != m.Cols {
		return fmt.Sprintf("%dx%d (stride %d)", m.Rows, m.Cols, m.Stride)
	}
	return fmt.Sprintf("%dx%d", m.Rows, m.Cols)
}

// valid panics unless m's fields describe memory that Data really holds.
func (m Matrix) valid(name string) {
	if m.Rows < 0 || m.Cols < 0 || m.Stride < m.Cols || (m.Rows > 0 && m.Cols > 0 && len(m.Data) < (m.Rows-1)*m.Stride+m.Cols) {
		panic(fmt.Sprintf("linalg: %s: malformed matrix %s with %d elements of data", name, m.shape(), len(m.Data)))
	}
}
