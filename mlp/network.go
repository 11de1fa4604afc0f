package mlp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/mlpgo/mlpgo/linalg"
)

// MaxClasses is the largest number of classes: labels are bytes.
const MaxClasses = 256

// pcgStream is the second word of the PCG generator's seed; the first is
// Config.Seed.
const pcgStream = 0x6d6c70676f // "mlpgo"

// Network is a multilayer perceptron classifier. Predict, PredictProba,
// Accuracy and Evaluate may run concurrently with each other; Fit and the
// loading methods must not run concurrently with anything else on the same
// Network.
type Network struct {
	cfg    Config // WithDefaults applied
	sizes  []int  // inputs, hidden layers..., classes
	layers []layer

	// passes recycles the workspaces of Predict, PredictProba and
	// Evaluate (*rowPass), and rowWorks those of Predict and PredictProba
	// of a single row (*forwardWork for one row, pass.go).
	passes, rowWorks sync.Pool

	// train is the state training continues from; nil for a network
	// loaded from a model file.
	train *trainState
	// epochs counts the epochs this network's weights were trained for.
	epochs int
	// batchTrainer is TrainBatch's workspace, kept between calls.
	batchTrainer *trainer
	// inputSums holds the column sums of the first layer's weights, which
	// the sparse products with the input need (sparse.go). Every change to
	// the weights calls weightsChanged, which updates it.
	inputSums []float32
}

// layer is one fully connected layer. w is stored [in, out] as in the seed
// (w_h is n_features x n_hidden), so the forward product is X·W and every
// GEMM of a training step runs on contiguous operands; files store the
// transpose, [out, in], as PyTorch's nn.Linear does.
type layer struct {
	w linalg.Matrix // in x out
	b []float32     // out
}

// New returns a network with inputs input units, the hidden layers of cfg
// and classes output units, its weights drawn as cfg.Init says from a
// generator seeded with cfg.Seed and its biases zero.
func New(inputs, classes int, cfg Config) (*Network, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	if inputs < 1 {
		return nil, fmt.Errorf("mlp: %w: %d inputs, want >= 1", ErrConfig, inputs)
	}
	if classes < 2 || classes > MaxClasses {
		return nil, fmt.Errorf("mlp: %w: %d classes, want 2..%d", ErrConfig, classes, MaxClasses)
	}
	n := newNetwork(cfg, inputs, classes)
	n.train = newTrainState(n)
	n.initWeights(n.train.rand)
	n.weightsChanged()
	return n, nil
}

// newNetwork allocates the layers of a network (zero weights) for cfg,
// which must have its defaults applied.
func newNetwork(cfg Config, inputs, classes int) *Network {
	sizes := append(append([]int{inputs}, cfg.Hidden...), classes)
	n := &Network{cfg: cfg, sizes: sizes}
	for l := 1; l < len(sizes); l++ {
		n.layers = append(n.layers, layer{w: linalg.New(sizes[l-1], sizes[l]), b: make([]float32, sizes[l])})
	}
	n.passes.New = func() any { return newRowPass(n) }
	n.rowWorks.New = func() any { return newForwardWork(sizes, 1) }
	n.inputSums = make([]float32, sizes[1])
	return n
}

// initWeights draws every weight from r, layer by layer in [in, out]
// row-major order (the seed's order), and zeroes the biases.
func (n *Network) initWeights(r *rand.Rand) {
	for _, ly := range n.layers {
		in, out := float64(ly.w.Rows), float64(ly.w.Cols)
		var draw func() float64
		switch n.cfg.Init {
		case InitNormal:
			s := n.cfg.InitScale
			draw = func() float64 { return s * r.NormFloat64() }
		case InitGlorot:
			lim := math.Sqrt(6 / (in + out))
			draw = func() float64 { return lim * (2*r.Float64() - 1) }
		case InitHe:
			s := math.Sqrt(2 / in)
			draw = func() float64 { return s * r.NormFloat64() }
		}
		for i := range ly.w.Data {
			ly.w.Data[i] = float32(draw())
		}
		clear(ly.b)
	}
}

// Config returns the network's configuration with its defaults filled in.
func (n *Network) Config() Config {
	c := n.cfg
	c.Hidden = append([]int(nil), c.Hidden...)
	return c
}

// Inputs returns the number of input units (columns of the data).
func (n *Network) Inputs() int { return n.sizes[0] }

// Classes returns the number of output units (classes).
func (n *Network) Classes() int { return n.sizes[len(n.sizes)-1] }

// Sizes returns the layer sizes: inputs, each hidden layer, classes.
func (n *Network) Sizes() []int { return append([]int(nil), n.sizes...) }

// Epochs returns the number of epochs the network's weights were trained
// for: with early stopping, the best epoch's number.
func (n *Network) Epochs() int { return n.epochs }

// History returns the per-epoch history of the training so far (empty for
// a network loaded from a model file).
func (n *Network) History() History {
	if n.train == nil {
		return nil
	}
	return append(History(nil), n.train.history...)
}

// forwardWork holds one forward pass's activations for up to rows rows.
type forwardWork struct {
	acts []linalg.Matrix // acts[l] is layer l's output, rows x sizes[l+1]
	pred []int           // rows predictions
	// The input rows for the sparse path (sparse.go): compressed here, or
	// a view of rows compressed beforehand.
	xs, view linalg.SparseRows
}

func newForwardWork(sizes []int, rows int) *forwardWork {
	w := &forwardWork{pred: make([]int, rows)}
	for _, s := range sizes[1:] {
		w.acts = append(w.acts, linalg.New(rows, s))
	}
	return w
}

// forward pushes the rows of x (at most the workspace's rows) through the
// network, reading them from xs instead if it is not nil (sparse.go). The
// hidden layers apply the configured activation, the output layer out
// after its bias, then the softmax if softmax is set. It returns the
// output layer's rows, a view of w.
func (n *Network) forward(w *forwardWork, x linalg.Matrix, xs *linalg.SparseRows, out linalg.Activation, softmax bool) linalg.Matrix {
	in, rows := x, x.Rows
	if xs != nil {
		rows = xs.Rows()
	}
	last := len(n.layers) - 1
	for l, ly := range n.layers {
		a := w.acts[l].RowSlice(0, rows)
		if l == 0 && xs != nil {
			linalg.SparseGemm(1, *xs, ly.w, 0, a, n.inputSums)
		} else {
			linalg.Gemm(false, false, 1, in, ly.w, 0, a)
		}
		f := n.cfg.Activation
		if l == last {
			f = out
		}
		linalg.BiasActivate(a, ly.b, f)
		in = a
	}
	if softmax {
		linalg.SoftmaxRows(in)
	}
	return in
}

// outputActivation returns how the output layer turns its net input into
// the activations the cost is defined on.
func (n *Network) outputActivation() (f linalg.Activation, softmax bool) {
	if n.cfg.Output == SoftmaxOutput {
		return linalg.Identity, true
	}
	return linalg.Sigmoid, false
}

// checkInput returns an error unless x can be fed to the network: the
// kernels can run, x has one column per input and every value is finite.
func (n *Network) checkInput(op string, x linalg.Matrix) error {
	if err := n.checkShape(op, x); err != nil {
		return err
	}
	return nonFiniteError(op, x, 0)
}

// checkShape is checkInput without the check of the values, which the
// inference methods make chunk by chunk in their pass over x.
func (n *Network) checkShape(op string, x linalg.Matrix) error {
	if err := linalg.ISAError(); err != nil {
		return fmt.Errorf("mlp: %s: %w", op, err)
	}
	if x.Cols != n.Inputs() {
		return fmt.Errorf("mlp: %s: %w: data has %d columns, the network has %d inputs", op, ErrData, x.Cols, n.Inputs())
	}
	return nil
}

// nonFiniteError returns nil if every value of x is finite, and otherwise
// an ErrNonFinite error naming the first NaN or Inf; x's rows are counted
// from row0.
func nonFiniteError(op string, x linalg.Matrix, row0 int) error {
	if i, j, ok := firstNonFinite(x); !ok {
		return fmt.Errorf("mlp: %s: %w: row %d, column %d is %g", op, ErrNonFinite, row0+i, j, x.At(i, j))
	}
	return nil
}

// checkLabels returns an error unless y holds one label per row of x, each
// a class of the network.
func (n *Network) checkLabels(op string, x linalg.Matrix, y []uint8) error {
	if len(y) != x.Rows {
		return fmt.Errorf("mlp: %s: %w: %d labels for %d rows", op, ErrData, len(y), x.Rows)
	}
	for i, c := range y {
		if int(c) >= n.Classes() {
			return fmt.Errorf("mlp: %s: %w: label %d of row %d is not below the %d classes", op, ErrData, c, i, n.Classes())
		}
	}
	return nil
}

// firstNonFinite returns the position of the first NaN or Inf in m, and
// ok == true if there is none.
func firstNonFinite(m linalg.Matrix) (i, j int, ok bool) {
	if linalg.AllFinite(m) {
		return 0, 0, true
	}
	for i := 0; i < m.Rows; i++ {
		for j, v := range m.Row(i) {
			if v-v != 0 { // NaN or ±Inf
				return i, j, false
			}
		}
	}
	panic("mlp: firstNonFinite: no element is NaN or Inf, although AllFinite said so") // unreachable
}

// Predict sets dst[i] to the class predicted for row i of x: the argmax of
// the output layer's net input, as in the seed. len(dst) must equal
// x.Rows. Once warm it allocates nothing, and it may be called from many
// goroutines at once. It returns an error wrapping ErrNonFinite if x holds
// a NaN or Inf; dst's contents are then unspecified.
func (n *Network) Predict(dst []int, x linalg.Matrix) error {
	if err := n.checkShape("Predict", x); err != nil {
		return err
	}
	if len(dst) != x.Rows {
		return fmt.Errorf("mlp: Predict: %w: dst has %d elements for %d rows", ErrData, len(dst), x.Rows)
	}
	if x.Rows == 1 {
		if !n.forwardRow(x, linalg.Identity, false, func(z linalg.Matrix) { linalg.ArgmaxRows(dst, z) }) {
			return nonFiniteError("Predict", x, 0)
		}
		return nil
	}
	p := n.getPass(linalg.Identity, false)
	defer n.putPass(p)
	s := p.set(0, x)
	s.pred, s.check = dst, true
	p.run()
	return p.nonFinite("Predict")
}

// PredictProba sets row i of dst to the output layer's activations for row
// i of x: class probabilities for SoftmaxOutput, and for SigmoidOutput the
// seed's independent sigmoid outputs (each in (0, 1), not normalized).
// dst must be x.Rows x Classes(). It may be called from many goroutines at
// once. It returns an error wrapping ErrNonFinite if x holds a NaN or Inf;
// dst's contents are then unspecified.
func (n *Network) PredictProba(dst, x linalg.Matrix) error {
	if err := n.checkShape("PredictProba", x); err != nil {
		return err
	}
	if dst.Rows != x.Rows || dst.Cols != n.Classes() {
		return fmt.Errorf("mlp: PredictProba: %w: dst is %dx%d, want %dx%d", ErrData, dst.Rows, dst.Cols, x.Rows, n.Classes())
	}
	out, softmax := n.outputActivation()
	if x.Rows == 1 {
		if !n.forwardRow(x, out, softmax, dst.CopyFrom) {
			return nonFiniteError("PredictProba", x, 0)
		}
		return nil
	}
	p := n.getPass(out, softmax)
	defer n.putPass(p)
	s := p.set(0, x)
	s.proba, s.check = dst, true
	p.run()
	return p.nonFinite("PredictProba")
}

// Accuracy returns the fraction of the rows of x whose predicted class is
// their label in y.
func (n *Network) Accuracy(x linalg.Matrix, y []uint8) (float64, error) {
	_, acc, err := n.Evaluate(x, y)
	return acc, err
}

// Evaluate returns the cost of the network on the rows of x with labels y,
// as the seed's training history reports it (the output cost summed over
// the rows, plus L2·ΣW² over every weight), and the accuracy.
func (n *Network) Evaluate(x linalg.Matrix, y []uint8) (cost, accuracy float64, err error) {
	if err := n.checkShape("Evaluate", x); err != nil {
		return 0, 0, err
	}
	if err := n.checkLabels("Evaluate", x, y); err != nil {
		return 0, 0, err
	}
	p := n.getPass(linalg.Identity, false)
	defer n.putPass(p)
	s := p.set(0, x)
	s.y, s.cost, s.check = y, true, true
	p.run()
	if err := p.nonFinite("Evaluate"); err != nil {
		return 0, 0, err
	}
	cost, correct := p.totals(0)
	return n.withL2(cost), fraction(correct, x.Rows), nil
}

func fraction(k, n int) float64 {
	if n == 0 {
		return math.NaN()
	}
	return float64(k) / float64(n)
}

// getPass returns a recycled pass with no data sets whose output layer
// applies out (and the softmax if softmax).
func (n *Network) getPass(out linalg.Activation, softmax bool) *rowPass {
	p := n.passes.Get().(*rowPass)
	p.out, p.softmax = out, softmax
	return p
}

// putPass recycles p, dropping its references to the caller's data.
func (n *Network) putPass(p *rowPass) {
	p.release()
	n.passes.Put(p)
}

// withL2 returns the output cost summed over a data set plus the L2 term
// of the seed's cost, L2·ΣW² over every weight.
func (n *Network) withL2(cost float64) float64 {
	return cost + float64(n.l2())*n.sumSquaredWeights()
}

// l2 returns the L2 penalty in force.
func (n *Network) l2() float32 {
	if n.cfg.NoL2 {
		return 0
	}
	return float32(n.cfg.L2)
}

// sumSquaredWeights returns ΣW² over every layer's weights (not biases).
func (n *Network) sumSquaredWeights() float64 {
	var s float64
	for _, ly := range n.layers {
		s += linalg.SumSquares(ly.w)
	}
	return s
}

// rowCost returns the cost of one row from the output layer's net input z
// and the row's label, computed stably in float64 from z rather than from
// the activations (which equals the seed's formula and cannot take the
// log of 0). Sigmoid outputs with the logistic cost:
// Σ_j -y_j·log σ(z_j) - (1-y_j)·log(1-σ(z_j)) = Σ_j softplus(z_j) - z_label,
// with softplus(v) = max(v, 0) + log(1 + e^-|v|) and the logs of the
// second terms summed as the log of their product: each factor is in
// (1, 2], so the product of at most MaxClasses of them cannot overflow,
// and the row takes one log instead of one per class (the per-epoch
// evaluation computes 550,000 of them on the seed's data).
// Softmax with cross-entropy: log Σ_j exp(z_j) - z_label.
func rowCost(out Output, z []float32, label int) float64 {
	if out == SoftmaxOutput {
		mx := float64(z[0])
		for _, v := range z[1:] {
			mx = max(mx, float64(v))
		}
		var s float64
		for _, v := range z {
			s += math.Exp(float64(v) - mx)
		}
		return mx + math.Log(s) - float64(z[label])
	}
	s, prod := 0.0, 1.0
	for _, v := range z {
		v := float64(v)
		s += max(v, 0)
		prod *= 1 + math.Exp(-math.Abs(v))
	}
	return s + math.Log(prod) - float64(z[label])
}
