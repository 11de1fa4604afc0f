package mnistio

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
)

// Type is the element type of an IDX file: the third byte of its magic number.
type Type byte

// The IDX element types. All multi-byte types are big-endian in the file.
const (
	Uint8   Type = 0x08 // unsigned byte; Go type []uint8
	Int8    Type = 0x09 // signed byte; Go type []int8
	Int16   Type = 0x0B // Go type []int16
	Int32   Type = 0x0C // Go type []int32
	Float32 Type = 0x0D // Go type []float32
	Float64 Type = 0x0E // Go type []float64
)

// Size returns the number of bytes of one element of type t, or 0 if t is
// not a known IDX type.
func (t Type) Size() int {
	switch t {
	case Uint8, Int8:
		return 1
	case Int16:
		return 2
	case Int32, Float32:
		return 4
	case Float64:
		return 8
	}
	return 0
}

// String returns the name of the Go element type that holds t ("uint8",
// "float32", ...), or "Type(0xNN)" for an unknown type.
func (t Type) String() string {
	switch t {
	case Uint8:
		return "uint8"
	case Int8:
		return "int8"
	case Int16:
		return "int16"
	case Int32:
		return "int32"
	case Float32:
		return "float32"
	case Float64:
		return "float64"
	}
	return fmt.Sprintf("Type(0x%02x)", byte(t))
}

// MaxDims is the largest number of dimensions an IDX file can have (the
// fourth byte of the magic number).
const MaxDims = 255

// Array is the content of one IDX file: an element type, the dimensions
// (outermost first) and the elements in row-major order.
//
// Data holds a slice whose element type matches Type: []uint8 for [Uint8],
// []int8 for [Int8], []int16, []int32, []float32 or []float64; its length is
// the product of Dims.
type Array struct {
	Type Type
	Dims []int
	Data any
}

// dataLen returns the length of a.Data and checks that its Go type matches
// a.Type.
func (a Array) dataLen() (int, error) {
	var n int
	var t Type
	switch d := a.Data.(type) {
	case []uint8:
		n, t = len(d), Uint8
	case []int8:
		n, t = len(d), Int8
	case []int16:
		n, t = len(d), Int16
	case []int32:
		n, t = len(d), Int32
	case []float32:
		n, t = len(d), Float32
	case []float64:
		n, t = len(d), Float64
	default:
		return 0, fmt.Errorf("Data has Go type %T, which is not an IDX element slice", a.Data)
	}
	if t != a.Type {
		return 0, fmt.Errorf("Data is []%s but Type is %s", t, a.Type)
	}
	return n, nil
}

// validate checks that a can be written as an IDX file.
func (a Array) validate() error {
	if a.Type.Size() == 0 {
		return fmt.Errorf("unknown element type %s", a.Type)
	}
	if len(a.Dims) == 0 || len(a.Dims) > MaxDims {
		return fmt.Errorf("%d dimensions, want 1 to %d", len(a.Dims), MaxDims)
	}
	n, err := a.dataLen()
	if err != nil {
		return err
	}
	for i, d := range a.Dims {
		if d < 0 || uint64(d) > math.MaxUint32 {
			return fmt.Errorf("dimension %d is %d, want 0 to %d", i, d, uint32(math.MaxUint32))
		}
	}
	count, err := elementCount(a.Dims, a.Type.Size())
	if err != nil {
		return err
	}
	if count != n {
		return fmt.Errorf("dimensions %v hold %d elements but Data has %d", a.Dims, count, n)
	}
	return nil
}

// elementCount returns the product of dims, or an error if it or its size in
// bytes (at size bytes per element) does not fit in an int.
func elementCount(dims []int, size int) (int, error) {
	n := 1
	for _, d := range dims {
		if d == 0 {
			return 0, nil
		}
	}
	limit := math.MaxInt / size
	for _, d := range dims {
		if d > limit/n {
			return 0, fmt.Errorf("dimensions %v: element count overflows", dims)
		}
		n *= d
	}
	return n, nil
}

// ReadIDX reads one IDX array from r, which may be gzip-compressed (detected
// from its first bytes). It reads r to its end: data after the array is an
// error, as is a truncated array.
//
// Memory is allocated as data arrives, so a header that declares more data
// than r holds cannot cause a large allocation. When r is an *os.File on a
// regular file, or has a Len method (such as *bytes.Reader), the declared size
// is also checked against the input size before anything is read.
func ReadIDX(r io.Reader) (Array, error) {
	a, err := readIDX(r)
	if err != nil {
		return Array{}, fmt.Errorf("mnistio: %w", err)
	}
	return a, nil
}

// ReadIDXFile reads the IDX file at path, as [ReadIDX] does.
func ReadIDXFile(path string) (Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return Array{}, fmt.Errorf("mnistio: %w", err)
	}
	defer f.Close()
	a, err := readIDX(f)
	if err != nil {
		return Array{}, fmt.Errorf("mnistio: %s: %w", path, err)
	}
	return a, nil
}

func readIDX(r io.Reader) (Array, error) {
	s, err := openStream(r)
	if err != nil {
		return Array{}, err
	}
	var data any
	switch s.typ {
	case Uint8:
		data, err = readBytes(s)
	case Int8:
		data, err = readElems(s, func(dst []int8, src []byte) {
			for i, b := range src {
				dst[i] = int8(b)
			}
		})
	case Int16:
		data, err = readElems(s, func(dst []int16, src []byte) {
			for i := range dst {
				dst[i] = int16(binary.BigEndian.Uint16(src[2*i:]))
			}
		})
	case Int32:
		data, err = readElems(s, func(dst []int32, src []byte) {
			for i := range dst {
				dst[i] = int32(binary.BigEndian.Uint32(src[4*i:]))
			}
		})
	case Float32:
		data, err = readElems(s, func(dst []float32, src []byte) {
			for i := range dst {
				dst[i] = math.Float32frombits(binary.BigEndian.Uint32(src[4*i:]))
			}
		})
	case Float64:
		data, err = readElems(s, func(dst []float64, src []byte) {
			for i := range dst {
				dst[i] = math.Float64frombits(binary.BigEndian.Uint64(src[8*i:]))
			}
		})
	}
	if err != nil {
		return Array{}, err
	}
	if err := s.finish(); err != nil {
		return Array{}, err
	}
	return Array{Type: s.typ, Dims: s.dims, Data: data}, nil
}

// WriteIDX writes a to w as an IDX file, gzip-compressed if compress is set.
// It returns an error, and writes nothing, if a is not consistent: an unknown
// Type, Data of another Go type, no dimensions or more than [MaxDims], a
// dimension outside 0..2³²-1, or a length of Data other than the product of
// Dims.
func WriteIDX(w io.Writer, a Array, compress bool) error {
	if err := writeIDX(w, a, compress); err != nil {
		return fmt.Errorf("mnistio: write IDX: %w", err)
	}
	return nil
}

// WriteIDXFile writes a to the file at path as [WriteIDX] does. The file is
// replaced atomically: the data goes to a temporary file in the same folder,
// which is synced and then renamed to path.
func WriteIDXFile(path string, a Array, compress bool) error {
	if err := a.validate(); err != nil {
		return fmt.Errorf("mnistio: %s: %w", path, err)
	}
	err := writeFileAtomic(path, func(w io.Writer) error { return writeIDX(w, a, compress) })
	if err != nil {
		return fmt.Errorf("mnistio: %s: %w", path, err)
	}
	return nil
}

// writeFileAtomic calls write with a temporary file in path's folder and,
// if that succeeds, syncs the file and renames it to path. On any error the
// temporary file is removed.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := write(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func writeIDX(w io.Writer, a Array, compress bool) error {
	if err := a.validate(); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	var out io.Writer = bw
	var gz *gzipWriter
	if compress {
		gz = newGzipWriter(bw)
		out = gz
	}
	hdr := make([]byte, 4+4*len(a.Dims))
	hdr[2], hdr[3] = byte(a.Type), byte(len(a.Dims))
	for i, d := range a.Dims {
		binary.BigEndian.PutUint32(hdr[4+4*i:], uint32(d))
	}
	if _, err := out.Write(hdr); err != nil {
		return err
	}
	var err error
	switch d := a.Data.(type) {
	case []uint8:
		_, err = out.Write(d)
	case []int8:
		err = writeElems(out, d, 1, func(dst []byte, src []int8) {
			for i, v := range src {
				dst[i] = byte(v)
			}
		})
	case []int16:
		err = writeElems(out, d, 2, func(dst []byte, src []int16) {
			for i, v := range src {
				binary.BigEndian.PutUint16(dst[2*i:], uint16(v))
			}
		})
	case []int32:
		err = writeElems(out, d, 4, func(dst []byte, src []int32) {
			for i, v := range src {
				binary.BigEndian.PutUint32(dst[4*i:], uint32(v))
			}
		})
	case []float32:
		err = writeElems(out, d, 4, func(dst []byte, src []float32) {
			for i, v := range src {
				binary.BigEndian.PutUint32(dst[4*i:], math.Float32bits(v))
			}
		})
	case []float64:
		err = writeElems(out, d, 8, func(dst []byte, src []float64) {
			for i, v := range src {
				binary.BigEndian.PutUint64(dst[8*i:], math.Float64bits(v))
			}
		})
	}
	if err != nil {
		return err
	}
	if gz != nil {
		if err := gz.Close(); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// chunkBytes is the size of the scratch buffer used to convert elements
// between their file and memory forms.
const chunkBytes = 32 << 10

func writeElems[T any](w io.Writer, data []T, size int, encode func(dst []byte, src []T)) error {
	buf := make([]byte, min(len(data)*size, chunkBytes))
	per := chunkBytes / size
	for len(data) > 0 {
		k := min(per, len(data))
		encode(buf[:k*size], data[:k])
		if _, err := w.Write(buf[:k*size]); err != nil {
			return err
		}
		data = data[k:]
	}
	return nil
}
