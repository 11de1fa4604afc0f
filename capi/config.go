package main

/*
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/mlpgo/mlpgo/linalg"
	"github.com/mlpgo/mlpgo/mlp"
)

// enum maps the values of one of the header's enumerations to Go's.
type enum[T comparable] struct {
	name  string // the config field, for messages
	pairs []enumPair[T]
}

type enumPair[T comparable] struct {
	c C.int32_t
	v T
}

func (e enum[T]) toGo(c C.int32_t) (T, error) {
	for _, p := range e.pairs {
		if p.c == c {
			return p.v, nil
		}
	}
	var zero T
	return zero, errorf(C.MLPGO_ERR_INVALID_ARGUMENT, "config: unknown %s %d", e.name, int32(c))
}

func (e enum[T]) toC(v T) C.int32_t {
	for _, p := range e.pairs {
		if p.v == v {
			return p.c
		}
	}
	panic(fmt.Sprintf("capi: %s %v has no C value", e.name, v))
}

var (
	activations = enum[linalg.Activation]{"activation", []enumPair[linalg.Activation]{
		{C.MLPGO_ACTIVATION_SIGMOID, linalg.Sigmoid},
		{C.MLPGO_ACTIVATION_TANH, linalg.Tanh},
		{C.MLPGO_ACTIVATION_RELU, linalg.ReLU},
		{C.MLPGO_ACTIVATION_LEAKY_RELU, linalg.LeakyReLU},
	}}
	outputs = enum[mlp.Output]{"output", []enumPair[mlp.Output]{
		{C.MLPGO_OUTPUT_SIGMOID, mlp.SigmoidOutput},
		{C.MLPGO_OUTPUT_SOFTMAX, mlp.SoftmaxOutput},
	}}
	inits = enum[mlp.Init]{"init", []enumPair[mlp.Init]{
		{C.MLPGO_INIT_NORMAL, mlp.InitNormal},
		{C.MLPGO_INIT_GLOROT, mlp.InitGlorot},
		{C.MLPGO_INIT_HE, mlp.InitHe},
	}}
	optimizers = enum[mlp.Optimizer]{"optimizer", []enumPair[mlp.Optimizer]{
		{C.MLPGO_OPTIMIZER_SGD, mlp.SGD},
		{C.MLPGO_OPTIMIZER_MOMENTUM, mlp.Momentum},
		{C.MLPGO_OPTIMIZER_NESTEROV, mlp.Nesterov},
		{C.MLPGO_OPTIMIZER_ADAM, mlp.Adam},
	}}
)

// maxParams bounds a network's weights, so that a wild layer size returns an
// error instead of an allocation that would end the process.
const maxParams = 1 << 28

// checkSize returns MLPGO_ERR_ABI unless a versioned struct's struct_size is
// the one this library was built with.
func checkSize(name string, got C.int64_t, want uintptr) error {
	if got != C.int64_t(want) {
		return errorf(C.MLPGO_ERR_ABI, "%s.struct_size is %d, this library's is %d (header and library differ: compare MLPGO_ABI_VERSION with mlpgo_abi_version())",
			name, int64(got), want)
	}
	return nil
}

// configFromC converts a C config, checking what mlp.Config would otherwise
// read as "use the default": in C every value is explicit.
func configFromC(c *C.mlpgo_config) (inputs, classes int, cfg mlp.Config, err error) {
	if c == nil {
		return 0, 0, cfg, errNull("cfg")
	}
	if err := checkSize("mlpgo_config", c.struct_size, unsafe.Sizeof(*c)); err != nil {
		return 0, 0, cfg, err
	}
	bad := func(format string, args ...any) error {
		return errorf(C.MLPGO_ERR_INVALID_ARGUMENT, "config: "+format, args...)
	}
	if c.inputs < 1 || c.inputs > maxParams {
		return 0, 0, cfg, bad("inputs is %d, want >= 1", int64(c.inputs))
	}
	if c.outputs < 2 || c.outputs > mlp.MaxClasses {
		return 0, 0, cfg, bad("outputs is %d, want 2..%d", int64(c.outputs), mlp.MaxClasses)
	}
	if c.n_hidden < 1 || c.n_hidden > C.MLPGO_MAX_HIDDEN {
		return 0, 0, cfg, bad("n_hidden is %d, want 1..%d", int64(c.n_hidden), C.MLPGO_MAX_HIDDEN)
	}
	params, prev := int64(0), int64(c.inputs)
	for i, h := range c.hidden[:c.n_hidden] {
		if h < 1 || h > maxParams {
			return 0, 0, cfg, bad("hidden[%d] is %d, want >= 1", i, int64(h))
		}
		params += prev * int64(h)
		if params > maxParams {
			return 0, 0, cfg, bad("the network would have over %d weights", maxParams)
		}
		cfg.Hidden = append(cfg.Hidden, int(h))
		prev = int64(h)
	}
	if params+prev*int64(c.outputs) > maxParams {
		return 0, 0, cfg, bad("the network would have over %d weights", maxParams)
	}
	// mlp reads 0 as "the seed's value" in these fields; C callers get
	// the seed's values from mlpgo_config_init, so 0 here is a mistake.
	for _, f := range []struct {
		name string
		v    float64
	}{{"init_scale", float64(c.init_scale)}, {"eta", float64(c.eta)}, {"momentum", float64(c.momentum)},
		{"beta1", float64(c.beta1)}, {"beta2", float64(c.beta2)}, {"epsilon", float64(c.epsilon)}} {
		if f.v == 0 {
			return 0, 0, cfg, bad("%s is 0", f.name)
		}
	}
	if c.epochs < 1 || c.batch_size < 1 {
		return 0, 0, cfg, bad("epochs is %d and batch_size %d, want both >= 1", int64(c.epochs), int64(c.batch_size))
	}
	if c.patience < 0 {
		return 0, 0, cfg, bad("patience is %d, want >= 0", int64(c.patience))
	}
	if cfg.Activation, err = activations.toGo(c.activation); err != nil {
		return 0, 0, cfg, err
	}
	if cfg.Output, err = outputs.toGo(c.output); err != nil {
		return 0, 0, cfg, err
	}
	if cfg.Init, err = inits.toGo(c.init); err != nil {
		return 0, 0, cfg, err
	}
	if cfg.Optimizer, err = optimizers.toGo(c.optimizer); err != nil {
		return 0, 0, cfg, err
	}
	cfg.InitScale = float64(c.init_scale)
	cfg.Eta = float64(c.eta)
	cfg.L2 = float64(c.l2)
	cfg.NoL2 = c.l2 == 0
	cfg.Momentum = float64(c.momentum)
	cfg.Beta1 = float64(c.beta1)
	cfg.Beta2 = float64(c.beta2)
	cfg.Epsilon = float64(c.epsilon)
	cfg.Epochs = int(min(c.epochs, math.MaxInt32))
	cfg.BatchSize = int(min(c.batch_size, math.MaxInt32))
	cfg.Patience = int(min(c.patience, math.MaxInt32))
	cfg.Seed = uint64(c.seed)
	cfg.NoShuffle = c.shuffle == 0
	if err := cfg.Validate(); err != nil {
		return 0, 0, cfg, err
	}
	return int(c.inputs), int(c.outputs), cfg, nil
}

// configToC stores cfg, with its defaults applied, in *c.
func configToC(inputs, classes int, cfg mlp.Config, c *C.mlpgo_config) {
	cfg = cfg.WithDefaults()
	*c = C.mlpgo_config{
		struct_size: C.int64_t(unsafe.Sizeof(*c)),
		inputs:      C.int64_t(inputs),
		outputs:     C.int64_t(classes),
		n_hidden:    C.int64_t(len(cfg.Hidden)),
		activation:  activations.toC(cfg.Activation),
		output:      outputs.toC(cfg.Output),
		init:        inits.toC(cfg.Init),
		optimizer:   optimizers.toC(cfg.Optimizer),
		init_scale:  C.double(cfg.InitScale),
		eta:         C.double(cfg.Eta),
		l2:          C.double(cfg.L2),
		momentum:    C.double(cfg.Momentum),
		beta1:       C.double(cfg.Beta1),
		beta2:       C.double(cfg.Beta2),
		epsilon:     C.double(cfg.Epsilon),
		epochs:      C.int64_t(cfg.Epochs),
		batch_size:  C.int64_t(cfg.BatchSize),
		patience:    C.int64_t(cfg.Patience),
		seed:        C.uint64_t(cfg.Seed),
	}
	if !cfg.NoShuffle {
		c.shuffle = 1
	}
	for i, h := range cfg.Hidden {
		c.hidden[i] = C.int64_t(h)
	}
}

//export mlpgo_config_init
func mlpgo_config_init(cfg *C.mlpgo_config) (st C.mlpgo_status) {
	defer guard("mlpgo_config_init", &st)
	if cfg == nil {
		return done("mlpgo_config_init", errNull("cfg"))
	}
	if err := checkSize("mlpgo_config", cfg.struct_size, unsafe.Sizeof(*cfg)); err != nil {
		return done("mlpgo_config_init", err)
	}
	configToC(0, 0, mlp.Config{}, cfg)
	return C.MLPGO_OK
}

//export mlpgo_set_threads
func mlpgo_set_threads(threads C.int32_t, previous *C.int32_t) (st C.mlpgo_status) {
	defer guard("mlpgo_set_threads", &st)
	if threads < 0 {
		return done("mlpgo_set_threads", errorf(C.MLPGO_ERR_INVALID_ARGUMENT, "threads is %d, want >= 0", int32(threads)))
	}
	prev := linalg.SetThreads(int(threads))
	if previous != nil {
		*previous = C.int32_t(prev)
	}
	return C.MLPGO_OK
}
