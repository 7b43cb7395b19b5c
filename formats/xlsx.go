package formats

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/credreview/credreview/analyze"
)

// XLSX writes the change board's workbook:
//
//   - Summary: what was reviewed and found, readable at 100 % and on one
//     page's width;
//   - Findings: one row per finding, the board's columns first (what it
//     decides on, then Decision, Reviewer, Change ticket and Notes), the
//     evidence after them; printed, only the board's columns, one page wide,
//     the heading repeated on every page;
//   - Commands: one row per finding and phase, keyed by finding ID;
//   - Errors and Warnings when there are any, and About;
//   - a very hidden sheet, credreview, that stamps the workbook with the
//     review it shows, so that credreview script --approved can refuse a
//     workbook whose rows no longer match it (see approved.go).
//
// The three large sheets are written with excelize's StreamWriter, so a
// batch of many thousand findings fits in little memory. Every value is a
// string or a number, never a formula, so a user named =1+2 stays text. A
// value longer than a cell holds is cut visibly, never silently.
type XLSX struct{}

var _ Format = XLSX{}

func init() { register(XLSX{}) }

// Name implements Format.
func (XLSX) Name() string { return "xlsx" }

// Sheet names, in order.
const (
	sheetSummary  = "Summary"
	sheetAccounts = "Accounts"
	sheetFindings = "Findings"
	sheetCommands = "Commands"
	sheetExcepted = "Excepted"
	sheetErrors   = "Errors"
	sheetWarnings = "Warnings"
	sheetAbout    = "About"
	sheetStamp    = "credreview"
)

// Decisions are the choices of the Decision column's drop-down list.
var Decisions = []string{"Approve", "Reject", "Defer"}

// Paper is the paper size the workbook is laid out for.
type Paper int

// The paper sizes, by their excelize (SpreadsheetML) numbers.
const (
	PaperA4     Paper = 9
	PaperLetter Paper = 1
)

// ParsePaper reads a4 or letter.
func ParsePaper(s string) (Paper, error) {
	switch strings.ToLower(s) {
	case "a4":
		return PaperA4, nil
	case "letter":
		return PaperLetter, nil
	}
	return 0, fmt.Errorf("unknown paper size %q (want a4 or letter)", s)
}

func (p Paper) String() string {
	if p == PaperLetter {
		return "letter"
	}
	return "a4"
}

// maxCellChars is the most UTF-16 units an Excel cell holds.
const maxCellChars = 32767

// xlsxText is a value as a cell shows it: every character a reader could
// not see escaped (Visible), line breaks kept, and cut to fit.
func xlsxText(s string) string {
	if !strings.Contains(s, "\n") {
		return cellText(Visible(s))
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Visible(l)
	}
	return cellText(strings.Join(lines, "\n"))
}

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
	title, heading, header, headerCenter, text, bold, number, numberBold, code, mono int
	cell, cellCenter, cellCode, input, note                                          int
	severity                                                                         map[analyze.Severity]int
}

// newWorkbook starts a workbook: its styles, its first sheet, then those
// of the others that want says it has, in the order given.
func newWorkbook(first string, want map[string]bool, others ...string) (*excelize.File, *xlsxStyles, error) {
	f := excelize.NewFile()
	st, err := newStyles(f)
	if err == nil {
		err = f.SetSheetName("Sheet1", first)
	}
	for _, name := range others {
		if err == nil && want[name] {
			_, err = f.NewSheet(name)
		}
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, st, nil
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
	grid := []excelize.Border{
		{Type: "left", Color: "A6A6A6", Style: 1}, {Type: "right", Color: "A6A6A6", Style: 1},
		{Type: "top", Color: "A6A6A6", Style: 1}, {Type: "bottom", Color: "A6A6A6", Style: 1},
	}
	top := func(h string) *excelize.Alignment {
		return &excelize.Alignment{Vertical: "top", Horizontal: h, WrapText: true}
	}
	// Every font is named: a font without a family reads as a serif in
	// LibreOffice.
	const sans = "Calibri"
	mono := &excelize.Font{Family: "Liberation Mono", Size: 9}
	headerFill := excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"305496"}}
	white := &excelize.Font{Family: sans, Size: 11, Bold: true, Color: "FFFFFF"}
	// In a fixed order: styles are numbered as they are made.
	s.title = add(&excelize.Style{Font: &excelize.Font{Family: sans, Bold: true, Size: 14}})
	s.heading = add(&excelize.Style{Font: &excelize.Font{Family: sans, Bold: true, Size: 12}})
	s.header = add(&excelize.Style{Font: white, Fill: headerFill, Border: grid, Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}})
	s.headerCenter = add(&excelize.Style{Font: white, Fill: headerFill, Border: grid, Alignment: &excelize.Alignment{Vertical: "center", Horizontal: "center", WrapText: true}})
	s.text = add(&excelize.Style{Alignment: top("")})
	s.bold = add(&excelize.Style{Font: &excelize.Font{Family: sans, Size: 11, Bold: true}, Alignment: top("")})
	s.number = add(&excelize.Style{Alignment: top("center")})
	s.numberBold = add(&excelize.Style{Font: &excelize.Font{Family: sans, Size: 11, Bold: true}, Alignment: top("center")})
	s.code = add(&excelize.Style{Font: mono, Alignment: top("")})
	s.mono = add(&excelize.Style{Font: mono, Alignment: top(""), Border: grid})
	s.cell = add(&excelize.Style{Alignment: top(""), Border: grid})
	s.cellCenter = add(&excelize.Style{Alignment: top("center"), Border: grid})
	s.cellCode = add(&excelize.Style{Font: &excelize.Font{Family: "Liberation Mono", Size: 10}, Alignment: top(""), Border: grid})
	s.input = add(&excelize.Style{Alignment: top(""), Border: grid, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFF2CC"}}})
	s.note = add(&excelize.Style{Font: &excelize.Font{Family: sans, Size: 11, Italic: true, Color: "595959"}, Alignment: top("")})
	for _, sc := range []struct {
		sev   analyze.Severity
		color string
	}{{analyze.SeverityHigh, "F4B6B6"}, {analyze.SeverityMedium, "FCE4A8"}, {analyze.SeverityLow, "DDEBF7"}} {
		s.severity[sc.sev] = add(&excelize.Style{
			Font:      &excelize.Font{Family: sans, Size: 11, Bold: sc.sev == analyze.SeverityHigh},
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{sc.color}},
			Border:    grid,
			Alignment: top("center"),
		})
	}
	return s, err
}

// styleOf is the style of a findings column's cells.
func (s *xlsxStyles) styleOf(k cellKind, sev analyze.Severity) int {
	switch k {
	case kindSeverity:
		return s.severity[sev]
	case kindNumber, kindCenter:
		return s.cellCenter
	case kindCode:
		return s.cellCode
	case kindInput:
		return s.input
	}
	return s.cell
}

// Write implements Format.
func (XLSX) Write(w io.Writer, r *Review) error {
	v := newView(r)
	if err := fitsWorkbook(v); err != nil {
		return err
	}
	f, st, err := newWorkbook(sheetSummary, map[string]bool{sheetAccounts: v.manyAccounts(), sheetFindings: true, sheetCommands: true, sheetExcepted: len(v.Excepted) > 0,
		sheetErrors: len(r.Errors) > 0, sheetWarnings: len(r.Warnings) > 0, sheetAbout: true, sheetStamp: true},
		sheetAccounts, sheetFindings, sheetCommands, sheetExcepted, sheetErrors, sheetWarnings, sheetAbout, sheetStamp)
	if err != nil {
		return err
	}
	defer f.Close()
	large := []string{sheetFindings, sheetCommands, sheetStamp}
	if v.manyAccounts() {
		large = append(large, sheetAccounts)
	}
	book, err := newRawBook(f, w, large...)
	if err != nil {
		return err
	}
	defer book.close()

	// The small sheets one after the other; the large sheets' rows side
	// by side.
	for _, step := range []func(*excelize.File, *view, *xlsxStyles) error{writeSummary, writeExcepted, writeProblems, writeAbout, writeDocProps} {
		if err := step(f, v, st); err != nil {
			return err
		}
	}
	var wg sync.WaitGroup
	for _, fill := range []struct {
		sheet string
		rows  func(*rawSheet, *view, *xlsxStyles)
	}{{sheetFindings, findingRows}, {sheetCommands, commandRows}, {sheetStamp, stampRows}, {sheetAccounts, accountRows}} {
		if sh := book.sheet(fill.sheet); sh != nil {
			wg.Go(func() { fill.rows(sh, v, st) })
		}
	}
	if err := setFindings(f, v, st); err != nil {
		wg.Wait()
		return err
	}
	wg.Wait()
	if err := setCommands(f, v, book.sheet(sheetCommands)); err != nil {
		return err
	}
	if sh := book.sheet(sheetAccounts); sh != nil {
		if err := setAccounts(f, v, sh); err != nil {
			return err
		}
	}
	if err := f.SetSheetVisible(sheetStamp, false, true); err != nil {
		return err
	}
	return book.write()
}

// pageSetup prints a sheet landscape on the review's paper, one page wide,
// with the review's title, the sheet's name, the as-of time, the review id
// and "page N of M" in its header and footer. A sheet written by a stream
// must be set up before the stream is made.
func pageSetup(f *excelize.File, v *view, sheet string) error {
	return printLayout(f, sheet, v.paper(), v.title(), "As of "+asOfShort(v)+" · review "+ReviewID(v.Review))
}

// printLayout prints a sheet landscape on paper, one page wide, with title
// and the sheet's name in the header, footer and "page N of M" in the
// footer.
func printLayout(f *excelize.File, sheet string, paper Paper, title, footer string) error {
	landscape := "landscape"
	wide, tall := 1, 0
	size := int(paper)
	fit := true
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Size: &size, Orientation: &landscape, FitToWidth: &wide, FitToHeight: &tall}); err != nil {
		return err
	}
	side, edge, hf := 0.4, 0.6, 0.3
	if err := f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{Left: &side, Right: &side, Top: &edge, Bottom: &edge, Header: &hf, Footer: &hf}); err != nil {
		return err
	}
	return f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{
		OddHeader: "&L&\"-,Bold\"" + hfText(title) + "&R&A",
		OddFooter: "&L" + hfText(footer) + "&RPage &P of &N",
	})
}

// hfText escapes the & that starts a header or footer code.
func hfText(s string) string { return strings.ReplaceAll(s, "&", "&&") }

// asOfShort is the as-of time of the review for a page footer: the flag's,
// or the one of every report if they agree, else the newest.
func asOfShort(v *view) string {
	if !v.Options.AsOf.IsZero() {
		return stamp(v.Options.AsOf)
	}
	return stamp(newestAsOf(v.Review))
}

func newestAsOf(r *Review) time.Time {
	var when time.Time
	for _, rep := range r.Reports {
		if rep.AsOf.After(when) {
			when = rep.AsOf
		}
	}
	return when
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
			err = s.f.SetCellStr(s.sheet, cell, xlsxText(str))
		} else {
			err = s.f.SetCellValue(s.sheet, cell, v)
		}
	}
	if err == nil && style != 0 {
		err = s.f.SetCellStyle(s.sheet, cell, cell, style)
	}
	s.err = err
}

// line writes values in a new row, each with its style (the last style
// repeats).
func (s *sheetWriter) line(styles []int, values ...any) {
	s.row++
	for i, v := range values {
		if v == nil {
			continue
		}
		s.set(i+1, v, styles[min(i, len(styles)-1)])
	}
}

// height sets the current row's height in points.
func (s *sheetWriter) height(h float64) {
	if s.err == nil {
		s.err = s.f.SetRowHeight(s.sheet, s.row, h)
	}
}

// note writes text across columns A to last, merged and wrapped, in a row
// tall enough for it at a width of chars characters.
func (s *sheetWriter) note(text string, last string, style int, chars float64) {
	s.line([]int{style}, text)
	if s.err == nil {
		s.err = s.f.MergeCell(s.sheet, fmt.Sprintf("A%d", s.row), fmt.Sprintf("%s%d", last, s.row))
	}
	s.height(rowHeight(wrappedLines(text, chars)))
}

// pair writes a label and a value, the value merged across B to last.
func (s *sheetWriter) pair(label, value, last string, st *xlsxStyles, chars float64) {
	s.line([]int{st.bold, st.text}, label, value)
	if s.err == nil {
		s.err = s.f.MergeCell(s.sheet, fmt.Sprintf("B%d", s.row), fmt.Sprintf("%s%d", last, s.row))
	}
	s.height(rowHeight(max(wrappedLines(value, chars), wrappedLines(label, 20))))
}

func (s *sheetWriter) blank() { s.row++ }

// rowHeight is the height of a row of n lines of 11-point text.
func rowHeight(n int) float64 { return min(409, 14*float64(max(n, 1))+3) }

// wrappedLines estimates how many lines a wrapped cell of 11-point text
// shows in a column width (in widths of the digit 0), so that rows are tall
// enough to read without resizing (a program writing a workbook cannot ask
// for rows that fit their text). Letters are narrower than digits: a
// width holds about 1.2 characters of text.
func wrappedLines(s string, width float64) int {
	return linesAt(s, width*1.2)
}

// linesAt counts the lines of s wrapped at chars characters, breaking at
// spaces as a spreadsheet does.
func linesAt(s string, chars float64) int {
	n := 0
	per := max(1, int(chars))
	for line := range strings.SplitSeq(s, "\n") {
		// Break at spaces, as the reader does, not in the middle of words.
		width := 0
		lines := 1
		for word := range strings.FieldsSeq(line) {
			l := len([]rune(word))
			switch {
			case width == 0:
				width = l
			case width+1+l <= per:
				width += 1 + l
			default:
				lines++
				width = l
			}
			for width > per {
				lines++
				width -= per
			}
		}
		n += lines
	}
	return max(n, 1)
}

// Summary's columns: a wide first one for sources and labels, then the
// reports' columns.
var summaryWidths = []float64{44, 14, 21, 21, 8, 9, 8, 35}

const summaryLast = "H"

func writeSummary(f *excelize.File, v *view, st *xlsxStyles) error {
	r := v.Review
	s := &sheetWriter{f: f, sheet: sheetSummary}
	wideText := summaryWidths[0] + summaryWidths[1] + summaryWidths[2] + summaryWidths[3] + summaryWidths[4] + summaryWidths[5] + summaryWidths[6] + summaryWidths[7]
	valueWidth := wideText - summaryWidths[0]
	s.line([]int{st.title}, r.title())
	s.note(capitalize(Summary(r))+".", summaryLast, st.text, wideText)
	s.blank()
	s.line([]int{st.heading}, "Run")
	s.pair("Tool", r.Tool.Name+" "+r.Tool.Version, summaryLast, st, valueWidth)
	s.pair("Review id", ReviewID(r)+" (the same in every file of this review)", summaryLast, st, valueWidth)
	if d := r.single(); d != nil {
		s.pair("Check", r.checks()[0]+": "+d.Control, summaryLast, st, valueWidth)
		s.pair("Rule", d.ShortRule(&r.Options), summaryLast, st, valueWidth)
	} else {
		for _, id := range r.checks() {
			s.pair("Check", analyze.CheckByID(id).Line(), summaryLast, st, valueWidth)
		}
		for _, n := range analyze.NotChecked {
			s.pair("Not checked", n.Title+" ("+analyze.ControlsText(n.Controls)+"): a credential report cannot tell; see About", summaryLast, st, valueWidth)
		}
	}
	s.pair("Ages measured to", asOfRule(r), summaryLast, st, valueWidth)
	for _, c := range r.custody() {
		s.pair("Evidence", c, summaryLast, st, valueWidth)
	}
	s.blank()

	s.line([]int{st.heading}, "Findings per account")
	s.line([]int{st.header, st.headerCenter}, "Account", "High", "Medium", "Low", "Total")
	if !v.manyAccounts() {
		for _, a := range v.Accounts {
			s.line([]int{st.text, st.number}, accountOf(a.ID), a.Counts[analyze.SeverityHigh], a.Counts[analyze.SeverityMedium], a.Counts[analyze.SeverityLow], a.Counts.Total())
		}
	}
	s.line([]int{st.bold, st.numberBold}, "All", v.Total[analyze.SeverityHigh], v.Total[analyze.SeverityMedium], v.Total[analyze.SeverityLow], v.Total.Total())
	if v.manyAccounts() {
		s.note(fmt.Sprintf("%s and %s: the Accounts sheet lists each account, with its findings by severity and its report.",
			plural(len(v.Accounts), "account", "accounts"), plural(len(r.Reports), "report", "reports")), summaryLast, st.text, wideText)
	}
	if len(r.Errors) > 0 {
		s.blank()
		s.note(fmt.Sprintf("%s: inputs, or parts of them, could not be read; see the Errors sheet. What they hold is not in this review.", capitalize(plural(len(r.Errors), "input error", "input errors"))), summaryLast, st.bold, wideText)
	}
	s.blank()

	if !v.manyAccounts() {
		s.line([]int{st.heading}, "Reports")
		s.line([]int{st.header, st.header, st.header, st.header, st.headerCenter, st.headerCenter, st.headerCenter, st.header}, "Source", "Account", "Generated", "As of", "Users", "Console users", "Keys", "SHA-256")
		s.height(rowHeight(2))
		for _, rep := range r.Reports {
			s.line([]int{st.text, st.text, st.text, st.text, st.number, st.number, st.number, st.code}, rep.Source, accountOf(rep.AccountID), orDash(stamp(rep.Generated)), asOfCell(rep), rep.Users, rep.ConsoleUsers, rep.Keys, rep.SHA256)
			s.height(rowHeight(max(wrappedLines(rep.Source, summaryWidths[0]), wrappedLines(asOfCell(rep), summaryWidths[3]), 2)))
		}
	}
	if len(r.Superseded) > 0 {
		s.blank()
		s.line([]int{st.heading}, "Superseded reports (not analysed: a newer report of the same account was given)")
		s.line([]int{st.header}, "Source", "Account", "Generated", "Superseded by", "", "", "", "SHA-256")
		for _, rep := range r.Superseded {
			s.line([]int{st.text, st.text, st.text, st.text, st.text, st.text, st.text, st.code}, rep.Source, rep.AccountID, orDash(stamp(rep.Generated)), rep.SupersededBy, nil, nil, nil, rep.SHA256)
			s.height(rowHeight(max(wrappedLines(rep.Source, summaryWidths[0]), wrappedLines(rep.SupersededBy, summaryWidths[3]), 2)))
		}
	}
	if len(r.Inventories) > 0 {
		s.blank()
		s.line([]int{st.heading}, "Key inventories")
		s.line([]int{st.header, st.header, st.header, st.header, st.header, st.header, st.headerCenter, st.header}, "Source", "Account", "", "", "", "", "Keys", "SHA-256")
		for _, inv := range r.Inventories {
			acct := inv.AccountID
			if acct == "" {
				acct = "any (no account id in the file name)"
			}
			s.line([]int{st.text, st.text, st.text, st.text, st.text, st.text, st.number, st.code}, inv.Source, acct, nil, nil, nil, nil, len(inv.Keys), inv.SHA256)
			s.height(rowHeight(max(wrappedLines(inv.Source, summaryWidths[0]), wrappedLines(acct, summaryWidths[1]), 2)))
		}
	}
	s.blank()
	s.line([]int{st.heading}, "How to use this workbook")
	for _, t := range howTo {
		s.note(t, summaryLast, st.text, wideText)
	}
	if s.err != nil {
		return s.err
	}
	if err := setWidths(f, sheetSummary, summaryWidths...); err != nil {
		return err
	}
	return pageSetup(f, v, sheetSummary)
}

// howTo is the board's loop, as the Summary and About sheets say it.
var howTo = []string{
	"1. Decide in the Findings sheet: for each finding choose Approve, Reject or Defer in the Decision column, and fill in Reviewer, Change ticket and Notes. About explains each severity.",
	"2. Save the workbook and run credreview script --approved on it: the script it writes holds only the approved findings, with each reviewer and change ticket.",
	"3. Run the script's plan phase, then deactivate the keys, wait and watch for anything that breaks, then delete them; each account with its own credentials (sh credential-review.sh plan|deactivate|delete --account ID).",
	"4. Verify: generate a fresh credential report of each account (or credreview fetch) and run credreview verify --review on this review's JSON with it: each approved finding must be remediated. If something breaks after deactivation, the reactivate phase turns the keys back on; a deleted key cannot come back.",
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

func orNever(s string) string {
	if s == "" {
		return "never"
	}
	return s
}

// maxSheetRows is the most rows a spreadsheet's sheet holds.
const maxSheetRows = 1 << 20

// fitsWorkbook refuses a review whose sheets would have more rows than a
// spreadsheet holds: the Commands sheet has a row per finding and phase.
func fitsWorkbook(v *view) error {
	rows := 1 + len(v.Active)*len(commandPhases)
	if rows <= maxSheetRows {
		return nil
	}
	rows = 1
	for _, f := range v.Active {
		c := f.Commands()
		for _, p := range commandPhases {
			if len(p.Commands(&c)) > 0 {
				rows++
			}
		}
	}
	if rows <= maxSheetRows {
		return nil
	}
	return fmt.Errorf("the workbook's Commands sheet would need %d rows for %d findings, and a spreadsheet holds %d: write a workbook per account with --split accounts, or leave the workbook out (-f md,json)", rows, len(v.Active), maxSheetRows)
}

// setFindings sets up the Findings sheet around its rows: widths, panes,
// filter, the Decision drop-down, the print area and titles.
func setFindings(f *excelize.File, v *view, st *xlsxStyles) error {
	// The filter first: excelize's AutoFilter drops the sheet's other
	// properties, fit-to-page among them.
	last, _ := excelize.CoordinatesToCellName(len(findingColumns), len(v.Active)+1)
	if err := f.AutoFilter(sheetFindings, "A1:"+last, nil); err != nil {
		return err
	}
	if err := pageSetup(f, v, sheetFindings); err != nil {
		return err
	}
	widths := make([]float64, len(findingColumns))
	for i, c := range findingColumns {
		widths[i] = c.Width
	}
	if err := setWidths(f, sheetFindings, widths...); err != nil {
		return err
	}
	// Frozen: the heading, and the columns through the user name.
	user := columnIndex(colUser) + 1
	topLeft, _ := excelize.CoordinatesToCellName(user+1, 2)
	if err := f.SetPanes(sheetFindings, &excelize.Panes{Freeze: true, XSplit: user, YSplit: 1, TopLeftCell: topLeft, ActivePane: "bottomRight",
		Selection: []excelize.Selection{{SQRef: topLeft, ActiveCell: topLeft, Pane: "bottomRight"}}}); err != nil {
		return err
	}
	if len(v.Active) > 0 {
		decision, _ := excelize.ColumnNumberToName(columnIndex(colDecision) + 1)
		dv := excelize.NewDataValidation(true)
		dv.Sqref = fmt.Sprintf("%s2:%s%d", decision, decision, len(v.Active)+1)
		if err := dv.SetDropList(Decisions); err != nil {
			return err
		}
		dv.SetError(excelize.DataValidationErrorStyleStop, "Decision", "Choose Approve, Reject or Defer.")
		dv.SetInput("Decision", "The board's decision on this finding: Approve, Reject or Defer.")
		if err := f.AddDataValidation(sheetFindings, dv); err != nil {
			return err
		}
	}
	// Printed: the board's columns, the heading on every page.
	boardLast, _ := excelize.CoordinatesToCellName(len(boardColumns), len(v.Active)+1)
	boardLast = "$" + strings.TrimRight(boardLast, "0123456789") + "$" + strings.TrimLeft(boardLast, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
	if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Area", RefersTo: "'" + sheetFindings + "'!$A$1:" + boardLast, Scope: sheetFindings}); err != nil {
		return err
	}
	return f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: "'" + sheetFindings + "'!$1:$1", Scope: sheetFindings})
}

// findingRows writes the Findings sheet's rows: the heading, then one row
// per finding, tall enough for its printed columns.
func findingRows(sh *rawSheet, v *view, st *xlsxStyles) {
	header := make([]rawCell, len(findingColumns))
	lines := 1
	for i, c := range findingColumns {
		style := st.header
		if c.Kind == kindCenter || c.Kind == kindNumber || c.Kind == kindSeverity {
			style = st.headerCenter
		}
		header[i] = textCell(style, c.Title)
		lines = max(lines, wrappedLines(c.Title, c.Width))
	}
	sh.row(rowHeight(lines), header...)
	cells := make([]rawCell, len(findingColumns))
	for _, fd := range v.Active {
		lines := 1
		for j, c := range findingColumns {
			style := st.styleOf(c.Kind, fd.Severity)
			if c.Value == nil {
				cells[j] = rawCell{style: style}
				continue
			}
			val := c.Value(fd)
			if c.Kind == kindNumber {
				if n, ok := atoiOr(val).(int); ok {
					cells[j] = rawCell{style: style, num: n, kind: rawNumber}
					continue
				}
			}
			cells[j] = textCell(style, xlsxText(val))
			if j < len(boardColumns) { // the printed columns set the height
				if c.Kind == kindCode {
					lines = max(lines, linesAt(val, c.Width)) // 10-point monospace
				} else {
					lines = max(lines, wrappedLines(val, c.Width))
				}
			}
		}
		sh.row(rowHeight(lines), cells...)
	}
}

// accountColumns are the Accounts sheet's: an account's findings by
// severity, then its report.
var accountColumns = []struct {
	title string
	width float64
}{{"Account", 14}, {"High", 7}, {"Medium", 8}, {"Low", 7}, {"Total", 7}, {"Report", 44}, {"Generated", 21}, {"As of", 21},
	{"Users", 7}, {"Console users", 9}, {"Keys", 7}, {"SHA-256", 35}}

// setAccounts sets up the Accounts sheet around its rows.
func setAccounts(f *excelize.File, v *view, sh *rawSheet) error {
	last, _ := excelize.CoordinatesToCellName(len(accountColumns), max(sh.n, 1))
	if err := f.AutoFilter(sheetAccounts, "A1:"+last, nil); err != nil { // first: see setFindings
		return err
	}
	if err := pageSetup(f, v, sheetAccounts); err != nil {
		return err
	}
	widths := make([]float64, len(accountColumns))
	for i, c := range accountColumns {
		widths[i] = c.width
	}
	if err := setWidths(f, sheetAccounts, widths...); err != nil {
		return err
	}
	if err := f.SetPanes(sheetAccounts, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}); err != nil {
		return err
	}
	return f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: "'" + sheetAccounts + "'!$1:$1", Scope: sheetAccounts})
}

// accountRows writes the Accounts sheet's rows, when a review has too many
// accounts for its Summary to list: one per report, with its account's
// findings by severity, and one for the findings of an account no report
// names.
func accountRows(sh *rawSheet, v *view, st *xlsxStyles) {
	header := make([]rawCell, len(accountColumns))
	for i, c := range accountColumns {
		header[i] = textCell(st.header, c.title)
	}
	sh.row(rowHeight(2), header...)
	num := func(n int) rawCell { return rawCell{style: st.cellCenter, num: n, kind: rawNumber} }
	byAccount := map[string]*accountView{}
	for i := range v.Accounts {
		byAccount[v.Accounts[i].ID] = &v.Accounts[i]
	}
	counts := func(id string) []rawCell {
		var c analyze.Counts
		if a := byAccount[id]; a != nil {
			c = a.Counts
			delete(byAccount, id) // counted once, on its first report's row
		}
		return []rawCell{textCell(st.cellCenter, accountOf(id)), num(c[analyze.SeverityHigh]), num(c[analyze.SeverityMedium]), num(c[analyze.SeverityLow]), num(c.Total())}
	}
	for _, rep := range v.Reports {
		cells := append(counts(rep.AccountID), textCell(st.cell, xlsxText(rep.Source)), textCell(st.cell, orDash(stamp(rep.Generated))),
			textCell(st.cell, asOfCell(rep)), num(rep.Users), num(rep.ConsoleUsers), num(rep.Keys), textCell(st.cellCode, rep.SHA256))
		sh.row(rowHeight(max(wrappedLines(rep.Source, 44), wrappedLines(asOfCell(rep), 21))), cells...)
	}
	for _, a := range v.Accounts { // in order: accounts no report names
		if byAccount[a.ID] != nil {
			sh.row(0, append(counts(a.ID), textCell(st.cell, "(no report)"))...)
		}
	}
}

func atoiOr(s string) any {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return s
		}
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// commandColumns are the Commands sheet's columns and widths.
var commandColumns = []struct {
	title string
	width float64
}{{"ID", 14}, {"Account", 13.5}, {"User", 17}, {"Phase", 11}, {"Commands", 110}}

// commandChars is how many characters of monospace text the Commands
// column holds on a line.
const commandChars = 118

// setCommands sets up the Commands sheet around its rows, once they are
// written.
func setCommands(f *excelize.File, v *view, sh *rawSheet) error {
	// The filter first: see setFindings.
	if err := f.AutoFilter(sheetCommands, fmt.Sprintf("A1:E%d", max(sh.n, 1)), nil); err != nil {
		return err
	}
	if err := pageSetup(f, v, sheetCommands); err != nil {
		return err
	}
	widths := make([]float64, len(commandColumns))
	for i, c := range commandColumns {
		widths[i] = c.width
	}
	if err := setWidths(f, sheetCommands, widths...); err != nil {
		return err
	}
	if err := f.SetPanes(sheetCommands, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}); err != nil {
		return err
	}
	return f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: "'" + sheetCommands + "'!$1:$1", Scope: sheetCommands})
}

// commandRows writes the Commands sheet's rows: the heading, then a row per
// finding and phase that has commands.
func commandRows(sh *rawSheet, v *view, st *xlsxStyles) {
	header := make([]rawCell, len(commandColumns))
	for i, c := range commandColumns {
		header[i] = textCell(st.header, c.title)
	}
	sh.row(rowHeight(1), header...)
	for _, fd := range v.Active {
		c := fd.Commands()
		id, account, user := xlsxText(fd.ID), xlsxText(fd.AccountID), xlsxText(fd.User)
		for _, p := range commandPhases {
			cmds := p.Commands(&c)
			if len(cmds) == 0 {
				continue
			}
			text := strings.Join(cmds, "\n")
			sh.row(min(409, 11.5*float64(linesAt(text, commandChars))+3),
				textCell(st.cellCode, id), textCell(st.cellCenter, account), textCell(st.cell, user),
				textCell(st.cell, p.Name), textCell(st.mono, xlsxText(text)))
		}
	}
}

// exceptedColumns are the Excepted sheet's: the finding, then the
// exception that holds for it.
var exceptedColumns = []column{
	{colID, 14, kindCode, func(f *analyze.Finding) string { return f.ID }},
	{colSeverity, 8.5, kindSeverity, func(f *analyze.Finding) string { return f.Severity.String() }},
	{colAccount, 13.5, kindCenter, func(f *analyze.Finding) string { return f.AccountID }},
	{colUser, 16, kindText, func(f *analyze.Finding) string { return f.User }},
	{colKey, 22, kindCode, keyText},
	{"Reason", 40, kindText, func(f *analyze.Finding) string { return f.Exception.Reason }},
	{"Approved by", 16, kindText, func(f *analyze.Finding) string { return f.Exception.ApprovedBy }},
	{"Expires", 11, kindCenter, func(f *analyze.Finding) string { return f.Exception.Expires.Format("2006-01-02") }},
	{colException, 30, kindText, func(f *analyze.Finding) string { return exceptionSource(f.Exception) }},
}

func exceptionSource(e *analyze.Exception) string { return e.Source + ":" + itoa(e.Line) }

// writeExcepted lists the findings an exception holds for: decided
// already, never acted on, shown so that the exceptions are reviewed too.
func writeExcepted(f *excelize.File, v *view, st *xlsxStyles) error {
	if len(v.Excepted) == 0 {
		return nil
	}
	s := &sheetWriter{f: f, sheet: sheetExcepted}
	var widths []float64
	header := make([]any, len(exceptedColumns))
	for i, c := range exceptedColumns {
		header[i] = c.Title
		widths = append(widths, c.Width)
	}
	s.line([]int{st.header}, header...)
	for _, fd := range v.Excepted {
		vals := make([]any, len(exceptedColumns))
		styles := make([]int, len(exceptedColumns))
		lines := 1
		for i, c := range exceptedColumns {
			vals[i] = c.Value(fd)
			styles[i] = st.styleOf(c.Kind, fd.Severity)
			lines = max(lines, wrappedLines(c.Value(fd), c.Width))
		}
		s.line(styles, vals...)
		s.height(rowHeight(lines))
	}
	if s.err != nil {
		return s.err
	}
	if err := setWidths(f, sheetExcepted, widths...); err != nil {
		return err
	}
	if err := f.SetPanes(sheetExcepted, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := pageSetup(f, v, sheetExcepted); err != nil {
		return err
	}
	return f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: "'" + sheetExcepted + "'!$1:$1", Scope: sheetExcepted})
}

func writeProblems(f *excelize.File, v *view, st *xlsxStyles) error {
	r := v.Review
	for _, p := range []struct {
		sheet string
		list  []analyze.Problem
	}{{sheetErrors, r.Errors}, {sheetWarnings, r.Warnings}} {
		if len(p.list) == 0 {
			continue
		}
		if err := problemSheet(f, p.sheet, p.list, st); err != nil {
			return err
		}
		if err := f.SetPanes(p.sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
		if err := pageSetup(f, v, p.sheet); err != nil {
			return err
		}
		if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: "'" + p.sheet + "'!$1:$1", Scope: p.sheet}); err != nil {
			return err
		}
	}
	return nil
}

// problemSheet writes problems into a sheet, one row each, with a filter.
func problemSheet(f *excelize.File, sheet string, list []analyze.Problem, st *xlsxStyles) error {
	widths := []float64{40, 7, 70, 50}
	s := &sheetWriter{f: f, sheet: sheet}
	s.line([]int{st.header, st.headerCenter, st.header}, "Source", "Line", "Message", "Hint")
	for _, pr := range list {
		var line any
		if pr.Line > 0 {
			line = pr.Line
		}
		s.line([]int{st.cell, st.cellCenter, st.cell}, pr.Source, line, pr.Message, pr.Hint)
		s.height(rowHeight(max(wrappedLines(pr.Source, widths[0]), wrappedLines(pr.Message, widths[2]), wrappedLines(pr.Hint, widths[3]))))
	}
	if s.err != nil {
		return s.err
	}
	if err := f.AutoFilter(sheet, fmt.Sprintf("A1:D%d", len(list)+1), nil); err != nil {
		return err
	}
	return setWidths(f, sheet, widths...)
}

func writeAbout(f *excelize.File, v *view, st *xlsxStyles) error {
	r := v.Review
	const width = 120
	s := &sheetWriter{f: f, sheet: sheetAbout}
	s.line([]int{st.title}, "About this review")
	s.blank()
	def := analyze.DefaultCheck()
	s.line([]int{st.heading}, "The check: "+def.ID)
	s.note(def.Documents.Control+".", "B", st.text, width)
	for _, p := range def.Documents.Explain(&r.Options) {
		s.note(p, "B", st.text, width)
	}
	s.blank()
	s.line([]int{st.heading}, "The checks credreview has")
	s.note("This review ran: "+strings.Join(r.checks(), ", ")+". credreview analyze --checks all runs every one. Each check's CIS ids by benchmark version, its rule and its severity, with the reason:", "B", st.text, width)
	for _, c := range analyze.Checks {
		s.note(c.Line()+". Rule: "+checkRule(r, c.ID)+". Severity: "+c.Severity+".", "B", st.text, width)
	}
	for _, n := range analyze.NotChecked {
		s.note("Not checked: "+n.Title+" ("+analyze.ControlsText(n.Controls)+"). A credential report cannot tell hardware from virtual MFA; this command can: "+n.Command, "B", st.text, width)
	}
	s.note(v7Note(), "B", st.text, width)
	s.blank()
	s.line([]int{st.heading}, "Chain of custody")
	for _, c := range r.custody() {
		s.note(capitalize(c)+".", "B", st.text, width)
	}
	s.blank()
	s.line([]int{st.heading}, "Severities")
	s.line([]int{st.header}, "Severity", "What it asks of the board")
	for _, sev := range analyze.Severities {
		s.line([]int{st.severity[sev], st.cell}, sev.String(), severityMeaning()[sev]+".")
	}
	s.blank()
	s.line([]int{st.heading}, "The sheets")
	for _, t := range []string{
		"Findings: the board's columns first (what it decides on: ID, severity, account, user, key, status, how long after the user the key was made, last use, the recommended action), then its decision: Decision, Reviewer, Change ticket and Notes, the cells to fill in. The evidence follows. Printed, Findings shows the board's columns; the evidence is on screen, in the Markdown and in the JSON.",
		"Commands: for each finding, the commands of each phase: test, deactivate, delete, and the backouts reactivate and recreate. credreview script --approved writes them into a script for the approved findings only.",
		"The workbook carries a hidden stamp of the review it shows. credreview script --approved refuses a workbook whose finding rows or commands were changed, added or deleted: decide in Decision, Reviewer, Change ticket and Notes, and leave the other cells as they are (sorting and filtering are fine).",
	} {
		s.note(t, "B", st.text, width)
	}
	s.blank()
	s.line([]int{st.heading}, "How to use this workbook")
	for _, t := range howTo {
		s.note(t, "B", st.text, width)
	}
	s.blank()
	s.line([]int{st.heading}, "Key ids")
	s.note("A credential report names no access key ids. Where a key inventory (aws iam list-access-keys) names the key, the commands use its id. Otherwise each command lists the user's keys when it runs, keeps the one created at the key's creation time to the second, and acts only if exactly one key matches; if not, it says so and changes nothing.", "B", st.text, width)
	s.blank()
	s.line([]int{st.heading}, "Ages and as-of time")
	s.note("Ages are measured to "+asOfRule(r)+"; never to the time the review was made, so the same inputs always give the same workbook.", "B", st.text, width)
	if s.err != nil {
		return s.err
	}
	if err := setWidths(f, sheetAbout, 12, 108); err != nil {
		return err
	}
	return pageSetup(f, v, sheetAbout)
}

// writeDocProps sets the document's properties from the review, not the
// clock: excelize would otherwise stamp the time of writing.
func writeDocProps(f *excelize.File, v *view, _ *xlsxStyles) error {
	r := v.Review
	ts := docTime(r.Options.AsOf, newestAsOf(r))
	return f.SetDocProps(&excelize.DocProperties{
		Title:          r.title(),
		Subject:        "CIS AWS Foundations: setup-time access keys of console users",
		Creator:        r.Tool.Name + " " + r.Tool.Version,
		LastModifiedBy: r.Tool.Name + " " + r.Tool.Version,
		Description:    capitalize(Summary(r)) + ". Review " + ReviewID(r) + ".",
		Identifier:     ReviewID(r),
		Keywords:       "IAM; credential report; access keys; CIS",
		Created:        ts,
		Modified:       ts,
		Language:       "en-GB",
	})
}

// stampHeader is the first row of the stamp sheet: what it is, and the
// digest that the rows below it must have.
type stampReview struct {
	Tool        Tool           `json:"tool"`
	ReviewID    string         `json:"review_id"`
	Window      time.Duration  `json:"setup_window"`
	AsOf        time.Time      `json:"as_of"`
	Reports     []stampInput   `json:"reports"`
	Inventories []stampInput   `json:"inventories"`
	Counts      analyze.Counts `json:"counts"`
	Findings    int            `json:"findings"`
	Custody     []string       `json:"custody"` // the evidence's chain of custody, as the outputs state it
	Digest      string         `json:"digest"`  // of the rest of the head, then the findings' rows in order
}

type stampInput struct {
	Source    string `json:"source"`
	AccountID string `json:"account_id,omitempty"`
	SHA256    string `json:"sha256"`
}

// writeStamp writes the stamp: a row for the review, then one per finding
// holding the finding as JSON, from which script --approved rebuilds the
// review and checks the visible rows against it.
func stampRows(sh *rawSheet, v *view, _ *xlsxStyles) {
	r := v.Review
	head := stampReview{Tool: r.Tool, ReviewID: ReviewID(r), Window: r.Options.SetupWindow, AsOf: r.Options.AsOf, Counts: v.Total, Findings: len(v.Active), Custody: r.custody()}
	for _, rep := range r.Reports {
		head.Reports = append(head.Reports, stampInput{rep.Source, rep.AccountID, rep.SHA256})
	}
	for _, inv := range r.Inventories {
		head.Inventories = append(head.Inventories, stampInput{inv.Source, inv.AccountID, inv.SHA256})
	}
	// The digest heads the sheet, but is of the rows below it: a first pass
	// makes it, a second writes the rows, so that no more than one row is
	// held at a time.
	row := func(f *analyze.Finding) []byte {
		// What the script and the visible rows need; notes can be long,
		// and a stamp cell must hold the whole finding.
		fd := *f
		fd.Notes, fd.KeyIDNote = nil, ""
		b, err := json.Marshal(&fd)
		if err != nil && sh.err == nil {
			sh.err = err
		}
		return b
	}
	h := newStampDigest()
	if err := h.head(head); err != nil {
		sh.err = err
		return
	}
	for _, f := range v.Active {
		h.add(f.ID, row(f))
	}
	head.Digest = h.sum()
	r.stampDigest = head.Digest
	hb, err := json.Marshal(head)
	if err != nil {
		sh.err = err
		return
	}
	// The head holds every report, more than one cell holds for a batch of
	// many accounts: it is cut across the cells of the first row.
	head1 := []rawCell{textCell(0, stampMagic)}
	for _, part := range stampParts(string(hb)) {
		head1 = append(head1, textCell(0, part))
	}
	sh.row(0, head1...)
	for _, f := range v.Active {
		sh.row(0, textCell(0, f.ID), textCell(0, cellText(string(row(f)))))
	}
}

// stampParts cuts a stamp cell's text into parts a cell holds whole, at
// character boundaries (a UTF-8 text never has fewer bytes than UTF-16
// units, which is what a cell counts).
func stampParts(s string) []string {
	const most = maxCellChars - 767
	var parts []string
	for len(s) > most {
		cut := most
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		parts = append(parts, s[:cut])
		s = s[cut:]
	}
	return append(parts, s)
}

// stampMagic names the stamp's format in its first cell.
const stampMagic = "credreview review stamp v1"
