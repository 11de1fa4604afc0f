package cli

import (
	"encoding/csv"
	"errors"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // predict reads JPEG digits
	_ "image/png"  // and PNG digits
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	xdraw "golang.org/x/image/draw"

	"github.com/mlpgo/mlpgo/mnistio"
)

// pixelRows is predict's input: n examples of height×width 8-bit pixels,
// row-major, as in an MNIST images file, before the model's scaling.
type pixelRows struct {
	pix           []uint8
	n             int
	height, width int
	// notes says what was done to the input, for the user (an image
	// inverted or resized).
	notes []string
}

// readPixelRows reads path as an IDX images file, a PNG or JPEG image of
// one digit, or a CSV file with one example per row, choosing by the file's
// extension, and returns its examples as height×width pixels.
func readPixelRows(path string, height, width int) (*pixelRows, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".png", ".jpg", ".jpeg":
		return readDigitImage(path, height, width)
	case ".csv":
		return readCSVRows(path, height, width)
	default:
		return readIDXRows(path, height, width)
	}
}

// readIDXRows reads an IDX file of uint8 images (N×height×width, or one
// height×width image).
func readIDXRows(path string, height, width int) (*pixelRows, error) {
	a, err := mnistio.ReadIDXFile(path)
	if err != nil {
		return nil, err
	}
	pix, ok := a.Data.([]uint8)
	if !ok {
		return nil, fmt.Errorf("%s: IDX elements are %s, want uint8 pixels", path, a.Type)
	}
	dims := a.Dims
	if len(dims) == 2 {
		dims = append([]int{1}, dims...)
	}
	if len(dims) != 3 || dims[1] != height || dims[2] != width {
		return nil, fmt.Errorf("%s: IDX dimensions %v, want N x %d x %d images", path, a.Dims, height, width)
	}
	return &pixelRows{pix: pix, n: dims[0], height: height, width: width}, nil
}

// readCSVRows reads a CSV file whose rows are height×width pixel values in
// 0..255, optionally preceded by a label column (which is ignored), with an
// optional header line.
func readCSVRows(path string, height, width int) (*pixelRows, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	r.FieldsPerRecord = -1
	features := height * width
	rows := &pixelRows{height: height, width: width}
	for line := 1; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		first := 0 // column of the first pixel
		switch len(rec) {
		case features:
		case features + 1:
			first = 1 // a label column, as in the usual MNIST CSV files
		default:
			return nil, fmt.Errorf("%s:%d: %d values, want %d pixels (or a label and %d pixels)",
				path, line, len(rec), features, features)
		}
		if line == 1 {
			if _, err := strconv.Atoi(strings.TrimSpace(rec[first])); err != nil {
				continue // a header line
			}
		}
		for i := first; i < len(rec); i++ {
			v, err := strconv.ParseUint(strings.TrimSpace(rec[i]), 10, 8)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: column %d: %q is not a pixel value in 0..255", path, line, i+1, rec[i])
			}
			rows.pix = append(rows.pix, uint8(v))
		}
		rows.n++
	}
	if rows.n == 0 {
		return nil, fmt.Errorf("%s: no rows", path)
	}
	return rows, nil
}

// readDigitImage decodes a PNG or JPEG of one digit and makes it look like
// an MNIST example: gray levels, a light digit on a dark background
// (inverted if the image's border is bright, as for dark ink on paper),
// padded to a square with the background and resized to height×width.
func readDigitImage(path string, height, width int) (*pixelRows, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	b := img.Bounds()
	if b.Empty() {
		return nil, fmt.Errorf("%s: empty image", path)
	}
	gray := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(gray, gray.Bounds(), img, b.Min, draw.Src)
	rows := &pixelRows{n: 1, height: height, width: width}

	if borderIsBright(gray) {
		for i, p := range gray.Pix {
			gray.Pix[i] = 255 - p
		}
		rows.notes = append(rows.notes, "inverted (dark digit on a light background)")
	}
	if gray.Rect.Dx() == width && gray.Rect.Dy() == height {
		rows.pix = gray.Pix
		return rows, nil
	}
	// Pad to the target's aspect ratio with black, centred, then resize.
	pw, ph := gray.Rect.Dx(), gray.Rect.Dy()
	if pw*height < ph*width {
		pw = ph * width / height
	} else {
		ph = pw * height / width
	}
	padded := image.NewGray(image.Rect(0, 0, pw, ph))
	off := image.Pt((padded.Rect.Dx()-gray.Rect.Dx())/2, (padded.Rect.Dy()-gray.Rect.Dy())/2)
	draw.Draw(padded, gray.Rect.Add(off), gray, image.Point{}, draw.Src)
	out := image.NewGray(image.Rect(0, 0, width, height))
	xdraw.CatmullRom.Scale(out, out.Rect, padded, padded.Rect, xdraw.Src, nil)
	rows.pix = out.Pix
	rows.notes = append(rows.notes, fmt.Sprintf("resized from %dx%d to %dx%d", b.Dx(), b.Dy(), width, height))
	return rows, nil
}

// borderIsBright reports whether the one-pixel border of g is mostly light
// (mean gray level above the middle), the sign of a dark digit on paper
// rather than MNIST's light digit on black.
func borderIsBright(g *image.Gray) bool {
	r := g.Rect
	sum, count := 0, 0
	add := func(x, y int) { sum += int(g.GrayAt(x, y).Y); count++ }
	for x := r.Min.X; x < r.Max.X; x++ {
		add(x, r.Min.Y)
		add(x, r.Max.Y-1)
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		add(r.Min.X, y)
		add(r.Max.X-1, y)
	}
	return sum > count*127
}
