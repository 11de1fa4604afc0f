package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mlpgo/mlpgo/mnistio"
)

// TestMain lets the test binary double as the mlpgo command, so that the
// scripts in testdata/script run it as a separate process, as a user would.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"mlpgo": func() { os.Exit(Run(context.Background(), os.Args, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the command-line scripts in testdata/script: each is a
// txtar archive of shell-like commands with their expected output (see
// github.com/rogpeppe/go-internal/testscript).
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Cmds:                scriptCmds,
	})
}

// scriptCmds are the scripts' own commands besides testscript's.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"exitcode": cmdExitCode,
	"mkdata":   cmdMkdata,
	"pngcheck": cmdPNGCheck,
	"sameacc":  cmdSameAcc,
}

// cmdExitCode is `exitcode N prog [args...]`: it runs prog as exec does
// and fails unless prog exits with status N.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N prog [args...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = exit.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// The tiny dataset's shape: 8x8 images of 10 classes.
const (
	tinySide    = 8
	tinyClasses = 10
	tinyTrain   = 600
	tinyTest    = 200
)

// tinyImage returns an 8x8 image of class c: the c-th run of 6 pixels (in
// row-major order) bright on a dark, noisy background. A network learns it
// in a few epochs.
func tinyImage(rng *rand.Rand, c int) []uint8 {
	img := make([]uint8, tinySide*tinySide)
	for i := range img {
		img[i] = uint8(rng.IntN(60))
	}
	for i := c * 6; i < c*6+6; i++ {
		img[i] = uint8(200 + rng.IntN(56))
	}
	return img
}

// cmdMkdata is `mkdata DIR`: it writes the tiny dataset into DIR (see
// writeTinyData).
func cmdMkdata(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: mkdata DIR")
	}
	ts.Check(writeTinyData(ts.MkAbs(args[0])))
}

// writeTinyData writes a tiny MNIST-layout dataset into dir (train and
// t10k splits, labels cycling through the classes) and, from the first
// test images (classes 0, 1, 2), dir/digit.png (the first one as it is),
// dir/paper.png (the second, dark on light and 5x larger, as a photo of
// ink on paper would be) and dir/rows.csv (the first three, with a header
// and a label column).
func writeTinyData(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(7, 7))
	var test [][]uint8
	for _, split := range []struct {
		name string
		n    int
	}{{"train", tinyTrain}, {"t10k", tinyTest}} {
		var pix, labels []uint8
		for i := range split.n {
			img := tinyImage(rng, i%tinyClasses)
			pix = append(pix, img...)
			labels = append(labels, uint8(i%tinyClasses))
			if split.name == "t10k" && i < 3 {
				test = append(test, img)
			}
		}
		if err := mnistio.WriteDataset(dir, split.name, pix, labels, tinySide, tinySide, split.name == "t10k"); err != nil {
			return err
		}
	}

	digit := image.NewGray(image.Rect(0, 0, tinySide, tinySide))
	copy(digit.Pix, test[0])
	const scale = 5
	paper := image.NewRGBA(image.Rect(0, 0, tinySide*scale, tinySide*scale))
	for y := range tinySide * scale {
		for x := range tinySide * scale {
			v := 255 - test[1][(y/scale)*tinySide+x/scale]
			paper.Set(x, y, color.RGBA{v, v, v, 255})
		}
	}
	for name, img := range map[string]image.Image{"digit.png": digit, "paper.png": paper} {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			return err
		}
	}

	var b bytes.Buffer
	w := csv.NewWriter(&b)
	header := []string{"label"}
	for i := range tinySide * tinySide {
		header = append(header, fmt.Sprintf("pixel%d", i))
	}
	_ = w.Write(header)
	for c, img := range test {
		row := []string{strconv.Itoa(c)}
		for _, p := range img {
			row = append(row, strconv.Itoa(int(p)))
		}
		_ = w.Write(row)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "rows.csv"), b.Bytes(), 0o644)
}

// cmdPNGCheck is `pngcheck FILE WIDTH HEIGHT`: it fails unless FILE is a
// PNG of that size with content: a hundredth of its pixels or more away
// from the background colour, and many distinct colours.
func cmdPNGCheck(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: pngcheck FILE WIDTH HEIGHT")
	}
	f, err := os.Open(ts.MkAbs(args[0]))
	ts.Check(err)
	defer f.Close()
	img, err := png.Decode(f)
	ts.Check(err)
	w, err := strconv.Atoi(args[1])
	ts.Check(err)
	h, err := strconv.Atoi(args[2])
	ts.Check(err)
	b := img.Bounds()
	if b.Dx() != w || b.Dy() != h {
		ts.Fatalf("%s is %dx%d, want %dx%d", args[0], b.Dx(), b.Dy(), w, h)
	}
	bg := img.At(b.Min.X, b.Min.Y)
	colors := map[color.Color]bool{}
	differ := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := img.At(x, y)
			colors[c] = true
			if c != bg {
				differ++
			}
		}
	}
	if differ*100 < w*h || len(colors) < 16 {
		ts.Fatalf("%s looks blank: %d of %d pixels differ from the background, %d colours", args[0], differ, w*h, len(colors))
	}
}

// cmdSameAcc is `sameacc TRAINOUT EVALOUT`: it fails unless the test
// accuracy that train printed in TRAINOUT is the accuracy eval printed in
// EVALOUT.
func cmdSameAcc(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: sameacc TRAINOUT EVALOUT")
	}
	find := func(file, pattern string) string {
		m := regexp.MustCompile(pattern).FindStringSubmatch(ts.ReadFile(file))
		if m == nil {
			ts.Fatalf("%s has no match for %s", file, pattern)
		}
		return m[1]
	}
	train := find(args[0], `(?m)^accuracy: .*test ([0-9.]+%)`)
	eval := find(args[1], `(?m)^accuracy: ([0-9.]+%)`)
	if train != eval {
		ts.Fatalf("train printed test accuracy %s, eval printed %s", train, eval)
	}
	ts.Logf("train and eval agree: %s", train)
}
