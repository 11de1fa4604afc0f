package mnistio

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Scaling says how [Load] maps a pixel value p in 0..255 to a float32.
type Scaling int

const (
	// ScaleSymmetric maps p to ((p/255)-0.5)*2, in [-1, 1], as the seed
	// does. It is the default.
	ScaleSymmetric Scaling = iota
	// ScaleUnit maps p to p/255, in [0, 1].
	ScaleUnit
	// ScaleRaw keeps p as it is, in [0, 255].
	ScaleRaw
)

var scalingNames = [...]string{ScaleSymmetric: "symmetric", ScaleUnit: "unit", ScaleRaw: "raw"}

// String returns the scaling's name: "symmetric", "unit" or "raw".
func (s Scaling) String() string {
	if s >= 0 && int(s) < len(scalingNames) {
		return scalingNames[s]
	}
	return fmt.Sprintf("Scaling(%d)", int(s))
}

// ParseScaling returns the Scaling whose String is name.
func ParseScaling(name string) (Scaling, error) {
	for s, n := range scalingNames {
		if n == name {
			return Scaling(s), nil
		}
	}
	return 0, fmt.Errorf("mnistio: unknown scaling %q, want symmetric, unit or raw", name)
}

// Scale sets dst[i] to the float32 value of pixel src[i] under s, exactly
// as [Load] scales the pixels it reads. len(dst) must be at least len(src).
func (s Scaling) Scale(dst []float32, src []uint8) error {
	lut, err := s.table()
	if err != nil {
		return err
	}
	if len(dst) < len(src) {
		return fmt.Errorf("mnistio: Scale: %d pixels into %d values", len(src), len(dst))
	}
	for i, p := range src {
		dst[i] = lut[p]
	}
	return nil
}

// table returns the float32 value of every pixel value under s.
func (s Scaling) table() (*[256]float32, error) {
	var t [256]float32
	for p := range t {
		switch s {
		case ScaleSymmetric:
			t[p] = float32((float64(p)/255 - 0.5) * 2)
		case ScaleUnit:
			t[p] = float32(float64(p) / 255)
		case ScaleRaw:
			t[p] = float32(p)
		default:
			return nil, fmt.Errorf("mnistio: unknown scaling %v", s)
		}
	}
	return &t, nil
}

// DefaultClasses is the number of classes [Load] expects when
// [Options.Classes] is 0: MNIST's ten digits.
const DefaultClasses = 10

// Options configures [Load] and [LoadFiles]. The zero value loads MNIST as
// the seed does.
type Options struct {
	// Scaling maps pixels to float32; the zero value is ScaleSymmetric.
	Scaling Scaling
	// Classes is the number of classes: every label must be in
	// [0, Classes). 0 means DefaultClasses; at most 256.
	Classes int
}

// Dataset is the content of one split of an MNIST-layout dataset.
//
// Data holds the N images one after the other, row-major, each as Features
// (Height*Width) float32 values: image i is Data[i*Features:(i+1)*Features].
// It is therefore an N x Features row-major matrix with stride Features,
// which a matrix type can use without copying.
type Dataset struct {
	Data     []float32
	Labels   []uint8 // Labels[i] is the class of image i, in [0, Classes)
	N        int     // number of examples
	Features int     // values per example: Height*Width
	Height   int     // image height in pixels (rows)
	Width    int     // image width in pixels (columns)
	Classes  int     // the number of classes the labels were checked against
}

// Image returns the Features values of example i, sharing d.Data. It panics
// if i is not in [0, N).
func (d *Dataset) Image(i int) []float32 {
	if i < 0 || i >= d.N {
		panic(fmt.Sprintf("mnistio: Image(%d) out of range [0, %d)", i, d.N))
	}
	return d.Data[i*d.Features : (i+1)*d.Features : (i+1)*d.Features]
}

// Slice returns the examples i to j-1 as a Dataset that shares d's memory,
// for instance to split a training set from a validation set. It panics if
// 0 <= i <= j <= N does not hold.
func (d *Dataset) Slice(i, j int) *Dataset {
	if i < 0 || j < i || j > d.N {
		panic(fmt.Sprintf("mnistio: Slice(%d, %d) out of range for %d examples", i, j, d.N))
	}
	s := *d
	s.Data = d.Data[i*d.Features : j*d.Features : j*d.Features]
	s.Labels = d.Labels[i:j:j]
	s.N = j - i
	return &s
}

// fileNames returns the names under which a split's file of the given kind
// ("images" with rank 3, "labels" with rank 1) is looked for, in order:
// uncompressed before gzip, each with both spellings used in the wild.
func fileNames(split, kind string, rank int) []string {
	dash := fmt.Sprintf("%s-%s-idx%d-ubyte", split, kind, rank)
	dot := fmt.Sprintf("%s-%s.idx%d-ubyte", split, kind, rank)
	return []string{dash, dot, dash + ".gz", dot + ".gz"}
}

// findFile returns the path of the first of names that exists in dir.
func findFile(dir string, names []string) (string, error) {
	for _, name := range names {
		p := filepath.Join(dir, name)
		st, err := os.Stat(p)
		if err == nil && !st.IsDir() {
			return p, nil
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("mnistio: %w", err)
		}
	}
	return "", fmt.Errorf("mnistio: %s: %w: tried %s", dir, ErrNotFound, strings.Join(names, ", "))
}

// FindFiles returns the paths of the images and labels files of split in
// dir, such as "train" or "t10k" for MNIST. For split S the images file is
// S-images-idx3-ubyte or S-images.idx3-ubyte, each possibly with a .gz
// suffix, and the labels file is named in the same ways with labels-idx1.
// An uncompressed file is preferred to a gzip one. The error of a missing
// file wraps [ErrNotFound] and [io/fs.ErrNotExist].
func FindFiles(dir, split string) (images, labels string, err error) {
	if split == "" {
		return "", "", errors.New("mnistio: empty split name")
	}
	if images, err = findFile(dir, fileNames(split, "images", 3)); err != nil {
		return "", "", err
	}
	if labels, err = findFile(dir, fileNames(split, "labels", 1)); err != nil {
		return "", "", err
	}
	return images, labels, nil
}

// Load reads split ("train" or "t10k" for MNIST, Fashion-MNIST and KMNIST;
// the file-name prefix, such as "emnist-digits-train", for EMNIST) from the
// files that [FindFiles] finds in dir, as [LoadFiles] does.
func Load(dir, split string, opt Options) (*Dataset, error) {
	images, labels, err := FindFiles(dir, split)
	if err != nil {
		return nil, err
	}
	return LoadFiles(images, labels, opt)
}

// LoadFiles reads an images file (uint8, dimensions N x Height x Width) and
// a labels file (uint8, dimension N), each raw or gzip, into a Dataset with
// the pixels scaled as opt says. It returns an error that names the file if
// either is not a valid IDX file of that shape, if their counts differ, if
// there are no examples, or if a label is not in [0, Classes).
func LoadFiles(imagesPath, labelsPath string, opt Options) (*Dataset, error) {
	classes := opt.Classes
	if classes == 0 {
		classes = DefaultClasses
	}
	if classes < 0 || classes > 256 {
		return nil, fmt.Errorf("mnistio: %d classes, want 1 to 256", classes)
	}
	lut, err := opt.Scaling.table()
	if err != nil {
		return nil, err
	}

	fi, err := os.Open(imagesPath)
	if err != nil {
		return nil, fmt.Errorf("mnistio: %w", err)
	}
	defer fi.Close()
	si, err := openStream(fi)
	if err != nil {
		return nil, fmt.Errorf("mnistio: %s: %w", imagesPath, err)
	}
	if si.typ != Uint8 || len(si.dims) != 3 {
		return nil, fmt.Errorf("mnistio: %s: %w: images are %s with dimensions %v, want uint8 with 3 (count, height, width)",
			imagesPath, ErrFormat, si.typ, si.dims)
	}
	n, h, w := si.dims[0], si.dims[1], si.dims[2]

	fl, err := os.Open(labelsPath)
	if err != nil {
		return nil, fmt.Errorf("mnistio: %w", err)
	}
	defer fl.Close()
	sl, err := openStream(fl)
	if err != nil {
		return nil, fmt.Errorf("mnistio: %s: %w", labelsPath, err)
	}
	if sl.typ != Uint8 || len(sl.dims) != 1 {
		return nil, fmt.Errorf("mnistio: %s: %w: labels are %s with dimensions %v, want uint8 with 1 (count)",
			labelsPath, ErrFormat, sl.typ, sl.dims)
	}
	if sl.n != n {
		return nil, fmt.Errorf("mnistio: %s, %s: %w: %d images but %d labels", imagesPath, labelsPath, ErrFormat, n, sl.n)
	}
	if n == 0 {
		return nil, fmt.Errorf("mnistio: %s: %w: no examples", imagesPath, ErrFormat)
	}
	if h == 0 || w == 0 {
		return nil, fmt.Errorf("mnistio: %s: %w: images are %dx%d pixels", imagesPath, ErrFormat, h, w)
	}

	data, err := readElems(si, func(dst []float32, src []byte) {
		dst = dst[:len(src)]
		for i, p := range src {
			dst[i] = lut[p]
		}
	})
	if err == nil {
		err = si.finish()
	}
	if err != nil {
		return nil, fmt.Errorf("mnistio: %s: %w", imagesPath, err)
	}
	labels, err := readBytes(sl)
	if err == nil {
		err = sl.finish()
	}
	if err != nil {
		return nil, fmt.Errorf("mnistio: %s: %w", labelsPath, err)
	}
	for i, l := range labels {
		if int(l) >= classes {
			return nil, fmt.Errorf("mnistio: %s: %w: label %d of example %d is not in [0, %d)", labelsPath, ErrFormat, l, i, classes)
		}
	}
	return &Dataset{Data: data, Labels: labels, N: n, Features: h * w, Height: h, Width: w, Classes: classes}, nil
}

// WriteDataset writes a split of an MNIST-layout dataset into dir, as the
// files S-images-idx3-ubyte and S-labels-idx1-ubyte for split S, with a .gz
// suffix and gzip-compressed if compress is set. images holds len(labels)
// images of height x width pixels, row-major. Labels are written as given.
// It is meant for tests and tools that need a small dataset.
func WriteDataset(dir, split string, images, labels []uint8, height, width int, compress bool) error {
	if split == "" {
		return errors.New("mnistio: WriteDataset: empty split name")
	}
	if height <= 0 || width <= 0 || len(images) != len(labels)*height*width {
		return fmt.Errorf("mnistio: WriteDataset: %d image bytes for %d labels of %dx%d images, want %d",
			len(images), len(labels), height, width, len(labels)*max(height, 0)*max(width, 0))
	}
	suffix := ""
	if compress {
		suffix = ".gz"
	}
	img := Array{Type: Uint8, Dims: []int{len(labels), height, width}, Data: images}
	if err := WriteIDXFile(filepath.Join(dir, fileNames(split, "images", 3)[0]+suffix), img, compress); err != nil {
		return err
	}
	lbl := Array{Type: Uint8, Dims: []int{len(labels)}, Data: labels}
	return WriteIDXFile(filepath.Join(dir, fileNames(split, "labels", 1)[0]+suffix), lbl, compress)
}
