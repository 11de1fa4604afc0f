package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkC measures calls through the C ABI from a C program
// (testdata/bench_predict.c) on a warm 784-100-10 model, from the process's
// main thread as a Python host calls. The C program times b.N calls with
// clock_gettime and ns/op is its figure, which leaves out the process's
// start-up. Compare predict with the Go-side BenchmarkPredictOne in the
// repository root for the cost of crossing the ABI.
func BenchmarkC(b *testing.B) {
	bin := compileC(b, filepath.Join("testdata", "bench_predict.c"))
	for _, op := range []string{"abi_version", "predict_tiny", "predict", "predict_proba", "predict100"} {
		b.Run(op, func(b *testing.B) {
			out := runC(b, bin, op, strconv.Itoa(b.N))
			ns, err := strconv.ParseFloat(strings.TrimSpace(out), 64)
			if err != nil {
				b.Fatalf("bench_predict %s printed %q: %v", op, out, err)
			}
			b.ReportMetric(ns, "ns/op")
		})
	}
}
