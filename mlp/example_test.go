package mlp_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/mlpgo/mlpgo/linalg"
	"github.com/mlpgo/mlpgo/mlp"
)

// Example trains a small network to tell the quadrant of a point, saves
// it, loads it back and classifies two new points.
func Example() {
	// 400 points in [-1, 1]², labelled 0..3 by quadrant.
	x := linalg.New(400, 2)
	y := make([]uint8, 400)
	for i := range 400 {
		a, b := float32(i%20)/9.5-1, float32(i/20)/9.5-1
		x.Set(i, 0, a)
		x.Set(i, 1, b)
		if a > 0 {
			y[i] |= 1
		}
		if b > 0 {
			y[i] |= 2
		}
	}
	n, err := mlp.New(2, 4, mlp.Config{
		Hidden:     []int{16},
		Activation: linalg.Tanh,
		Output:     mlp.SoftmaxOutput,
		Optimizer:  mlp.Adam,
		Eta:        0.01,
		Epochs:     60,
		BatchSize:  20,
	})
	if err != nil {
		log.Fatal(err)
	}
	history, err := n.Fit(context.Background(), x, y, linalg.Matrix{}, nil, nil)
	if err != nil {
		log.Fatal(err)
	}
	last := history[len(history)-1]
	fmt.Printf("epoch %d: train accuracy %.2f\n", last.Epoch, last.TrainAcc)

	path := filepath.Join(os.TempDir(), "quadrants.safetensors")
	defer os.Remove(path)
	if err := n.Save(path); err != nil {
		log.Fatal(err)
	}
	loaded, err := mlp.Load(path)
	if err != nil {
		log.Fatal(err)
	}
	pred := make([]int, 2)
	if err := loaded.Predict(pred, linalg.FromSlice(2, 2, []float32{0.5, -0.7, -0.4, 0.6})); err != nil {
		log.Fatal(err)
	}
	fmt.Println("predicted quadrants:", pred)
	// Output:
	// epoch 60: train accuracy 1.00
	// predicted quadrants: [1 2]
}
