package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/credreview/credreview/analyze"
	"github.com/credreview/credreview/formats"
	"github.com/credreview/credreview/internal/atomicfile"
)

// analyzeCmd reads the inputs, prints their problems, writes the outputs and
// says what was done.
func analyzeCmd(ctx context.Context, fl analyzeFlags, stdin io.Reader, stdout io.Writer, ui *ui) error {
	if fl.out == "-" && fl.formats[0].Name() == "xlsx" && isTerminal(stdout) {
		return &usageError{"-f xlsx -o - would write a zip archive to the terminal; redirect standard output to a file (> review.xlsx), or write the workbook into a folder with -o DIR"}
	}
	opts := fl.opts
	var pr *progress
	if ui.tty && !ui.quiet {
		pr = &progress{w: ui.w, now: time.Now}
		pr.start = pr.now()
		opts.Progress = pr.update
	}
	res := analyze.Analyze(ctx, fl.paths, stdin, opts)
	pr.clear()
	if ctx.Err() != nil {
		// A review of part of the inputs must not pass for the whole.
		ui.errorf("interrupted before every input was read; nothing was written")
		return errReported
	}
	for _, p := range res.Errors {
		ui.errorf("%s", p.Error())
		if p.Hint != "" {
			ui.hintf("%s", p.Hint)
		}
	}
	for _, p := range res.Warnings {
		ui.warnf("%s", p.Error())
	}
	if len(res.Reports) == 0 {
		ui.errorf("no credential report could be read; nothing was written")
		return errReported
	}

	review := formats.NewReview(formats.Tool{Name: "credreview", Version: version}, res)
	review.Paper = fl.paperSize
	review.Name = fl.name
	summary := formats.Summary(review)
	if fl.out == "-" {
		if err := fl.formats[0].Write(stdout, review); err != nil {
			ui.infof("%s", summary)
			ui.errorf("write standard output: %v", err)
			return errReported
		}
		ui.infof("%s", summary)
	} else {
		written, replaced, removed, errs := writeOutputs(ctx, fl.out, fl.formats, review)
		for _, r := range replaced {
			ui.infof("replaced %s", r)
		}
		for _, r := range removed {
			ui.infof("removed %s: it was of another review", r)
		}
		if len(written) > 0 {
			summary += "; wrote " + strings.Join(written, ", ")
		}
		ui.infof("%s", summary)
		if len(errs) > 0 {
			for _, err := range errs {
				ui.errorf("%v", err)
			}
			if len(written) == 0 {
				ui.errorf("nothing was written in %s: the outputs of one review are put in place together or not at all", fl.out)
			}
			return errReported
		}
	}
	switch {
	case len(res.Errors) > 0:
		return errReported
	case fl.failLevel != analyze.SeverityNone && res.Highest() >= fl.failLevel:
		ui.infof("findings at or above --fail-on %s", fl.failLevel)
		return errFindings
	}
	return nil
}

// outputNames are the files a review named base may have in a folder.
func outputNames(base string) []string {
	var out []string
	for _, n := range formats.Names() {
		out = append(out, base+"."+n)
	}
	return out
}

// writeOutputs writes the formats of a review into dir as one set: the
// folder is locked, every file is written beside its name, in parallel,
// and only when all are complete are they put in place, together; after a
// failure or an interrupt none is. Files of the other formats that belong
// to another review are removed, so that the folder never holds two
// reviews' files side by side. It says which files it replaced and which it
// removed, and returns every failure.
func writeOutputs(ctx context.Context, dir string, fmts []formats.Format, r *formats.Review) (written, replaced, removed []string, errs []error) {
	base := r.Name
	if base == "" {
		base = analyze.OutputBase
	}
	set, err := lockOutputs(dir)
	if err != nil {
		return nil, nil, nil, []error{err}
	}
	defer set.Close()
	errc := make([]error, len(fmts))
	var wg sync.WaitGroup
	for i, f := range fmts {
		wg.Go(func() {
			name := base + "." + f.Name()
			if err := set.Stage(name, func(w io.Writer) error { return f.Write(w, r) }); err != nil {
				errc[i] = fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		set.Abort()
		return nil, nil, nil, []error{fmt.Errorf("interrupted while writing; nothing was written in %s", dir)}
	}
	for _, err := range errc {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		set.Abort()
		return nil, nil, nil, errs
	}
	mine := map[string]bool{}
	for _, f := range fmts {
		name := base + "." + f.Name()
		mine[name] = true
		path := filepath.Join(dir, name)
		if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
			switch id := formats.ReviewIDOf(path); id {
			case r.ID:
				replaced = append(replaced, path+" (the same review)")
			case "":
				replaced = append(replaced, path)
			default:
				replaced = append(replaced, path+" (review "+id+")")
			}
		}
	}
	written, err = set.Commit(ctx)
	if err != nil {
		errs = append(errs, err)
	}
	if len(written) == 0 {
		return nil, nil, nil, errs
	}
	for _, name := range outputNames(base) {
		path := filepath.Join(dir, name)
		if mine[name] {
			continue
		}
		if _, err := os.Stat(path); err != nil || formats.ReviewIDOf(path) == r.ID {
			continue
		}
		if err := os.Remove(path); err != nil {
			errs = append(errs, fmt.Errorf("remove %s of another review: %w", path, err))
			continue
		}
		removed = append(removed, path)
	}
	return written, replaced, removed, errs
}

// lockOutputs locks an output folder, saying what to do when another run
// holds it.
func lockOutputs(dir string) (*atomicfile.Set, error) {
	set, err := atomicfile.Lock(dir)
	switch {
	case errors.Is(err, atomicfile.ErrLocked):
		return nil, fmt.Errorf("%s: %v; wait for it to finish, or write to another folder with -o", dir, err)
	case err != nil:
		return nil, fmt.Errorf("create output directory: %w", err)
	}
	return set, nil
}
