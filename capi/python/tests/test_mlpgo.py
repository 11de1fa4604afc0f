"""Tests of the mlpgo Python package against the built libmlpgo
(MLPGO_LIB, or capi/lib/libmlpgo.so from `go generate ./capi`)."""

import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import threading

import numpy as np
import pytest

import mlpgo
from mlpgo import _lib
from conftest import PYTHON_DIR, REPO_ROOT


def blobs(n, features=8, classes=3, seed=0):
    """n rows of separable clusters: class k has feature k near 1."""
    rng = np.random.default_rng(seed)
    y = (np.arange(n) % classes).astype(np.uint8)
    X = rng.uniform(-0.2, 0.2, size=(n, features)).astype(np.float32)
    X[np.arange(n), y] += 1
    return X, y


def small(**params):
    p = dict(hidden=(16,), batch_size=10, eta=0.05, l2=0, epochs=20)
    p.update(params)
    return mlpgo.MLPClassifier(**p)


def test_versions():
    assert mlpgo.abi_version() == _lib.ABI_VERSION
    assert mlpgo.version().startswith("mlpgo ")


def test_defaults_are_the_librarys():
    cfg = _lib.Config(struct_size=_lib.ctypes.sizeof(_lib.Config))
    assert _lib.lib.mlpgo_config_init(_lib.ctypes.byref(cfg)) == _lib.OK
    p = mlpgo.MLPClassifier().get_params()
    assert p["hidden"] == tuple(cfg.hidden[i] for i in range(cfg.n_hidden))
    for name, table in (("activation", _lib.ACTIVATIONS), ("output", _lib.OUTPUTS), ("init", _lib.INITS),
                        ("optimizer", _lib.OPTIMIZERS)):
        assert table[p[name]] == getattr(cfg, name), name
    for name in ("init_scale", "eta", "l2", "momentum", "beta1", "beta2", "epsilon", "epochs", "batch_size", "seed",
                 "patience"):
        assert p[name] == getattr(cfg, name), name
    assert p["shuffle"] == bool(cfg.shuffle)


def test_fit_predict_score():
    X, y = blobs(300, seed=1)
    Xv, yv = blobs(60, seed=2)
    clf = small().fit(X, y, Xv, yv)
    h = clf.history_
    assert h["epoch"] == list(range(1, 21))
    assert len(h["cost"]) == len(h["train_acc"]) == len(h["valid_acc"]) == len(h["seconds"]) == 20
    assert h["cost"][-1] < h["cost"][0]
    assert h["valid_acc"][-1] > 0.95
    assert clf.epochs_trained_ == 20
    pred = clf.predict(Xv)
    proba = clf.predict_proba(Xv)
    assert proba.shape == (60, 3) and proba.dtype == np.float32
    assert np.array_equal(pred, proba.argmax(axis=1))
    assert clf.score(Xv, yv) == np.mean(pred == yv) == h["valid_acc"][-1]
    # Without a validation set, valid_acc is NaN.
    clf2 = small(epochs=2).fit(X, y)
    assert all(np.isnan(clf2.history_["valid_acc"]))


def test_int32_and_string_labels():
    X, y = blobs(300, seed=1)
    a = small(epochs=5).fit(X, y)
    b = small(epochs=5).fit(X, y.astype(np.int32))
    names = np.array(["cat", "dog", "eel"])
    c = small(epochs=5).fit(X, names[y])
    assert np.array_equal(a.predict_proba(X), b.predict_proba(X))
    assert np.array_equal(a.predict_proba(X), c.predict_proba(X))
    assert list(c.classes_) == ["cat", "dog", "eel"]
    assert np.array_equal(c.predict(X), names[a.predict(X)])
    assert c.score(X, names[y]) == a.score(X, y)
    with pytest.raises(ValueError, match="not one of the classes"):
        c.score(X, np.full(300, "fox"))


def test_arrays_are_not_copied():
    X = np.zeros((4, 3), dtype=np.float32)
    assert mlpgo._rows(X, "X") is X
    F = np.asfortranarray(X)
    assert mlpgo._rows(F, "X") is not F and mlpgo._rows(F, "X").flags.c_contiguous
    D = X.astype(np.float64)
    assert mlpgo._rows(D, "X").dtype == np.float32
    clf = small(epochs=1)
    clf.classes_, clf._identity_classes = np.arange(3), True
    y = np.array([0, 1, 2, 1], dtype=np.uint8)
    idx, lt = clf._labels(y, "y", 4)
    assert idx is y and lt == _lib.LABELS_UINT8
    y32 = y.astype(np.int32)
    idx, lt = clf._labels(y32, "y", 4)
    assert idx is y32 and lt == _lib.LABELS_INT32
    # Other layouts and dtypes train all the same.
    X, y = blobs(300, seed=1)
    a = small(epochs=3).fit(X, y)
    b = small(epochs=3).fit(np.asfortranarray(X.astype(np.float64)), y.astype(np.int64))
    assert np.array_equal(a.predict_proba(X), b.predict_proba(X))


def test_errors_carry_the_librarys_message():
    X, y = blobs(300, seed=1)
    bad = X.copy()
    bad[7, 2] = np.nan
    with pytest.raises(mlpgo.InvalidArgumentError, match="row 7, column 2 is NaN") as e:
        small(epochs=1).fit(bad, y)
    assert e.value.status == _lib.ERR_INVALID_ARGUMENT
    assert e.value.status_name == "MLPGO_ERR_INVALID_ARGUMENT"
    assert "mlpgo_fit" in str(e.value)
    clf = small(epochs=1).fit(X, y)
    with pytest.raises(mlpgo.InvalidArgumentError, match="Inf"):
        clf.predict(np.where(X == X[0, 0], np.inf, X))
    with pytest.raises(mlpgo.InvalidArgumentError, match="eta is 0"):
        small(eta=0).fit(X, y)
    with pytest.raises(mlpgo.InvalidArgumentError, match="momentum"):
        small(momentum=2).fit(X, y)
    with pytest.raises(mlpgo.InvalidArgumentError, match="fewer than one minibatch"):
        small(batch_size=1000).fit(X, y)
    with pytest.raises(mlpgo.DivergedError, match="smaller learning rate"):
        small(eta=1e30, activation="relu", output="softmax").fit(X, y)
    with pytest.raises(ValueError, match="activation='swish'"):
        small(activation="swish").fit(X, y)
    with pytest.raises(ValueError, match="5 features, the model has 8"):
        clf.predict(X[:, :5])
    with pytest.raises(ValueError, match="at least 2"):
        small().fit(X, np.zeros(300))
    with pytest.raises(AttributeError, match="not fitted"):
        small().predict(X)
    with pytest.raises(mlpgo.MlpgoIOError, match="no-such-file") as e:
        mlpgo.MLPClassifier.load("/nonexistent/no-such-file.safetensors")
    assert isinstance(e.value, OSError)


def read_safetensors(path):
    """Reads a .safetensors file with plain NumPy: an 8-byte little-endian
    header length, a JSON header, then the raw tensors."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    body = data[8 + n:]
    dtypes = {"F32": "<f4", "F64": "<f8", "I64": "<i8", "U8": "u1"}
    tensors = {}
    for name, t in header.items():
        start, end = t["data_offsets"]
        tensors[name] = np.frombuffer(body[start:end], dtype=dtypes[t["dtype"]]).reshape(t["shape"])
    return meta, tensors


def test_saved_model_reads_with_numpy(tmp_path):
    X, y = blobs(300, seed=1)
    clf = small(hidden=(16, 12), epochs=10).fit(X, y)
    path = tmp_path / "model.safetensors"
    clf.save(path)
    meta, t = read_safetensors(path)
    assert sorted(t) == ["layers.0.bias", "layers.0.weight", "layers.1.bias", "layers.1.weight",
                         "layers.2.bias", "layers.2.weight"]
    assert t["layers.0.weight"].shape == (16, 8) and t["layers.2.weight"].shape == (3, 12)
    assert meta, "the header has __metadata__"
    # The seed's forward pass in NumPy, like PyTorch's nn.Linear: x W^T + b.
    a = X.astype(np.float64)
    for i in range(3):
        z = a @ t["layers.%d.weight" % i].T.astype(np.float64) + t["layers.%d.bias" % i]
        a = 1 / (1 + np.exp(-z))
    assert np.array_equal(a.argmax(axis=1), clf.predict(X))
    np.testing.assert_allclose(a, clf.predict_proba(X), rtol=1e-5, atol=1e-6)

    loaded = mlpgo.MLPClassifier.load(path)
    assert np.array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    want = clf.get_params()
    got = loaded.get_params()
    assert got == want
    assert loaded.epochs_trained_ == 10 and loaded.n_features_in_ == 8


def test_config_round_trip(tmp_path):
    """Every config field reaches the library and comes back (the ctypes
    struct layouts match the header's)."""
    params = dict(hidden=(7, 5), activation="tanh", output="softmax", init="he", init_scale=0.3,
                  optimizer="adam", eta=0.002, l2=0.001, momentum=0.8, beta1=0.85, beta2=0.99, epsilon=1e-7,
                  epochs=3, batch_size=16, shuffle=False, seed=42, patience=2, verbose=False)
    X, y = blobs(200, seed=3)
    clf = mlpgo.MLPClassifier(**params).fit(X, y, X[:50], y[:50])
    clf.save(tmp_path / "m.safetensors")
    assert mlpgo.MLPClassifier.load(tmp_path / "m.safetensors").get_params() == params
    assert np.allclose(clf.predict_proba(X).sum(axis=1), 1, atol=1e-5)


def test_files_rejected(tmp_path):
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"not a model at all")
    with pytest.raises(mlpgo.FormatError, match="garbage.safetensors"):
        mlpgo.MLPClassifier.load(garbage)
    X, y = blobs(300)
    good = tmp_path / "good.safetensors"
    small(epochs=1).fit(X, y).save(good)
    data = bytearray(good.read_bytes())
    data[-1] ^= 1
    flipped = tmp_path / "flipped.safetensors"
    flipped.write_bytes(bytes(data))
    with pytest.raises(mlpgo.FormatError, match="checksum"):
        mlpgo.MLPClassifier.load(flipped)


def test_concurrent_predict_and_busy_during_fit():
    X, y = blobs(3000, features=32, classes=10, seed=4)
    clf = small(hidden=(64,), epochs=3).fit(X, y)
    want = clf.predict_proba(X)
    results = []

    def worker():
        results.append(all(np.array_equal(clf.predict_proba(X), want) for _ in range(20)))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 8

    # While fit trains (in another thread), calls on the model are busy.
    big = small(hidden=(64,), epochs=200)
    fitter = threading.Thread(target=big.fit, args=(X, y))
    fitter.start()
    busy = None
    while fitter.is_alive() and busy is None:
        try:
            big.predict(X[:1])
        except AttributeError:  # fit has not created the model yet
            pass
        except mlpgo.BusyError as e:
            busy = e
    fitter.join()
    assert busy is not None, "no BusyError while fit ran"
    assert busy.status_name == "MLPGO_ERR_BUSY" and "in use" in str(busy)
    assert big.epochs_trained_ == 200


def write_idx(path, array):
    """Writes an IDX file of unsigned bytes (MNIST's format)."""
    a = np.asarray(array, dtype=np.uint8)
    with open(path, "wb") as f:
        f.write(struct.pack(">BBBB", 0, 0, 0x08, a.ndim))
        f.write(struct.pack(">%dI" % a.ndim, *a.shape))
        f.write(a.tobytes())


def test_load_mnist_layout(tmp_path):
    images = np.arange(5 * 3 * 4, dtype=np.uint8).reshape(5, 3, 4) * 4
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    write_idx(tmp_path / "train-images-idx3-ubyte", images)
    write_idx(tmp_path / "train-labels-idx1-ubyte", labels)
    X, y = mlpgo.load_mnist("train", dir=tmp_path)
    assert X.shape == (5, 12) and X.dtype == np.float32
    assert np.array_equal(y, labels)
    np.testing.assert_allclose(X, ((images.reshape(5, 12) / 255) - 0.5) * 2, rtol=1e-6)
    X, _ = mlpgo.load_mnist("train", dir=tmp_path, scaling="raw")
    assert np.array_equal(X, images.reshape(5, 12))
    with pytest.raises(mlpgo.FormatError, match="label"):
        mlpgo.load_mnist("train", dir=tmp_path, classes=5)
    with pytest.raises(mlpgo.MlpgoIOError, match="t10k"):
        mlpgo.load_mnist("t10k", dir=tmp_path)
    with pytest.raises(ValueError, match="scaling"):
        mlpgo.load_mnist("train", dir=tmp_path, scaling="fancy")


def run_python(code, **kwargs):
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR)
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **kwargs)


@pytest.mark.parametrize("during", ["sleep", "fit"])
def test_ctrl_c_reaches_python(during):
    """libmlpgo leaves SIGINT to Python (golang/go#13028): a Ctrl-C raises
    KeyboardInterrupt, also in the middle of fit, after which the estimator
    predicts with the weights reached so far."""
    code = """
import time, numpy as np, mlpgo
X = np.random.default_rng(0).uniform(-1, 1, (20000, 784)).astype(np.float32)
y = (np.arange(20000) % 10).astype(np.uint8)
clf = mlpgo.MLPClassifier(epochs=100000, verbose=True)
try:
    if DURING == "sleep":
        print("epoch ready", flush=True)
        time.sleep(300)
    else:
        clf.fit(X, y)
except KeyboardInterrupt:
    print("KeyboardInterrupt", flush=True)
    if DURING == "fit":
        print("epochs", clf.epochs_trained_, "predicted", len(clf.predict(X[:10])), flush=True)
""".replace("DURING", repr(during))
    # A shell that starts a job in the background without job control
    # (CI under nohup, say) passes SIGINT on ignored, and Python then keeps
    # it ignored: give the child the default disposition a terminal would.
    p = run_python(code, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        line = p.stdout.readline()
        assert line.startswith("epoch"), line + p.stdout.read()
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=120)
    finally:
        p.kill()
    assert "KeyboardInterrupt" in out, out
    assert p.returncode == 0, out
    if during == "fit":
        assert "predicted 10" in out, out


def go_command():
    return shutil.which("go") or os.path.join(os.environ.get("GOROOT", "/usr/local/go"), "bin", "go")


@pytest.mark.skipif(os.environ.get("MLPGO_TEST_MNIST") != "1",
                    reason="set MLPGO_TEST_MNIST=1 to train on real MNIST and compare with the mlpgo command")
def test_mnist_matches_the_command(tmp_path):
    """The estimator trains the seed's network on real MNIST exactly as
    `mlpgo train` does with the same settings: same per-epoch figures, the
    same weights, the same test accuracy."""
    epochs = 3
    X, y = mlpgo.load_mnist("train")
    Xt, yt = mlpgo.load_mnist("t10k")
    clf = mlpgo.MLPClassifier(epochs=epochs).fit(X[:55000], y[:55000], X[55000:], y[55000:])
    clf.save(tmp_path / "python.safetensors")
    test_acc = clf.score(Xt, yt)
    print("python: valid %s, test %.4f" % (clf.history_["valid_acc"], test_acc))

    cli_model = tmp_path / "cli.safetensors"
    out = subprocess.run([go_command(), "run", "./cli/mlpgo", "train", "--epochs", str(epochs), "--out",
                          str(cli_model)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=1800)
    assert out.returncode == 0, out.stdout + out.stderr
    print(out.stdout)
    with open(str(cli_model).replace(".safetensors", ".history.jsonl")) as f:
        cli_history = [json.loads(line) for line in f]
    for key in ("cost", "train_acc", "valid_acc"):
        assert clf.history_[key] == pytest.approx([h[key] for h in cli_history], rel=1e-12), key
    _, ours = read_safetensors(tmp_path / "python.safetensors")
    _, theirs = read_safetensors(cli_model)
    for name in theirs:
        assert np.array_equal(ours[name], theirs[name]), name
    assert "test %.2f%%" % (100 * test_acc) in out.stdout
    assert test_acc > 0.85
