package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The attacks on the inputs, as a user meets them: each with its exact
// input, the exit code, the error's text, and that no finding was lost.
// analyze's own tests pin the rules in detail; these pin what the command
// does with them.

// sample is a sample report, as AWS wrote it: findings of every severity.
func sample(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("samples/123456789012.credential-report.csv")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// reviewFindings reads the findings' ids of a review's JSON.
func reviewFindings(t *testing.T, path string) []string {
	t.Helper()
	var doc struct {
		Findings []struct{ ID string } `json:"findings"`
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range doc.Findings {
		ids = append(ids, f.ID)
	}
	return ids
}

func write(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAttacks(t *testing.T) {
	good := sample(t)
	lines := strings.SplitAfter(good, "\n")
	prepend := func(col, value string) string {
		out := col + "," + lines[0]
		for _, l := range lines[1:] {
			if l != "" {
				out += value + "," + l
			}
		}
		return out
	}
	envelope := func(csv, generated string) string {
		b, _ := json.Marshal(map[string]string{"Content": base64.StdEncoding.EncodeToString([]byte(csv)), "ReportFormat": "text/csv", "GeneratedTime": generated})
		return string(b)
	}
	root := lines[1]
	tests := []struct {
		name  string
		files map[string]string // in a folder of its own, analysed as a folder
		args  []string          // more arguments
		code  int
		want  []string // in stderr
		found int      // findings that must be in the review (-1: none written)
	}{
		{"a repeated column prepended: user_creation_time",
			map[string]string{"r.csv": prepend("user_creation_time", "2000-01-01T00:00:00+00:00"), "ok.csv": strings.ReplaceAll(good, "123456789012", "999999999999")},
			[]string{"--fail-on", "high"}, 1, []string{`r.csv:1: header: column "user_creation_time" is in it twice, at positions 1 and 4`}, 9},
		{"a repeated column prepended: access_key_1_active",
			map[string]string{"r.csv": prepend("access_key_1_active", "false")}, nil, 1, []string{`header: column "access_key_1_active" is in it twice`}, -1},
		{"a repeated column inside a JSON envelope",
			map[string]string{"r.json": envelope(prepend("user_creation_time", "2000-01-01T00:00:00+00:00"), "2026-11-20T12:00:00Z")}, nil, 1, []string{`header: column "user_creation_time" is in it twice`}, -1},
		{"a report without its header in a folder",
			map[string]string{"r.csv": strings.Join(lines[1:], "")}, nil, 1, []string{"r.csv:1: a damaged credential report: its lines are rows of one"}, -1},
		{"a report with its header in upper case in a folder",
			map[string]string{"r.csv": strings.ToUpper(lines[0]) + strings.Join(lines[1:], "")}, nil, 1, []string{"r.csv:1: a damaged credential report: its header names the columns in other letters"}, -1},
		{"a decoy: a root row alone, generated later",
			map[string]string{"a.json": envelope(good, "2026-11-20T12:00:00Z"), "decoy.json": envelope(lines[0]+root, "2026-11-21T12:00:00Z")},
			[]string{"--fail-on", "high"}, 1, []string{"decoy.json: the report would supersede", "but lacks 14 of its 14 users"}, 9},
		{"a year 0000 user",
			map[string]string{"r.csv": strings.Replace(good, "2024-02-12T09:30:00+00:00", "0000-02-12T09:30:00+00:00", 1)}, nil, 1, []string{"user_creation_time 0000-02-12T09:30:00+00:00: before 2006, when AWS opened"}, 8},
		{"exceptions from /dev/zero",
			map[string]string{"r.csv": good}, []string{"--exceptions", "/dev/zero"}, 1, []string{"/dev/zero: larger than 4 MiB, which no file of this kind is; it was not read"}, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "in")
			for name, content := range tt.files {
				write(t, filepath.Join(in, name), content)
			}
			out := filepath.Join(dir, "out")
			code, _, stderr := credreview(t, "", append([]string{"analyze", "-f", "json", "-o", out, in}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s", code, tt.code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if tt.found >= 0 {
				if got := reviewFindings(t, filepath.Join(out, "credential-review.json")); len(got) != tt.found {
					t.Errorf("%d findings, want %d: none may be lost", len(got), tt.found)
				}
			}
		})
	}
	// The original, for the record: nine findings, three of them high.
	dir := t.TempDir()
	if code, _, stderr := credreview(t, "", "analyze", "-f", "json", "-o", dir, "--fail-on", "high", write(t, filepath.Join(dir, "r.csv"), good)); code != 3 {
		t.Errorf("the original: exit %d, want 3\n%s", code, stderr)
	}
}

// TestLinkedEvidence pins that a folder of links is read as find -L reads
// it: a linked evidence folder's reports are analysed, and a link to
// nothing is an error.
func TestLinkedEvidence(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	write(t, filepath.Join(store, "123456789012.csv"), sample(t))
	in := filepath.Join(dir, "in")
	os.MkdirAll(in, 0o755)
	if err := os.Symlink(store, filepath.Join(in, "evidence")); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if code, _, stderr := credreview(t, "", "analyze", "-f", "json", "-o", out, in); code != 0 || len(reviewFindings(t, filepath.Join(out, "credential-review.json"))) != 9 {
		t.Errorf("a linked folder: exit %d\n%s", code, stderr)
	}
	os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(in, "lost"))
	code, _, stderr := credreview(t, "", "analyze", "-f", "json", "-o", out, in)
	if code != 1 || !strings.Contains(stderr, "lost: a symbolic link to "+filepath.Join(dir, "nowhere")+", which is not there") {
		t.Errorf("a dangling link: exit %d\n%s", code, stderr)
	}
}

// TestScriptPrintsDataWithPrintf pins that the script never hands data to
// echo, which dash expands: a service of \033[31m would print a real
// escape, \c would cut the line.
func TestScriptPrintsDataWithPrintf(t *testing.T) {
	dir := t.TempDir()
	report := strings.Replace(sample(t), ",eu-west-1,", `,eu-west-1\033[31m\c,`, 1)
	if code, _, stderr := credreview(t, "", "analyze", "-q", "-f", "sh", "-o", dir, write(t, filepath.Join(dir, "r.csv"), report)); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "credential-review.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`(?m)^[^#\n]*\becho\b.*$`).FindString(string(b)); m != "" {
		t.Errorf("the script runs echo: %s", m)
	}
}
