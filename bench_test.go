package mlpgo_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/mlpgo/mlpgo/linalg"
	"github.com/mlpgo/mlpgo/mlp"
	"github.com/mlpgo/mlpgo/mnistio"
)

// gemmShape is one product C = op(A)·op(B) from the MLP or a square, named
// as in ../shared/bench/sgemm_bench.c.
type gemmShape struct {
	name           string
	m, n, k        int
	transA, transB bool
}

// gemmShapes are the seed network's products at batch 100, the per-epoch
// evaluation over 10,000 rows, and two squares.
var gemmShapes = []gemmShape{
	{"fwd_hidden", 100, 100, 784, false, false},     // X_b·W_hᵀ as 100x784·784x100
	{"fwd_out", 100, 10, 100, false, false},         // a_h·W_out: 100x100·100x10
	{"bwd_delta_h", 100, 100, 10, false, true},      // delta_out·W_outᵀ: 100x10·(100x10)ᵀ
	{"grad_w_h", 784, 100, 100, true, false},        // X_bᵀ·delta_h: (100x784)ᵀ·100x100
	{"grad_w_out", 100, 10, 100, true, false},       // a_hᵀ·delta_out: (100x100)ᵀ·100x10
	{"eval", 10000, 100, 784, false, false},         // 10000x784·784x100
	{"square_256", 256, 256, 256, false, false},     // 256³
	{"square_1024", 1024, 1024, 1024, false, false}, // 1024³
}

// operands returns random A, B and a zero C for the shape.
func (s gemmShape) operands() (a, b, c linalg.Matrix) {
	r := rand.New(rand.NewPCG(1, 2))
	fill := func(rows, cols int) linalg.Matrix {
		m := linalg.New(rows, cols)
		for i := range m.Data {
			m.Data[i] = 2*r.Float32() - 1
		}
		return m
	}
	a, b = fill(s.m, s.k), fill(s.k, s.n)
	if s.transA {
		a = fill(s.k, s.m)
	}
	if s.transB {
		b = fill(s.n, s.k)
	}
	return a, b, linalg.New(s.m, s.n)
}

func (s gemmShape) reportGFLOPs(b *testing.B) {
	b.ReportMetric(2*float64(s.m)*float64(s.n)*float64(s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkGemm measures linalg.Gemm per ISA on each shape, and gonum's
// blas32.Gemm (pure Go plus small SSE helpers) beside it as "gonum".
// Gemm uses GOMAXPROCS threads, so -cpu 1 and -cpu 2 give the 1- and
// 2-thread figures; run them as two invocations (or drop each benchmark's
// first sample): with -cpu 1,2, Go runs the first sample of every
// sub-benchmark at the list's last GOMAXPROCS (golang/go#49980).
func BenchmarkGemm(b *testing.B) {
	for _, isa := range linalg.Available() {
		b.Run(isa, func(b *testing.B) {
			restore, err := linalg.UseISA(isa)
			if err != nil {
				b.Fatal(err)
			}
			defer restore()
			for _, s := range gemmShapes {
				b.Run(s.name, func(b *testing.B) {
					x, y, z := s.operands()
					b.ReportAllocs()
					for b.Loop() {
						linalg.Gemm(s.transA, s.transB, 1, x, y, 0, z)
					}
					s.reportGFLOPs(b)
				})
			}
		})
	}
	b.Run("gonum", func(b *testing.B) {
		for _, s := range gemmShapes {
			b.Run(s.name, func(b *testing.B) {
				x, y, z := s.operands()
				toGonum := func(m linalg.Matrix) blas32.General {
					return blas32.General{Rows: m.Rows, Cols: m.Cols, Stride: m.Stride, Data: m.Data}
				}
				ta, tb := blas.NoTrans, blas.NoTrans
				if s.transA {
					ta = blas.Trans
				}
				if s.transB {
					tb = blas.Trans
				}
				b.ReportAllocs()
				for b.Loop() {
					blas32.Gemm(ta, tb, 1, toGonum(x), toGonum(y), 0, toGonum(z))
				}
				s.reportGFLOPs(b)
			})
		}
	})
}

// vecOp is one vector op of the MLP's training step at batch 100, with
// the bytes it reads and writes per call (for GB/s).
type vecOp struct {
	name  string
	bytes int
	run   func()
}

// vecOps returns the ops on operands of the seed network's sizes: the
// hidden layer's 100x100 activations, the output's 100x10, and the hidden
// weights' 784x100 for the optimizer update and the L2 norm.
func vecOps() []vecOp {
	r := rand.New(rand.NewPCG(5, 6))
	fill := func(rows, cols int) linalg.Matrix {
		m := linalg.New(rows, cols)
		for i := range m.Data {
			m.Data[i] = 2*r.Float32() - 1
		}
		return m
	}
	h, d, out, w, g := fill(100, 100), fill(100, 100), fill(100, 10), fill(784, 100), fill(784, 100)
	bias, sums, idx := make([]float32, 100), make([]float32, 100), make([]int, 100)
	const f = 4 // bytes per float32
	ops := []vecOp{
		{"grad_sigmoid", 3 * f * 100 * 100, func() { linalg.ActivationGrad(d, h, linalg.Sigmoid) }},
		{"softmax", 2 * f * 100 * 10, func() { linalg.SoftmaxRows(out) }},
		{"colsums", f * 100 * 100, func() { linalg.ColSums(sums, d) }},
		{"axpby", 3 * f * 784 * 100, func() { linalg.Axpby(1, w, -1e-9, g) }},
		{"argmax", f * 100 * 10, func() { linalg.ArgmaxRows(idx, out) }},
		{"sumsquares", f * 784 * 100, func() { linalg.SumSquares(w) }},
	}
	for _, act := range []linalg.Activation{linalg.Identity, linalg.Sigmoid, linalg.Tanh, linalg.ReLU} {
		ops = append(ops, vecOp{"bias_" + act.String(), 2 * f * 100 * 100, func() {
			// Sigmoid and Tanh saturate repeated inputs to ±1; refresh
			// them so every call sees the same values.
			copy(h.Data, d.Data)
			linalg.BiasActivate(h, bias, act)
		}})
	}
	return ops
}

// BenchmarkVec measures the vector ops per ISA, in GB/s of operands read
// and written (the bias_* ops include a 40 KB copy that resets their input).
func BenchmarkVec(b *testing.B) {
	for _, isa := range linalg.Available() {
		b.Run(isa, func(b *testing.B) {
			restore, err := linalg.UseISA(isa)
			if err != nil {
				b.Fatal(err)
			}
			defer restore()
			for _, op := range vecOps() {
				b.Run(op.name, func(b *testing.B) {
					b.SetBytes(int64(op.bytes))
					b.ReportAllocs()
					for b.Loop() {
						op.run()
					}
				})
			}
		})
	}
}

// benchData is one kind of synthetic input for the end-to-end benchmarks:
// rows x 784 values in [-1, 1] (the range of the seed's pixel scaling)
// with random labels 0..9.
type benchData struct {
	name string
	make func(b *testing.B, rows int) (linalg.Matrix, []uint8)
}

// benchSets are the inputs the end-to-end benchmarks run on: uniform
// values, which no sparse path can exploit; digit-like rows, which have
// MNIST's shape (a background of -1 except, in the central 20x20 pixels,
// about 150 strokes: MNIST's mean is 19% of a row's pixels); and MNIST's
// own first training rows, which ../shared/bench/compare_epoch.sh's
// NumPy and PyTorch rows train on (fetched into the cache when missing).
var benchSets = []benchData{
	{"uniform", func(_ *testing.B, rows int) (linalg.Matrix, []uint8) {
		return synthetic(rows, func(r *rand.Rand, _ int) float32 { return 2*r.Float32() - 1 })
	}},
	{"mnist-like", func(_ *testing.B, rows int) (linalg.Matrix, []uint8) {
		return synthetic(rows, func(r *rand.Rand, j int) float32 {
			if y, x := j/28, j%28; y < 4 || y >= 24 || x < 4 || x >= 24 || r.Float32() >= 0.375 {
				return -1
			}
			return 1 - 2*r.Float32() // in (-1, 1]
		})
	}},
	{"mnist", func(b *testing.B, rows int) (linalg.Matrix, []uint8) {
		dir, err := mnistio.Fetch(b.Context(), mnistio.FetchOptions{})
		if err != nil {
			b.Fatal(err)
		}
		train, err := mnistio.Load(dir, "train", mnistio.Options{})
		if err != nil {
			b.Fatal(err)
		}
		d := train.Slice(0, rows)
		return linalg.FromSlice(d.N, d.Features, d.Data), d.Labels
	}},
}

// synthetic returns rows x 784 values from pixel(r, column) and random
// labels 0..9.
func synthetic(rows int, pixel func(r *rand.Rand, j int) float32) (linalg.Matrix, []uint8) {
	r := rand.New(rand.NewPCG(3, 4))
	x := linalg.New(rows, 784)
	for i := range rows {
		row := x.Row(i)
		for j := range row {
			row[j] = pixel(r, j)
		}
	}
	y := make([]uint8, rows)
	for i := range y {
		y[i] = uint8(r.IntN(10))
	}
	return x, y
}

// BenchmarkSparseGemm measures the seed network's first-layer products at
// batch 100 on rows that take the sparse path: the forward product
// X·W (SparseGemm, as fwd_hidden in BenchmarkGemm) and the weight
// gradient Xᵀ·delta (SparseGemmT, as grad_w_h). GFLOP/s counts the dense
// product's flops, so it compares with BenchmarkGemm's.
func BenchmarkSparseGemm(b *testing.B) {
	for _, set := range benchSets[1:] {
		x, _ := set.make(b, 100)
		var xs linalg.SparseRows
		xs.Compress(x)
		_, w, h := gemmShapes[0].operands()
		_, delta, grad := gemmShapes[3].operands()
		sums := make([]float32, w.Cols)
		linalg.ColSums(sums, w)
		b.Run(set.name+"/fwd_hidden", func(b *testing.B) {
			for b.Loop() {
				linalg.SparseGemm(1, xs, w, 0, h, sums)
			}
			gemmShapes[0].reportGFLOPs(b)
		})
		b.Run(set.name+"/grad_w_h", func(b *testing.B) {
			for b.Loop() {
				linalg.SparseGemmT(1, xs, delta, 0, grad, sums)
			}
			gemmShapes[3].reportGFLOPs(b)
		})
	}
}

// seedNetwork returns the seed's 784-100-10 network, untrained.
func seedNetwork(b *testing.B, cfg mlp.Config) *mlp.Network {
	n, err := mlp.New(784, 10, cfg)
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkTrainStep measures one training step of the seed's 784-100-10
// network at batch 100 through TrainBatch: 2 x 100 x 79,400 flops forward,
// as many for the weight gradients, and 2 x 100 x 1,000 for the hidden
// layer's delta (the input layer needs none), 32 MFLOP in all; on
// mnist-like rows the sparse path does a fifth of that, and GFLOP/s
// counts the dense product's flops.
func BenchmarkTrainStep(b *testing.B) {
	for _, set := range benchSets {
		b.Run(set.name, func(b *testing.B) {
			x, y := set.make(b, 100)
			n := seedNetwork(b, mlp.Config{})
			b.ReportAllocs()
			for b.Loop() {
				if err := n.TrainBatch(x, y); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(2*100*(2*79400+1000)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkTrainEpoch measures epochs of the seed's training on 55,000
// rows at batch 100 with 5,000 validation rows, b.N epochs in one Fit,
// and splits each epoch as ../shared/bench/compare_epoch.sh does for the
// Python references: train-s/epoch is the training loop (shuffle and 550
// steps; the first epoch's also holds Fit's set-up, such as compressing
// sparse rows), eval-s/epoch the evaluation after it (cost and accuracy on
// the training set, accuracy on the validation set).
func BenchmarkTrainEpoch(b *testing.B) {
	for _, set := range benchSets {
		b.Run(set.name, func(b *testing.B) { trainEpochs(b, set) })
	}
}

func trainEpochs(b *testing.B, set benchData) {
	x, y := set.make(b, 60000)
	n := seedNetwork(b, mlp.Config{Epochs: b.N})
	var train, eval time.Duration
	var mark time.Time
	progress := func(p mlp.Progress) {
		switch {
		case p.EpochDone:
			eval += time.Since(mark)
			mark = time.Now()
		case p.Batch == p.Batches:
			train += time.Since(mark)
			mark = time.Now()
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	mark = time.Now()
	if _, err := n.Fit(context.Background(), x.RowSlice(0, 55000), y[:55000], x.RowSlice(55000, 60000), y[55000:], progress); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/epoch")
	b.ReportMetric(train.Seconds()/float64(b.N), "train-s/epoch")
	b.ReportMetric(eval.Seconds()/float64(b.N), "eval-s/epoch")
}

// BenchmarkPredictOne measures Predict of a single row into a caller's
// buffer with the seed's network.
func BenchmarkPredictOne(b *testing.B) {
	for _, set := range benchSets {
		b.Run(set.name, func(b *testing.B) {
			x, _ := set.make(b, 1)
			n := seedNetwork(b, mlp.Config{})
			dst := make([]int, 1)
			b.ReportAllocs()
			for b.Loop() {
				if err := n.Predict(dst, x); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPredictBatch10000 measures Predict of 10,000 rows (the size of
// MNIST's test set) with the seed's network.
func BenchmarkPredictBatch10000(b *testing.B) {
	for _, set := range benchSets {
		b.Run(set.name, func(b *testing.B) {
			x, _ := set.make(b, 10000)
			n := seedNetwork(b, mlp.Config{})
			dst := make([]int, 10000)
			b.ReportAllocs()
			for b.Loop() {
				if err := n.Predict(dst, x); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(10000*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
