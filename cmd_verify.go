package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/credreview/credreview/analyze"
	"github.com/credreview/credreview/formats"
)

const verifyUsage = `Usage:
    credreview verify --review REVIEW.json [options] PATH...

Reads the JSON of an earlier review (credreview analyze -f json) and newer
evidence (reports and key inventories, as analyze reads them), analyses the
evidence with the review's checks and periods, and says of every finding of
the review:
    remediated    the credential is gone: the key's slot is empty or holds
                  a key created later, an inventory no longer lists its id,
                  or the check no longer finds it
    deactivated   the key is still there, Inactive: delete it to finish
    still-active  nothing has changed
    user-deleted  the newer report has no row for the user
    unknown       the newer evidence has no report of the account, or it
                  cannot speak for it (a row of it could not be read, or
                  the inventories disagree)
It also lists the findings of the newer evidence that the review did not
have. A newer report older than the review's, or one the review was made
from, is an error, and leaves its account unknown; so is a key inventory
the review was made from, which is not used.

Options:
        --review FILE        The review's JSON (required).
    -o, --out DIR            Write credential-verification.<format> files in
                             DIR (default .). With -o -, write the one
                             requested format to standard output.
    -f, --format LIST        Comma-separated list of xlsx, md, json (default
                             xlsx,md,json).
        --name NAME          Name the files NAME.<format> (default
                             credential-verification).
        --exceptions FILE    Except the newer evidence's findings that FILE
                             names, as analyze does: not listed as new.
                             Repeat for several files.
        --fail-on SEVERITY   Exit 3 when a finding at or above SEVERITY is
                             still active or unknown (not counting excepted
                             ones): none (default), low, medium or high.
        --paper SIZE         Lay the workbook out for a4 (default) or letter.
    -q, --quiet              Print errors only.
    -h, --help               Print this help.

Exit codes:
    0  done
    1  some input or output failed; everything readable was verified and written
    2  usage error
    3  a finding at or above --fail-on is still active, or unknown

Examples:
    credreview verify --review review/credential-review.json -o review/ evidence-after/
    credreview verify --review credential-review.json -f json -o - --fail-on high after.csv
`

// verifyFlags are verify's options, checked.
type verifyFlags struct {
	review string
	outputFlags
	commonFlags

	paths   []string
	formats []formats.VerificationFormat
}

func (fl *verifyFlags) flagSet() *pflag.FlagSet {
	fs := newFlagSet("verify")
	fs.StringVar(&fl.review, "review", "", "")
	fl.outputFlags.register(fs, verificationBase)
	fl.commonFlags.register(fs)
	return fs
}

// verificationBase names verify's files.
const verificationBase = "credential-verification"

// verificationFormats are the formats verify writes, in the order of its
// --format help.
var verificationFormats = []string{"xlsx", "md", "json"}

func parseVerify(args []string) (verifyFlags, error) {
	var fl verifyFlags
	fs := fl.flagSet()
	if err := fs.Parse(args); err != nil {
		return fl, &usageError{err.Error()}
	}
	if fl.help {
		return fl, nil
	}
	fl.paths = fs.Args()
	switch {
	case fl.review == "":
		return fl, &usageError{"--review FILE is required: the credential-review.json of the review to verify (credreview analyze -f json writes it)"}
	case len(fl.paths) == 0:
		return fl, &usageError{"no PATH given: name the newer reports, inventories or directories, or - for standard input"}
	}
	if err := fl.outputFlags.check(); err != nil {
		return fl, err
	}
	names, bad := formatNames(fl.format, verificationFormats)
	if bad != "" {
		return fl, &usageError{fmt.Sprintf("verify writes no format %q (want %s)", bad, strings.Join(verificationFormats, ", "))}
	}
	for _, name := range names {
		fl.formats = append(fl.formats, formats.VerificationFormats[name])
	}
	switch {
	case len(fl.formats) == 0:
		return fl, &usageError{"--format names no format"}
	case fl.out == "-" && len(fl.formats) > 1:
		return fl, &usageError{fmt.Sprintf("-o - writes one format to standard output, but --format %s names %d; add -f json, -f md or -f xlsx", fl.format, len(fl.formats))}
	}
	return fl, nil
}

// verifyCmd verifies a review against newer evidence and writes what it
// found.
func verifyCmd(ctx context.Context, fl verifyFlags, stdin io.Reader, stdout io.Writer, ui *ui) error {
	if fl.out == "-" && fl.formats[0].Name() == "xlsx" && isTerminal(stdout) {
		return &usageError{"-f xlsx -o - would write a zip archive to the terminal; redirect standard output to a file, or write into a folder with -o DIR"}
	}
	review, digest, err := formats.ReadReviewFile(fl.review)
	if err != nil {
		return fmt.Errorf("--review %v", err)
	}
	// The review's checks and periods, but not an --as-of it was given:
	// the newer evidence's ages are measured to its own time.
	opts := review.Options
	opts.AsOf = time.Time{}
	opts.Exceptions = fl.exceptions
	res, v, problems, warnings := analyze.VerifyEvidence(ctx, review.Result, fl.paths, stdin, opts)
	relaxGC()
	if ctx.Err() != nil {
		ui.errorf("interrupted before every input was read; nothing was written")
		return errReported
	}
	for _, p := range append(append([]analyze.Problem(nil), res.Errors...), problems...) {
		ui.errorf("%s", p.Error())
		if p.Hint != "" {
			ui.hintf("%s", p.Hint)
		}
	}
	for _, p := range append(append([]analyze.Problem(nil), res.Warnings...), warnings...) {
		ui.warnf("%s", p.Error())
	}
	if len(res.Reports) == 0 {
		ui.errorf("no credential report could be read; nothing was written")
		return errReported
	}
	tool := formats.Tool{Name: "credreview", Version: version}
	ver := &formats.Verification{
		Tool: tool, Review: review, Newer: formats.NewReview(tool, res), Verification: v,
		Problems: problems, Warnings: warnings, Source: fl.review, SHA256: digest, Paper: fl.paperSize,
	}
	summary := formats.VerificationSummary(ver)
	if fl.out == "-" {
		if err := fl.formats[0].WriteVerification(stdout, ver); err != nil {
			ui.infof("%s", summary)
			ui.errorf("write standard output: %v", err)
			return errReported
		}
		ui.infof("%s", summary)
	} else {
		set := outputSet{what: "verification", base: fl.name, id: formats.VerificationID(ver), idOf: formats.VerificationIDOf, kinds: verificationFormats}
		for _, f := range fl.formats {
			set.files = append(set.files, outputFile{f.Name(), func(w io.Writer) error { return f.WriteVerification(w, ver) }})
		}
		if !said(ui, fl.out, set, writeOutputs(ctx, fl.out, set), summary) {
			return errReported
		}
	}
	switch {
	case len(res.Errors) > 0 || len(problems) > 0:
		return errReported
	case fl.failLevel != analyze.SeverityNone && v.FailsAtOrAbove(fl.failLevel):
		ui.infof("a finding at or above --fail-on %s is still active, or could not be verified", fl.failLevel)
		return errFindings
	}
	return nil
}
