package mlp

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"slices"
)

// The safetensors container: an 8-byte little-endian header length, a JSON
// header mapping tensor names to {dtype, shape, data_offsets} plus an
// optional "__metadata__" object of strings, then the tensors' bytes,
// little-endian, row-major, back to back. This file knows the container;
// model.go knows what mlpgo puts in it.

// maxHeaderLen bounds the JSON header, as the reference implementation
// does (100 MB), so a corrupt length cannot make a reader allocate more.
const maxHeaderLen = 100 << 20

// stTensor is one tensor to write, or one read.
type stTensor struct {
	name  string
	dtype string // "F32" or "U32"
	shape []int
	data  []byte // little-endian elements
}

// stEntry is a tensor's entry in the JSON header.
type stEntry struct {
	DType   string `json:"dtype"`
	Shape   []int  `json:"shape"`
	Offsets [2]int `json:"data_offsets"`
}

// dtypeSize returns the element size of the dtypes mlpgo writes, or 0.
func dtypeSize(dtype string) int {
	switch dtype {
	case "F32", "U32":
		return 4
	}
	return 0
}

// writeSafetensors writes meta and the tensors, in order, to w. The header
// is padded with spaces to a multiple of 8 bytes so the tensor data is
// aligned, as the reference writer does.
func writeSafetensors(w io.Writer, meta map[string]string, tensors []stTensor) error {
	header := make(map[string]any, len(tensors)+1)
	header["__metadata__"] = meta
	off := 0
	for _, t := range tensors {
		header[t.name] = stEntry{DType: t.dtype, Shape: t.shape, Offsets: [2]int{off, off + len(t.data)}}
		off += len(t.data)
	}
	h, err := json.Marshal(header)
	if err != nil {
		return err
	}
	if pad := len(h) % 8; pad != 0 {
		h = append(h, bytes.Repeat([]byte{' '}, 8-pad)...)
	}
	if err := binary.Write(w, binary.LittleEndian, uint64(len(h))); err != nil {
		return err
	}
	if _, err := w.Write(h); err != nil {
		return err
	}
	for _, t := range tensors {
		if _, err := w.Write(t.data); err != nil {
			return err
		}
	}
	return nil
}

// stFile is a parsed safetensors file.
type stFile struct {
	meta    map[string]string
	tensors map[string]stTensor
	data    []byte // every tensor's bytes: the part the checksum covers
}

// parseSafetensors parses and checks the container: the header length
// against the data, the header's JSON, each entry's dtype, shape and
// offsets, and that the tensors tile the data exactly, without gaps,
// overlaps or trailing bytes. Errors wrap ErrFormat.
func parseSafetensors(b []byte) (*stFile, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrFormat, fmt.Sprintf(format, args...))
	}
	if len(b) < 8 {
		return nil, bad("truncated: %d bytes, less than the 8-byte header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > maxHeaderLen {
		return nil, bad("header length %d exceeds the %d-byte limit", n, maxHeaderLen)
	}
	if n > uint64(len(b)-8) {
		return nil, bad("truncated: the header needs %d bytes, %d follow", n, len(b)-8)
	}
	hdr, data := b[8:8+n], b[8+n:]

	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &raw); err != nil {
		return nil, bad("header is not a JSON object: %v", err)
	}
	f := &stFile{meta: map[string]string{}, tensors: make(map[string]stTensor, len(raw)), data: data}
	if m, ok := raw["__metadata__"]; ok {
		if err := json.Unmarshal(m, &f.meta); err != nil {
			return nil, bad("__metadata__ is not an object of strings: %v", err)
		}
		delete(raw, "__metadata__")
	}
	type span struct {
		name       string
		start, end int
	}
	spans := make([]span, 0, len(raw))
	for name, msg := range raw {
		var e stEntry
		dec := json.NewDecoder(bytes.NewReader(msg))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, bad("tensor %q: %v", name, err)
		}
		size := dtypeSize(e.DType)
		if size == 0 {
			return nil, bad("tensor %q: dtype %q, want F32 or U32", name, e.DType)
		}
		count := 1
		for _, d := range e.Shape {
			if d < 0 || (d > 0 && count > len(data)/d) {
				return nil, bad("tensor %q: shape %v does not fit in %d data bytes", name, e.Shape, len(data))
			}
			count *= d
		}
		start, end := e.Offsets[0], e.Offsets[1]
		if start < 0 || end < start {
			return nil, bad("tensor %q: data offsets [%d, %d] are not a range", name, start, end)
		}
		if end > len(data) {
			return nil, bad("truncated: tensor %q ends at data byte %d, the file holds %d", name, end, len(data))
		}
		if end-start != count*size {
			return nil, bad("tensor %q: shape %v of %s needs %d bytes, its offsets span %d", name, e.Shape, e.DType, count*size, end-start)
		}
		f.tensors[name] = stTensor{name: name, dtype: e.DType, shape: e.Shape, data: data[start:end]}
		spans = append(spans, span{name, start, end})
	}
	slices.SortFunc(spans, func(a, b span) int {
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.end, b.end))
	})
	pos := 0
	for _, s := range spans {
		if s.start != pos {
			return nil, bad("tensor %q starts at data byte %d, want %d (gap or overlap)", s.name, s.start, pos)
		}
		pos = s.end
	}
	if pos != len(data) {
		return nil, bad("%d data bytes, the tensors cover %d (truncated or trailing data)", len(data), pos)
	}
	return f, nil
}
