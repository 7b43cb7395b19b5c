package main

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/credreview/credreview/internal/cli"
	"github.com/credreview/credreview/internal/command/analyze"
	"github.com/credreview/credreview/internal/command/completion"
	"github.com/credreview/credreview/internal/command/fetch"
	"github.com/credreview/credreview/internal/command/script"
	"github.com/credreview/credreview/internal/command/seal"
	"github.com/credreview/credreview/internal/command/verify"
)

const usage = `credreview reviews AWS IAM credential reports for access keys created during a
console user's initial setup (CIS AWS Foundations 1.21 / 1.11 / 1.10 / 2.10),
and writes the change-board package: a workbook, a change request with the
exact aws iam commands, JSON and a script.

Usage:
    credreview analyze [options] PATH...
    credreview script --approved WORKBOOK [options]
    credreview verify --review REVIEW.json [options] PATH...
    credreview fetch [options] -o DIR
    credreview seal [options] DIR
    credreview completion bash|zsh|fish
    credreview version
    credreview help [COMMAND]

analyze (or analyse) reads reports offline; script turns the workbook a
change board decided in into a script of what it approved; verify says what
newer reports show of each finding after the change; fetch exports reports,
with the key ids, on a connected machine, and seals them in a manifest that
analyze holds the folder to; seal seals evidence collected by hand. Run
"credreview help COMMAND" or "credreview COMMAND --help" for a command's
options.

Exit codes:
    0  done
    1  some input or output failed (analyze, verify: everything readable
       was analysed and written; script: the workbook was refused; fetch:
       the other accounts were saved; seal: the folder was not sealed)
    2  usage error
    3  analyze: findings at or above --fail-on; verify: one still active

Examples:
    credreview analyze -o review/ reports/
    credreview script --approved review/credential-review.xlsx -o review/
    credreview verify --review review/credential-review.json -o review/ after/
    credreview fetch --profile prod -o evidence/ && credreview analyze evidence/
    credreview seal --sign-key ~/.ssh/id_ed25519 evidence/
    credreview version
`

// commands are credreview's commands, in the order help lists them. They
// are made in init since help and completion list them in turn.
var commands []*cli.Command

func init() {
	commands = []*cli.Command{
		analyze.Command(),
		script.Command(),
		verify.Command(),
		fetch.Command(),
		seal.Command(),
		completion.Command(func() []*cli.Command { return commands }),
		{Name: "version", Summary: "print the version and build", Usage: versionUsage, Run: versionCmd},
		{Name: "help", Summary: "print the help of credreview or of a command", Usage: usage, Run: helpCmd},
	}
}

// isTerminal tells a terminal from a file or a pipe; a variable, so that
// tests can stand in a terminal.
var isTerminal = cli.IsTerminal

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	ui := cli.NewUI(stderr, isTerminal)
	var c *cli.Command
	var err error
	if len(args) == 0 {
		io.WriteString(stderr, usage)
		err = cli.Usagef("no command given")
	} else {
		c, err = dispatch(ctx, args, stdin, stdout, ui)
	}
	var ue *cli.UsageError
	switch {
	case errors.As(err, &ue):
		ui.Errorf("%s", ue.Msg)
		command := ""
		if c != nil && c.Flags != nil {
			command = c.Name + " "
		}
		ui.Hintf(`run "credreview %s--help" for usage`, command)
	case err != nil && !errors.Is(err, cli.ErrReported) && !errors.Is(err, cli.ErrFindings):
		ui.Errorf("%v", err)
	}
	return err
}

// dispatch runs the command args name, and says which it was.
func dispatch(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, ui *cli.UI) (*cli.Command, error) {
	switch args[0] {
	case "-h", "--help":
		return nil, helpCmd(ctx, args[1:], stdin, stdout, ui)
	case "-v", "--version":
		return nil, versionCmd(ctx, args[1:], stdin, stdout, ui)
	}
	c := lookup(args[0])
	if c == nil {
		return nil, unknownCommand(args[0])
	}
	return c, c.Run(ctx, args[1:], stdin, stdout, ui)
}

// lookup finds a command by its name or an alias.
func lookup(name string) *cli.Command {
	for _, c := range commands {
		if c.Name == name || slices.Contains(c.Aliases, name) {
			return c
		}
	}
	return nil
}

// unknownCommand says that name is no command, and which it may have meant.
func unknownCommand(name string) error {
	var names []string
	for _, c := range commands {
		names = append(names, c.Name)
	}
	if near := nearest(name); near != "" {
		return cli.Usagef("unknown command %q; did you mean %s?", name, near)
	}
	return cli.Usagef("unknown command %q (want %s)", name, strings.Join(names, ", "))
}

// nearest is the command whose name or alias is closest to a typo: at most
// two edits away (one for a word of four letters or fewer, which two edits
// make another word: scan is not seal; three for a long word), or a prefix
// of three letters or more.
func nearest(typo string) string {
	best, dist := "", 3
	switch {
	case len(typo) <= 4:
		dist = 2
	case len(typo) >= 7:
		dist = 4
	}
	for _, c := range commands {
		for _, n := range append([]string{c.Name}, c.Aliases...) {
			d := editDistance(strings.ToLower(typo), n)
			if len(typo) >= 3 && strings.HasPrefix(n, strings.ToLower(typo)) {
				d = 1
			}
			if d < dist {
				best, dist = c.Name, d
			}
		}
	}
	return best
}

// editDistance is the edit distance between two short strings, counting as
// one edit an insertion, a deletion, a substitution, or two neighbouring
// letters swapped (the commonest typo: fecth).
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// helpCmd prints the help of credreview, or of the command named.
func helpCmd(_ context.Context, args []string, _ io.Reader, stdout io.Writer, _ *cli.UI) error {
	switch {
	case len(args) == 0:
		_, err := io.WriteString(stdout, usage)
		return err
	case len(args) > 1:
		return cli.Usagef("help takes one command, but was given %q", args)
	}
	c := lookup(args[0])
	if c == nil {
		return unknownCommand(args[0])
	}
	_, err := io.WriteString(stdout, c.Usage)
	return err
}
