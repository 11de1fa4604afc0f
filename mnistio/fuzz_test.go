package mnistio

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzReadIDX feeds arbitrary bytes to ReadIDX. Every input must either fail
// with ErrFormat, with and without the reader knowing the input size, or
// give an array that is valid and that re-encodes to the same bytes.
// The seed corpus is in testdata/fuzz/FuzzReadIDX.
func FuzzReadIDX(f *testing.F) {
	f.Add(cat(idxHeader(Uint8, 2, 2), []byte{1, 2, 3, 4}))
	f.Add(cat(idxHeader(Float32, 1), []byte{0x7f, 0xc0, 0, 1}))
	f.Add(gzipBytes(f, cat(idxHeader(Int16, 2), []byte{0, 1, 0, 2})))
	f.Fuzz(func(t *testing.T, in []byte) {
		a, err := ReadIDX(bytes.NewReader(in))
		_, errStream := ReadIDX(onlyReader{bytes.NewReader(in)})
		if (err == nil) != (errStream == nil) {
			t.Fatalf("ReadIDX(bytes.Reader) error = %v but ReadIDX(stream) error = %v", err, errStream)
		}
		if err != nil {
			if !errors.Is(err, ErrFormat) || !errors.Is(errStream, ErrFormat) {
				t.Fatalf("ReadIDX errors %q and %q, want both to wrap ErrFormat", err, errStream)
			}
			return
		}
		if err := a.validate(); err != nil {
			t.Fatalf("ReadIDX returned an invalid array: %v", err)
		}
		raw := encodeRaw(t, a)
		if !bytes.HasPrefix(in, []byte{0x1f, 0x8b}) && !bytes.Equal(raw, in) {
			t.Fatalf("re-encoding gives % x, want the input % x", raw, in)
		}
		b, err := ReadIDX(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("ReadIDX of the re-encoded array: %v", err)
		}
		if again := encodeRaw(t, b); !bytes.Equal(again, raw) {
			t.Fatalf("second round trip gives % x, want % x", again, raw)
		}
	})
}
