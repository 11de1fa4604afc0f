package cli

import (
	"fmt"
	"io"
	"math"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/mlpgo/mlpgo/mlp"
)

// progressInterval is how often a progress bar is redrawn at most.
const progressInterval = 100 * time.Millisecond

// trainProgress shows Fit's progress: on a terminal (bar != nil) a live
// bar per epoch on stderr with the batch rate, the epoch's ETA, the run's
// ETA and the last epoch's cost and accuracies; in any case one plain line
// per epoch on stdout once the epoch is evaluated.
type trainProgress struct {
	out, tty io.Writer // tty is nil when stderr is not a terminal
	bar      *progressbar.ProgressBar
	last     *mlp.EpochStats
	seconds  float64 // total of the epochs' times so far in this run
	epochs   int     // epochs done in this run
	// onEpoch, if not nil, is called after each epoch's line, for
	// periodic checkpoints.
	onEpoch func(mlp.Progress) error
	err     error // onEpoch's first error
}

func newTrainProgress(stdout, stderr io.Writer) *trainProgress {
	p := &trainProgress{out: stdout}
	if isTerminal(stderr) {
		p.tty = stderr
	}
	return p
}

// update is the progress callback given to Fit.
func (p *trainProgress) update(pr mlp.Progress) {
	if pr.EpochDone {
		p.endEpoch(pr)
		return
	}
	if p.tty == nil {
		return
	}
	if p.bar == nil {
		p.bar = progressbar.NewOptions(pr.Batches,
			progressbar.OptionSetWriter(p.tty),
			progressbar.OptionSetDescription(p.describe(pr)),
			progressbar.OptionSetWidth(20),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("batch"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(progressInterval),
			progressbar.OptionClearOnFinish(),
		)
	}
	_ = p.bar.Set(pr.Batch)
}

// describe is the bar's label: the epoch, the run's ETA from the mean
// epoch time so far, and the previous epoch's results.
func (p *trainProgress) describe(pr mlp.Progress) string {
	s := fmt.Sprintf("epoch %d/%d", pr.Epoch, pr.Epochs)
	if p.epochs > 0 {
		left := time.Duration(float64(pr.Epochs-pr.Epoch+1) * p.seconds / float64(p.epochs) * float64(time.Second))
		s += fmt.Sprintf(" (run ETA %s)", left.Round(time.Second))
	}
	if st := p.last; st != nil {
		s += fmt.Sprintf(" cost %.0f acc %s", st.Cost, percent(st.TrainAcc))
		if !math.IsNaN(st.ValidAcc) {
			s += "/" + percent(st.ValidAcc)
		}
	}
	return s
}

// endEpoch closes the epoch's bar and prints its line.
func (p *trainProgress) endEpoch(pr mlp.Progress) {
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
	st := pr.Stats
	p.last = &st
	p.seconds += st.Seconds
	p.epochs++
	width := len(fmt.Sprint(pr.Epochs))
	fmt.Fprintf(p.out, "epoch %*d/%d | %s | %s\n", width, pr.Epoch, pr.Epochs, statsSummary(st), formatSeconds(st.Seconds))
	if p.onEpoch != nil && p.err == nil {
		p.err = p.onEpoch(pr)
	}
}

// close removes a bar left by an interrupted epoch.
func (p *trainProgress) close() {
	if p.bar != nil {
		_ = p.bar.Exit()
		p.bar = nil
	}
}

// statsSummary renders an epoch's results as the seed prints them.
func statsSummary(st mlp.EpochStats) string {
	if math.IsNaN(st.ValidAcc) {
		return fmt.Sprintf("cost %.2f | train acc %s", st.Cost, percent(st.TrainAcc))
	}
	return fmt.Sprintf("cost %.2f | train/valid acc %s/%s", st.Cost, percent(st.TrainAcc), percent(st.ValidAcc))
}

// percent renders a fraction as a percentage with two decimals.
func percent(f float64) string { return fmt.Sprintf("%.2f%%", 100*f) }
