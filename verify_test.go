package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyCommand pins credreview verify: the files it writes, the same
// bytes from the same inputs, its summary, and its exit codes.
func TestVerifyCommand(t *testing.T) {
	dir := t.TempDir()
	review := filepath.Join(dir, "review")
	if code, _, stderr := credreview(t, "", "analyze", "-q", "-o", review, "samples"); code != 0 {
		t.Fatalf("analyze: exit %d\n%s", code, stderr)
	}
	rj := filepath.Join(review, "credential-review.json")

	out := filepath.Join(dir, "verification")
	code, stdout, stderr := credreview(t, "", "verify", "--review", rj, "-o", out, "testdata/verify/after")
	want := "credreview: 13 findings of review CR-"
	if code != 0 || stdout != "" || !strings.HasPrefix(stderr, want) ||
		!strings.Contains(stderr, ": 5 remediated, 2 deactivated, 4 still-active, 1 user-deleted, 1 unknown; 1 new finding the review did not have; wrote "+filepath.Join(out, "credential-verification.xlsx")) {
		t.Fatalf("exit %d, stdout %q\n%s", code, stdout, stderr)
	}
	if got := strings.Join(files(t, out), " "); got != "credential-verification.json credential-verification.manifest.json credential-verification.md credential-verification.xlsx" {
		t.Errorf("files %q", got)
	}
	first := map[string][]byte{}
	for _, f := range files(t, out) {
		first[f], _ = os.ReadFile(filepath.Join(out, f))
	}
	// Again, into the same folder: the same bytes, and it says it
	// replaced the same verification's files.
	code, _, stderr = credreview(t, "", "verify", "--review", rj, "-o", out, "testdata/verify/after")
	if code != 0 || !strings.Contains(stderr, "replaced "+filepath.Join(out, "credential-verification.md")+" (the same verification)") {
		t.Errorf("again: exit %d\n%s", code, stderr)
	}
	for f, b := range first {
		again, _ := os.ReadFile(filepath.Join(out, f))
		if !bytes.Equal(again, b) {
			t.Errorf("%s differs from one run to the next", f)
		}
	}
	md := string(first["credential-verification.md"])
	for _, w := range []string{"# Verification of review CR-", "| SK-F79F1786F2 | high | 123456789012 | `alice` | key 1, created 2021-04-07T08:12:34Z | **still-active** |", "| SK-2A8A129914 | high | 123456789012 | `newbie` |"} {
		if !strings.Contains(md, w) {
			t.Errorf("the Markdown lacks %q", w)
		}
	}

	// --fail-on: alice's high finding is still active.
	code, stdout, stderr = credreview(t, "", "verify", "-q", "--review", rj, "--fail-on", "high", "-f", "json", "-o", "-", "testdata/verify/after")
	if code != 3 || !strings.Contains(stdout, `"still_active": 4`) || stderr != "" {
		t.Errorf("--fail-on high: exit %d, stderr %q", code, stderr)
	}
	// The review's own reports cannot show a change: an error, and their
	// accounts are unknown.
	code, stdout, stderr = credreview(t, "", "verify", "--review", rj, "-f", "md", "-o", "-", "samples")
	if code != 1 || !strings.Contains(stderr, "samples/123456789012.credential-report.csv: the report is one the review was made from") || !strings.Contains(stdout, "| unknown | 13 |") {
		t.Errorf("the review's own reports: exit %d\n%s", code, stderr)
	}
	// A file that is not a review's JSON.
	code, _, stderr = credreview(t, "", "verify", "--review", "samples/123456789012.credential-report.csv", "testdata/verify/after")
	if code != 1 || !strings.Contains(stderr, "credreview: error: --review samples/123456789012.credential-report.csv: not the JSON of a review") {
		t.Errorf("not a review: exit %d\n%s", code, stderr)
	}
	code, _, stderr = credreview(t, "", "verify", "--review", filepath.Join(dir, "missing.json"), "testdata/verify/after")
	if code != 1 || !strings.Contains(stderr, "missing.json: no such file or directory") {
		t.Errorf("a missing review: exit %d\n%s", code, stderr)
	}
}
