// Command capi is libmlpgo, mlpgo's C ABI: a shared library whose functions are
// declared in the hand-written public header include/mlpgo.h. Build it with
//
//	go build -buildmode=c-shared -o capi/lib/libmlpgo.so ./capi
//
// from the repository root, or `go generate ./capi`, which runs that command.
// cgo also writes capi/lib/libmlpgo.h, its own list of the exports; C code
// includes include/mlpgo.h instead, the documented contract, which a test
// keeps in step with the exports.
//
// Design (DESIGN.md section 5):
//   - Every export recovers from panics and returns a status code; the message
//     of a thread's last failure is kept in C thread-local storage and read
//     with mlpgo_last_error, so concurrent callers never see each other's
//     messages.
//   - Models are cgo.Handle values, looked up through a table of live handles
//     under a mutex before Value is called, so zero, freed, double-freed or
//     made-up handles return MLPGO_ERR_INVALID_HANDLE instead of panicking.
//   - Go never keeps a C pointer past a call and never hands C a Go pointer:
//     the library writes results into caller buffers, and the only memory it
//     hands out (datasets, static strings) comes from C's malloc.
//   - The handle table is the package's one piece of global mutable state, as
//     any C ABI over handles needs.
//
// Without cgo (CGO_ENABLED=0, cross-builds) the package is this file alone, so
// `go build ./...` and `go vet ./...` work everywhere.
package main

//go:generate go build -buildmode=c-shared -o lib/libmlpgo.so .

// main is required of a c-shared build's main package and never runs.
func main() {}
