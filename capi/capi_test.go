package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlpgo/mlpgo/linalg"
	"github.com/mlpgo/mlpgo/mlp"
	"github.com/mlpgo/mlpgo/mnistio"
)

// The C side is tested by C programs (cgo is not allowed in _test.go files):
// these tests build libmlpgo.so with `go build -buildmode=c-shared`, compile
// testdata/*.c and examples/*.c against it and include/mlpgo.h with the C
// compiler of `go env CC`, and run them. Without a C compiler they skip,
// except under CI (CI set), where that is a failure.

var shared struct {
	once sync.Once
	dir  string // holds libmlpgo.so
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// goEnv returns the values of go env for the given variables.
func goEnv(t testing.TB, vars ...string) []string {
	t.Helper()
	out, err := exec.Command(goTool(), append([]string{"env"}, vars...)...).Output()
	if err != nil {
		t.Fatalf("go env %v: %v", vars, err)
	}
	return strings.Split(strings.TrimRight(string(out), "\n"), "\n")
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// compiler returns the C compiler command (go env CC, which may hold
// flags), skipping the test when there is none or cgo is off, and failing
// it under CI.
func compiler(t testing.TB) []string {
	t.Helper()
	env := goEnv(t, "CC", "CGO_ENABLED", "GOOS", "GOARCH")
	if env[2] != runtime.GOOS || env[3] != runtime.GOARCH {
		t.Skipf("the test runs as %s/%s but go builds for %s/%s: C programs need a native build", runtime.GOOS, runtime.GOARCH, env[2], env[3])
	}
	cc := strings.Fields(env[0])
	missing := ""
	if env[1] != "1" {
		missing = "cgo is disabled (CGO_ENABLED=0)"
	} else if len(cc) == 0 {
		missing = "go env CC is empty"
	} else if _, err := exec.LookPath(cc[0]); err != nil {
		missing = fmt.Sprintf("C compiler %q not found", cc[0])
	}
	if missing != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s; CI must test the C ABI", missing)
		}
		t.Skip(missing)
	}
	return cc
}

// library builds libmlpgo.so once per test binary and returns its folder.
func library(t testing.TB) string {
	t.Helper()
	compiler(t)
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "mlpgo-capi-")
		if err != nil {
			shared.err = err
			return
		}
		shared.dir = dir
		cmd := exec.Command(goTool(), "build", "-buildmode=c-shared", "-o", filepath.Join(dir, "libmlpgo.so"), ".")
		if out, err := cmd.CombinedOutput(); err != nil {
			shared.err = fmt.Errorf("%s: %v\n%s", cmd, err, out)
		}
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.dir
}

// compileC compiles the C program src against the library into a binary in
// t's temporary folder and returns its path.
func compileC(t testing.TB, src string) string {
	t.Helper()
	lib := library(t)
	bin := filepath.Join(t.TempDir(), strings.TrimSuffix(filepath.Base(src), ".c"))
	args := append(compiler(t)[1:], "-std=c11", "-O2", "-g", "-Wall", "-Wextra", "-Werror", "-pedantic",
		"-Iinclude", "-o", bin, src, "-L"+lib, "-lmlpgo", "-Wl,-rpath,"+lib, "-pthread", "-lm")
	cmd := exec.Command(compiler(t)[0], args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	return bin
}

// runC runs a compiled C program and returns its standard output, failing
// the test with the whole output if it exits non-zero or hangs.
func runC(t testing.TB, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", cmd, err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// writeSplit writes split into dir as an MNIST-layout dataset of n
// height x width images; image i has class label(i), drawn as its row
// label % height lit (255) over noise in 0..39.
func writeSplit(t *testing.T, dir, split string, n, height, width int, compress bool, label func(i int) uint8) {
	t.Helper()
	images := make([]uint8, n*height*width)
	labels := make([]uint8, n)
	for i := range n {
		labels[i] = label(i)
		img := images[i*height*width : (i+1)*height*width]
		for j := range img {
			img[j] = uint8((i*7 + j*13) % 40)
		}
		row := int(labels[i]) % height
		for c := range width {
			img[row*width+c] = 255
		}
	}
	if err := mnistio.WriteDataset(dir, split, images, labels, height, width, compress); err != nil {
		t.Fatal(err)
	}
}

// writeTinyDatasets writes the splits api.c reads: "tiny" (120 4x4 images
// of 3 classes), "tiny10" (100 4x4 images labelled 0..9, gzip) and
// "badlabel" (a label 12).
func writeTinyDatasets(t *testing.T, dir string) {
	t.Helper()
	writeSplit(t, dir, "tiny", 120, 4, 4, false, func(i int) uint8 { return uint8(i % 3) })
	writeSplit(t, dir, "tiny10", 100, 4, 4, true, func(i int) uint8 { return uint8(i % 10) })
	writeSplit(t, dir, "badlabel", 10, 4, 4, false, func(i int) uint8 { return uint8(12 * (i / 9)) })
}

// TestC runs the C test programs: every function and error path of the
// API (api.c) and concurrent use from pthreads (threads.c).
func TestC(t *testing.T) {
	data := t.TempDir()
	writeTinyDatasets(t, data)
	for _, prog := range []string{"api", "threads"} {
		t.Run(prog, func(t *testing.T) {
			out := runC(t, compileC(t, filepath.Join("testdata", prog+".c")), data)
			t.Log(out)
			if !strings.Contains(out, " passed, 0 failed") {
				t.Errorf("%s did not report \"N passed, 0 failed\"", prog)
			}
		})
	}
}

// TestHeaderCompilesAsCXX checks that mlpgo.h works from C++ (extern "C").
func TestHeaderCompilesAsCXX(t *testing.T) {
	lib := library(t)
	cxx := strings.Fields(goEnv(t, "CXX")[0])
	if len(cxx) == 0 {
		t.Fatal("go env CXX is empty")
	}
	if _, err := exec.LookPath(cxx[0]); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("C++ compiler %q not found", cxx[0])
		}
		t.Skipf("C++ compiler %q not found", cxx[0])
	}
	src := filepath.Join(t.TempDir(), "cxx.cc")
	os.WriteFile(src, []byte(`#include "mlpgo.h"
#include <cstdio>
int main() {
	mlpgo_config cfg = {};
	cfg.struct_size = sizeof cfg;
	if (mlpgo_config_init(&cfg) != MLPGO_OK || mlpgo_abi_version() != MLPGO_ABI_VERSION) return 1;
	std::printf("%s\n", mlpgo_version());
	return 0;
}
`), 0o644)
	bin := filepath.Join(t.TempDir(), "cxx")
	args := append(cxx[1:], "-std=c++11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-Iinclude", "-o", bin, src,
		"-L"+lib, "-lmlpgo", "-Wl,-rpath,"+lib)
	if out, err := exec.Command(cxx[0], args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", cxx[0], args, err, out)
	}
	if out := runC(t, bin); !strings.HasPrefix(out, "mlpgo ") {
		t.Errorf("mlpgo_version() from C++ = %q, want it to start with \"mlpgo \"", out)
	}
}

// TestExample runs examples/train_mnist.c on a small MNIST-layout dataset
// for one epoch (which leaves the accuracy well short of 100%, so the check
// can tell models apart) and checks the test accuracy it prints against
// the saved model's, as the Go library computes it.
func TestExample(t *testing.T) {
	dir := t.TempDir()
	digit := func(i int) uint8 { return uint8(i % 10) }
	writeSplit(t, dir, "train", 1200, 10, 10, true, digit)
	writeSplit(t, dir, "t10k", 200, 10, 10, false, digit)
	model := filepath.Join(dir, "model.safetensors")
	out := runC(t, compileC(t, filepath.Join("examples", "train_mnist.c")), "-d", dir, "-e", "1", "-o", model)
	t.Log(out)
	var printed float64
	if i := strings.Index(out, "test accuracy "); i < 0 {
		t.Fatal("no \"test accuracy\" line")
	} else if _, err := fmt.Sscanf(out[i:], "test accuracy %f%%", &printed); err != nil {
		t.Fatalf("parsing the test accuracy: %v", err)
	}
	for _, want := range []string{"1100 training, 100 validation, 200 test images of 10x10 pixels", "epoch   1/1 ", "saved " + model} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	net, err := mlp.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	test, err := mnistio.Load(dir, "t10k", mnistio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := net.Accuracy(linalg.FromSlice(test.N, test.Features, test.Data), test.Labels)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(printed-100*acc) > 5e-5 {
		t.Errorf("train_mnist printed test accuracy %.4f%%, the saved model scores %.4f%%", printed, 100*acc)
	}
	if net.Epochs() != 1 || net.Inputs() != 100 || net.Classes() != 10 {
		t.Errorf("saved model: %d epochs, %d inputs, %d classes; want 1, 100, 10", net.Epochs(), net.Inputs(), net.Classes())
	}
}
