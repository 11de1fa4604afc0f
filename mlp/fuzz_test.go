package mlp

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/mlpgo/mlpgo/linalg"
)

// FuzzLoadModel feeds arbitrary bytes to Read. It must never panic; a file
// it rejects must fail with one of the file sentinels, and a file it
// accepts must be a working network that saves and loads again to the
// same predictions. The seed corpus in testdata/fuzz/FuzzLoadModel holds a
// model, checkpoints and damaged files.
func FuzzLoadModel(f *testing.F) {
	n, err := New(3, 2, Config{Hidden: []int{2}, Optimizer: Adam, Patience: 1, Epochs: 2, BatchSize: 2})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(encodeModel(f, n, false))
	f.Add(encodeModel(f, n, true))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Read(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrVersion) && !errors.Is(err, ErrChecksum) {
				t.Fatalf("Read: error %v wraps none of ErrFormat, ErrVersion, ErrChecksum", err)
			}
			return
		}
		x := linalg.New(2, m.Inputs())
		for i := range x.Data {
			x.Data[i] = float32(i%7) - 3
		}
		want := make([]int, 2)
		if err := m.Predict(want, x); err != nil {
			t.Fatalf("Predict on a loaded network: %v", err)
		}
		var buf bytes.Buffer
		if _, err := m.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		again, err := Read(&buf)
		if err != nil {
			t.Fatalf("reading a re-saved network: %v", err)
		}
		got := make([]int, 2)
		if err := again.Predict(got, x); err != nil || !slices.Equal(got, want) {
			t.Fatalf("re-saved network predicts %v (%v), want %v", got, err, want)
		}
	})
}
