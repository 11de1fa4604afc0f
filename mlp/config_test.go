package mlp

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/mlpgo/mlpgo/linalg"
)

// TestConfigDefaults checks that the zero Config is the seed's
// NeuralNetMLP(n_hidden=100, l2=0.01, epochs=200, eta=0.0005,
// minibatch_size=100, shuffle=True, seed=1).
func TestConfigDefaults(t *testing.T) {
	got := Config{}.WithDefaults()
	want := Config{
		Hidden: []int{100}, Activation: linalg.Sigmoid, Output: SigmoidOutput,
		Init: InitNormal, InitScale: 0.1, Optimizer: SGD, Eta: 0.0005, EtaDecay: 1, L2: 0.01,
		Momentum: 0.9, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8,
		Epochs: 200, BatchSize: 100, Seed: 1,
	}
	if !configsEqual(got, want) {
		t.Errorf("Config{}.WithDefaults() = %+v, want %+v", got, want)
	}
	set := Config{Hidden: []int{7, 5}, Activation: linalg.ReLU, NoL2: true, Eta: 0.1, Epochs: 3, BatchSize: 1, Seed: 9, NoShuffle: true}
	if got := set.WithDefaults(); !configsEqual(got, Config{Hidden: []int{7, 5}, Activation: linalg.ReLU, NoL2: true, Eta: 0.1, EtaDecay: 1,
		Epochs: 3, BatchSize: 1, Seed: 9, NoShuffle: true, InitScale: 0.1, Momentum: 0.9, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}) {
		t.Errorf("WithDefaults changed set fields: %+v", got)
	}
	set.WithDefaults().Hidden[0] = 99
	if set.Hidden[0] != 7 {
		t.Error("WithDefaults shares Hidden with its receiver")
	}
}

// TestConfigValidate checks that every out-of-range field is reported.
func TestConfigValidate(t *testing.T) {
	tests := []struct {
		cfg Config
		msg string
	}{
		{Config{Hidden: []int{10, 0}}, "hidden layer 1 has 0 units"},
		{Config{Activation: linalg.Activation(42)}, "unknown activation 42"},
		{Config{Output: Output(2)}, "unknown output 2"},
		{Config{Init: Init(-1)}, "unknown init -1"},
		{Config{Optimizer: Optimizer(4)}, "unknown optimizer 4"},
		{Config{Eta: -0.1}, "eta is -0.1"},
		{Config{InitScale: -1}, "init scale is -1"},
		{Config{EtaDecay: 1.5}, "eta decay is 1.5"},
		{Config{L2: -0.5}, "l2 is -0.5"},
		{Config{NoL2: true, L2: 0.1}, "NoL2 is set but L2 is 0.1"},
		{Config{Momentum: 1}, "momentum is 1"},
		{Config{Beta2: 1.5}, "beta2 is 1.5"},
		{Config{Epochs: -1}, "epochs is -1"},
		{Config{BatchSize: -3}, "batch size is -3"},
		{Config{Patience: -2}, "patience is -2"},
	}
	for _, tc := range tests {
		t.Run(tc.msg, func(t *testing.T) {
			err := tc.cfg.Validate()
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Validate: %v, want ErrConfig containing %q", err, tc.msg)
			}
			if _, err := New(4, 2, tc.cfg); !errors.Is(err, ErrConfig) {
				t.Errorf("New: %v, want ErrConfig", err)
			}
		})
	}
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("the zero Config: %v", err)
	}
	for _, shape := range [][2]int{{0, 10}, {784, 1}, {784, 257}} {
		if _, err := New(shape[0], shape[1], Config{}); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%d, %d): %v, want ErrConfig", shape[0], shape[1], err)
		}
	}
}

// TestEnumNames checks that every enum's names parse back to it, in text
// and JSON, and that unknown names are errors.
func TestEnumNames(t *testing.T) {
	for _, o := range []Output{SigmoidOutput, SoftmaxOutput} {
		if got, err := ParseOutput(o.String()); got != o || err != nil {
			t.Errorf("ParseOutput(%q) = %v, %v", o, got, err)
		}
	}
	for _, o := range []Optimizer{SGD, Momentum, Nesterov, Adam} {
		if got, err := ParseOptimizer(o.String()); got != o || err != nil {
			t.Errorf("ParseOptimizer(%q) = %v, %v", o, got, err)
		}
	}
	for _, i := range []Init{InitNormal, InitGlorot, InitHe} {
		if got, err := ParseInit(i.String()); got != i || err != nil {
			t.Errorf("ParseInit(%q) = %v, %v", i, got, err)
		}
	}
	if _, err := ParseOptimizer("rmsprop"); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "sgd, momentum, nesterov, adam") {
		t.Errorf("ParseOptimizer(rmsprop): %v, want ErrConfig listing the known names", err)
	}
	if s := Optimizer(9).String(); s != "Optimizer(9)" {
		t.Errorf("Optimizer(9).String() = %q", s)
	}
	if _, err := json.Marshal(Init(7)); err == nil {
		t.Error("json.Marshal(Init(7)) succeeded, want an error")
	}

	cfg := Config{Hidden: []int{256, 128}, Activation: linalg.LeakyReLU, Output: SoftmaxOutput, Optimizer: Adam, Init: InitHe, NoL2: true, Patience: 5}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"activation":"leaky_relu"`, `"output":"softmax"`, `"optimizer":"adam"`, `"init":"he"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON %s lacks %s", b, want)
		}
	}
	var back Config
	if err := json.Unmarshal(b, &back); err != nil || !configsEqual(back, cfg) {
		t.Errorf("JSON round trip: %+v, %v; want %+v", back, err, cfg)
	}
	if err := json.Unmarshal([]byte(`{"activation":"swish"}`), &back); !errors.Is(err, ErrConfig) {
		t.Errorf("unknown activation in JSON: %v, want ErrConfig", err)
	}
}
