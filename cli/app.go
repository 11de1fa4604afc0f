// Package cli is the mlpgo command: it parses the command line, calls
// mlpgo's library packages (linalg, mlp, mnistio), prints their results and
// draws plots. No numerics live here.
//
// Run is the whole program; cli/mlpgo's main only calls it. Every flag can
// also be set through an MLPGO_* environment variable (--hidden through
// MLPGO_HIDDEN, and so on); a flag on the command line wins. Errors are one
// line on stderr, and the exit code is 0 on success, 1 when the command
// failed and 2 when the command line was wrong.
package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	urfave "github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/mlpgo/mlpgo/linalg"
)

// Run runs mlpgo with args (args[0] is the program's name), writing its
// output to stdout and its errors and progress to stderr, and returns the
// exit code. Cancelling ctx (Ctrl-C in main) stops a training run after its
// current batch.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := newApp(stdout, stderr).RunContext(ctx, args)
	if err != nil {
		fmt.Fprintln(stderr, errorLine(err))
	}
	return exitCode(err)
}

// newApp builds the mlpgo application around its output streams.
func newApp(stdout, stderr io.Writer) *urfave.App {
	app := &urfave.App{
		Name:      "mlpgo",
		Usage:     "train and run multilayer perceptrons on MNIST-layout data",
		Version:   version(),
		Writer:    stdout,
		ErrWriter: stderr,
		Commands: []*urfave.Command{
			trainCommand(),
			evalCommand(),
			predictCommand(),
			plotCommand(),
			benchCommand(),
			infoCommand(),
			dataCommand(),
		},
		Description: "Every flag can also be set through the environment variable MLPGO_<FLAG>,\n" +
			"in upper case with '-' as '_' (--hidden 256,128 is MLPGO_HIDDEN=256,128).\n" +
			"Exit status: 0 success, 1 the command failed, 2 the command line was wrong.",
		HideHelpCommand: true,
		OnUsageError:    onUsageError,
		// Errors are printed once, by Run, and never end the process here.
		ExitErrHandler: func(*urfave.Context, error) {},
		Action: func(cCtx *urfave.Context) error {
			if cCtx.NArg() > 0 {
				return usageErrorf("unknown command %q (see 'mlpgo --help')", cCtx.Args().First())
			}
			return urfave.ShowAppHelp(cCtx)
		},
	}
	setUsageErrorHandler(app.Commands)
	return app
}

// setUsageErrorHandler gives every command, down to subcommands, the
// handler that turns flag errors into exit status 2.
func setUsageErrorHandler(cmds []*urfave.Command) {
	for _, c := range cmds {
		c.OnUsageError = onUsageError
		setUsageErrorHandler(c.Subcommands)
	}
}

// envVars returns the environment variable that sets the flag called
// name: MLPGO_ and the name in upper case, with '-' as '_'.
func envVars(name string) []string {
	return []string{"MLPGO_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))}
}

// runtimeFlags are the flags of every command that runs kernels: the ISA
// and the number of threads.
func runtimeFlags() []urfave.Flag {
	return []urfave.Flag{
		&urfave.StringFlag{
			Name:    "isa",
			Usage:   "kernel set to use, one of " + strings.Join(linalg.Available(), ", ") + " (default: the best this CPU runs)",
			EnvVars: envVars("isa"),
		},
		&urfave.IntFlag{
			Name:    "threads",
			Usage:   "threads of large matrix products (0: one per logical CPU)",
			EnvVars: envVars("threads"),
		},
	}
}

// jsonFlag is the --json flag of the commands with machine-readable output.
func jsonFlag() urfave.Flag {
	return &urfave.BoolFlag{Name: "json", Usage: "print the result as JSON", EnvVars: envVars("json")}
}

// setupRuntime applies the runtime flags. It is the Before hook of every
// command that runs kernels, so that a bad ISA is one clear error rather
// than a panic in the first kernel call.
func setupRuntime(cCtx *urfave.Context) error {
	if name := cCtx.String("isa"); name != "" {
		if _, err := linalg.UseISA(name); err != nil {
			return usageErrorf("--isa %s: %v", name, err)
		}
	} else if err := linalg.ISAError(); err != nil {
		return usageErrorf("%v", err)
	}
	switch n := cCtx.Int("threads"); {
	case n < 0:
		return usageErrorf("--threads %d: must be 0 (all CPUs) or more", n)
	case n > 0:
		linalg.SetThreads(n)
	}
	return nil
}

// setupCommand is the Before hook of the commands that take only flags
// and run kernels: it rejects arguments and applies the runtime flags.
func setupCommand(cCtx *urfave.Context) error {
	if err := noArgs(cCtx); err != nil {
		return err
	}
	return setupRuntime(cCtx)
}

// noArgs rejects positional arguments, for commands that take only flags.
func noArgs(cCtx *urfave.Context) error {
	if cCtx.NArg() > 0 {
		return usageErrorf("%s takes no arguments, got %q (see '%s --help')",
			cCtx.Command.Name, cCtx.Args().First(), cCtx.Command.HelpName)
	}
	return nil
}

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
