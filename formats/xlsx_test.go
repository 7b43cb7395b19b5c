package formats

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"github.com/credreview/credreview/analyze"
	"github.com/credreview/credreview/internal/batch"
	"github.com/credreview/credreview/internal/iamfake"
)

// dumpXLSX writes what a reader of the workbook sees, as text: document
// properties, then per sheet its pane, filter, merged cells, validations,
// column widths and every row, with the type of each cell that is not a
// plain string and the fill of coloured cells.
func dumpXLSX(t *testing.T, data []byte) string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	p, err := f.GetDocProps()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "properties: title=%q creator=%q created=%s modified=%s\n", p.Title, p.Creator, p.Created, p.Modified)
	filters, titles := map[string]string{}, map[string]string{}
	for _, dn := range f.GetDefinedName() {
		switch dn.Name {
		case "_xlnm._FilterDatabase":
			filters[dn.Scope] = dn.RefersTo
		case "_xlnm.Print_Titles":
			titles[dn.Scope] = dn.RefersTo
		}
	}
	for _, sheet := range f.GetSheetList() {
		fmt.Fprintf(&b, "\n== %s\n", sheet)
		panes, _ := f.GetPanes(sheet)
		if panes.Freeze {
			fmt.Fprintf(&b, "frozen: %d rows, top-left %s\n", panes.YSplit, panes.TopLeftCell)
		}
		if fl, ok := filters[sheet]; ok {
			fmt.Fprintf(&b, "filter: %s\n", fl)
		}
		if pt, ok := titles[sheet]; ok {
			fmt.Fprintf(&b, "print titles: %s\n", pt)
		}
		merged, _ := f.GetMergeCells(sheet)
		for _, m := range merged {
			fmt.Fprintf(&b, "merged: %s:%s\n", m.GetStartAxis(), m.GetEndAxis())
		}
		dvs, _ := f.GetDataValidations(sheet)
		for _, dv := range dvs {
			fmt.Fprintf(&b, "validation: %s %s %s\n", dv.Sqref, dv.Type, dv.Formula1)
		}
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		var widths []string
		ncols := 0
		for _, r := range rows {
			ncols = max(ncols, len(r))
		}
		for c := 1; c <= ncols; c++ {
			name, _ := excelize.ColumnNumberToName(c)
			w, _ := f.GetColWidth(sheet, name)
			widths = append(widths, fmt.Sprintf("%s=%g", name, w))
		}
		fmt.Fprintf(&b, "widths: %s\n", strings.Join(widths, " "))
		for i, r := range rows {
			var cells []string
			for j, v := range r {
				if v == "" {
					continue
				}
				name, _ := excelize.CoordinatesToCellName(j+1, i+1)
				cell := fmt.Sprintf("%s=%q", name, v)
				if typ, _ := f.GetCellType(sheet, name); typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
					cell += fmt.Sprintf(" (type %d)", typ)
				}
				if fm, _ := f.GetCellFormula(sheet, name); fm != "" {
					cell += " (formula " + fm + ")"
				}
				if id, _ := f.GetCellStyle(sheet, name); id != 0 {
					if st, _ := f.GetStyle(id); st != nil && len(st.Fill.Color) > 0 && st.Fill.Color[0] != "305496" {
						cell += " (fill " + st.Fill.Color[0] + ")"
					}
				}
				cells = append(cells, cell)
			}
			if len(cells) > 0 {
				fmt.Fprintf(&b, "%d: %s\n", i+1, strings.Join(cells, " | "))
			}
		}
	}
	return b.String()
}

func TestXLSXGolden(t *testing.T) {
	for name := range cases {
		t.Run(name, func(t *testing.T) {
			golden(t, name+".xlsx.txt", []byte(dumpXLSX(t, render(t, XLSX{}, review(t, name)))))
		})
	}
	t.Run("excepted", func(t *testing.T) {
		golden(t, "samples-excepted.xlsx.txt", []byte(dumpXLSX(t, render(t, XLSX{}, exceptedReview(t)))))
	})
	t.Run("all checks", func(t *testing.T) {
		golden(t, "samples-all.xlsx.txt", []byte(dumpXLSX(t, render(t, XLSX{}, allChecksReview(t)))))
	})
}

// TestXLSXDeterministic pins byte-identical workbooks from the same review.
func TestXLSXDeterministic(t *testing.T) {
	// Ten times: map-order bugs show up only now and then.
	for name := range cases {
		first := render(t, XLSX{}, review(t, name))
		for range 10 {
			if again := render(t, XLSX{}, review(t, name)); !bytes.Equal(first, again) {
				t.Fatalf("%s: two workbooks of the same review differ", name)
			}
		}
	}
}

// TestXLSXTextStaysText pins that no cell is a formula and names that look
// like formulas are strings.
func TestXLSXTextStaysText(t *testing.T) {
	data := render(t, XLSX{}, review(t, "samples"))
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range zr.File {
		if !strings.HasPrefix(zf.Name, "xl/worksheets/") {
			continue
		}
		rc, _ := zf.Open()
		body, _ := io.ReadAll(rc)
		rc.Close()
		if bytes.Contains(body, []byte("<f>")) || bytes.Contains(body, []byte("<f ")) {
			t.Errorf("%s has a formula", zf.Name)
		}
	}
	f, _ := excelize.OpenReader(bytes.NewReader(data))
	rows, _ := f.GetRows(sheetFindings)
	seen := map[string]bool{}
	user := columnIndex(colUser)
	for i, r := range rows[1:] {
		cell, _ := excelize.CoordinatesToCellName(user+1, i+2)
		if typ, _ := f.GetCellType(sheetFindings, cell); typ != excelize.CellTypeInlineString {
			t.Errorf("%s (%q) has type %d, want an inline string", cell, r[user], typ)
		}
		seen[r[user]] = true
	}
	for _, n := range []string{"=1+2", "+ops", "-admin", "smith,john"} {
		if !seen[n] {
			t.Errorf("no row for user %q; users: %v", n, seen)
		}
	}
}

// TestXLSXColumnOrder pins that the stream writes column widths in
// ascending order, as Excel requires.
func TestXLSXColumnOrder(t *testing.T) {
	data := render(t, XLSX{}, review(t, "samples"))
	zr, _ := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	for _, zf := range zr.File {
		if !strings.HasPrefix(zf.Name, "xl/worksheets/sheet") {
			continue
		}
		rc, _ := zf.Open()
		var ws struct {
			Cols []struct {
				Min int `xml:"min,attr"`
				Max int `xml:"max,attr"`
			} `xml:"cols>col"`
		}
		if err := xml.NewDecoder(rc).Decode(&ws); err != nil {
			t.Fatal(err)
		}
		rc.Close()
		for i := 1; i < len(ws.Cols); i++ {
			if ws.Cols[i].Min <= ws.Cols[i-1].Max {
				t.Errorf("%s: <col> %d (min %d) follows one ending at %d", zf.Name, i, ws.Cols[i].Min, ws.Cols[i-1].Max)
			}
		}
	}
}

func TestCellText(t *testing.T) {
	if got := cellText("short"); got != "short" {
		t.Errorf("cellText changed a short value: %q", got)
	}
	exact := strings.Repeat("é", maxCellChars)
	if got := cellText(exact); got != exact {
		t.Error("cellText cut a value of exactly the limit")
	}
	long := strings.Repeat("x", maxCellChars+5000)
	got := cellText(long)
	if n := len(utf16.Encode([]rune(got))); n > maxCellChars {
		t.Errorf("cut value has %d UTF-16 units, over %d", n, maxCellChars)
	}
	if !regexp.MustCompile(`\n\[cut here: 5100 more characters are in the JSON output\]$`).MatchString(got) {
		t.Errorf("the cut is not marked: ...%q", got[len(got)-80:])
	}
	// A cut never splits a surrogate pair.
	emoji := strings.Repeat("a", maxCellChars-101) + strings.Repeat("😀", 20000)
	if got := cellText(emoji); strings.ContainsRune(got, '\uFFFD') {
		t.Error("cellText split a surrogate pair")
	}
}

// TestXLSXLongCellIsMarked writes a finding whose notes overflow a cell and
// reads back the mark.
func TestXLSXLongCellIsMarked(t *testing.T) {
	r := review(t, "samples")
	r.Findings[0].Notes = []string{strings.Repeat("n", 40000)}
	f, err := excelize.OpenReader(bytes.NewReader(render(t, XLSX{}, r)))
	if err != nil {
		t.Fatal(err)
	}
	col, _ := excelize.ColumnNumberToName(columnIndex("Inventory notes") + 1)
	v, _ := f.GetCellValue(sheetFindings, col+"2")
	if !strings.HasSuffix(v, "more characters are in the JSON output]") {
		t.Errorf("an overlong cell is not marked: ...%q", v[len(v)-60:])
	}
}

// TestXLSXWithLibreOffice opens the workbook with LibreOffice, the reader
// a board may well use, exports every sheet as CSV, and checks that the
// findings read back as written, tricky names literally.
func TestXLSXWithLibreOffice(t *testing.T) {
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		iamfake.RequireTool(t, "/usr/bin/soffice")
		soffice = "/usr/bin/soffice"
	}
	r := review(t, "mixed")
	extra := r.Findings[0]
	for _, name := range []string{"=1+2", "+ops", "-x", "@team", "=HYPERLINK(\"x\")"} {
		fd := extra
		fd.User = name
		r.Findings = append(r.Findings, fd)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "review.xlsx")
	if err := os.WriteFile(path, render(t, XLSX{}, r), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(soffice, "-env:UserInstallation=file://"+filepath.Join(dir, "profile"), "--headless", "--convert-to",
		"csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1", "--outdir", dir, path)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	read := func(sheet string) [][]string {
		b, err := os.ReadFile(filepath.Join(dir, "review-"+sheet+".csv"))
		if err != nil {
			t.Fatalf("LibreOffice wrote no %s sheet: %v", sheet, err)
		}
		rd := csv.NewReader(bytes.NewReader(b))
		rd.FieldsPerRecord = -1
		rows, err := rd.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	findings := read(sheetFindings)
	if len(findings) != len(r.Findings)+1 {
		t.Fatalf("Findings has %d rows, want %d", len(findings), len(r.Findings)+1)
	}
	for i, fd := range r.Findings {
		row := findings[i+1]
		for j, c := range findingColumns {
			want := ""
			if c.Value != nil {
				want = c.Value(&fd)
			}
			got := ""
			if j < len(row) {
				got = row[j]
			}
			if got != want {
				t.Errorf("row %d column %q reads %q, want %q", i+2, c.Title, got, want)
			}
		}
	}
	summary := read(sheetSummary)
	if !strings.HasPrefix(summary[0][0], "Credential review") {
		t.Errorf("Summary starts %q", summary[0])
	}
	for _, sheet := range []string{sheetErrors, sheetWarnings, sheetAbout} {
		if rows := read(sheet); len(rows) < 2 {
			t.Errorf("%s sheet has %d rows", sheet, len(rows))
		}
	}
}

// BenchmarkXLSX measures the workbook of a large batch of findings.
func BenchmarkXLSX(b *testing.B) {
	one := analyze.Finding{ID: "SK-0123456789", Check: analyze.CheckSetupKey, Severity: analyze.SeverityHigh, AccountID: "123456789012", Partition: "aws",
		User: "user", ARN: "arn:aws:iam::123456789012:user/user", KeySlot: 1, KeyActive: true, UserCreated: time.Unix(1.7e9, 0), KeyCreated: time.Unix(1.7e9+4, 0)}
	res := &analyze.Result{Options: analyze.Options{SetupWindow: time.Hour}}
	for range 200_000 {
		res.Findings = append(res.Findings, one)
	}
	r := &Review{Tool: testTool, Result: res}
	for b.Loop() {
		if err := (XLSX{}).Write(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}

// TestXLSXAndMarkdownAgree pins that the workbook and the change request
// show the same findings in the same order.
func TestXLSXAndMarkdownAgree(t *testing.T) {
	for name := range cases {
		r := review(t, name)
		f, err := excelize.OpenReader(bytes.NewReader(render(t, XLSX{}, r)))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := f.GetRows(sheetFindings)
		var fromXLSX []string
		for _, row := range rows[1:] {
			fromXLSX = append(fromXLSX, row[columnIndex(colID)])
		}
		var fromMD []string
		for _, line := range strings.Split(string(render(t, Markdown{}, r)), "\n") {
			if m := regexp.MustCompile(`^\| (SK-[0-9A-F]{10}) \|`).FindStringSubmatch(line); m != nil {
				fromMD = append(fromMD, m[1])
			}
		}
		if len(fromXLSX) == 0 || strings.Join(fromXLSX, " ") != strings.Join(fromMD, " ") {
			t.Errorf("%s: workbook %q, Markdown %q", name, fromXLSX, fromMD)
		}
	}
}

// TestFindingsPrintOnFewPages prints the workbook of 20 findings with
// LibreOffice, on A4 and on US Letter: Findings takes at most 3 pages, each
// with the heading, and the Decision column is on the pages of the user
// names.
func TestFindingsPrintOnFewPages(t *testing.T) {
	iamfake.RequireTool(t, "/usr/bin/soffice")
	iamfake.RequireTool(t, "/usr/bin/pdftotext")
	r := review(t, "samples")
	// 20 findings: the samples' 13, and 7 more users with keys in use, whose
	// rows are the tallest.
	for i := range 7 {
		fd := r.Findings[0]
		fd.User = fmt.Sprintf("extra.user-%d", i)
		fd.ID = fmt.Sprintf("SK-EXTRA%05d", i)
		r.Findings = append(r.Findings, fd)
	}
	for _, paper := range []Paper{PaperA4, PaperLetter} {
		t.Run(paper.String(), func(t *testing.T) {
			r.Paper = paper
			dir := t.TempDir()
			path := filepath.Join(dir, "review.xlsx")
			if err := os.WriteFile(path, render(t, XLSX{}, r), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("/usr/bin/soffice", "-env:UserInstallation=file://"+filepath.Join(dir, "profile"), "--headless", "--convert-to", "pdf", "--outdir", dir, path)
			cmd.Env = append(os.Environ(), "HOME="+dir)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("soffice: %v\n%s", err, out)
			}
			pdf := filepath.Join(dir, "review.pdf")
			info, err := exec.Command("/usr/bin/pdfinfo", pdf).Output()
			if err != nil {
				t.Fatal(err)
			}
			m := regexp.MustCompile(`Page size:\s+([\d.]+) x ([\d.]+) pts \((\w+)\)`).FindStringSubmatch(string(info))
			if m == nil || m[3] != map[Paper]string{PaperA4: "A4", PaperLetter: "letter"}[paper] || atof(m[1]) < atof(m[2]) {
				t.Errorf("the pages are not landscape %s:\n%s", paper, info)
			}
			text, err := exec.Command("/usr/bin/pdftotext", "-layout", pdf, "-").Output()
			if err != nil {
				t.Fatal(err)
			}
			pages := strings.Split(string(text), "\f")
			var findingPages []string
			for _, p := range pages {
				if first, _, _ := strings.Cut(strings.TrimLeft(p, "\n "), "\n"); strings.HasSuffix(strings.TrimSpace(first), sheetFindings) {
					findingPages = append(findingPages, p)
				}
			}
			if n := len(findingPages); n == 0 || n > 3 {
				t.Fatalf("Findings prints on %d pages, want 1 to 3", n)
			}
			users := map[string]bool{}
			for _, fd := range r.Findings {
				users[fd.User] = false
			}
			for i, p := range findingPages {
				for _, h := range []string{"User", "Decision", "Reviewer", "Change", "Notes", "Page "} {
					if !strings.Contains(p, h) {
						t.Errorf("Findings page %d lacks %q", i+1, h)
					}
				}
				for u := range users {
					if strings.Contains(p, u) {
						users[u] = true
					}
				}
			}
			for u, seen := range users {
				if !seen {
					t.Errorf("user %s is on no printed Findings page", u)
				}
			}
			t.Logf("%s: Findings prints on %d of %d pages", paper, len(findingPages), len(pages)-1)
		})
	}
}

func atof(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// TestXLSXShowsWhatIsThere pins that a value with invisible characters (a
// right-to-left override in a last-used service, an escape sequence in a
// source) shows them escaped, and that the workbook still reads back.
func TestXLSXShowsWhatIsThere(t *testing.T) {
	r := review(t, "samples")
	r.Findings[0].KeyLastUsedService = "s3\u202egnp.exe"
	r.Errors = append(r.Errors, analyze.Problem{Source: "evil\x1b[2K\rall inputs OK", Message: "bad"})
	data := render(t, XLSX{}, r)
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	svc, _ := excelize.CoordinatesToCellName(columnIndex("Last used service")+1, 2)
	last, _ := excelize.CoordinatesToCellName(columnIndex("Last used")+1, 2)
	for cell, want := range map[string]string{svc: `s3\u202egnp.exe`, last: `2026-11-19 22:15 (s3\u202egnp.exe, eu-west-1)`} {
		if got, _ := f.GetCellValue(sheetFindings, cell); got != want {
			t.Errorf("%s reads %q, want %q", cell, got, want)
		}
	}
	rows, _ := f.GetRows(sheetErrors)
	if got := rows[len(rows)-1][0]; got != `evil\x1b[2K\rall inputs OK` {
		t.Errorf("the error's source reads %q", got)
	}
	if _, _, err := ReadApproved(bytes.NewReader(data)); err != nil {
		t.Errorf("the workbook does not read back: %v\n%s", err, mismatches(err))
	}
}

// TestXLSXCellsReadBack pins that what the workbook's large sheets hold
// reads back as written: markup characters, line breaks, spaces at either
// end, non-ASCII text, and _xHHHH_, which a spreadsheet would otherwise read
// as an escaped character (and is a legal IAM user name).
func TestXLSXCellsReadBack(t *testing.T) {
	r := review(t, "samples")
	odd := []string{"_x0041_", "a&b<c>d\"e'f", " lead and trail ", "ünïcødé 名前", "_x005F_x0041_"}
	for i, name := range odd {
		r.Findings[i].User = name
		r.Findings[i].Detail = "line one\nline two & <three> " + name
	}
	data := render(t, XLSX{}, r)
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows(sheetFindings)
	if err != nil {
		t.Fatal(err)
	}
	user, detail := columnIndex(colUser), columnIndex("Detail")
	for i, name := range odd {
		if got := rows[i+1][user]; got != name {
			t.Errorf("user %q read back as %q", name, got)
		}
		if got, want := rows[i+1][detail], r.Findings[i].Detail; got != want {
			t.Errorf("detail %q read back as %q", want, got)
		}
	}
	cmds, _ := f.GetRows(sheetCommands)
	if len(cmds) < 2 || !strings.Contains(cmds[1][4], "aws iam") || cmds[1][2] != odd[0] {
		t.Errorf("Commands row 2: %q", cmds[1])
	}
}

func TestAppendCellXML(t *testing.T) {
	for in, want := range map[string]string{
		"plain":        "plain",
		"a&b<c>d":      "a&amp;b&lt;c&gt;d",
		"_x0041_":      "_x005F_x0041_",
		"_x004_":       "_x004_",
		"_xZZZZ_":      "_xZZZZ_",
		"line\nbreak":  "line\nbreak",
		"cr\r":         "cr&#xD;",
		"bad\xffbyte":  "bad\uFFFDbyte",
		"bell\x07":     "bell",
		"quote\"'":     "quote\"'",
		"名前_x00e9_end": "名前_x005F_x00e9_end",
	} {
		if got := string(appendCellXML(nil, in)); got != want {
			t.Errorf("appendCellXML(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestXLSXManyAccounts pins the workbook of an organisation's export, 400
// accounts of one finding each: the Summary counts them and points to the
// Accounts sheet, which lists each with its findings and report; the
// stamp's head, longer than a cell holds, is cut across cells and read back
// whole by script --approved.
func TestXLSXManyAccounts(t *testing.T) {
	dir := t.TempDir()
	b, err := batch.GenerateAccounts(dir, 400)
	if err != nil {
		t.Fatal(err)
	}
	res := analyze.Analyze(context.Background(), []string{dir}, nil, analyze.Options{SetupWindow: time.Hour})
	r := &Review{Tool: testTool, Result: res}
	data := render(t, XLSX{}, r)
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	summary, _ := f.GetRows(sheetSummary)
	text := fmt.Sprint(summary)
	if !strings.Contains(text, "400 accounts and 400 reports: the Accounts sheet lists each account") || strings.Contains(text, b.Findings[0].Account) {
		t.Errorf("the Summary lists the accounts, or does not point to the Accounts sheet:\n%s", text)
	}
	accounts, _ := f.GetRows(sheetAccounts)
	if len(accounts) != 401 || accounts[0][0] != "Account" || accounts[0][5] != "Report" {
		t.Fatalf("Accounts has %d rows; heading %q", len(accounts), accounts[0])
	}
	for _, row := range accounts[1:] {
		if row[1] != "1" || row[4] != "1" || !strings.HasPrefix(row[5], dir) {
			t.Errorf("Accounts row %q: want one high finding and the report", row)
		}
	}
	stamp, _ := f.GetRows(sheetStamp)
	if len(stamp[0]) < 3 {
		t.Errorf("the stamp's head is in %d cells; the test wants it longer than one cell holds", len(stamp[0])-1)
	}
	back, _, err := ReadApproved(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Reports) != 400 || len(back.Findings) != 400 || back.ID != ReviewID(r) {
		t.Errorf("read back %d reports, %d findings, id %s", len(back.Reports), len(back.Findings), back.ID)
	}
}
