"""ctypes bindings of libmlpgo: the structs and functions of mlpgo.h.

Everything here mirrors capi/include/mlpgo.h; the public API is in
__init__.py. The library is looked for, in order, at $MLPGO_LIB, next to
this package, and in the source tree's capi/lib (where
``go generate ./capi`` builds it).
"""

import ctypes
import os
import sys

ABI_VERSION = 1
MAX_HIDDEN = 16

# Status codes.
OK = 0
ERR_INVALID_ARGUMENT = 1
ERR_INVALID_HANDLE = 2
ERR_BUSY = 3
ERR_STOPPED = 4
ERR_DIVERGED = 5
ERR_IO = 6
ERR_FORMAT = 7
ERR_BUFFER_TOO_SMALL = 8
ERR_ABI = 9
ERR_NO_MEMORY = 10
ERR_INTERNAL = 11

ACTIVATIONS = {"sigmoid": 1, "tanh": 2, "relu": 3, "leaky_relu": 4}
OUTPUTS = {"sigmoid": 1, "softmax": 2}
INITS = {"normal": 1, "glorot": 2, "he": 3}
OPTIMIZERS = {"sgd": 1, "momentum": 2, "nesterov": 3, "adam": 4}
SCALINGS = {"symmetric": 0, "unit": 1, "raw": 2}
LABELS_UINT8 = 1
LABELS_INT32 = 2

c_int64 = ctypes.c_int64
c_int32 = ctypes.c_int32
c_double = ctypes.c_double
c_float_p = ctypes.POINTER(ctypes.c_float)
model_t = ctypes.c_uint64


class Config(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_int64),
        ("inputs", c_int64),
        ("outputs", c_int64),
        ("n_hidden", c_int64),
        ("hidden", c_int64 * MAX_HIDDEN),
        ("activation", c_int32),
        ("output", c_int32),
        ("init", c_int32),
        ("optimizer", c_int32),
        ("init_scale", c_double),
        ("eta", c_double),
        ("l2", c_double),
        ("momentum", c_double),
        ("beta1", c_double),
        ("beta2", c_double),
        ("epsilon", c_double),
        ("epochs", c_int64),
        ("batch_size", c_int64),
        ("patience", c_int64),
        ("seed", ctypes.c_uint64),
        ("shuffle", c_int32),
    ]


class Samples(ctypes.Structure):
    _fields_ = [
        ("x", c_float_p),
        ("rows", c_int64),
        ("cols", c_int64),
        ("labels", ctypes.c_void_p),
        ("label_type", c_int32),
    ]


class Epoch(ctypes.Structure):
    _fields_ = [
        ("epoch", c_int64),
        ("cost", c_double),
        ("train_accuracy", c_double),
        ("valid_accuracy", c_double),
        ("seconds", c_double),
    ]


class Progress(ctypes.Structure):
    _fields_ = [
        ("epoch", c_int64),
        ("epochs", c_int64),
        ("batch", c_int64),
        ("batches", c_int64),
        ("epoch_done", c_int32),
        ("stats", Epoch),
    ]


class ModelInfo(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_int64),
        ("config", Config),
        ("epochs_trained", c_int64),
    ]


class Dataset(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_int64),
        ("rows", c_int64),
        ("cols", c_int64),
        ("height", c_int64),
        ("width", c_int64),
        ("classes", c_int64),
        ("x", c_float_p),
        ("labels", ctypes.POINTER(ctypes.c_uint8)),
    ]


PROGRESS_FN = ctypes.CFUNCTYPE(c_int32, ctypes.POINTER(Progress), ctypes.c_void_p)


def _library_path():
    env = os.environ.get("MLPGO_LIB")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    names = {"win32": ["mlpgo.dll"], "darwin": ["libmlpgo.dylib", "libmlpgo.so"]}.get(sys.platform, ["libmlpgo.so"])
    for folder in (here, os.path.join(here, os.pardir, os.pardir, "lib")):
        for name in names:
            path = os.path.normpath(os.path.join(folder, name))
            if os.path.exists(path):
                return path
    raise ImportError(
        "mlpgo: libmlpgo not found: set MLPGO_LIB to its path, put it next to the mlpgo package, "
        "or build it with `go generate ./capi` in the mlpgo repository"
    )


def _declare(lib):
    p = ctypes.POINTER
    sigs = {
        "mlpgo_abi_version": (c_int32, []),
        "mlpgo_version": (ctypes.c_char_p, []),
        "mlpgo_status_name": (ctypes.c_char_p, [c_int32]),
        "mlpgo_last_error": (c_int32, [ctypes.c_char_p, c_int64, p(c_int64)]),
        "mlpgo_config_init": (c_int32, [p(Config)]),
        "mlpgo_set_threads": (c_int32, [c_int32, p(c_int32)]),
        "mlpgo_model_create": (c_int32, [p(Config), p(model_t)]),
        "mlpgo_model_free": (c_int32, [model_t]),
        "mlpgo_model_describe": (c_int32, [model_t, p(ModelInfo)]),
        "mlpgo_fit": (c_int32, [model_t, p(Samples), p(Samples), PROGRESS_FN, ctypes.c_void_p,
                                p(Epoch), c_int64, p(c_int64)]),
        "mlpgo_predict": (c_int32, [model_t, c_float_p, c_int64, c_int64, p(c_int32), c_int64]),
        "mlpgo_predict_proba": (c_int32, [model_t, c_float_p, c_int64, c_int64, c_float_p, c_int64]),
        "mlpgo_accuracy": (c_int32, [model_t, p(Samples), p(c_double)]),
        "mlpgo_model_save": (c_int32, [model_t, ctypes.c_char_p]),
        "mlpgo_model_save_checkpoint": (c_int32, [model_t, ctypes.c_char_p]),
        "mlpgo_model_load": (c_int32, [ctypes.c_char_p, p(model_t)]),
        "mlpgo_mnist_fetch": (c_int32, [ctypes.c_char_p, ctypes.c_char_p, c_int64, p(c_int64)]),
        "mlpgo_dataset_load": (c_int32, [ctypes.c_char_p, ctypes.c_char_p, c_int32, c_int64, p(Dataset)]),
        "mlpgo_dataset_free": (c_int32, [p(Dataset)]),
    }
    for name, (restype, argtypes) in sigs.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


path = _library_path()
# Loaded once per process and never unloaded: a Go runtime cannot be.
lib = _declare(ctypes.CDLL(path))
if lib.mlpgo_abi_version() != ABI_VERSION:
    raise ImportError(
        "mlpgo: %s has ABI version %d, this package needs %d" % (path, lib.mlpgo_abi_version(), ABI_VERSION)
    )
