package cli

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/klauspost/cpuid/v2"
	urfave "github.com/urfave/cli/v2"

	"github.com/mlpgo/mlpgo/linalg"
	"github.com/mlpgo/mlpgo/mlp"
)

// gemmShape is one GEMM that bench times: C[m×n] = op(A)·op(B) with depth k.
type gemmShape struct {
	Name           string `json:"name"`
	M, N, K        int    `json:"-"`
	TransA, TransB bool   `json:"-"`
}

// mlpShapes are the GEMMs of one training step and of batch inference of
// the seed's 784-100-10 network with minibatches of 100.
func mlpShapes() []gemmShape {
	return []gemmShape{
		{Name: "forward 784->100, batch 100", M: 100, N: 100, K: 784},
		{Name: "forward 100->10, batch 100", M: 100, N: 10, K: 100},
		{Name: "backward delta 10->100", M: 100, N: 100, K: 10, TransB: true},
		{Name: "gradient 784x100", M: 784, N: 100, K: 100, TransA: true},
		{Name: "inference 784->100, batch 10000", M: 10000, N: 100, K: 784},
	}
}

// gemmResult is the speed of one shape on one ISA.
type gemmResult struct {
	ISA         string  `json:"isa"`
	Shape       string  `json:"shape"`
	M           int     `json:"m"`
	N           int     `json:"n"`
	K           int     `json:"k"`
	Seconds     float64 `json:"seconds_per_call"` // median over the repetitions
	GFLOPS      float64 `json:"gflops"`
	PercentPeak float64 `json:"percent_of_peak"` // of the peak of Threads cores
}

// mlpResult is the speed of the seed's network on one ISA and one kind of
// input.
type mlpResult struct {
	ISA string `json:"isa"`
	// Input is "uniform" (random values, the dense products) or
	// "mnist-like" (MNIST's shape: mostly -1, which the sparse path
	// skips).
	Input string `json:"input"`
	// StepSeconds is one training step: forward, backward and update of a
	// minibatch of 100.
	StepSeconds float64 `json:"train_step_seconds"`
	// PredictSeconds is the latency of Predict on one sample.
	PredictSeconds float64 `json:"predict_one_seconds"`
}

// benchReport is what `mlpgo bench` prints.
type benchReport struct {
	CPU     string       `json:"cpu"`
	Threads int          `json:"threads"`
	Peak    cpuPeak      `json:"peak"`
	Gemm    []gemmResult `json:"gemm"`
	MLP     []mlpResult  `json:"mlp"`
}

func benchCommand() *urfave.Command {
	return &urfave.Command{
		Name:  "bench",
		Usage: "measure GEMM speed per ISA against this CPU's peak, and the seed network's speed",
		UsageText: "mlpgo bench [--size N] [--time D] [--count N] [--json] [--isa NAME]\n\n" +
			"Times the GEMMs of the seed network (784-100-10, minibatch 100) and an\n" +
			"N x N x N square on every ISA this CPU runs (only --isa's, if given), and\n" +
			"gives each as a percentage of the FP32 FMA peak of the cores it uses (one,\n" +
			"unless --threads says more): per core, the flops per cycle of this\n" +
			"microarchitecture (a table) times the clock measured on a chain of\n" +
			"dependent one-cycle instructions. Then it times a training step and the\n" +
			"prediction of one sample with the seed network, on uniform random rows\n" +
			"(dense products) and on MNIST-like rows, mostly -1, whose first layer\n" +
			"takes the sparse path.\n" +
			"Times are medians of --count runs.",
		Flags: append(runtimeFlags(), jsonFlag(),
			&urfave.IntFlag{Name: "size", Value: 1024, Usage: "side of the square GEMM", EnvVars: envVars("size")},
			&urfave.DurationFlag{Name: "time", Value: 100 * time.Millisecond, Usage: "minimum duration of one timed run", EnvVars: envVars("time")},
			&urfave.IntFlag{Name: "count", Value: 5, Usage: "timed runs per measurement (the median is reported)", EnvVars: envVars("count")},
		),
		Before: setupCommand,
		Action: runBench,
	}
}

func runBench(cCtx *urfave.Context) error {
	size, minTime, count := cCtx.Int("size"), cCtx.Duration("time"), cCtx.Int("count")
	if size < 1 {
		return usageErrorf("--size %d: must be at least 1", size)
	}
	if count < 1 {
		return usageErrorf("--count %d: must be at least 1", count)
	}
	// One thread unless --threads says otherwise, so that the percentages
	// compare a kernel with one core's peak.
	threads := 1
	if cCtx.IsSet("threads") && cCtx.Int("threads") > 0 {
		threads = cCtx.Int("threads")
	}
	defer linalg.SetThreads(linalg.SetThreads(threads))
	isas := linalg.Available()
	if cCtx.IsSet("isa") {
		isas = []string{linalg.ISA()}
	}
	shapes := append(mlpShapes(), gemmShape{Name: fmt.Sprintf("square %d", size), M: size, N: size, K: size})

	rep := benchReport{
		CPU:     cpuid.CPU.BrandName,
		Threads: threads,
		Peak:    peakOf(&cpuid.CPU, measureGHz()),
	}
	for _, isa := range isas {
		restore, err := linalg.UseISA(isa)
		if err != nil {
			return err
		}
		for _, s := range shapes {
			secs, err := timeGemm(cCtx.Context, s, minTime, count)
			if err != nil {
				restore()
				return err
			}
			gflops := 2 * float64(s.M) * float64(s.N) * float64(s.K) / secs / 1e9
			rep.Gemm = append(rep.Gemm, gemmResult{
				ISA: isa, Shape: s.Name, M: s.M, N: s.N, K: s.K,
				Seconds: secs, GFLOPS: gflops, PercentPeak: 100 * gflops / (rep.Peak.GFLOPS * float64(threads)),
			})
		}
		for _, input := range benchInputs {
			m, err := benchMLP(cCtx.Context, input.pixel, minTime, count)
			if err != nil {
				restore()
				return err
			}
			m.ISA, m.Input = isa, input.name
			rep.MLP = append(rep.MLP, m)
		}
		restore()
	}

	w := cCtx.App.Writer
	if cCtx.Bool("json") {
		return writeJSON(w, rep)
	}
	fmt.Fprintf(w, "cpu:     %s\nthreads: %d (--threads)\n", rep.CPU, rep.Threads)
	fmt.Fprintf(w, "peak:    %s\n\n", rep.Peak)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "isa\tgemm\tm x n x k\t   time/call\tGFLOP/s\t%% of peak\n")
	for _, r := range rep.Gemm {
		fmt.Fprintf(tw, "%s\t%s\t%dx%dx%d\t%12s\t%7.1f\t%8.1f%%\n", r.ISA, r.Shape, r.M, r.N, r.K,
			formatSeconds(r.Seconds), r.GFLOPS, r.PercentPeak)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nseed network 784-100-10")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "isa\tinput\ttraining step (batch 100)\tpredict 1 sample\n")
	for _, m := range rep.MLP {
		fmt.Fprintf(tw, "%s\t%s\t%25s\t%16s\n", m.ISA, m.Input, formatSeconds(m.StepSeconds), formatSeconds(m.PredictSeconds))
	}
	return tw.Flush()
}

// benchInputs are the inputs benchMLP runs on: pixel(r, j) gives column j
// of a row. mnist-like rows are -1 (MNIST's background after the seed's
// scaling) but for about 150 strokes in the central 20x20 pixels, MNIST's
// mean count.
var benchInputs = []struct {
	name  string
	pixel func(r *rand.Rand, j int) float32
}{
	{"uniform", func(r *rand.Rand, _ int) float32 { return r.Float32()*2 - 1 }},
	{"mnist-like", func(r *rand.Rand, j int) float32 {
		if y, x := j/28, j%28; y < 4 || y >= 24 || x < 4 || x >= 24 || r.Float32() >= 0.375 {
			return -1
		}
		return 1 - 2*r.Float32()
	}},
}

// benchMLP times the seed's network on rows from pixel with the active
// ISA: one training step (TrainBatch on a minibatch of 100) and Predict of
// one sample.
func benchMLP(ctx context.Context, pixel func(r *rand.Rand, j int) float32, minTime time.Duration, count int) (mlpResult, error) {
	const batch, inputs, classes = 100, 784, 10
	rng := rand.New(rand.NewPCG(3, 4))
	x := linalg.New(batch, inputs)
	for i := range x.Data {
		x.Data[i] = pixel(rng, i%inputs)
	}
	y := make([]uint8, batch)
	for i := range y {
		y[i] = uint8(rng.IntN(classes))
	}
	net, err := mlp.New(inputs, classes, mlp.Config{})
	if err != nil {
		return mlpResult{}, err
	}
	var callErr error
	record := func(err error) {
		if err != nil && callErr == nil {
			callErr = err
		}
	}
	step, err := timeCall(ctx, func() { record(net.TrainBatch(x, y)) }, minTime, count)
	if err != nil {
		return mlpResult{}, err
	}
	one, class := x.RowSlice(0, 1), make([]int, 1)
	latency, err := timeCall(ctx, func() { record(net.Predict(class, one)) }, minTime, count)
	if err != nil {
		return mlpResult{}, err
	}
	if callErr != nil {
		return mlpResult{}, fmt.Errorf("bench: %w", callErr)
	}
	return mlpResult{StepSeconds: step, PredictSeconds: latency}, nil
}

// timeGemm returns the median time of one call of shape s, over count runs
// of at least minTime each, on random operands.
func timeGemm(ctx context.Context, s gemmShape, minTime time.Duration, count int) (float64, error) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(r, c int) linalg.Matrix {
		m := linalg.New(r, c)
		for i := range m.Data {
			m.Data[i] = rng.Float32()*2 - 1
		}
		return m
	}
	a, b := random(s.M, s.K), random(s.K, s.N)
	if s.TransA {
		a = random(s.K, s.M)
	}
	if s.TransB {
		b = random(s.N, s.K)
	}
	c := linalg.New(s.M, s.N)
	return timeCall(ctx, func() { linalg.Gemm(s.TransA, s.TransB, 1, a, b, 0, c) }, minTime, count)
}

// timeCall returns the median seconds per call of f over count runs, each
// repeating f for at least minTime. It stops early, with ctx's error, when
// ctx is cancelled.
func timeCall(ctx context.Context, f func(), minTime time.Duration, count int) (float64, error) {
	f() // warm up caches and buffers
	n := 1
	for {
		start := time.Now()
		for range n {
			f()
		}
		if d := time.Since(start); d >= minTime/4 || n >= 1<<30 {
			// Scale n so one run lasts about minTime.
			n = max(1, int(float64(n)*float64(minTime)/float64(max(d, 1))))
			break
		}
		n *= 4
	}
	runs := make([]float64, count)
	for i := range runs {
		if err := ctx.Err(); err != nil {
			return 0, fmt.Errorf("bench: %w", err)
		}
		start := time.Now()
		for range n {
			f()
		}
		runs[i] = time.Since(start).Seconds() / float64(n)
	}
	slices.Sort(runs)
	return runs[count/2], nil
}

// formatSeconds prints a duration in seconds with a unit that keeps four
// significant digits or so: 9.3 µs, 573.8 µs, 92.32 ms, 1.25 s.
func formatSeconds(s float64) string {
	switch {
	case s < 1e-3:
		return fmt.Sprintf("%.1f µs", s*1e6)
	case s < 1:
		return fmt.Sprintf("%.2f ms", s*1e3)
	}
	return fmt.Sprintf("%.2f s", s)
}
