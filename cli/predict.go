package cli

import (
	"fmt"
	"io"
	"math"
	"strings"

	urfave "github.com/urfave/cli/v2"

	"github.com/mlpgo/mlpgo/linalg"
	"github.com/mlpgo/mlpgo/mlp"
)

func predictCommand() *urfave.Command {
	return &urfave.Command{
		Name:  "predict",
		Usage: "classify digits from an IDX file, a PNG or JPEG image, or CSV rows",
		UsageText: "mlpgo predict --input FILE [--model FILE] [--json]\n\n" +
			"FILE is read by its extension:\n" +
			"  .png, .jpg, .jpeg  one digit. It is turned to gray levels; if its border is\n" +
			"                     bright (dark ink on paper) it is inverted, since MNIST\n" +
			"                     digits are white on black; it is padded to a square with\n" +
			"                     the background and resized to the model's 28x28.\n" +
			"  .csv               one example per row: 784 pixel values in 0..255, or a\n" +
			"                     label and 784 values (the label is ignored); a header\n" +
			"                     line is skipped.\n" +
			"  anything else      an IDX file of uint8 images (N x 28 x 28), raw or gzip,\n" +
			"                     such as t10k-images-idx3-ubyte.gz.\n" +
			"Pixels are scaled as in training. For each example it prints the predicted\n" +
			"class and the output layer: class probabilities for a softmax model, the\n" +
			"independent sigmoid outputs (not summing to 1) for a sigmoid model.",
		Flags: append(runtimeFlags(), modelFlag(), jsonFlag(),
			&urfave.StringFlag{Name: "input", Aliases: []string{"i"}, Usage: "`FILE` to classify", EnvVars: envVars("input")},
		),
		Before: setupCommand,
		Action: runPredict,
	}
}

// prediction is one example's result.
type prediction struct {
	Index   int       `json:"index"`
	Class   int       `json:"class"`
	Outputs []float32 `json:"outputs"`
}

// predictReport is what predict prints.
type predictReport struct {
	Input       string       `json:"input"`
	Output      string       `json:"output"` // "softmax" (probabilities) or "sigmoid"
	Notes       []string     `json:"notes,omitempty"`
	Predictions []prediction `json:"predictions"`
}

func runPredict(cCtx *urfave.Context) error {
	input := cCtx.String("input")
	if input == "" {
		return usageErrorf("predict needs --input FILE (see 'mlpgo predict --help')")
	}
	net, err := loadModel(cCtx.String("model"))
	if err != nil {
		return err
	}
	side := int(math.Round(math.Sqrt(float64(net.Inputs()))))
	if side*side != net.Inputs() {
		return fmt.Errorf("%s: the model takes %d inputs, not a square image", cCtx.String("model"), net.Inputs())
	}
	rows, err := readPixelRows(input, side, side)
	if err != nil {
		return err
	}
	x, err := scalePixels(rows)
	if err != nil {
		return err
	}
	pred, err := predictRows(net, x)
	if err != nil {
		return err
	}
	proba := linalg.New(x.Rows, net.Classes())
	if err := net.PredictProba(proba, x); err != nil {
		return err
	}
	rep := predictReport{Input: input, Output: net.Config().Output.String(), Notes: rows.notes}
	for i, c := range pred {
		rep.Predictions = append(rep.Predictions, prediction{Index: i, Class: c, Outputs: proba.Row(i)})
	}
	if cCtx.Bool("json") {
		return writeJSON(cCtx.App.Writer, rep)
	}
	return printPredictions(cCtx.App.Writer, rep)
}

func printPredictions(w io.Writer, r predictReport) error {
	for _, n := range r.Notes {
		fmt.Fprintf(w, "# %s: %s\n", r.Input, n)
	}
	what := "probabilities"
	if r.Output == mlp.SigmoidOutput.String() {
		what = "sigmoid outputs"
	}
	fmt.Fprintf(w, "# example class %s of classes 0..%d\n", what, len(r.Predictions[0].Outputs)-1)
	width := len(fmt.Sprint(len(r.Predictions) - 1))
	var b strings.Builder
	for _, p := range r.Predictions {
		b.Reset()
		fmt.Fprintf(&b, "%*d %d", width, p.Index, p.Class)
		for _, v := range p.Outputs {
			fmt.Fprintf(&b, " %.3f", v)
		}
		b.WriteByte('\n')
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	return nil
}
