package mlp

import "github.com/mlpgo/mlpgo/linalg"

// Inputs such as MNIST's are mostly one value (the seed's scaling makes
// 81% of a digit's pixels the background's -1). The first layer's
// products with such rows go through linalg.SparseRows, which stores each
// row as a base value and the entries that differ from it, and multiply
// by the entries alone. The results agree with the dense products to
// rounding (they add the same terms, grouped differently), and which path
// a set of rows takes depends on the rows alone, never on the thread
// count:
//   - Fit compresses its training and validation sets once if they are
//     sparse as a whole (sparseEnough), and then every minibatch takes the
//     sparse path; TrainBatch decides for its batch the same way.
//   - The per-epoch evaluation, Predict, PredictProba and Evaluate decide
//     per chunk of rows, by the chunk's first row, so Fit's evaluation and
//     an Evaluate of the same rows compute the same thing.

// sparseEnough reports whether rows with entries entries in all (elements
// that differ from their row's base) take the sparse path. Measured on
// Zen 3 with the seed's network (100 rows by 784 inputs, entries spread at
// random), the sparse forward product breaks even with the dense one at
// about 37% entries and the weight gradient at about 25%; MNIST has 19%.
func sparseEnough(entries, all int) bool { return 4*entries <= all }

// isSparse reports whether the rows of x are sparseEnough as a whole.
func isSparse(x linalg.Matrix) bool {
	entries := 0
	for i := range x.Rows {
		_, e := linalg.RowBase(x.Row(i))
		entries += e
	}
	return x.Rows > 0 && sparseEnough(entries, x.Rows*x.Cols)
}

// sparseRows returns x compressed if isSparse(x), else nil (dense data is
// not copied).
func sparseRows(x linalg.Matrix) *linalg.SparseRows {
	if !isSparse(x) {
		return nil
	}
	xs := new(linalg.SparseRows)
	xs.Compress(x)
	return xs
}

// sparseChunk reports whether a chunk of rows whose first row is first
// takes the sparse path.
func sparseChunk(first []float32) bool {
	_, e := linalg.RowBase(first)
	return sparseEnough(e, len(first))
}

// weightsChanged brings what is derived from the weights up to date: the
// first layer's column sums, which the sparse path adds for the rows'
// bases. Every change of the weights that does not update them itself (as
// SGD's fused sparse step does) must call it before the next forward pass.
func (n *Network) weightsChanged() {
	linalg.ColSums(n.inputSums, n.layers[0].w)
}
