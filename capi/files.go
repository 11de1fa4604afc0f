package main

/*
#include "shim.h"
*/
import "C"

import "github.com/mlpgo/mlpgo/mlp"

//export mlpgo_model_save
func mlpgo_model_save(model C.mlpgo_model, path *C.char) (st C.mlpgo_status) {
	defer guard("mlpgo_model_save", &st)
	return done("mlpgo_model_save", save(model, path, (*mlp.Network).Save))
}

//export mlpgo_model_save_checkpoint
func mlpgo_model_save_checkpoint(model C.mlpgo_model, path *C.char) (st C.mlpgo_status) {
	defer guard("mlpgo_model_save_checkpoint", &st)
	return done("mlpgo_model_save_checkpoint", save(model, path, (*mlp.Network).SaveCheckpoint))
}

// save writes the model of h to path with write; saving only reads the
// network, so it runs concurrently with predictions.
func save(h C.mlpgo_model, path *C.char, write func(*mlp.Network, string) error) error {
	if path == nil {
		return errNull("path")
	}
	m, err := acquire(h, false)
	if err != nil {
		return err
	}
	defer m.mu.RUnlock()
	return write(m.net, C.GoString(path))
}

//export mlpgo_model_load
func mlpgo_model_load(path *C.char, model *C.mlpgo_model) (st C.mlpgo_status) {
	defer guard("mlpgo_model_load", &st)
	return done("mlpgo_model_load", load(path, model))
}

func load(path *C.char, out *C.mlpgo_model) error {
	switch {
	case path == nil:
		return errNull("path")
	case out == nil:
		return errNull("model")
	}
	net, err := mlp.Load(C.GoString(path))
	if err != nil {
		return err
	}
	*out = newHandle(&lockedNet{net: net})
	return nil
}
