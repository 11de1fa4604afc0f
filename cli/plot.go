package cli

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	urfave "github.com/urfave/cli/v2"

	"github.com/mlpgo/mlpgo/mlp"
	"github.com/mlpgo/mlpgo/mnistio"
)

// The figures plot can draw, by the name --figures takes.
const (
	figHistory       = "history"
	figDigits        = "digits"
	figClass         = "class"
	figMisclassified = "misclassified"
)

var allFigures = []string{figHistory, figDigits, figClass, figMisclassified}

func plotCommand() *urfave.Command {
	return &urfave.Command{
		Name:  "plot",
		Usage: "draw PNG figures of the training history, sample digits and misclassified digits",
		UsageText: "mlpgo plot [--figures LIST] [--model FILE] [--history FILE] [--data DIR] [--class N] [--outdir DIR]\n\n" +
			"Writes, as the seed's figures:\n" +
			"  history.png        the cost and the training and validation accuracy per epoch\n" +
			"                     (from --history, which mlpgo train writes)\n" +
			"  digits.png         the first training digit of each class\n" +
			"  class-N.png        the first 25 training digits of class N (--class)\n" +
			"  misclassified.png  the first 25 test digits the model gets wrong, titled\n" +
			"                     'i) t: TRUE p: PREDICTED'",
		Flags: append(runtimeFlags(), modelFlag(), dataFlag(),
			&urfave.StringSliceFlag{Name: "figures", Value: urfave.NewStringSlice(allFigures...), Usage: "figures to draw: " + strings.Join(allFigures, ", "), EnvVars: envVars("figures")},
			&urfave.StringFlag{Name: "history", Usage: "history `FILE` (default: --model with .history.jsonl)", EnvVars: envVars("history")},
			&urfave.IntFlag{Name: "class", Value: 7, Usage: "class of the class-N figure", EnvVars: envVars("class")},
			&urfave.StringFlag{Name: "outdir", Value: ".", Usage: "`DIR` to write the PNG files to", EnvVars: envVars("outdir")},
		),
		Before: setupCommand,
		Action: runPlot,
	}
}

func runPlot(cCtx *urfave.Context) error {
	figures := cCtx.StringSlice("figures")
	for _, f := range figures {
		if !slices.Contains(allFigures, f) {
			return usageErrorf("--figures: unknown figure %q (known: %s)", f, strings.Join(allFigures, ", "))
		}
	}
	outdir := cCtx.String("outdir")
	if err := os.MkdirAll(outdir, 0o755); err != nil {
		return err
	}
	out := func(name string) string { return filepath.Join(outdir, name) }
	var written []string
	want := func(f string) bool { return slices.Contains(figures, f) }

	if want(figHistory) {
		path := cCtx.String("history")
		if path == "" {
			path = strings.TrimSuffix(cCtx.String("model"), ".safetensors") + ".history.jsonl"
		}
		h, err := readHistory(path)
		if err != nil {
			return err
		}
		fig, err := historyFigure(h)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := writeFigure(out("history.png"), fig, 960, 400); err != nil {
			return err
		}
		written = append(written, out("history.png"))
	}

	if want(figDigits) || want(figClass) {
		dir, err := datasetDir(cCtx.Context, cCtx.String("data"), cCtx.App.ErrWriter, trainSplit)
		if err != nil {
			return err
		}
		// Any label a byte can hold: these figures need no model.
		train, err := mnistio.Load(dir, trainSplit, mnistio.Options{Classes: mlp.MaxClasses})
		if err != nil {
			return err
		}
		if want(figDigits) {
			tiles := firstOfEachClass(train)
			cols := 5
			if len(tiles) > 10 {
				cols = 10
			}
			rows := (len(tiles) + cols - 1) / cols
			if err := writeFigure(out("digits.png"), digitFigure(tiles, train.Height, train.Width, cols), 120*cols, 130*rows); err != nil {
				return err
			}
			written = append(written, out("digits.png"))
		}
		if want(figClass) {
			class := cCtx.Int("class")
			tiles := examplesOfClass(train, class, 25)
			if len(tiles) == 0 {
				return usageErrorf("--class %d: no training example has that label", class)
			}
			name := fmt.Sprintf("class-%d.png", class)
			if err := writeFigure(out(name), digitFigure(tiles, train.Height, train.Width, 5), 500, 500); err != nil {
				return err
			}
			written = append(written, out(name))
		}
	}

	if want(figMisclassified) {
		net, err := loadModel(cCtx.String("model"))
		if err != nil {
			return err
		}
		test, _, err := loadSplit(cCtx, net, testSplit)
		if err != nil {
			return err
		}
		pred, err := predictRows(net, matrixOf(test))
		if err != nil {
			return err
		}
		var tiles []digitTile
		for i, p := range pred {
			if p != int(test.Labels[i]) && len(tiles) < 25 {
				tiles = append(tiles, digitTile{test.Image(i), fmt.Sprintf("%d) t: %d p: %d", len(tiles)+1, test.Labels[i], p)})
			}
		}
		if len(tiles) == 0 {
			fmt.Fprintln(cCtx.App.ErrWriter, "the model classifies every test digit correctly: no misclassified.png")
		} else {
			if err := writeFigure(out("misclassified.png"), digitFigure(tiles, test.Height, test.Width, 5), 600, 640); err != nil {
				return err
			}
			written = append(written, out("misclassified.png"))
		}
	}

	for _, p := range written {
		fmt.Fprintf(cCtx.App.Writer, "wrote %s\n", p)
	}
	return nil
}

// readHistory reads a history written by train (JSON lines).
func readHistory(path string) (mlp.History, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w (mlpgo train writes it next to the model)", err)
	}
	defer f.Close()
	var h mlp.History
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var e mlp.EpochStats
		if err := e.UnmarshalJSON(sc.Bytes()); err != nil {
			return nil, fmt.Errorf("%s:%d: not a history line: %w", path, line, err)
		}
		h = append(h, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(h) == 0 {
		return nil, fmt.Errorf("%s: empty history", path)
	}
	return h, nil
}

// firstOfEachClass returns the first example of each class present in ds,
// by class, titled with the class.
func firstOfEachClass(ds *mnistio.Dataset) []digitTile {
	first := map[uint8]int{}
	for i, l := range ds.Labels {
		if _, ok := first[l]; !ok {
			first[l] = i
		}
	}
	classes := make([]int, 0, len(first))
	for l := range first {
		classes = append(classes, int(l))
	}
	slices.Sort(classes)
	tiles := make([]digitTile, len(classes))
	for i, c := range classes {
		tiles[i] = digitTile{ds.Image(first[uint8(c)]), fmt.Sprint(c)}
	}
	return tiles
}

// examplesOfClass returns the first n examples of class in ds.
func examplesOfClass(ds *mnistio.Dataset, class, n int) []digitTile {
	var tiles []digitTile
	for i, l := range ds.Labels {
		if int(l) == class && len(tiles) < n {
			tiles = append(tiles, digitTile{values: ds.Image(i)})
		}
	}
	return tiles
}
