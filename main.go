// Command credreview reviews AWS IAM credential reports for access keys that
// were created during a console user's initial setup, and writes what a
// change board needs to remove them.
//
// # Exit codes
//
//	0  done
//	1  some input or output failed; everything readable was analysed and written
//	2  usage error
//	3  findings at or above --fail-on
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/pflag"

	"github.com/credreview/credreview/analyze"
	"github.com/credreview/credreview/fetch"
	"github.com/credreview/credreview/formats"
	"github.com/credreview/credreview/internal/atomicfile"
)

// version is the release; outputs name it, so it is a constant rather than
// build metadata that would make two builds' outputs differ.
const version = "0.1.0"

const usage = `credreview reviews AWS IAM credential reports for access keys created during a
console user's initial setup (CIS AWS Foundations 1.21 / 1.11 / 1.10 / 2.10),
and writes the change-board package: a workbook, a change request with the
exact aws iam commands, JSON and a script.

Usage:
    credreview analyze [options] PATH...
    credreview fetch [options] -o DIR
    credreview version

analyze reads reports offline; fetch exports them from AWS, with the key
ids, on a connected machine. Run "credreview analyze --help" or
"credreview fetch --help" for the options.

Exit codes:
    0  done
    1  some input or output failed (analyze: everything readable was
       analysed and written; fetch: the other accounts were saved)
    2  usage error
    3  analyze: findings at or above --fail-on

Examples:
    credreview analyze -o review/ reports/
    credreview fetch --profile prod -o evidence/ && credreview analyze evidence/
    credreview version
`

const analyzeUsage = `Usage:
    credreview analyze [options] PATH...

PATH is a credential report (the CSV that AWS writes, or the JSON that
aws iam get-credential-report prints, either one optionally gzipped), a key
inventory (the JSON that aws iam list-access-keys prints), a directory of
them (searched recursively), or - for standard input. Files are recognised
by their content, not their names.

A console user's access key is a setup-time key when it was created at most
--setup-window after the user. Its severity:
    high    active and never used: the CIS control fails
    medium  active and used: does the person need programmatic access?
    low     inactive: delete it to finish the job

Options:
    -o, --out DIR            Write credential-review.<format> files in DIR
                             (default .). With -o -, write the one requested
                             format to standard output.
    -f, --format LIST        Comma-separated list of xlsx, md, json, sh
                             (default xlsx,md).
        --setup-window D     Setup window, such as 10s, 15m or 1h (default 1h).
        --as-of TIME         Measure ages to TIME (2026-11-20 or
                             2026-11-20T12:00:00Z) instead of each report's
                             generated time, else its newest timestamp.
        --fail-on SEVERITY   Exit 3 when a finding is at or above SEVERITY:
                             none (default), low, medium or high.
    -q, --quiet              Print errors only.
    -h, --help               Print this help.

Exit codes:
    0  done
    1  some input or output failed; everything readable was analysed and written
    2  usage error
    3  findings at or above --fail-on

Examples:
    credreview analyze reports/
    credreview analyze -f json -o - 123456789012.csv.gz
    aws iam get-credential-report | credreview analyze -f md -o - -
`

const fetchUsage = `Usage:
    credreview fetch [options] -o DIR

Exports each account's credential report and the access keys of its users,
as the evidence that credreview analyze reads offline: in DIR,
ACCOUNT.credential-report.json as aws iam get-credential-report prints it
(the report IAM returned, unchanged) and ACCOUNT.access-keys.json as
aws iam list-access-keys prints it (all users merged). Files are written
whole or not at all. The credentials need iam:GenerateCredentialReport,
iam:GetCredentialReport and iam:ListAccessKeys.

Credentials and endpoints come from the AWS SDK's standard configuration:
environment variables, the shared config and credentials files (named and
SSO profiles), AWS_ENDPOINT_URL_IAM and AWS_ENDPOINT_URL.

Options:
    -o, --out DIR          Save the files in DIR, created if missing.
        --profile NAME     Export the account of profile NAME; repeat for
                           several accounts (default: the default
                           credentials).
        --role-arn ARN     Assume role ARN from the base credentials (the
                           one --profile, or the default) and export its
                           account; repeat for several accounts.
        --region REGION    Region for the SDK and STS (default: from the
                           configuration, else us-east-1).
        --timeout D        Give up on an account after D (default 10m).
    -q, --quiet            Print errors only.
    -h, --help             Print this help.

IAM may take a while to generate a report, and may throttle: fetch waits
with growing pauses and retries, within --timeout. One account failing does
not stop the others; a summary says what was saved and what failed.

Exit codes:
    0  every account was saved
    1  some account failed; the others were saved
    2  usage error

Examples:
    credreview fetch --profile prod --profile staging -o evidence/
    credreview fetch --role-arn arn:aws:iam::123456789012:role/Audit -o evidence/
`

func main() {
	tuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err))
}

// tuneGC trades memory the run can spare for time: a batch's live heap is
// small (the findings), but it allocates as it reads, and at the default
// GOGC the collector runs every few megabytes. A soft limit keeps the heap
// bounded all the same. GOGC and GOMEMLIMIT in the environment win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(100 << 20)
	}
}

// Errors that set the exit code; everything else exits 1.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

var (
	errFindings = errors.New("findings at or above --fail-on")
	// errReported means the failure was already printed.
	errReported = errors.New("failed")
)

func exitCode(err error) int {
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		return 2
	case errors.Is(err, errFindings):
		return 3
	}
	return 1
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	ui := &ui{w: stderr, tty: isTerminal(stderr)}
	err := dispatch(ctx, args, stdin, stdout, ui)
	var ue *usageError
	switch {
	case errors.As(err, &ue):
		ui.errorf("%s", ue.msg)
		ui.hintf(`run "credreview %s--help" for usage`, ui.command)
	case err != nil && !errors.Is(err, errReported) && !errors.Is(err, errFindings):
		ui.errorf("%v", err)
	}
	return err
}

func dispatch(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, ui *ui) error {
	if len(args) == 0 {
		io.WriteString(ui.w, usage)
		return &usageError{"no command given"}
	}
	switch args[0] {
	case "-h", "--help", "help":
		_, err := io.WriteString(stdout, usage)
		return err
	case "version", "--version":
		if len(args) > 1 {
			return &usageError{fmt.Sprintf("version takes no arguments, but was given %q", args[1:])}
		}
		_, err := fmt.Fprintf(stdout, "credreview %s\n", version)
		return err
	case "analyze":
		ui.command = "analyze "
		return analyzeCmd(ctx, args[1:], stdin, stdout, ui)
	case "fetch":
		ui.command = "fetch "
		return fetchCmd(ctx, args[1:], stdout, ui)
	}
	return &usageError{fmt.Sprintf("unknown command %q (want analyze, fetch or version)", args[0])}
}

// ui writes messages to stderr in one voice: "credreview: error: ...".
type ui struct {
	w       io.Writer
	quiet   bool
	tty     bool // stderr is a terminal: progress may be shown
	command string
}

// isTerminal reports whether w is a character device, as a terminal is.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progress shows, on a terminal, how far a batch has got: one line,
// rewritten at most ten times a second and cleared at the end.
type progress struct {
	w     io.Writer
	start time.Time
	last  time.Time
	shown bool
	now   func() time.Time
}

func (p *progress) update(pr analyze.Progress) {
	now := p.now()
	if now.Sub(p.last) < 100*time.Millisecond && pr.Done < pr.Total {
		return
	}
	p.last = now
	rate := ""
	if secs := now.Sub(p.start).Seconds(); secs > 0 {
		rate = fmt.Sprintf(", %s rows/s", humanCount(float64(pr.Rows)/secs))
	}
	fmt.Fprintf(p.w, "\rcredreview: %d/%d files, %s rows%s\x1b[K", pr.Done, pr.Total, humanCount(float64(pr.Rows)), rate)
	p.shown = true
}

// clear removes the progress line, so that the messages after it start
// at the beginning of a line.
func (p *progress) clear() {
	if p != nil && p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

// humanCount writes 1234567 as 1.2M.
func humanCount(n float64) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", n/1e6)
	case n >= 1e4:
		return fmt.Sprintf("%.0fk", n/1e3)
	}
	return fmt.Sprintf("%.0f", n)
}

func (u *ui) errorf(format string, args ...any) {
	fmt.Fprintf(u.w, "credreview: error: "+format+"\n", args...)
}

func (u *ui) hintf(format string, args ...any) {
	fmt.Fprintf(u.w, "credreview: hint: "+format+"\n", args...)
}

func (u *ui) warnf(format string, args ...any) {
	if !u.quiet {
		fmt.Fprintf(u.w, "credreview: warning: "+format+"\n", args...)
	}
}

func (u *ui) infof(format string, args ...any) {
	if !u.quiet {
		fmt.Fprintf(u.w, "credreview: "+format+"\n", args...)
	}
}

type analyzeFlags struct {
	out, format, asOf, failOn string
	window                    time.Duration
	quiet, help               bool
}

func analyzeCmd(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, ui *ui) error {
	var fl analyzeFlags
	fs := pflag.NewFlagSet("analyze", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVarP(&fl.out, "out", "o", ".", "")
	fs.StringVarP(&fl.format, "format", "f", "xlsx,md", "")
	fs.DurationVar(&fl.window, "setup-window", analyze.DefaultSetupWindow, "")
	fs.StringVar(&fl.asOf, "as-of", "", "")
	fs.StringVar(&fl.failOn, "fail-on", "none", "")
	fs.BoolVarP(&fl.quiet, "quiet", "q", false, "")
	fs.BoolVarP(&fl.help, "help", "h", false, "")
	if err := fs.Parse(args); err != nil {
		return &usageError{err.Error()}
	}
	if fl.help {
		_, err := io.WriteString(stdout, analyzeUsage)
		return err
	}
	ui.quiet = fl.quiet
	paths := fs.Args()
	if len(paths) == 0 {
		return &usageError{"no PATH given: name report files or directories, or - for standard input"}
	}
	if fl.window < 0 {
		return &usageError{fmt.Sprintf("--setup-window %s is negative", fl.window)}
	}
	if fl.window%time.Second != 0 {
		return &usageError{fmt.Sprintf("--setup-window %s is not a whole number of seconds, and reports have times to the second", fl.window)}
	}
	failOn, err := analyze.ParseSeverity(fl.failOn)
	if err != nil {
		return &usageError{"--fail-on: " + err.Error()}
	}
	opts := analyze.Options{SetupWindow: fl.window}
	if fl.asOf != "" {
		if opts.AsOf, err = parseAsOf(fl.asOf); err != nil {
			return &usageError{err.Error()}
		}
	}
	fmts, err := parseFormats(fl.format)
	if err != nil {
		return err
	}
	if fl.out == "-" && len(fmts) > 1 {
		if !fs.Changed("format") {
			return &usageError{fmt.Sprintf("-o - writes one format to standard output, but the default --format %s names %d; add -f md, -f json, -f xlsx or -f sh", fl.format, len(fmts))}
		}
		return &usageError{fmt.Sprintf("-o - writes one format to standard output, but --format names %d", len(fmts))}
	}

	var pr *progress
	if ui.tty && !ui.quiet {
		pr = &progress{w: ui.w, now: time.Now}
		pr.start = pr.now()
		opts.Progress = pr.update
	}
	res := analyze.Analyze(ctx, paths, stdin, opts)
	pr.clear()
	if ctx.Err() != nil {
		// A review of part of the inputs must not pass for the whole.
		ui.errorf("interrupted before every input was read; nothing was written")
		return errReported
	}
	return report(ctx, res, fl, fmts, failOn, stdout, ui)
}

// report prints the problems of an analysis, writes the outputs and says
// what was done.
func report(ctx context.Context, res *analyze.Result, fl analyzeFlags, fmts []formats.Format, failOn analyze.Severity, stdout io.Writer, ui *ui) error {
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

	review := &formats.Review{Tool: formats.Tool{Name: "credreview", Version: version}, Result: res}
	written, werr := writeOutputs(ctx, fl.out, fmts, review, stdout)
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
	case failOn != analyze.SeverityNone && res.Highest() >= failOn:
		ui.infof("findings at or above --fail-on %s", failOn)
		return errFindings
	}
	return nil
}

// parseAsOf reads a date or an RFC 3339 time.
func parseAsOf(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("--as-of %q is not a date (2026-11-20) or a time (2026-11-20T12:00:00Z)", s)
}

func parseFormats(list string) ([]formats.Format, error) {
	var out []formats.Format
	seen := map[string]bool{}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" || seen[name] {
			continue
		}
		f, ok := formats.Lookup(name)
		if !ok {
			return nil, &usageError{fmt.Sprintf("unknown format %q (want %s)", name, strings.Join(formats.Names(), ", "))}
		}
		seen[name] = true
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, &usageError{"--format names no format"}
	}
	return out, nil
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

type fetchFlags struct {
	out, region     string
	profiles, roles []string
	timeout         time.Duration
	quiet, help     bool
}

func fetchCmd(ctx context.Context, args []string, stdout io.Writer, ui *ui) error {
	var fl fetchFlags
	fs := pflag.NewFlagSet("fetch", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVarP(&fl.out, "out", "o", "", "")
	fs.StringArrayVar(&fl.profiles, "profile", nil, "")
	fs.StringArrayVar(&fl.roles, "role-arn", nil, "")
	fs.StringVar(&fl.region, "region", "", "")
	fs.DurationVar(&fl.timeout, "timeout", 10*time.Minute, "")
	fs.BoolVarP(&fl.quiet, "quiet", "q", false, "")
	fs.BoolVarP(&fl.help, "help", "h", false, "")
	if err := fs.Parse(args); err != nil {
		return &usageError{err.Error()}
	}
	if fl.help {
		_, err := io.WriteString(stdout, fetchUsage)
		return err
	}
	ui.quiet = fl.quiet
	switch {
	case fs.NArg() > 0:
		return &usageError{fmt.Sprintf("fetch takes no arguments, but was given %q", fs.Args())}
	case fl.out == "" || fl.out == "-":
		return &usageError{"-o DIR is required: the folder to save the reports and key inventories in"}
	case fl.timeout <= 0:
		return &usageError{fmt.Sprintf("--timeout %s must be positive", fl.timeout)}
	case len(fl.roles) > 0 && len(fl.profiles) > 1:
		return &usageError{"--role-arn assumes roles from one base profile; give at most one --profile with it"}
	}
	if err := os.MkdirAll(fl.out, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", fl.out, err)
	}

	opts := fetch.DefaultOptions(fl.out)
	opts.Timeout = fl.timeout
	opts.Progress = func(target, msg string) { ui.infof("fetch: %s: %s", target, msg) }
	targets, failed := fetchTargets(ctx, fl)
	saved := fetch.All(ctx, targets, opts)
	saved = append(failed, saved...)
	var ok, bad []string
	for _, s := range saved {
		for _, w := range s.Warnings {
			ui.warnf("fetch: %s: %s", s.Target, w)
		}
		if s.Err != nil {
			ui.errorf("fetch: %s: %v", s.Target, s.Err)
			if errors.Is(s.Err, fetch.ErrAccessDenied) {
				ui.hintf("grant %s to these credentials, or use others with --profile or --role-arn", fetch.Permissions)
			}
			bad = append(bad, s.Target)
			continue
		}
		ok = append(ok, s.Account)
	}
	summary := fmt.Sprintf("fetch: saved %s in %s", plural(len(ok), "account", "accounts"), fl.out)
	if len(ok) > 0 {
		summary += " (" + strings.Join(ok, ", ") + ")"
	}
	if len(bad) > 0 {
		summary += fmt.Sprintf("; %d failed (%s)", len(bad), strings.Join(bad, ", "))
	}
	ui.infof("%s", summary)
	if len(bad) > 0 {
		return errReported
	}
	return nil
}

// fetchTargets turns the flags into the accounts to export: one per role,
// assumed from the base credentials, or else one per profile, or else the
// default credentials. A profile that cannot be loaded is a failed account.
func fetchTargets(ctx context.Context, fl fetchFlags) (targets []fetch.Target, failed []fetch.Saved) {
	load := func(profile string) (aws.Config, error) {
		var lo []func(*config.LoadOptions) error
		if profile != "" {
			lo = append(lo, config.WithSharedConfigProfile(profile))
		}
		if fl.region != "" {
			lo = append(lo, config.WithRegion(fl.region))
		}
		cfg, err := config.LoadDefaultConfig(ctx, lo...)
		if err == nil && cfg.Region == "" {
			cfg.Region = "us-east-1" // IAM is global; the SDK still wants a region
		}
		return cfg, err
	}
	name := func(profile string) string {
		if profile == "" {
			return "default credentials"
		}
		return "profile " + profile
	}
	if len(fl.roles) > 0 {
		base := ""
		if len(fl.profiles) == 1 {
			base = fl.profiles[0]
		}
		cfg, err := load(base)
		if err != nil {
			return nil, []fetch.Saved{{Target: name(base), Err: err}}
		}
		client := sts.NewFromConfig(cfg)
		for _, arn := range fl.roles {
			c := cfg.Copy()
			c.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(client, arn, func(o *stscreds.AssumeRoleOptions) {
				o.RoleSessionName = "credreview-fetch"
			}))
			targets = append(targets, fetch.Target{Name: "role " + arn, Config: c})
		}
		return targets, nil
	}
	profiles := fl.profiles
	if len(profiles) == 0 {
		profiles = []string{""}
	}
	for _, p := range profiles {
		cfg, err := load(p)
		if err != nil {
			failed = append(failed, fetch.Saved{Target: name(p), Err: err})
			continue
		}
		targets = append(targets, fetch.Target{Name: name(p), Config: cfg})
	}
	return targets, failed
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
