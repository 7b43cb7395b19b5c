// Package analyze is credreview analyze: it reads credential reports and key
// inventories offline and writes the change-board package, a review, into a
// folder (or, with --split accounts, a package per account and an
// organisation summary). The domain is package analyze of the module; this
// is its command line.
package analyze

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/spf13/pflag"

	"github.com/credreview/credreview/analyze"
	"github.com/credreview/credreview/formats"
	"github.com/credreview/credreview/internal/cli"
	"github.com/credreview/credreview/internal/custody"
	"github.com/credreview/credreview/internal/outputset"
)

// Command is credreview analyze.
func Command() *cli.Command {
	return &cli.Command{
		Name: "analyze", Aliases: []string{"analyse"},
		Summary: "review credential reports offline and write the change-board package",
		Usage:   usage,
		Flags:   func() *pflag.FlagSet { return new(flags).flagSet() },
		Run:     cli.WithFlags(parse, usage, run),
	}
}

// defaultCheck is what --checks runs when not given: the control
// credreview is named for.
var defaultCheck = analyze.DefaultCheck().ID

// usage is analyze's help. The check ids (the default, the list, the
// checks the period options set) and the benchmark versions come from
// analyze.Checks and analyze.Benchmarks, the lists wrapped as the options
// around them are, so that a check is added in the table alone.
var usage = strings.NewReplacer(
	"{default-check}", defaultCheck,
	"{root-use-days}", periodOf(func(o *analyze.Options, n int) { o.RootUseDays = n }),
	"{unused-days}", periodOf(func(o *analyze.Options, n int) { o.UnusedDays = n }),
	"{rotation-days}", periodOf(func(o *analyze.Options, n int) { o.RotationDays = n }),
	"{checks}", option("--checks LIST", "all, or some of "+checkList()),
	"{benchmark}", option("--benchmark V", "Show the control ids of CIS version V: "+benchmarkList()+
		" (default: the newest that has the check). The JSON has every version's."),
).Replace(`Usage:
    credreview analyze [options] PATH...

PATH is a credential report (the CSV that AWS writes, or the JSON that
aws iam get-credential-report prints, either one optionally gzipped), a key
inventory (the JSON that aws iam list-access-keys prints), a directory of
them (searched recursively), or - for standard input. Files are recognised
by their content, not their names.

It runs the checks --checks names (the CIS controls a credential report
can decide; by default {default-check}). A console user's access key is a
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
{checks}
{benchmark}
        --setup-window D     Setup window, such as 10s, 15m, 1h or 1d
                             (default 1h).
        --root-use-days N    {root-use-days}: the root user used within N days
                             (default 90).
        --unused-days N      {unused-days}: not used for N days or more
                             (default 45).
        --rotation-days N    {rotation-days}: an active key older than N days
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
        --evidence FILE      Hold the inputs of FILE's folder to the
                             evidence manifest FILE (as credreview fetch or
                             seal writes it): every file listed, unchanged,
                             nothing added. A folder given that holds
                             credential-evidence.json is held to it anyway.
        --allowed-signers FILE
                             Require each evidence manifest to be signed by
                             a key FILE names (ssh-keygen's allowed signers
                             format), and check the signature.
        --sign-key FILE      Sign the review's manifest, NAME.manifest.json,
                             with this OpenSSH private key (ssh-agent is
                             used when it holds the key; else a passphrase
                             is asked on the terminal).
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
`)

// nbsp joins words that wrap keeps on one line.
const nbsp = "\u00a0"

// checkList lists the check ids for --checks, the default bound to the
// last id so that it never starts a line of its own.
func checkList() string {
	var ids []string
	for _, c := range analyze.Checks {
		ids = append(ids, c.ID)
	}
	ids[len(ids)-1] += nbsp + "(default" + nbsp + defaultCheck + ")."
	return strings.Join(ids, ", ")
}

// periodOf is the id of the check whose period a period option sets: the
// check whose Days reads the field of Options that set writes.
func periodOf(set func(o *analyze.Options, days int)) string {
	const probe = 123457 // more days than any default, or any option takes
	var o analyze.Options
	set(&o, probe)
	for _, c := range analyze.Checks {
		if c.Days != nil && c.Days(&o) == probe {
			return c.ID
		}
	}
	panic("analyze: no check has the period of this option")
}

// benchmarkList lists the benchmark versions for --benchmark: "a, b or c".
func benchmarkList() string {
	var names []string
	for _, b := range analyze.Benchmarks {
		names = append(names, string(b))
	}
	last := len(names) - 1
	return strings.Join(names[:last], ", ") + " or " + names[last]
}

// option lays out an option of the help: the flag, then its text wrapped
// into the column after it, within 78 columns.
func option(flag, text string) string {
	const indent, width = 29, 78
	var lines []string
	line := fmt.Sprintf("        %-*s", indent-8, flag)
	for i, word := range strings.Split(text, " ") {
		switch {
		case i == 0:
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) > width:
			lines = append(lines, line)
			line = strings.Repeat(" ", indent)
		default:
			line += " "
		}
		line += word
	}
	return strings.ReplaceAll(strings.Join(append(lines, line), "\n"), nbsp, " ")
}

// flags are analyze's options, checked.
type flags struct {
	asOf, checks, benchmark, split        string
	window                                days
	rootUseDays, unusedDays, rotationDays int
	evidence                              []string
	cli.OutputFlags
	cli.CustodyFlags
	cli.CommonFlags

	paths   []string
	formats []formats.Format
	opts    analyze.Options
	bench   analyze.Benchmark
}

func (fl *flags) flagSet() *pflag.FlagSet {
	fs := cli.NewFlagSet("analyze")
	fl.window = days(analyze.DefaultSetupWindow)
	fl.OutputFlags.Register(fs, analyze.OutputBase)
	fs.Var(&fl.window, "setup-window", "")
	fs.StringVar(&fl.asOf, "as-of", "", "")
	fs.StringVar(&fl.checks, "checks", defaultCheck, "")
	fs.StringVar(&fl.benchmark, "benchmark", "", "")
	fs.StringVar(&fl.split, "split", "", "")
	fs.IntVar(&fl.rootUseDays, "root-use-days", analyze.DefaultRootUseDays, "")
	fs.IntVar(&fl.unusedDays, "unused-days", analyze.DefaultUnusedDays, "")
	fs.IntVar(&fl.rotationDays, "rotation-days", analyze.DefaultRotationDays, "")
	fs.StringArrayVar(&fl.evidence, "evidence", nil, "")
	fl.CustodyFlags.Register(fs, true)
	fl.CommonFlags.Register(fs)
	cli.CompleteFile(fs, "evidence", "json")

	checks := []string{"all"}
	for _, c := range analyze.Checks {
		checks = append(checks, c.ID)
	}
	var benchmarks []string
	for _, b := range analyze.Benchmarks {
		benchmarks = append(benchmarks, string(b))
	}
	cli.CompleteList(fs, "checks", checks...)
	cli.CompleteValues(fs, "benchmark", benchmarks...)
	cli.CompleteValues(fs, "split", "accounts")
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
	window := time.Duration(fl.window)
	fl.paths = fs.Args()
	if len(fl.paths) == 0 {
		return fl, cli.Usagef("no PATH given: name report files or directories, or - for standard input")
	}
	if window < 0 {
		return fl, cli.Usagef("--setup-window %s is negative", window)
	}
	if window%time.Second != 0 {
		return fl, cli.Usagef("--setup-window %s is not a whole number of seconds, and reports have times to the second", window)
	}
	if err := fl.OutputFlags.Check(); err != nil {
		return fl, err
	}
	var err error
	fl.opts = analyze.Options{SetupWindow: window, RootUseDays: fl.rootUseDays, UnusedDays: fl.unusedDays, RotationDays: fl.rotationDays, Exceptions: fl.Exceptions,
		Evidence: fl.evidence, AllowedSigners: fl.AllowedSigners}
	if fl.opts.Checks, err = analyze.ParseChecks(fl.checks); err != nil {
		return fl, cli.Usagef("--checks: %v", err)
	}
	if fl.benchmark != "" {
		if fl.bench, err = analyze.ParseBenchmark(fl.benchmark); err != nil {
			return fl, cli.Usagef("--benchmark: %v", err)
		}
	}
	for _, d := range []struct {
		name string
		v    int
	}{{"--root-use-days", fl.rootUseDays}, {"--unused-days", fl.unusedDays}, {"--rotation-days", fl.rotationDays}} {
		if d.v < 1 || d.v > 36600 {
			return fl, cli.Usagef("%s %d is not from 1 to 36600", d.name, d.v)
		}
	}
	if fl.asOf != "" {
		if fl.opts.AsOf, err = parseAsOf(fl.asOf); err != nil {
			return fl, cli.Usagef("%v", err)
		}
	}
	if fl.formats, err = parseFormats(fl.Format); err != nil {
		return fl, err
	}
	switch {
	case fl.split != "" && fl.split != "accounts":
		return fl, cli.Usagef("--split %q: the one way to split is --split accounts", fl.split)
	case fl.split != "" && fl.Out == "-":
		return fl, cli.Usagef("--split accounts writes a folder per account: give -o DIR, not -o -")
	}
	if fl.Out == "-" && len(fl.formats) > 1 {
		if !fs.Changed("format") {
			return fl, cli.Usagef("-o - writes one format to standard output, but the default --format %s names %d; add -f md, -f json, -f xlsx or -f sh", fl.Format, len(fl.formats))
		}
		return fl, cli.Usagef("-o - writes one format to standard output, but --format names %d", len(fl.formats))
	}
	return fl, nil
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
	names, bad := cli.FormatNames(list, formats.Names())
	switch {
	case bad != "":
		return nil, cli.Usagef("unknown format %q (want %s)", bad, strings.Join(formats.Names(), ", "))
	case len(names) == 0:
		return nil, cli.Usagef("--format names no format")
	}
	out := make([]formats.Format, len(names))
	for i, name := range names {
		out[i], _ = formats.Lookup(name)
	}
	return out, nil
}

// run reads the inputs, prints their problems, writes the outputs and
// says what was done.
func run(ctx context.Context, fl flags, stdin io.Reader, stdout io.Writer, ui *cli.UI) error {
	if fl.Out == "-" && fl.formats[0].Name() == "xlsx" && ui.Terminal(stdout) {
		return cli.Usagef("-f xlsx -o - would write a zip archive to the terminal; redirect standard output to a file (> review.xlsx), or write the workbook into a folder with -o DIR")
	}
	signer, err := fl.Signer(ctx, ui)
	if err != nil {
		return err
	}
	opts := fl.opts
	pr := ui.Progress()
	if pr != nil {
		opts.Progress = pr.Update
	}
	res := analyze.Analyze(ctx, fl.paths, stdin, opts)
	pr.Clear()
	cli.RelaxGC()
	if ctx.Err() != nil {
		// A review of part of the inputs must not pass for the whole.
		ui.Errorf("interrupted before every input was read; nothing was written")
		return cli.ErrReported
	}
	for _, p := range res.Errors {
		ui.Errorf("%s", p.Error())
		if p.Hint != "" {
			ui.Hintf("%s", p.Hint)
		}
	}
	for _, p := range res.Warnings {
		ui.Warnf("%s", p.Error())
	}
	if len(res.Reports) == 0 {
		ui.Errorf("no credential report could be read; nothing was written")
		return cli.ErrReported
	}

	review := formats.NewReview(formats.Tool{Name: "credreview", Version: cli.Version}, res)
	review.Paper = fl.PaperSize
	review.Benchmark = fl.bench
	review.Name = fl.Name
	summary := formats.Summary(review)
	switch {
	case fl.split != "":
		if !writeSplit(ctx, fl, review, summary, ui, signer) {
			return cli.ErrReported
		}
	case fl.Out == "-":
		if err := fl.formats[0].Write(stdout, review); err != nil {
			ui.Infof("%s", summary)
			ui.Errorf("write standard output: %v", err)
			return cli.ErrReported
		}
		ui.Infof("%s", summary)
	default:
		if !outputset.Write(ctx, fl.Out, reviewSet(review, fl.formats, signer)).Say(ui, summary) {
			return cli.ErrReported
		}
	}
	switch {
	case len(res.Errors) > 0:
		return cli.ErrReported
	case fl.FailLevel != analyze.SeverityNone && res.Highest() >= fl.FailLevel:
		ui.Infof("findings at or above --fail-on %s", fl.FailLevel)
		return cli.ErrFindings
	}
	return nil
}

// reviewSet is the output set of a review in the formats asked for,
// sealed: its manifest lists each file's SHA-256 (the workbook's stamp
// too), the review id and the evidence manifests checked, signed with
// signer when there is one.
func reviewSet(r *formats.Review, fmts []formats.Format, signer *custody.Signer) *outputset.Set {
	set := &outputset.Set{What: "review", Base: base(r), ID: r.ID, IDOf: formats.ReviewIDOf,
		Kinds: append(formats.Names(), outputset.ManifestExt, outputset.SignatureExt)}
	for _, f := range fmts {
		set.Files = append(set.Files, outputset.File{Ext: f.Name(), Write: func(w io.Writer) error { return f.Write(w, r) }})
	}
	m := custody.Manifest{ManifestVersion: custody.Version, Kind: custody.KindReview, Tool: custody.Tool{Name: r.Tool.Name, Version: r.Tool.Version},
		SealedBy: "analyze", Created: formats.Stamp(formats.NewestAsOf(r)), ReviewID: r.ID}
	for _, e := range r.Evidence {
		m.Evidence = append(m.Evidence, custody.EvidenceRef{Name: e.Manifest, SHA256: e.SHA256, Statement: e.Statement()})
	}
	set.SealWith(m, signer, func(ext string) string {
		if ext == "xlsx" {
			return r.StampDigest()
		}
		return ""
	})
	return set
}

// base is the name of a review's files.
func base(r *formats.Review) string {
	if r.Name == "" {
		return analyze.OutputBase
	}
	return r.Name
}

// writeSplit writes a package per account in a folder of its own under
// fl.Out, side by side, each put in place whole, then the organisation
// summary beside them; it says what it did, and reports whether all went
// well. An account's package is the review of its inputs alone
// (formats.SplitReview).
func writeSplit(ctx context.Context, fl flags, whole *formats.Review, summary string, ui *cli.UI, signer *custody.Signer) bool {
	subs := formats.SplitReview(whole)
	org := &formats.Organisation{Whole: whole, Paper: fl.PaperSize}
	results := make([]outputset.Written, len(subs))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range jobs {
				results[i] = outputset.Write(ctx, filepath.Join(fl.Out, accountDir(subs[i].Account())), reviewSet(subs[i], fl.formats, signer))
			}
		})
	}
	for i := range subs {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	ok := true
	replaced, removed := 0, 0
	for i, w := range results {
		sub := subs[i]
		p := formats.Package{Account: sub.Account(), Review: sub}
		for _, f := range w.Files {
			rel, _ := filepath.Rel(fl.Out, f)
			p.Files = append(p.Files, filepath.ToSlash(rel))
		}
		org.Packages = append(org.Packages, p)
		replaced += len(w.Replaced)
		removed += len(w.Removed)
		w.WarnKept(ui)
		for _, err := range w.Errs {
			ui.Errorf("%v", err)
			ok = false
		}
	}
	set := &outputset.Set{What: "organisation summary", Base: base(whole) + "-organisation", ID: whole.ID, IDOf: formats.ReviewIDOf, Kinds: []string{"md", "xlsx"}}
	for _, name := range []string{"xlsx", "md"} {
		f := formats.OrganisationFormats[name]
		set.Files = append(set.Files, outputset.File{Ext: name, Write: func(w io.Writer) error { return f.WriteOrganisation(w, org) }})
	}
	if replaced > 0 || removed > 0 {
		ui.Infof("replaced %s and removed %s of earlier reviews in the accounts' folders", cli.Plural(replaced, "file", "files"), cli.Plural(removed, "file", "files"))
	}
	// An earlier run's package of an account this run does not have stays
	// where it is: say so, since it sits beside this run's summary.
	mine := map[string]bool{}
	for _, sub := range subs {
		mine[accountDir(sub.Account())] = true
	}
	if entries, err := os.ReadDir(fl.Out); err == nil {
		for _, e := range entries {
			if !e.IsDir() || mine[e.Name()] {
				continue
			}
			for _, kind := range formats.Names() {
				if id := formats.ReviewIDOf(filepath.Join(fl.Out, e.Name(), base(whole)+"."+kind)); id != "" {
					ui.Warnf("%s holds a package of review %s, for an account this run does not have: left as it is", filepath.Join(fl.Out, e.Name()), id)
					break
				}
			}
		}
	}
	summary += fmt.Sprintf("; wrote %s in %s", cli.Plural(len(subs), "account's package", "accounts' packages"), filepath.Join(fl.Out, "ACCOUNT"))
	return outputset.Write(ctx, fl.Out, set).Say(ui, summary) && ok
}

// accountDir is the folder of an account's package.
func accountDir(account string) string {
	if account == "" {
		return "no-account" // a report without rows, which is an error
	}
	return account
}
