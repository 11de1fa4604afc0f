package main

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"context"
	"sync"
	"unsafe"

	"github.com/mlpgo/mlpgo/linalg"
	"github.com/mlpgo/mlpgo/mlp"
)

//export mlpgo_model_create
func mlpgo_model_create(cfg *C.mlpgo_config, model *C.mlpgo_model) (st C.mlpgo_status) {
	defer guard("mlpgo_model_create", &st)
	return done("mlpgo_model_create", create(cfg, model))
}

func create(c *C.mlpgo_config, out *C.mlpgo_model) error {
	if out == nil {
		return errNull("model")
	}
	inputs, classes, cfg, err := configFromC(c)
	if err != nil {
		return err
	}
	net, err := mlp.New(inputs, classes, cfg)
	if err != nil {
		return err
	}
	*out = newHandle(&lockedNet{net: net})
	return nil
}

//export mlpgo_model_free
func mlpgo_model_free(model C.mlpgo_model) (st C.mlpgo_status) {
	defer guard("mlpgo_model_free", &st)
	return done("mlpgo_model_free", release(model))
}

//export mlpgo_model_describe
func mlpgo_model_describe(model C.mlpgo_model, info *C.mlpgo_model_info) (st C.mlpgo_status) {
	defer guard("mlpgo_model_describe", &st)
	return done("mlpgo_model_describe", modelInfo(model, info))
}

func modelInfo(h C.mlpgo_model, info *C.mlpgo_model_info) error {
	if info == nil {
		return errNull("info")
	}
	if err := checkSize("mlpgo_model_info", info.struct_size, unsafe.Sizeof(*info)); err != nil {
		return err
	}
	m, err := acquire(h, false)
	if err != nil {
		return err
	}
	defer m.mu.RUnlock()
	configToC(m.net.Inputs(), m.net.Classes(), m.net.Config(), &info.config)
	info.epochs_trained = C.int64_t(m.net.Epochs())
	return nil
}

// maxElements bounds the arrays callers pass, far above any real data set
// but low enough that sizes never overflow.
const maxElements = 1 << 40

// matrix returns rows x cols float32s at p as a Matrix that shares the
// caller's memory; name is the argument's name for messages.
func matrix(name string, p *C.float, rows, cols C.int64_t) (linalg.Matrix, error) {
	if rows < 0 || cols < 0 {
		return linalg.Matrix{}, errorf(C.MLPGO_ERR_INVALID_ARGUMENT, "%s: %d rows of %d columns: sizes must be >= 0", name, int64(rows), int64(cols))
	}
	if cols > 0 && rows > maxElements/cols {
		return linalg.Matrix{}, errorf(C.MLPGO_ERR_INVALID_ARGUMENT, "%s: %d rows of %d columns: too large", name, int64(rows), int64(cols))
	}
	n := int(rows * cols)
	if n == 0 {
		return linalg.Matrix{Rows: int(rows), Cols: int(cols), Stride: int(cols)}, nil
	}
	if p == nil {
		return linalg.Matrix{}, errNull(name)
	}
	return linalg.FromSlice(int(rows), int(cols), unsafe.Slice((*float32)(unsafe.Pointer(p)), n)), nil
}

// samples returns the data and labels of s, converting int32 labels to the
// bytes mlp takes after checking they are in [0, classes). mlp checks the
// rest (columns, finite values, byte labels' range).
func samples(name string, s *C.mlpgo_samples, classes int) (linalg.Matrix, []uint8, error) {
	x, err := matrix(name+".x", s.x, s.rows, s.cols)
	if err != nil {
		return x, nil, err
	}
	if s.labels == nil && s.rows > 0 {
		return x, nil, errNull(name + ".labels")
	}
	switch s.label_type {
	case C.MLPGO_LABELS_UINT8:
		return x, unsafe.Slice((*uint8)(s.labels), x.Rows), nil
	case C.MLPGO_LABELS_INT32:
		y := make([]uint8, x.Rows)
		for i, l := range unsafe.Slice((*int32)(s.labels), x.Rows) {
			if l < 0 || int(l) >= classes {
				return x, nil, errorf(C.MLPGO_ERR_INVALID_ARGUMENT, "%s.labels[%d] is %d, want a class in [0, %d)", name, i, l, classes)
			}
			y[i] = uint8(l)
		}
		return x, y, nil
	}
	return x, nil, errorf(C.MLPGO_ERR_INVALID_ARGUMENT, "%s.label_type is %d, want MLPGO_LABELS_UINT8 or MLPGO_LABELS_INT32", name, int32(s.label_type))
}

//export mlpgo_fit
func mlpgo_fit(model C.mlpgo_model, train, valid *C.mlpgo_samples, progress C.mlpgo_progress_fn, userData unsafe.Pointer,
	history *C.mlpgo_epoch, historyCap C.int64_t, historyLen *C.int64_t) (st C.mlpgo_status) {
	defer guard("mlpgo_fit", &st)
	return done("mlpgo_fit", fit(model, train, valid, progress, userData, history, historyCap, historyLen))
}

func fit(h C.mlpgo_model, train, valid *C.mlpgo_samples, progress C.mlpgo_progress_fn, userData unsafe.Pointer,
	history *C.mlpgo_epoch, historyCap C.int64_t, historyLen *C.int64_t) error {
	if train == nil {
		return errNull("train")
	}
	if historyCap < 0 || (history == nil && historyCap > 0) {
		return errorf(C.MLPGO_ERR_INVALID_ARGUMENT, "history is %p with history_cap %d", history, int64(historyCap))
	}
	m, err := acquire(h, true)
	if err != nil {
		return err
	}
	defer m.mu.Unlock()
	classes := m.net.Classes()
	xTrain, yTrain, err := samples("train", train, classes)
	if err != nil {
		return err
	}
	var xValid linalg.Matrix
	var yValid []uint8
	if valid != nil {
		if xValid, yValid, err = samples("valid", valid, classes); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var report func(mlp.Progress)
	if progress != nil {
		// The callback gets C memory, never a Go pointer.
		p := (*C.mlpgo_progress)(C.calloc(1, C.sizeof_mlpgo_progress))
		if p == nil {
			return errorf(C.MLPGO_ERR_NO_MEMORY, "out of memory")
		}
		defer C.free(unsafe.Pointer(p))
		report = func(pr mlp.Progress) {
			*p = C.mlpgo_progress{
				epoch:   C.int64_t(pr.Epoch),
				epochs:  C.int64_t(pr.Epochs),
				batch:   C.int64_t(pr.Batch),
				batches: C.int64_t(pr.Batches),
				stats:   epochToC(pr.Stats),
			}
			if pr.EpochDone {
				p.epoch_done = 1
			}
			if C.mlpgo_shim_progress(progress, p, userData) != 0 {
				cancel()
			}
		}
	}
	hist, err := m.net.Fit(ctx, xTrain, yTrain, xValid, yValid, report)
	if history != nil {
		// Slice no further than needed: history_cap may exceed the buffer.
		dst := unsafe.Slice(history, min(int64(historyCap), int64(len(hist))))
		for i := range dst {
			dst[i] = epochToC(hist[i])
		}
	}
	if historyLen != nil {
		*historyLen = C.int64_t(len(hist))
	}
	return err
}

func epochToC(e mlp.EpochStats) C.mlpgo_epoch {
	return C.mlpgo_epoch{
		epoch:          C.int64_t(e.Epoch),
		cost:           C.double(e.Cost),
		train_accuracy: C.double(e.TrainAcc),
		valid_accuracy: C.double(e.ValidAcc),
		seconds:        C.double(e.Seconds),
	}
}

// predictChunk is how many rows mlpgo_predict hands mlp at a time, through
// a pooled []int that it then narrows into the caller's int32s.
const predictChunk = 256

var predictBufs = sync.Pool{New: func() any { return new([predictChunk]int) }}

//export mlpgo_predict
func mlpgo_predict(model C.mlpgo_model, x *C.float, rows, cols C.int64_t, labels *C.int32_t, labelsLen C.int64_t) (st C.mlpgo_status) {
	defer guard("mlpgo_predict", &st)
	return done("mlpgo_predict", predict(model, x, rows, cols, labels, labelsLen))
}

func predict(h C.mlpgo_model, xp *C.float, rows, cols C.int64_t, labels *C.int32_t, labelsLen C.int64_t) error {
	x, err := matrix("x", xp, rows, cols)
	if err != nil {
		return err
	}
	if labelsLen < rows {
		return errorf(C.MLPGO_ERR_INVALID_ARGUMENT, "labels_len %d < rows %d", int64(labelsLen), int64(rows))
	}
	if labels == nil && rows > 0 {
		return errNull("labels")
	}
	m, err := acquire(h, false)
	if err != nil {
		return err
	}
	defer m.mu.RUnlock()
	if x.Cols != m.net.Inputs() {
		return errorf(C.MLPGO_ERR_INVALID_ARGUMENT, "x has %d columns, the model has %d inputs", x.Cols, m.net.Inputs())
	}
	buf := predictBufs.Get().(*[predictChunk]int)
	defer predictBufs.Put(buf)
	out := unsafe.Slice((*int32)(unsafe.Pointer(labels)), x.Rows)
	for r := 0; r < x.Rows; r += predictChunk {
		c := x.RowSlice(r, min(r+predictChunk, x.Rows))
		if err := m.net.Predict(buf[:c.Rows], c); err != nil {
			return err
		}
		for i, v := range buf[:c.Rows] {
			out[r+i] = int32(v)
		}
	}
	return nil
}

//export mlpgo_predict_proba
func mlpgo_predict_proba(model C.mlpgo_model, x *C.float, rows, cols C.int64_t, proba *C.float, probaLen C.int64_t) (st C.mlpgo_status) {
	defer guard("mlpgo_predict_proba", &st)
	return done("mlpgo_predict_proba", predictProba(model, x, rows, cols, proba, probaLen))
}

func predictProba(h C.mlpgo_model, xp *C.float, rows, cols C.int64_t, proba *C.float, probaLen C.int64_t) error {
	x, err := matrix("x", xp, rows, cols)
	if err != nil {
		return err
	}
	m, err := acquire(h, false)
	if err != nil {
		return err
	}
	defer m.mu.RUnlock()
	classes := C.int64_t(m.net.Classes())
	if probaLen < rows*classes {
		return errorf(C.MLPGO_ERR_INVALID_ARGUMENT, "proba_len %d < rows %d * outputs %d", int64(probaLen), int64(rows), int64(classes))
	}
	dst, err := matrix("proba", proba, rows, classes)
	if err != nil {
		return err
	}
	return m.net.PredictProba(dst, x)
}

//export mlpgo_accuracy
func mlpgo_accuracy(model C.mlpgo_model, data *C.mlpgo_samples, accuracy *C.double) (st C.mlpgo_status) {
	defer guard("mlpgo_accuracy", &st)
	return done("mlpgo_accuracy", accuracyOf(model, data, accuracy))
}

func accuracyOf(h C.mlpgo_model, data *C.mlpgo_samples, accuracy *C.double) error {
	if data == nil {
		return errNull("data")
	}
	if accuracy == nil {
		return errNull("accuracy")
	}
	m, err := acquire(h, false)
	if err != nil {
		return err
	}
	defer m.mu.RUnlock()
	x, y, err := samples("data", data, m.net.Classes())
	if err != nil {
		return err
	}
	acc, err := m.net.Accuracy(x, y)
	if err != nil {
		return err
	}
	*accuracy = C.double(acc)
	return nil
}
