package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/credreview/credreview/internal/iamfake"
)

// decideIn sets Decision, Reviewer and Change ticket of the findings named
// in decisions (ID -> decision, reviewer, ticket), as a board does in a
// spreadsheet program, and saves the workbook.
func decideIn(t *testing.T, path string, decisions map[string][3]string, also func(f *excelize.File)) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows("Findings")
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i + 1
	}
	for r, row := range rows {
		d, ok := decisions[row[0]]
		if !ok {
			continue
		}
		for i, title := range []string{"Decision", "Reviewer", "Change ticket"} {
			cell, _ := excelize.CoordinatesToCellName(col[title], r+1)
			f.SetCellStr("Findings", cell, d[i])
		}
	}
	if also != nil {
		also(f)
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
}

// TestScriptCommand pins credreview script --approved: the script holds the
// approved findings, stderr says what was left out and why, and a workbook
// whose rows were changed is refused, naming them, with nothing written.
func TestScriptCommand(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := credreview(t, "", "analyze", "-q", "-o", dir, "-f", "xlsx", "samples"); code != 0 {
		t.Fatalf("analyze: exit %d\n%s", code, stderr)
	}
	wb := filepath.Join(dir, "credential-review.xlsx")
	decideIn(t, wb, map[string][3]string{
		"SK-AC3423442C": {"Approve", "Ada Lovelace", "CHG-1001"},
		"SK-EEC942BC39": {"Reject", "Ada Lovelace", ""},
		"SK-D2228142DD": {"Defer", "", ""},
		"SK-AB61B7A233": {"Approve", "", "CHG-1002"},
	}, nil)

	out := filepath.Join(dir, "approved")
	code, stdout, stderr := credreview(t, "", "script", "--approved", wb, "-o", out)
	if code != 0 || stdout != "" {
		t.Fatalf("exit %d, stdout %q\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"credreview: left out SK-EEC942BC39 (frank, account 210987654321): rejected\n",
		"credreview: left out SK-D2228142DD (grace, account 210987654321): deferred\n",
		"credreview: left out SK-F79F1786F2 (alice, account 123456789012): no decision\n",
		"credreview: warning: " + wb + ": row 14: SK-AB61B7A233 is approved without a Reviewer\n",
		"credreview: 2 findings of 13 findings approved in review CR-",
		"; wrote " + filepath.Join(out, "credential-review.sh") + "\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	sh, err := os.ReadFile(filepath.Join(out, "credential-review.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"#   SK-AC3423442C (frank, account 210987654321): approved by Ada Lovelace, ticket CHG-1001\n",
		"#   SK-AB61B7A233 (ivan, account 345678901234): approved by an unnamed reviewer, ticket CHG-1002\n",
		"#   SK-EEC942BC39 (frank, account 210987654321): rejected by Ada Lovelace\n",
	} {
		if !strings.Contains(string(sh), want) {
			t.Errorf("the script lacks %q", want)
		}
	}
	if n := strings.Count(string(sh), "\t\trun 'SK-"); n != 2*3 {
		t.Errorf("the script runs %d commands, want 2 findings × 3 phases", n)
	}

	// To standard output, the same script.
	code, stdout, _ = credreview(t, "", "script", "-q", "--approved", wb, "-o", "-")
	if code != 0 || stdout != string(sh) {
		t.Errorf("-o -: exit %d, and the script differs from the file's", code)
	}

	// A changed user name is refused, and nothing is written.
	decideIn(t, wb, nil, func(f *excelize.File) { f.SetCellStr("Findings", "D3", "root") })
	refused := filepath.Join(dir, "refused")
	code, _, stderr = credreview(t, "", "script", "--approved", wb, "-o", refused)
	if code != 1 {
		t.Errorf("a changed workbook: exit %d, want 1", code)
	}
	if !regexp.MustCompile(`credreview: error: .*credential-review.xlsx: Findings row 3: SK-E648BFD5A7: User reads "root", but credreview wrote "-admin"`).MatchString(stderr) ||
		!strings.Contains(stderr, "no script was written") {
		t.Errorf("stderr:\n%s", stderr)
	}
	if _, err := os.Stat(refused); err == nil {
		t.Errorf("%s was created", refused)
	}

	code, _, stderr = credreview(t, "", "script", "--approved", filepath.Join(dir, "nope.xlsx"))
	if code != 1 || !strings.Contains(stderr, "nope.xlsx: no such file or directory") {
		t.Errorf("a missing workbook: exit %d\n%s", code, stderr)
	}
}

// TestBoardLoop runs the change board's loop as the README shows it, with
// the real AWS CLI against a loopback IAM endpoint: analyze, the board
// decides in the workbook, script --approved, then plan, deactivate and
// delete: exactly the approved key is gone.
func TestBoardLoop(t *testing.T) {
	iamfake.RequireTool(t, iamfake.AWSCLI)
	dir := t.TempDir()
	if code, _, stderr := credreview(t, "", "analyze", "-q", "-o", dir, "samples"); code != 0 {
		t.Fatalf("analyze: exit %d\n%s", code, stderr)
	}
	wb := filepath.Join(dir, "credential-review.xlsx")
	decideIn(t, wb, map[string][3]string{
		"SK-AC3423442C": {"Approve", "Ada Lovelace", "CHG-1001"},
		"SK-D2228142DD": {"Reject", "Ada Lovelace", ""},
	}, nil)
	if code, _, stderr := credreview(t, "", "script", "-q", "--approved", wb, "-o", dir); code != 0 {
		t.Fatalf("script: exit %d\n%s", code, stderr)
	}
	// IAM holds frank's and grace's keys, as the inventory names them.
	keys := []iamfake.Key{
		{User: "frank", ID: "AKIAF6RKW3EXAMPLE002", Status: "Active", Created: mustTime(t, "2024-05-20T09:15:02Z")},
		{User: "frank", ID: "AKIAF6RKW3EXAMPLE003", Status: "Inactive", Created: mustTime(t, "2024-05-20T09:16:00Z")},
		{User: "grace", ID: "AKIAGR4C3EEXAMPLE004", Status: "Active", Created: mustTime(t, "2023-09-09T09:29:40Z")},
	}
	s := iamfake.New(nil, keys)
	defer s.Close()
	s.Account = "210987654321"
	env := s.CLIEnv(t)
	var transcript bytes.Buffer
	for _, phase := range []string{"plan", "deactivate", "delete"} {
		cmd := exec.Command("sh", filepath.Join(dir, "credential-review.sh"), phase, "--account", "210987654321")
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		transcript.Write(out)
		if err != nil {
			t.Fatalf("%s: %v\n%s", phase, err, out)
		}
	}
	if got := s.Mutations(); strings.Join(got, "\n") != "UpdateAccessKey frank AKIAF6RKW3EXAMPLE002 Inactive\nDeleteAccessKey frank AKIAF6RKW3EXAMPLE002" {
		t.Errorf("IAM was changed by:\n%s\nwant only frank's approved key deactivated, then deleted\n%s", strings.Join(got, "\n"), transcript.String())
	}
	if !strings.Contains(transcript.String(), "SK-AC3423442C high: frank") || !strings.Contains(transcript.String(), "key AKIAF6RKW3EXAMPLE002 is Active now") {
		t.Errorf("plan output:\n%s", transcript.String())
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestExceptionsRoundTrip pins the board's rejections carrying over: script
// --approved writes the Reject rows as exceptions, and the next analyze
// with them shows those findings apart, out of the script and of
// --fail-on, until they expire.
func TestExceptionsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := credreview(t, "", "analyze", "-q", "-o", dir, "-f", "xlsx", "samples/345678901234.credential-report.csv.gz", "samples/210987654321.credential-report.json", "samples/210987654321.access-keys.json"); code != 0 {
		t.Fatalf("analyze: exit %d\n%s", code, stderr)
	}
	wb := filepath.Join(dir, "credential-review.xlsx")
	decideIn(t, wb, map[string][3]string{
		"SK-AB61B7A233": {"Reject", "Ada Lovelace", ""},
		"SK-AC3423442C": {"Reject", "", ""},
		"SK-D2228142DD": {"Approve", "Ada Lovelace", "CHG-7"},
	}, func(f *excelize.File) {
		rows, _ := f.GetRows("Findings")
		for r, row := range rows {
			if row[0] == "SK-AB61B7A233" {
				cell, _ := excelize.CoordinatesToCellName(13, r+1)
				f.SetCellStr("Findings", cell, "ivan's CI key; replaced in the spring")
			}
		}
	})
	code, _, stderr := credreview(t, "", "script", "--approved", wb, "-o", dir, "--exception-days", "30")
	if code != 0 {
		t.Fatalf("script: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		"credreview: warning: " + wb + ": SK-AC3423442C (row ",
		"rejected without a Reviewer, and an exception needs an owner\n",
		"credreview: wrote " + filepath.Join(dir, "credential-review.exceptions.yaml") + ": 1 rejected finding, expiring 30 days after their reports' as-of time\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	ex := filepath.Join(dir, "credential-review.exceptions.yaml")
	b, _ := os.ReadFile(ex)
	for _, want := range []string{`account: "345678901234"`, "user: ivan", "check: setup-key", `key_created: "2026-09-14T15:00:07Z"`, "reason: ivan's CI key; replaced in the spring", "approved_by: Ada Lovelace", "expires: \"2026-12-19\""} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the exceptions file lacks %q:\n%s", want, b)
		}
	}

	// The next review, with them: ivan's finding is apart, and --fail-on
	// high no longer fails for it.
	out := t.TempDir()
	code, _, stderr = credreview(t, "", "analyze", "-o", out, "-f", "json,sh", "--fail-on", "high", "--exceptions", ex, "samples/345678901234.credential-report.csv.gz")
	if code != 0 || !strings.Contains(stderr, "0 findings, 1 excepted") {
		t.Errorf("with the exceptions: exit %d\n%s", code, stderr)
	}
	sh, _ := os.ReadFile(filepath.Join(out, "credential-review.sh"))
	if strings.Contains(string(sh), "SK-AB61B7A233") {
		t.Error("the script acts on the excepted finding")
	}
	code, _, _ = credreview(t, "", "analyze", "-q", "-o", t.TempDir(), "--fail-on", "high", "samples/345678901234.credential-report.csv.gz")
	if code != 3 {
		t.Errorf("without the exceptions: exit %d, want 3", code)
	}

	// A malformed file excepts nothing, and says where.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("exceptions:\n  - account: \"345678901234\"\n    user: ivan\n"), 0o644)
	code, _, stderr = credreview(t, "", "analyze", "-o", t.TempDir(), "--fail-on", "high", "--exceptions", bad, "samples/345678901234.credential-report.csv.gz")
	if code != 1 || !strings.Contains(stderr, "credreview: error: "+bad+":2: the entry has no check") || strings.Contains(stderr, "1 excepted") {
		t.Errorf("a malformed file: exit %d\n%s", code, stderr)
	}
}
