// Package analyze finds access keys that were created during a console
// user's initial setup, in IAM credential reports read offline, and writes
// the commands that test, remove and restore each one.
//
// It is the domain of credreview: it reads reports and key inventories,
// applies the check, and returns a Result. It never prints, and knows
// nothing of the formats the result is written in.
package analyze

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// Options are the parameters of an analysis.
type Options struct {
	// SetupWindow is how long after its user a key may be created and still
	// count as created during the user's initial setup (inclusive).
	SetupWindow time.Duration

	// AsOf, when set, is the moment ages are measured to; otherwise each
	// report's generated time, else the newest time in any of its time
	// columns. Never the clock: the same inputs give the same result.
	AsOf time.Time

	// Now is the machine's clock, read once when the run starts (zero: read
	// it then). It decides one thing only: a time more than MaxClockSkew
	// after it is impossible, since no report holds a time after it was
	// made, and no report was made after the machine that reads it. Such a
	// time is an error and never sets a report's as-of time.
	Now time.Time

	// Progress, when set, is called after each input is read. Calls never
	// overlap.
	Progress func(Progress)

	// Checks are the ids of the checks to run; none means setup-key, the
	// control credreview is named for.
	Checks []string

	// Exceptions are exceptions files (as script --approved writes them),
	// in the order given: the findings they name are excepted until they
	// expire. A file with any problem excepts nothing, and its problems are
	// the run's errors.
	Exceptions []string

	// Evidence are evidence manifests (credential-evidence.json) to hold
	// the inputs of their folders to, besides one found at the top of a
	// folder given; AllowedSigners, an ssh-keygen allowed-signers file,
	// makes each manifest's signature required and checked. See
	// EvidenceCheck.
	Evidence       []string
	AllowedSigners string

	// RootUseDays, UnusedDays and RotationDays are the periods of the
	// root-used, unused-credentials and key-rotation checks; 0 means the
	// default (90, 45 and 90 days).
	RootUseDays, UnusedDays, RotationDays int
}

// The defaults of the checks' periods, in days.
const (
	DefaultRootUseDays  = 90
	DefaultUnusedDays   = 45
	DefaultRotationDays = 90
)

func (o *Options) rootUseDays() int  { return orDefault(o.RootUseDays, DefaultRootUseDays) }
func (o *Options) unusedDays() int   { return orDefault(o.UnusedDays, DefaultUnusedDays) }
func (o *Options) rotationDays() int { return orDefault(o.RotationDays, DefaultRotationDays) }

// Periods are the root-used, unused-credentials and key-rotation checks'
// periods in days, with their defaults filled in.
func (o *Options) Periods() (rootUse, unused, rotation int) {
	return o.rootUseDays(), o.unusedDays(), o.rotationDays()
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// Progress says how far an analysis has got.
type Progress struct {
	Done, Total int   // inputs
	Rows        int64 // report rows read so far
}

// DefaultSetupWindow is the default of Options.SetupWindow.
const DefaultSetupWindow = time.Hour

// MaxClockSkew is how far after the machine's clock a report's time may be
// and still be taken as possible: clocks of machines and of AWS differ,
// and a report fetched in another time zone's evening is read in this
// one's morning only if both clocks are right.
const MaxClockSkew = 24 * time.Hour

// fileResult is what reading one input gave.
type fileResult struct {
	kind      kind
	report    *Report
	inventory *Inventory
	findings  []Finding
	pr        problems
}

// Analyze reads the inputs named by paths (files, directories, or "-" for
// stdin), applies the setup-key check to every report and matches key
// inventories to the findings. Inputs that cannot be read become Errors in
// the result; everything else is still analysed.
//
// Each input is opened and read once, all of them in one parallel pass.
// When ctx is done, Analyze returns at once with an error that says the run
// was interrupted; a read it cannot interrupt (standard input, say) may
// still be blocked in a goroutine, whose result is then never looked at.
func Analyze(ctx context.Context, paths []string, stdin io.Reader, opts Options) *Result {
	return analyze(ctx, paths, stdin, opts, nil)
}

// rowSink is shown every row that is checked, the root user's too, with
// its report (whose account is known by then): what verify keeps of newer
// evidence. It is called from several goroutines at once, and the row's
// strings point into a buffer that the next row overwrites: it copies what
// it keeps.
type rowSink func(rep *Report, r *Row)

func analyze(ctx context.Context, paths []string, stdin io.Reader, opts Options, sink rowSink) *Result {
	res := &Result{Options: opts}
	if opts.Now.IsZero() {
		// Read once, and kept out of the result: it decides which times
		// are impossible, nothing else.
		opts.Now = time.Now()
	}
	top := problems{}
	inputs := collect(paths, stdin, &top)
	evidence := findEvidence(paths, opts.Evidence)
	files := make([]fileResult, len(inputs))

	var mu sync.Mutex
	returned := false // guarded by mu: no Progress call after Analyze returned
	done := 0
	var rows int64
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		parallel(ctx, len(inputs), func(i int) {
			f := &files[i]
			f.pr.source = inputs[i].name
			readInput(ctx, inputs[i], f, &opts, sink)
			if opts.Progress == nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if returned {
				return
			}
			done++
			if f.report != nil {
				rows += int64(f.report.Lines)
			}
			opts.Progress(Progress{Done: done, Total: len(inputs), Rows: rows})
		})
	}()
	select {
	case <-finished:
	case <-ctx.Done():
		mu.Lock()
		returned = true
		mu.Unlock()
		res.Errors = append(res.Errors, top.errors...)
		res.Errors = append(res.Errors, Problem{Message: "interrupted: " + ctx.Err().Error()})
		return res
	}
	if err := ctx.Err(); err != nil {
		top.errors = append(top.errors, Problem{Message: "interrupted: " + err.Error()})
	}

	res.Errors = append(res.Errors, top.errors...)
	res.Warnings = append(res.Warnings, top.warnings...)
	var reports []*fileResult
	var invs []*Inventory
	for i := range files {
		f := &files[i]
		f.pr.finish()
		if inputs[i].walked && len(f.pr.errors) == 1 && f.pr.errors[0].notReport && f.report == nil && f.inventory == nil {
			// A README or notes beside the reports: not one, so skipped.
			p := f.pr.errors[0]
			p.Message = strings.TrimPrefix(p.Message, "not a credential report: ")
			p.Message = "not a credential report or key inventory (" + p.Message + "), skipped"
			p.Line, p.Hint = 0, ""
			f.pr.errors = nil
			f.pr.warnings = append(f.pr.warnings, p)
		}
		res.Errors = append(res.Errors, f.pr.errors...)
		res.Warnings = append(res.Warnings, f.pr.warnings...)
		if f.report != nil {
			reports = append(reports, f)
		}
		if f.inventory != nil {
			res.Inventories = append(res.Inventories, *f.inventory)
			invs = append(invs, f.inventory)
		}
	}
	checkEvidence(res, evidence, inputs, files, opts.AllowedSigners)
	merged := supersede(res, reports)
	total := 0
	for _, f := range reports {
		if f.report.SupersededBy == "" {
			total += len(f.findings)
		}
	}
	res.Findings = make([]Finding, 0, total)
	for _, f := range reports {
		if f.report.SupersededBy != "" {
			res.Superseded = append(res.Superseded, *f.report)
			continue
		}
		res.Reports = append(res.Reports, *f.report)
		for _, fd := range f.findings {
			fd.AsOf = f.report.AsOf
			res.Findings = append(res.Findings, fd)
		}
		f.findings = nil
	}
	if merged {
		res.Findings = dedupe(res.Findings)
	}
	sortFindings(res.Findings)
	matchKeys(res, invs)
	applyExceptionFiles(res, opts.Exceptions, opts.Now)
	for i := range res.Reports {
		res.Reports[i].keys, res.Reports[i].users = nil, userList{}
	}
	for i := range res.Superseded {
		res.Superseded[i].keys, res.Superseded[i].users = nil, userList{}
	}
	return res
}

// sortFindings orders findings by account, then user in the order AWS sorts
// report rows (ignoring case), then key slot; ties by exact name and key
// creation, so the order is total. Reports given in account order have
// their findings in this order already, and then nothing moves.
func sortFindings(fs []Finding) {
	less := func(a, b *Finding) int {
		return cmp.Or(
			strings.Compare(a.AccountID, b.AccountID),
			compareFold(a.User, b.User),
			cmp.Compare(a.KeySlot, b.KeySlot),
			strings.Compare(a.User, b.User),
			a.KeyCreated.Compare(b.KeyCreated),
			cmp.Compare(checkOrder(a.Check), checkOrder(b.Check)),
		)
	}
	i := 1
	for i < len(fs) && less(&fs[i-1], &fs[i]) <= 0 {
		i++
	}
	if i >= len(fs) {
		return
	}
	order := make([]int, len(fs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int { return less(&fs[i], &fs[j]) })
	sorted := make([]Finding, len(fs))
	for k, i := range order {
		sorted[k] = fs[i]
	}
	copy(fs, sorted)
}

// compareFold compares ASCII strings as if lower-cased, without copying.
func compareFold(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return cmp.Compare(ca, cb)
		}
	}
	return cmp.Compare(len(a), len(b))
}

// parallel runs fn for 0..n-1 on at most GOMAXPROCS goroutines; results go
// to fixed slots, so their order never depends on scheduling.
func parallel(ctx context.Context, n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
dispatch:
	for i := 0; i < n; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
			break dispatch
		}
	}
	close(next)
	wg.Wait()
}

// readInput opens an input once, tells what it is by peeking at its start,
// and reads it as that.
func readInput(ctx context.Context, in input, f *fileResult, opts *Options, sink rowSink) {
	s, err := openStream(ctx, in)
	if err != nil {
		f.pr.fail(err)
		return
	}
	defer s.close()
	f.kind, err = sniff(s, in.name)
	switch {
	case err != nil:
		f.pr.fail(err)
	case f.kind == kindInventory:
		readInventory(s, f)
	case f.kind == kindReportCSV || f.kind == kindReportJSON:
		readReport(s, f, opts, sink)
	}
}

// readInventory reads a key inventory: what aws iam list-access-keys prints.
func readInventory(s *stream, f *fileResult) {
	inv := &Inventory{Source: s.name}
	err := parseInventory(s, inv, &f.pr)
	if err == nil {
		inv.SHA256, err = s.finish()
		if err != nil {
			err = readProblem(s.name, err)
		}
	}
	if err != nil {
		f.pr.fail(err)
		return
	}
	f.inventory = inv
}

// readReport reads one credential report, CSV or get-credential-report JSON.
func readReport(s *stream, f *fileResult, opts *Options, sink rowSink) {
	rep := &Report{Source: s.name, Format: "csv"}
	p := newReportParser(rep, opts, &f.pr)
	p.seen = userSets.Get().(*userSet)
	defer func() { p.seen.reset(); userSets.Put(p.seen) }()
	c := newChecker(rep, opts)
	// The rows, as the parser hands them out, go to the checks, and to
	// verify's index of them.
	check := func(r io.Reader) error {
		for row := range p.rows(r) {
			if sink != nil {
				sink(rep, row)
			}
			c.add(row)
		}
		return p.err
	}
	var perr error
	if f.kind == kindReportJSON {
		rep.Format = "get-credential-report json"
		env := &jsonEnvelope{r: s.Reader, name: s.name}
		perr = env.read(func(content io.Reader) error {
			br := s.buffer(content)
			if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
				br.Discard(3)
			}
			return check(br)
		})
		if perr != nil && !(env.contentStopped && p.checked > 0) {
			// The envelope is broken, or Content is not a report: either
			// way, nothing of it is analysed. A report cut short by a cap
			// keeps the rows checked before it, as a CSV does.
			f.pr.fail(perr)
			return
		}
		rep.Generated = env.generated
	} else {
		perr = check(s.Reader)
	}
	if s.gzipped {
		rep.Format += "+gzip"
	}
	if perr == nil {
		var err error
		if rep.SHA256, err = s.finish(); err != nil {
			perr = readProblem(s.name, err)
		}
	}
	if perr != nil {
		f.pr.fail(perr)
		if p.checked == 0 {
			return // nothing was checked: not a report
		}
	} else if rep.Lines == 0 {
		// AWS always writes the root user's row.
		f.pr.fail(&Problem{Source: s.name, Message: "the report has a header but no rows, not even the root user's", Hint: hintTruncatedFile})
		return
	}
	p.finish()
	f.report = rep
	f.findings = c.finish()
}

// supersede chooses which reports of one account (same partition and
// account id) to analyse, and marks the others superseded so that nothing is
// counted twice:
//
//   - The same bytes twice: the first given.
//   - A report with a GeneratedTime (the get-credential-report JSON)
//     outranks every report without one, whatever the times in their rows:
//     those are what a stray or hand-edited file can set to anything. Of
//     several with one, the latest generated; on a tie, the first given.
//   - Reports without a GeneratedTime, when none of the account has one:
//     which is newer would rest on the times in their rows alone. Then none
//     is chosen over the others. Every one is analysed, a key that several
//     of them list is reported once, at its highest severity (as for a
//     repeated row), and an error names them all, so that the run exits 1:
//     a review must never pass a gate because a stray file was taken for
//     the evidence, and must not hide the evidence either.
//
// It reports whether some account is analysed from several reports.
func supersede(res *Result, reports []*fileResult) (merged bool) {
	var order []string
	byAccount := map[string][]*Report{}
	for _, f := range reports {
		r := f.report
		if r.AccountID == "" {
			continue
		}
		key := r.Partition + ":" + r.AccountID
		if byAccount[key] == nil {
			order = append(order, key)
		}
		byAccount[key] = append(byAccount[key], r)
	}
	for _, key := range order {
		reps := byAccount[key]
		if len(reps) < 2 {
			continue
		}
		var distinct []*Report
		for _, r := range reps {
			i := slices.IndexFunc(distinct, func(d *Report) bool { return r.SHA256 != "" && d.SHA256 == r.SHA256 })
			if i < 0 {
				distinct = append(distinct, r)
				continue
			}
			supersedeBy(res, r, distinct[i], "which is the same report")
		}
		var keep *Report
		for _, r := range distinct {
			if !r.Generated.IsZero() && (keep == nil || r.Generated.After(keep.Generated)) {
				keep = r
			}
		}
		if keep == nil {
			if len(distinct) > 1 {
				merged = true
				var names []string
				for _, r := range distinct[1:] {
					names = append(names, r.Source)
				}
				first := distinct[0]
				res.Errors = append(res.Errors, Problem{Source: first.Source,
					Message: fmt.Sprintf("account %s (%s) is also in %s, and none of them has a GeneratedTime: which is newer would rest on the times in their rows alone, which a stray or hand-edited file can set to anything; all of them are analysed, and a key that several list is reported once, at its highest severity",
						first.AccountID, first.Partition, strings.Join(names, ", ")),
					Hint: "analyse the JSON that aws iam get-credential-report prints, whose GeneratedTime says which report is newer, or remove the files that are not the account's report"})
			}
			continue
		}
		for _, r := range distinct {
			if r != keep && !holdsUsers(res, r, keep) {
				merged = true // both analysed: see holdsUsers
				continue
			}
			switch {
			case r == keep:
			case r.Generated.IsZero():
				why := fmt.Sprintf("which has a GeneratedTime (%s), and this report has none: the times in a report's rows never outrank it", keep.Generated.Format(time.RFC3339))
				if r.newest > keep.Generated.Unix() {
					why += fmt.Sprintf(", though this report's rows have times up to %s; if it is a newer report, analyse it without the other", unix(r.newest).Format(time.RFC3339))
				}
				supersedeBy(res, r, keep, why)
			case r.Generated.Equal(keep.Generated):
				supersedeBy(res, r, keep, fmt.Sprintf("which is as recent (%s) and was given first", describeTime(keep)))
			default:
				supersedeBy(res, r, keep, fmt.Sprintf("which is newer (%s against %s)", describeTime(keep), describeTime(r)))
			}
		}
	}
	return merged
}

// holdsUsers holds a report that would supersede an older one of its
// account to the older one's users: each user of the older report that the
// newer one lacks is named in a warning, as a deleted user should be. A
// newer report that lacks more than half of them is more likely a stray
// file or a decoy (a root row alone, with a later GeneratedTime) than the
// account's report: that is an error, and it supersedes nothing, so that
// both are analysed and no finding is lost. It reports whether older may
// be superseded.
func holdsUsers(res *Result, older, newer *Report) bool {
	have := make(map[string]bool, newer.users.len())
	for i := range newer.users.len() {
		have[newer.users.lower(i)] = true
	}
	var lost []string
	for i := range older.users.len() {
		if !have[older.users.lower(i)] {
			lost = append(lost, older.users.name(i))
		}
	}
	if len(lost) == 0 {
		return true
	}
	names := lost
	if len(names) > 20 {
		names = append(names[:20:20], fmt.Sprintf("and %d more", len(lost)-20))
	}
	if 2*len(lost) > older.users.len() {
		res.Errors = append(res.Errors, Problem{Source: newer.Source,
			Message: fmt.Sprintf("the report would supersede %s, the older report of account %s, but lacks %d of its %d users (%s): a report that loses more than half of an account's users is more likely a stray or a decoy than the account's report; neither supersedes the other, both are analysed, and a key both list is reported once",
				older.Source, older.AccountID, len(lost), older.users.len(), strings.Join(names, ", ")),
			Hint: "if the users were deleted, analyse the newer report alone; otherwise remove the file that is not the account's report"})
		return false
	}
	res.Warnings = append(res.Warnings, Problem{Source: newer.Source,
		Message: fmt.Sprintf("the report supersedes %s, the older report of account %s, and lacks %d of its users, deleted since: %s", older.Source, older.AccountID, len(lost), strings.Join(names, ", "))})
	return true
}

func supersedeBy(res *Result, r, keep *Report, why string) {
	r.SupersededBy = keep.Source
	res.Warnings = append(res.Warnings, Problem{Source: r.Source, Message: fmt.Sprintf("superseded: account %s is also in %s, %s; only that one is analysed", r.AccountID, keep.Source, why)})
}

// describeTime says what a report's time is, for the reader to judge a
// choice between reports: a hand-edited date far in the future wins.
func describeTime(r *Report) string {
	if !r.Generated.IsZero() {
		return "generated " + r.Generated.Format(time.RFC3339)
	}
	return "newest timestamp " + unix(r.newest).Format(time.RFC3339)
}

// findingID names a finding by what identifies the key: the same key in a
// later run gets the same id; a replaced key (new creation time) a new one.
func findingID(prefix string, f *Finding) string {
	var buf [256]byte
	b := append(buf[:0], f.Check...)
	for _, s := range [...]string{f.Partition, f.AccountID, f.User} {
		b = append(append(b, 0), s...)
	}
	b = append(append(b, 0), byte('0'+f.KeySlot))
	b = append(b, 0)
	if f.KeySlot > 0 {
		b = AppendStamp(b, f.KeyCreated) // RFC 3339, as the id has always been made
	} else {
		b = AppendStamp(b, f.PasswordLastChanged) // a password set again is another
	}
	h := sha256.Sum256(b)
	var id [13]byte
	copy(id[:], prefix+"-")
	const digits = "0123456789ABCDEF"
	for i, c := range h[:5] {
		id[3+2*i], id[4+2*i] = digits[c>>4], digits[c&0xF]
	}
	return string(id[:])
}
