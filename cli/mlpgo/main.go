// Command mlpgo trains and runs multilayer perceptrons on MNIST-layout data.
// Run `mlpgo --help` for its commands; package cli holds the program.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/mlpgo/mlpgo/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
