package cli

import (
	"context"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mlpgo/mlpgo/mnistio"
)

// TestRealMNIST runs the scripts in testdata/mnist on the real MNIST, which
// it fetches (or finds in the cache) first; their $MNIST is its folder.
func TestRealMNIST(t *testing.T) {
	dir, err := mnistio.Fetch(context.Background(), mnistio.FetchOptions{})
	if err != nil {
		t.Fatalf("fetching MNIST: %v", err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/mnist",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Cmds:                scriptCmds,
		Setup: func(env *testscript.Env) error {
			env.Setenv("MNIST", dir)
			return nil
		},
	})
}
