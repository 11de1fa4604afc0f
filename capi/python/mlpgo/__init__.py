"""mlpgo: multilayer perceptrons trained and run by libmlpgo (Go + SIMD).

A scikit-learn-style estimator over mlpgo's C ABI (ctypes + NumPy)::

    import mlpgo
    X, y = mlpgo.load_mnist("train")              # fetched, verified, cached
    clf = mlpgo.MLPClassifier(epochs=5)            # the seed's 784-100-10 network
    clf.fit(X[:55000], y[:55000], X[55000:], y[55000:])
    Xt, yt = mlpgo.load_mnist("t10k")
    print(clf.score(Xt, yt), clf.history_["valid_acc"])
    clf.save("mnist.safetensors")

Arrays are passed to the library without copies when they are C-contiguous
float32 (labels: uint8 or int32 holding 0..k-1); anything else is converted
once per call. Errors raise MlpgoError (or a subclass) with the library's
message.

Threads: the library releases the GIL (ctypes does), and many threads may
call predict, predict_proba and score on one fitted estimator at once. While
fit runs, other calls on the same estimator raise BusyError.

Ctrl-C: libmlpgo leaves SIGINT to Python. During fit (called from the main
thread) the estimator's progress callback runs after every minibatch and
stops training when a Ctrl-C has arrived; fit then raises KeyboardInterrupt
and the estimator keeps, and predicts with, the weights trained so far.
Other calls run to their end (they take milliseconds) before Python sees
the signal.

One Go runtime per process: do not load libmlpgo next to another Go-built
shared library, and never unload it.
"""

import contextlib
import ctypes
import os
import signal
import threading

import numpy as np

from . import _lib
from ._lib import lib

__all__ = [
    "MLPClassifier",
    "MlpgoError",
    "BusyError",
    "InvalidArgumentError",
    "FormatError",
    "load_mnist",
    "fetch_mnist",
    "set_threads",
    "version",
    "abi_version",
]


class MlpgoError(Exception):
    """A libmlpgo call failed. status is its code, status_name its name."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.status_name = lib.mlpgo_status_name(status).decode()


class InvalidArgumentError(MlpgoError, ValueError):
    """Bad data or parameters (MLPGO_ERR_INVALID_ARGUMENT)."""


class BusyError(MlpgoError):
    """The model is being trained by another call (MLPGO_ERR_BUSY)."""


class FormatError(MlpgoError, ValueError):
    """A file is invalid: truncated, corrupted, unknown version (MLPGO_ERR_FORMAT)."""


class DivergedError(MlpgoError, ArithmeticError):
    """Training diverged to NaN or Inf (MLPGO_ERR_DIVERGED)."""


class MlpgoIOError(MlpgoError, OSError):
    """A file could not be found, read or written (MLPGO_ERR_IO)."""


_ERRORS = {
    _lib.ERR_INVALID_ARGUMENT: InvalidArgumentError,
    _lib.ERR_BUSY: BusyError,
    _lib.ERR_FORMAT: FormatError,
    _lib.ERR_DIVERGED: DivergedError,
    _lib.ERR_IO: MlpgoIOError,
}


def _last_error():
    needed = ctypes.c_int64()
    lib.mlpgo_last_error(None, 0, ctypes.byref(needed))
    buf = ctypes.create_string_buffer(needed.value)
    lib.mlpgo_last_error(buf, needed.value, None)
    return buf.value.decode("utf-8", "replace")


def _check(status):
    """Raises the exception for a failed call's status."""
    if status != _lib.OK:
        # The message is the calling thread's: this thread made the call.
        raise _ERRORS.get(status, MlpgoError)(status, _last_error())


def version():
    """The library's version, Go version, platform and kernel set."""
    return lib.mlpgo_version().decode()


def abi_version():
    """The library's ABI version (mlpgo.h's MLPGO_ABI_VERSION)."""
    return lib.mlpgo_abi_version()


def set_threads(threads):
    """Sets how many threads matrix products use, process-wide (0: all
    cores), and returns the previous setting. Results do not depend on it."""
    prev = ctypes.c_int32()
    _check(lib.mlpgo_set_threads(threads, ctypes.byref(prev)))
    return prev.value


def fetch_mnist(dir=None):
    """Returns the folder holding verified MNIST files: dir if it has them,
    else the cache ($MLPGO_DATA or the user cache folder), downloading the
    files there first if needed."""
    needed = ctypes.c_int64()
    d = None if dir is None else os.fsencode(dir)
    buf = ctypes.create_string_buffer(4096)
    status = lib.mlpgo_mnist_fetch(d, buf, len(buf), ctypes.byref(needed))
    if status == _lib.ERR_BUFFER_TOO_SMALL:
        buf = ctypes.create_string_buffer(needed.value)
        status = lib.mlpgo_mnist_fetch(d, buf, len(buf), None)
    _check(status)
    return os.fsdecode(buf.value)


def load_mnist(split="train", dir=None, scaling="symmetric", classes=0):
    """Reads one split ("train" or "t10k") of an MNIST-layout dataset as
    (X, y): X float32 of shape (n, height*width), y uint8 of shape (n,).

    dir is a folder holding the dataset (MNIST, Fashion-MNIST, KMNIST...);
    without it MNIST is fetched as fetch_mnist() does. scaling maps pixels:
    "symmetric" to [-1, 1] as the seed does, "unit" to [0, 1], "raw" keeps
    0..255. Labels must be below classes (0 means 10).
    """
    if dir is None:
        dir = fetch_mnist()
    if scaling not in _lib.SCALINGS:
        raise ValueError("scaling %r is not one of %s" % (scaling, ", ".join(_lib.SCALINGS)))
    ds = _lib.Dataset(struct_size=ctypes.sizeof(_lib.Dataset))
    _check(lib.mlpgo_dataset_load(os.fsencode(dir), split.encode(), _lib.SCALINGS[scaling], classes, ctypes.byref(ds)))
    try:
        # Copy out of the library's malloc'd arrays, then free them.
        X = np.ctypeslib.as_array(ds.x, shape=(ds.rows, ds.cols)).copy()
        y = np.ctypeslib.as_array(ds.labels, shape=(ds.rows,)).copy()
    finally:
        _check(lib.mlpgo_dataset_free(ctypes.byref(ds)))
    return X, y


def _rows(X, name, cols=None):
    """X as a C-contiguous float32 matrix: X itself when it already is one."""
    a = np.ascontiguousarray(X, dtype=np.float32)
    if a.ndim != 2:
        raise ValueError("%s must be 2-D (samples x features), got shape %s" % (name, a.shape))
    if cols is not None and a.shape[1] != cols:
        raise ValueError("%s has %d features, the model has %d" % (name, a.shape[1], cols))
    return a


_HISTORY_KEYS = ("epoch", "cost", "train_acc", "valid_acc", "seconds")


@contextlib.contextmanager
def _on_sigint(record):
    """Within the block, a SIGINT calls record(signum, frame) instead of the
    Python handler in place, which the block yields (to be called once the
    library call has returned). Only the main thread can set handlers, and
    only Python-level handlers are replaced: elsewhere, or when SIGINT is
    ignored or left to the OS, nothing changes."""
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(previous):
        yield previous
        return
    signal.signal(signal.SIGINT, lambda signum, frame: record((signum, frame)))
    try:
        yield previous
    finally:
        signal.signal(signal.SIGINT, previous)


def _float_ptr(a):
    return a.ctypes.data_as(_lib.c_float_p)


class MLPClassifier:
    """A multilayer perceptron classifier in scikit-learn's style.

    The defaults are the seed's NeuralNetMLP (Raschka, Python Machine
    Learning, ch. 12) and equal the library's (mlpgo_config_init, the
    mlpgo command's train): hidden=(100,) sigmoid units, sigmoid outputs with
    the logistic cost, weights ~ Normal(0, 0.1), SGD with eta=0.0005 on
    gradients summed over minibatches of 100, l2=0.01, 200 epochs, shuffled,
    seed 1.

    Parameters: hidden (layer sizes), activation ("sigmoid", "tanh", "relu",
    "leaky_relu"), output ("sigmoid", "softmax"), init ("normal", "glorot",
    "he"), init_scale, optimizer ("sgd", "momentum", "nesterov", "adam"),
    eta, l2 (0 turns it off), momentum, beta1, beta2, epsilon, epochs,
    batch_size, shuffle, seed, patience (early stopping on the validation
    accuracy; 0 is off), verbose (print one line per epoch).

    Attributes after fit: classes_ (the labels, sorted), n_features_in_,
    history_ (dict of per-epoch lists: epoch, cost, train_acc, valid_acc,
    seconds; valid_acc is NaN without a validation set), epochs_trained_.
    """

    def __init__(self, hidden=(100,), activation="sigmoid", output="sigmoid", init="normal", init_scale=0.1,
                 optimizer="sgd", eta=0.0005, l2=0.01, momentum=0.9, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 epochs=200, batch_size=100, shuffle=True, seed=1, patience=0, verbose=False):
        self.hidden = hidden
        self.activation = activation
        self.output = output
        self.init = init
        self.init_scale = init_scale
        self.optimizer = optimizer
        self.eta = eta
        self.l2 = l2
        self.momentum = momentum
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.epochs = epochs
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.patience = patience
        self.verbose = verbose
        self._model = 0

    _PARAMS = ("hidden", "activation", "output", "init", "init_scale", "optimizer", "eta", "l2", "momentum",
               "beta1", "beta2", "epsilon", "epochs", "batch_size", "shuffle", "seed", "patience", "verbose")

    def get_params(self, deep=True):
        """The constructor's parameters, as scikit-learn's get_params."""
        return {k: getattr(self, k) for k in self._PARAMS}

    def set_params(self, **params):
        """Sets constructor parameters, as scikit-learn's set_params."""
        for k, v in params.items():
            if k not in self._PARAMS:
                raise ValueError("unknown parameter %r" % k)
            setattr(self, k, v)
        return self

    def __repr__(self):
        return "MLPClassifier(%s)" % ", ".join("%s=%r" % kv for kv in self.get_params().items())

    def __del__(self):
        self._free()

    def _free(self):
        if getattr(self, "_model", 0):
            _check(lib.mlpgo_model_free(self._model))
            self._model = 0

    def _config(self, inputs, outputs):
        hidden = tuple(int(h) for h in self.hidden)
        if not 1 <= len(hidden) <= _lib.MAX_HIDDEN:
            raise ValueError("hidden must list 1 to %d layer sizes, got %r" % (_lib.MAX_HIDDEN, self.hidden))
        names = {"activation": _lib.ACTIVATIONS, "output": _lib.OUTPUTS, "init": _lib.INITS,
                 "optimizer": _lib.OPTIMIZERS}
        for param, table in names.items():
            if getattr(self, param) not in table:
                raise ValueError("%s=%r is not one of %s" % (param, getattr(self, param), ", ".join(table)))
        cfg = _lib.Config(struct_size=ctypes.sizeof(_lib.Config))
        _check(lib.mlpgo_config_init(ctypes.byref(cfg)))
        cfg.inputs, cfg.outputs, cfg.n_hidden = inputs, outputs, len(hidden)
        for i, h in enumerate(hidden):
            cfg.hidden[i] = h
        for param, table in names.items():
            setattr(cfg, param, table[getattr(self, param)])
        for param in ("init_scale", "eta", "l2", "momentum", "beta1", "beta2", "epsilon", "epochs", "batch_size",
                      "seed", "patience"):
            setattr(cfg, param, getattr(self, param))
        cfg.shuffle = 1 if self.shuffle else 0
        return cfg

    def _labels(self, y, name, rows):
        """y as label indices 0..k-1 for the library, without a copy when y
        is already C-contiguous uint8 or int32 indices."""
        y = np.asarray(y)
        if y.shape != (rows,):
            raise ValueError("%s has shape %s, want (%d,)" % (name, y.shape, rows))
        if self._identity_classes and y.dtype in (np.uint8, np.int32) and y.flags.c_contiguous:
            idx = y
        else:
            idx = np.searchsorted(self.classes_, y)
            bad = (idx >= len(self.classes_)) | (self.classes_[np.minimum(idx, len(self.classes_) - 1)] != y)
            if bad.any():
                i = int(np.argmax(bad))
                raise ValueError("%s[%d] = %r is not one of the classes seen by fit" % (name, i, y[i]))
            idx = idx.astype(np.int32)
        lt = _lib.LABELS_UINT8 if idx.dtype == np.uint8 else _lib.LABELS_INT32
        return idx, lt

    def _samples(self, X, y, name):
        X = _rows(X, name, self.n_features_in_)
        idx, lt = self._labels(y, "y" if name == "X" else "y" + name[1:], X.shape[0])
        s = _lib.Samples(_float_ptr(X), X.shape[0], X.shape[1], idx.ctypes.data_as(ctypes.c_void_p), lt)
        return s, (X, idx)  # the arrays must outlive the call

    def fit(self, X, y, X_valid=None, y_valid=None):
        """Trains a new network on X (samples x features) and labels y,
        evaluating after each epoch on (X_valid, y_valid) if given. Returns
        self. A Ctrl-C stops training within a minibatch and raises
        KeyboardInterrupt; the estimator keeps the weights reached."""
        X = _rows(X, "X")
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError("y has %d class(es), want at least 2" % len(self.classes_))
        self._identity_classes = self.classes_.dtype.kind in "iu" and np.array_equal(
            self.classes_, np.arange(len(self.classes_)))
        self.n_features_in_ = X.shape[1]
        self._free()
        cfg = self._config(X.shape[1], len(self.classes_))
        model = _lib.model_t()
        _check(lib.mlpgo_model_create(ctypes.byref(cfg), ctypes.byref(model)))
        self._model = model.value

        # The arrays in keep must outlive the call.
        train, keep = self._samples(X, y, "X")
        valid = None
        if X_valid is not None or y_valid is not None:
            if X_valid is None or y_valid is None:
                raise ValueError("give both X_valid and y_valid, or neither")
            valid, keep_valid = self._samples(X_valid, y_valid, "X_valid")
        self.history_ = history = {k: [] for k in _HISTORY_KEYS}
        raised, interrupts = [], []

        def progress(p, _user_data):
            # Runs on this thread after every minibatch. A Python signal
            # handler runs when this Python code starts, so a Ctrl-C on the
            # main thread is seen here, through the handler _on_sigint
            # installs, and stops training.
            try:
                if interrupts:
                    return 1
                p = p.contents
                if p.epoch_done:
                    s = p.stats
                    for k, v in zip(_HISTORY_KEYS, (s.epoch, s.cost, s.train_accuracy, s.valid_accuracy, s.seconds)):
                        history[k].append(v)
                    if self.verbose:
                        print("epoch %d/%d  cost %.2f  train %.2f%%  valid %.2f%%  (%.1f s)"
                              % (s.epoch, p.epochs, s.cost, 100 * s.train_accuracy, 100 * s.valid_accuracy,
                                 s.seconds), flush=True)
                return 0
            except BaseException as e:  # KeyboardInterrupt included
                raised.append(e)
                return 1

        with _on_sigint(interrupts.append) as previous:
            status = lib.mlpgo_fit(self._model, ctypes.byref(train), ctypes.byref(valid) if valid else None,
                                   _lib.PROGRESS_FN(progress), None, None, 0, None)
        self.epochs_trained_ = self._describe().epochs_trained
        if interrupts:
            previous(*interrupts[0])  # Python's default handler raises KeyboardInterrupt
        if raised:
            raise raised[0]
        _check(status)
        return self

    def _fitted(self):
        if not self._model:
            raise AttributeError("this MLPClassifier is not fitted: call fit or load first")

    def _describe(self):
        info = _lib.ModelInfo(struct_size=ctypes.sizeof(_lib.ModelInfo))
        _check(lib.mlpgo_model_describe(self._model, ctypes.byref(info)))
        return info

    def predict(self, X):
        """The predicted class of each row of X."""
        self._fitted()
        X = _rows(X, "X", self.n_features_in_)
        out = np.empty(X.shape[0], dtype=np.int32)
        _check(lib.mlpgo_predict(self._model, _float_ptr(X), X.shape[0], X.shape[1],
                                 out.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)), out.size))
        return out if self._identity_classes else self.classes_[out]

    def predict_proba(self, X):
        """The output layer's activations, float32 of shape (rows,
        classes): probabilities for output="softmax", the seed's independent
        sigmoid outputs (not summing to 1) for output="sigmoid"."""
        self._fitted()
        X = _rows(X, "X", self.n_features_in_)
        out = np.empty((X.shape[0], len(self.classes_)), dtype=np.float32)
        _check(lib.mlpgo_predict_proba(self._model, _float_ptr(X), X.shape[0], X.shape[1], _float_ptr(out),
                                       out.size))
        return out

    def score(self, X, y):
        """The accuracy on (X, y): the fraction of rows predicted right."""
        self._fitted()
        s, _keep = self._samples(X, y, "X")
        acc = ctypes.c_double()
        _check(lib.mlpgo_accuracy(self._model, ctypes.byref(s), ctypes.byref(acc)))
        return acc.value

    def save(self, path):
        """Writes the model as a .safetensors file (atomically). The file
        holds the network, not classes_: a loaded model's classes are
        0..k-1."""
        self._fitted()
        _check(lib.mlpgo_model_save(self._model, os.fsencode(path)))

    @classmethod
    def load(cls, path):
        """Reads a model saved by save, the C API or the mlpgo command. Its
        parameters come from the file; history_ is empty."""
        model = _lib.model_t()
        _check(lib.mlpgo_model_load(os.fsencode(path), ctypes.byref(model)))
        self = cls()
        self._model = model.value
        info = self._describe()
        c = info.config

        def name(table, v):
            return next(k for k, n in table.items() if n == v)

        self.set_params(hidden=tuple(c.hidden[i] for i in range(c.n_hidden)),
                        activation=name(_lib.ACTIVATIONS, c.activation), output=name(_lib.OUTPUTS, c.output),
                        init=name(_lib.INITS, c.init), init_scale=c.init_scale,
                        optimizer=name(_lib.OPTIMIZERS, c.optimizer), eta=c.eta, l2=c.l2, momentum=c.momentum,
                        beta1=c.beta1, beta2=c.beta2, epsilon=c.epsilon, epochs=c.epochs,
                        batch_size=c.batch_size, shuffle=bool(c.shuffle), seed=c.seed, patience=c.patience)
        self.classes_ = np.arange(c.outputs)
        self._identity_classes = True
        self.n_features_in_ = c.inputs
        self.epochs_trained_ = info.epochs_trained
        self.history_ = {k: [] for k in _HISTORY_KEYS}
        return self

