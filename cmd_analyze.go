package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/credreview/credreview/analyze"
	"github.com/credreview/credreview/formats"
	"github.com/credreview/credreview/internal/atomicfile"
)

// analyzeCmd reads the inputs, prints their problems, writes the outputs and
// says what was done.
func analyzeCmd(ctx context.Context, fl analyzeFlags, stdin io.Reader, stdout io.Writer, ui *ui) error {
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
	written, werr := writeOutputs(ctx, fl.out, fl.formats, review, stdout)
	summary := formats.Summary(review)
	if len(written) > 0 && fl.out != "-" {
		summary += "; wrote " + strings.Join(written, ", ")
	}
	ui.infof("%s", summary)
	switch {
	case werr != nil:
		ui.errorf("%v", werr)
		return errReported
	case len(res.Errors) > 0:
		return errReported
	case fl.failLevel != analyze.SeverityNone && res.Highest() >= fl.failLevel:
		ui.infof("findings at or above --fail-on %s", fl.failLevel)
		return errFindings
	}
	return nil
}

// writeOutputs writes each format to its file, atomically: a temporary file
// renamed into place, so an interrupted run never leaves half a file. It
// goes on after a failure and reports the first.
func writeOutputs(ctx context.Context, dir string, fmts []formats.Format, r *formats.Review, stdout io.Writer) ([]string, error) {
	if dir == "-" {
		return []string{"standard output"}, fmts[0].Write(stdout, r)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create output directory: %w", err)
	}
	var written []string
	var first error
	for _, f := range fmts {
		path := filepath.Join(dir, analyze.OutputBase+"."+f.Name())
		if ctx.Err() != nil {
			return written, fmt.Errorf("interrupted: %s and the formats after it were not written", path)
		}
		if err := writeFile(ctx, path, f, r); err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		written = append(written, path)
	}
	return written, first
}

func writeFile(ctx context.Context, path string, f formats.Format, r *formats.Review) error {
	if err := atomicfile.Write(ctx, path, func(w io.Writer) error { return f.Write(w, r) }); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
