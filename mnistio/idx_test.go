package mnistio

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// onlyReader hides every method but Read, so that the reader cannot learn
// the input's size and must fall back to growing its buffers.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// encodeRaw returns the uncompressed IDX encoding of a, failing the test on
// error. Comparing encodings compares arrays bit for bit (NaNs included).
func encodeRaw(t testing.TB, a Array) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteIDX(&buf, a, false); err != nil {
		t.Fatalf("WriteIDX: %v", err)
	}
	return buf.Bytes()
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// idxHeader builds an IDX header by hand.
func idxHeader(t Type, dims ...uint32) []byte {
	b := []byte{0, 0, byte(t), byte(len(dims))}
	for _, d := range dims {
		b = append(b, byte(d>>24), byte(d>>16), byte(d>>8), byte(d))
	}
	return b
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// testArrays returns arrays of every element type and several shapes,
// including extreme values, NaN and empty dimensions.
func testArrays() map[string]Array {
	big := make([]float64, 100_003) // crosses the scratch chunks and growBytes
	for i := range big {
		big[i] = math.Sin(float64(i)) * 1e300
	}
	// Large enough for readElems to read on a second goroutine.
	pipelined := make([]float32, 5*(pipelineBytes/20+2000))
	for i := range pipelined {
		pipelined[i] = float32(i) * 0.25
	}
	bigBytes := make([]uint8, 3<<20+7)
	for i := range bigBytes {
		bigBytes[i] = uint8(i * 7)
	}
	return map[string]Array{
		"uint8":             {Uint8, []int{2, 3}, []uint8{0, 1, 127, 128, 254, 255}},
		"uint8/3d":          {Uint8, []int{2, 2, 2}, []uint8{1, 2, 3, 4, 5, 6, 7, 8}},
		"uint8/big":         {Uint8, []int{len(bigBytes)}, bigBytes},
		"int8":              {Int8, []int{5}, []int8{-128, -1, 0, 1, 127}},
		"int16":             {Int16, []int{1, 4}, []int16{math.MinInt16, -1, 300, math.MaxInt16}},
		"int32":             {Int32, []int{2, 2}, []int32{math.MinInt32, -7, 65536, math.MaxInt32}},
		"float32":           {Float32, []int{6}, []float32{0, float32(math.Copysign(0, -1)), 1.5, -3.25e-38, float32(math.Inf(-1)), float32(math.NaN())}},
		"float64":           {Float64, []int{3, 1, 2}, []float64{math.SmallestNonzeroFloat64, -math.MaxFloat64, math.Pi, math.Inf(1), math.NaN(), -0.5}},
		"float64/big":       {Float64, []int{len(big)}, big},
		"float32/pipelined": {Float32, []int{len(pipelined) / 5, 5}, pipelined},
		"int16/empty":       {Int16, []int{3, 0, 5}, []int16{}},
		"uint8/manydim":     {Uint8, []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2}, []uint8{9, 8}},
	}
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for name, a := range testArrays() {
		want := encodeRaw(t, a)
		for _, compress := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/gzip=%v", name, compress), func(t *testing.T) {
				var buf bytes.Buffer
				if err := WriteIDX(&buf, a, compress); err != nil {
					t.Fatalf("WriteIDX: %v", err)
				}
				if gz := bytes.HasPrefix(buf.Bytes(), []byte{0x1f, 0x8b}); gz != compress {
					t.Fatalf("WriteIDX(compress=%v) wrote gzip=%v", compress, gz)
				}
				path := filepath.Join(dir, strings.ReplaceAll(name, "/", "_")+fmt.Sprint(compress))
				if err := WriteIDXFile(path, a, compress); err != nil {
					t.Fatalf("WriteIDXFile: %v", err)
				}
				readers := map[string]func() (Array, error){
					"bytes.Reader": func() (Array, error) { return ReadIDX(bytes.NewReader(buf.Bytes())) },
					"stream":       func() (Array, error) { return ReadIDX(onlyReader{bytes.NewReader(buf.Bytes())}) },
					"file":         func() (Array, error) { return ReadIDXFile(path) },
				}
				for rname, read := range readers {
					got, err := read()
					if err != nil {
						t.Fatalf("%s: ReadIDX: %v", rname, err)
					}
					if got.Type != a.Type || fmt.Sprint(got.Dims) != fmt.Sprint(a.Dims) {
						t.Fatalf("%s: got type %s dims %v, want %s %v", rname, got.Type, got.Dims, a.Type, a.Dims)
					}
					if g := encodeRaw(t, got); !bytes.Equal(g, want) {
						t.Errorf("%s: read back %d bytes that differ from the %d written", rname, len(g), len(want))
					}
				}
			})
		}
	}
}

// TestReadGolden checks decoding against hand-encoded bytes, so the round
// trip cannot hide a symmetric mistake in the encoder and decoder.
func TestReadGolden(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string // fmt.Sprint of Data
	}{
		{"uint8", cat(idxHeader(Uint8, 3), []byte{0, 0x7f, 0xff}), "[0 127 255]"},
		{"int8", cat(idxHeader(Int8, 3), []byte{0, 0x7f, 0xff}), "[0 127 -1]"},
		{"int16", cat(idxHeader(Int16, 2), []byte{0xff, 0xfe, 0x01, 0x2c}), "[-2 300]"},
		{"int32", cat(idxHeader(Int32, 2), []byte{0x80, 0, 0, 0, 0, 1, 0, 0}), "[-2147483648 65536]"},
		{"float32", cat(idxHeader(Float32, 2), []byte{0x3f, 0xc0, 0, 0, 0xc0, 0x49, 0x0f, 0xdb}), "[1.5 -3.1415927]"},
		{"float64", cat(idxHeader(Float64, 1), []byte{0xbf, 0xe0, 0, 0, 0, 0, 0, 0}), "[-0.5]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, in := range [][]byte{tt.in, gzipBytes(t, tt.in)} {
				a, err := ReadIDX(bytes.NewReader(in))
				if err != nil {
					t.Fatalf("ReadIDX: %v", err)
				}
				if got := fmt.Sprint(a.Data); got != tt.want {
					t.Errorf("ReadIDX data = %s, want %s", got, tt.want)
				}
				if got := fmt.Sprintf("%T", a.Data); got != "[]"+tt.name {
					t.Errorf("ReadIDX data type = %s, want []%s", got, tt.name)
				}
			}
			if got := encodeRaw(t, mustRead(t, tt.in)); !bytes.Equal(got, tt.in) {
				t.Errorf("WriteIDX = % x, want % x", got, tt.in)
			}
		})
	}
}

func mustRead(t *testing.T, b []byte) Array {
	t.Helper()
	a, err := ReadIDX(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("ReadIDX: %v", err)
	}
	return a
}

// TestReadMultiMemberGzip reads a gzip file made of two members, whose
// trailer does not give the total size, so the reader must grow its buffer.
func TestReadMultiMemberGzip(t *testing.T) {
	raw := cat(idxHeader(Int16, 4), []byte{0, 1, 0, 2, 0, 3, 0, 4})
	in := cat(gzipBytes(t, raw[:9]), gzipBytes(t, raw[9:]))
	path := filepath.Join(t.TempDir(), "multi.gz")
	if err := os.WriteFile(path, in, 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := ReadIDXFile(path)
	if err != nil {
		t.Fatalf("ReadIDXFile: %v", err)
	}
	if got, want := fmt.Sprint(a.Data), "[1 2 3 4]"; got != want {
		t.Errorf("ReadIDXFile data = %s, want %s", got, want)
	}
}

func TestReadErrors(t *testing.T) {
	valid := cat(idxHeader(Int16, 2, 2), []byte{0, 1, 0, 2, 0, 3, 0, 4})
	gzValid := gzipBytes(t, valid)
	badCRC := bytes.Clone(gzValid)
	badCRC[len(badCRC)-8] ^= 0xff
	badSize := bytes.Clone(gzValid)
	badSize[len(badSize)-1] ^= 0xff
	corrupt := bytes.Clone(gzValid)
	corrupt[12] ^= 0x55
	huge := gzipBytes(t, idxHeader(Float64, 1<<15, 1<<15))
	tests := []struct {
		name string
		in   []byte
		want string // a substring of the error message
	}{
		{"empty", nil, "empty input"},
		{"short header", []byte{0, 0, 8}, "truncated header"},
		{"bad magic", cat([]byte{1, 0, 8, 1}, make([]byte, 5)), "bad magic number 0x01000801, want 0x0000TTDD"},
		{"bad magic 2", cat([]byte{0, 7, 8, 1}, make([]byte, 5)), "bad magic number 0x00070801"},
		{"unknown type", idxHeader(0x0a, 1), "unknown element type 0x0a"},
		{"unknown type 0", idxHeader(0, 1), "unknown element type 0x00"},
		{"no dims", idxHeader(Uint8), "no dimensions"},
		{"short dims", idxHeader(Uint8, 1, 2)[:9], "truncated dimensions"},
		{"overflow", idxHeader(Float64, 0xffffffff, 0xffffffff, 0xffffffff), "element count overflows"},
		{"exceeds input", cat(idxHeader(Int32, 1000, 1000), []byte{1, 2}), "declare 4000000 bytes of int32 data but only 2 bytes follow the header"},
		{"truncated", valid[:len(valid)-1], "but only 7 bytes follow the header"},
		{"trailing", cat(valid, []byte{9}), "9 bytes follow the header (trailing data)"},
		{"gzip truncated", gzValid[:len(gzValid)-10], "truncated"},
		{"gzip bad crc", badCRC, "gzip: invalid checksum"},
		{"gzip bad size", badSize, "gzip: invalid checksum"},
		{"gzip corrupt", corrupt, "invalid data"},
		{"gzip bad header", []byte{0x1f, 0x8b, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "gzip header: gzip: invalid header"},
		{"gzip trailing", cat(gzValid, []byte{1, 2, 3}), "truncated gzip data after the elements"},
		{"gzip trailing data", gzipBytes(t, cat(valid, []byte{5})), "trailing data after 4 int16 elements"},
		{"gzip exceeds input", huge, "more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadIDX(bytes.NewReader(tt.in))
			if err == nil {
				t.Fatalf("ReadIDX succeeded, want an error containing %q", tt.want)
			}
			if !errors.Is(err, ErrFormat) {
				t.Errorf("ReadIDX error %q does not wrap ErrFormat", err)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "mnistio: invalid data: ") {
				t.Errorf("ReadIDX error = %q, want it to start with %q and contain %q", err, "mnistio: invalid data: ", tt.want)
			}
			// Without knowing the input size the reader must fail too.
			if _, err := ReadIDX(onlyReader{bytes.NewReader(tt.in)}); !errors.Is(err, ErrFormat) {
				t.Errorf("ReadIDX(stream) error = %v, want one wrapping ErrFormat", err)
			}
		})
	}
}

// TestReadStreamErrors checks the messages given when the input size is
// unknown, so problems show up only while reading.
func TestReadStreamErrors(t *testing.T) {
	valid := cat(idxHeader(Int16, 2, 2), []byte{0, 1, 0, 2, 0, 3, 0, 4})
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"truncated", valid[:len(valid)-3], "truncated data after 2 of 4 int16 elements: unexpected EOF"},
		{"truncated uint8", cat(idxHeader(Uint8, 10), []byte{1, 2, 3}), "truncated data after 3 of 10 uint8 elements"},
		{"trailing", cat(valid, []byte{9}), "trailing data after 4 int16 elements"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadIDX(onlyReader{bytes.NewReader(tt.in)})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ReadIDX error = %v, want one containing %q", err, tt.want)
			}
			if !errors.Is(err, ErrFormat) {
				t.Errorf("ReadIDX error %q does not wrap ErrFormat", err)
			}
		})
	}
	// The same through the pipelined reader, truncated in its third chunk.
	big := encodeRaw(t, Array{Float64, []int{pipelineBytes / 8}, make([]float64, pipelineBytes/8)})
	cut := 4 + 4 + 2*pipelineChunk + 8*1000 + 3
	for name, in := range map[string][]byte{"raw": big[:cut], "gzip": gzipBytes(t, big[:cut])} {
		_, err := ReadIDX(onlyReader{bytes.NewReader(in)})
		want := fmt.Sprintf("truncated data after %d of %d float64 elements", 2*pipelineChunk/8+1000, pipelineBytes/8)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadIDX(%s, pipelined) error = %v, want one containing %q", name, err, want)
		}
	}
	_, err := ReadIDX(onlyReader{bytes.NewReader(valid[:len(valid)-3])})
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("ReadIDX(truncated) error %q does not wrap io.ErrUnexpectedEOF", err)
	}
}

func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad-idx1-ubyte")
	if err := os.WriteFile(path, cat(idxHeader(Uint8, 1<<30), []byte{1, 2, 3}), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadIDXFile(path)
	want := "mnistio: " + path + ": invalid data: dimensions [1073741824] declare 1073741824 bytes of uint8 data but only 3 bytes follow the header"
	if err == nil || err.Error() != want {
		t.Errorf("ReadIDXFile error = %v, want %s", err, want)
	}
	_, err = ReadIDXFile(filepath.Join(dir, "missing"))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "missing") {
		t.Errorf("ReadIDXFile(missing) error = %v, want a not-exist error naming the file", err)
	}
}

// TestReadLyingHeaderAllocation checks that a header declaring gigabytes
// does not make the reader allocate them when the input is a stream of
// unknown size, raw or compressed.
func TestReadLyingHeaderAllocation(t *testing.T) {
	raw := cat(idxHeader(Float64, 1<<14, 1<<14), make([]byte, 4096))
	tests := map[string][]byte{"raw": raw, "gzip": gzipBytes(t, raw)}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := ReadIDX(onlyReader{bytes.NewReader(in)})
			runtime.ReadMemStats(&after)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("ReadIDX error = %v, want a truncation error", err)
			}
			if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(8<<20); got > limit {
				t.Errorf("ReadIDX allocated %d bytes for a 2 GiB header on %d bytes of input, want at most %d", got, len(in), limit)
			}
		})
	}
}

func TestWriteErrors(t *testing.T) {
	tests := []struct {
		name string
		a    Array
		want string
	}{
		{"unknown type", Array{Type(3), []int{1}, []uint8{1}}, "unknown element type Type(0x03)"},
		{"type mismatch", Array{Int16, []int{1}, []int32{1}}, "Data is []int32 but Type is int16"},
		{"not a slice", Array{Uint8, []int{1}, "x"}, "Data has Go type string"},
		{"nil data", Array{Uint8, []int{1}, nil}, "Data has Go type <nil>"},
		{"no dims", Array{Uint8, nil, []uint8{}}, "0 dimensions, want 1 to 255"},
		{"too many dims", Array{Uint8, make([]int, 256), []uint8{}}, "256 dimensions, want 1 to 255"},
		{"negative dim", Array{Uint8, []int{2, -1}, []uint8{}}, "dimension 1 is -1"},
		{"length", Array{Float32, []int{2, 3}, make([]float32, 5)}, "dimensions [2 3] hold 6 elements but Data has 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := WriteIDX(&buf, tt.a, false)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("WriteIDX error = %v, want one containing %q", err, tt.want)
			}
			if buf.Len() != 0 {
				t.Errorf("WriteIDX wrote %d bytes before failing, want 0", buf.Len())
			}
			path := filepath.Join(t.TempDir(), "out")
			if err := WriteIDXFile(path, tt.a, true); err == nil {
				t.Errorf("WriteIDXFile succeeded, want an error")
			}
			if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 0 {
				t.Errorf("WriteIDXFile left %d files behind after failing", len(entries))
			}
		})
	}
}

func TestTypeString(t *testing.T) {
	tests := []struct {
		t    Type
		name string
		size int
	}{
		{Uint8, "uint8", 1}, {Int8, "int8", 1}, {Int16, "int16", 2}, {Int32, "int32", 4},
		{Float32, "float32", 4}, {Float64, "float64", 8}, {0x0a, "Type(0x0a)", 0},
	}
	for _, tt := range tests {
		if got := tt.t.String(); got != tt.name {
			t.Errorf("Type(0x%02x).String() = %q, want %q", byte(tt.t), got, tt.name)
		}
		if got := tt.t.Size(); got != tt.size {
			t.Errorf("Type(0x%02x).Size() = %d, want %d", byte(tt.t), got, tt.size)
		}
	}
}
