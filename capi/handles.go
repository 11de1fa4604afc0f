package main

/*
#include "shim.h"
*/
import "C"

import (
	"runtime/cgo"
	"sync"

	"github.com/mlpgo/mlpgo/mlp"
)

// lockedNet is what a model handle stands for: a network and its lock.
type lockedNet struct {
	// mu is held shared by the calls that only read the network (predict,
	// accuracy, info, save) and exclusively by fit and free. Every call
	// only tries to take it, so a conflicting call fails with
	// MLPGO_ERR_BUSY instead of waiting.
	mu  sync.RWMutex
	net *mlp.Network
}

// models holds the live handles. cgo.Handle.Value panics on a deleted or
// made-up handle, so every lookup checks this set first, under its lock;
// the lock also orders a lookup's TryLock against a concurrent free.
var models = struct {
	sync.RWMutex
	live map[cgo.Handle]struct{}
}{live: map[cgo.Handle]struct{}{}}

// newHandle registers m and returns its handle.
func newHandle(m *lockedNet) C.mlpgo_model {
	h := cgo.NewHandle(m)
	models.Lock()
	models.live[h] = struct{}{}
	models.Unlock()
	return C.mlpgo_model(h)
}

// acquire returns the model of h with m.mu held, shared or exclusive; the
// caller unlocks it. It fails with MLPGO_ERR_INVALID_HANDLE for a handle
// that is not live and MLPGO_ERR_BUSY when the lock is taken.
func acquire(h C.mlpgo_model, exclusive bool) (*lockedNet, error) {
	models.RLock()
	defer models.RUnlock()
	m, err := lookup(h)
	if err != nil {
		return nil, err
	}
	if !tryLock(m, exclusive) {
		return nil, errBusy
	}
	return m, nil
}

// release removes h from the table once no call is using its model.
func release(h C.mlpgo_model) error {
	if h == 0 {
		return nil
	}
	models.Lock()
	defer models.Unlock()
	m, err := lookup(h)
	if err != nil {
		return err
	}
	if !m.mu.TryLock() {
		return errBusy
	}
	delete(models.live, cgo.Handle(h))
	cgo.Handle(h).Delete()
	// No new call can find m now; let the garbage collector have it.
	m.mu.Unlock()
	return nil
}

// lookup returns the model of a live handle; models must be locked.
func lookup(h C.mlpgo_model) (*lockedNet, error) {
	if _, ok := models.live[cgo.Handle(h)]; !ok {
		if h == 0 {
			return nil, errorf(C.MLPGO_ERR_INVALID_HANDLE, "model handle is 0")
		}
		return nil, errorf(C.MLPGO_ERR_INVALID_HANDLE, "model handle %#x is not a live model (freed, or not from this library)", uint64(h))
	}
	return cgo.Handle(h).Value().(*lockedNet), nil
}

func tryLock(m *lockedNet, exclusive bool) bool {
	if exclusive {
		return m.mu.TryLock()
	}
	return m.mu.TryRLock()
}

var errBusy = errorf(C.MLPGO_ERR_BUSY, "the model is in use by another call (mlpgo_fit and mlpgo_model_free need it to themselves)")
