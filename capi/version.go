package main

/*
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"unsafe"

	"github.com/mlpgo/mlpgo/linalg"
)

// statusNames are the names mlpgo_status_name returns, as C strings that
// live as long as the process (malloc'd once, never freed).
var statusNames = map[C.mlpgo_status]*C.char{}

func init() {
	for st, name := range map[C.mlpgo_status]string{
		C.MLPGO_OK:                   "MLPGO_OK",
		C.MLPGO_ERR_INVALID_ARGUMENT: "MLPGO_ERR_INVALID_ARGUMENT",
		C.MLPGO_ERR_INVALID_HANDLE:   "MLPGO_ERR_INVALID_HANDLE",
		C.MLPGO_ERR_BUSY:             "MLPGO_ERR_BUSY",
		C.MLPGO_ERR_STOPPED:          "MLPGO_ERR_STOPPED",
		C.MLPGO_ERR_DIVERGED:         "MLPGO_ERR_DIVERGED",
		C.MLPGO_ERR_IO:               "MLPGO_ERR_IO",
		C.MLPGO_ERR_FORMAT:           "MLPGO_ERR_FORMAT",
		C.MLPGO_ERR_BUFFER_TOO_SMALL: "MLPGO_ERR_BUFFER_TOO_SMALL",
		C.MLPGO_ERR_ABI:              "MLPGO_ERR_ABI",
		C.MLPGO_ERR_NO_MEMORY:        "MLPGO_ERR_NO_MEMORY",
		C.MLPGO_ERR_INTERNAL:         "MLPGO_ERR_INTERNAL",
		-1:                           "MLPGO_UNKNOWN_STATUS",
	} {
		statusNames[st] = C.CString(name)
	}
}

// versionString is mlpgo_version's static string.
var versionString = C.CString(buildVersion())

func buildVersion() string {
	v := "(devel)"
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		v = info.Main.Version
	}
	kernels := "kernels " + linalg.ISA()
	if err := linalg.ISAError(); err != nil {
		kernels = "no kernels: " + err.Error()
	}
	return fmt.Sprintf("mlpgo %s (%s, %s/%s, %s)", v, runtime.Version(), runtime.GOOS, runtime.GOARCH, kernels)
}

//export mlpgo_abi_version
func mlpgo_abi_version() C.int32_t { return C.MLPGO_ABI_VERSION }

//export mlpgo_version
func mlpgo_version() *C.char { return versionString }

//export mlpgo_status_name
func mlpgo_status_name(s C.mlpgo_status) *C.char {
	if name, ok := statusNames[s]; ok {
		return name
	}
	return statusNames[-1]
}

//export mlpgo_last_error
func mlpgo_last_error(buf *C.char, bufLen C.int64_t, needed *C.int64_t) (st C.mlpgo_status) {
	defer guard("mlpgo_last_error", &st)
	// Failures here return a status without touching the last message,
	// which is what the caller is after.
	if bufLen < 0 || (buf == nil && bufLen > 0) {
		return C.MLPGO_ERR_INVALID_ARGUMENT
	}
	msg := lastErrorMessage()
	size := C.int64_t(len(msg)) + 1
	if needed != nil {
		*needed = size
	}
	if bufLen == 0 {
		if size == 1 {
			return C.MLPGO_OK
		}
		return C.MLPGO_ERR_BUFFER_TOO_SMALL
	}
	dst := unsafe.Slice((*byte)(unsafe.Pointer(buf)), min(size, bufLen))
	dst[copy(dst[:len(dst)-1], msg)] = 0
	if size > bufLen {
		return C.MLPGO_ERR_BUFFER_TOO_SMALL
	}
	return C.MLPGO_OK
}

// lastErrorMessage returns the calling thread's last error message.
func lastErrorMessage() string { return C.GoString(C.mlpgo_shim_error()) }
