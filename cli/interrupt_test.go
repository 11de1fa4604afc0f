package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cancelWriter collects output and cancels a context once the output
// holds a given text, as Ctrl-C would at that point.
type cancelWriter struct {
	bytes.Buffer
	after  string
	cancel context.CancelFunc
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	n, err := w.Buffer.Write(p)
	if strings.Contains(w.String(), w.after) {
		w.cancel()
	}
	return n, err
}

// TestTrainInterruptAndResume stops a training run as Ctrl-C does,
// checks that it saves a checkpoint and prints how to resume, resumes it,
// and checks that the result is the model an uninterrupted run saves.
func TestTrainInterruptAndResume(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := writeTinyData(data); err != nil {
		t.Fatal(err)
	}
	model, ckpt := filepath.Join(dir, "m.safetensors"), filepath.Join(dir, "m.ckpt.safetensors")
	common := []string{"mlpgo", "train", "--data", data, "--valid", "100"}
	config := []string{"--epochs", "6", "--hidden", "8", "--optimizer", "momentum", "--eta", "0.005"}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout := &cancelWriter{after: "epoch 2/6", cancel: cancel}
	var stderr bytes.Buffer
	args := append(append(append([]string{}, common...), config...), "--out", model)
	if code := Run(ctx, args, stdout, &stderr); code != exitRuntime {
		t.Fatalf("interrupted train exited with %d, want %d; stderr:\n%s", code, exitRuntime, &stderr)
	}
	wantResume := "mlpgo train --resume " + ckpt + " --data " + data + " --valid 100 --out " + model
	for _, want := range []string{"interrupted: ", "saved a checkpoint to " + ckpt, "\n  " + wantResume + "\n", "mlpgo: training interrupted\n"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr of the interrupted run lacks %q; got:\n%s", want, &stderr)
		}
	}
	if strings.Contains(stdout.String(), "epoch 3/6") {
		t.Errorf("the run went on after it was interrupted; stdout:\n%s", stdout)
	}
	if _, err := os.Stat(model); err == nil {
		t.Errorf("the interrupted run saved the model %s", model)
	}

	var out, errOut bytes.Buffer
	resume := strings.Fields(wantResume)
	if code := Run(context.Background(), resume, &out, &errOut); code != exitOK {
		t.Fatalf("%s exited with %d; stderr:\n%s", wantResume, code, &errOut)
	}
	for _, want := range []string{"resuming after epoch 2 of 6\n", "epoch 3/6 |", "epoch 6/6 |", "trained 4 epochs in "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout of the resumed run lacks %q; got:\n%s", want, &out)
		}
	}
	history, err := os.ReadFile(strings.TrimSuffix(model, ".safetensors") + ".history.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(history), "\n"); got != 6 {
		t.Errorf("the resumed run's history has %d epochs, want 6", got)
	}

	straight := filepath.Join(dir, "straight.safetensors")
	args = append(append(append([]string{}, common...), config...), "--out", straight)
	if code := Run(context.Background(), args, &out, &errOut); code != exitOK {
		t.Fatalf("uninterrupted train exited with %d; stderr:\n%s", code, &errOut)
	}
	a, errA := os.ReadFile(model)
	b, errB := os.ReadFile(straight)
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("the interrupted and resumed model differs from the uninterrupted one")
	}
}
