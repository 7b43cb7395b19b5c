package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
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
	relaxGC()
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
	review.Benchmark = fl.bench
	review.Name = fl.name
	summary := formats.Summary(review)
	switch {
	case fl.split != "":
		if !writeSplit(ctx, fl, review, summary, ui) {
			return errReported
		}
	case fl.out == "-":
		if err := fl.formats[0].Write(stdout, review); err != nil {
			ui.infof("%s", summary)
			ui.errorf("write standard output: %v", err)
			return errReported
		}
		ui.infof("%s", summary)
	default:
		set := reviewOutputs(review, fl.formats)
		if !said(ui, fl.out, set, writeOutputs(ctx, fl.out, set), summary) {
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

// writeSplit writes a package per account in a folder of its own under
// fl.out, side by side, each put in place whole, then the organisation
// summary beside them; it says what it did, and reports whether all went
// well. An account's package is the review of its inputs alone
// (formats.SplitReview).
func writeSplit(ctx context.Context, fl analyzeFlags, whole *formats.Review, summary string, ui *ui) bool {
	subs := formats.SplitReview(whole)
	org := &formats.Organisation{Whole: whole, Paper: fl.paperSize}
	results := make([]written, len(subs))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range jobs {
				results[i] = writeOutputs(ctx, filepath.Join(fl.out, accountDir(subs[i].Account())), reviewOutputs(subs[i], fl.formats))
			}
		})
	}
	for i := range subs {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	base := whole.Name
	if base == "" {
		base = analyze.OutputBase
	}
	ok := true
	replaced, removed := 0, 0
	for i, w := range results {
		sub := subs[i]
		p := formats.Package{Account: sub.Account(), Review: sub}
		for _, f := range w.files {
			rel, _ := filepath.Rel(fl.out, f)
			p.Files = append(p.Files, filepath.ToSlash(rel))
		}
		org.Packages = append(org.Packages, p)
		replaced += len(w.replaced)
		removed += len(w.removed)
		for _, k := range w.kept {
			ui.warnf("%s has the name of a review's file but no review id: left as it is", k)
		}
		for _, err := range w.errs {
			ui.errorf("%v", err)
			ok = false
		}
	}
	set := outputSet{what: "organisation summary", base: base + "-organisation", id: whole.ID, idOf: formats.ReviewIDOf, kinds: []string{"md", "xlsx"}}
	for _, name := range []string{"xlsx", "md"} {
		f := formats.OrganisationFormats[name]
		set.files = append(set.files, outputFile{name, func(w io.Writer) error { return f.WriteOrganisation(w, org) }})
	}
	if replaced > 0 || removed > 0 {
		ui.infof("replaced %s and removed %s of earlier reviews in the accounts' folders", plural(replaced, "file", "files"), plural(removed, "file", "files"))
	}
	// An earlier run's package of an account this run does not have stays
	// where it is: say so, since it sits beside this run's summary.
	mine := map[string]bool{}
	for _, sub := range subs {
		mine[accountDir(sub.Account())] = true
	}
	if entries, err := os.ReadDir(fl.out); err == nil {
		for _, e := range entries {
			if !e.IsDir() || mine[e.Name()] {
				continue
			}
			for _, name := range outputNames(base) {
				if id := formats.ReviewIDOf(filepath.Join(fl.out, e.Name(), name)); id != "" {
					ui.warnf("%s holds a package of review %s, for an account this run does not have: left as it is", filepath.Join(fl.out, e.Name()), id)
					break
				}
			}
		}
	}
	summary += fmt.Sprintf("; wrote %s in %s", plural(len(subs), "account's package", "accounts' packages"), filepath.Join(fl.out, "ACCOUNT"))
	return said(ui, fl.out, set, writeOutputs(ctx, fl.out, set), summary) && ok
}

// accountDir is the folder of an account's package.
func accountDir(account string) string {
	if account == "" {
		return "no-account" // a report without rows, which is an error
	}
	return account
}

// outputNames are the files a review named base may have in a folder.
func outputNames(base string) []string {
	var out []string
	for _, n := range formats.Names() {
		out = append(out, base+"."+n)
	}
	return out
}

// written says what writeOutputs did, and what went wrong.
type written struct {
	files    []string // put in place
	replaced []string // of them, those that replaced a file, with its review
	removed  []string // another review's files, removed
	kept     []string // files with a review's name that no review wrote, left alone
	errs     []error
}

// outputSet is what writeOutputs writes: the files of one review, or of
// one verification, by format.
type outputSet struct {
	what  string                   // "review" or "verification"
	base  string                   // the files' name, without the format's extension
	id    string                   // the review's CR-… or the verification's CV-…
	idOf  func(path string) string // reads that id back from a file
	kinds []string                 // every format a set of this kind may have
	files []outputFile             // the formats asked for, in order
}

type outputFile struct {
	format string
	write  func(io.Writer) error
}

// reviewOutputs is the output set of a review in the formats asked for.
func reviewOutputs(r *formats.Review, fmts []formats.Format) outputSet {
	base := r.Name
	if base == "" {
		base = analyze.OutputBase
	}
	set := outputSet{what: "review", base: base, id: r.ID, idOf: formats.ReviewIDOf, kinds: formats.Names()}
	for _, f := range fmts {
		set.files = append(set.files, outputFile{f.Name(), func(w io.Writer) error { return f.Write(w, r) }})
	}
	return set
}

// writeOutputs writes a set of outputs into dir as one: the folder is
// locked, every file is written beside its name, in parallel, and only
// when all are complete are they put in place, together; after a failure
// or an interrupt none is. Files of the set's other formats that belong to
// another review (or verification) are removed, so that the folder never
// holds two reviews' files side by side; files credreview did not write
// are left alone. A workbook a board has decided in, or a script of its
// approvals, is never replaced nor removed: the run stops first, and says
// so.
func writeOutputs(ctx context.Context, dir string, o outputSet) (out written) {
	fail := func(err ...error) written { return written{errs: err} }
	base := o.base
	set, err := lockOutputs(dir)
	if err != nil {
		return fail(err)
	}
	defer set.Close()

	mine := map[string]bool{}
	for _, f := range o.files {
		mine[base+"."+f.format] = true
	}
	var stale, decided []string
	for _, kind := range o.kinds {
		name := base + "." + kind
		path := filepath.Join(dir, name)
		if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		id := o.idOf(path)
		if formats.HoldsDecisions(path) && (mine[name] || id != o.id) {
			decided = append(decided, path)
			continue
		}
		switch {
		case mine[name] && id == o.id:
			out.replaced = append(out.replaced, path+" (the same "+o.what+")")
		case mine[name] && id != "":
			out.replaced = append(out.replaced, path+" ("+o.what+" "+id+")")
		case mine[name]:
			out.replaced = append(out.replaced, path)
		case id == "":
			out.kept = append(out.kept, path)
		case id != o.id:
			stale = append(stale, path)
		}
	}
	if len(decided) > 0 {
		var errs []error
		for _, path := range decided {
			errs = append(errs, fmt.Errorf("%s holds a change board's decisions, which this run would lose; move it, or write this %s to another folder with -o", path, o.what))
		}
		return fail(errs...)
	}

	errc := make([]error, len(o.files))
	var wg sync.WaitGroup
	for i, f := range o.files {
		wg.Go(func() {
			name := base + "." + f.format
			if err := set.Stage(name, f.write); err != nil {
				errc[i] = fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		// The writers fail at their next write; give them a moment to
		// remove their files (a file still open cannot be removed
		// everywhere), but no more.
		set.Abort()
		select {
		case <-done:
		case <-time.After(time.Second):
		}
		return fail(fmt.Errorf("interrupted while writing; nothing was written in %s", dir))
	}
	var errs []error
	for _, err := range errc {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		set.Abort()
		return fail(errs...)
	}
	placed, err := set.Commit(ctx)
	if err != nil {
		return fail(err)
	}
	for _, f := range o.files { // in the order asked for
		path := filepath.Join(dir, base+"."+f.format)
		if slices.Contains(placed, path) {
			out.files = append(out.files, path)
		}
	}
	for _, path := range stale {
		if err := os.Remove(path); err != nil {
			out.errs = append(out.errs, fmt.Errorf("remove %s of another %s: %w", path, o.what, err))
			continue
		}
		out.removed = append(out.removed, path)
	}
	return out
}

// said prints what writeOutputs did and the run's summary, and reports
// whether all went well.
func said(ui *ui, dir string, set outputSet, w written, summary string) bool {
	for _, r := range w.replaced {
		ui.infof("replaced %s", r)
	}
	for _, r := range w.removed {
		ui.infof("removed %s: it was of another %s", r, set.what)
	}
	for _, k := range w.kept {
		ui.warnf("%s has the name of a %s's file but no %s id: left as it is", k, set.what, set.what)
	}
	if len(w.files) > 0 {
		summary += "; wrote " + strings.Join(w.files, ", ")
	}
	ui.infof("%s", summary)
	for _, err := range w.errs {
		ui.errorf("%v", err)
	}
	if len(w.errs) > 0 && len(w.files) == 0 {
		ui.errorf("nothing was written in %s: the outputs of one %s are put in place together or not at all", dir, set.what)
	}
	return len(w.errs) == 0
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

func describeError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
