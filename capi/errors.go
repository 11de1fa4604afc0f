package main

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"runtime/debug"

	"github.com/mlpgo/mlpgo/linalg"
	"github.com/mlpgo/mlpgo/mlp"
	"github.com/mlpgo/mlpgo/mnistio"
)

// statusError is an error that carries the status code to return for it.
type statusError struct {
	status C.mlpgo_status
	msg    string
}

func (e *statusError) Error() string { return e.msg }

// errorf returns a statusError with status st and a formatted message.
func errorf(st C.mlpgo_status, format string, args ...any) error {
	return &statusError{status: st, msg: fmt.Sprintf(format, args...)}
}

// statusOf returns the status code for err: the one a statusError carries,
// else the one its sentinel maps to.
func statusOf(err error) C.mlpgo_status {
	var se *statusError
	switch {
	case errors.As(err, &se):
		return se.status
	case errors.Is(err, context.Canceled):
		return C.MLPGO_ERR_STOPPED
	case errors.Is(err, mlp.ErrDiverged):
		return C.MLPGO_ERR_DIVERGED
	case errors.Is(err, mlp.ErrFormat), errors.Is(err, mlp.ErrVersion), errors.Is(err, mlp.ErrChecksum),
		errors.Is(err, mnistio.ErrFormat), errors.Is(err, mnistio.ErrChecksum):
		return C.MLPGO_ERR_FORMAT
	case errors.Is(err, mlp.ErrConfig), errors.Is(err, mlp.ErrData), errors.Is(err, mlp.ErrNonFinite),
		errors.Is(err, mlp.ErrNoTrainingState), linalg.ISAError() != nil && errors.Is(err, linalg.ISAError()):
		return C.MLPGO_ERR_INVALID_ARGUMENT
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission), errors.As(err, new(*fs.PathError)):
		return C.MLPGO_ERR_IO
	}
	return C.MLPGO_ERR_INTERNAL
}

// done returns MLPGO_OK for a nil err; otherwise it makes "fn: err" the
// calling thread's last error message and returns err's status code.
func done(fn string, err error) C.mlpgo_status {
	if err == nil {
		return C.MLPGO_OK
	}
	// C.CString copies into malloc'd memory, which the shim then owns.
	C.mlpgo_shim_set_error(C.CString(fn + ": " + err.Error()))
	return statusOf(err)
}

// status is the exports' result type.
type status = C.mlpgo_status

// guard, deferred first thing in every export, turns a panic into
// MLPGO_ERR_INTERNAL with the panic and its stack as the message: an
// unrecovered panic would kill the host process.
func guard(fn string, st *status) {
	if r := recover(); r != nil {
		*st = done(fn, errorf(C.MLPGO_ERR_INTERNAL, "internal error (please report): panic: %v\n%s", r, debug.Stack()))
	}
}

// errNull reports a NULL pointer argument.
func errNull(name string) error {
	return errorf(C.MLPGO_ERR_INVALID_ARGUMENT, "%s is NULL", name)
}
