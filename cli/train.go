package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	urfave "github.com/urfave/cli/v2"

	"github.com/mlpgo/mlpgo/linalg"
	"github.com/mlpgo/mlpgo/mlp"
	"github.com/mlpgo/mlpgo/mnistio"
)

// defaultModelPath is where train saves the model and eval, predict and
// plot look for it.
const defaultModelPath = "mlp.safetensors"

// seedValidation is the seed's validation set: the last 5,000 rows of
// MNIST's 60,000 training rows.
const seedValidation = 5000

// configFlagNames are train's flags that make up the network's Config;
// a checkpoint carries its own, so they cannot be given with --resume.
var configFlagNames = []string{
	"classes", "hidden", "activation", "output", "init", "init-scale", "optimizer", "eta", "eta-decay", "l2",
	"momentum", "beta1", "beta2", "epsilon", "epochs", "batch", "no-shuffle", "seed", "patience",
}

func trainCommand() *urfave.Command {
	d := mlp.Config{}.WithDefaults()
	names := func(list ...string) string { return strings.Join(list, ", ") }
	return &urfave.Command{
		Name:  "train",
		Usage: "train a network (by default the seed's 784-100-10 on MNIST) and save it",
		UsageText: "mlpgo train [flags]\n\n" +
			"With no flags, trains the seed's network on MNIST (fetched into the cache if\n" +
			"needed): 784-100-10 sigmoid units, logistic cost, SGD with eta 0.0005 and\n" +
			"L2 0.01, minibatches of 100, 200 epochs, seed 1, the last 5,000 training\n" +
			"images held out for validation. It prints one line per epoch (and a live bar\n" +
			"on a terminal), the final train/valid/test accuracy, and saves the model\n" +
			"(--out) and the per-epoch history (--history, JSON lines).\n\n" +
			"Ctrl-C stops after the current minibatch and saves a checkpoint that\n" +
			"--resume continues from, with bit-identical results.",
		Flags: append(runtimeFlags(), dataFlag(),
			&urfave.IntFlag{Name: "classes", Value: mnistio.DefaultClasses, Usage: "number of classes: labels are 0 to N-1", EnvVars: envVars("classes")},
			&urfave.IntFlag{Name: "valid", Value: seedValidation, Usage: "hold out the last `N` training examples for validation (0: none)", EnvVars: envVars("valid")},
			&urfave.IntSliceFlag{Name: "hidden", Value: urfave.NewIntSlice(d.Hidden...), Usage: "hidden layer sizes, input side first, e.g. 256,128", EnvVars: envVars("hidden")},
			&urfave.StringFlag{Name: "activation", Value: d.Activation.String(), Usage: "hidden units: " + names("sigmoid", "tanh", "relu", "leaky_relu"), EnvVars: envVars("activation")},
			&urfave.StringFlag{Name: "output", Value: d.Output.String(), Usage: "output layer and cost: sigmoid (logistic cost) or softmax (cross-entropy)", EnvVars: envVars("output")},
			&urfave.StringFlag{Name: "init", Value: d.Init.String(), Usage: "weight initialization: " + names("normal", "glorot", "he"), EnvVars: envVars("init")},
			&urfave.Float64Flag{Name: "init-scale", Value: d.InitScale, Usage: "standard deviation of --init normal", EnvVars: envVars("init-scale")},
			&urfave.StringFlag{Name: "optimizer", Value: d.Optimizer.String(), Usage: "update rule: " + names("sgd", "momentum", "nesterov", "adam"), EnvVars: envVars("optimizer")},
			&urfave.Float64Flag{Name: "eta", Value: d.Eta, Usage: "learning rate (gradients are summed over the minibatch, as in the seed)", EnvVars: envVars("eta")},
			&urfave.Float64Flag{Name: "eta-decay", Value: d.EtaDecay, Usage: "multiply the learning rate by this factor after every epoch (1: constant, as in the seed)", EnvVars: envVars("eta-decay")},
			&urfave.Float64Flag{Name: "l2", Value: d.L2, Usage: "L2 penalty on the weights (0: none)", EnvVars: envVars("l2")},
			&urfave.Float64Flag{Name: "momentum", Value: d.Momentum, Usage: "velocity decay of momentum and nesterov", EnvVars: envVars("momentum")},
			&urfave.Float64Flag{Name: "beta1", Value: d.Beta1, Usage: "adam's first-moment decay", EnvVars: envVars("beta1")},
			&urfave.Float64Flag{Name: "beta2", Value: d.Beta2, Usage: "adam's second-moment decay", EnvVars: envVars("beta2")},
			&urfave.Float64Flag{Name: "epsilon", Value: d.Epsilon, Usage: "adam's epsilon", EnvVars: envVars("epsilon")},
			&urfave.IntFlag{Name: "epochs", Value: d.Epochs, Usage: "passes over the training set", EnvVars: envVars("epochs")},
			&urfave.IntFlag{Name: "batch", Value: d.BatchSize, Usage: "minibatch size", EnvVars: envVars("batch")},
			&urfave.BoolFlag{Name: "no-shuffle", Usage: "keep the training order instead of shuffling every epoch", EnvVars: envVars("no-shuffle")},
			&urfave.Uint64Flag{Name: "seed", Value: d.Seed, Usage: "random seed of initialization and shuffling", EnvVars: envVars("seed")},
			&urfave.IntFlag{Name: "patience", Usage: "early stopping: stop after `N` epochs without a better validation accuracy and keep the best weights (0: off)", EnvVars: envVars("patience")},
			&urfave.StringFlag{Name: "out", Value: defaultModelPath, Usage: "model `FILE` to write", EnvVars: envVars("out")},
			&urfave.StringFlag{Name: "history", Usage: "history `FILE` to write, JSON lines (default: --out with .history.jsonl)", EnvVars: envVars("history")},
			&urfave.StringFlag{Name: "checkpoint", Usage: "checkpoint `FILE` written on Ctrl-C and by --checkpoint-every (default: --out with .ckpt.safetensors)", EnvVars: envVars("checkpoint")},
			&urfave.IntFlag{Name: "checkpoint-every", Usage: "also write the checkpoint every `N` epochs (0: only on Ctrl-C)", EnvVars: envVars("checkpoint-every")},
			&urfave.StringFlag{Name: "resume", Usage: "continue training from checkpoint `FILE`, which holds the configuration", EnvVars: envVars("resume")},
		),
		Before: setupCommand,
		Action: runTrain,
	}
}

// configFromFlags builds the network's Config from train's flags.
func configFromFlags(cCtx *urfave.Context) (mlp.Config, error) {
	cfg := mlp.Config{
		Hidden:    cCtx.IntSlice("hidden"),
		InitScale: cCtx.Float64("init-scale"),
		Eta:       cCtx.Float64("eta"),
		EtaDecay:  cCtx.Float64("eta-decay"),
		L2:        cCtx.Float64("l2"),
		NoL2:      cCtx.Float64("l2") == 0,
		Momentum:  cCtx.Float64("momentum"),
		Beta1:     cCtx.Float64("beta1"),
		Beta2:     cCtx.Float64("beta2"),
		Epsilon:   cCtx.Float64("epsilon"),
		Epochs:    cCtx.Int("epochs"),
		BatchSize: cCtx.Int("batch"),
		NoShuffle: cCtx.Bool("no-shuffle"),
		Seed:      cCtx.Uint64("seed"),
		Patience:  cCtx.Int("patience"),
	}
	var err error
	if cfg.Activation, err = linalg.ParseActivation(cCtx.String("activation")); err != nil {
		return cfg, usageErrorf("--activation: %v", err)
	}
	if cfg.Output, err = mlp.ParseOutput(cCtx.String("output")); err != nil {
		return cfg, usageErrorf("--output: %v", err)
	}
	if cfg.Init, err = mlp.ParseInit(cCtx.String("init")); err != nil {
		return cfg, usageErrorf("--init: %v", err)
	}
	if cfg.Optimizer, err = mlp.ParseOptimizer(cCtx.String("optimizer")); err != nil {
		return cfg, usageErrorf("--optimizer: %v", err)
	}
	// Zero means "the default" to Config; on the command line it is a
	// value, and only --l2 0 (NoL2) and --patience 0 (off) accept it.
	for _, name := range []string{"init-scale", "eta", "eta-decay", "momentum", "beta1", "beta2", "epsilon"} {
		if cCtx.Float64(name) == 0 {
			return cfg, usageErrorf("--%s 0: must not be 0", name)
		}
	}
	for _, name := range []string{"epochs", "batch"} {
		if cCtx.Int(name) <= 0 {
			return cfg, usageErrorf("--%s %d: must be at least 1", name, cCtx.Int(name))
		}
	}
	if cfg.Activation == linalg.Identity {
		return cfg, usageErrorf("--activation identity: hidden layers need a nonlinear activation")
	}
	if err := cfg.Validate(); err != nil {
		return cfg, usageErrorf("%v", err)
	}
	return cfg, nil
}

// trainPaths are the files train writes.
type trainPaths struct {
	model, history, checkpoint string
}

func trainPathsFromFlags(cCtx *urfave.Context) trainPaths {
	p := trainPaths{model: cCtx.String("out"), history: cCtx.String("history"), checkpoint: cCtx.String("checkpoint")}
	base := strings.TrimSuffix(p.model, ".safetensors")
	if p.history == "" {
		p.history = base + ".history.jsonl"
	}
	if p.checkpoint == "" {
		p.checkpoint = base + ".ckpt.safetensors"
	}
	return p
}

func runTrain(cCtx *urfave.Context) error {
	ctx, stdout, stderr := cCtx.Context, cCtx.App.Writer, cCtx.App.ErrWriter
	paths := trainPathsFromFlags(cCtx)
	if paths.model == "" {
		return usageErrorf("--out: empty file name")
	}
	valid, every := cCtx.Int("valid"), cCtx.Int("checkpoint-every")
	if valid < 0 {
		return usageErrorf("--valid %d: must be 0 or more", valid)
	}
	if every < 0 {
		return usageErrorf("--checkpoint-every %d: must be 0 or more", every)
	}

	var net *mlp.Network
	if resume := cCtx.String("resume"); resume != "" {
		for _, name := range configFlagNames {
			if cCtx.IsSet(name) {
				return usageErrorf("--%s cannot be given with --resume: the checkpoint %s holds the configuration", name, resume)
			}
		}
		var err error
		if net, err = mlp.Load(resume); err != nil {
			return err
		}
	}
	cfg := mlp.Config{}
	if net == nil {
		var err error
		if cfg, err = configFromFlags(cCtx); err != nil {
			return err
		}
	}

	classes := cCtx.Int("classes")
	if net != nil {
		classes = net.Classes()
	}
	if classes < 2 || classes > mlp.MaxClasses {
		return usageErrorf("--classes %d: must be 2 to %d", classes, mlp.MaxClasses)
	}
	data, err := loadTrainingData(ctx, cCtx.String("data"), classes, valid, stderr)
	if err != nil {
		return err
	}
	if net == nil {
		if net, err = mlp.New(data.train.Features, data.train.Classes, cfg); err != nil {
			return err
		}
	}
	cfg = net.Config()
	fmt.Fprintf(stdout, "data:    %s\n", data.summary())
	fmt.Fprintf(stdout, "network: %s\n", describeNetwork(net))
	if done := net.Epochs(); done > 0 {
		fmt.Fprintf(stdout, "resuming after epoch %d of %d\n", done, cfg.Epochs)
	}

	progress := newTrainProgress(stdout, stderr)
	if every > 0 {
		progress.onEpoch = func(pr mlp.Progress) error {
			if pr.Epoch%every != 0 || pr.Epoch == pr.Epochs {
				return nil
			}
			return net.SaveCheckpoint(paths.checkpoint)
		}
	}
	start := time.Now()
	xTrain, xValid := matrixOf(data.train), matrixOf(data.valid)
	_, err = net.Fit(ctx, xTrain, data.train.Labels, xValid, labelsOf(data.valid), progress.update)
	progress.close()
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return interrupted(cCtx, net, paths, err)
	}
	if err != nil {
		return err
	}
	if progress.err != nil {
		return progress.err
	}
	elapsed := time.Since(start)
	if progress.epochs > 0 {
		fmt.Fprintf(stdout, "trained %d epochs in %s (%s per epoch)\n", progress.epochs,
			elapsed.Round(time.Millisecond), formatSeconds(progress.seconds/float64(progress.epochs)))
	}
	if cfg.Patience > 0 && net.Epochs() < len(net.History()) {
		fmt.Fprintf(stdout, "early stopping kept the weights of epoch %d\n", net.Epochs())
	}

	acc := []string{}
	for _, s := range []struct {
		name string
		ds   *mnistio.Dataset
	}{{"train", data.train}, {"valid", data.valid}, {"test", data.test}} {
		if s.ds == nil {
			continue
		}
		a, err := net.Accuracy(matrixOf(s.ds), s.ds.Labels)
		if err != nil {
			return err
		}
		acc = append(acc, s.name+" "+percent(a))
	}
	fmt.Fprintf(stdout, "accuracy: %s\n", strings.Join(acc, "  "))

	if err := net.Save(paths.model); err != nil {
		return err
	}
	if err := writeHistory(paths.history, net.History()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "saved the model to %s and the history to %s\n", paths.model, paths.history)
	return nil
}

// interrupted saves a checkpoint of a run stopped by Ctrl-C, says how to
// resume it, and returns the error train exits with.
func interrupted(cCtx *urfave.Context, net *mlp.Network, paths trainPaths, cause error) error {
	if err := net.SaveCheckpoint(paths.checkpoint); err != nil {
		return fmt.Errorf("interrupted, and saving the checkpoint failed: %w", err)
	}
	args := []string{"mlpgo", "train", "--resume", shellQuote(paths.checkpoint)}
	for _, name := range []string{"data", "valid", "out", "history", "checkpoint", "checkpoint-every"} {
		if cCtx.IsSet(name) {
			args = append(args, "--"+name, shellQuote(cCtx.Value(name)))
		}
	}
	w := cCtx.App.ErrWriter
	fmt.Fprintf(w, "interrupted: %v\n", cause)
	fmt.Fprintf(w, "saved a checkpoint to %s; continue with:\n  %s\n", paths.checkpoint, strings.Join(args, " "))
	return errors.New("training interrupted")
}

// shellQuote quotes v for a POSIX shell when it needs it.
func shellQuote(v any) string {
	s := fmt.Sprint(v)
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == ',' || r == ':' ||
			'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// describeNetwork renders the network's architecture and training setup
// in one line.
func describeNetwork(n *mlp.Network) string {
	cfg := n.Config()
	sizes := make([]string, 0, len(n.Sizes()))
	for _, s := range n.Sizes() {
		sizes = append(sizes, strconv.Itoa(s))
	}
	s := fmt.Sprintf("%s %s, %s output, %s init, %s eta %g", strings.Join(sizes, "-"), cfg.Activation,
		cfg.Output, cfg.Init, cfg.Optimizer, cfg.Eta)
	if cfg.NoL2 {
		s += " no l2"
	} else {
		s += fmt.Sprintf(" l2 %g", cfg.L2)
	}
	s += fmt.Sprintf(", batch %d, %d epochs, seed %d", cfg.BatchSize, cfg.Epochs, cfg.Seed)
	if cfg.Patience > 0 {
		s += fmt.Sprintf(", patience %d", cfg.Patience)
	}
	return s + fmt.Sprintf(" (isa %s, %d threads)", linalg.ISA(), linalg.Threads())
}

// writeHistory writes the history to path as JSON lines.
func writeHistory(path string, h mlp.History) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := h.WriteJSONLines(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

// trainingData is the data of a training run.
type trainingData struct {
	dir                string
	train, valid, test *mnistio.Dataset // valid is nil without a validation set
}

// loadTrainingData loads the training split, holding out its last valid
// rows for validation, and the test split, with labels checked against
// classes.
func loadTrainingData(ctx context.Context, dir string, classes, valid int, stderr io.Writer) (*trainingData, error) {
	dir, err := datasetDir(ctx, dir, stderr, trainSplit, testSplit)
	if err != nil {
		return nil, err
	}
	opt := mnistio.Options{Classes: classes}
	full, err := mnistio.Load(dir, trainSplit, opt)
	if err != nil {
		return nil, err
	}
	test, err := mnistio.Load(dir, testSplit, opt)
	if err != nil {
		return nil, err
	}
	if valid >= full.N {
		return nil, usageErrorf("--valid %d: the training split has only %d examples", valid, full.N)
	}
	d := &trainingData{dir: dir, train: full.Slice(0, full.N-valid), test: test}
	if valid > 0 {
		d.valid = full.Slice(full.N-valid, full.N)
	}
	return d, nil
}

// summary describes the data in one line.
func (d *trainingData) summary() string {
	nValid := 0
	if d.valid != nil {
		nValid = d.valid.N
	}
	return fmt.Sprintf("%s: %d training, %d validation, %d test examples of %dx%d, %d classes",
		d.dir, d.train.N, nValid, d.test.N, d.train.Height, d.train.Width, d.train.Classes)
}

// matrixOf views a dataset's examples as a matrix, one example a row; a nil
// dataset is an empty matrix.
func matrixOf(d *mnistio.Dataset) linalg.Matrix {
	if d == nil {
		return linalg.Matrix{}
	}
	return linalg.FromSlice(d.N, d.Features, d.Data)
}

// labelsOf returns a dataset's labels, nil for a nil dataset.
func labelsOf(d *mnistio.Dataset) []uint8 {
	if d == nil {
		return nil
	}
	return d.Labels
}
