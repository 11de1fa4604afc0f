package mnistio

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"unsafe"
)

// maxInflateRatio bounds how many bytes deflate can produce from one byte of
// compressed input (1032 in theory), with a margin.
const maxInflateRatio = 1100

// growBytes is how much memory, in bytes of output, the readers allocate at
// first when the input cannot vouch for the size its header declares. From
// there a buffer at most doubles, and only once it is full, so the memory
// held is never more than about twice what was actually read plus growBytes.
const growBytes = 1 << 20

// stream is an IDX input whose header has been read: the elements follow.
type stream struct {
	typ  Type
	dims []int
	n    int       // number of elements
	r    io.Reader // the elements: br, or gz reading from br
	br   *bufio.Reader
	gz   *gzipReader
	// sized is set when the input is known to hold exactly the declared
	// data, so that the whole output can be allocated at once.
	sized bool
}

// inputSize reports what can be known of r's size without reading it: the
// number of bytes left (or -1) and, for a regular file, the last four bytes
// read as a gzip trailer's ISIZE field (or -1).
func inputSize(r io.Reader) (remaining, isize int64) {
	remaining, isize = -1, -1
	switch v := r.(type) {
	case *os.File:
		st, err := v.Stat()
		if err != nil || !st.Mode().IsRegular() {
			return
		}
		off, err := v.Seek(0, io.SeekCurrent)
		if err != nil || off > st.Size() {
			return
		}
		remaining = st.Size() - off
		var b [4]byte
		if remaining >= 18 {
			if _, err := v.ReadAt(b[:], st.Size()-4); err == nil {
				isize = int64(binary.LittleEndian.Uint32(b[:]))
			}
		}
	case interface{ Len() int }:
		remaining = int64(v.Len())
	}
	return
}

// openStream reads the IDX header from r, recognising gzip, and checks that
// the declared size is possible for the input.
func openStream(r io.Reader) (*stream, error) {
	remaining, isize := inputSize(r)
	br := bufio.NewReaderSize(r, 64<<10)
	s := &stream{br: br, r: br}
	head, err := br.Peek(2)
	if len(head) == 0 && err == io.EOF {
		return nil, fmt.Errorf("%w: empty input", ErrFormat)
	}
	gzipped := len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b
	if gzipped {
		gz, err := newGzipReader(br)
		if err != nil {
			return nil, readError("gzip header", err)
		}
		s.gz, s.r = gz, gz
	}
	var magic [4]byte
	if _, err := io.ReadFull(s.r, magic[:]); err != nil {
		return nil, readError("header", err)
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, fmt.Errorf("%w: bad magic number 0x%08x, want 0x0000TTDD", ErrFormat, binary.BigEndian.Uint32(magic[:]))
	}
	s.typ = Type(magic[2])
	size := s.typ.Size()
	if size == 0 {
		return nil, fmt.Errorf("%w: unknown element type 0x%02x", ErrFormat, magic[2])
	}
	nd := int(magic[3])
	if nd == 0 {
		return nil, fmt.Errorf("%w: no dimensions", ErrFormat)
	}
	raw := make([]byte, 4*nd)
	if _, err := io.ReadFull(s.r, raw); err != nil {
		return nil, readError("dimensions", err)
	}
	s.dims = make([]int, nd)
	for i := range s.dims {
		d := uint64(binary.BigEndian.Uint32(raw[4*i:]))
		if d > math.MaxInt {
			return nil, fmt.Errorf("%w: dimension %d is %d, too large for this platform", ErrFormat, i, d)
		}
		s.dims[i] = int(d)
	}
	if s.n, err = elementCount(s.dims, size); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	dataBytes := int64(s.n) * int64(size)
	headerBytes := int64(4 + 4*nd)
	switch {
	case remaining < 0:
	case !gzipped:
		avail := remaining - headerBytes
		if dataBytes > avail {
			return nil, fmt.Errorf("%w: dimensions %v declare %d bytes of %s data but only %d bytes follow the header",
				ErrFormat, s.dims, dataBytes, s.typ, avail)
		}
		if dataBytes < avail {
			return nil, fmt.Errorf("%w: dimensions %v declare %d bytes of %s data but %d bytes follow the header (trailing data)",
				ErrFormat, s.dims, dataBytes, s.typ, avail)
		}
		s.sized = true
	default:
		total := headerBytes + dataBytes
		if remaining <= math.MaxInt64/maxInflateRatio && total > remaining*maxInflateRatio {
			return nil, fmt.Errorf("%w: dimensions %v declare %d bytes of %s data, more than %d bytes of gzip data can hold",
				ErrFormat, s.dims, dataBytes, s.typ, remaining)
		}
		// The trailer's ISIZE is the uncompressed size modulo 2³²; with
		// the ratio bound above it makes a lying header unlikely, and if
		// the header lies anyway the allocation stays within that bound.
		s.sized = isize >= 0 && uint32(total) == uint32(isize)
	}
	return s, nil
}

// readError turns an error met while reading part of the input into an
// error that says what was being read and wraps ErrFormat when the input is
// truncated or corrupt.
func readError(what string, err error) error {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: truncated %s: %w", ErrFormat, what, io.ErrUnexpectedEOF)
	case isCorrupt(err):
		return fmt.Errorf("%w: %s: %w", ErrFormat, what, err)
	}
	return fmt.Errorf("reading %s: %w", what, err)
}

// dataError is readError for the elements, saying how many were read.
func (s *stream) dataError(done int, err error) error {
	return readError(fmt.Sprintf("data after %d of %d %s elements", done, s.n, s.typ), err)
}

// initialCap returns the number of elements, each taking size bytes in
// memory, to allocate before reading.
func (s *stream) initialCap(size int) int {
	if s.sized {
		return s.n
	}
	return min(s.n, max(1, growBytes/size))
}

// grow returns buf with room for more elements, at most doubling its
// capacity and never beyond n.
func grow[T any](buf []T, n int) []T {
	nb := make([]T, len(buf), min(n, max(2*cap(buf), 1)))
	copy(nb, buf)
	return nb
}

// readBytes reads the elements of a Uint8 stream straight into the result.
func readBytes(s *stream) ([]uint8, error) {
	out := make([]uint8, 0, s.initialCap(1))
	for len(out) < s.n {
		if len(out) == cap(out) {
			out = grow(out, s.n)
		}
		k, err := io.ReadFull(s.r, out[len(out):cap(out)])
		out = out[:len(out)+k]
		if err != nil {
			return nil, s.dataError(len(out), err)
		}
	}
	return out, nil
}

// readElems reads the elements of s, calling decode to convert each chunk
// of raw bytes (len(dst) elements of s.typ.Size() bytes each) into the
// result. Large inputs are read and decompressed on a second goroutine,
// so that decompression overlaps with decoding (and with the page faults
// of writing a fresh result buffer).
func readElems[T any](s *stream, decode func(dst []T, src []byte)) ([]T, error) {
	var zero T
	out := make([]T, 0, s.initialCap(int(unsafe.Sizeof(zero))))
	size := s.typ.Size()
	if int64(s.n)*int64(size) >= pipelineBytes && runtime.GOMAXPROCS(0) > 1 {
		return readElemsPipelined(s, out, decode)
	}
	scratch := make([]byte, min(chunkBytes, s.n*size))
	per := chunkBytes / size
	for len(out) < s.n {
		if len(out) == cap(out) {
			out = grow(out, s.n)
		}
		k := min(per, cap(out)-len(out))
		raw := scratch[:k*size]
		if n, err := io.ReadFull(s.r, raw); err != nil {
			return nil, s.dataError(len(out)+n/size, err)
		}
		decode(out[len(out):len(out)+k], raw)
		out = out[:len(out)+k]
	}
	return out, nil
}

// pipelineBytes is the data size from which readElems reads on a second
// goroutine; pipelineChunk is the size of the buffers passed between the
// two, and pipelineDepth their number.
const (
	pipelineBytes = 4 << 20
	pipelineChunk = 256 << 10
	pipelineDepth = 4
)

// readElemsPipelined is readElems with the reading done by a goroutine that
// fills pipelineDepth buffers in turn. When it returns, the goroutine has
// stopped using s.
func readElemsPipelined[T any](s *stream, out []T, decode func(dst []T, src []byte)) ([]T, error) {
	type block struct {
		buf []byte
		n   int
		err error
	}
	size := s.typ.Size()
	chunk := pipelineChunk / size * size
	free := make(chan []byte, pipelineDepth)
	full := make(chan block, pipelineDepth)
	for range pipelineDepth {
		free <- make([]byte, chunk)
	}
	stop := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for left := int64(s.n) * int64(size); left > 0; {
			var buf []byte
			select {
			case buf = <-free:
			case <-stop:
				return
			}
			k := int(min(int64(len(buf)), left))
			n, err := io.ReadFull(s.r, buf[:k])
			full <- block{buf, n, err} // never blocks: at most pipelineDepth blocks exist
			if err != nil {
				return
			}
			left -= int64(k)
		}
	}()
	defer func() {
		close(stop)
		<-stopped
	}()
	for len(out) < s.n {
		b := <-full
		k := b.n / size
		for len(out)+k > cap(out) {
			out = grow(out, s.n)
		}
		decode(out[len(out):len(out)+k], b.buf[:k*size])
		out = out[:len(out)+k]
		if b.err != nil {
			return nil, s.dataError(len(out), b.err)
		}
		free <- b.buf
	}
	return out, nil
}

// finish checks that the input ends right after the elements. For gzip this
// also makes the reader verify the trailer's CRC-32 and size.
func (s *stream) finish() error {
	var b [1]byte
	n, err := io.ReadFull(s.r, b[:])
	if n > 0 {
		return fmt.Errorf("%w: trailing data after %d %s elements", ErrFormat, s.n, s.typ)
	}
	if err == io.EOF {
		return nil
	}
	return readError("gzip data after the elements", err)
}
