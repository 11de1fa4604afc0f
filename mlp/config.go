package mlp

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/mlpgo/mlpgo/linalg"
)

// Config holds a network's architecture and training hyper-parameters. Its
// zero value is the seed's NeuralNetMLP: one hidden layer of 100 sigmoid
// units, sigmoid outputs with the logistic cost, weights ~ Normal(0, 0.1),
// plain minibatch SGD with eta 0.0005, L2 0.01, 200 epochs, minibatches of
// 100 shuffled every epoch, seed 1. Every field documents what its zero
// value selects; WithDefaults fills them in.
type Config struct {
	// Hidden lists the hidden layers' sizes, input side first. Empty means
	// {100}, the seed's.
	Hidden []int `json:"hidden"`
	// Activation is the hidden units' activation. The zero value,
	// linalg.Identity, selects linalg.Sigmoid (the seed's): identity hidden
	// layers would collapse the network into one linear map.
	Activation linalg.Activation `json:"-"`
	// Output is the output layer and its cost; the zero value is the seed's
	// SigmoidOutput with the logistic cost.
	Output Output `json:"output"`

	// Init draws the initial weights (biases start at zero); the zero value
	// is the seed's InitNormal.
	Init Init `json:"init"`
	// InitScale is InitNormal's standard deviation; 0 means 0.1.
	InitScale float64 `json:"init_scale"`

	// Optimizer updates the weights after each minibatch; the zero value is
	// the seed's SGD.
	Optimizer Optimizer `json:"optimizer"`
	// Eta is the learning rate; 0 means 0.0005. As in the seed, gradients
	// are summed over the minibatch, not averaged.
	Eta float64 `json:"eta"`
	// EtaDecay multiplies the learning rate after every epoch: epoch e
	// trains with Eta·EtaDecay^(e-1). 0 means 1, the seed's constant rate.
	EtaDecay float64 `json:"eta_decay"`
	// L2 is the penalty λ on the weights (never the biases): the cost gains
	// λ·ΣW² and each update uses grad + λ·W. 0 means 0.01; set NoL2 to
	// train without the penalty.
	L2 float64 `json:"l2"`
	// NoL2 turns the L2 penalty off; L2 must then be 0.
	NoL2 bool `json:"no_l2"`
	// Momentum is the velocity decay μ of Momentum and Nesterov; 0 means 0.9.
	Momentum float64 `json:"momentum"`
	// Beta1, Beta2 and Epsilon are Adam's parameters; 0 means 0.9, 0.999
	// and 1e-8.
	Beta1   float64 `json:"beta1"`
	Beta2   float64 `json:"beta2"`
	Epsilon float64 `json:"epsilon"`

	// Epochs is the number of passes over the training set; 0 means 200.
	Epochs int `json:"epochs"`
	// BatchSize is the minibatch size; 0 means 100. The last incomplete
	// minibatch of each epoch is dropped, as in the seed.
	BatchSize int `json:"batch_size"`
	// NoShuffle keeps the training rows in order instead of shuffling them
	// at the start of every epoch.
	NoShuffle bool `json:"no_shuffle"`
	// Seed seeds the random numbers of initialization and shuffling. 0
	// means 1, the seed's, so seeds 0 and 1 give the same run.
	Seed uint64 `json:"seed"`
	// Patience enables early stopping when > 0: training stops once the
	// validation accuracy has not improved for Patience epochs, and the
	// network keeps the weights of its best epoch. It needs a validation
	// set. 0 trains for all Epochs.
	Patience int `json:"patience"`
}

// The seed's hyper-parameters, which Config's zero values select.
const (
	defaultHidden    = 100
	defaultInitScale = 0.1
	defaultEta       = 0.0005
	defaultL2        = 0.01
	defaultMomentum  = 0.9
	defaultBeta1     = 0.9
	defaultBeta2     = 0.999
	defaultEpsilon   = 1e-8
	defaultEpochs    = 200
	defaultBatchSize = 100
	defaultSeed      = 1
)

// WithDefaults returns c with every zero field that stands for a default
// replaced by that default, so the result says exactly what will run.
func (c Config) WithDefaults() Config {
	if len(c.Hidden) == 0 {
		c.Hidden = []int{defaultHidden}
	} else {
		c.Hidden = append([]int(nil), c.Hidden...)
	}
	if c.Activation == linalg.Identity {
		c.Activation = linalg.Sigmoid
	}
	setDefault(&c.InitScale, defaultInitScale)
	setDefault(&c.Eta, defaultEta)
	setDefault(&c.EtaDecay, 1)
	if !c.NoL2 {
		setDefault(&c.L2, defaultL2)
	}
	setDefault(&c.Momentum, defaultMomentum)
	setDefault(&c.Beta1, defaultBeta1)
	setDefault(&c.Beta2, defaultBeta2)
	setDefault(&c.Epsilon, defaultEpsilon)
	setDefault(&c.Epochs, defaultEpochs)
	setDefault(&c.BatchSize, defaultBatchSize)
	setDefault(&c.Seed, defaultSeed)
	return c
}

func setDefault[T int | uint64 | float64](p *T, v T) {
	if *p == 0 {
		*p = v
	}
}

// Validate reports the first problem with c (after WithDefaults), wrapped in
// ErrConfig, or nil.
func (c Config) Validate() error {
	c = c.WithDefaults()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("mlp: %w: %s", ErrConfig, fmt.Sprintf(format, args...))
	}
	for i, h := range c.Hidden {
		if h <= 0 {
			return bad("hidden layer %d has %d units, want > 0", i, h)
		}
	}
	if _, err := linalg.ParseActivation(c.Activation.String()); err != nil {
		return bad("unknown activation %d", int(c.Activation))
	}
	if c.Output < 0 || int(c.Output) >= len(outputNames) {
		return bad("unknown output %d", int(c.Output))
	}
	if c.Init < 0 || int(c.Init) >= len(initNames) {
		return bad("unknown init %d", int(c.Init))
	}
	if c.Optimizer < 0 || int(c.Optimizer) >= len(optimizerNames) {
		return bad("unknown optimizer %d", int(c.Optimizer))
	}
	positive := []struct {
		name string
		v    float64
	}{{"eta", c.Eta}, {"init scale", c.InitScale}, {"epsilon", c.Epsilon}}
	for _, p := range positive {
		if !(p.v > 0) || math.IsInf(p.v, 0) {
			return bad("%s is %g, want a finite value > 0", p.name, p.v)
		}
	}
	if c.NoL2 && c.L2 != 0 {
		return bad("NoL2 is set but L2 is %g", c.L2)
	}
	if !(c.L2 >= 0) || math.IsInf(c.L2, 0) {
		return bad("l2 is %g, want a finite value >= 0", c.L2)
	}
	if !(c.EtaDecay > 0 && c.EtaDecay <= 1) {
		return bad("eta decay is %g, want a value in (0, 1]", c.EtaDecay)
	}
	unit := []struct {
		name string
		v    float64
	}{{"momentum", c.Momentum}, {"beta1", c.Beta1}, {"beta2", c.Beta2}}
	for _, p := range unit {
		if !(p.v > 0 && p.v < 1) {
			return bad("%s is %g, want a value in (0, 1)", p.name, p.v)
		}
	}
	if c.Epochs < 0 {
		return bad("epochs is %d, want >= 0", c.Epochs)
	}
	if c.BatchSize < 0 {
		return bad("batch size is %d, want > 0", c.BatchSize)
	}
	if c.Patience < 0 {
		return bad("patience is %d, want >= 0", c.Patience)
	}
	return nil
}

// MarshalJSON implements json.Marshaler, spelling the enums by name.
func (c Config) MarshalJSON() ([]byte, error) {
	type plain Config
	return json.Marshal(struct {
		plain
		Activation string `json:"activation"`
	}{plain(c), c.Activation.String()})
}

// UnmarshalJSON implements json.Unmarshaler.
func (c *Config) UnmarshalJSON(b []byte) error {
	type plain Config
	v := struct {
		*plain
		Activation string `json:"activation"`
	}{plain: (*plain)(c)}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	c.Activation = linalg.Identity
	if v.Activation == "" {
		return nil
	}
	f, err := linalg.ParseActivation(v.Activation)
	if err != nil {
		return fmt.Errorf("mlp: %w: %w", ErrConfig, err)
	}
	c.Activation = f
	return nil
}

// names maps an enum's values to their names.
type names []string

func (n names) name(i int) string {
	if i < 0 || i >= len(n) {
		return ""
	}
	return n[i]
}

func (n names) format(kind string, i int) string {
	if s := n.name(i); s != "" {
		return s
	}
	return fmt.Sprintf("%s(%d)", kind, i)
}

func (n names) parse(kind, s string) (int, error) {
	for i, name := range n {
		if name == s {
			return i, nil
		}
	}
	return 0, fmt.Errorf("mlp: %w: unknown %s %q (known: %s)", ErrConfig, kind, s, strings.Join(n, ", "))
}

// Output is the output layer's activation together with the cost it is
// trained on. Both give the output delta a_out - y_onehot.
type Output int

const (
	// SigmoidOutput is the seed's: independent sigmoid units and the
	// logistic cost Σ -y·log(a) - (1-y)·log(1-a).
	SigmoidOutput Output = iota
	// SoftmaxOutput is a softmax over the classes with the cross-entropy
	// cost Σ -y·log(a).
	SoftmaxOutput
)

var outputNames = names{"sigmoid", "softmax"}

// String returns the output's name as ParseOutput accepts it.
func (o Output) String() string { return outputNames.format("Output", int(o)) }

// ParseOutput returns the Output called name ("sigmoid" or "softmax").
func ParseOutput(name string) (Output, error) {
	i, err := outputNames.parse("output", name)
	return Output(i), err
}

// MarshalText implements encoding.TextMarshaler.
func (o Output) MarshalText() ([]byte, error) { return marshalName(outputNames, "output", int(o)) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (o *Output) UnmarshalText(b []byte) error {
	v, err := ParseOutput(string(b))
	*o = v
	return err
}

// Optimizer is the rule that updates the parameters from their gradients.
type Optimizer int

const (
	// SGD is the seed's update W -= eta·(grad + λ·W).
	SGD Optimizer = iota
	// Momentum is SGD with momentum: v = μ·v - eta·g; W += v.
	Momentum
	// Nesterov is SGD with Nesterov momentum (Sutskever's form, as in
	// PyTorch): v = μ·v - eta·g; W += μ·v - eta·g.
	Nesterov
	// Adam is Kingma and Ba's Adam with bias correction, with the L2 term
	// added to the gradient (not decoupled weight decay).
	Adam
)

var optimizerNames = names{"sgd", "momentum", "nesterov", "adam"}

// String returns the optimizer's name as ParseOptimizer accepts it.
func (o Optimizer) String() string { return optimizerNames.format("Optimizer", int(o)) }

// ParseOptimizer returns the Optimizer called name ("sgd", "momentum",
// "nesterov" or "adam").
func ParseOptimizer(name string) (Optimizer, error) {
	i, err := optimizerNames.parse("optimizer", name)
	return Optimizer(i), err
}

// MarshalText implements encoding.TextMarshaler.
func (o Optimizer) MarshalText() ([]byte, error) {
	return marshalName(optimizerNames, "optimizer", int(o))
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (o *Optimizer) UnmarshalText(b []byte) error {
	v, err := ParseOptimizer(string(b))
	*o = v
	return err
}

// Init is the distribution of the initial weights.
type Init int

const (
	// InitNormal is the seed's Normal(0, InitScale).
	InitNormal Init = iota
	// InitGlorot is Glorot (Xavier) uniform: U(-r, r), r = sqrt(6/(in+out)).
	InitGlorot
	// InitHe is He normal: Normal(0, sqrt(2/in)), for ReLU layers.
	InitHe
)

var initNames = names{"normal", "glorot", "he"}

// String returns the initialization's name as ParseInit accepts it.
func (i Init) String() string { return initNames.format("Init", int(i)) }

// ParseInit returns the Init called name ("normal", "glorot" or "he").
func ParseInit(name string) (Init, error) {
	i, err := initNames.parse("init", name)
	return Init(i), err
}

// MarshalText implements encoding.TextMarshaler.
func (i Init) MarshalText() ([]byte, error) { return marshalName(initNames, "init", int(i)) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (i *Init) UnmarshalText(b []byte) error {
	v, err := ParseInit(string(b))
	*i = v
	return err
}

func marshalName(n names, kind string, i int) ([]byte, error) {
	s := n.name(i)
	if s == "" {
		return nil, fmt.Errorf("mlp: %w: unknown %s %d", ErrConfig, kind, i)
	}
	return []byte(s), nil
}
