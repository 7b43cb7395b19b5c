package analyze

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The attacks of "inputs that cannot hide a finding", each with its exact
// input: what must hold is an error that names the file (and line), and no
// finding lost in silence. The CLI's exit codes for them are pinned in the
// main package's tests.

// analyzeDir writes files into a folder and analyses the folder, as a walk.
func analyzeDir(t *testing.T, files map[string]string, opts Options) (*Result, string) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return Analyze(context.Background(), []string{dir}, nil, opts), dir
}

// TestRepeatedHeaderColumn pins that a header naming a column twice is an
// error naming both positions, in a CSV and inside a JSON envelope: a
// column prepended to the rows would otherwise decide the checks, the
// first copy winning in silence.
func TestRepeatedHeaderColumn(t *testing.T) {
	real := report(rootRow, row("alice", key(1, true, "2025-01-01T00:00:04+00:00", "")))
	prepend := func(col, value string) string {
		lines := strings.Split(strings.TrimSuffix(real, "\n"), "\n")
		lines[0] = col + "," + lines[0]
		for i := 1; i < len(lines); i++ {
			lines[i] = value + "," + lines[i]
		}
		return strings.Join(lines, "\n") + "\n"
	}
	for _, tc := range []struct{ name, content, want string }{
		{"user_creation_time prepended", prepend("user_creation_time", "2000-01-01T00:00:00+00:00"), `r.csv:1: header: column "user_creation_time" is in it twice, at positions 1 and 4`},
		{"access_key_1_active prepended", prepend("access_key_1_active", "false"), `r.csv:1: header: column "access_key_1_active" is in it twice, at positions 1 and 10`},
		{"inside a JSON envelope", envelope(prepend("user_creation_time", "2000-01-01T00:00:00+00:00"), "2026-11-20T12:00:00Z"), `header: column "user_creation_time" is in it twice, at positions 1 and 4`},
		{"an unknown column twice", strings.Replace(real, "\n", ",x,x\n", 1), `header: column "x" is in it twice, at positions 23 and 24`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := analyzeOne(t, tc.content, hour)
			containsAll(t, "errors", problemLines(res.Errors), []string{tc.want})
			if len(res.Reports) != 0 || len(res.Findings) != 0 {
				t.Errorf("reports %d, findings %d: a report with a repeated column is not analysed", len(res.Reports), len(res.Findings))
			}
		})
	}
	// The original, for the record: a high finding.
	if res := analyzeOne(t, real, hour); len(res.Findings) != 1 || res.Findings[0].Severity != SeverityHigh {
		t.Fatalf("the original: %+v", res.Findings)
	}
}

// TestDamagedReportInAFolder pins that in a folder only what is plainly not
// a report (a README, an image, a spreadsheet, JSON of another shape) is
// skipped with a warning; a report whose header is missing or changed is an
// error there too.
func TestDamagedReportInAFolder(t *testing.T) {
	good := report(rootRow, row("alice", key(1, true, "2025-01-01T00:00:04+00:00", "")))
	noHeader := strings.SplitN(good, "\n", 2)[1]
	upper := strings.Replace(good, header, strings.ToUpper(header), 1)
	res, _ := analyzeDir(t, map[string]string{
		"a/111111111111.csv":    noHeader,
		"b/123456789012.csv":    upper,
		"c/README.md":           "# Evidence\n\nReports of the accounts, fetched on 2026-11-20.\n",
		"c/photo.png":           "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
		"c/notes.csv":           "date,who,what\n2026-11-20,ada,fetched the reports\n",
		"d/123456789012-ok.csv": strings.ReplaceAll(good, "alice", "bob"),
	}, hour)
	containsAll(t, "errors", problemLines(res.Errors), []string{
		"a/111111111111.csv:1: a damaged credential report: its lines are rows of one",
		"b/123456789012.csv:1: a damaged credential report: its header names the columns in other letters",
	})
	containsAll(t, "warnings", problemLines(res.Warnings), []string{"c/README.md: not a credential report or key inventory", "c/photo.png: not a credential report or key inventory", "c/notes.csv: not a credential report or key inventory"})
	if len(res.Errors) != 2 {
		t.Errorf("errors: %v", problemLines(res.Errors))
	}
	if len(res.Findings) != 1 || res.Findings[0].User != "bob" {
		t.Errorf("findings %+v: the good report's must be there", res.Findings)
	}
}

// TestLinksInAFolder pins that a folder's symbolic links are followed, as
// find -L follows them: a linked evidence folder is read, a loop is read
// once and named, and a link to nothing is an error.
func TestLinksInAFolder(t *testing.T) {
	good := report(rootRow, row("alice", key(1, true, "2025-01-01T00:00:04+00:00", "")))
	store := t.TempDir()
	if err := os.WriteFile(filepath.Join(store, "123456789012.csv"), []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, l := range [][2]string{
		{store, "evidence"},                  // a linked folder
		{dir, "loop"},                        // a link to the folder itself
		{filepath.Join(dir, "gone"), "lost"}, // a link to nothing
	} {
		if err := os.Symlink(l[0], filepath.Join(dir, l[1])); err != nil {
			t.Fatal(err)
		}
	}
	res := Analyze(context.Background(), []string{dir}, nil, hour)
	if len(res.Findings) != 1 || res.Findings[0].User != "alice" {
		t.Errorf("findings %+v: the linked folder's report must be read", res.Findings)
	}
	containsAll(t, "errors", problemLines(res.Errors), []string{filepath.Join(dir, "lost") + ": a symbolic link to " + filepath.Join(dir, "gone") + ", which is not there"})
	containsAll(t, "warnings", problemLines(res.Warnings), []string{filepath.Join(dir, "loop") + ": a link to a folder it is inside (a loop)"})
	if len(res.Errors) != 1 {
		t.Errorf("errors: %v", problemLines(res.Errors))
	}
}

// TestTwoRootRows pins that a second root row is named in a warning, with
// the columns in which it differs, and that both are checked: the one
// without MFA gives the root-mfa finding, once.
func TestTwoRootRows(t *testing.T) {
	noMFA := strings.Replace(rootRow, ",true,false,N/A", ",false,false,N/A", 1)
	opts := Options{SetupWindow: time.Hour, Checks: []string{"root-mfa"}}
	res := analyzeOne(t, report(rootRow, row("alice", nil), noMFA), opts)
	containsAll(t, "warnings", problemLines(res.Warnings), []string{"r.csv:4: the root user appears again (first at line 2), and the rows differ in mfa_active"})
	if len(res.Findings) != 1 || res.Findings[0].Check != "root-mfa" {
		t.Errorf("findings %+v, want the root-mfa finding once", res.Findings)
	}
	res = analyzeOne(t, report(rootRow, row("alice", nil), noMFA, noMFA), opts)
	containsAll(t, "warnings", problemLines(res.Warnings), []string{"r.csv:5: the root user appears again (first at line 2), and the rows differ", "r.csv:5: "})
	if len(res.Findings) != 1 {
		t.Errorf("findings %+v, want one", res.Findings)
	}
}

// TestYearZero pins that a time before AWS opened is an error naming the
// row: a user made in year 0 would have had no key made during its setup.
func TestYearZero(t *testing.T) {
	res := analyzeOne(t, report(rootRow, row("alice", merge(key(1, true, "2025-01-01T00:00:04+00:00", ""), map[string]string{"user_creation_time": "0000-01-01T00:00:00+00:00"}))), hour)
	containsAll(t, "errors", problemLines(res.Errors), []string{"r.csv:3: user_creation_time 0000-01-01T00:00:00+00:00: before 2006, when AWS opened"})
	if len(res.Reports) != 1 || res.Reports[0].Users != 1 {
		t.Errorf("the row must still be read: %+v", res.Reports)
	}
}
