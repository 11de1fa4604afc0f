package mlp

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
)

// EpochStats is one epoch's row of the training history.
type EpochStats struct {
	// Epoch counts from 1.
	Epoch int
	// Cost is the seed's cost on the training set after the epoch: the
	// output cost summed over the rows plus L2·ΣW².
	Cost float64
	// TrainAcc and ValidAcc are the accuracies on the training and
	// validation sets after the epoch; ValidAcc is NaN without a
	// validation set.
	TrainAcc, ValidAcc float64
	// Seconds is the epoch's wall time, training and evaluation.
	Seconds float64
}

// History is the per-epoch record of a training run, oldest first.
type History []EpochStats

// epochJSON is EpochStats' JSON form: snake_case names, null for NaN.
type epochJSON struct {
	Epoch    int      `json:"epoch"`
	Cost     float64  `json:"cost"`
	TrainAcc float64  `json:"train_acc"`
	ValidAcc *float64 `json:"valid_acc"`
	Seconds  float64  `json:"seconds"`
}

// MarshalJSON implements json.Marshaler: {"epoch":1,"cost":...,
// "train_acc":...,"valid_acc":... or null,"seconds":...}.
func (e EpochStats) MarshalJSON() ([]byte, error) {
	j := epochJSON{Epoch: e.Epoch, Cost: e.Cost, TrainAcc: e.TrainAcc, Seconds: e.Seconds}
	if !math.IsNaN(e.ValidAcc) {
		j.ValidAcc = &e.ValidAcc
	}
	return json.Marshal(j)
}

// UnmarshalJSON implements json.Unmarshaler.
func (e *EpochStats) UnmarshalJSON(b []byte) error {
	var j epochJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*e = EpochStats{Epoch: j.Epoch, Cost: j.Cost, TrainAcc: j.TrainAcc, ValidAcc: math.NaN(), Seconds: j.Seconds}
	if j.ValidAcc != nil {
		e.ValidAcc = *j.ValidAcc
	}
	return nil
}

// WriteCSV writes h as CSV with the header
// epoch,cost,train_acc,valid_acc,seconds; a missing validation accuracy is
// an empty field.
func (h History) WriteCSV(w io.Writer) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("epoch,cost,train_acc,valid_acc,seconds\n")
	f := func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	for _, e := range h {
		fmt.Fprintf(bw, "%d,%s,%s,%s,%s\n", e.Epoch, f(e.Cost), f(e.TrainAcc), f(e.ValidAcc), f(e.Seconds))
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("mlp: writing history: %w", err)
	}
	return nil
}

// WriteJSONLines writes h as JSON lines, one EpochStats object per line.
func (h History) WriteJSONLines(w io.Writer) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for _, e := range h {
		if err := enc.Encode(e); err != nil {
			return fmt.Errorf("mlp: writing history: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("mlp: writing history: %w", err)
	}
	return nil
}
