package analyze

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const goodExceptions = `# The board's decisions of 2026-11-20.
exceptions:
  - account: "123456789012"
    user: alice
    check: setup-key
    key_id: AKIAIOSFODNN7EXAMPLE
    reason: the break-glass user's key, kept in the safe
    approved_by: Ada Lovelace
    expires: 2027-02-25
  - account: 123456789012
    user: "-x"
    check: setup-key
    key_created: 2025-01-09T11:20:09Z
    reason: "a service's key: reviewed each quarter"
    approved_by: Grace Hopper
    expires: 2026-12-01
`

func TestReadExceptions(t *testing.T) {
	got, pr := ReadExceptions("ex.yaml", strings.NewReader(goodExceptions))
	if len(pr) > 0 {
		t.Fatalf("problems: %v", pr)
	}
	want := []Exception{
		{Account: "123456789012", User: "alice", Check: "setup-key", KeyID: "AKIAIOSFODNN7EXAMPLE", Reason: "the break-glass user's key, kept in the safe",
			ApprovedBy: "Ada Lovelace", Expires: time.Date(2027, 2, 25, 0, 0, 0, 0, time.UTC), Source: "ex.yaml", Line: 3},
		{Account: "123456789012", User: "-x", Check: "setup-key", KeyCreated: time.Date(2025, 1, 9, 11, 20, 9, 0, time.UTC), Reason: "a service's key: reviewed each quarter",
			ApprovedBy: "Grace Hopper", Expires: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Source: "ex.yaml", Line: 10},
	}
	if len(got) != len(want) {
		t.Fatalf("%d exceptions, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("exception %d:\n%+v\nwant\n%+v", i, got[i], want[i])
		}
	}
	f := &Finding{AccountID: "123456789012", User: "-x", Check: CheckSetupKey, KeyCreated: time.Date(2025, 1, 9, 11, 20, 9, 0, time.UTC)}
	if !got[1].Matches(f) || got[0].Matches(f) {
		t.Error("matching by creation time")
	}
	f.KeyID, f.User = "AKIAIOSFODNN7EXAMPLE", "alice"
	if !got[0].Matches(f) || got[1].Matches(f) {
		t.Error("matching by key id")
	}
	if !got[1].Holds(time.Date(2026, 11, 30, 23, 59, 59, 0, time.UTC)) || got[1].Holds(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) {
		t.Error("an exception holds until the day it expires")
	}
}

// TestExceptionProblems pins that every malformed file is refused whole,
// each problem naming its line.
func TestExceptionProblems(t *testing.T) {
	entry := func(lines ...string) string {
		return "exceptions:\n  - " + strings.Join(lines, "\n    ") + "\n"
	}
	full := []string{`account: "123456789012"`, "user: alice", "check: setup-key", "key_id: AKIAIOSFODNN7EXAMPLE", "reason: r", "approved_by: a", "expires: 2027-01-01"}
	without := func(i int) []string { return append(append([]string(nil), full[:i]...), full[i+1:]...) }
	with := func(i int, v string) []string { l := append([]string(nil), full...); l[i] = v; return l }
	tests := []struct {
		name, file, want string
	}{
		{"not YAML", "exceptions: [a, b\n", "ex.yaml:1: not valid YAML: did not find expected ',' or ']'"},
		{"empty", "", "ex.yaml: empty"},
		{"a list at the top", "- a\n", "ex.yaml:1: not a mapping"},
		{"no list", "other: 1\n", `ex.yaml:1: unknown key "other"`},
		{"not a list", "exceptions: 3\n", "ex.yaml:1: exceptions is not a list"},
		{"no expiry", entry(without(6)...), "ex.yaml:2: the entry has no expires"},
		{"no owner", entry(without(5)...), "ex.yaml:2: the entry has no approved_by"},
		{"no reason", entry(without(4)...), "ex.yaml:2: the entry has no reason"},
		{"no key", entry(without(3)...), "ex.yaml:2: the entry names no key: give key_id or key_created"},
		{"both keys", entry(append(full, "key_created: 2025-01-01T00:00:00Z")...), "ex.yaml:2: the entry has both key_id and key_created"},
		{"a typo", entry(append(full, "expire: 2027-01-01")...), `ex.yaml:9: unknown key "expire"`},
		{"a bad date", entry(with(6, "expires: next year")...), `ex.yaml:8: expires "next year" is not a date such as 2027-02-25`},
		{"a short account", entry(with(0, `account: "1234"`)...), `account "1234" is not an account id`},
		{"an illegal user", entry(with(1, "user: a b")...), `ex.yaml:3: user "a b" is not a legal IAM user name`},
		{"a bad key id", entry(with(3, "key_id: x")...), `ex.yaml:5: key_id "x" is not an access key id`},
		{"a bad creation time", entry(with(3, "key_created: yesterday")...), `ex.yaml:5: key_created "yesterday" is not a time`},
		{"twice", strings.Replace(entry(full...)+entry(full...)[len("exceptions:\n"):], "", "", 1), "ex.yaml:9: the same finding as the entry at line 2"},
		{"a key twice", entry(append(full, "user: bob")...), "ex.yaml:9: user again"},
		{"a list as a value", entry(with(4, "reason: [a, b]")...), "ex.yaml:6: reason is not a value"},
		{"two documents", entry(full...) + "---\nexceptions: []\n", "ex.yaml:9: a second YAML document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, pr := ReadExceptions("ex.yaml", strings.NewReader(tt.file))
			if got != nil {
				t.Errorf("a malformed file excepted %d findings", len(got))
			}
			var all []string
			for _, p := range pr {
				all = append(all, p.Error())
			}
			if !strings.Contains(strings.Join(all, "\n"), tt.want) {
				t.Errorf("problems %q, want one with %q", all, tt.want)
			}
			if len(pr) == 0 || pr[0].Hint == "" {
				t.Errorf("no hint")
			}
		})
	}
}

// FuzzReadExceptions holds the exceptions parser to its promise: it never
// panics, and a file it takes has every field an exception needs.
func FuzzReadExceptions(f *testing.F) {
	f.Add(goodExceptions)
	f.Add("exceptions: []\n")
	f.Add("exceptions:\n  - {account: '123456789012', user: a, check: setup-key, key_id: AKIAIOSFODNN7EXAMPLE, reason: r, approved_by: b, expires: 2027-01-01}\n")
	f.Fuzz(func(t *testing.T, file string) {
		got, pr := ReadExceptions("fuzz.yaml", strings.NewReader(file))
		if len(pr) > 0 && got != nil {
			t.Fatalf("problems %v, yet %d exceptions", pr, len(got))
		}
		for _, e := range got {
			if !isAccountID(e.Account) || !ValidUserName(e.User) || e.Check == "" || e.Reason == "" || e.ApprovedBy == "" || e.Expires.IsZero() || (e.KeyID == "") == e.KeyCreated.IsZero() || e.Line < 1 {
				t.Fatalf("an incomplete exception was taken: %+v", e)
			}
		}
	})
}

// TestExceptionsExpireWithinTwoYears pins that an exception expiring more
// than two years after today excepts nothing: an error names its line, and
// every finding is shown as found. The cap is on the file's read, the
// /dev/zero of an endless file too.
func TestExceptionsExpireWithinTwoYears(t *testing.T) {
	dir := t.TempDir()
	r := filepath.Join(dir, "r.csv")
	os.WriteFile(r, []byte(report(rootRow, row("alice", key(1, true, "2025-01-01T00:00:04+00:00", "")))), 0o644)
	entry := "exceptions:\n  - account: \"123456789012\"\n    user: alice\n    check: setup-key\n    key_created: 2025-01-01T00:00:04Z\n    reason: kept in the safe\n    approved_by: Ada\n    expires: %s\n"
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		expires  string
		excepted bool
		err      string
	}{
		{"2028-12-01", true, ""},
		{"2028-12-03", false, "x.yaml:2: the exception expires 2028-12-03, more than 2 years from today (2026-12-02)"},
		{"9999-12-31", false, "x.yaml:2: the exception expires 9999-12-31, more than 2 years from today"},
	} {
		x := filepath.Join(dir, "x.yaml")
		os.WriteFile(x, []byte(fmt.Sprintf(entry, tc.expires)), 0o644)
		res := Analyze(context.Background(), []string{r}, nil, Options{SetupWindow: time.Hour, Now: now, Exceptions: []string{x}})
		if got := res.ExceptedCount() == 1; got != tc.excepted {
			t.Errorf("expires %s: excepted %v, want %v", tc.expires, got, tc.excepted)
		}
		if tc.err != "" {
			lines := problemLines(res.Errors)
			for i := range lines {
				lines[i] = strings.TrimPrefix(lines[i], dir+"/")
			}
			containsAll(t, "errors", lines, []string{tc.err})
		}
	}
	res := Analyze(context.Background(), []string{r}, nil, Options{SetupWindow: time.Hour, Exceptions: []string{"/dev/zero"}})
	containsAll(t, "errors", problemLines(res.Errors), []string{"/dev/zero: larger than 4 MiB, which no file of this kind is; it was not read"})
}
