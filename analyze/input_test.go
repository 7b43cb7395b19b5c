package analyze

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func gz(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func envelope(csv, generated string) string {
	return fmt.Sprintf(`{
    "Content": "%s",
    "ReportFormat": "text/csv",
    "GeneratedTime": "%s"
}
`, base64.StdEncoding.EncodeToString([]byte(csv)), generated)
}

// TestInputForms pins that every form a report comes in gives the same
// finding: files are recognised by content, never by name.
func TestInputForms(t *testing.T) {
	csv := report(rootRow, row("alice", key(1, true, "2025-01-01T00:00:04+00:00", "")))
	crlf := strings.ReplaceAll(csv, "\n", "\r\n") + "\r\n"
	tests := []struct {
		name, content, format string
		generated             string
	}{
		{"csv as AWS writes it", csv, "csv", ""},
		{"final newline", csv + "\n", "csv", ""},
		{"console download: BOM and CRLF", "\uFEFF" + crlf, "csv", ""},
		{"blank lines", strings.ReplaceAll(csv, "\n", "\n\n"), "csv", ""},
		{"quoted fields", strings.ReplaceAll(csv, "\nalice,", "\n\"alice\","), "csv", ""},
		{"every field quoted, as spreadsheets export", quoteAll(csv), "csv", ""},
		{"columns in another order and an extra column", reorder(csv), "csv", ""},
		{"gzip", gz(csv), "csv+gzip", ""},
		{"get-credential-report json", envelope(csv, "2026-11-20T12:00:00+00:00"), "get-credential-report json", "2026-11-20T12:00:00Z"},
		{"json with Z time", envelope(csv, "2026-11-20T12:00:00Z"), "get-credential-report json", "2026-11-20T12:00:00Z"},
		{"json with BOM inside Content", envelope("\uFEFF"+csv, "2026-11-20T12:00:00Z"), "get-credential-report json", "2026-11-20T12:00:00Z"},
		{"gzipped json", gz(envelope(csv, "2026-11-20T12:00:00+00:00")), "get-credential-report json+gzip", "2026-11-20T12:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := analyzeFiles(t, map[string]string{"no-extension": tt.content}, hour)
			if len(res.Errors) > 0 {
				t.Fatalf("errors: %v", problemLines(res.Errors))
			}
			if len(res.Findings) != 1 || res.Findings[0].User != "alice" || res.Findings[0].KeyCreated.Format(time.RFC3339) != "2025-01-01T00:00:04Z" {
				t.Fatalf("findings = %+v", res.Findings)
			}
			rep := res.Reports[0]
			if rep.Format != tt.format {
				t.Errorf("format = %q, want %q", rep.Format, tt.format)
			}
			if got := stamp(rep.Generated); got != tt.generated {
				t.Errorf("generated = %q, want %q", got, tt.generated)
			}
			if tt.generated != "" && rep.AsOfRule != AsOfGenerated {
				t.Errorf("as-of rule = %q", rep.AsOfRule)
			}
		})
	}
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

func quoteAll(csv string) string {
	var lines []string
	for _, l := range strings.Split(csv, "\n") {
		f := strings.Split(l, ",")
		for i := range f {
			f[i] = `"` + f[i] + `"`
		}
		lines = append(lines, strings.Join(f, ","))
	}
	return strings.Join(lines, "\n")
}

// reorder moves the user column last and adds a column AWS may add later.
func reorder(csv string) string {
	var lines []string
	for i, l := range strings.Split(csv, "\n") {
		f := strings.Split(l, ",")
		extra := "x"
		if i == 0 {
			extra = "access_key_3_active"
		}
		f = append(append(f[1:], f[0]), extra)
		lines = append(lines, strings.Join(f, ","))
	}
	return strings.Join(lines, "\n")
}

func TestStdin(t *testing.T) {
	csv := report(rootRow, row("alice", key(1, true, "2025-01-01T00:00:04+00:00", "")))
	for name, in := range map[string]string{"csv": csv, "json": envelope(csv, "2026-11-20T12:00:00Z"), "gzip": gz(csv)} {
		t.Run(name, func(t *testing.T) {
			res := Analyze(context.Background(), []string{"-"}, strings.NewReader(in), hour)
			if len(res.Errors) > 0 || len(res.Findings) != 1 {
				t.Fatalf("errors %v, findings %d", problemLines(res.Errors), len(res.Findings))
			}
			if res.Reports[0].Source != "-" {
				t.Errorf("source = %q", res.Reports[0].Source)
			}
			want := sha256hex(in)
			if res.Reports[0].SHA256 != want {
				t.Errorf("sha256 = %s, want %s (of the bytes as given)", res.Reports[0].SHA256, want)
			}
		})
	}
	res := Analyze(context.Background(), []string{"-", "-"}, strings.NewReader(csv), hour)
	containsAll(t, "errors", problemLines(res.Errors), []string{"standard input (-) can be given only once"})
}

// TestUnquotedCommas pins that rows whose user name has commas (AWS does not
// quote them) are put back together from the ARN, whatever the name.
func TestUnquotedCommas(t *testing.T) {
	names := []string{"a,b", ",a", "a,", ",", ",,,", "smith,john,jr", "=1,2", "-a,b", "a,arn:x"[:3]}
	paths := []string{"/", "/staff/", "/a,b/"}
	for _, name := range names {
		for _, path := range paths {
			t.Run(name+" "+path, func(t *testing.T) {
				arn := "arn:aws:iam::123456789012:user" + path + name
				r := row(name, merge(key(1, true, "2025-01-01T00:00:04+00:00", ""), map[string]string{"arn": arn}))
				res := analyzeOne(t, report(rootRow, row("before", nil), r, row("after", nil)), hour)
				if len(res.Errors) > 0 {
					t.Fatalf("errors: %v", problemLines(res.Errors))
				}
				if len(res.Findings) != 1 {
					t.Fatalf("findings: %d", len(res.Findings))
				}
				if f := res.Findings[0]; f.User != name || f.ARN != arn || f.Line != 4 {
					t.Errorf("user %q, arn %q, line %d; want %q, %q, 4", f.User, f.ARN, f.Line, name, arn)
				}
				if res.Reports[0].Users != 3 {
					t.Errorf("users = %d, want 3", res.Reports[0].Users)
				}
			})
		}
	}
}

// TestInputErrors pins the message for each kind of bad input, and that the
// good input beside it is still analysed.
func TestInputErrors(t *testing.T) {
	good := strings.ReplaceAll(report(rootRow, row("alice", key(1, true, "2025-01-01T00:00:04+00:00", ""))), "123456789012", "222222222222")
	long := make([]string, 60)
	for i := range long {
		long[i] = row(fmt.Sprintf("u%02d", i), map[string]string{"user_creation_time": "5/24/2023 7:04"})
	}
	tests := []struct {
		name, content string
		want          []string // lines "source[:line]: message"
		hints         []string
		findings      int // of the bad file itself
	}{
		{"empty file", "", []string{"bad: file is empty"}, []string{"credreview reads credential reports"}, 0},
		{"prose", "# Notes\n\nsome text\n", []string{"bad:1: not a credential report: the first line is not a header with user and arn columns"}, nil, 0},
		{"short header", "user,arn,user_creation_time,password_enabled,password_last_used\n<root_account>,arn:aws:iam::0123456789:root,2015-06-24T12:45:00+00:00,not_supported,2016-10-07T14:30:00+00:00",
			[]string{"bad:1: not a complete credential report: missing 12 columns: access_key_1_active"}, []string{"the header has 5 columns"}, 0},
		{"header only", header + "\n", []string{"bad: the report has a header but no rows, not even the root user's"}, []string{"truncated"}, 0},
		{"classic Mac line ends", strings.ReplaceAll(report(rootRow, row("alice", nil)), "\n", "\r"), []string{"bad:1: the lines end in a carriage return alone"}, []string{"convert the line ends"}, 0},
		{"xlsx", "PK\x03\x04rest", []string{"bad: not a credential report: a zip archive or a spreadsheet (xlsx)"}, nil, 0},
		{"binary", "\x00\x01\x02", []string{"bad: not a credential report: a binary file"}, nil, 0},
		{"generate-credential-report output", `{"State": "STARTED", "Description": "No report exists."}`, []string{"bad: this is what aws iam generate-credential-report prints"}, []string{"get-credential-report"}, 0},
		{"other JSON", `{"Users": []}`, []string{"bad: not a credential report: JSON without Content"}, nil, 0},
		{"JSON array", `[1, 2]`, []string{"bad: not a credential report: JSON, but not an object"}, nil, 0},
		{"broken JSON", `{"Content": "abc`, []string{"bad: JSON ends early"}, nil, 0},
		{"wrong JSON type", `{"Content": 123}`, []string{"bad: Content is a JSON number where a string belongs"}, nil, 0},
		{"junk after the JSON", envelope(good, "2026-11-20T12:00:00Z") + "junk", []string{"bad: text after the JSON document that is not JSON"}, nil, 0},
		{"two JSON documents", envelope(good, "2026-11-20T12:00:00Z") + "{}", []string{"bad: more than one JSON document"}, nil, 0},
		{"UTF-16", "\xFF\xFEu\x00s\x00", []string{"bad: not a credential report: UTF-16 text"}, []string{"saved it as Unicode text"}, 0},
		{"semicolons", strings.ReplaceAll(good, ",", ";"), []string{"bad:1: not a credential report"}, []string{"separated by semicolons or tabs"}, 0},
		{"bad base64", `{"Content": "!!!", "ReportFormat": "text/csv"}`, []string{"bad: Content is not valid base64"}, nil, 0},
		{"wrong ReportFormat", `{"Content": "", "ReportFormat": "text/html"}`, []string{`bad: ReportFormat is "text/html"`}, nil, 0},
		{"two GeneratedTime members", strings.Replace(envelope(good, "2026-11-20T12:00:00Z"), "{", `{"GeneratedTime": "2026-11-25T12:00:00Z", `, 1),
			[]string{"bad: two GeneratedTime members: a get-credential-report file has one"}, nil, 0},
		{"two ReportFormat members", strings.Replace(envelope(good, "2026-11-20T12:00:00Z"), "{", `{"ReportFormat": "text/csv", `, 1),
			[]string{"bad: two ReportFormat members"}, nil, 0},
		{"truncated gzip", gz(good)[:40], []string{"bad: read failed: unexpected EOF"}, []string{"truncated"}, 0},
		{"gzip of gzip", gz(gz(good)), []string{"bad: gzip inside gzip"}, nil, 0},
		{"spreadsheet re-save", report(rootRow, row("bob", map[string]string{"user_creation_time": "5/24/2023 7:04"}), row("alice", key(1, true, "2025-01-01T00:00:04+00:00", ""))),
			[]string{`bad:3: user_creation_time "5/24/2023 7:04" is not an ISO 8601 time`}, []string{"re-saved by a spreadsheet program"}, 1},
		{"truncated last row", report(rootRow, row("alice", key(1, true, "2025-01-01T00:00:04+00:00", "")), "bob,arn:aws:iam::123456789012:user/bob,2025-01-01T00:00:00+00:00,true"),
			[]string{"bad:4: the last row has 4 of the header's 22 fields"}, []string{"truncated"}, 1},
		{"short row in the middle", report(rootRow, "bob,arn:aws:iam::123456789012:user/bob", row("alice", key(1, true, "2025-01-01T00:00:04+00:00", ""))),
			[]string{"bad:3: the row has 2 fields, the header 22"}, nil, 1},
		{"extra commas not in the name", report(rootRow, row("alice", key(1, true, "2025-01-01T00:00:04+00:00", ""))+",extra"),
			[]string{"bad:3: the row has 23 fields, the header 22"}, []string{"AWS does not quote them"}, 0},
		{"illegal user name", report(rootRow, row("a b", key(1, true, "2025-01-01T00:00:04+00:00", ""))),
			[]string{`bad:3: user name "a b" is not a legal IAM user name`}, nil, 0},
		{"another account's row", report(rootRow, row("x", map[string]string{"arn": "arn:aws:iam::999999999999:user/x"})),
			[]string{"bad:3: the row is for account 999999999999 (aws) but line 2 is for 123456789012 (aws)"}, nil, 0},
		{"bad boolean", report(rootRow, row("x", map[string]string{"mfa_active": "yes"})), []string{`bad:3: mfa_active: "yes" is not true or false`}, nil, 0},
		{"bare quote", report(rootRow, `x"y,`+row("x", nil)[2:]), []string{`bad:3: not valid CSV`}, nil, 0},
		{"many bad rows are counted, not all listed", report(append([]string{rootRow}, long...)...),
			[]string{"bad:3: user_creation_time", "bad: 10 more rows have errors, from line 53 on; only the first 50 are listed"}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := analyzeFiles(t, map[string]string{"bad": tt.content, "good.csv": good}, hour)
			got := problemLines(res.Errors)
			containsAll(t, "errors", got, tt.want)
			for _, e := range res.Errors {
				if e.Source != "bad" {
					t.Errorf("error about the good file: %v", e)
				}
			}
			var hints []string
			for _, e := range res.Errors {
				if e.Hint != "" {
					hints = append(hints, e.Hint)
				}
			}
			containsAll(t, "hints", hints, tt.hints)
			if len(hints) > 1 && hints[0] == hints[1] {
				t.Errorf("the same hint twice: %q", hints)
			}
			n := 0
			for _, f := range res.Findings {
				if f.Source == "good.csv" {
					n++
				}
			}
			if n != 1 {
				t.Errorf("the good file gave %d findings, want 1", n)
			}
			if len(res.Findings)-n != tt.findings {
				t.Errorf("the bad file gave %d findings, want %d", len(res.Findings)-n, tt.findings)
			}
		})
	}
}

func TestPathErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte(report(rootRow, row("alice", key(1, true, "2025-01-01T00:00:04+00:00", "")))), 0o644)
	res := Analyze(context.Background(), []string{filepath.Join(dir, "missing.csv"), good}, nil, hour)
	containsAll(t, "errors", problemLines(res.Errors), []string{"missing.csv: no such file or directory"})
	if len(res.Findings) != 1 {
		t.Errorf("findings = %d, want 1", len(res.Findings))
	}
}

func TestDirectoryWalk(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := func(account, user string) string {
		return report(strings.ReplaceAll(rootRow, "123456789012", account),
			row(user, merge(key(1, true, "2025-01-01T00:00:04+00:00", ""), map[string]string{"arn": "arn:aws:iam::" + account + ":user/" + user})))
	}
	write("b/222222222222.csv", r("222222222222", "bob"))
	write("a/111111111111.csv.gz", gz(r("111111111111", "alice")))
	write("a/deep/333333333333", r("333333333333", "carol"))
	write(".git/config", "[core]")
	write(".DS_Store", "\x00\x00")
	write("credential-review.json", "{}")
	write("README.md", "# The reports of the second quarter\n\nFetched on the 20th.\n")
	write("notes.json", `{"reviewer": "ada"}`)
	write("b/broken.csv", "user,arn,user_creation_time\nalice,arn:aws:iam::222222222222:user/alice,x\n")
	res := Analyze(context.Background(), []string{dir}, nil, hour)
	// A broken report is not plainly not a report: an error.
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), "broken.csv:1: not a complete credential report") {
		t.Fatalf("errors: %v", problemLines(res.Errors))
	}
	res.Errors = nil
	if len(res.Errors) > 0 {
		t.Fatalf("errors: %v", problemLines(res.Errors))
	}
	var got []string
	for _, rep := range res.Reports {
		got = append(got, strings.TrimPrefix(rep.Source, dir+"/"))
	}
	want := []string{"a/111111111111.csv.gz", "a/deep/333333333333", "b/222222222222.csv"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("reports in order %q, want %q", got, want)
	}
	containsAll(t, "warnings", problemLines(res.Warnings), []string{".git: hidden, skipped", ".DS_Store: hidden, skipped", "credential-review.json: credreview's own output, skipped",
		"README.md: not a credential report or key inventory (the first line is not a header with user and arn columns), skipped",
		"notes.json: not a credential report or key inventory (JSON without Content (get-credential-report) or AccessKeyMetadata (list-access-keys)), skipped"})

	// Named on the command line, the same file is an error.
	res = Analyze(context.Background(), []string{filepath.Join(dir, "README.md")}, nil, hour)
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), "README.md:1: not a credential report: the first line is not a header with user and arn columns") {
		t.Errorf("a named README: %v", problemLines(res.Errors))
	}
}

func TestSupersede(t *testing.T) {
	older := report(rootRow, row("alice", key(1, true, "2025-01-01T00:00:04+00:00", "")))
	newer := report(rootRow, row("alice", key(1, false, "2025-01-01T00:00:04+00:00", "")), row("bob", key(1, true, "2025-01-01T00:00:01+00:00", "")))
	t.Run("by generated time", func(t *testing.T) {
		res := analyzeFiles(t, map[string]string{
			"1-new.json": envelope(newer, "2026-11-20T12:00:00Z"),
			"2-old.json": envelope(older, "2026-10-01T12:00:00Z"),
		}, hour)
		if len(res.Reports) != 1 || res.Reports[0].Source != "1-new.json" {
			t.Fatalf("reports = %+v", res.Reports)
		}
		if len(res.Superseded) != 1 || res.Superseded[0].Source != "2-old.json" || res.Superseded[0].SupersededBy != "1-new.json" {
			t.Fatalf("superseded = %+v", res.Superseded)
		}
		if len(res.Findings) != 2 || res.Findings[0].Severity != SeverityLow {
			t.Errorf("findings should come from the newer report only: %+v", res.Findings)
		}
		containsAll(t, "warnings", problemLines(res.Warnings), []string{"2-old.json: superseded: account 123456789012 is also in 1-new.json, which is newer (generated 2026-11-20T12:00:00Z against generated 2026-10-01T12:00:00Z); only that one is analysed"})
	})
	t.Run("content times alone never choose", func(t *testing.T) {
		// Two reports without a GeneratedTime: both are analysed, a key
		// both list is reported once at its highest severity (high in the
		// older one, low in the newer), and an error names both.
		n := strings.Replace(newer, "2026-01-01T00:00:00+00:00", "2026-02-01T00:00:00+00:00", 1)
		res := analyzeFiles(t, map[string]string{"a.csv": n, "b.csv": older}, hour)
		if len(res.Reports) != 2 || len(res.Superseded) != 0 {
			t.Fatalf("reports %d, superseded %d; want both analysed", len(res.Reports), len(res.Superseded))
		}
		var got []string
		for _, f := range res.Findings {
			got = append(got, fmt.Sprintf("%s %s %s", f.User, f.Severity, f.Source))
		}
		if want := "alice high b.csv; bob high a.csv"; strings.Join(got, "; ") != want {
			t.Errorf("findings %q, want %q", strings.Join(got, "; "), want)
		}
		containsAll(t, "errors", problemLines(res.Errors), []string{"a.csv: account 123456789012 (aws) is also in b.csv, and none of them has a GeneratedTime"})
	})
	t.Run("a GeneratedTime outranks any time in the rows", func(t *testing.T) {
		// The decoy: a header and a root row dated after the real report's
		// GeneratedTime beside the real
		// report, which has two high findings.
		real := envelope(report(rootRow, row("alice", key(1, true, "2025-01-01T00:00:04+00:00", "")), row("bob", key(1, true, "2025-01-01T00:00:01+00:00", ""))), "2026-11-20T12:00:00Z")
		decoy := header + "\n" + strings.ReplaceAll(rootRow, "2026-01-01T00:00:00+00:00", "2026-11-25T00:00:00+00:00")
		res := analyzeFiles(t, map[string]string{"123456789012.credential-report.json": real, "zz-notes.csv": decoy}, hour)
		if len(res.Reports) != 1 || res.Reports[0].Source != "123456789012.credential-report.json" {
			t.Fatalf("reports = %+v", res.Reports)
		}
		if len(res.Findings) != 2 || res.Highest() != SeverityHigh {
			t.Errorf("findings = %+v, want the two high findings of the real report", res.Findings)
		}
		containsAll(t, "warnings", problemLines(res.Warnings), []string{"zz-notes.csv: superseded: account 123456789012 is also in 123456789012.credential-report.json, which has a GeneratedTime (2026-11-20T12:00:00Z), and this report has none: the times in a report's rows never outrank it, though this report's rows have times up to 2026-11-25T00:00:00Z"})
	})
	t.Run("the same report twice", func(t *testing.T) {
		res := analyzeFiles(t, map[string]string{"a.csv": older, "b.csv": older}, hour)
		if len(res.Reports) != 1 || res.Reports[0].Source != "a.csv" || len(res.Findings) != 1 {
			t.Errorf("kept %+v, %d findings", res.Reports, len(res.Findings))
		}
		containsAll(t, "warnings", problemLines(res.Warnings), []string{"b.csv: superseded: account 123456789012 is also in a.csv, which is the same report"})
	})
	t.Run("other partition is another account", func(t *testing.T) {
		cn := strings.ReplaceAll(older, "arn:aws:", "arn:aws-cn:")
		res := analyzeFiles(t, map[string]string{"a.csv": cn, "b.csv": older}, hour)
		if len(res.Reports) != 2 || len(res.Superseded) != 0 {
			t.Errorf("reports %d, superseded %d", len(res.Reports), len(res.Superseded))
		}
	})
}

// TestDeterministic pins that the result does not depend on scheduling.
func TestDeterministic(t *testing.T) {
	files := map[string]string{}
	for i := range 20 {
		acct := fmt.Sprintf("1000000000%02d", i)
		files[acct+".csv"] = report(strings.ReplaceAll(rootRow, "123456789012", acct),
			row("u", merge(key(1, true, "2025-01-01T00:00:04+00:00", ""), map[string]string{"arn": "arn:aws:iam::" + acct + ":user/u"})),
			row("v", map[string]string{"arn": "arn:aws:iam::" + acct + ":user/w"}))
	}
	first := analyzeFiles(t, files, hour)
	for range 5 {
		if again := analyzeFiles(t, files, hour); !reflect.DeepEqual(first, again) {
			t.Fatal("two analyses of the same inputs differ")
		}
	}
}

func sha256hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
