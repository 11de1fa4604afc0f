package main

/*
#include <stdlib.h>
#include <string.h>
#include "shim.h"
*/
import "C"

import (
	"context"
	"unsafe"

	"github.com/mlpgo/mlpgo/mnistio"
)

//export mlpgo_mnist_fetch
func mlpgo_mnist_fetch(dir, path *C.char, pathLen C.int64_t, needed *C.int64_t) (st C.mlpgo_status) {
	defer guard("mlpgo_mnist_fetch", &st)
	return done("mlpgo_mnist_fetch", fetch(dir, path, pathLen, needed))
}

func fetch(dir, path *C.char, pathLen C.int64_t, needed *C.int64_t) error {
	if pathLen < 0 || (path == nil && pathLen > 0) {
		return errorf(C.MLPGO_ERR_INVALID_ARGUMENT, "path is %p with path_len %d", path, int64(pathLen))
	}
	var opt mnistio.FetchOptions
	if dir != nil {
		opt.Dir = C.GoString(dir)
	}
	folder, err := mnistio.Fetch(context.Background(), opt)
	if err != nil {
		return err
	}
	return copyString("path", folder, path, pathLen, needed)
}

// copyString copies s and a NUL into the caller's buffer buf of bufLen
// bytes and the size that needs into *needed (if not NULL). If s does not
// fit, buf is left as it was and the error is MLPGO_ERR_BUFFER_TOO_SMALL.
func copyString(name, s string, buf *C.char, bufLen C.int64_t, needed *C.int64_t) error {
	size := C.int64_t(len(s)) + 1
	if needed != nil {
		*needed = size
	}
	if size > bufLen {
		return errorf(C.MLPGO_ERR_BUFFER_TOO_SMALL, "%s needs %d bytes, %s_len is %d", name, int64(size), name, int64(bufLen))
	}
	dst := unsafe.Slice((*byte)(unsafe.Pointer(buf)), size)
	copy(dst, s)
	dst[len(s)] = 0
	return nil
}

var scalings = enum[mnistio.Scaling]{"scaling", []enumPair[mnistio.Scaling]{
	{C.MLPGO_SCALE_SYMMETRIC, mnistio.ScaleSymmetric},
	{C.MLPGO_SCALE_UNIT, mnistio.ScaleUnit},
	{C.MLPGO_SCALE_RAW, mnistio.ScaleRaw},
}}

//export mlpgo_dataset_load
func mlpgo_dataset_load(dir, split *C.char, scaling C.int32_t, classes C.int64_t, ds *C.mlpgo_dataset) (st C.mlpgo_status) {
	defer guard("mlpgo_dataset_load", &st)
	return done("mlpgo_dataset_load", loadDataset(dir, split, scaling, classes, ds))
}

func loadDataset(dir, split *C.char, scaling C.int32_t, classes C.int64_t, ds *C.mlpgo_dataset) error {
	switch {
	case dir == nil:
		return errNull("dir")
	case split == nil:
		return errNull("split")
	case ds == nil:
		return errNull("ds")
	}
	if err := checkSize("mlpgo_dataset", ds.struct_size, unsafe.Sizeof(*ds)); err != nil {
		return err
	}
	*ds = C.mlpgo_dataset{struct_size: ds.struct_size}
	sc, err := scalings.toGo(scaling)
	if err != nil {
		return err
	}
	if classes < 0 || classes > 256 {
		return errorf(C.MLPGO_ERR_INVALID_ARGUMENT, "classes is %d, want 0 (for 10) to 256", int64(classes))
	}
	d, err := mnistio.Load(C.GoString(dir), C.GoString(split), mnistio.Options{Scaling: sc, Classes: int(classes)})
	if err != nil {
		return err
	}
	// The caller owns the arrays, so they live in C memory; Go's copy is
	// garbage once this returns.
	x := C.malloc(C.size_t(len(d.Data)) * C.sizeof_float)
	y := C.malloc(C.size_t(max(len(d.Labels), 1)))
	if x == nil || y == nil {
		C.free(x)
		C.free(y)
		return errorf(C.MLPGO_ERR_NO_MEMORY, "out of memory for %d samples", d.N)
	}
	copy(unsafe.Slice((*float32)(x), len(d.Data)), d.Data)
	copy(unsafe.Slice((*uint8)(y), len(d.Labels)), d.Labels)
	*ds = C.mlpgo_dataset{
		struct_size: ds.struct_size,
		rows:        C.int64_t(d.N),
		cols:        C.int64_t(d.Features),
		height:      C.int64_t(d.Height),
		width:       C.int64_t(d.Width),
		classes:     C.int64_t(d.Classes),
		x:           (*C.float)(x),
		labels:      (*C.uint8_t)(y),
	}
	return nil
}

//export mlpgo_dataset_free
func mlpgo_dataset_free(ds *C.mlpgo_dataset) (st C.mlpgo_status) {
	defer guard("mlpgo_dataset_free", &st)
	if ds == nil {
		return C.MLPGO_OK
	}
	if err := checkSize("mlpgo_dataset", ds.struct_size, unsafe.Sizeof(*ds)); err != nil {
		return done("mlpgo_dataset_free", err)
	}
	C.free(unsafe.Pointer(ds.x))
	C.free(unsafe.Pointer(ds.labels))
	*ds = C.mlpgo_dataset{struct_size: ds.struct_size}
	return C.MLPGO_OK
}
