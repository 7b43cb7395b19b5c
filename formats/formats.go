// Package formats writes an analysis as a change-board package: an XLSX
// workbook, a Markdown change request, JSON for pipelines and a POSIX sh
// script. Each format is one file of this package, behind one interface;
// all of them are deterministic, so the same result gives the same bytes.
package formats

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/credreview/credreview/analyze"
)

// Tool names the program that made a review.
type Tool struct {
	Name    string
	Version string
}

// Review is what every format writes: an analysis and what made it.
type Review struct {
	Tool Tool
	*analyze.Result

	// ID names the review in every file of it; see ReviewID.
	ID string

	// Paper is the paper size the workbook is laid out for (A4 if unset).
	Paper Paper

	// Benchmark is the CIS version whose control ids the outputs show; if
	// unset, each check's newest.
	Benchmark analyze.Benchmark

	// Name is the base name of the review's files (credential-review if
	// unset), which the script and the workbook name one another by.
	Name string

	// Decisions, when set, are a change board's, read back from its
	// workbook by ReadApproved: the script then holds only the findings it
	// approved. Keyed by finding ID.
	Decisions map[string]Decision
	// Workbook names the workbook the decisions came from.
	Workbook string

	// stampDigest is the digest of the workbook's stamp, once it is
	// written: a sealed review's manifest records it (StampDigest).
	stampDigest string

	// Custody, when set, are the statements of the evidence's chain of
	// custody read back with a review (from a workbook's stamp); else they
	// are the analysis's (analyze.Result.EvidenceStatements).
	Custody []string
}

// custody says what the review's evidence checks found, a line each.
func (r *Review) custody() []string {
	if r.Custody != nil {
		return r.Custody
	}
	return r.EvidenceStatements()
}

// NewReview makes the review of an analysis.
func NewReview(tool Tool, res *analyze.Result) *Review {
	r := &Review{Tool: tool, Result: res}
	r.ID = ReviewID(r)
	return r
}

// ReviewID is the review's id: the one it was read with, else the one
// analyze.ReviewID gives its result.
func ReviewID(r *Review) string {
	if r.ID != "" {
		return r.ID
	}
	return analyze.ReviewID(r.Tool.Name+" "+r.Tool.Version, r.Result)
}

// ReviewIDOf reads the review id that a file credreview wrote carries: the
// Markdown, the JSON and the script near their start, the workbook in its
// document properties. It returns "" for a file that carries none.
func ReviewIDOf(path string) string { return fileID(path, "CR") }

// VerificationIDOf reads the verification id (CV-…) that a file of credreview
// verify carries, as ReviewIDOf does a review's.
func VerificationIDOf(path string) string { return fileID(path, "CV") }

// fileID finds the first id of a kind (CR or CV) in a file credreview wrote;
// a manifest's signature has its manifest's.
func fileID(path, kind string) string {
	if m, ok := strings.CutSuffix(path, ".manifest.json.sig"); ok {
		path = m + ".manifest.json"
	}
	if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
		return "" // a pipe or a device would block, or never end
	}
	if strings.HasSuffix(path, ".xlsx") {
		zr, err := zip.OpenReader(path)
		if err != nil {
			return ""
		}
		defer zr.Close()
		for _, f := range zr.File {
			if f.Name != "docProps/core.xml" {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				return ""
			}
			defer rc.Close()
			b, _ := io.ReadAll(io.LimitReader(rc, 64<<10))
			if m := regexp.MustCompile(`<dc:identifier>(` + kind + `-[0-9A-F]{12})</dc:identifier>`).FindSubmatch(b); m != nil {
				return string(m[1])
			}
		}
		return ""
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	b := make([]byte, 4<<10)
	n, _ := io.ReadFull(f, b)
	return string(regexp.MustCompile(kind + `-[0-9A-F]{12}`).Find(b[:n]))
}

// control names a finding's CIS control as the outputs show it: the
// benchmark's id ("not in" it when it lacks the check), or each check's
// newest without a benchmark; see analyze.Check.Label.
func (r *Review) control(check string) string {
	c := analyze.CheckByID(check)
	if c == nil {
		return ""
	}
	return c.Label(r.Benchmark, &r.Options)
}

// checks are the checks the review ran.
func (r *Review) checks() []string {
	if len(r.Options.Checks) == 0 {
		return []string{analyze.DefaultCheck().ID}
	}
	return r.Options.Checks
}

// single is the review's check when it ran one that has texts of its own
// (see analyze.Documents): its outputs then speak of it alone.
func (r *Review) single() *analyze.Documents {
	if c := r.checks(); len(c) == 1 {
		return analyze.CheckByID(c[0]).Documents
	}
	return nil
}

func (r *Review) name() string {
	if r.Name == "" {
		return analyze.OutputBase
	}
	return r.Name
}

func (r *Review) paper() Paper {
	if r.Paper == 0 {
		return PaperA4
	}
	return r.Paper
}

// Format writes a review in one format.
type Format interface {
	// Name is what --format calls it, and the extension of its file.
	Name() string
	Write(w io.Writer, r *Review) error
}

var all = map[string]Format{}

func register(f Format) { all[f.Name()] = f }

// Lookup finds a format by name.
func Lookup(name string) (Format, bool) {
	f, ok := all[name]
	return f, ok
}

// Names lists the formats, sorted.
func Names() []string {
	var names []string
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// errWriter remembers the first write error, so that rendering code can
// write straight through and check once at the end.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

func (e *errWriter) print(s ...string) {
	for _, s := range s {
		if e.err != nil {
			return
		}
		_, e.err = io.WriteString(e.w, s)
	}
}

// Helpers shared by the formats, so that they say the same thing.

// Summary says in one line what a review covers and found.
func Summary(r *Review) string {
	c := r.CountBySeverity("")
	s := fmt.Sprintf("%s in %s, %s", plural(len(r.Reports), "report", "reports"), plural(len(r.Accounts()), "account", "accounts"), plural(c.Total(), "finding", "findings"))
	if c.Total() > 0 {
		s += fmt.Sprintf(" (%d high, %d medium, %d low)", c[analyze.SeverityHigh], c[analyze.SeverityMedium], c[analyze.SeverityLow])
	}
	if n := r.ExceptedCount(); n > 0 {
		s += fmt.Sprintf(", %d excepted", n)
	}
	if len(r.Errors) > 0 {
		s += ", " + plural(len(r.Errors), "input error", "input errors")
	}
	return s
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return string(analyze.AppendStamp(make([]byte, 0, 20), t))
}

// asOfRule says how ages were measured.
func asOfRule(r *Review) string {
	if !r.Options.AsOf.IsZero() {
		return "--as-of " + stamp(r.Options.AsOf)
	}
	return "each report's generated time, else its newest timestamp"
}

// statusWord is a key's status as IAM names it.
func statusWord(active bool) string {
	if active {
		return "Active"
	}
	return "Inactive"
}

// reportValue is a free-text report value, "" for the report's sentinels.
func reportValue(s string) string {
	switch s {
	case "N/A", "not_supported", "no_information":
		return ""
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// accountOf writes an account id, or says that a report named none.
func accountOf(id string) string {
	if id == "" {
		return "(no rows)"
	}
	return id
}

// title is what the review's documents are headed.
func (r *Review) title() string {
	if d := r.single(); d != nil {
		return d.ReviewTitle
	}
	return "Credential review: IAM credentials against the CIS AWS Foundations Benchmark"
}

// checkRule says a check's rule, with the review's periods.
func checkRule(r *Review, id string) string { return analyze.CheckByID(id).Rule(&r.Options) }

// v7Note says what the newest benchmark dropped.
func v7Note() string {
	var ids []string
	for _, c := range analyze.Checks {
		if c.NotInCISv7 {
			ids = append(ids, c.ID)
		}
	}
	return "CIS v7.0 no longer lists the " + strings.Join(ids, " and ") + " controls; credreview keeps them, as the versions before it do."
}

// Window writes a setup window as people write durations (1h, 90s, 1h30m),
// as every output does.
func Window(d time.Duration) string { return analyze.FormatWindow(d) }

// StampDigest is the digest of the stamp of the workbook written of the
// review, "" before one is written: what a sealed review's manifest holds
// of its workbook, whose bytes change as a board decides in it.
func (r *Review) StampDigest() string { return r.stampDigest }

// Stamp writes a time as every output does, 2006-01-02T15:04:05Z, and ""
// for no time.
func Stamp(t time.Time) string { return stamp(t) }

// NewestAsOf is the newest as-of time of a review's reports: when its
// evidence was, as outputs date themselves rather than by the clock.
func NewestAsOf(r *Review) time.Time { return newestAsOf(r) }
