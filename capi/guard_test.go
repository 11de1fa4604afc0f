//go:build cgo

package main

import (
	"runtime"
	"strings"
	"testing"
)

// TestGuardRecovers checks the recover every export defers: a panic becomes
// MLPGO_ERR_INTERNAL with the panic in the thread's last error message.
func TestGuardRecovers(t *testing.T) {
	// The message is thread-local: stay on one thread to read it back.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var st status
	func() {
		defer guard("mlpgo_example", &st)
		var m map[string]int
		m["boom"]++ // panics: assignment to entry in nil map
	}()
	if st != 11 {
		t.Errorf("status after a panic = %d, want MLPGO_ERR_INTERNAL (11)", st)
	}
	msg := lastErrorMessage()
	for _, want := range []string{"mlpgo_example: internal error", "assignment to entry in nil map", "guard_test.go"} {
		if !strings.Contains(msg, want) {
			t.Errorf("last error %q does not contain %q", msg, want)
		}
	}
}
