package mlp

import (
	"path/filepath"
	"testing"

	"github.com/mlpgo/mlpgo/linalg"
	"github.com/mlpgo/mlpgo/mnistio"
)

// TestMNISTShort trains the seed's network for 3 of its 200 epochs on
// real MNIST (fetched and verified by mnistio, split as in the seed: the
// first 55,000 training images for training, the last 5,000 for
// validation) and checks the accuracies those epochs reach: about 89.7%
// train, 92.5% validation and 90.5% test. The full 200-epoch run reaches
// 99.28% / 98.10% / 97.59%; see the README.
func TestMNISTShort(t *testing.T) {
	dir, err := mnistio.Fetch(t.Context(), mnistio.FetchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	train, err := mnistio.Load(dir, "train", mnistio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	test, err := mnistio.Load(dir, "t10k", mnistio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	matrix := func(d *mnistio.Dataset) linalg.Matrix { return linalg.FromSlice(d.N, d.Features, d.Data) }
	tr, va := train.Slice(0, 55000), train.Slice(55000, 60000)

	n, err := New(train.Features, 10, Config{Epochs: 3})
	if err != nil {
		t.Fatal(err)
	}
	h, err := n.Fit(t.Context(), matrix(tr), tr.Labels, matrix(va), va.Labels, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(h); i++ {
		if h[i].Cost >= h[i-1].Cost {
			t.Errorf("cost rose from %.2f in epoch %d to %.2f", h[i-1].Cost, i, h[i].Cost)
		}
	}
	last := h[len(h)-1]
	_, testAcc, err := n.Evaluate(matrix(test), test.Labels)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("after %d epochs: cost %.2f, train %.2f%%, valid %.2f%%, test %.2f%%", last.Epoch, last.Cost, 100*last.TrainAcc, 100*last.ValidAcc, 100*testAcc)
	if last.TrainAcc < 0.88 || last.ValidAcc < 0.91 || testAcc < 0.89 {
		t.Errorf("accuracy train %.4f, valid %.4f, test %.4f; want at least 0.88, 0.91, 0.89", last.TrainAcc, last.ValidAcc, testAcc)
	}

	path := filepath.Join(t.TempDir(), "seed.safetensors")
	if err := n.Save(path); err != nil {
		t.Fatal(err)
	}
	m, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if acc, err := m.Accuracy(matrix(test), test.Labels); err != nil || acc != testAcc {
		t.Errorf("the saved and loaded network's test accuracy is %g (%v), want %g", acc, err, testAcc)
	}
}
