// Package mlp is a multilayer perceptron classifier: the NeuralNetMLP of
// Raschka's Python Machine Learning, chapter 12, in float32 on linalg, and
// the usual steps beyond it (more and wider layers, tanh and ReLU units, a
// softmax output, momentum and Adam, Glorot and He initialization, early
// stopping).
//
// A Config's zero value is the seed's network and training run. New draws
// the initial weights, Fit trains on a linalg.Matrix of rows with their
// labels, and Predict, PredictProba, Accuracy and Evaluate use the trained
// network. Once Fit has allocated its workspace a training step allocates
// nothing, and Predict into a caller's buffer allocates nothing once warm;
// Predict may be called from many goroutines at once.
//
// Networks are saved as .safetensors files (Save, Load): tensors
// layers.{i}.weight of shape [out, in] and layers.{i}.bias, with the
// architecture, the hyper-parameters, a format version and a SHA-256 of the
// tensor bytes in the header's __metadata__. SaveCheckpoint adds the
// optimizer's state, the random number generator's state and the position
// in training, so that a run loaded from a checkpoint and continued with
// Fit gives weights bit-identical to a run that was never interrupted.
//
// Training is deterministic: the same Config, data and linalg kernel set
// give bit-identical weights.
package mlp

import "errors"

// Sentinel errors, wrapped by the errors the package returns; test for them
// with errors.Is.
var (
	// ErrConfig: a Config field is out of range or an enum name is unknown.
	ErrConfig = errors.New("invalid configuration")
	// ErrData: inputs or labels do not fit the network (column count, row
	// count, label out of range, too few rows for one minibatch).
	ErrData = errors.New("invalid data")
	// ErrNonFinite: an input contains NaN or ±Inf.
	ErrNonFinite = errors.New("input contains NaN or Inf")
	// ErrDiverged: training produced NaN or Inf in its outputs, cost or
	// weights.
	ErrDiverged = errors.New("training diverged")
	// ErrFormat: a model file is truncated, corrupt or inconsistent.
	ErrFormat = errors.New("invalid model file")
	// ErrVersion: a model file has a format version this package does not
	// read.
	ErrVersion = errors.New("unsupported model file version")
	// ErrChecksum: a model file's tensor bytes do not match its SHA-256.
	ErrChecksum = errors.New("model file checksum mismatch")
	// ErrNoTrainingState: Fit was called on a network loaded from a model
	// file, which has no optimizer or random state to continue from.
	ErrNoTrainingState = errors.New("network has no training state (load a checkpoint to continue training)")
)
