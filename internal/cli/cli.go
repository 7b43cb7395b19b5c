// Package cli is what credreview's commands share: the Command that package
// main lists and dispatches to, the errors that set the exit code, the
// terminal's voice (UI), and the flags and checks more than one command has.
// It holds no product logic; the commands live in internal/command/….
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"
)

// Version is the release; outputs name it, so it is a constant rather than
// build metadata that would make two builds' outputs differ.
const Version = "0.1.0"

// Command is one of credreview's commands: its name and aliases, its help,
// its flags (for completion and the man page), and what it does.
type Command struct {
	Name    string
	Aliases []string
	Summary string // one line, for completion
	Usage   string
	Flags   func() *pflag.FlagSet // nil for a command without flags
	Run     func(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, ui *UI) error
}

// UsageError is a command line credreview cannot run: it exits 2, and the
// message is followed by a hint to --help.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef makes a UsageError.
func Usagef(format string, args ...any) error {
	return &UsageError{fmt.Sprintf(format, args...)}
}

// Errors that set the exit code; any other error exits 1, and is printed.
var (
	// ErrFindings exits 3: findings at or above --fail-on.
	ErrFindings = errors.New("findings at or above --fail-on")
	// ErrReported exits 1 without a message of its own: the failure was
	// already printed.
	ErrReported = errors.New("failed")
)

// ExitCode is the exit code of a run that returned err: 0 done, 1 failed,
// 2 usage, 3 findings at or above --fail-on.
func ExitCode(err error) int {
	var ue *UsageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		return 2
	case errors.Is(err, ErrFindings):
		return 3
	}
	return 1
}

// WithFlags makes a command's Run from its parser and what it does: its
// help when asked for, its usage error, or the command run with its flags.
func WithFlags[F interface{ Common() CommonFlags }](parse func([]string) (F, error), usage string,
	do func(context.Context, F, io.Reader, io.Writer, *UI) error) func(context.Context, []string, io.Reader, io.Writer, *UI) error {
	return func(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, ui *UI) error {
		fl, err := parse(args)
		c := fl.Common()
		if err != nil {
			return err
		}
		if c.Help {
			_, err := io.WriteString(stdout, usage)
			return err
		}
		ui.quiet = c.Quiet
		return do(ctx, fl, stdin, stdout, ui)
	}
}
