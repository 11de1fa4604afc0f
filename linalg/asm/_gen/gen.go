// Command _gen writes mlpgo's amd64 kernels with avo. One run writes one
// family of kernels, chosen with -kernels, to the -out and -stubs files:
//
//	go run . -kernels gemm -out ../gemm_avx2_amd64.s -stubs ../gemm_avx2_amd64.go
//
// The go:generate lines in ../doc.go list every run.
package main

import (
	"flag"
	"fmt"
	"os"

	. "github.com/mmcloughlin/avo/build"
)

var families = map[string]func(){
	"compress": compressAVX2,
	"gemm":     gemmAVX2,
	"gemm512":  gemmAVX512,
	"finite":   finiteAVX2,
	"gemv":     gemvAVX2,
	"sparse":   sparseAVX2,
	"vec":      vecAVX2,
	"vec512":   vecAVX512,
}

func main() {
	kernels := flag.String("kernels", "", "kernel family to generate (compress, finite, gemm, gemm512, gemv, sparse, vec or vec512)")
	flag.Parse()
	gen, ok := families[*kernels]
	if !ok {
		fmt.Fprintf(os.Stderr, "_gen: unknown -kernels %q (want compress, finite, gemm, gemm512, gemv, sparse, vec or vec512)\n", *kernels)
		os.Exit(2)
	}
	ConstraintExpr("amd64,!purego")
	gen()
	Generate()
}
