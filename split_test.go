package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSplitAccounts pins analyze --split accounts: a folder per account
// holding the review of that account's inputs alone, the same bytes as
// analyze gives for those inputs by themselves; an organisation summary
// beside them (golden); and the same bytes from the same inputs.
func TestSplitAccounts(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := credreview(t, "", "analyze", "--split", "accounts", "-o", out, "samples")
	if code != 0 || stdout != "" || !strings.Contains(stderr, "credreview: 3 reports in 3 accounts, 13 findings (7 high, 4 medium, 2 low); wrote 3 accounts' packages in "+filepath.Join(out, "ACCOUNT")+"; wrote "+filepath.Join(out, "credential-review-organisation.xlsx")+", "+filepath.Join(out, "credential-review-organisation.md")+"\n") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if got := strings.Join(files(t, out), " "); got != "123456789012 210987654321 345678901234 credential-review-organisation.md credential-review-organisation.xlsx" {
		t.Errorf("files %q", got)
	}
	org, err := os.ReadFile(filepath.Join(out, "credential-review-organisation.md"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "split/credential-review-organisation.md", string(org))

	inputs := map[string][]string{
		"123456789012": {"samples/123456789012.credential-report.csv"},
		"210987654321": {"samples/210987654321.credential-report.json", "samples/210987654321.access-keys.json"},
		"345678901234": {"samples/345678901234.credential-report.csv.gz"},
	}
	for account, paths := range inputs {
		if got := strings.Join(files(t, filepath.Join(out, account)), " "); got != "credential-review.json credential-review.manifest.json credential-review.md credential-review.xlsx" {
			t.Errorf("%s: files %q", account, got)
		}
		for _, format := range []string{"md", "json"} {
			_, alone, _ := credreview(t, "", append([]string{"analyze", "-q", "-f", format, "-o", "-"}, paths...)...)
			got, _ := os.ReadFile(filepath.Join(out, account, "credential-review."+format))
			// Alone, a run of an account without an inventory says that no
			// inventory was given; in the split run, one of another account
			// was.
			if format == "json" {
				alone = strings.ReplaceAll(alone, "no key inventory was given", "no key inventory of this run names the key")
			}
			if string(got) != alone {
				t.Errorf("%s: its package's %s differs from the review of its inputs alone", account, format)
			}
		}
	}

	// Again: the same bytes, every file.
	again := t.TempDir()
	credreview(t, "", "analyze", "-q", "--split", "accounts", "-o", again, "samples")
	filepath.WalkDir(out, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, ".lock") {
			return err
		}
		rel, _ := filepath.Rel(out, path)
		a, _ := os.ReadFile(path)
		b, _ := os.ReadFile(filepath.Join(again, rel))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs from one run to the next", rel)
		}
		return nil
	})
}

// TestSplitKeepsErrors pins that an input no account owns, unreadable, is
// an error in every account's package and in the summary, and the run
// exits 1.
func TestSplitKeepsErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "unreadable.csv")
	os.WriteFile(bad, []byte("user,arn\n\"unbalanced\n"), 0o644)
	out := t.TempDir()
	code, _, stderr := credreview(t, "", "analyze", "-q", "--split", "accounts", "-f", "md", "-o", out, "samples/123456789012.credential-report.csv", "samples/345678901234.credential-report.csv.gz", bad)
	if code != 1 || !strings.Contains(stderr, "credreview: error: "+bad) {
		t.Errorf("exit %d\n%s", code, stderr)
	}
	for _, name := range []string{"123456789012/credential-review.md", "345678901234/credential-review.md", "credential-review-organisation.md"} {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || !strings.Contains(string(b), "unreadable.csv") {
			t.Errorf("%s does not name the unreadable input (%v)", name, err)
		}
	}
}

// TestSplitNamesEarlierPackages pins that a package of an account the run
// does not have, left from an earlier run, is named in a warning.
func TestSplitNamesEarlierPackages(t *testing.T) {
	out := t.TempDir()
	credreview(t, "", "analyze", "-q", "--split", "accounts", "-f", "md", "-o", out, "samples")
	code, _, stderr := credreview(t, "", "analyze", "--split", "accounts", "-f", "md", "-o", out, "samples/123456789012.credential-report.csv")
	for _, account := range []string{"210987654321", "345678901234"} {
		if !strings.Contains(stderr, "credreview: warning: "+filepath.Join(out, account)+" holds a package of review CR-") {
			t.Errorf("exit %d; no warning of %s:\n%s", code, account, stderr)
		}
	}
	if strings.Contains(stderr, filepath.Join(out, "123456789012")+" holds") {
		t.Errorf("this run's own account is named:\n%s", stderr)
	}
}
