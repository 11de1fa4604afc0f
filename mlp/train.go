package mlp

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/mlpgo/mlpgo/linalg"
)

// Progress reports Fit's progress to its callback: once after every
// minibatch, then once more when the epoch's evaluation is done.
type Progress struct {
	// Epoch is the epoch in progress, from 1; Epochs is the last one.
	Epoch, Epochs int
	// Batch minibatches of the epoch's Batches are done.
	Batch, Batches int
	// EpochDone is set on the epoch's last report, once Stats holds its
	// evaluation.
	EpochDone bool
	Stats     EpochStats
}

// trainState is everything training continues from besides the weights:
// what a checkpoint holds.
type trainState struct {
	pcg  *rand.PCG
	rand *rand.Rand

	epoch int      // epochs completed
	batch int      // minibatches completed in epoch epoch+1
	perm  []uint32 // epoch epoch+1's row order, valid while batch > 0
	steps int64    // optimizer steps taken (Adam's t)

	// moments holds the optimizer's per-parameter state, indexed like
	// Network.params: one slice (velocity) for Momentum and Nesterov, two
	// (first and second moments) for Adam, none for SGD.
	moments [][][]float32

	// Early stopping: the best validation accuracy, its epoch, the epochs
	// since, a copy of its parameters, and whether training has stopped.
	bestAcc   float64
	bestEpoch int
	badEpochs int
	best      [][]float32
	stopped   bool
	history   History
}

func newTrainState(n *Network) *trainState {
	pcg := rand.NewPCG(n.cfg.Seed, pcgStream)
	st := &trainState{pcg: pcg, rand: rand.New(pcg), bestAcc: math.Inf(-1)}
	st.allocate(n)
	return st
}

// allocate sizes the optimizer and early-stopping buffers for n.
func (st *trainState) allocate(n *Network) {
	k := 0
	switch n.cfg.Optimizer {
	case Momentum, Nesterov:
		k = 1
	case Adam:
		k = 2
	}
	params := n.params()
	st.moments = make([][][]float32, len(params))
	for i, p := range params {
		for range k {
			st.moments[i] = append(st.moments[i], make([]float32, len(p)))
		}
	}
	if n.cfg.Patience > 0 {
		st.best = make([][]float32, len(params))
		for i, p := range params {
			st.best[i] = make([]float32, len(p))
		}
	}
	st.history = make(History, 0, min(n.cfg.Epochs, 1000))
}

// params returns every parameter tensor as a flat slice: layer 0's
// weights, its bias, layer 1's weights, ...
func (n *Network) params() [][]float32 {
	p := make([][]float32, 0, 2*len(n.layers))
	for _, ly := range n.layers {
		p = append(p, ly.w.Data, ly.b)
	}
	return p
}

// trainer is the workspace of Fit and TrainBatch, allocated before the
// first step so that a training step allocates nothing.
type trainer struct {
	n  *Network
	st *trainState

	rows int // the most rows a minibatch may have
	// Fit's minibatch rows, gathered (none for TrainBatch): batches[cur]
	// holds the step's. With a prefetcher (prefetch.go), the next step's
	// rows go to the other buffer while the step computes; the step then
	// finds its rows there, gathered or on their way.
	batches  [2]gatheredBatch
	cur      int
	prefetch *prefetcher
	yb       []uint8 // the minibatch's labels
	// For a sparse training set (sparse.go): the set compressed.
	xs *linalg.SparseRows
	// sumsFresh says the last step's update of the first layer's weights
	// also brought the network's inputSums up to date.
	sumsFresh bool
	fw        *forwardWork    // layer outputs; the last becomes the output delta
	deltas    []linalg.Matrix // deltas[l] is the delta of hidden layer l
	gw        []linalg.Matrix // weight gradients (nil for SGD, which needs none)
	gb        [][]float32     // bias gradients
	params    [][]float32

	outAct  linalg.Activation
	softmax bool
	etaBase float64 // the learning rate of the epoch being trained
	eta, l2 float32 // the learning rate as a float32, and L2
	// grads makes step compute every gradient into gw and gb before the
	// update, even for SGD, which otherwise accumulates straight into W.
	grads bool
}

// newTrainer returns a workspace for minibatches of up to rows rows, with
// room to gather them if gather is set.
func newTrainer(n *Network, rows int, gather bool) *trainer {
	t := &trainer{
		n: n, st: n.train, rows: rows,
		params: n.params(),
		l2:     n.l2(),
	}
	if gather {
		t.batches[0].x, t.yb = linalg.New(rows, n.Inputs()), make([]uint8, rows)
	}
	t.outAct, t.softmax = n.outputActivation()
	t.fw = newForwardWork(n.sizes, rows)
	for l, ly := range n.layers {
		if l > 0 {
			t.deltas = append(t.deltas, linalg.New(rows, ly.w.Rows))
		}
		t.gb = append(t.gb, make([]float32, ly.w.Cols))
	}
	if n.cfg.Optimizer != SGD {
		t.allocGrads()
	}
	t.setEpoch(n.train.epoch + 1)
	return t
}

// setEpoch sets the learning rate of the given epoch (from 1).
func (t *trainer) setEpoch(epoch int) {
	cfg := &t.n.cfg
	t.etaBase = cfg.Eta
	if cfg.EtaDecay != 1 {
		t.etaBase *= math.Pow(cfg.EtaDecay, float64(epoch-1))
	}
	t.eta = float32(t.etaBase)
}

// allocGrads allocates the weight gradients, which SGD does without.
func (t *trainer) allocGrads() {
	for _, ly := range t.n.layers {
		t.gw = append(t.gw, linalg.New(ly.w.Rows, ly.w.Cols))
	}
}

// keepGrads makes every later step only compute the gradients into gw and
// gb, without updating the parameters: for the gradient checks.
func (t *trainer) keepGrads() {
	if t.gw == nil {
		t.allocGrads()
	}
	t.grads = true
}

// startPrefetch makes each step gather the next step's rows on another
// goroutine while it computes; stopPrefetch must follow. It is for Fit,
// after it has set xs.
func (t *trainer) startPrefetch() {
	if t.xs == nil {
		t.batches[1].x = linalg.New(t.rows, t.n.Inputs())
	}
	t.prefetch = startPrefetcher()
}

// stopPrefetch waits for the prefetch in progress, if any, and ends the
// prefetcher.
func (t *trainer) stopPrefetch() {
	t.prefetch.stop()
	t.prefetch = nil
}

// step trains on the given rows of x and y: forward, backward and update.
// It gathers the rows into the workspace, unless the step before had them
// prefetched, and with a prefetcher it has next, the rows of the step to
// follow (nil if none is known), gathered meanwhile. It returns false,
// before touching the weights, if the outputs are not finite.
func (t *trainer) step(x linalg.Matrix, y []uint8, rows, next []uint32) bool {
	b := &t.batches[t.cur]
	if t.prefetch != nil && t.prefetch.busy {
		t.prefetch.wait() // for this step's rows, which the step before asked for
	} else {
		b.gather(x, t.xs, rows)
	}
	if t.prefetch != nil && next != nil {
		t.cur = 1 - t.cur
		t.prefetch.start(prefetch{dst: &t.batches[t.cur], x: x, xs: t.xs, rows: next})
	}
	for i, r := range rows {
		t.yb[i] = y[r]
	}
	yb := t.yb[:len(rows)]
	if t.xs != nil {
		return t.forwardBackward(linalg.Matrix{}, &b.xs, yb)
	}
	return t.forwardBackward(b.x.RowSlice(0, len(rows)), nil, yb)
}

// forwardBackward runs the gathered minibatch forward, then backward,
// updating each layer as soon as the delta below it no longer needs its
// weights (or, with t.grads, only computing the gradients). The minibatch
// is xb, or xs if that is not nil.
func (t *trainer) forwardBackward(xb linalg.Matrix, xs *linalg.SparseRows, yb []uint8) bool {
	n := t.n
	last := len(n.layers) - 1
	rows := len(yb)
	if xs != nil && !t.sumsFresh {
		n.weightsChanged() // by the previous step
	}
	t.sumsFresh = false
	out := n.forward(t.fw, xb, xs, t.outAct, t.softmax)
	if _, _, ok := firstNonFinite(out); !ok {
		return false
	}
	// delta_out = a_out - y_onehot, in place.
	for i, c := range yb {
		out.Row(i)[c] -= 1
	}
	if !t.grads {
		t.st.steps++
	}
	delta := out
	for l := last; l >= 0; l-- {
		ly := n.layers[l]
		prev := xb
		if l > 0 {
			prev = t.fw.acts[l-1].RowSlice(0, rows)
		}
		var next linalg.Matrix
		if l > 0 {
			// delta_{l-1} = (delta_l · W_lᵀ) ⊙ f'(z_{l-1}), before W_l changes.
			next = t.deltas[l-1].RowSlice(0, rows)
			linalg.Gemm(false, true, 1, delta, ly.w, 0, next)
			linalg.ActivationGrad(next, prev, n.cfg.Activation)
		}
		linalg.ColSums(t.gb[l], delta)
		if !t.grads && n.cfg.Optimizer == SGD {
			// The seed's W -= eta*(grad + l2*W) in the gradient
			// product itself: W = (1 - eta*l2)*W - eta*prevᵀ·delta.
			t.weightGrad(l, prev, xs, delta, -t.eta, 1-t.eta*t.l2, ly.w, true)
			linalg.AxpbyVec(1, ly.b, -t.eta, t.gb[l])
		} else {
			t.weightGrad(l, prev, xs, delta, 1, 0, t.gw[l], false)
			if !t.grads {
				t.update(2*l, ly.w.Data, t.gw[l].Data, t.l2)
				t.update(2*l+1, ly.b, t.gb[l], 0)
			}
		}
		delta = next
	}
	return true
}

// weightGrad sets dst = alpha*prevᵀ·delta + beta*dst, the weight gradient
// of layer l, whose input prev is, for layer 0, the minibatch xs if that
// is not nil. intoWeights says dst is the layer's weights (SGD's fused
// update); the sparse product then also brings the network's inputSums up
// to date, as weightsChanged would, at no extra pass.
func (t *trainer) weightGrad(l int, prev linalg.Matrix, xs *linalg.SparseRows, delta linalg.Matrix, alpha, beta float32, dst linalg.Matrix, intoWeights bool) {
	if l > 0 || xs == nil {
		linalg.Gemm(true, false, alpha, prev, delta, beta, dst)
		return
	}
	var sums []float32
	if intoWeights {
		sums, t.sumsFresh = t.n.inputSums, true
	}
	linalg.SparseGemmT(alpha, *xs, delta, beta, dst, sums)
}

// update applies the optimizer to parameter p (index into t.params) with
// values w and gradient g (which it may overwrite), adding l2·w to the
// gradient first. SGD is fused into forwardBackward, which never calls
// update for it.
func (t *trainer) update(p int, w, g []float32, l2 float32) {
	cfg := &t.n.cfg
	if l2 != 0 {
		linalg.AxpbyVec(1, g, l2, w)
	}
	m := t.st.moments[p]
	switch cfg.Optimizer {
	case Momentum:
		linalg.AxpbyVec(float32(cfg.Momentum), m[0], -t.eta, g)
		linalg.AxpbyVec(1, w, 1, m[0])
	case Nesterov:
		mu := float32(cfg.Momentum)
		linalg.AxpbyVec(mu, m[0], -t.eta, g)
		linalg.AxpbyVec(1, w, mu, m[0])
		linalg.AxpbyVec(1, w, -t.eta, g)
	case Adam:
		steps := float64(t.st.steps)
		b1, b2 := cfg.Beta1, cfg.Beta2
		adamUpdate(w, g, m[0], m[1], float32(b1), float32(b2),
			float32(t.etaBase/(1-math.Pow(b1, steps))),
			float32(1/math.Sqrt(1-math.Pow(b2, steps))),
			float32(cfg.Epsilon))
	}
}

// adamUpdate is Adam's step for one tensor, as PyTorch computes it:
// m = b1·m + (1-b1)·g; v = b2·v + (1-b2)·g²;
// w -= lr·m / (sqrt(v)·vscale + eps), where lr = eta/(1-b1^t) and
// vscale = 1/sqrt(1-b2^t) are the bias corrections.
func adamUpdate(w, g, m, v []float32, b1, b2, lr, vscale, eps float32) {
	g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
	for i := range w {
		gi := g[i]
		mi := b1*m[i] + (1-b1)*gi
		vi := b2*v[i] + (1-b2)*gi*gi
		m[i], v[i] = mi, vi
		w[i] -= lr * mi / (float32(math.Sqrt(float64(vi)))*vscale + eps)
	}
}

// Fit trains the network on the rows of xTrain with labels yTrain for the
// configured number of epochs, evaluating it after each epoch on the
// training set (cost and accuracy, from one forward pass) and on the
// validation set xValid, yValid, which may be empty (zero rows and no
// labels). It returns the history of every epoch trained so far.
//
// A network from New starts at epoch 1; one loaded from a checkpoint
// continues where the checkpoint was taken, and Fit must then get the same
// data. Calling Fit again after it returned early continues the same way.
//
// progress, if not nil, is called on Fit's goroutine after every minibatch
// and after every epoch's evaluation; it may call SaveCheckpoint. When ctx
// is cancelled, Fit returns after the minibatch in progress with an error
// wrapping ctx.Err(); the network can then be checkpointed or trained
// further. With Patience set, the network ends with the weights of the
// epoch of best validation accuracy.
//
// Fit rejects data with NaN or Inf (ErrNonFinite) or that does not fit the
// network (ErrData), and stops with ErrDiverged if the outputs, cost or
// weights become NaN or Inf; the weights are then unusable.
func (n *Network) Fit(ctx context.Context, xTrain linalg.Matrix, yTrain []uint8, xValid linalg.Matrix, yValid []uint8, progress func(Progress)) (History, error) {
	if n.train == nil {
		return nil, fmt.Errorf("mlp: Fit: %w", ErrNoTrainingState)
	}
	if err := n.checkData(xTrain, yTrain, xValid, yValid); err != nil {
		return n.History(), err
	}
	st, cfg := n.train, &n.cfg
	hasValid := xValid.Rows > 0
	bs := cfg.BatchSize
	batches := xTrain.Rows / bs
	t := newTrainer(n, bs, true)
	defer n.weightsChanged()
	t.xs = sparseRows(xTrain)
	if linalg.Threads() > 1 && batches > 1 {
		t.startPrefetch()
		defer t.stopPrefetch()
	}
	xValidSparse := sparseRows(xValid)
	eval := newRowPass(n) // the evaluation after each epoch
	done := ctx.Done()
	for !st.stopped && st.epoch < cfg.Epochs {
		start := time.Now()
		epoch := st.epoch + 1
		t.setEpoch(epoch)
		for st.batch < batches {
			select {
			case <-done:
				return n.History(), fmt.Errorf("mlp: Fit: stopped in epoch %d after %d of %d minibatches: %w", epoch, st.batch, batches, ctx.Err())
			default:
			}
			if st.batch == 0 {
				// Draw the epoch's order only when its first minibatch is
				// certain to run, so a stop between epochs leaves the
				// generator where an uninterrupted run has it.
				st.shuffle(xTrain.Rows, !cfg.NoShuffle)
			}
			var next []uint32
			if st.batch+1 < batches {
				next = st.perm[(st.batch+1)*bs : (st.batch+2)*bs]
			}
			if !t.step(xTrain, yTrain, st.perm[st.batch*bs:(st.batch+1)*bs], next) {
				return n.History(), divergedError(epoch, st.batch+1, t.etaBase, "the network's outputs")
			}
			st.batch++
			if progress != nil {
				progress(Progress{Epoch: epoch, Epochs: cfg.Epochs, Batch: st.batch, Batches: batches})
			}
		}
		// One pass over the training set (cost and accuracy) and the
		// validation set (accuracy).
		n.weightsChanged()
		tr := eval.set(0, xTrain)
		tr.xs, tr.y, tr.cost = t.xs, yTrain, true
		if hasValid {
			va := eval.set(1, xValid)
			va.xs, va.y = xValidSparse, yValid
		}
		eval.run()
		cost, correct := eval.totals(0)
		cost = n.withL2(cost)
		if math.IsNaN(cost) || math.IsInf(cost, 0) || !finiteParams(t.params) {
			return n.History(), divergedError(epoch, batches, t.etaBase, "the cost or the weights")
		}
		stats := EpochStats{Epoch: epoch, Cost: cost, TrainAcc: fraction(correct, xTrain.Rows), ValidAcc: math.NaN()}
		if hasValid {
			_, vc := eval.totals(1)
			stats.ValidAcc = fraction(vc, xValid.Rows)
		}
		st.batch, st.epoch = 0, epoch
		n.epochs = epoch
		if cfg.Patience > 0 {
			st.earlyStopping(n, t.params, stats.ValidAcc, epoch)
		}
		stats.Seconds = time.Since(start).Seconds()
		st.history = append(st.history, stats)
		if progress != nil {
			progress(Progress{Epoch: epoch, Epochs: cfg.Epochs, Batch: batches, Batches: batches, EpochDone: true, Stats: stats})
		}
	}
	if cfg.Patience > 0 && st.bestEpoch > 0 {
		for i, p := range t.params {
			copy(p, st.best[i])
		}
		n.weightsChanged()
		n.epochs = st.bestEpoch
	}
	return n.History(), nil
}

// finiteParams reports whether every parameter is finite.
func finiteParams(params [][]float32) bool {
	for _, p := range params {
		if _, _, ok := firstNonFinite(linalg.FromSlice(1, len(p), p)); !ok {
			return false
		}
	}
	return true
}

// shuffle sets perm to 0..rows-1, shuffled if shuffle is set.
func (st *trainState) shuffle(rows int, shuffle bool) {
	st.perm = st.perm[:0]
	for i := range rows {
		st.perm = append(st.perm, uint32(i))
	}
	if shuffle {
		st.rand.Shuffle(len(st.perm), func(i, j int) { st.perm[i], st.perm[j] = st.perm[j], st.perm[i] })
	}
}

// TrainBatch takes one optimizer step on the minibatch of rows x with
// labels y, of any size, as Fit does for each of its minibatches (with the
// Config's optimizer and L2, and the learning rate of the epoch Fit would
// train next), for callers that run their own training loop or learn
// online. It does not count towards Fit's epochs.
// The first call, and a call with more rows than any before, allocates a
// workspace; others allocate nothing. Like Fit, it must not run
// concurrently with anything else on the network.
func (n *Network) TrainBatch(x linalg.Matrix, y []uint8) error {
	if n.train == nil {
		return fmt.Errorf("mlp: TrainBatch: %w", ErrNoTrainingState)
	}
	if err := n.checkInput("TrainBatch", x); err != nil {
		return err
	}
	if err := n.checkLabels("TrainBatch", x, y); err != nil {
		return err
	}
	t := n.batchTrainer
	if t == nil || t.rows < x.Rows {
		t = newTrainer(n, max(x.Rows, n.cfg.BatchSize), false)
		n.batchTrainer = t
	}
	t.setEpoch(n.train.epoch + 1)
	defer n.weightsChanged()
	var xs *linalg.SparseRows
	if isSparse(x) {
		t.fw.xs.Compress(x)
		xs = &t.fw.xs
	}
	if x.Rows > 0 && !t.forwardBackward(x, xs, y) {
		return fmt.Errorf("mlp: TrainBatch: %w: the network's outputs became NaN or Inf; try a smaller learning rate than %g", ErrDiverged, t.etaBase)
	}
	return nil
}

// earlyStopping records the epoch's validation accuracy, keeping a copy of
// the parameters when it is the best so far, and stops training after
// Patience epochs without improvement.
func (st *trainState) earlyStopping(n *Network, params [][]float32, validAcc float64, epoch int) {
	if validAcc > st.bestAcc {
		st.bestAcc, st.bestEpoch, st.badEpochs = validAcc, epoch, 0
		for i, p := range params {
			copy(st.best[i], p)
		}
		return
	}
	st.badEpochs++
	if st.badEpochs >= n.cfg.Patience {
		st.stopped = true
	}
}

func divergedError(epoch, batch int, eta float64, what string) error {
	return fmt.Errorf("mlp: Fit: %w in epoch %d, minibatch %d: %s became NaN or Inf; try a smaller learning rate than %g",
		ErrDiverged, epoch, batch, what, eta)
}

// checkData validates Fit's inputs.
func (n *Network) checkData(xTrain linalg.Matrix, yTrain []uint8, xValid linalg.Matrix, yValid []uint8) error {
	if err := n.checkInput("Fit: training data", xTrain); err != nil {
		return err
	}
	if err := n.checkLabels("Fit: training data", xTrain, yTrain); err != nil {
		return err
	}
	if xTrain.Rows < n.cfg.BatchSize {
		return fmt.Errorf("mlp: Fit: %w: %d training rows are fewer than one minibatch of %d", ErrData, xTrain.Rows, n.cfg.BatchSize)
	}
	if uint64(xTrain.Rows) > math.MaxUint32 {
		return fmt.Errorf("mlp: Fit: %w: %d training rows, at most %d are supported", ErrData, xTrain.Rows, uint32(math.MaxUint32))
	}
	if st := n.train; st.batch > 0 && len(st.perm) != xTrain.Rows {
		return fmt.Errorf("mlp: Fit: %w: training resumes in the middle of an epoch over %d rows, but got %d rows", ErrData, len(st.perm), xTrain.Rows)
	}
	if xValid.Rows > 0 || len(yValid) > 0 {
		if err := n.checkInput("Fit: validation data", xValid); err != nil {
			return err
		}
		if err := n.checkLabels("Fit: validation data", xValid, yValid); err != nil {
			return err
		}
	} else if n.cfg.Patience > 0 {
		return fmt.Errorf("mlp: Fit: %w: early stopping (Patience %d) needs a validation set", ErrConfig, n.cfg.Patience)
	}
	return nil
}
