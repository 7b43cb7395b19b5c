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
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/credreview/credreview/analyze"
	"github.com/credreview/credreview/formats"
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
    credreview script --approved WORKBOOK [options]
    credreview verify --review REVIEW.json [options] PATH...
    credreview fetch [options] -o DIR
    credreview completion bash|zsh|fish
    credreview version
    credreview help [COMMAND]

analyze (or analyse) reads reports offline; script turns the workbook a
change board decided in into a script of what it approved; verify says what
newer reports show of each finding after the change; fetch exports reports,
with the key ids, on a connected machine. Run "credreview help COMMAND" or
"credreview COMMAND --help" for a command's options.

Exit codes:
    0  done
    1  some input or output failed (analyze, verify: everything readable
       was analysed and written; script: the workbook was refused; fetch:
       the other accounts were saved)
    2  usage error
    3  analyze: findings at or above --fail-on; verify: one still active

Examples:
    credreview analyze -o review/ reports/
    credreview script --approved review/credential-review.xlsx -o review/
    credreview verify --review review/credential-review.json -o review/ after/
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

It runs the checks --checks names (the CIS controls a credential report
can decide; by default setup-key). A console user's access key is a
setup-time key when it was created at most --setup-window after the user.
Its severity:
    high    active and never used: the CIS control fails
    medium  active and used: does the person need programmatic access?
    low     inactive: delete it to finish the job

Options:
    -o, --out DIR            Write credential-review.<format> files in DIR
                             (default .), replacing them and removing
                             another review's, but never a workbook that
                             holds a board's decisions. With -o -, write
                             the one requested format to standard output.
    -f, --format LIST        Comma-separated list of xlsx, md, json, sh,
                             csv (default xlsx,md,json: the JSON is what
                             verify reads).
        --name NAME          Name the files NAME.<format> (default
                             credential-review).
        --checks LIST        all, or some of setup-key, root-access-key,
                             root-mfa, root-used, console-mfa,
                             unused-credentials, two-active-keys,
                             key-rotation (default setup-key).
        --benchmark V        Show the control ids of CIS version V: cis-v1.2,
                             cis-v1.4, cis-v1.5, cis-v2.0, cis-v3.0, cis-v4.0,
                             cis-v5.0 or cis-v6.0 (default: the newest that
                             has the check). The JSON has every version's.
        --setup-window D     Setup window, such as 10s, 15m, 1h or 1d
                             (default 1h).
        --root-use-days N    root-used: the root user used within N days
                             (default 90).
        --unused-days N      unused-credentials: not used for N days or more
                             (default 45).
        --rotation-days N    key-rotation: an active key older than N days
                             (default 90).
        --as-of TIME         Measure ages to TIME (2026-11-20 or
                             2026-11-20T12:00:00Z) instead of each report's
                             GeneratedTime, else the newest time in any of
                             its time columns. Ages are decided in seconds
                             (more than 90 days: over 90x86400 s). A time
                             more than a day after this machine's clock is
                             an error and never sets the as-of time: give
                             --as-of to review an old export on a machine
                             whose clock is wrong.
        --fail-on SEVERITY   Exit 3 when a finding is at or above SEVERITY:
                             none (default), low, medium or high.
        --paper SIZE         Lay the workbook out for a4 (default) or
                             letter paper.
        --split accounts     Write a package per account, DIR/ACCOUNT/
                             credential-review.<format>, each the review of
                             that account's inputs alone, and an organisation
                             summary, DIR/credential-review-organisation.xlsx
                             and .md: per account, its findings by severity
                             and check, and its package.
        --exceptions FILE    Except the findings FILE names (YAML, as script
                             --approved writes it): shown apart, never in
                             the script, not counted for --fail-on, until
                             they expire. Repeat for several files.
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

const scriptUsage = `Usage:
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
or Excel.

Options:
        --approved FILE    The workbook the board decided in (required).
    -o, --out DIR          Write credential-review.sh in DIR (default .).
                           With -o -, write it to standard output.
        --name NAME        Name the script NAME.sh (default
                           credential-review).
        --exception-days N Write the findings the board rejected, with their
                           Reviewer and Notes, as NAME.exceptions.yaml, each
                           expiring N days (default 90) after its report's
                           as-of time, for analyze --exceptions.
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
	// Ctrl-C, SIGTERM and SIGHUP stop the run: what was read is not
	// written as if it were everything, and no temporary file is left. A
	// second signal ends the process at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() { <-ctx.Done(); stop() }()
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

// relaxGC raises the soft memory limit above what the analysis keeps, once
// it is done: the findings stay live while the outputs are written, and a
// limit below them would have the collector run without pause (a batch of
// 190,000 findings took twice as long). The limit stays at its 100 MiB for
// a batch whose findings fit in it.
func relaxGC() {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	runtime.GC() // what is live now, and the analysis's garbage gone
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	if limit := int64(s[0].Value.Uint64()) + 64<<20; limit > 100<<20 {
		debug.SetMemoryLimit(limit)
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

// command is one of credreview's commands: its name and aliases, its help,
// its flags (for completion and the man page), and what it does.
type command struct {
	name    string
	aliases []string
	summary string
	usage   string
	flags   func() *pflag.FlagSet // nil for a command without flags
	run     func(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, ui *ui) error
}

// commands are credreview's commands, in the order help lists them.
var commands []*command

func init() {
	commands = []*command{
		{name: "analyze", aliases: []string{"analyse"}, summary: "review credential reports offline and write the change-board package", usage: analyzeUsage,
			flags: func() *pflag.FlagSet { return new(analyzeFlags).flagSet() }, run: withFlags(parseAnalyze, analyzeUsage, analyzeCmd)},
		{name: "script", summary: "write the script of what a change board approved in its workbook", usage: scriptUsage,
			flags: func() *pflag.FlagSet { return new(scriptFlags).flagSet() }, run: withFlags(parseScript, scriptUsage, scriptCmd)},
		{name: "verify", summary: "say what newer reports show of an earlier review's findings", usage: verifyUsage,
			flags: func() *pflag.FlagSet { return new(verifyFlags).flagSet() }, run: withFlags(parseVerify, verifyUsage, verifyCmd)},
		{name: "fetch", summary: "export credential reports and key ids from AWS", usage: fetchUsage,
			flags: func() *pflag.FlagSet { return new(fetchFlags).flagSet() }, run: withFlags(parseFetch, fetchUsage, fetchCmd)},
		{name: "completion", summary: "print a shell completion script", usage: completionUsage, run: completionCmd},
		{name: "version", summary: "print the version and build", usage: versionUsage, run: versionCmd},
		{name: "help", summary: "print the help of credreview or of a command", usage: usage, run: helpCmd},
	}
}

// commonFlags are the options every command with flags has.
type commonFlags struct{ quiet, help bool }

func (c *commonFlags) register(fs *pflag.FlagSet) {
	fs.BoolVarP(&c.quiet, "quiet", "q", false, "")
	fs.BoolVarP(&c.help, "help", "h", false, "")
}

// outputFlags are the options of analyze and verify, which write a set of
// files: where, in which formats, named how, on which paper, and when to
// exit 3; and those exceptions apply.
type outputFlags struct {
	out, format, failOn, paper, name string
	exceptions                       []string

	failLevel analyze.Severity
	paperSize formats.Paper
}

func (o *outputFlags) register(fs *pflag.FlagSet, name string) {
	fs.StringVarP(&o.out, "out", "o", ".", "")
	fs.StringVarP(&o.format, "format", "f", "xlsx,md,json", "")
	fs.StringVar(&o.failOn, "fail-on", "none", "")
	fs.StringVar(&o.paper, "paper", "a4", "")
	fs.StringVar(&o.name, "name", name, "")
	fs.StringArrayVar(&o.exceptions, "exceptions", nil, "")
}

// check reads --fail-on and --paper, and checks --name.
func (o *outputFlags) check() error {
	var err error
	if o.failLevel, err = analyze.ParseSeverity(o.failOn); err != nil {
		return &usageError{"--fail-on: " + err.Error()}
	}
	if o.paperSize, err = formats.ParsePaper(o.paper); err != nil {
		return &usageError{"--paper: " + err.Error()}
	}
	return checkName(o.name)
}

func (c commonFlags) common() commonFlags { return c }

// withFlags makes a command's run from its parser and what it does: its
// help when asked for, its usage error, or the command run with its flags.
func withFlags[F interface{ common() commonFlags }](parse func([]string) (F, error), usage string,
	do func(context.Context, F, io.Reader, io.Writer, *ui) error) func(context.Context, []string, io.Reader, io.Writer, *ui) error {
	return func(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, ui *ui) error {
		fl, err := parse(args)
		c := fl.common()
		if err != nil || c.help {
			return helpOr(err, c.help, stdout, usage)
		}
		ui.quiet = c.quiet
		return do(ctx, fl, stdin, stdout, ui)
	}
}

// lookup finds a command by its name or an alias.
func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name || slices.Contains(c.aliases, name) {
			return c
		}
	}
	return nil
}

func dispatch(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, ui *ui) error {
	if len(args) == 0 {
		io.WriteString(ui.w, usage)
		return &usageError{"no command given"}
	}
	switch args[0] {
	case "-h", "--help":
		return helpCmd(ctx, args[1:], stdin, stdout, ui)
	case "-v", "--version":
		return versionCmd(ctx, args[1:], stdin, stdout, ui)
	}
	c := lookup(args[0])
	if c == nil {
		return unknownCommand(args[0])
	}
	if c.flags != nil {
		ui.command = c.name + " "
	}
	return c.run(ctx, args[1:], stdin, stdout, ui)
}

// unknownCommand says that name is no command, and which it may have meant.
func unknownCommand(name string) error {
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	msg := fmt.Sprintf("unknown command %q (want %s)", name, strings.Join(names, ", "))
	if near := nearest(name); near != "" {
		msg = fmt.Sprintf("unknown command %q; did you mean %s?", name, near)
	}
	return &usageError{msg}
}

// nearest is the command whose name or alias is closest to a typo: at most
// two edits away (three for a long word), or a prefix of three letters or
// more.
func nearest(typo string) string {
	best, dist := "", 3
	if len(typo) >= 7 {
		dist = 4
	}
	for _, c := range commands {
		for _, n := range append([]string{c.name}, c.aliases...) {
			d := editDistance(strings.ToLower(typo), n)
			if len(typo) >= 3 && strings.HasPrefix(n, strings.ToLower(typo)) {
				d = 1
			}
			if d < dist {
				best, dist = c.name, d
			}
		}
	}
	return best
}

// editDistance is the Levenshtein distance between two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// helpCmd prints the help of credreview, or of the command named.
func helpCmd(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, ui *ui) error {
	switch {
	case len(args) == 0:
		_, err := io.WriteString(stdout, usage)
		return err
	case len(args) > 1:
		return &usageError{fmt.Sprintf("help takes one command, but was given %q", args)}
	}
	c := lookup(args[0])
	if c == nil {
		return unknownCommand(args[0])
	}
	_, err := io.WriteString(stdout, c.usage)
	return err
}

// helpOr prints a command's help when asked for, or returns its usage error.
func helpOr(err error, help bool, stdout io.Writer, usage string) error {
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, usage)
	return err
}

// newFlagSet makes a command's flag set: errors are returned, not printed,
// and the help is the hand-written text above.
func newFlagSet(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// analyzeFlags are analyze's options, checked.
type analyzeFlags struct {
	asOf, checks, benchmark, split        string
	window                                days
	rootUseDays, unusedDays, rotationDays int
	outputFlags
	commonFlags

	paths   []string
	formats []formats.Format
	opts    analyze.Options
	bench   analyze.Benchmark
	changed func(string) bool
}

func (fl *analyzeFlags) flagSet() *pflag.FlagSet {
	fs := newFlagSet("analyze")
	fl.window = days(analyze.DefaultSetupWindow)
	fl.outputFlags.register(fs, analyze.OutputBase)
	fs.Var(&fl.window, "setup-window", "")
	fs.StringVar(&fl.asOf, "as-of", "", "")
	fs.StringVar(&fl.checks, "checks", analyze.CheckSetupKey, "")
	fs.StringVar(&fl.benchmark, "benchmark", "", "")
	fs.StringVar(&fl.split, "split", "", "")
	fs.IntVar(&fl.rootUseDays, "root-use-days", analyze.DefaultRootUseDays, "")
	fs.IntVar(&fl.unusedDays, "unused-days", analyze.DefaultUnusedDays, "")
	fs.IntVar(&fl.rotationDays, "rotation-days", analyze.DefaultRotationDays, "")
	fl.commonFlags.register(fs)
	fl.changed = fs.Changed
	return fs
}

// flagValues are the values of the flags that take one of a list, for
// completion.
func flagValues() map[string][]string {
	checks := []string{"all"}
	for _, c := range analyze.Checks {
		checks = append(checks, c.ID)
	}
	var benchmarks []string
	for _, b := range analyze.Benchmarks {
		benchmarks = append(benchmarks, string(b))
	}
	return map[string][]string{
		"format":    formats.Names(),
		"fail-on":   {"none", "low", "medium", "high"},
		"paper":     {"a4", "letter"},
		"checks":    checks,
		"benchmark": benchmarks,
		"split":     {"accounts"},
	}
}

func parseAnalyze(args []string) (analyzeFlags, error) {
	var fl analyzeFlags
	fs := fl.flagSet()
	if err := fs.Parse(args); err != nil {
		return fl, &usageError{err.Error()}
	}
	if fl.help {
		return fl, nil
	}
	window := time.Duration(fl.window)
	fl.paths = fs.Args()
	if len(fl.paths) == 0 {
		return fl, &usageError{"no PATH given: name report files or directories, or - for standard input"}
	}
	if window < 0 {
		return fl, &usageError{fmt.Sprintf("--setup-window %s is negative", window)}
	}
	if window%time.Second != 0 {
		return fl, &usageError{fmt.Sprintf("--setup-window %s is not a whole number of seconds, and reports have times to the second", window)}
	}
	if err := fl.outputFlags.check(); err != nil {
		return fl, err
	}
	var err error
	fl.opts = analyze.Options{SetupWindow: window, RootUseDays: fl.rootUseDays, UnusedDays: fl.unusedDays, RotationDays: fl.rotationDays, Exceptions: fl.exceptions}
	if fl.opts.Checks, err = analyze.ParseChecks(fl.checks); err != nil {
		return fl, &usageError{"--checks: " + err.Error()}
	}
	if fl.benchmark != "" {
		if fl.bench, err = analyze.ParseBenchmark(fl.benchmark); err != nil {
			return fl, &usageError{"--benchmark: " + err.Error()}
		}
	}
	for _, d := range []struct {
		name string
		v    int
	}{{"--root-use-days", fl.rootUseDays}, {"--unused-days", fl.unusedDays}, {"--rotation-days", fl.rotationDays}} {
		if d.v < 1 || d.v > 36600 {
			return fl, &usageError{fmt.Sprintf("%s %d is not from 1 to 36600", d.name, d.v)}
		}
	}
	if fl.asOf != "" {
		if fl.opts.AsOf, err = parseAsOf(fl.asOf); err != nil {
			return fl, &usageError{err.Error()}
		}
	}
	if fl.formats, err = parseFormats(fl.format); err != nil {
		return fl, err
	}
	switch {
	case fl.split != "" && fl.split != "accounts":
		return fl, &usageError{fmt.Sprintf("--split %q: the one way to split is --split accounts", fl.split)}
	case fl.split != "" && fl.out == "-":
		return fl, &usageError{"--split accounts writes a folder per account: give -o DIR, not -o -"}
	}
	if fl.out == "-" && len(fl.formats) > 1 {
		if !fs.Changed("format") {
			return fl, &usageError{fmt.Sprintf("-o - writes one format to standard output, but the default --format %s names %d; add -f md, -f json, -f xlsx or -f sh", fl.format, len(fl.formats))}
		}
		return fl, &usageError{fmt.Sprintf("-o - writes one format to standard output, but --format names %d", len(fl.formats))}
	}
	return fl, nil
}

// checkName checks --name: a file name without a folder, that a shell and a
// directory listing show plainly.
func checkName(name string) error {
	ok := name != "" && len(name) <= 100 && name[0] != '.' && name[0] != '-'
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._-+@=,", c)) {
			ok = false
		}
	}
	if !ok {
		return &usageError{fmt.Sprintf("--name %q is not a plain file name: use letters, digits and . _ - + @ = , not starting with . or -", name)}
	}
	return nil
}

// days is a duration flag that also takes days (1d, 1d12h), as auditors
// count them; Go's durations stop at hours.
type days time.Duration

func (d *days) String() string { return formats.Window(time.Duration(*d)) }
func (d *days) Type() string   { return "duration" }

func (d *days) Set(s string) error {
	v, err := parseDays(s)
	if err != nil {
		return err
	}
	*d = days(v)
	return nil
}

func parseDays(s string) (time.Duration, error) {
	var total time.Duration
	rest := s
	neg := strings.HasPrefix(rest, "-")
	rest = strings.TrimPrefix(rest, "-")
	if n, after, ok := strings.Cut(rest, "d"); ok && n != "" && strings.Trim(n, "0123456789") == "" {
		v, err := strconv.Atoi(n)
		if err != nil || v > 100000 {
			return 0, fmt.Errorf("not a duration such as 10s, 15m, 1h or 1d")
		}
		total = time.Duration(v) * 24 * time.Hour
		rest = after
	}
	if rest != "" {
		v, err := time.ParseDuration(rest)
		if err != nil || strings.HasPrefix(rest, "-") || strings.HasPrefix(rest, "+") {
			return 0, fmt.Errorf("not a duration such as 10s, 15m, 1h or 1d")
		}
		total += v
	}
	if neg {
		total = -total
	}
	return total, nil
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
	names, bad := formatNames(list, formats.Names())
	switch {
	case bad != "":
		return nil, &usageError{fmt.Sprintf("unknown format %q (want %s)", bad, strings.Join(formats.Names(), ", "))}
	case len(names) == 0:
		return nil, &usageError{"--format names no format"}
	}
	out := make([]formats.Format, len(names))
	for i, name := range names {
		out[i], _ = formats.Lookup(name)
	}
	return out, nil
}

// formatNames reads a --format list: its names, lower-cased, each once, in
// order; bad is the first name that known does not have.
func formatNames(list string, known []string) (names []string, bad string) {
	for _, name := range strings.Split(list, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		switch {
		case name == "" || slices.Contains(names, name):
		case !slices.Contains(known, name):
			return nil, name
		default:
			names = append(names, name)
		}
	}
	return names, ""
}

// scriptFlags are script's options.
type scriptFlags struct {
	approved, out, name string
	exceptionDays       int
	commonFlags
}

func (fl *scriptFlags) flagSet() *pflag.FlagSet {
	fs := newFlagSet("script")
	fs.StringVar(&fl.approved, "approved", "", "")
	fs.StringVarP(&fl.out, "out", "o", ".", "")
	fs.StringVar(&fl.name, "name", analyze.OutputBase, "")
	fs.IntVar(&fl.exceptionDays, "exception-days", 90, "")
	fl.commonFlags.register(fs)
	return fs
}

func parseScript(args []string) (scriptFlags, error) {
	var fl scriptFlags
	fs := fl.flagSet()
	if err := fs.Parse(args); err != nil {
		return fl, &usageError{err.Error()}
	}
	switch {
	case fl.help:
	case fs.NArg() > 0:
		return fl, &usageError{fmt.Sprintf("script takes no arguments, but was given %q; name the workbook with --approved", fs.Args())}
	case fl.approved == "":
		return fl, &usageError{"--approved WORKBOOK is required: the credential-review.xlsx the change board decided in"}
	case fl.exceptionDays < 1 || fl.exceptionDays > 3660:
		return fl, &usageError{fmt.Sprintf("--exception-days %d is not from 1 to 3660", fl.exceptionDays)}
	}
	return fl, checkName(fl.name)
}

// fetchFlags are fetch's options.
type fetchFlags struct {
	out, region     string
	profiles, roles []string
	timeout         time.Duration
	commonFlags
}

func (fl *fetchFlags) flagSet() *pflag.FlagSet {
	fs := newFlagSet("fetch")
	fs.StringVarP(&fl.out, "out", "o", "", "")
	fs.StringArrayVar(&fl.profiles, "profile", nil, "")
	fs.StringArrayVar(&fl.roles, "role-arn", nil, "")
	fs.StringVar(&fl.region, "region", "", "")
	fs.DurationVar(&fl.timeout, "timeout", 10*time.Minute, "")
	fl.commonFlags.register(fs)
	return fs
}

func parseFetch(args []string) (fetchFlags, error) {
	var fl fetchFlags
	fs := fl.flagSet()
	if err := fs.Parse(args); err != nil {
		return fl, &usageError{err.Error()}
	}
	switch {
	case fl.help:
	case fs.NArg() > 0:
		return fl, &usageError{fmt.Sprintf("fetch takes no arguments, but was given %q", fs.Args())}
	case fl.out == "" || fl.out == "-":
		return fl, &usageError{"-o DIR is required: the folder to save the reports and key inventories in"}
	case fl.timeout <= 0:
		return fl, &usageError{fmt.Sprintf("--timeout %s must be positive", fl.timeout)}
	case len(fl.roles) > 0 && len(fl.profiles) > 1:
		return fl, &usageError{"--role-arn assumes roles from one base profile; give at most one --profile with it"}
	}
	return fl, nil
}
