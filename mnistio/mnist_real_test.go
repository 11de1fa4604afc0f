package mnistio

import (
	"context"
	"testing"
	"time"
)

// realMNIST returns the folder of the real MNIST files, fetched (and
// cached) by Fetch with its defaults.
func realMNIST(tb testing.TB) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir, err := Fetch(ctx, FetchOptions{})
	if err != nil {
		tb.Fatalf("Fetch(MNIST): %v", err)
	}
	return dir
}

// TestRealMNIST checks the real dataset: shapes, the first label and the
// pixel range under each scaling.
func TestRealMNIST(t *testing.T) {
	dir := realMNIST(t)
	start := time.Now()
	train, err := Load(dir, "train", Options{})
	if err != nil {
		t.Fatalf("Load(train): %v", err)
	}
	t.Logf("loaded the training set in %v", time.Since(start))
	if train.N != 60000 || train.Features != 784 || train.Height != 28 || train.Width != 28 || len(train.Data) != 60000*784 || len(train.Labels) != 60000 {
		t.Errorf("train = %d x %d (%dx%d), %d values, %d labels; want 60000 x 784 (28x28), 47040000, 60000",
			train.N, train.Features, train.Height, train.Width, len(train.Data), len(train.Labels))
	}
	if got := train.Labels[:10]; string(got) != string([]uint8{5, 0, 4, 1, 9, 2, 1, 3, 1, 4}) {
		t.Errorf("first training labels = %v, want [5 0 4 1 9 2 1 3 1 4]", got)
	}
	lo, hi := train.Data[0], train.Data[0]
	for _, v := range train.Data {
		lo, hi = min(lo, v), max(hi, v)
	}
	if lo != -1 || hi != 1 {
		t.Errorf("training pixels in [%g, %g], want exactly [-1, 1]", lo, hi)
	}
	var counts [10]int
	for _, l := range train.Labels {
		counts[l]++
	}
	if counts != [10]int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949} {
		t.Errorf("training label counts = %v, want MNIST's", counts)
	}

	test, err := Load(dir, "t10k", Options{Scaling: ScaleRaw})
	if err != nil {
		t.Fatalf("Load(t10k): %v", err)
	}
	if test.N != 10000 || test.Features != 784 || test.Labels[0] != 7 {
		t.Errorf("t10k = %d x %d, first label %d; want 10000 x 784, 7", test.N, test.Features, test.Labels[0])
	}
	// Pixel 0 of the t10k image 0, row 7 column 6 is 84 in the raw file.
	if got := test.Image(0)[7*28+6]; got != 84 {
		t.Errorf("t10k image 0 pixel (7, 6) = %g, want 84", got)
	}
}

// BenchmarkLoadTrain loads the 60000 MNIST training images from the gzip
// files, as the CLI does at start-up.
func BenchmarkLoadTrain(b *testing.B) {
	dir := realMNIST(b)
	b.SetBytes(60000 * 784)
	for b.Loop() {
		if _, err := Load(dir, "train", Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
