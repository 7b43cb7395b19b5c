package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/credreview/credreview/formats"
)

// scriptCmd reads the board's decisions back from its workbook and writes
// the script of what it approved.
func scriptCmd(_ context.Context, fl scriptFlags, _ io.Reader, stdout io.Writer, ui *ui) error {
	f, err := os.Open(fl.approved)
	if err != nil {
		return fmt.Errorf("read %s: %w", fl.approved, errors.Unwrap(err))
	}
	defer f.Close()
	review, warnings, err := formats.ReadApproved(f)
	var mm *formats.MismatchError
	switch {
	case errors.As(err, &mm):
		ui.errorf("%s: %v; no script was written", fl.approved, err)
		for _, p := range mm.Problems {
			ui.errorf("%s: %s", fl.approved, p)
		}
		ui.hintf("decide in Decision, Reviewer, Change ticket and Notes only, or write the workbook again with credreview analyze and decide in the new one")
		return errReported
	case err != nil:
		ui.errorf("%s: %v", fl.approved, err)
		return errReported
	}
	review.Workbook = fl.approved
	for _, w := range warnings {
		ui.warnf("%s: %s", fl.approved, w)
	}
	review.Name = fl.name

	approved := 0
	for _, fd := range review.Findings {
		d := review.Decisions[fd.ID]
		switch {
		case d.Approved():
			approved++
			if d.Reviewer == "" {
				ui.warnf("%s: row %d: %s is approved without a Reviewer", fl.approved, d.Row, fd.ID)
			}
		default:
			ui.infof("left out %s (%s, account %s): %s", fd.ID, fd.User, fd.AccountID, d.Why())
		}
	}
	out := filepath.Join(fl.out, fl.name+".sh")
	if fl.out == "-" {
		if err := (formats.Script{}).Write(stdout, review); err != nil {
			return err
		}
		out = "standard output"
	} else {
		n, skipped, err := writeScript(fl.out, review, fl.exceptionDays)
		for _, sk := range skipped {
			ui.warnf("%s: %s", fl.approved, sk)
		}
		if err != nil {
			return err
		}
		if n > 0 {
			ui.infof("wrote %s: %s, expiring %d days after their reports' as-of time", filepath.Join(fl.out, fl.name+".exceptions.yaml"), plural(n, "rejected finding", "rejected findings"), fl.exceptionDays)
		}
	}
	ui.infof("%s of %s approved in review %s; wrote %s", plural(approved, "finding", "findings"), plural(len(review.Findings), "finding", "findings"), review.ID, out)
	return nil
}

// writeScript puts the approved script, and the exceptions of the findings
// the board rejected, beside their review, in a locked folder. A folder
// that holds another review's files is refused: a script must never sit
// beside the files of a review it was not made from.
func writeScript(dir string, r *formats.Review, exceptionDays int) (exceptions int, skipped []string, err error) {
	set, err := lockOutputs(dir)
	if err != nil {
		return 0, nil, err
	}
	defer set.Close()
	for _, name := range outputNames(r.Name) {
		path := filepath.Join(dir, name)
		if _, err := os.Stat(path); err != nil {
			continue
		}
		if id := formats.ReviewIDOf(path); id != r.ID && !strings.HasSuffix(name, ".sh") {
			return 0, nil, fmt.Errorf("%s is of review %s, but the workbook is of review %s; write the script where its review is, or in another folder with -o", path, orUnknown(id), r.ID)
		}
	}
	name := r.Name + ".sh"
	if err := set.Stage(name, func(w io.Writer) error { return formats.Script{}.Write(w, r) }); err != nil {
		return 0, nil, fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
	}
	rejected := 0
	for _, d := range r.Decisions {
		if d.Value == "Reject" {
			rejected++
		}
	}
	if rejected > 0 {
		name := r.Name + ".exceptions.yaml"
		err := set.Stage(name, func(w io.Writer) error {
			var err error
			exceptions, skipped, err = formats.WriteExceptions(w, r, exceptionDays)
			return err
		})
		if err != nil {
			return 0, skipped, fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
		}
	}
	_, err = set.Commit(context.Background())
	return exceptions, skipped, err
}

func orUnknown(id string) string {
	if id == "" {
		return "no review credreview can tell"
	}
	return id
}
