package cli

import (
	"errors"
	"fmt"
	"strings"

	urfave "github.com/urfave/cli/v2"
)

// Exit codes of mlpgo.
const (
	exitOK      = 0 // success
	exitRuntime = 1 // the command ran and failed: missing file, corrupt model, I/O error
	exitUsage   = 2 // the command line was wrong: unknown command or flag, bad flag value
)

// usageErrorf returns an error that makes mlpgo exit with exitUsage.
func usageErrorf(format string, args ...any) error {
	return urfave.Exit(fmt.Sprintf(format, args...), exitUsage)
}

// onUsageError turns urfave's flag-parsing errors (unknown flag, bad value,
// bad environment variable) into usage errors that point at the help.
func onUsageError(cCtx *urfave.Context, err error, _ bool) error {
	return usageErrorf("%v (see '%s --help')", err, cCtx.Command.HelpName)
}

// exitCode maps an error returned by the app to mlpgo's exit code.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var coder urfave.ExitCoder
	if errors.As(err, &coder) && coder.ExitCode() != exitOK {
		return coder.ExitCode()
	}
	return exitRuntime
}

// errorLine renders err as the one line mlpgo prints on stderr: multi-line
// messages are joined so that scripts can rely on one line per error.
func errorLine(err error) string {
	fields := strings.FieldsFunc(err.Error(), func(r rune) bool { return r == '\n' || r == '\r' })
	for i, f := range fields {
		fields[i] = strings.TrimSpace(f)
	}
	return "mlpgo: " + strings.Join(fields, "; ")
}
