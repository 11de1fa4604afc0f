package mlp

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
)

// The model file's identity, in its __metadata__.
const (
	formatName    = "mlpgo"
	formatVersion = "1"
	kindModel     = "model"
	kindCkpt      = "checkpoint"
)

// Metadata keys. Every value is a string, as safetensors requires; the
// structured ones hold JSON.
const (
	metaFormat  = "format"         // "mlpgo"
	metaVersion = "format_version" // "1"
	metaKind    = "kind"           // "model" or "checkpoint"
	metaArch    = "architecture"   // archJSON
	metaConfig  = "config"         // Config's JSON
	metaEpochs  = "epochs"         // epochs the weights were trained for
	metaSHA256  = "sha256"         // hex SHA-256 of all tensor bytes
	metaState   = "train_state"    // stateJSON, checkpoints only
)

// archJSON describes the layers for readers that do not know Config:
// layer i maps In inputs to Out outputs through Activation, and its
// tensors are layers.{i}.weight [Out, In] and layers.{i}.bias [Out].
type archJSON struct {
	Inputs int         `json:"inputs"`
	Layers []archLayer `json:"layers"`
}

type archLayer struct {
	In         int    `json:"in"`
	Out        int    `json:"out"`
	Activation string `json:"activation"`
}

// stateJSON is a checkpoint's training state besides its tensors.
type stateJSON struct {
	Epoch     int      `json:"epoch"`
	Batch     int      `json:"batch"`
	Steps     int64    `json:"steps"`
	RNG       []byte   `json:"rng"` // the PCG generator's MarshalBinary
	BestAcc   *float64 `json:"best_valid_acc"`
	BestEpoch int      `json:"best_epoch"`
	BadEpochs int      `json:"bad_epochs"`
	Stopped   bool     `json:"stopped"`
	History   History  `json:"history"`
}

func (n *Network) arch() archJSON { return archOf(n.cfg, n.sizes) }

// archOf describes the layers of a network of the given sizes (inputs,
// hidden..., classes) and configuration.
func archOf(cfg Config, sizes []int) archJSON {
	a := archJSON{Inputs: sizes[0]}
	for l := 1; l < len(sizes); l++ {
		f := cfg.Activation.String()
		if l == len(sizes)-1 {
			f = cfg.Output.String()
		}
		a.Layers = append(a.Layers, archLayer{In: sizes[l-1], Out: sizes[l], Activation: f})
	}
	return a
}

// paramName returns the file name of parameter p of Network.params.
func paramName(p int) string {
	if p%2 == 0 {
		return fmt.Sprintf("layers.%d.weight", p/2)
	}
	return fmt.Sprintf("layers.%d.bias", p/2)
}

// momentNames names the optimizer's per-parameter state slices.
func momentNames(o Optimizer) []string {
	switch o {
	case Momentum, Nesterov:
		return []string{"velocity"}
	case Adam:
		return []string{"m", "v"}
	}
	return nil
}

// paramTensor encodes values shaped like parameter p: weights, kept
// [in, out] in memory, are written transposed as [out, in].
func (n *Network) paramTensor(name string, p int, v []float32) stTensor {
	ly := n.layers[p/2]
	if p%2 == 1 {
		return stTensor{name: name, dtype: "F32", shape: []int{len(v)}, data: f32Bytes(v)}
	}
	in, out := ly.w.Rows, ly.w.Cols
	b := make([]byte, 0, 4*len(v))
	for o := range out {
		for i := range in {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v[i*out+o]))
		}
	}
	return stTensor{name: name, dtype: "F32", shape: []int{out, in}, data: b}
}

func f32Bytes(v []float32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

// encode writes the network as a safetensors file; with checkpoint set it
// adds the training state.
func (n *Network) encode(w io.Writer, checkpoint bool) error {
	var tensors []stTensor
	for p, v := range n.params() {
		tensors = append(tensors, n.paramTensor(paramName(p), p, v))
	}
	cfg, err := json.Marshal(n.cfg)
	if err != nil {
		return err
	}
	arch, err := json.Marshal(n.arch())
	if err != nil {
		return err
	}
	meta := map[string]string{
		metaFormat:  formatName,
		metaVersion: formatVersion,
		metaKind:    kindModel,
		metaArch:    string(arch),
		metaConfig:  string(cfg),
		metaEpochs:  strconv.Itoa(n.epochs),
	}
	if checkpoint {
		st := n.train
		meta[metaKind] = kindCkpt
		rng, err := st.pcg.MarshalBinary()
		if err != nil {
			return err
		}
		s := stateJSON{Epoch: st.epoch, Batch: st.batch, Steps: st.steps, RNG: rng,
			BestEpoch: st.bestEpoch, BadEpochs: st.badEpochs, Stopped: st.stopped, History: st.history}
		if st.bestEpoch > 0 {
			s.BestAcc = &st.bestAcc
		}
		state, err := json.Marshal(s)
		if err != nil {
			return err
		}
		meta[metaState] = string(state)
		names := momentNames(n.cfg.Optimizer)
		for p, slots := range st.moments {
			for k, v := range slots {
				tensors = append(tensors, n.paramTensor("optimizer."+paramName(p)+"."+names[k], p, v))
			}
		}
		if st.bestEpoch > 0 {
			for p, v := range st.best {
				tensors = append(tensors, n.paramTensor("best."+paramName(p), p, v))
			}
		}
		if st.batch > 0 {
			b := make([]byte, 0, 4*len(st.perm))
			for _, i := range st.perm {
				b = binary.LittleEndian.AppendUint32(b, i)
			}
			tensors = append(tensors, stTensor{name: "train.perm", dtype: "U32", shape: []int{len(st.perm)}, data: b})
		}
	}
	h := sha256.New()
	for _, t := range tensors {
		h.Write(t.data)
	}
	meta[metaSHA256] = hex.EncodeToString(h.Sum(nil))
	return writeSafetensors(w, meta, tensors)
}

// WriteTo writes the network as a .safetensors model file (weights, biases
// and metadata, no training state) to w. It implements io.WriterTo.
func (n *Network) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: w}
	if err := n.encode(cw, false); err != nil {
		return cw.n, fmt.Errorf("mlp: writing model: %w", err)
	}
	return cw.n, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	k, err := c.w.Write(p)
	c.n += int64(k)
	return k, err
}

// Save writes the network to path as a .safetensors model file. The file
// is replaced atomically: the data goes to a temporary file in the same
// folder, which is synced and renamed to path.
func (n *Network) Save(path string) error {
	return writeFileAtomic(path, func(w io.Writer) error { return n.encode(w, false) })
}

// SaveCheckpoint writes the network and its training state (optimizer
// state, random generator state, position in training, early-stopping
// state and history) to path, atomically as Save does. Load returns a
// network whose Fit continues exactly where this one stands. It fails with
// ErrNoTrainingState for a network loaded from a model file.
func (n *Network) SaveCheckpoint(path string) error {
	if n.train == nil {
		return fmt.Errorf("mlp: SaveCheckpoint %s: %w", path, ErrNoTrainingState)
	}
	return writeFileAtomic(path, func(w io.Writer) error { return n.encode(w, true) })
}

// writeFileAtomic writes path through write into a temporary file in the
// same folder, syncs it, renames it to path and syncs the folder.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("mlp: saving %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			err = fmt.Errorf("mlp: saving %s: %w", path, err)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<16)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: not every file system syncs folders
		d.Close()
	}
	return nil
}

// Load reads a model or checkpoint file written by Save or SaveCheckpoint.
// It rejects, with an error wrapping ErrFormat, ErrVersion or ErrChecksum,
// a file that is truncated, corrupt, of an unknown format version or
// inconsistent with its own header. A network loaded from a checkpoint can
// continue training with Fit; one loaded from a model file predicts only.
func Load(path string) (*Network, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mlp: %w", err)
	}
	n, err := decode(b)
	if err != nil {
		return nil, fmt.Errorf("mlp: %s: %w", path, err)
	}
	return n, nil
}

// Read reads a model or checkpoint file from r, as Load does.
func Read(r io.Reader) (*Network, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("mlp: reading model: %w", err)
	}
	n, err := decode(b)
	if err != nil {
		return nil, fmt.Errorf("mlp: reading model: %w", err)
	}
	return n, nil
}

// decode parses a model or checkpoint file and checks it against itself.
func decode(b []byte) (*Network, error) {
	f, err := parseSafetensors(b)
	if err != nil {
		return nil, err
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrFormat, fmt.Sprintf(format, args...))
	}
	if f.meta[metaFormat] != formatName {
		return nil, bad("__metadata__ format is %q, want %q: not an mlpgo model", f.meta[metaFormat], formatName)
	}
	switch v, ok := f.meta[metaVersion]; {
	case !ok:
		return nil, bad("__metadata__ has no %s", metaVersion)
	case v != formatVersion:
		return nil, fmt.Errorf("%w: format version %q, this mlpgo reads version %s", ErrVersion, v, formatVersion)
	}
	sum := sha256.Sum256(f.data)
	if want := f.meta[metaSHA256]; hex.EncodeToString(sum[:]) != want {
		return nil, fmt.Errorf("%w: the tensor bytes hash to %x, the header says %q", ErrChecksum, sum, want)
	}

	var cfg Config
	if err := json.Unmarshal([]byte(f.meta[metaConfig]), &cfg); err != nil {
		return nil, bad("config: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, bad("config: %v", err)
	}
	cfg = cfg.WithDefaults()
	var arch archJSON
	if err := json.Unmarshal([]byte(f.meta[metaArch]), &arch); err != nil {
		return nil, bad("architecture: %v", err)
	}
	if len(arch.Layers) != len(cfg.Hidden)+1 {
		return nil, bad("architecture has %d layers, the config %d hidden layers", len(arch.Layers), len(cfg.Hidden))
	}
	classes := arch.Layers[len(arch.Layers)-1].Out
	if arch.Inputs < 1 || classes < 2 || classes > MaxClasses {
		return nil, bad("architecture has %d inputs and %d classes", arch.Inputs, classes)
	}
	epochs, err := strconv.Atoi(f.meta[metaEpochs])
	if err != nil || epochs < 0 {
		return nil, bad("epochs %q is not a count", f.meta[metaEpochs])
	}
	sizes := append(append([]int{arch.Inputs}, cfg.Hidden...), classes)
	if want := archOf(cfg, sizes); !slices.Equal(arch.Layers, want.Layers) {
		return nil, bad("architecture %+v does not match the config's %+v", arch.Layers, want.Layers)
	}
	// Check the shapes before allocating anything they imply: the tensors
	// are in the file, so this bounds memory by the file's size.
	for l := 1; l < len(sizes); l++ {
		for p, want := range [][]int{{sizes[l], sizes[l-1]}, {sizes[l]}} {
			if err := f.checkF32(paramName(2*(l-1)+p), want); err != nil {
				return nil, err
			}
		}
	}
	n := newNetwork(cfg, arch.Inputs, classes)
	n.epochs = epochs

	used := map[string]bool{}
	// take copies the tensor called name, shaped like parameter p, into dst.
	take := func(name string, p int, dst []float32) error {
		ly := n.layers[p/2]
		want := []int{len(dst)}
		if p%2 == 0 {
			want = []int{ly.w.Cols, ly.w.Rows}
		}
		if err := f.checkF32(name, want); err != nil {
			return err
		}
		t := f.tensors[name]
		used[name] = true
		for k := range dst {
			i := k
			if p%2 == 0 { // file [out, in] -> memory [in, out]
				i = (k%ly.w.Rows)*ly.w.Cols + k/ly.w.Rows
			}
			v := math.Float32frombits(binary.LittleEndian.Uint32(t.data[4*k:]))
			if v-v != 0 {
				return bad("tensor %s holds %g", name, v)
			}
			dst[i] = v
		}
		return nil
	}
	params := n.params()
	for p, v := range params {
		if err := take(paramName(p), p, v); err != nil {
			return nil, err
		}
	}

	switch kind := f.meta[metaKind]; kind {
	case kindModel:
	case kindCkpt:
		if err := n.decodeState(f, params, take, used); err != nil {
			return nil, err
		}
	default:
		return nil, bad("kind %q, want %q or %q", kind, kindModel, kindCkpt)
	}
	for name := range f.tensors {
		if !used[name] {
			return nil, bad("unexpected tensor %s", name)
		}
	}
	n.weightsChanged()
	return n, nil
}

// checkF32 returns an error unless the file has an F32 tensor called name
// of the given shape.
func (f *stFile) checkF32(name string, shape []int) error {
	t, ok := f.tensors[name]
	if !ok {
		return fmt.Errorf("%w: tensor %s is missing", ErrFormat, name)
	}
	if t.dtype != "F32" || !slices.Equal(t.shape, shape) {
		return fmt.Errorf("%w: tensor %s is %s %v, want F32 %v", ErrFormat, name, t.dtype, t.shape, shape)
	}
	return nil
}

// decodeState restores a checkpoint's training state into n.
func (n *Network) decodeState(f *stFile, params [][]float32, take func(string, int, []float32) error, used map[string]bool) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: train_state: %s", ErrFormat, fmt.Sprintf(format, args...))
	}
	var s stateJSON
	if err := json.Unmarshal([]byte(f.meta[metaState]), &s); err != nil {
		return bad("%v", err)
	}
	pcg := new(rand.PCG)
	if err := pcg.UnmarshalBinary(s.RNG); err != nil {
		return bad("rng: %v", err)
	}
	cfg := &n.cfg
	switch {
	case s.Epoch < 0 || s.Epoch > cfg.Epochs || s.Epoch != len(s.History):
		return bad("epoch %d with %d history rows and %d epochs configured", s.Epoch, len(s.History), cfg.Epochs)
	case s.Batch < 0 || s.Steps < 0 || s.BadEpochs < 0:
		return bad("negative counters")
	case (s.BestEpoch > 0) != (s.BestAcc != nil) || s.BestEpoch > s.Epoch || s.BestEpoch < 0:
		return bad("best epoch %d does not fit", s.BestEpoch)
	case (s.Stopped || s.BestEpoch > 0 || s.BadEpochs > 0) && cfg.Patience == 0:
		return bad("early-stopping state without Patience")
	}
	st := &trainState{pcg: pcg, rand: rand.New(pcg), epoch: s.Epoch, batch: s.Batch, steps: s.Steps,
		bestAcc: math.Inf(-1), bestEpoch: s.BestEpoch, badEpochs: s.BadEpochs, stopped: s.Stopped}
	st.allocate(n)
	st.history = append(st.history, s.History...)
	if s.BestAcc != nil {
		st.bestAcc = *s.BestAcc
	}
	names := momentNames(cfg.Optimizer)
	for p, slots := range st.moments {
		for k, v := range slots {
			if err := take("optimizer."+paramName(p)+"."+names[k], p, v); err != nil {
				return err
			}
		}
	}
	if st.bestEpoch > 0 {
		for p, v := range st.best {
			if err := take("best."+paramName(p), p, v); err != nil {
				return err
			}
		}
	}
	if st.batch > 0 {
		t, ok := f.tensors["train.perm"]
		if !ok || t.dtype != "U32" || len(t.shape) != 1 {
			return bad("batch %d but no U32 vector train.perm", st.batch)
		}
		used["train.perm"] = true
		rows := t.shape[0]
		if st.batch > rows/cfg.BatchSize {
			return bad("batch %d of %d rows is past the %d rows of train.perm", st.batch, cfg.BatchSize, rows)
		}
		st.perm = make([]uint32, rows)
		seen := make([]bool, rows)
		for i := range st.perm {
			v := binary.LittleEndian.Uint32(t.data[4*i:])
			if int64(v) >= int64(rows) || seen[v] {
				return bad("train.perm is not a permutation of 0..%d", rows-1)
			}
			seen[v] = true
			st.perm[i] = v
		}
	}
	n.train = st
	return nil
}
