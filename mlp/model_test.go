package mlp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mlpgo/mlpgo/linalg"
)

func encodeModel(t testing.TB, n *Network, checkpoint bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := n.encode(&buf, checkpoint); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestSaveLoad saves and loads networks of several shapes and checks that
// the loaded one predicts bit-identically and saves to the same bytes.
func TestSaveLoad(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"seed", Config{}},
		{"deep relu softmax adam", Config{Hidden: []int{9, 7, 6}, Activation: linalg.ReLU, Output: SoftmaxOutput, Optimizer: Adam, Init: InitHe}},
		{"leaky nesterov no L2", Config{Hidden: []int{3}, Activation: linalg.LeakyReLU, Optimizer: Nesterov, NoL2: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, x, _ := trained(t, tc.cfg)
			path := filepath.Join(t.TempDir(), "model.safetensors")
			if err := n.Save(path); err != nil {
				t.Fatal(err)
			}
			m, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := m.Config(), n.Config(); !configsEqual(got, want) {
				t.Errorf("loaded config %+v, want %+v", got, want)
			}
			if !slices.Equal(m.Sizes(), n.Sizes()) || m.Epochs() != n.Epochs() {
				t.Errorf("loaded sizes %v, epochs %d; want %v, %d", m.Sizes(), m.Epochs(), n.Sizes(), n.Epochs())
			}
			if i, ok := equalBits(weightBits(m), weightBits(n)); !ok {
				t.Fatalf("loaded weights differ at parameter %d", i)
			}
			p1, p2 := linalg.New(x.Rows, 5), linalg.New(x.Rows, 5)
			n.PredictProba(p1, x)
			m.PredictProba(p2, x)
			if !slices.Equal(p1.Data, p2.Data) {
				t.Error("the loaded network's PredictProba differs")
			}
			b, _ := os.ReadFile(path)
			if again := encodeModel(t, m, false); !bytes.Equal(again, b) {
				t.Error("saving the loaded network gives other bytes")
			}
			if _, err := m.Fit(t.Context(), x, make([]uint8, x.Rows), linalg.Matrix{}, nil, nil); !errors.Is(err, ErrNoTrainingState) {
				t.Errorf("Fit on a loaded model: error %v, want ErrNoTrainingState", err)
			}
			if err := m.SaveCheckpoint(path); !errors.Is(err, ErrNoTrainingState) {
				t.Errorf("SaveCheckpoint of a loaded model: error %v, want ErrNoTrainingState", err)
			}
		})
	}
}

func configsEqual(a, b Config) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// TestFileLayout reads a saved file with nothing but encoding/json and
// checks what Python's safetensors and PyTorch users rely on: the header,
// the [out, in] weights, the metadata and the checksum.
func TestFileLayout(t *testing.T) {
	n, _, _ := trained(t, Config{Hidden: []int{7}})
	b := encodeModel(t, n, false)
	hl := binary.LittleEndian.Uint64(b)
	if (8+hl)%8 != 0 {
		t.Errorf("tensor data starts at byte %d, want a multiple of 8", 8+hl)
	}
	var header map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+hl], &header); err != nil {
		t.Fatal(err)
	}
	data := b[8+hl:]
	var meta map[string]string
	if err := json.Unmarshal(header["__metadata__"], &meta); err != nil {
		t.Fatal(err)
	}
	if meta["format"] != "mlpgo" || meta["format_version"] != "1" || meta["kind"] != "model" || meta["epochs"] != "3" {
		t.Errorf("metadata %v", meta)
	}
	sum := sha256.Sum256(data)
	if meta["sha256"] != hex.EncodeToString(sum[:]) {
		t.Errorf("metadata sha256 %s, the data hashes to %x", meta["sha256"], sum)
	}
	var arch archJSON
	if err := json.Unmarshal([]byte(meta["architecture"]), &arch); err != nil {
		t.Fatal(err)
	}
	want := archJSON{Inputs: 12, Layers: []archLayer{{12, 7, "sigmoid"}, {7, 5, "sigmoid"}}}
	if arch.Inputs != want.Inputs || !slices.Equal(arch.Layers, want.Layers) {
		t.Errorf("architecture %+v, want %+v", arch, want)
	}
	for l, ly := range n.layers {
		var e stEntry
		json.Unmarshal(header[paramName(2*l)], &e)
		if e.DType != "F32" || !slices.Equal(e.Shape, []int{ly.w.Cols, ly.w.Rows}) {
			t.Fatalf("layers.%d.weight is %s %v, want F32 [%d %d]", l, e.DType, e.Shape, ly.w.Cols, ly.w.Rows)
		}
		for o := range ly.w.Cols {
			for i := range ly.w.Rows {
				k := e.Offsets[0] + 4*(o*ly.w.Rows+i)
				if got := math.Float32frombits(binary.LittleEndian.Uint32(data[k:])); got != ly.w.At(i, o) {
					t.Fatalf("layers.%d.weight[%d,%d] = %g, want W[%d,%d] = %g", l, o, i, got, i, o, ly.w.At(i, o))
				}
			}
		}
		json.Unmarshal(header[paramName(2*l+1)], &e)
		if !slices.Equal(e.Shape, []int{ly.w.Cols}) {
			t.Errorf("layers.%d.bias shape %v, want [%d]", l, e.Shape, ly.w.Cols)
		}
	}
}

// TestCheckpointResume stops training at several points, saves a
// checkpoint, loads it and trains on: the weights and history must be
// bit-identical to an uninterrupted run.
func TestCheckpointResume(t *testing.T) {
	all, labels := blobs(600, 10, 4, 21)
	x, y, xv, yv := all.RowSlice(0, 500), labels[:500], all.RowSlice(500, 600), labels[500:]
	configs := []struct {
		name string
		cfg  Config
	}{
		{"seed", Config{Hidden: []int{8}}},
		{"adam patience", Config{Hidden: []int{8, 6}, Optimizer: Adam, Activation: linalg.ReLU, Output: SoftmaxOutput, Eta: 0.01, Patience: 2}},
		{"nesterov eta decay", Config{Hidden: []int{8}, Optimizer: Nesterov, Eta: 0.001, EtaDecay: 0.7}},
	}
	stops := []struct {
		name         string
		epoch, batch int // stop once this minibatch of this epoch is done; batch 0: at the epoch's end
	}{{"mid-epoch", 2, 3}, {"epoch end", 3, 0}, {"first batch", 1, 1}}
	for _, c := range configs {
		cfg := c.cfg
		cfg.Epochs, cfg.BatchSize = 6, 40
		full, err := New(10, 4, cfg)
		if err != nil {
			t.Fatal(err)
		}
		want, err := full.Fit(t.Context(), x, y, xv, yv, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) <= 3 {
			t.Fatalf("%s: the uninterrupted run stopped after %d epochs, before the stop points", c.name, len(want))
		}
		for _, s := range stops {
			t.Run(c.name+"/"+s.name, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "ckpt.safetensors")
				n, _ := New(10, 4, cfg)
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				_, err := n.Fit(ctx, x, y, xv, yv, func(p Progress) {
					if p.Epoch == s.epoch && (s.batch == 0 && p.EpochDone || s.batch > 0 && p.Batch == s.batch && !p.EpochDone) {
						if err := n.SaveCheckpoint(path); err != nil {
							t.Error(err)
						}
						cancel()
					}
				})
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("Fit: error %v, want context.Canceled", err)
				}
				m, err := Load(path)
				if err != nil {
					t.Fatal(err)
				}
				got, err := m.Fit(t.Context(), x, y, xv, yv, nil)
				if err != nil {
					t.Fatal(err)
				}
				if i, ok := equalBits(weightBits(m), weightBits(full)); !ok {
					t.Errorf("resumed weights differ from an uninterrupted run at parameter %d", i)
				}
				compareHistories(t, got, want)
				if m.Epochs() != full.Epochs() {
					t.Errorf("Epochs() = %d, want %d", m.Epochs(), full.Epochs())
				}
			})
		}
	}
	t.Run("other data", func(t *testing.T) {
		n, _ := New(10, 4, Config{Hidden: []int{8}, BatchSize: 40})
		ctx, cancel := context.WithCancel(t.Context())
		n.Fit(ctx, x, y, xv, yv, func(p Progress) { cancel() })
		if _, err := n.Fit(t.Context(), x.RowSlice(0, 400), y[:400], xv, yv, nil); !errors.Is(err, ErrData) {
			t.Errorf("resuming mid-epoch on fewer rows: error %v, want ErrData", err)
		}
	})
}

// rewrite parses a valid file, lets edit change its metadata and tensors,
// and encodes it again, with a fresh checksum if fixSum is set.
func rewrite(t *testing.T, b []byte, fixSum bool, edit func(meta map[string]string, tensors map[string]stTensor)) []byte {
	t.Helper()
	f, err := parseSafetensors(b)
	if err != nil {
		t.Fatal(err)
	}
	edit(f.meta, f.tensors)
	names := make([]string, 0, len(f.tensors))
	for name := range f.tensors {
		names = append(names, name)
	}
	slices.Sort(names)
	var list []stTensor
	h := sha256.New()
	for _, name := range names {
		tt := f.tensors[name]
		tt.name = name
		list = append(list, tt)
		h.Write(tt.data)
	}
	if fixSum {
		f.meta[metaSHA256] = hex.EncodeToString(h.Sum(nil))
	}
	var buf bytes.Buffer
	if err := writeSafetensors(&buf, f.meta, list); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func editJSON(t *testing.T, s *string, edit func(map[string]any)) {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(*s), &v); err != nil {
		t.Fatal(err)
	}
	edit(v)
	out, _ := json.Marshal(v)
	*s = string(out)
}

// TestLoadRejects feeds Read truncated, corrupted, wrong-version and
// inconsistent files; each must fail with the right sentinel and a message
// that says what is wrong.
func TestLoadRejects(t *testing.T) {
	// A checkpoint with every part of the state: Adam's moments, the best
	// epoch's weights, and a position in the middle of epoch 2.
	x, y := blobs(600, 12, 5, 11)
	n, err := New(12, 5, Config{Hidden: []int{6}, Optimizer: Adam, Patience: 2, Epochs: 5})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	n.Fit(ctx, x, y, x, y, func(p Progress) {
		if p.Epoch == 2 && p.Batch == 2 {
			cancel()
		}
	})
	model, ckpt := encodeModel(t, n, false), encodeModel(t, n, true)
	hl := int(binary.LittleEndian.Uint64(model))
	flip := func(b []byte, i int) []byte {
		b = bytes.Clone(b)
		b[i] ^= 0x40
		return b
	}
	tests := []struct {
		name   string
		file   []byte
		target error
		msg    string
	}{
		{"empty", nil, ErrFormat, "truncated: 0 bytes"},
		{"header length only", model[:8], ErrFormat, "truncated: the header needs"},
		{"truncated header", model[:8+hl/2], ErrFormat, "truncated: the header needs"},
		{"truncated data", model[:len(model)-5], ErrFormat, "truncated: tensor"},
		{"truncated checkpoint", ckpt[:len(ckpt)-100], ErrFormat, "truncated"},
		{"trailing bytes", append(bytes.Clone(model), 0, 0, 0, 0), ErrFormat, "trailing"},
		{"huge header length", append(binary.LittleEndian.AppendUint64(nil, 1<<40), model[8:]...), ErrFormat, "exceeds"},
		{"header not JSON", flip(model, 8), ErrFormat, "not a JSON object"},
		{"flipped weight bit", flip(model, len(model)-7), ErrChecksum, "hash to"},
		{"flipped checkpoint bit", flip(ckpt, len(ckpt)-1), ErrChecksum, "hash to"},
		{"not mlpgo", rewrite(t, model, true, func(m map[string]string, _ map[string]stTensor) { m[metaFormat] = "other" }), ErrFormat, "not an mlpgo model"},
		{"no metadata", rewrite(t, model, true, func(m map[string]string, _ map[string]stTensor) { clear(m) }), ErrFormat, "not an mlpgo model"},
		{"no version", rewrite(t, model, true, func(m map[string]string, _ map[string]stTensor) { delete(m, metaVersion) }), ErrFormat, "no format_version"},
		{"future version", rewrite(t, model, true, func(m map[string]string, _ map[string]stTensor) { m[metaVersion] = "2" }), ErrVersion, `version "2"`},
		{"no checksum", rewrite(t, model, false, func(m map[string]string, _ map[string]stTensor) { delete(m, metaSHA256) }), ErrChecksum, `header says ""`},
		{"bad config", rewrite(t, model, true, func(m map[string]string, _ map[string]stTensor) {
			s := m[metaConfig]
			editJSON(t, &s, func(v map[string]any) { v["eta"] = -1 })
			m[metaConfig] = s
		}), ErrFormat, "eta is -1"},
		{"config and architecture disagree", rewrite(t, model, true, func(m map[string]string, _ map[string]stTensor) {
			s := m[metaConfig]
			editJSON(t, &s, func(v map[string]any) { v["activation"] = "tanh" })
			m[metaConfig] = s
		}), ErrFormat, "does not match the config"},
		{"layer count", rewrite(t, model, true, func(m map[string]string, _ map[string]stTensor) {
			s := m[metaConfig]
			editJSON(t, &s, func(v map[string]any) { v["hidden"] = []int{6, 6} })
			m[metaConfig] = s
		}), ErrFormat, "2 hidden layers"},
		{"weight shape", rewrite(t, model, true, func(_ map[string]string, ts map[string]stTensor) {
			w := ts["layers.0.weight"]
			w.shape = []int{w.shape[1], w.shape[0]}
			ts["layers.0.weight"] = w
		}), ErrFormat, "layers.0.weight is F32 [12 6], want F32 [6 12]"},
		{"missing tensor", rewrite(t, model, true, func(_ map[string]string, ts map[string]stTensor) { delete(ts, "layers.1.bias") }), ErrFormat, "layers.1.bias is missing"},
		{"extra tensor", rewrite(t, model, true, func(_ map[string]string, ts map[string]stTensor) {
			ts["layers.2.weight"] = stTensor{dtype: "F32", shape: []int{1}, data: make([]byte, 4)}
		}), ErrFormat, "unexpected tensor layers.2.weight"},
		{"dtype", rewrite(t, model, true, func(_ map[string]string, ts map[string]stTensor) {
			b := ts["layers.0.bias"]
			b.dtype = "F16"
			ts["layers.0.bias"] = b
		}), ErrFormat, `dtype "F16"`},
		{"NaN weight", rewrite(t, model, true, func(_ map[string]string, ts map[string]stTensor) {
			b := bytes.Clone(ts["layers.1.bias"].data)
			binary.LittleEndian.PutUint32(b, math.Float32bits(float32(math.NaN())))
			ts["layers.1.bias"] = stTensor{dtype: "F32", shape: []int{5}, data: b}
		}), ErrFormat, "layers.1.bias holds NaN"},
		{"unknown kind", rewrite(t, model, true, func(m map[string]string, _ map[string]stTensor) { m[metaKind] = "other" }), ErrFormat, `kind "other"`},
		{"checkpoint without state", rewrite(t, ckpt, true, func(m map[string]string, _ map[string]stTensor) { delete(m, metaState) }), ErrFormat, "train_state"},
		{"checkpoint bad rng", rewrite(t, ckpt, true, func(m map[string]string, _ map[string]stTensor) {
			s := m[metaState]
			editJSON(t, &s, func(v map[string]any) { v["rng"] = "AAAA" })
			m[metaState] = s
		}), ErrFormat, "rng"},
		{"checkpoint history", rewrite(t, ckpt, true, func(m map[string]string, _ map[string]stTensor) {
			s := m[metaState]
			editJSON(t, &s, func(v map[string]any) { v["epoch"] = 3 })
			m[metaState] = s
		}), ErrFormat, "epoch 3 with 1 history rows"},
		{"checkpoint permutation", rewrite(t, ckpt, true, func(_ map[string]string, ts map[string]stTensor) {
			p := ts["train.perm"]
			p.data = bytes.Clone(p.data)
			copy(p.data[4:8], p.data[0:4])
			ts["train.perm"] = p
		}), ErrFormat, "not a permutation"},
		{"checkpoint best weights", rewrite(t, ckpt, true, func(_ map[string]string, ts map[string]stTensor) { delete(ts, "best.layers.1.weight") }), ErrFormat, "best.layers.1.weight is missing"},
		{"checkpoint optimizer state", rewrite(t, ckpt, true, func(_ map[string]string, ts map[string]stTensor) { delete(ts, "optimizer.layers.0.weight.v") }), ErrFormat, "optimizer.layers.0.weight.v is missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tc.file))
			if !errors.Is(err, tc.target) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Read: error %v, want %v containing %q", err, tc.target, tc.msg)
			}
		})
	}
	if _, err := Read(bytes.NewReader(ckpt)); err != nil {
		t.Errorf("the uncorrupted checkpoint: %v", err)
	}
}

// TestSaveAtomic checks that Save replaces a file whole, leaves no
// temporary files and reports a folder it cannot write to.
func TestSaveAtomic(t *testing.T) {
	n, _, _ := trained(t, Config{})
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := n.Save(path); err != nil {
		t.Fatal(err)
	}
	if err := n.SaveCheckpoint(filepath.Join(dir, "c.safetensors")); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"c.safetensors", "m.safetensors"}) {
		t.Errorf("folder holds %v, want only the two saved files", names)
	}
	if _, err := Load(path); err != nil {
		t.Errorf("Load after overwrite: %v", err)
	}
	err := n.Save(filepath.Join(dir, "missing", "m.safetensors"))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "saving") {
		t.Errorf("Save into a missing folder: error %v, want one wrapping os.ErrNotExist", err)
	}
	if _, err := Load(filepath.Join(dir, "nothing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing file: error %v, want os.ErrNotExist", err)
	}
}
