package mnistio

import (
	"errors"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"io"
)

// The gzip implementation, kept in one place so it can be swapped.
type (
	gzipReader = gzip.Reader
	gzipWriter = gzip.Writer
)

func newGzipReader(r io.Reader) (*gzipReader, error) { return gzip.NewReader(r) }

func newGzipWriter(w io.Writer) *gzipWriter { return gzip.NewWriter(w) }

// isCorrupt reports whether err says that gzip data is invalid (as opposed to
// an I/O error of the underlying reader).
func isCorrupt(err error) bool {
	var ce flate.CorruptInputError
	return errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.As(err, &ce)
}
