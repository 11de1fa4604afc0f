package linalg

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"
)

// kernelSet is one ISA's implementation of every kernel. The active set is
// chosen once at init (from the CPU's features and MLPGO_ISA); tests and
// benchmarks switch it with UseISA.
type kernelSet struct {
	name string
	gemm gemmKernel

	biasAct [numActivations]func(x, bias []float32) // x = f(x + bias)
	actGrad [numActivations]func(d, a []float32)    // d *= f'(z), with a = f(z)

	softmax    func(x []float32)
	addTo      func(dst, x []float32)
	axpby      func(a float32, y []float32, b float32, x []float32)
	argmax     func(x []float32) int
	sumSquares func(x []float32) float64
	allFinite  func(x []float32) bool

	// axpyIndexed is SparseGemm's kernel: for each e,
	// y += (alpha*val[e]) * b[idx[e]*ldb:][:len(y)].
	axpyIndexed func(alpha float32, val []float32, idx []int32, b []float32, ldb int, y []float32)
	// scatterAxpy16, scatterAxpy8 and combineRows8 are SparseGemmT's
	// kernels: for each e, acc[idx[e]*n:][:n] += val[e] * x[:n], with n 16
	// or 8; then for p < rows and l < width, c[p*ldc+l] =
	// alpha*(acc[p*lda+l] + v[l]) + beta*c[p*ldc+l], and sums[l] = the sum
	// of the new c[p*ldc+l] over p in order.
	scatterAxpy16 func(val []float32, idx []int32, x, acc []float32)
	scatterAxpy8  func(val []float32, idx []int32, x, acc []float32)
	combineRows8  func(alpha, beta float32, acc []float32, lda int, v, c []float32, ldc, rows, width int, sums []float32)
	// countEqual and compressRow are SparseRows.Compress's kernels: how
	// many elements of x equal v; and for every j with x[j] != base, in
	// order, index[k], value[k] = j, x[j]-base, k++, returning k.
	countEqual  func(x []float32, v float32) int
	compressRow func(x []float32, base float32, index []int32, value []float32) int
}

// genericKernels is the portable set, available everywhere.
var genericKernels = kernelSet{
	name: "generic",
	gemm: genericGemm,
	biasAct: [numActivations]func(x, bias []float32){
		Identity:  biasIdentityGeneric,
		Sigmoid:   biasSigmoidGeneric,
		Tanh:      biasTanhGeneric,
		ReLU:      biasReLUGeneric,
		LeakyReLU: biasLeakyReLUGeneric,
	},
	actGrad: [numActivations]func(d, a []float32){
		Identity:  gradIdentityGeneric,
		Sigmoid:   gradSigmoidGeneric,
		Tanh:      gradTanhGeneric,
		ReLU:      gradReLUGeneric,
		LeakyReLU: gradLeakyReLUGeneric,
	},
	softmax:    softmaxGeneric,
	addTo:      addToGeneric,
	axpby:      axpbyGeneric,
	argmax:     argmaxGeneric,
	sumSquares: sumSquaresGeneric,
	allFinite:  allFiniteGeneric,

	axpyIndexed:   axpyIndexedGeneric,
	scatterAxpy16: scatterAxpy16Generic,
	scatterAxpy8:  scatterAxpy8Generic,
	combineRows8:  combineRows8Generic,
	countEqual:    countEqualGeneric,
	compressRow:   compressRowGeneric,
}

// isaSets lists every kernel set this CPU can run, best first. It is
// filled at init and never changed afterwards.
var isaSets []*kernelSet

// active is the kernel set in use: the dispatch table. It is nil when
// MLPGO_ISA asked for a set this CPU cannot run; isaErr then says why.
var (
	active atomic.Pointer[kernelSet]
	isaErr error
)

func init() {
	isaSets = append(simdKernelSets(), &genericKernels)
	want := strings.TrimSpace(os.Getenv("MLPGO_ISA"))
	if want == "" {
		active.Store(isaSets[0])
		return
	}
	ks, err := lookupISA(want)
	if err != nil {
		isaErr = fmt.Errorf("linalg: MLPGO_ISA=%s: %w", want, err)
		return
	}
	active.Store(ks)
}

// lookupISA returns the kernel set called name, or an error that says why
// it cannot run here.
func lookupISA(name string) (*kernelSet, error) {
	for _, ks := range isaSets {
		if ks.name == name {
			return ks, nil
		}
	}
	for _, known := range knownISAs {
		if known == name {
			return nil, fmt.Errorf("this CPU cannot run %s (available: %s)", name, strings.Join(Available(), ", "))
		}
	}
	return nil, fmt.Errorf("unknown ISA %q (known: %s; available here: %s)", name,
		strings.Join(knownISAs, ", "), strings.Join(Available(), ", "))
}

// knownISAs names every kernel set mlpgo has on any architecture.
var knownISAs = []string{"generic", "avx2", "avx512", "neon"}

// kernels returns the active kernel set. It panics with ISAError's message
// if MLPGO_ISA named a set this CPU cannot run; callers that want a clean
// error check ISAError first.
func kernels() *kernelSet {
	ks := active.Load()
	if ks == nil {
		panic(isaErr)
	}
	return ks
}

// ISA returns the name of the kernel set in use ("avx512", "avx2", "neon"
// or "generic"), or "" if MLPGO_ISA named one this CPU cannot run.
func ISA() string {
	if ks := active.Load(); ks != nil {
		return ks.name
	}
	return ""
}

// ISAError returns nil, or the reason the ISA forced through MLPGO_ISA
// cannot run on this CPU. Programs should check it at start-up: while it is
// non-nil every kernel panics with its message rather than fall back
// silently to another ISA.
func ISAError() error {
	if active.Load() == nil {
		return isaErr
	}
	return nil
}

// Available returns the names of the kernel sets this CPU can run, best
// first; "generic" is always last.
func Available() []string {
	names := make([]string, len(isaSets))
	for i, ks := range isaSets {
		names[i] = ks.name
	}
	return names
}

// UseISA makes the named kernel set the active one and returns a function
// that restores the previous choice. It is meant for tests, benchmarks and
// start-up code (the CLI's --isa flag): switching while other goroutines
// run kernels is safe, but which set each of their calls uses is not
// defined.
func UseISA(name string) (restore func(), err error) {
	ks, err := lookupISA(name)
	if err != nil {
		return nil, fmt.Errorf("linalg: UseISA: %w", err)
	}
	prev := active.Swap(ks)
	return func() { active.Store(prev) }, nil
}
