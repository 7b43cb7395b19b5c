package formats

import (
	"encoding/csv"
	"io"
	"strings"

	"github.com/credreview/credreview/analyze"
)

// CSV writes one row per finding for a tracker's import: RFC 4180 (quoted
// where needed, CRLF line ends), a header, and the columns a ticket needs.
// No cell is one a spreadsheet would evaluate: a value that starts with
// = + - @, a tab or a carriage return is written after an apostrophe, as
// spreadsheets themselves write text that looks like a formula (a user
// named =1+2 is '=1+2).
type CSV struct{}

var _ Format = CSV{}

func init() { register(CSV{}) }

// Name implements Format.
func (CSV) Name() string { return "csv" }

// csvColumns are the CSV's columns.
var csvColumns = []struct {
	title string
	value func(r *Review, f *analyze.Finding) string
}{
	{"id", func(_ *Review, f *analyze.Finding) string { return f.ID }},
	{"check", func(_ *Review, f *analyze.Finding) string { return f.Check }},
	{"cis_id", func(r *Review, f *analyze.Finding) string { return r.control(f.Check) }},
	{"severity", func(_ *Review, f *analyze.Finding) string { return f.Severity.String() }},
	{"account", func(_ *Review, f *analyze.Finding) string { return f.AccountID }},
	{"user", func(_ *Review, f *analyze.Finding) string { return f.User }},
	{"key", func(_ *Review, f *analyze.Finding) string { return strings.ReplaceAll(keyText(f), "\n", " ") }},
	{"status", func(_ *Review, f *analyze.Finding) string { return statusText(f) }},
	{"evidence", func(_ *Review, f *analyze.Finding) string { return f.Detail }},
	{"recommended_action", func(_ *Review, f *analyze.Finding) string { return actionText(f) }},
	{"exception", func(_ *Review, f *analyze.Finding) string {
		if f.Exception == nil {
			return ""
		}
		return "excepted until " + f.Exception.Expires.Format("2006-01-02") + " by " + f.Exception.ApprovedBy + ": " + f.Exception.Reason
	}},
	{"source", func(_ *Review, f *analyze.Finding) string { return f.Source + ":" + itoa(f.Line) }},
}

// Write implements Format.
func (CSV) Write(w io.Writer, r *Review) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	row := make([]string, len(csvColumns))
	for i, c := range csvColumns {
		row[i] = c.title
	}
	if err := cw.Write(row); err != nil {
		return err
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		for j, c := range csvColumns {
			row[j] = inert(Visible(c.value(r, f)))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// inert keeps a spreadsheet from reading a value as a formula.
func inert(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}
