package formats

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/credreview/credreview/internal/iamfake"
)

// edit opens a workbook, lets fn change it as a board member would in a
// spreadsheet program, and saves it.
func edit(t *testing.T, data []byte, fn func(f *excelize.File)) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fn(f)
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// cellOf names the cell of a finding's row in the column headed title.
func cellOf(t *testing.T, f *excelize.File, sheet, id, title string) string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, h := range rows[0] {
		if h == title {
			col = i
		}
	}
	for r, row := range rows {
		if len(row) > 0 && row[0] == id {
			cell, _ := excelize.CoordinatesToCellName(col+1, r+1)
			return cell
		}
	}
	t.Fatalf("no row for %s in %s", id, sheet)
	return ""
}

// decisions are what the tests decide: a finding ID, its Decision,
// Reviewer and Change ticket.
var boardDecisions = [][4]string{
	{"SK-AC3423442C", "Approve", "Ada Lovelace", "CHG-1001"},
	{"SK-EEC942BC39", "Reject", "Ada Lovelace", ""},
	{"SK-D2228142DD", "Defer", "", ""},
	{"SK-AB61B7A233", "Approve", "Grace Hopper", "CHG-1002"},
	{"SK-F79F1786F2", " Approve ", "Grace Hopper", "CHG-1003"},
}

func decide(t *testing.T, f *excelize.File) {
	t.Helper()
	for _, d := range boardDecisions {
		for i, title := range []string{colDecision, colReviewer, colTicket} {
			if err := f.SetCellStr(sheetFindings, cellOf(t, f, sheetFindings, d[0], title), d[i+1]); err != nil {
				t.Fatal(err)
			}
		}
	}
	f.SetCellStr(sheetFindings, cellOf(t, f, sheetFindings, "SK-EEC942BC39", colNotes), "the key is off already; the owner deletes it")
}

func checkDecisions(t *testing.T, r *Review) {
	t.Helper()
	got := map[string][3]string{}
	for id, d := range r.Decisions {
		if d.Value != "" {
			got[id] = [3]string{d.Value, d.Reviewer, d.Ticket}
		}
	}
	want := map[string][3]string{}
	for _, d := range boardDecisions {
		want[d[0]] = [3]string{strings.TrimSpace(d[1]), d[2], d[3]}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decisions read back:\n%v\nwant\n%v", got, want)
	}
	if n := r.Decisions["SK-EEC942BC39"].Notes; n != "the key is off already; the owner deletes it" {
		t.Errorf("notes read back: %q", n)
	}
}

// TestReadApproved reads back a workbook a board decided in: the review,
// rebuilt from the stamp, is the one written, and the decisions are the
// board's, whatever order it sorted the rows in.
func TestReadApproved(t *testing.T) {
	orig := review(t, "samples")
	data := edit(t, render(t, XLSX{}, orig), func(f *excelize.File) {
		decide(t, f)
		// Sorted, as a board may: the first finding's row moves to the end.
		rows, _ := f.GetRows(sheetFindings)
		f.DuplicateRowTo(sheetFindings, 2, len(rows)+1)
		f.RemoveRow(sheetFindings, 2)
	})
	got, _, err := ReadApproved(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%v: %v", err, mismatches(err))
	}
	checkDecisions(t, got)
	if got.ID != ReviewID(orig) {
		t.Errorf("review id %s, want %s", got.ID, ReviewID(orig))
	}
	if len(got.Findings) != len(orig.Findings) {
		t.Fatalf("%d findings, want %d", len(got.Findings), len(orig.Findings))
	}
	for i := range got.Findings {
		g, w := got.Findings[i], orig.Findings[i]
		if g.Commands().Implement[1] != w.Commands().Implement[1] || g.Commands().Lookup != w.Commands().Lookup {
			t.Errorf("%s: the commands rebuilt from the stamp differ", g.ID)
		}
	}
}

func mismatches(err error) string {
	var mm *MismatchError
	if !errors.As(err, &mm) {
		return ""
	}
	var out []string
	for _, p := range mm.Problems {
		out = append(out, p.String())
	}
	return strings.Join(out, "\n")
}

// TestReadApprovedRefuses pins every way a workbook can stop matching its
// review: each is refused, naming the sheet and row.
func TestReadApprovedRefuses(t *testing.T) {
	data := render(t, XLSX{}, review(t, "samples"))
	tests := []struct {
		name string
		edit func(t *testing.T, f *excelize.File)
		want string // in one of the problems, or the error
	}{
		{"edited user", func(t *testing.T, f *excelize.File) {
			f.SetCellStr(sheetFindings, cellOf(t, f, sheetFindings, "SK-AB61B7A233", colUser), "ivan2")
		}, `Findings row 14: SK-AB61B7A233: User reads "ivan2", but credreview wrote "ivan"`},
		{"edited key", func(t *testing.T, f *excelize.File) {
			f.SetCellStr(sheetFindings, cellOf(t, f, sheetFindings, "SK-AC3423442C", colKey), "AKIAF6RKW3EXAMPLE003")
		}, `SK-AC3423442C: Key reads "AKIAF6RKW3EXAMPLE003", but credreview wrote "AKIAF6RKW3EXAMPLE002"`},
		{"edited account", func(t *testing.T, f *excelize.File) {
			f.SetCellStr(sheetFindings, cellOf(t, f, sheetFindings, "SK-AC3423442C", colAccount), "999999999999")
		}, `Account reads "999999999999"`},
		{"edited severity", func(t *testing.T, f *excelize.File) {
			f.SetCellStr(sheetFindings, cellOf(t, f, sheetFindings, "SK-AC3423442C", colSeverity), "low")
		}, `Severity reads "low"`},
		{"edited command", func(t *testing.T, f *excelize.File) {
			cell := cellOf(t, f, sheetCommands, "SK-AC3423442C", "Commands") // its test phase, the first
			f.SetCellStr(sheetCommands, cell, "aws iam delete-user --user-name=frank")
		}, `Commands row 47: SK-AC3423442C test: Commands reads "aws iam delete-user --user-name=frank"`},
		{"added row", func(t *testing.T, f *excelize.File) {
			f.SetSheetRow(sheetFindings, "A16", &[]any{"SK-0000000000", "high", "123456789012", "mallory"})
		}, `Findings row 16: finding SK-0000000000 is not in this review`},
		{"copied row", func(t *testing.T, f *excelize.File) {
			f.DuplicateRowTo(sheetFindings, 2, 16)
		}, `Findings row 16: finding SK-FB6E6E57A8 again (first at row 2)`},
		{"deleted row", func(t *testing.T, f *excelize.File) {
			f.RemoveRow(sheetFindings, 14)
		}, `Findings: finding SK-AB61B7A233 (ivan, account 345678901234) has no row: rows cannot be deleted`},
		{"deleted command row", func(t *testing.T, f *excelize.File) {
			f.RemoveRow(sheetCommands, 2)
		}, `Commands: no row for the SK-FB6E6E57A8 test commands`},
		{"decision outside the list", func(t *testing.T, f *excelize.File) {
			f.SetCellStr(sheetFindings, cellOf(t, f, sheetFindings, "SK-AC3423442C", colDecision), "approved")
		}, `SK-AC3423442C: Decision "approved" is not one of Approve, Reject, Defer (or empty)`},
		{"renamed heading", func(t *testing.T, f *excelize.File) {
			f.SetCellStr(sheetFindings, "D1", "Username")
		}, `Findings row 1: column D is not headed "User"`},
		{"stamp removed", func(t *testing.T, f *excelize.File) {
			f.DeleteSheet(sheetStamp)
		}, `has no credreview stamp`},
		{"stamp changed", func(t *testing.T, f *excelize.File) {
			v, _ := f.GetCellValue(sheetStamp, "B2")
			f.SetCellStr(sheetStamp, "B2", strings.Replace(v, `"User":"+ops"`, `"User":"root"`, 1))
		}, `the workbook's stamp was changed`},
		{"stamp's review id changed", func(t *testing.T, f *excelize.File) {
			v, _ := f.GetCellValue(sheetStamp, "B1")
			f.SetCellStr(sheetStamp, "B1", regexp.MustCompile(`"review_id":"CR-[0-9A-F]{12}"`).ReplaceAllString(v, `"review_id":"CR-000000000000"`))
		}, `the workbook's stamp was changed: its head and`},
		{"not a workbook", nil, "not a workbook"},
		{"a forged stamp with shell in a name", func(t *testing.T, f *excelize.File) {
			forgeStamp(t, f, func(fd map[string]any) { fd["User"] = "alice;touch${IFS}/tmp/x;:" })
		}, `the user of finding "SK-FB6E6E57A8" is not one credreview could have written`},
		{"a forged stamp with shell in an account", func(t *testing.T, f *excelize.File) {
			forgeStamp(t, f, func(fd map[string]any) { fd["AccountID"] = "1$(reboot)" })
		}, `the account of finding "SK-FB6E6E57A8" is not one credreview could have written`},
		{"a column before the board's", func(t *testing.T, f *excelize.File) {
			f.InsertCols(sheetFindings, "A", 1)
		}, `Findings row 1: column A is not headed "ID"`},
		{"a second Decision column", func(t *testing.T, f *excelize.File) {
			f.SetCellStr(sheetFindings, "AH1", "Decision")
			f.SetCellStr(sheetFindings, "AH2", "Approve")
		}, `Findings row 1: column AH is headed "Decision" too`},
		{"a hidden board column", func(t *testing.T, f *excelize.File) {
			f.SetColVisible(sheetFindings, "D", false)
		}, `column D (User) is hidden`},
		{"merged Decision cells", func(t *testing.T, f *excelize.File) {
			f.MergeCell(sheetFindings, "J2", "J3")
		}, `Findings row 2: cells J2:J3 are merged`},
		{"a formula in Decision", func(t *testing.T, f *excelize.File) {
			f.SetCellFormula(sheetFindings, cellOf(t, f, sheetFindings, "SK-AC3423442C", colDecision), `"Appro"&"ve"`)
		}, `SK-AC3423442C: Decision is a formula (="Appro"&"ve")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte("user,arn\n")
			if tt.edit != nil {
				in = edit(t, data, func(f *excelize.File) { tt.edit(t, f) })
			}
			_, _, err := ReadApproved(bytes.NewReader(in))
			if err == nil {
				t.Fatal("the workbook was read")
			}
			all := err.Error() + "\n" + mismatches(err)
			if !strings.Contains(all, tt.want) {
				t.Errorf("refusal lacks %q:\n%s", tt.want, all)
			}
		})
	}
}

// TestApprovedThroughLibreOffice decides in the workbook, saves it through
// LibreOffice, as a board member may, and reads the decisions back.
func TestApprovedThroughLibreOffice(t *testing.T) {
	iamfake.RequireTool(t, "/usr/bin/soffice")
	dir := t.TempDir()
	in := filepath.Join(dir, "in", "credential-review.xlsx")
	os.MkdirAll(filepath.Dir(in), 0o755)
	if err := os.WriteFile(in, edit(t, render(t, XLSX{}, review(t, "samples")), func(f *excelize.File) { decide(t, f) }), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	cmd := exec.Command("/usr/bin/soffice", "-env:UserInstallation=file://"+filepath.Join(dir, "profile"), "--headless",
		"--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", out, in)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, b)
	}
	saved, err := os.ReadFile(filepath.Join(out, "credential-review.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := ReadApproved(bytes.NewReader(saved))
	if err != nil {
		t.Fatalf("%v\n%s", err, mismatches(err))
	}
	checkDecisions(t, got)
}

// forgeStamp changes the first finding of the stamp and writes a digest
// that fits, as someone who read the code could.
func forgeStamp(t *testing.T, f *excelize.File, change func(map[string]any)) {
	t.Helper()
	rows, _ := f.GetRows(sheetStamp)
	var fd map[string]any
	json.Unmarshal([]byte(rows[1][1]), &fd)
	change(fd)
	b, _ := json.Marshal(fd)
	rows[1][1] = string(b)
	var head stampReview
	json.Unmarshal([]byte(rows[0][1]), &head)
	h := newStampDigest()
	h.head(head)
	for _, r := range rows[1:] {
		h.add(r[0], []byte(r[1]))
	}
	head.Digest = h.sum()
	hb, _ := json.Marshal(head)
	f.SetCellStr(sheetStamp, "B1", string(hb))
	f.SetCellStr(sheetStamp, "B2", string(b))
}

// TestApprovalInAHiddenRow pins the warning about an approval a filter
// hides from the board.
func TestApprovalInAHiddenRow(t *testing.T) {
	data := edit(t, render(t, XLSX{}, review(t, "samples")), func(f *excelize.File) {
		f.SetCellStr(sheetFindings, cellOf(t, f, sheetFindings, "SK-AC3423442C", colDecision), "Approve")
		f.SetRowVisible(sheetFindings, 11, false)
	})
	_, warnings, err := ReadApproved(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || warnings[0].String() != "Findings row 11: SK-AC3423442C is approved in a hidden row: make sure the board saw it" {
		t.Errorf("warnings %v", warnings)
	}
}

// TestStampDigestFollowsTheStamp pins what a sealed review rests on: the
// digest a workbook's stamp reads back with is the one written (so the
// review's manifest can hold it), and a stamp rewritten with a digest that
// fits, as one who read the code could, reads back with another.
func TestStampDigestFollowsTheStamp(t *testing.T) {
	r := review(t, "samples")
	data := render(t, XLSX{}, r)
	written := r.StampDigest()
	if written == "" {
		t.Fatal("writing the workbook recorded no stamp digest")
	}
	got, _, err := ReadApproved(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if got.StampDigest() != written {
		t.Errorf("read back: %s, written %s", got.StampDigest(), written)
	}
	forged := edit(t, data, func(f *excelize.File) {
		forgeStamp(t, f, func(fd map[string]any) { fd["Severity"] = float64(1) })
	})
	got, _, err = ReadApproved(bytes.NewReader(forged))
	if err == nil && got.StampDigest() == written {
		t.Error("a forged stamp reads back with the digest written")
	}
}
