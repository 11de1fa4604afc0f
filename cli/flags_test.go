package cli

import (
	"io"
	"testing"

	urfave "github.com/urfave/cli/v2"
)

// TestEveryFlagHasEnvVar checks that every flag of every command can come
// from its MLPGO_* environment variable.
func TestEveryFlagHasEnvVar(t *testing.T) {
	var walk func(path string, cmds []*urfave.Command)
	walk = func(path string, cmds []*urfave.Command) {
		for _, c := range cmds {
			name := path + " " + c.Name
			for _, f := range c.Flags {
				df, ok := f.(urfave.DocGenerationFlag)
				if !ok {
					t.Errorf("%s: flag %v has no documentation", name, f.Names())
					continue
				}
				want := envVars(f.Names()[0])
				if got := df.GetEnvVars(); len(got) != 1 || got[0] != want[0] {
					t.Errorf("%s --%s: EnvVars = %q, want %q", name, f.Names()[0], got, want)
				}
			}
			walk(name, c.Subcommands)
		}
	}
	app := newApp(io.Discard, io.Discard)
	if len(app.Commands) == 0 {
		t.Fatal("the app has no commands")
	}
	walk("mlpgo", app.Commands)
}
