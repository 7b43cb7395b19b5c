// Package script is credreview script: it reads back the workbook a change
// board decided in and writes the script of what the board approved, and
// the exceptions of what it rejected, beside the review.
package script

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/spf13/pflag"

	"github.com/credreview/credreview/analyze"
	"github.com/credreview/credreview/formats"
	"github.com/credreview/credreview/internal/cli"
	"github.com/credreview/credreview/internal/custody"
	"github.com/credreview/credreview/internal/outputset"
)

// Command is credreview script.
func Command() *cli.Command {
	return &cli.Command{
		Name:    "script",
		Summary: "write the script of what a change board approved in its workbook",
		Usage:   usage,
		Flags:   func() *pflag.FlagSet { return new(flags).flagSet() },
		Run:     cli.WithFlags(parse, usage, run),
	}
}

const usage = `Usage:
    credreview script --approved WORKBOOK [options]

Reads back the workbook of a review (credential-review.xlsx) after a change
board decided in it, and writes credential-review.sh holding only the
findings marked Approve, with each reviewer and change ticket in its header
and in the line it echoes before acting. It lists the findings it left out
and why (Reject, Defer, no decision), and writes the rejected ones as
credential-review.exceptions.yaml, so the next review does not ask again.

It refuses a workbook whose finding rows no longer match what credreview
wrote: a changed ID, severity, account, user, key or command, a row added
or deleted, or a Decision that is not Approve, Reject or Defer. Sorting and
filtering rows are fine, and so is saving the workbook again in LibreOffice
or Excel. Its stamp is held to the review's manifest beside it
(credential-review.manifest.json, which analyze writes): a stamp that no
longer matches it is refused.

Options:
        --approved FILE    The workbook the board decided in (required).
    -o, --out DIR          Write credential-review.sh in DIR (default .).
                           With -o -, write it to standard output.
        --name NAME        Name the script NAME.sh (default
                           credential-review).
        --exception-days N Write the findings the board rejected, with their
                           Reviewer and Notes, as NAME.exceptions.yaml, each
                           expiring N days (default 90, at most 730) after
                           its report's as-of time, for analyze --exceptions.
        --allowed-signers FILE
                           Require the review's manifest to be signed by a
                           key FILE names (ssh-keygen's allowed signers).
    -q, --quiet            Print errors only.
    -h, --help             Print this help.

Exit codes:
    0  the script was written
    1  the workbook was refused, or the script could not be written
    2  usage error

Examples:
    credreview script --approved review/credential-review.xlsx -o review/
    sh review/credential-review.sh plan --account 123456789012
`

// flags are script's options.
type flags struct {
	approved, out, name string
	exceptionDays       int
	cli.CustodyFlags
	cli.CommonFlags
}

func (fl *flags) flagSet() *pflag.FlagSet {
	fs := cli.NewFlagSet("script")
	fs.StringVar(&fl.approved, "approved", "", "")
	fs.StringVarP(&fl.out, "out", "o", ".", "")
	fs.StringVar(&fl.name, "name", analyze.OutputBase, "")
	fs.IntVar(&fl.exceptionDays, "exception-days", 90, "")
	fl.CustodyFlags.Register(fs, false)
	fl.CommonFlags.Register(fs)
	cli.CompleteFile(fs, "approved", "xlsx")
	cli.CompleteDir(fs, "out")
	return fs
}

func parse(args []string) (flags, error) {
	var fl flags
	fs := fl.flagSet()
	if err := fs.Parse(args); err != nil {
		return fl, cli.Usagef("%v", err)
	}
	switch {
	case fl.Help:
	case fs.NArg() > 0:
		return fl, cli.Usagef("script takes no arguments, but was given %q; name the workbook with --approved", fs.Args())
	case fl.approved == "":
		return fl, cli.Usagef("--approved WORKBOOK is required: the credential-review.xlsx the change board decided in")
	case fl.exceptionDays < 1 || fl.exceptionDays > 365*analyze.MaxExceptionYears:
		return fl, cli.Usagef("--exception-days %d is not from 1 to %d: an exception expires at most %d years ahead", fl.exceptionDays, 365*analyze.MaxExceptionYears, analyze.MaxExceptionYears)
	}
	return fl, cli.CheckName(fl.name)
}

// run reads the board's decisions back from its workbook and writes the
// script of what it approved.
func run(ctx context.Context, fl flags, _ io.Reader, stdout io.Writer, ui *cli.UI) error {
	verifier, err := fl.Verifier()
	if err != nil {
		return err
	}
	f, err := os.Open(fl.approved)
	if err != nil {
		return fmt.Errorf("read %s: %w", fl.approved, errors.Unwrap(err))
	}
	defer f.Close()
	review, warnings, err := formats.ReadApproved(f)
	var mm *formats.MismatchError
	switch {
	case errors.As(err, &mm):
		ui.Errorf("%s: %v; no script was written", fl.approved, err)
		for _, p := range mm.Problems {
			ui.Errorf("%s: %s", fl.approved, p)
		}
		ui.Hintf("decide in Decision, Reviewer, Change ticket and Notes only, or write the workbook again with credreview analyze and decide in the new one")
		return cli.ErrReported
	case err != nil:
		ui.Errorf("%s: %v", fl.approved, err)
		return cli.ErrReported
	}
	review.Workbook = fl.approved
	// The stamp is the review as analyze wrote it: held to the review's
	// manifest, it cannot have been rewritten with its rows.
	sealed, err := custody.CheckFile(formats.ManifestOf(fl.approved), filepath.Base(fl.approved), review.ID, func(f custody.File) error {
		if f.Stamp != review.StampDigest() {
			return fmt.Errorf("its stamp's digest is %s, the manifest's %s: the stamp was changed after analyze wrote it", review.StampDigest(), f.Stamp)
		}
		return nil
	}, verifier)
	if err != nil {
		ui.Errorf("%s: %v; no script was written", fl.approved, err)
		ui.Hintf("decide in the workbook analyze wrote, beside its manifest, or write the review again with credreview analyze")
		return cli.ErrReported
	}
	if sealed.Manifest == "" {
		ui.Warnf("%s: %s", fl.approved, sealed.Statement())
	}
	for _, w := range warnings {
		ui.Warnf("%s: %s", fl.approved, w)
	}
	review.Name = fl.name

	approved := 0
	for _, fd := range review.Findings {
		d := review.Decisions[fd.ID]
		switch {
		case d.Approved():
			approved++
			if d.Reviewer == "" {
				ui.Warnf("%s: row %d: %s is approved without a Reviewer", fl.approved, d.Row, fd.ID)
			}
		default:
			ui.Infof("left out %s (%s, account %s): %s", fd.ID, fd.User, fd.AccountID, d.Why())
		}
	}
	out := filepath.Join(fl.out, fl.name+".sh")
	if fl.out == "-" {
		if err := (formats.Script{}).Write(stdout, review); err != nil {
			return err
		}
		out = "standard output"
	} else {
		set, exceptions := scriptSet(review, fl.exceptionDays)
		w := outputset.Write(ctx, fl.out, set)
		n, skipped := exceptions()
		for _, sk := range skipped {
			ui.Warnf("%s: %s", fl.approved, sk)
		}
		for _, err := range w.Errs {
			ui.Errorf("%v", err)
		}
		if len(w.Errs) > 0 {
			return cli.ErrReported
		}
		if n > 0 {
			ui.Infof("wrote %s: %s, expiring %d days after their reports' as-of time", filepath.Join(fl.out, fl.name+".exceptions.yaml"), cli.Plural(n, "rejected finding", "rejected findings"), fl.exceptionDays)
		}
	}
	ui.Infof("%s of %s approved in review %s; wrote %s", cli.Plural(approved, "finding", "findings"), cli.Plural(len(review.Findings), "finding", "findings"), review.ID, out)
	return nil
}

// scriptSet is the approved script, and the exceptions of the findings the
// board rejected, as a set that goes beside its review: a folder that holds
// another review's files is refused. exceptions says, once the set is
// written, how many exceptions it holds and which rejections it skipped.
func scriptSet(r *formats.Review, exceptionDays int) (set *outputset.Set, exceptions func() (int, []string)) {
	set = &outputset.Set{What: "script", Base: r.Name, ID: r.ID, IDOf: formats.ReviewIDOf, Kinds: formats.Names(),
		Beside: func(path, id string) error {
			return fmt.Errorf("%s is of review %s, but the workbook is of review %s; write the script where its review is, or in another folder with -o", path, orUnknown(id), r.ID)
		}}
	set.Files = []outputset.File{{Ext: "sh", Write: func(w io.Writer) error { return formats.Script{}.Write(w, r) }}}
	rejected := 0
	for _, d := range r.Decisions {
		if d.Value == "Reject" {
			rejected++
		}
	}
	// Read after Write, which may return while an interrupted writer is
	// still at work: hence the lock.
	var mu sync.Mutex
	var n int
	var skipped []string
	if rejected > 0 {
		set.Files = append(set.Files, outputset.File{Ext: "exceptions.yaml", Write: func(w io.Writer) error {
			c, s, err := formats.WriteExceptions(w, r, exceptionDays)
			mu.Lock()
			n, skipped = c, s
			mu.Unlock()
			return err
		}})
	}
	return set, func() (int, []string) {
		mu.Lock()
		defer mu.Unlock()
		return n, skipped
	}
}

func orUnknown(id string) string {
	if id == "" {
		return "no review credreview can tell"
	}
	return id
}
