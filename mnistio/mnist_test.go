package mnistio

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tinySet returns n images of h x w pixels whose pixel j of image i is
// (i*31 + j*7) mod 256, with labels i mod classes.
func tinySet(n, h, w, classes int) (images, labels []uint8) {
	images = make([]uint8, n*h*w)
	for i := range n {
		for j := range h * w {
			images[i*h*w+j] = uint8((i*31 + j*7) % 256)
		}
		labels = append(labels, uint8(i%classes))
	}
	images[0], images[1] = 0, 255 // the extremes, for the scaling checks
	return images, labels
}

func TestLoad(t *testing.T) {
	images, labels := tinySet(7, 3, 4, 10)
	for _, compress := range []bool{false, true} {
		t.Run(fmt.Sprint("gzip=", compress), func(t *testing.T) {
			dir := t.TempDir()
			if err := WriteDataset(dir, "train", images, labels, 3, 4, compress); err != nil {
				t.Fatalf("WriteDataset: %v", err)
			}
			for _, sc := range []Scaling{ScaleSymmetric, ScaleUnit, ScaleRaw} {
				d, err := Load(dir, "train", Options{Scaling: sc})
				if err != nil {
					t.Fatalf("Load(%v): %v", sc, err)
				}
				if d.N != 7 || d.Height != 3 || d.Width != 4 || d.Features != 12 || d.Classes != 10 {
					t.Fatalf("Load(%v) = N %d, %dx%d, %d features, %d classes; want 7, 3x4, 12, 10",
						sc, d.N, d.Height, d.Width, d.Features, d.Classes)
				}
				if len(d.Data) != 7*12 || fmt.Sprint(d.Labels) != fmt.Sprint(labels) {
					t.Fatalf("Load(%v): %d values, labels %v; want 84, %v", sc, len(d.Data), d.Labels, labels)
				}
				for i, p := range images {
					var want float32
					switch sc {
					case ScaleSymmetric:
						want = float32((float64(p)/255 - 0.5) * 2)
					case ScaleUnit:
						want = float32(float64(p) / 255)
					case ScaleRaw:
						want = float32(p)
					}
					if d.Data[i] != want {
						t.Fatalf("Load(%v) Data[%d] = %g for pixel %d, want %g", sc, i, d.Data[i], p, want)
					}
				}
			}
		})
	}
}

func TestScalingRange(t *testing.T) {
	tests := []struct {
		s        Scaling
		lo, hi   float32
		at128    float32
		name     string
		parseErr bool
	}{
		{ScaleSymmetric, -1, 1, float32((128.0/255 - 0.5) * 2), "symmetric", false},
		{ScaleUnit, 0, 1, float32(128.0 / 255), "unit", false},
		{ScaleRaw, 0, 255, 128, "raw", false},
	}
	for _, tt := range tests {
		lut, err := tt.s.table()
		if err != nil {
			t.Fatalf("%v.table(): %v", tt.s, err)
		}
		if lut[0] != tt.lo || lut[255] != tt.hi || lut[128] != tt.at128 {
			t.Errorf("%v maps 0, 128, 255 to %g, %g, %g; want %g, %g, %g", tt.s, lut[0], lut[128], lut[255], tt.lo, tt.at128, tt.hi)
		}
		if got := tt.s.String(); got != tt.name {
			t.Errorf("Scaling(%d).String() = %q, want %q", int(tt.s), got, tt.name)
		}
		if got, err := ParseScaling(tt.name); err != nil || got != tt.s {
			t.Errorf("ParseScaling(%q) = %v, %v; want %v", tt.name, got, err, tt.s)
		}
	}
	if _, err := ParseScaling("zscore"); err == nil || !strings.Contains(err.Error(), `unknown scaling "zscore"`) {
		t.Errorf("ParseScaling(zscore) error = %v, want unknown scaling", err)
	}
}

// TestLoadSpellings checks that every file-name spelling is found, and that
// an uncompressed file is preferred to a gzip one.
func TestLoadSpellings(t *testing.T) {
	images, labels := tinySet(3, 2, 2, 10)
	for _, spelling := range []string{"%s-%s-idx%d-ubyte", "%s-%s.idx%d-ubyte", "%s-%s-idx%d-ubyte.gz", "%s-%s.idx%d-ubyte.gz"} {
		t.Run(spelling, func(t *testing.T) {
			dir := t.TempDir()
			compress := strings.HasSuffix(spelling, ".gz")
			if err := WriteDataset(dir, "t10k", images, labels, 2, 2, compress); err != nil {
				t.Fatal(err)
			}
			suffix := map[bool]string{true: ".gz"}[compress]
			for kind, rank := range map[string]int{"images": 3, "labels": 1} {
				from := filepath.Join(dir, fmt.Sprintf("t10k-%s-idx%d-ubyte", kind, rank)+suffix)
				to := filepath.Join(dir, fmt.Sprintf(spelling, "t10k", kind, rank))
				if err := os.Rename(from, to); err != nil {
					t.Fatal(err)
				}
			}
			img, lbl, err := FindFiles(dir, "t10k")
			if err != nil {
				t.Fatalf("FindFiles: %v", err)
			}
			if want := filepath.Join(dir, fmt.Sprintf(spelling, "t10k", "images", 3)); img != want {
				t.Errorf("FindFiles images = %s, want %s", img, want)
			}
			if want := filepath.Join(dir, fmt.Sprintf(spelling, "t10k", "labels", 1)); lbl != want {
				t.Errorf("FindFiles labels = %s, want %s", lbl, want)
			}
			if d, err := Load(dir, "t10k", Options{}); err != nil || d.N != 3 {
				t.Errorf("Load = %v, %v; want 3 examples", d, err)
			}
		})
	}
	dir := t.TempDir()
	for _, compress := range []bool{true, false} {
		if err := WriteDataset(dir, "train", images, labels, 2, 2, compress); err != nil {
			t.Fatal(err)
		}
	}
	if img, _, err := FindFiles(dir, "train"); err != nil || filepath.Base(img) != "train-images-idx3-ubyte" {
		t.Errorf("FindFiles with raw and gzip = %s, %v; want train-images-idx3-ubyte", img, err)
	}
}

// TestLoadOtherLayouts loads an EMNIST-like split: another prefix, image
// size and class count.
func TestLoadOtherLayouts(t *testing.T) {
	dir := t.TempDir()
	images, labels := tinySet(50, 5, 3, 47)
	if err := WriteDataset(dir, "emnist-balanced-test", images, labels, 5, 3, true); err != nil {
		t.Fatal(err)
	}
	d, err := Load(dir, "emnist-balanced-test", Options{Classes: 47, Scaling: ScaleRaw})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if d.N != 50 || d.Height != 5 || d.Width != 3 || d.Labels[46] != 46 || d.Data[16] != float32(images[16]) {
		t.Errorf("Load = N %d, %dx%d, label[46] %d, Data[16] %g; want 50, 5x3, 46, %d",
			d.N, d.Height, d.Width, d.Labels[46], d.Data[16], images[16])
	}
	if _, err := Load(dir, "emnist-balanced-test", Options{}); err == nil || !strings.Contains(err.Error(), "label 10 of example 10 is not in [0, 10)") {
		t.Errorf("Load with 10 classes error = %v, want label 10 out of range", err)
	}
}

func TestDatasetSlice(t *testing.T) {
	images, labels := tinySet(10, 2, 3, 10)
	dir := t.TempDir()
	if err := WriteDataset(dir, "train", images, labels, 2, 3, false); err != nil {
		t.Fatal(err)
	}
	d, err := Load(dir, "train", Options{Scaling: ScaleRaw})
	if err != nil {
		t.Fatal(err)
	}
	v := d.Slice(7, 10)
	if v.N != 3 || len(v.Data) != 18 || len(v.Labels) != 3 || v.Labels[0] != 7 || v.Data[0] != float32(images[42]) {
		t.Errorf("Slice(7, 10) = N %d, %d values, labels %v, Data[0] %g; want 3, 18, [7 8 9], %d",
			v.N, len(v.Data), v.Labels, v.Data[0], images[42])
	}
	if &v.Data[0] != &d.Data[42] {
		t.Errorf("Slice(7, 10) copied the data, want a view")
	}
	if img := d.Image(9); len(img) != 6 || cap(img) != 6 || img[5] != float32(images[59]) {
		t.Errorf("Image(9) = %v (cap %d), want 6 values ending in %d", img, cap(img), images[59])
	}
	for _, r := range [][2]int{{-1, 2}, {3, 2}, {0, 11}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Slice(%d, %d) did not panic", r[0], r[1])
				}
			}()
			d.Slice(r[0], r[1])
		}()
	}
}

// writeFile writes b to dir/name and returns the path.
func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadErrors(t *testing.T) {
	goodImages := cat(idxHeader(Uint8, 2, 2, 2), []byte{0, 1, 2, 3, 4, 5, 6, 7})
	goodLabels := cat(idxHeader(Uint8, 2), []byte{3, 9})
	tests := []struct {
		name           string
		images, labels []byte
		opt            Options
		want           string // substring of the message; "IMG" and "LBL" stand for the paths
	}{
		{"images magic", cat([]byte{8, 0, 0, 3}, goodImages[4:]), goodLabels, Options{}, "IMG: invalid data: bad magic number 0x08000003"},
		{"images type", cat(idxHeader(0x0f, 1), []byte{1}), goodLabels, Options{}, "IMG: invalid data: unknown element type 0x0f"},
		{"images float", cat(idxHeader(Float32, 2, 1, 1), make([]byte, 8)), goodLabels, Options{},
			"IMG: invalid data: images are float32 with dimensions [2 1 1], want uint8 with 3 (count, height, width)"},
		{"images rank", cat(idxHeader(Uint8, 2, 4), make([]byte, 8)), goodLabels, Options{}, "IMG: invalid data: images are uint8 with dimensions [2 4]"},
		{"images overflow", idxHeader(Uint8, 0xffffffff, 0xffffffff, 0xffffffff), goodLabels, Options{}, "IMG: invalid data: dimensions [4294967295 4294967295 4294967295]: element count overflows"},
		{"images exceed file", cat(idxHeader(Uint8, 60000, 28, 28), make([]byte, 100)), goodLabels, Options{},
			"IMG: invalid data: dimensions [60000 28 28] declare 47040000 bytes of uint8 data but only 100 bytes follow the header"},
		{"images truncated gzip", gzipBytes(t, goodImages)[:30], goodLabels, Options{}, "IMG: invalid data: truncated"},
		{"images truncated stream", gzipBytes(t, goodImages[:len(goodImages)-1]), goodLabels, Options{}, "IMG: invalid data: truncated data after 7 of 8 uint8 elements"},
		{"labels rank", goodImages, cat(idxHeader(Uint8, 1, 2), []byte{1, 2}), Options{}, "LBL: invalid data: labels are uint8 with dimensions [1 2], want uint8 with 1 (count)"},
		{"labels truncated", goodImages, goodLabels[:len(goodLabels)-1], Options{}, "LBL: invalid data: dimensions [2] declare 2 bytes of uint8 data but only 1 bytes follow the header"},
		{"labels truncated gzip", goodImages, gzipBytes(t, goodLabels[:len(goodLabels)-1]), Options{}, "LBL: invalid data: truncated data after 1 of 2 uint8 elements"},
		{"count mismatch", goodImages, cat(idxHeader(Uint8, 3), []byte{1, 2, 3}), Options{}, "IMG, LBL: invalid data: 2 images but 3 labels"},
		{"label range", goodImages, goodLabels, Options{Classes: 5}, "LBL: invalid data: label 9 of example 1 is not in [0, 5)"},
		{"label range default", goodImages, cat(idxHeader(Uint8, 2), []byte{10, 0}), Options{}, "LBL: invalid data: label 10 of example 0 is not in [0, 10)"},
		{"no examples", idxHeader(Uint8, 0, 28, 28), idxHeader(Uint8, 0), Options{}, "IMG: invalid data: no examples"},
		{"empty images", idxHeader(Uint8, 2, 0, 28), goodLabels, Options{}, "IMG: invalid data: images are 0x28 pixels"},
		{"empty file", nil, goodLabels, Options{}, "IMG: invalid data: empty input"},
		{"classes option", goodImages, goodLabels, Options{Classes: 257}, "mnistio: 257 classes, want 1 to 256"},
		{"scaling option", goodImages, goodLabels, Options{Scaling: 7}, "mnistio: unknown scaling Scaling(7)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			img := writeFile(t, dir, "x-images-idx3-ubyte", tt.images)
			lbl := writeFile(t, dir, "x-labels-idx1-ubyte", tt.labels)
			_, err := Load(dir, "x", tt.opt)
			want := strings.NewReplacer("IMG", img, "LBL", lbl).Replace(tt.want)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("Load error = %v, want one containing %q", err, want)
			}
			if strings.Contains(tt.want, "invalid data") && !errors.Is(err, ErrFormat) {
				t.Errorf("Load error %q does not wrap ErrFormat", err)
			}
		})
	}
}

func TestLoadMissing(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(dir, "train", Options{})
	want := "mnistio: " + dir + ": file not found: tried train-images-idx3-ubyte, train-images.idx3-ubyte, train-images-idx3-ubyte.gz, train-images.idx3-ubyte.gz"
	if err == nil || err.Error() != want {
		t.Errorf("Load(empty dir) error = %v, want %s", err, want)
	}
	if !errors.Is(err, ErrNotFound) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(empty dir) error does not wrap ErrNotFound and fs.ErrNotExist")
	}
	writeFile(t, dir, "train-images.idx3-ubyte", cat(idxHeader(Uint8, 1, 1, 1), []byte{0}))
	if _, err := Load(dir, "train", Options{}); err == nil || !strings.Contains(err.Error(), "tried train-labels-idx1-ubyte, ") {
		t.Errorf("Load(no labels) error = %v, want one naming the labels file", err)
	}
	if _, err := Load(dir, "", Options{}); err == nil || !strings.Contains(err.Error(), "empty split name") {
		t.Errorf("Load(split \"\") error = %v, want empty split name", err)
	}
}

func TestWriteDatasetErrors(t *testing.T) {
	tests := []struct {
		name           string
		images, labels []uint8
		h, w           int
		want           string
	}{
		{"size", make([]uint8, 10), make([]uint8, 2), 2, 2, "10 image bytes for 2 labels of 2x2 images, want 8"},
		{"zero height", nil, nil, 0, 2, "0x2 images"},
	}
	for _, tt := range tests {
		err := WriteDataset(t.TempDir(), "train", tt.images, tt.labels, tt.h, tt.w, false)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: WriteDataset error = %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestScaleMatchesLoad(t *testing.T) {
	dir := t.TempDir()
	pix := []uint8{0, 1, 127, 128, 254, 255}
	if err := WriteDataset(dir, "x", pix, []uint8{3}, 2, 3, false); err != nil {
		t.Fatal(err)
	}
	for _, s := range []Scaling{ScaleSymmetric, ScaleUnit, ScaleRaw} {
		ds, err := Load(dir, "x", Options{Scaling: s})
		if err != nil {
			t.Fatal(err)
		}
		got := make([]float32, len(pix))
		if err := s.Scale(got, pix); err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if got[i] != ds.Data[i] {
				t.Errorf("%v.Scale(%d) = %g, Load gives %g", s, pix[i], got[i], ds.Data[i])
			}
		}
	}
	if err := ScaleUnit.Scale(make([]float32, 2), pix); err == nil {
		t.Error("Scale into a short dst succeeded, want an error")
	}
}
