// Package verify is credreview verify: it reads an earlier review's JSON and
// newer evidence, says what became of each finding of the review, and
// writes that as a verification, a set of files like a review's.
package verify

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/credreview/credreview/analyze"
	"github.com/credreview/credreview/formats"
	"github.com/credreview/credreview/internal/cli"
	"github.com/credreview/credreview/internal/custody"
	"github.com/credreview/credreview/internal/outputset"
)

// Command is credreview verify.
func Command() *cli.Command {
	return &cli.Command{
		Name:    "verify",
		Summary: "say what newer reports show of an earlier review's findings",
		Usage:   usage,
		Flags:   func() *pflag.FlagSet { return new(flags).flagSet() },
		Run:     cli.WithFlags(parse, usage, run),
	}
}

const usage = `Usage:
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
the review was made from, which is not used. The review's JSON is held to
its manifest (credential-review.manifest.json, which analyze writes beside
it): a JSON that no longer matches it is refused.

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
        --inputs DIR         Analyse the review's own inputs again, found in
                             DIR by their SHA-256, with the review's
                             options, and refuse a review whose findings
                             differ from theirs: no edit to the review's
                             JSON passes, with or without a signature.
        --allowed-signers FILE
                             Require the review's manifest, and each
                             evidence manifest, to be signed by a key FILE
                             names (ssh-keygen's allowed signers format).
        --sign-key FILE      Sign the verification's manifest with this
                             OpenSSH private key.
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

// base names verify's files.
const base = "credential-verification"

// kinds are the formats verify writes, in the order of its --format help.
var kinds = []string{"xlsx", "md", "json"}

// flags are verify's options, checked.
type flags struct {
	review, inputs string
	cli.OutputFlags
	cli.CustodyFlags
	cli.CommonFlags

	paths   []string
	formats []formats.VerificationFormat
}

func (fl *flags) flagSet() *pflag.FlagSet {
	fs := cli.NewFlagSet("verify")
	fs.StringVar(&fl.review, "review", "", "")
	fs.StringVar(&fl.inputs, "inputs", "", "")
	fl.OutputFlags.Register(fs, base)
	fl.CustodyFlags.Register(fs, true)
	fl.CommonFlags.Register(fs)
	cli.CompleteDir(fs, "inputs")
	return fs
}

func parse(args []string) (flags, error) {
	var fl flags
	fs := fl.flagSet()
	if err := fs.Parse(args); err != nil {
		return fl, cli.Usagef("%v", err)
	}
	if fl.Help {
		return fl, nil
	}
	fl.paths = fs.Args()
	switch {
	case fl.review == "":
		return fl, cli.Usagef("--review FILE is required: the credential-review.json of the review to verify (credreview analyze -f json writes it)")
	case len(fl.paths) == 0:
		return fl, cli.Usagef("no PATH given: name the newer reports, inventories or directories, or - for standard input")
	}
	if err := fl.OutputFlags.Check(); err != nil {
		return fl, err
	}
	names, bad := cli.FormatNames(fl.Format, kinds)
	if bad != "" {
		return fl, cli.Usagef("verify writes no format %q (want %s)", bad, strings.Join(kinds, ", "))
	}
	for _, name := range names {
		fl.formats = append(fl.formats, formats.VerificationFormats[name])
	}
	switch {
	case len(fl.formats) == 0:
		return fl, cli.Usagef("--format names no format")
	case fl.Out == "-" && len(fl.formats) > 1:
		return fl, cli.Usagef("-o - writes one format to standard output, but --format %s names %d; add -f json, -f md or -f xlsx", fl.Format, len(fl.formats))
	}
	return fl, nil
}

// run verifies a review against newer evidence and writes what it found.
func run(ctx context.Context, fl flags, stdin io.Reader, stdout io.Writer, ui *cli.UI) error {
	if fl.Out == "-" && fl.formats[0].Name() == "xlsx" && ui.Terminal(stdout) {
		return cli.Usagef("-f xlsx -o - would write a zip archive to the terminal; redirect standard output to a file, or write into a folder with -o DIR")
	}
	signer, err := fl.Signer(ctx, ui)
	if err != nil {
		return err
	}
	verifier, err := fl.Verifier()
	if err != nil {
		return err
	}
	review, digest, err := formats.ReadReviewFile(fl.review)
	if err != nil {
		return fmt.Errorf("--review %v", err)
	}
	sealed, err := custody.CheckFile(formats.ManifestOf(fl.review), filepath.Base(fl.review), review.ID, func(f custody.File) error {
		if f.SHA256 != digest {
			return fmt.Errorf("its SHA-256 is %s, the manifest's %s: it was changed after analyze wrote it", digest, f.SHA256)
		}
		return nil
	}, verifier)
	if err != nil {
		ui.Errorf("--review %s: %v; nothing was verified", fl.review, err)
		ui.Hintf("verify the review as analyze wrote it, or analyse its inputs again")
		return cli.ErrReported
	}
	if sealed.Manifest == "" {
		ui.Warnf("--review %s: %s", fl.review, sealed.Statement())
	}
	if fl.inputs != "" {
		if diffs := analyze.Rederive(ctx, review.Result, fl.review, fl.inputs); len(diffs) > 0 {
			for _, p := range diffs {
				ui.Errorf("%s", p.Error())
				if p.Hint != "" {
					ui.Hintf("%s", p.Hint)
				}
			}
			ui.Errorf("--review %s is refused: it is not the review of its inputs in %s; nothing was verified", fl.review, fl.inputs)
			return cli.ErrReported
		}
		ui.Infof("--review %s is the review of its inputs in %s, analysed again", fl.review, fl.inputs)
	}
	// The review's checks and periods, but not an --as-of it was given:
	// the newer evidence's ages are measured to its own time.
	opts := review.Options
	opts.AsOf = time.Time{}
	opts.Exceptions = fl.Exceptions
	opts.AllowedSigners = fl.AllowedSigners
	res, v, problems, warnings := analyze.VerifyEvidence(ctx, review.Result, fl.paths, stdin, opts)
	cli.RelaxGC()
	if ctx.Err() != nil {
		ui.Errorf("interrupted before every input was read; nothing was written")
		return cli.ErrReported
	}
	for _, p := range append(append([]analyze.Problem(nil), res.Errors...), problems...) {
		ui.Errorf("%s", p.Error())
		if p.Hint != "" {
			ui.Hintf("%s", p.Hint)
		}
	}
	for _, p := range append(append([]analyze.Problem(nil), res.Warnings...), warnings...) {
		ui.Warnf("%s", p.Error())
	}
	if len(res.Reports) == 0 {
		ui.Errorf("no credential report could be read; nothing was written")
		return cli.ErrReported
	}
	tool := formats.Tool{Name: "credreview", Version: cli.Version}
	ver := &formats.Verification{
		Tool: tool, Review: review, Newer: formats.NewReview(tool, res), Verification: v,
		Problems: problems, Warnings: warnings, Source: fl.review, SHA256: digest, Paper: fl.PaperSize,
	}
	summary := formats.VerificationSummary(ver)
	if fl.Out == "-" {
		if err := fl.formats[0].WriteVerification(stdout, ver); err != nil {
			ui.Infof("%s", summary)
			ui.Errorf("write standard output: %v", err)
			return cli.ErrReported
		}
		ui.Infof("%s", summary)
	} else {
		id := formats.VerificationID(ver)
		set := &outputset.Set{What: "verification", Base: fl.Name, ID: id, IDOf: formats.VerificationIDOf, Kinds: append(kinds, outputset.ManifestExt, outputset.SignatureExt)}
		for _, f := range fl.formats {
			set.Files = append(set.Files, outputset.File{Ext: f.Name(), Write: func(w io.Writer) error { return f.WriteVerification(w, ver) }})
		}
		set.SealWith(custody.Manifest{ManifestVersion: custody.Version, Kind: custody.KindVerification, Tool: custody.Tool{Name: tool.Name, Version: tool.Version},
			SealedBy: "verify", Created: formats.Stamp(formats.NewestAsOf(ver.Newer)), ReviewID: id}, signer, nil)
		if !outputset.Write(ctx, fl.Out, set).Say(ui, summary) {
			return cli.ErrReported
		}
	}
	switch {
	case len(res.Errors) > 0 || len(problems) > 0:
		return cli.ErrReported
	case fl.FailLevel != analyze.SeverityNone && v.FailsAtOrAbove(fl.FailLevel):
		ui.Infof("a finding at or above --fail-on %s is still active, or could not be verified", fl.FailLevel)
		return cli.ErrFindings
	}
	return nil
}
