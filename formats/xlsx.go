package formats

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"github.com/credreview/credreview/analyze"
)

// XLSX writes the change board's workbook: Summary, Findings (one row per
// finding, with the board's Decision, Reviewer, Change ticket and Notes
// columns), Errors and Warnings when there are any, and About.
//
// Findings is written with excelize's StreamWriter, so a batch of hundreds
// of thousands of findings fits in little memory. It is the only streamed
// sheet: excelize writes streamed parts in map order, and one stream keeps
// the zip entries, and so the bytes, the same from run to run. Every value
// is written as a string or a number, never as a formula, so a user named
// =1+2 stays text. A value longer than a cell holds is cut visibly, never
// silently.
type XLSX struct{}

var _ Format = XLSX{}

func init() { register(XLSX{}) }

// Name implements Format.
func (XLSX) Name() string { return "xlsx" }

// Sheet names, in order.
const (
	sheetSummary  = "Summary"
	sheetFindings = "Findings"
	sheetErrors   = "Errors"
	sheetWarnings = "Warnings"
	sheetAbout    = "About"
)

// Decisions are the choices of the Decision column's drop-down list.
var Decisions = []string{"Approve", "Reject", "Defer"}

// findingColumns are the Findings sheet's columns, with their widths: the
// fixed width for long free text, else fitted to the content within
// [min, max].
var findingColumns = []struct {
	title    string
	min, max float64
}{
	{"Severity", 9, 9},
	{"Finding ID", 15, 15},
	{"Check", 10, 10},
	{"Account", 14, 14},
	{"Partition", 10, 12},
	{"User", 8, 40},
	{"ARN", 12, 70},
	{"Key slot", 9, 9},
	{"Key id", 12, 24},
	{"Key status", 11, 11},
	{"User created", 21, 21},
	{"Key created", 21, 21},
	{"After user", 11, 14},
	{"Key last used", 21, 21},
	{"Last used service", 10, 20},
	{"Last used region", 10, 16},
	{"Password last used", 21, 21},
	{"MFA", 6, 6},
	{"Inventory notes", 30, 60},
	{"Test commands", 90, 90},
	{"Implementation commands", 90, 90},
	{"Backout commands", 90, 90},
	{"Decision", 12, 12},
	{"Reviewer", 16, 16},
	{"Change ticket", 16, 16},
	{"Notes", 30, 30},
}

// The columns that hold commands and notes wrap.
const (
	colNotes    = 19 // Inventory notes, 1-based
	colTest     = 20
	colDecision = 23
)

// maxCellChars is the most UTF-16 units an Excel cell holds.
const maxCellChars = 32767

// cellText fits a value in a cell, marking any cut it has to make: excelize
// would cut it silently.
func cellText(s string) string {
	if len(s) <= maxCellChars { // UTF-8 never has fewer bytes than UTF-16 units
		return s
	}
	u := utf16.Encode([]rune(s))
	if len(u) <= maxCellChars {
		return s
	}
	keep := maxCellChars - 100
	if r := rune(u[keep-1]); r >= 0xD800 && r < 0xDC00 { // do not split a surrogate pair
		keep--
	}
	return string(utf16.Decode(u[:keep])) + fmt.Sprintf("\n[cut here: %d more characters are in the JSON output]", len(u)-keep)
}

type xlsxStyles struct {
	title, heading, header, wrap, code, bold, center int
	severity                                         map[analyze.Severity]int
}

func newStyles(f *excelize.File) (*xlsxStyles, error) {
	var err error
	s := &xlsxStyles{severity: map[analyze.Severity]int{}}
	add := func(st *excelize.Style) int {
		if err != nil {
			return 0
		}
		var id int
		id, err = f.NewStyle(st)
		return id
	}
	border := []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}}
	top := &excelize.Alignment{Vertical: "top"}
	s.title = add(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	s.heading = add(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 12}})
	s.bold = add(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: top})
	s.header = add(&excelize.Style{
		Font:      &excelize.Font{Bold: true, Color: "FFFFFF"},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"305496"}},
		Border:    border,
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
	})
	s.center = add(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", Horizontal: "center"}})
	s.wrap = add(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	s.code = add(&excelize.Style{Font: &excelize.Font{Family: "Liberation Mono", Size: 9}, Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	// In a fixed order: styles are numbered as they are made.
	for _, sc := range []struct {
		sev   analyze.Severity
		color string
	}{{analyze.SeverityHigh, "F4B6B6"}, {analyze.SeverityMedium, "FCE4A8"}, {analyze.SeverityLow, "DDEBF7"}} {
		s.severity[sc.sev] = add(&excelize.Style{
			Font:      &excelize.Font{Bold: sc.sev == analyze.SeverityHigh},
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{sc.color}},
			Alignment: top,
		})
	}
	return s, err
}

// Write implements Format.
func (XLSX) Write(w io.Writer, r *Review) error {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	if err := f.SetSheetName("Sheet1", sheetSummary); err != nil {
		return err
	}
	for _, name := range []string{sheetFindings, sheetErrors, sheetWarnings, sheetAbout} {
		if (name == sheetErrors && len(r.Errors) == 0) || (name == sheetWarnings && len(r.Warnings) == 0) {
			continue
		}
		if _, err := f.NewSheet(name); err != nil {
			return err
		}
	}
	steps := []func(*excelize.File, *Review, *xlsxStyles) error{writeSummary, writeFindings, writeProblems, writeAbout, writeDocProps}
	for _, step := range steps {
		if err := step(f, r, st); err != nil {
			return err
		}
	}
	// Print landscape, each sheet one page wide but Findings, whose 26
	// columns would shrink to nothing. Last, as setting a filter resets
	// the sheet properties; the stream wrote Findings' own already.
	for _, name := range f.GetSheetList() {
		if name != sheetFindings {
			if err := printSetup(f, name, true); err != nil {
				return err
			}
		}
	}
	f.SetActiveSheet(0)
	return f.Write(w)
}

func printSetup(f *excelize.File, sheet string, fit bool) error {
	landscape := "landscape"
	if !fit {
		return f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &landscape})
	}
	wide, tall := 1, 0
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	return f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &landscape, FitToWidth: &wide, FitToHeight: &tall})
}

// sheetWriter writes a small sheet row by row with the per-cell API,
// remembering the first error.
type sheetWriter struct {
	f     *excelize.File
	sheet string
	row   int
	err   error
}

func (s *sheetWriter) set(col int, v any, style int) {
	if s.err != nil {
		return
	}
	cell, err := excelize.CoordinatesToCellName(col, s.row)
	if err == nil {
		if str, ok := v.(string); ok {
			err = s.f.SetCellStr(s.sheet, cell, cellText(str))
		} else {
			err = s.f.SetCellValue(s.sheet, cell, v)
		}
	}
	if err == nil && style != 0 {
		err = s.f.SetCellStyle(s.sheet, cell, cell, style)
	}
	s.err = err
}

// line writes values in a new row.
func (s *sheetWriter) line(style int, values ...any) {
	s.row++
	for i, v := range values {
		s.set(i+1, v, style)
	}
}

// note writes text across columns A to last, merged and wrapped.
func (s *sheetWriter) note(text string, last string, style int, height float64) {
	s.line(style, text)
	if s.err == nil {
		s.err = s.f.MergeCell(s.sheet, fmt.Sprintf("A%d", s.row), fmt.Sprintf("%s%d", last, s.row))
	}
	if s.err == nil && height > 0 {
		s.err = s.f.SetRowHeight(s.sheet, s.row, height)
	}
}

func (s *sheetWriter) blank() { s.row++ }

func writeSummary(f *excelize.File, r *Review, st *xlsxStyles) error {
	s := &sheetWriter{f: f, sheet: sheetSummary}
	s.line(st.title, "Credential review: access keys created during console users' initial setup")
	s.line(0, capitalize(Summary(r))+".")
	s.blank()
	s.line(st.heading, "Run")
	s.line(0, "Tool", r.Tool.Name+" "+r.Tool.Version)
	s.line(0, "Check", "setup-key: "+cisControl)
	s.line(0, "Rule", fmt.Sprintf("a console user's access key created 0 to %s after the user (inclusive)", Window(r.Options.SetupWindow)))
	s.line(0, "Setup window", Window(r.Options.SetupWindow))
	s.line(0, "Ages measured to", asOfRule(r))
	s.blank()

	s.line(st.heading, "Reports")
	reportHeader := []any{"Source", "Account", "Partition", "Generated", "As of", "As-of rule", "Users", "Console users", "Keys", "SHA-256"}
	s.line(st.header, reportHeader...)
	for _, rep := range r.Reports {
		s.line(0, rep.Source, accountOf(rep.AccountID), rep.Partition, orDash(stamp(rep.Generated)), orDash(stamp(rep.AsOf)), rep.AsOfRule, rep.Users, rep.ConsoleUsers, rep.Keys, rep.SHA256)
	}
	if len(r.Superseded) > 0 {
		s.blank()
		s.line(st.heading, "Superseded reports (not analysed: a newer report of the same account was given)")
		s.line(st.header, "Source", "Account", "Partition", "Generated", "Superseded by", "", "Users", "Console users", "Keys", "SHA-256")
		for _, rep := range r.Superseded {
			s.line(0, rep.Source, rep.AccountID, rep.Partition, orDash(stamp(rep.Generated)), rep.SupersededBy, "", rep.Users, rep.ConsoleUsers, rep.Keys, rep.SHA256)
		}
	}
	if len(r.Inventories) > 0 {
		s.blank()
		s.line(st.heading, "Key inventories")
		s.line(st.header, "Source", "Account", "", "", "", "", "", "", "Keys", "SHA-256")
		for _, inv := range r.Inventories {
			acct := inv.AccountID
			if acct == "" {
				acct = "any (no account id in the file name)"
			}
			s.line(0, inv.Source, acct, "", "", "", "", "", "", len(inv.Keys), inv.SHA256)
		}
	}
	s.blank()
	s.line(st.heading, "Findings per account")
	s.line(st.header, "Account", "High", "Medium", "Low", "Total")
	for _, a := range r.Accounts() {
		c := r.CountBySeverity(a)
		s.line(0, accountOf(a), c[analyze.SeverityHigh], c[analyze.SeverityMedium], c[analyze.SeverityLow], c.Total())
	}
	c := r.CountBySeverity("")
	s.line(st.bold, "All", c[analyze.SeverityHigh], c[analyze.SeverityMedium], c[analyze.SeverityLow], c.Total())
	if len(r.Errors) > 0 {
		s.blank()
		s.note(fmt.Sprintf("%s could not be read, in whole or in part: see the Errors sheet. What they hold is not in this review.", plural(len(r.Errors), "input problem", "input problems")), "J", st.bold, 0)
	}
	s.blank()
	s.line(st.heading, "How to use this workbook")
	for _, t := range []string{
		"1. Decide in the Findings sheet: for each finding choose Approve, Reject or Defer in the Decision column, and fill in Reviewer, Change ticket and Notes. About explains each severity.",
		"2. Run the test commands of the approved findings, then the implementation plan: deactivate the keys, wait and watch for anything that breaks, then delete them (credential-review.md and credential-review.sh hold the plan per account).",
		"3. Verify: generate a fresh credential report of each account and run credreview on it; the approved findings must be gone.",
		"4. If something breaks after deactivation, run the backout commands to reactivate the key. A deleted key cannot come back; backout then makes a new key.",
	} {
		s.note(t, "J", st.wrap, 30)
	}
	if s.err != nil {
		return s.err
	}
	return setWidths(f, sheetSummary, 50, 16, 11, 21, 21, 30, 8, 14, 8, 66)
}

// setWidths sets the widths of columns A, B, ... in order.
func setWidths(f *excelize.File, sheet string, widths ...float64) error {
	for i, w := range widths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(sheet, col, col, w); err != nil {
			return err
		}
	}
	return nil
}

// findingRow is one finding's cells, in findingColumns' order.
func findingRow(fd *analyze.Finding) []string {
	c := fd.Commands()
	return []string{
		fd.Severity.String(),
		fd.ID,
		fd.Check,
		fd.AccountID,
		fd.Partition,
		fd.User,
		fd.ARN,
		"", // key slot: a number, set by the caller
		keyIDText(fd),
		statusWord(fd.KeyActive),
		stamp(fd.UserCreated),
		stamp(fd.KeyCreated),
		analyze.HumanSeconds(fd.SecondsAfterUserCreated()),
		orNever(stamp(fd.KeyLastUsed)),
		reportValue(fd.KeyLastUsedService),
		reportValue(fd.KeyLastUsedRegion),
		fd.PasswordLastUsed.String(),
		yesNo(fd.MFAActive),
		strings.Join(fd.Notes, "\n"),
		strings.Join(c.Test, "\n"),
		strings.Join(c.Implement, "\n"),
		strings.Join(c.Backout, "\n"),
		"", "", "", "",
	}
}

func orNever(s string) string {
	if s == "" {
		return "never"
	}
	return s
}

func writeFindings(f *excelize.File, r *Review, st *xlsxStyles) error {
	if err := printSetup(f, sheetFindings, false); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheetFindings)
	if err != nil {
		return err
	}
	// Widths first: the stream writes them before the rows.
	widths := make([]float64, len(findingColumns))
	for i, c := range findingColumns {
		widths[i] = max(c.min, float64(len(c.title))+2)
	}
	for i := range r.Findings {
		for j, v := range findingRow(&r.Findings[i]) {
			if w := float64(len(v)) + 2; w > widths[j] && !strings.Contains(v, "\n") {
				widths[j] = w
			}
		}
	}
	for i := len(findingColumns) - 1; i >= 0; i-- {
		if err := sw.SetColWidth(i+1, i+1, min(widths[i], max(findingColumns[i].max, findingColumns[i].min))); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}); err != nil {
		return err
	}
	header := make([]any, len(findingColumns))
	for i, c := range findingColumns {
		header[i] = excelize.Cell{StyleID: st.header, Value: c.title}
	}
	if err := sw.SetRow("A1", header, excelize.RowOpts{Height: 30}); err != nil {
		return err
	}
	for i := range r.Findings {
		fd := &r.Findings[i]
		cells := make([]any, len(findingColumns))
		lines := 1
		for j, v := range findingRow(fd) {
			style := st.wrap
			switch {
			case j == 0:
				style = st.severity[fd.Severity]
			case j+1 >= colTest && j+1 < colDecision:
				style = st.code
			}
			cells[j] = excelize.Cell{StyleID: style, Value: cellText(v)}
			if j+1 == colNotes || (j+1 >= colTest && j+1 < colDecision) {
				lines = max(lines, wrappedLines(v, widths[j]))
			}
		}
		cells[7] = excelize.Cell{StyleID: st.center, Value: fd.KeySlot}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, cells, excelize.RowOpts{Height: min(409, 12*float64(lines)+4)}); err != nil {
			return err
		}
	}
	// The filter and the drop-down belong to the worksheet the stream
	// writes at Flush, so they are set before it.
	last, _ := excelize.CoordinatesToCellName(len(findingColumns), len(r.Findings)+1)
	if err := f.AutoFilter(sheetFindings, "A1:"+last, nil); err != nil {
		return err
	}
	if len(r.Findings) > 0 {
		decision, _ := excelize.ColumnNumberToName(colDecision)
		dv := excelize.NewDataValidation(true)
		dv.Sqref = fmt.Sprintf("%s2:%s%d", decision, decision, len(r.Findings)+1)
		if err := dv.SetDropList(Decisions); err != nil {
			return err
		}
		dv.SetError(excelize.DataValidationErrorStyleStop, "Decision", "Choose Approve, Reject or Defer.")
		dv.SetInput("Decision", "The board's decision on this finding: Approve, Reject or Defer.")
		if err := f.AddDataValidation(sheetFindings, dv); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	// Printed, every page repeats the header row.
	return f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: "'" + sheetFindings + "'!$1:$1", Scope: sheetFindings})
}

// wrappedLines estimates how many lines a wrapped cell shows, so that rows
// of commands are tall enough to read without resizing.
func wrappedLines(s string, width float64) int {
	n := 0
	per := max(1, int(width*1.15)) // a 9-point monospace font fits more than the width in characters
	for _, line := range strings.Split(s, "\n") {
		n += max(1, (len(line)+per-1)/per)
	}
	return n
}

func writeProblems(f *excelize.File, r *Review, st *xlsxStyles) error {
	for _, p := range []struct {
		sheet string
		list  []analyze.Problem
	}{{sheetErrors, r.Errors}, {sheetWarnings, r.Warnings}} {
		if len(p.list) == 0 {
			continue
		}
		s := &sheetWriter{f: f, sheet: p.sheet}
		s.line(st.header, "Source", "Line", "Message", "Hint")
		for _, pr := range p.list {
			s.row++
			s.set(1, pr.Source, st.wrap)
			if pr.Line > 0 {
				s.set(2, pr.Line, st.wrap)
			}
			s.set(3, pr.Message, st.wrap)
			s.set(4, pr.Hint, st.wrap)
		}
		if s.err != nil {
			return s.err
		}
		if err := f.SetPanes(p.sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
		if err := f.AutoFilter(p.sheet, fmt.Sprintf("A1:D%d", len(p.list)+1), nil); err != nil {
			return err
		}
		if err := setWidths(f, p.sheet, 50, 7, 90, 60); err != nil {
			return err
		}
	}
	return nil
}

func writeAbout(f *excelize.File, r *Review, st *xlsxStyles) error {
	s := &sheetWriter{f: f, sheet: sheetAbout}
	s.line(st.title, "About this review")
	s.blank()
	s.line(st.heading, "The check: setup-key")
	s.note(cisControl+".", "B", st.wrap, 30)
	s.note(fmt.Sprintf("Rule: for every IAM user whose password_enabled is true (the root user never counts), and each access key N whose access_key_N_last_rotated is a time (the key's creation time), the key is a setup-time key when 0 <= key created - user created <= %s (inclusive). One finding per key.", Window(r.Options.SetupWindow)), "B", st.wrap, 45)
	s.note("The CIS console audit compares the user's creation time with the key's; its CLI audit looks for console users whose keys were never used. This review joins both, and the severity says which case a key is.", "B", st.wrap, 30)
	s.blank()
	s.line(st.heading, "Severities")
	s.line(st.header, "Severity", "What it asks of the board")
	for _, sev := range analyze.Severities {
		s.line(st.wrap, sev.String(), severityMeaning[sev]+".")
		if s.err == nil {
			cell := fmt.Sprintf("A%d", s.row)
			s.err = f.SetCellStyle(sheetAbout, cell, cell, st.severity[sev])
		}
	}
	s.blank()
	s.line(st.heading, "Key ids")
	s.note("A credential report names no access key ids. Where a key inventory (aws iam list-access-keys) names the key, the commands use its id. Otherwise each command lists the user's keys when it runs, keeps the one created at the key's creation time to the second, and acts only if exactly one key matches; if not, it says so and changes nothing.", "B", st.wrap, 45)
	s.blank()
	s.line(st.heading, "Ages and as-of time")
	s.note("Ages are measured to "+asOfRule(r)+"; never to the time the review was made, so the same inputs always give the same workbook.", "B", st.wrap, 30)
	if s.err != nil {
		return s.err
	}
	return setWidths(f, sheetAbout, 12, 110)
}

// writeDocProps sets the document's properties from the review, not the
// clock: excelize would otherwise stamp the time of writing.
func writeDocProps(f *excelize.File, r *Review, _ *xlsxStyles) error {
	when := r.Options.AsOf
	for _, rep := range r.Reports {
		if rep.AsOf.After(when) {
			when = rep.AsOf
		}
	}
	if when.IsZero() {
		when = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	ts := when.UTC().Format(time.RFC3339)
	return f.SetDocProps(&excelize.DocProperties{
		Title:          "Credential review: access keys created during console users' initial setup",
		Subject:        "CIS AWS Foundations: setup-time access keys of console users",
		Creator:        r.Tool.Name + " " + r.Tool.Version,
		LastModifiedBy: r.Tool.Name + " " + r.Tool.Version,
		Description:    capitalize(Summary(r)) + ".",
		Keywords:       "IAM; credential report; access keys; CIS",
		Created:        ts,
		Modified:       ts,
		Language:       "en-GB",
	})
}
