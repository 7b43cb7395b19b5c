// Package analyze finds access keys that were created during a console
// user's initial setup, in IAM credential reports read offline, and writes
// the commands that test, remove and restore each one.
//
// It is the domain of credreview: it reads reports and key inventories,
// applies the check, and returns a Result. It never prints, and knows
// nothing of the formats the result is written in.
package analyze

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
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
	// report's generated time, else its newest timestamp. Never the clock:
	// the same inputs give the same result.
	AsOf time.Time

	// Progress, when set, is called after each input is read. Calls never
	// overlap.
	Progress func(Progress)

	// Checks are the ids of the checks to run; none means setup-key, the
	// control credreview is named for.
	Checks []string

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
func Analyze(ctx context.Context, paths []string, stdin io.Reader, opts Options) *Result {
	res := &Result{Options: opts}
	top := problems{}
	inputs := collect(paths, stdin, &top)
	files := make([]fileResult, len(inputs))

	// Inventories first: whether an unbound inventory entry may be used
	// depends on every report of the run.
	parallel(ctx, len(inputs), func(i int) {
		files[i].pr.source = inputs[i].name
		files[i].kind = classify(inputs[i], &files[i])
	})
	var invs []*Inventory
	for i := range files {
		if files[i].inventory != nil {
			invs = append(invs, files[i].inventory)
		}
	}
	idx := newUnboundIndex(invs)

	var mu sync.Mutex
	done := 0
	var rows int64
	parallel(ctx, len(inputs), func(i int) {
		f := &files[i]
		if f.kind == kindReportCSV || f.kind == kindReportJSON {
			readReport(inputs[i], f, &opts, idx)
		}
		if opts.Progress != nil {
			mu.Lock()
			done++
			if f.report != nil {
				rows += int64(f.report.rows)
			}
			opts.Progress(Progress{Done: done, Total: len(inputs), Rows: rows})
			mu.Unlock()
		}
	})
	if err := ctx.Err(); err != nil {
		top.errors = append(top.errors, Problem{Message: "interrupted: " + err.Error()})
	}

	res.Errors = append(res.Errors, top.errors...)
	res.Warnings = append(res.Warnings, top.warnings...)
	var reports []*fileResult
	for i := range files {
		f := &files[i]
		f.pr.finish()
		res.Errors = append(res.Errors, f.pr.errors...)
		res.Warnings = append(res.Warnings, f.pr.warnings...)
		if f.report != nil {
			reports = append(reports, f)
		}
		if f.inventory != nil {
			res.Inventories = append(res.Inventories, *f.inventory)
		}
	}
	supersede(res, reports)
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
	sortFindings(res.Findings)
	matchKeys(res, invs, idx)
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
	for i := 0; i < n && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

// classify tells what an input is; key inventories are read right away.
func classify(in input, f *fileResult) kind {
	s, err := openStream(in, true)
	if err != nil {
		f.pr.fail(err)
		return kindUnknown
	}
	k, err := sniff(s, in.name)
	if err != nil {
		s.close()
		f.pr.fail(err)
		return kindUnknown
	}
	if k != kindInventory {
		s.close()
		return k
	}
	// The sniff consumed the start of the stream: read the input again.
	s.close()
	if s, err = openStream(in, false); err != nil {
		f.pr.fail(err)
		return kindUnknown
	}
	inv := &Inventory{Source: in.name}
	err = parseInventory(s, inv, &f.pr)
	sum, rerr := s.finish()
	if err == nil && rerr != nil {
		err = &Problem{Source: in.name, Message: "read failed: " + rerr.Error()}
	}
	if err != nil {
		f.pr.fail(err)
		return kindUnknown
	}
	inv.SHA256 = sum
	f.inventory = inv
	return kindInventory
}

// readReport reads one credential report, CSV or get-credential-report JSON.
func readReport(in input, f *fileResult, opts *Options, idx *unboundIndex) {
	s, err := openStream(in, false)
	if err != nil {
		f.pr.fail(err)
		return
	}
	rep := &Report{Source: in.name, Format: "csv"}
	body := io.Reader(s.Reader)
	if f.kind == kindReportJSON {
		rep.Format = "get-credential-report json"
		content, generated, err := readEnvelope(s, in.name)
		if err != nil {
			s.finish()
			f.pr.fail(err)
			return
		}
		rep.Generated = generated
		body = strings.NewReader(strings.TrimPrefix(string(content), "\uFEFF"))
	}
	if s.gzipped {
		rep.Format += "+gzip"
	}
	p := &reportParser{rep: rep, opts: opts, pr: &f.pr, idx: idx, seen: userSets.Get().(*userSet)}
	defer func() { p.seen.reset(); userSets.Put(p.seen) }()
	switch {
	case !opts.AsOf.IsZero():
		p.asOf = opts.AsOf.Unix()
	case !rep.Generated.IsZero():
		p.asOf = rep.Generated.Unix()
	}
	perr := p.parse(body)
	sum, rerr := s.finish()
	if perr == nil && rerr != nil {
		perr = &Problem{Source: in.name, Message: "read failed: " + rerr.Error()}
	}
	if perr != nil {
		f.pr.fail(perr)
		if rep.rows == 0 {
			return // nothing was read: not a report
		}
	}
	rep.SHA256 = sum
	switch {
	case !opts.AsOf.IsZero():
		rep.AsOf, rep.AsOfRule = opts.AsOf.UTC(), AsOfFlag
	case !rep.Generated.IsZero():
		rep.AsOf, rep.AsOfRule = rep.Generated, AsOfGenerated
	case rep.newest != 0:
		rep.AsOf, rep.AsOfRule = unix(rep.newest), AsOfNewest
	}
	if rep.rows == 0 && perr == nil {
		// AWS always writes the root user's row.
		f.pr.fail(&Problem{Source: in.name, Message: "the report has a header but no rows, not even the root user's", Hint: hintTruncatedFile})
		return
	}
	f.report = rep
	f.findings = p.findings
}

// readEnvelope reads what aws iam get-credential-report prints: the report
// base64-encoded in Content, with ReportFormat and GeneratedTime.
func readEnvelope(r io.Reader, name string) (content []byte, generated time.Time, err error) {
	var env struct {
		Content       *string `json:"Content"`
		ReportFormat  *string `json:"ReportFormat"`
		GeneratedTime *string `json:"GeneratedTime"`
	}
	dec := json.NewDecoder(r)
	if err := dec.Decode(&env); err != nil {
		return nil, time.Time{}, jsonProblem(name, err)
	}
	if dec.More() {
		var next json.RawMessage
		if dec.Decode(&next) != nil {
			return nil, time.Time{}, &Problem{Source: name, Message: "text after the JSON document that is not JSON", Hint: "save the output of aws iam get-credential-report unchanged"}
		}
		return nil, time.Time{}, &Problem{Source: name, Message: "more than one JSON document: a get-credential-report file holds one report", Hint: "save each account's report in a file of its own"}
	}
	if env.ReportFormat != nil && *env.ReportFormat != "text/csv" {
		return nil, time.Time{}, &Problem{Source: name, Message: fmt.Sprintf("ReportFormat is %q; credreview reads text/csv", *env.ReportFormat)}
	}
	if env.Content == nil {
		return nil, time.Time{}, &Problem{Source: name, Message: "get-credential-report JSON without Content"}
	}
	content, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(*env.Content), ""))
	if err != nil {
		return nil, time.Time{}, &Problem{Source: name, Message: "Content is not valid base64: " + err.Error(),
			Hint: "save the output of aws iam get-credential-report unchanged (the CLI prints Content base64-encoded)"}
	}
	if env.GeneratedTime != nil {
		sec, err := parseStamp(*env.GeneratedTime)
		if err != nil {
			return nil, time.Time{}, &Problem{Source: name, Message: fmt.Sprintf("GeneratedTime %q is not an ISO 8601 time", *env.GeneratedTime)}
		}
		generated = unix(sec)
	}
	return content, generated, nil
}

// supersede keeps, of several reports of one account, the newest (by
// generated time, else by newest timestamp; on a tie the first given), and
// marks the others superseded so that nothing is counted twice.
func supersede(res *Result, reports []*fileResult) {
	newest := map[string]*Report{}
	for _, f := range reports {
		r := f.report
		if r.AccountID == "" {
			continue
		}
		key := r.Partition + ":" + r.AccountID
		if cur, ok := newest[key]; !ok || reportTime(r).After(reportTime(cur)) {
			newest[key] = r
		}
	}
	for _, f := range reports {
		r := f.report
		if r.AccountID == "" {
			continue
		}
		keep := newest[r.Partition+":"+r.AccountID]
		if keep == r {
			continue
		}
		r.SupersededBy = keep.Source
		why := fmt.Sprintf("which is newer (%s against %s)", describeTime(keep), describeTime(r))
		switch {
		case r.SHA256 == keep.SHA256:
			why = "which is the same report"
		case reportTime(r).Equal(reportTime(keep)):
			why = fmt.Sprintf("which is as recent (%s) and was given first", describeTime(keep))
		}
		res.Warnings = append(res.Warnings, Problem{Source: r.Source, Message: fmt.Sprintf("superseded: account %s is also in %s, %s; only that one is analysed", r.AccountID, keep.Source, why)})
	}
}

// describeTime says what a report's time is, for the reader to judge a
// choice between reports: a hand-edited date far in the future wins.
func describeTime(r *Report) string {
	if !r.Generated.IsZero() {
		return "generated " + r.Generated.Format(time.RFC3339)
	}
	return "newest timestamp " + unix(r.newest).Format(time.RFC3339)
}

func reportTime(r *Report) time.Time {
	if !r.Generated.IsZero() {
		return r.Generated
	}
	return unix(r.newest)
}

// findingID names a finding by what identifies the key: the same key in a
// later run gets the same id; a replaced key (new creation time) a new one.
func findingID(f *Finding) string {
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
	copy(id[:], idPrefix(f.Check)+"-")
	const digits = "0123456789ABCDEF"
	for i, c := range h[:5] {
		id[3+2*i], id[4+2*i] = digits[c>>4], digits[c&0xF]
	}
	return string(id[:])
}
