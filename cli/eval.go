package cli

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	urfave "github.com/urfave/cli/v2"
)

func evalCommand() *urfave.Command {
	return &urfave.Command{
		Name:  "eval",
		Usage: "report a model's accuracy, per-class precision and recall, and confusion matrix",
		UsageText: "mlpgo eval [--model FILE] [--data DIR] [--split NAME] [--json]\n\n" +
			"Evaluates the model on the test split (t10k) of the dataset.",
		Flags: append(runtimeFlags(), modelFlag(), dataFlag(), jsonFlag(),
			&urfave.StringFlag{Name: "split", Value: testSplit, Usage: "split of the dataset to evaluate on", EnvVars: envVars("split")},
		),
		Before: setupCommand,
		Action: runEval,
	}
}

// evalReport is what eval prints.
type evalReport struct {
	Model     string       `json:"model"`
	Data      string       `json:"data"`
	Split     string       `json:"split"`
	Examples  int          `json:"examples"`
	Accuracy  float64      `json:"accuracy"`
	Classes   []classStats `json:"classes"`
	Confusion [][]int      `json:"confusion"` // [true][predicted]
}

func runEval(cCtx *urfave.Context) error {
	net, err := loadModel(cCtx.String("model"))
	if err != nil {
		return err
	}
	split := cCtx.String("split")
	ds, dir, err := loadSplit(cCtx, net, split)
	if err != nil {
		return err
	}
	x := matrixOf(ds)
	acc, err := net.Accuracy(x, ds.Labels)
	if err != nil {
		return err
	}
	pred, err := predictRows(net, x)
	if err != nil {
		return err
	}
	conf := confusionMatrix(pred, ds.Labels, net.Classes())
	rep := evalReport{
		Model: cCtx.String("model"), Data: dir, Split: split, Examples: ds.N,
		Accuracy: acc, Classes: perClass(conf), Confusion: conf,
	}
	if cCtx.Bool("json") {
		return writeJSON(cCtx.App.Writer, rep)
	}
	return printEval(cCtx.App.Writer, rep)
}

func printEval(w io.Writer, r evalReport) error {
	fmt.Fprintf(w, "model:    %s\n", r.Model)
	fmt.Fprintf(w, "data:     %s, split %s, %d examples\n", r.Data, r.Split, r.Examples)
	fmt.Fprintf(w, "accuracy: %s\n\n", percent(r.Accuracy))

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "class\tprecision\trecall\tsupport\t")
	for _, c := range r.Classes {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t\n", c.Class, percentOrDash(c.Precision), percentOrDash(c.Recall), c.Support)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w, "\nconfusion matrix (rows: true class, columns: predicted class)")
	tw = tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.AlignRight)
	head := []string{""}
	for j := range r.Confusion {
		head = append(head, fmt.Sprint(j))
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for i, row := range r.Confusion {
		cells := []string{fmt.Sprint(i)}
		for _, v := range row {
			cells = append(cells, fmt.Sprint(v))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	return tw.Flush()
}

// percentOrDash is percent, with "-" for an undefined (NaN) ratio.
func percentOrDash(f float64) string {
	if math.IsNaN(f) {
		return "-"
	}
	return percent(f)
}
