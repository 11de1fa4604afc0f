package x86sim

import (
	"encoding/binary"
	"math"
	"unsafe"
)

// A Frame is the ABI0 argument frame of a call: the arguments in order,
// each aligned to its own size as Go lays them out on amd64 (8 bytes for
// int and slice words, 4 for float32 and int32). Build one with NewFrame
// and the methods below, which return the frame so that calls can be
// chained:
//
//	f := x86sim.NewFrame().Int(k).Float32(alpha).Slice(a)
//
// A function's results follow its arguments: declare them last, with
// Float32Result, Float64Result and IntResult. A Frame is not modified by
// Call (the kernel works on a copy, and the results are stored where the
// result declarations say), so it can be reused.
type Frame struct {
	buf     []byte
	slices  []frameSlice
	results []frameResult
}

// A frameResult is a result: its offset in the frame and where Call
// stores its value.
type frameResult struct {
	off   int
	store func(b []byte)
}

// A frameSlice is a slice argument: its header's offset in the frame and
// the bytes of its first len elements.
type frameSlice struct {
	off  int
	data []byte
}

// NewFrame returns an empty argument frame.
func NewFrame() *Frame { return &Frame{} }

// Int appends an int argument (8 bytes, 8-aligned).
func (f *Frame) Int(v int) *Frame {
	f.word(uint64(int64(v)))
	return f
}

// Float32 appends a float32 argument (4 bytes, 4-aligned).
func (f *Frame) Float32(v float32) *Frame {
	f.align(4)
	f.buf = binary.LittleEndian.AppendUint32(f.buf, math.Float32bits(v))
	return f
}

// Int32 appends an int32 argument (4 bytes, 4-aligned).
func (f *Frame) Int32(v int32) *Frame {
	f.align(4)
	f.buf = binary.LittleEndian.AppendUint32(f.buf, uint32(v))
	return f
}

// Slice appends a []float32 argument: pointer, length and capacity words.
// The kernel may access the slice's first len(s) elements, and no others.
// The pointer word holds a simulated address that Call assigns.
func (f *Frame) Slice(s []float32) *Frame {
	return f.slice(unsafe.Pointer(unsafe.SliceData(s)), len(s), cap(s))
}

// Int32Slice appends an []int32 argument, as Slice does a []float32.
func (f *Frame) Int32Slice(s []int32) *Frame {
	return f.slice(unsafe.Pointer(unsafe.SliceData(s)), len(s), cap(s))
}

// slice appends the header of a slice of 4-byte elements at p.
func (f *Frame) slice(p unsafe.Pointer, n, c int) *Frame {
	f.align(8)
	f.slices = append(f.slices, frameSlice{off: len(f.buf), data: unsafe.Slice((*byte)(p), 4*n)})
	f.word(0)
	f.word(uint64(n))
	f.word(uint64(c))
	return f
}

// Float32Result declares a float32 result; Call stores the value the
// kernel leaves in it in *dst when the kernel returns.
func (f *Frame) Float32Result(dst *float32) *Frame {
	f.result(4, func(b []byte) { *dst = math.Float32frombits(binary.LittleEndian.Uint32(b)) })
	return f
}

// Float64Result declares a float64 result, as Float32Result does.
func (f *Frame) Float64Result(dst *float64) *Frame {
	f.result(8, func(b []byte) { *dst = math.Float64frombits(binary.LittleEndian.Uint64(b)) })
	return f
}

// IntResult declares an int result, as Float32Result does.
func (f *Frame) IntResult(dst *int) *Frame {
	f.result(8, func(b []byte) { *dst = int(int64(binary.LittleEndian.Uint64(b))) })
	return f
}

// result appends a result slot of size bytes. The first result is
// aligned to 8, as ABI0 places results after the arguments.
func (f *Frame) result(size int, store func([]byte)) {
	if len(f.results) == 0 {
		f.align(8)
	}
	f.align(size)
	f.results = append(f.results, frameResult{off: len(f.buf), store: store})
	f.buf = append(f.buf, make([]byte, size)...)
}

// Size is the size of the frame in bytes, as the argument size of a TEXT
// line gives it: not rounded up after a trailing float32.
func (f *Frame) Size() int { return len(f.buf) }

func (f *Frame) word(v uint64) {
	f.align(8)
	f.buf = binary.LittleEndian.AppendUint64(f.buf, v)
}

func (f *Frame) align(n int) {
	for len(f.buf)%n != 0 {
		f.buf = append(f.buf, 0)
	}
}
