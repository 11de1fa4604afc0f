package cli

import (
	"errors"
	"fmt"
	"io/fs"

	urfave "github.com/urfave/cli/v2"

	"github.com/mlpgo/mlpgo/linalg"
	"github.com/mlpgo/mlpgo/mlp"
	"github.com/mlpgo/mlpgo/mnistio"
)

// modelFlag is --model, the model file of eval, predict and plot.
func modelFlag() urfave.Flag {
	return &urfave.StringFlag{Name: "model", Value: defaultModelPath, Usage: "model `FILE` written by mlpgo train", EnvVars: envVars("model")}
}

// loadModel loads a model or checkpoint file; a missing one gets a hint on
// how to make it.
func loadModel(path string) (*mlp.Network, error) {
	n, err := mlp.Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w (train one with 'mlpgo train --out %s')", err, shellQuote(path))
	}
	return n, err
}

// loadSplit loads one split of the dataset that --data names (see
// datasetDir) with the classes of net, and returns it with its folder.
func loadSplit(cCtx *urfave.Context, net *mlp.Network, split string) (*mnistio.Dataset, string, error) {
	dir, err := datasetDir(cCtx.Context, cCtx.String("data"), cCtx.App.ErrWriter, split)
	if err != nil {
		return nil, "", err
	}
	ds, err := mnistio.Load(dir, split, mnistio.Options{Classes: net.Classes()})
	if err != nil {
		return nil, "", err
	}
	if ds.Features != net.Inputs() {
		return nil, "", fmt.Errorf("%s: %s images have %d pixels, the model takes %d inputs", dir, split, ds.Features, net.Inputs())
	}
	return ds, dir, nil
}

// predictRows returns net's predicted class of every row of x.
func predictRows(net *mlp.Network, x linalg.Matrix) ([]int, error) {
	pred := make([]int, x.Rows)
	if err := net.Predict(pred, x); err != nil {
		return nil, err
	}
	return pred, nil
}

// scalePixels turns 8-bit pixel rows into the float32 rows a model takes,
// scaled exactly as mnistio.Load scales training data.
func scalePixels(rows *pixelRows) (linalg.Matrix, error) {
	x := linalg.New(rows.n, rows.height*rows.width)
	if err := mnistio.ScaleSymmetric.Scale(x.Data, rows.pix); err != nil {
		return linalg.Matrix{}, err
	}
	return x, nil
}
