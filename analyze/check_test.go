package analyze

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestSetupKeyCheck pins the rule: a console user's key created 0 to
// --setup-window after the user (inclusive) is a finding, with severity high
// (active, never used), medium (active, used) or low (inactive).
func TestSetupKeyCheck(t *testing.T) {
	const created = "2025-01-01T00:00:00+00:00"
	tests := []struct {
		name     string
		set      map[string]string
		window   time.Duration
		want     []string // "slot severity"
		warnings []string
	}{
		{"active key at the same second, never used", key(1, true, created, ""), time.Hour, []string{"1 high"}, nil},
		{"active key 4 s later, never used", key(1, true, "2025-01-01T00:00:04+00:00", ""), time.Hour, []string{"1 high"}, nil},
		{"active key used since", key(1, true, "2025-01-01T00:38:00+00:00", "2026-01-02T03:04:00+00:00"), time.Hour, []string{"1 medium"}, nil},
		{"inactive key never used", key(1, false, "2025-01-01T00:00:05+00:00", ""), time.Hour, []string{"1 low"}, nil},
		{"inactive key used once", key(1, false, "2025-01-01T00:00:05+00:00", "2025-02-01T00:00:00+00:00"), time.Hour, []string{"1 low"}, nil},
		{"window boundary is inclusive", key(1, true, "2025-01-01T01:00:00+00:00", ""), time.Hour, []string{"1 high"}, nil},
		{"one second past the window", key(1, true, "2025-01-01T01:00:01+00:00", ""), time.Hour, nil, nil},
		{"key a year later", key(1, true, "2026-01-01T00:00:00+00:00", ""), time.Hour, nil, nil},
		{"narrow window excludes a 38-minute key", key(1, true, "2025-01-01T00:38:00+00:00", ""), 10 * time.Minute, nil, nil},
		{"zero window keeps only the same second", merge(key(1, true, created, ""), key(2, true, "2025-01-01T00:00:01+00:00", "")), 0, []string{"1 high"}, nil},
		{"key 2 only", key(2, true, "2025-01-01T00:00:02+00:00", ""), time.Hour, []string{"2 high"}, nil},
		{"both keys at setup", merge(key(1, true, "2025-01-01T00:00:01+00:00", ""), key(2, false, "2025-01-01T00:00:02+00:00", "")), time.Hour, []string{"1 high", "2 low"}, nil},
		{"no password", merge(key(1, true, created, ""), map[string]string{"password_enabled": "false", "password_last_used": "N/A"}), time.Hour, nil, nil},
		{"upper-case booleans", merge(key(1, true, created, ""), map[string]string{"password_enabled": "TRUE", "access_key_1_active": "TRUE"}), time.Hour, []string{"1 high"}, nil},
		{"Z timestamps", merge(key(1, true, "2025-01-01T00:00:03Z", ""), map[string]string{"user_creation_time": "2025-01-01T00:00:00Z"}), time.Hour, []string{"1 high"}, nil},
		{"key created before its user", key(1, true, "2024-12-31T23:59:00+00:00", ""), time.Hour, nil, []string{"access key 1 of u was created 1 min before the user"}},
		{"active flag without a key", map[string]string{"access_key_1_active": "true"}, time.Hour, nil, []string{"access_key_1_active is true but access_key_1_last_rotated is N/A"}},
		{"password not_supported on a user row", merge(key(1, true, created, ""), map[string]string{"password_enabled": "not_supported"}), time.Hour, nil, []string{"password_enabled is not_supported"}},
		{"ARN without user/", merge(key(1, true, created, ""), map[string]string{"arn": "arn:aws:iam::123456789012:u"}), time.Hour, []string{"1 high"}, []string{"is not a user ARN"}},
		{"ARN of another name", map[string]string{"arn": "arn:aws:iam::123456789012:user/other"}, time.Hour, nil, []string{"does not end with the user name"}},
		{"the root user under another name", merge(key(1, true, created, ""), map[string]string{"arn": "arn:aws:iam::123456789012:root"}), time.Hour, nil, []string{`the row of arn "arn:aws:iam::123456789012:root", the root user, is named "u"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := analyzeOne(t, report(rootRow, row("u", tt.set)), Options{SetupWindow: tt.window})
			if len(res.Errors) > 0 {
				t.Fatalf("errors: %v", problemLines(res.Errors))
			}
			var got []string
			for _, f := range res.Findings {
				got = append(got, fmt.Sprintf("%d %s", f.KeySlot, f.Severity))
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("findings = %q, want %q", got, tt.want)
			}
			containsAll(t, "warnings", problemLines(res.Warnings), tt.warnings)
			if tt.warnings == nil && len(res.Warnings) > 0 {
				t.Errorf("unexpected warnings: %v", problemLines(res.Warnings))
			}
		})
	}
}

func TestFindingFields(t *testing.T) {
	r := row("alice", merge(key(1, true, "2025-01-01T00:00:04+00:00", "2026-03-04T05:06:00+00:00"),
		map[string]string{"mfa_active": "true", "password_last_used": "no_information", "access_key_1_last_used_region": "eu-west-1", "access_key_1_last_used_service": "ec2"}))
	res := analyzeOne(t, report(rootRow, r), hour)
	if len(res.Findings) != 1 {
		t.Fatalf("got %d findings, want 1", len(res.Findings))
	}
	f := res.Findings[0]
	checks := []struct{ name, got, want string }{
		{"ID", f.ID, "SK-" + f.ID[3:]},
		{"check", f.Check, "setup-key"},
		{"severity", f.Severity.String(), "medium"},
		{"account", f.AccountID, "123456789012"},
		{"partition", f.Partition, "aws"},
		{"user", f.User, "alice"},
		{"arn", f.ARN, "arn:aws:iam::123456789012:user/alice"},
		{"user created", f.UserCreated.Format(time.RFC3339), "2025-01-01T00:00:00Z"},
		{"key created", f.KeyCreated.Format(time.RFC3339), "2025-01-01T00:00:04Z"},
		{"seconds after", fmt.Sprint(f.SecondsAfterUserCreated()), "4"},
		{"last used", f.KeyLastUsed.Format(time.RFC3339), "2026-03-04T05:06:00Z"},
		{"service", f.KeyLastUsedService, "ec2"},
		{"region", f.KeyLastUsedRegion, "eu-west-1"},
		{"password last used", f.PasswordLastUsed.String(), "no_information"},
		{"mfa", fmt.Sprint(f.MFAActive), "true"},
		{"line", fmt.Sprint(f.Line), "3"},
		{"source", f.Source, "r.csv"},
		{"as of (newest timestamp)", f.AsOf.Format(time.RFC3339), "2026-03-04T05:06:00Z"},
		{"key age", fmt.Sprint(f.KeyAgeDays()), "427"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if len(f.ID) != 13 {
		t.Errorf("ID %q: want SK- and 10 hex digits", f.ID)
	}
}

// TestFindingIDStable pins that an id depends on the key, not on the run:
// other rows, order and files do not change it; a replaced key does.
func TestFindingIDStable(t *testing.T) {
	a := row("alice", key(1, true, "2025-01-01T00:00:04+00:00", ""))
	id := func(content string) string {
		res := analyzeOne(t, content, hour)
		for _, f := range res.Findings {
			if f.User == "alice" {
				return f.ID
			}
		}
		t.Fatal("no finding for alice")
		return ""
	}
	first := id(report(rootRow, a))
	other := row("bob", key(1, true, "2025-01-01T00:00:01+00:00", ""))
	if got := id(report(other, a, rootRow)); got != first {
		t.Errorf("id changed with other rows and order: %s, then %s", first, got)
	}
	if got := id(report(rootRow, row("alice", key(1, true, "2025-01-01T00:00:05+00:00", "")))); got == first {
		t.Errorf("a key created at another time kept id %s", got)
	}
}

func TestReportCounts(t *testing.T) {
	content := report(rootRow,
		row("a", key(1, true, "2025-01-01T00:00:01+00:00", "")),
		row("b", merge(key(1, true, "2025-06-01T00:00:00+00:00", ""), key(2, false, "2025-07-01T00:00:00+00:00", ""))),
		row("c", map[string]string{"password_enabled": "false", "password_last_used": "N/A"}),
		row("d", nil),
	)
	res := analyzeOne(t, content, hour)
	if len(res.Reports) != 1 {
		t.Fatalf("reports: %d", len(res.Reports))
	}
	rep := res.Reports[0]
	if rep.Users != 4 || rep.ConsoleUsers != 3 || rep.Keys != 3 {
		t.Errorf("users, console users, keys = %d, %d, %d; want 4, 3, 3", rep.Users, rep.ConsoleUsers, rep.Keys)
	}
	if rep.AccountID != "123456789012" || rep.Partition != "aws" {
		t.Errorf("account = %s (%s)", rep.AccountID, rep.Partition)
	}
	if rep.AsOfRule != AsOfNewest || rep.AsOf.Format(time.RFC3339) != "2026-01-01T00:00:00Z" {
		t.Errorf("as of = %s (%s)", rep.AsOf, rep.AsOfRule)
	}
	if len(rep.SHA256) != 64 {
		t.Errorf("sha256 = %q", rep.SHA256)
	}
}

func TestDuplicateRows(t *testing.T) {
	a := row("alice", key(1, true, "2025-01-01T00:00:01+00:00", ""))
	a2 := row("Alice", merge(key(1, true, "2025-01-01T00:00:01+00:00", ""), key(2, true, "2025-01-01T00:00:02+00:00", "")))
	res := analyzeOne(t, report(rootRow, a, a, a2), hour)
	rep := res.Reports[0]
	if rep.Users != 1 || rep.Keys != 1 {
		t.Errorf("users, keys = %d, %d; want 1, 1 (counted once)", rep.Users, rep.Keys)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, fmt.Sprintf("%s %d", f.User, f.KeySlot))
	}
	if strings.Join(got, ",") != "alice 1,Alice 2" {
		t.Errorf("findings = %q, want the repeated key once and the new key of the second row", got)
	}
	containsAll(t, "warnings", problemLines(res.Warnings), []string{
		"r.csv:4: user alice appears again (first at line 3)",
		"r.csv:5: user Alice appears again (first at line 3)",
	})
}

func TestAsOf(t *testing.T) {
	content := report(rootRow, row("a", key(1, true, "2025-01-01T00:00:01+00:00", "")))
	t.Run("newest timestamp", func(t *testing.T) {
		res := analyzeOne(t, content, hour)
		if got := res.Findings[0].AsOf.Format(time.RFC3339); got != "2026-01-01T00:00:00Z" {
			t.Errorf("as of = %s", got)
		}
	})
	t.Run("flag", func(t *testing.T) {
		asOf := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
		res := analyzeOne(t, content, Options{SetupWindow: time.Hour, AsOf: asOf})
		if rep := res.Reports[0]; !rep.AsOf.Equal(asOf) || rep.AsOfRule != AsOfFlag {
			t.Errorf("as of = %s (%s)", rep.AsOf, rep.AsOfRule)
		}
		if got := res.Findings[0].KeyAgeDays(); got != 687 {
			t.Errorf("key age = %d days, want 687", got)
		}
	})
	t.Run("times after the flag are warned about", func(t *testing.T) {
		res := analyzeOne(t, content, Options{SetupWindow: time.Hour, AsOf: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)})
		if len(res.Findings) != 1 {
			t.Errorf("findings: %d", len(res.Findings))
		}
		if len(res.Warnings) != 0 {
			t.Errorf("warnings: %v", problemLines(res.Warnings))
		}
		res = analyzeOne(t, report(rootRow, row("a", key(1, true, "2025-09-01T00:00:01+00:00", ""))), Options{SetupWindow: time.Hour, AsOf: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)})
		containsAll(t, "warnings", problemLines(res.Warnings), []string{"access_key_1_last_rotated 2025-09-01T00:00:01+00:00 is after the report's as-of time 2025-06-01T00:00:00Z"})
	})
}

// TestFindingOrder pins the order of findings whatever the order of the
// inputs and rows: account, user ignoring case, key slot, exact name.
func TestFindingOrder(t *testing.T) {
	mk := func(acct, user string) string {
		return strings.ReplaceAll(row(user, merge(key(1, true, "2025-01-01T00:00:04+00:00", ""), key(2, true, "2025-01-01T00:00:05+00:00", ""))), "123456789012", acct)
	}
	files := map[string]string{
		"a.csv": report(strings.ReplaceAll(rootRow, "123456789012", "222222222222"), mk("222222222222", "zed"), mk("222222222222", "Bob"), mk("222222222222", "alice")),
		"b.csv": report(rootRow, mk("123456789012", "b"), mk("123456789012", "_x"), mk("123456789012", "A")),
	}
	res := analyzeFiles(t, files, hour)
	var got []string
	for _, f := range res.Findings {
		got = append(got, fmt.Sprintf("%s %s %d", f.AccountID, f.User, f.KeySlot))
	}
	want := []string{
		"123456789012 _x 1", "123456789012 _x 2", "123456789012 A 1", "123456789012 A 2", "123456789012 b 1", "123456789012 b 2",
		"222222222222 alice 1", "222222222222 alice 2", "222222222222 Bob 1", "222222222222 Bob 2", "222222222222 zed 1", "222222222222 zed 2",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("order:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestUseValuesChecked pins that a last-used region or service AWS would
// not write is warned about with its line, and kept as it is in the
// finding: the writers escape what they show.
func TestUseValuesChecked(t *testing.T) {
	odd := "us-east-1\x1b]8;;https://evil.example\x07"
	r := row("alice", merge(key(1, true, "2025-01-01T00:00:04+00:00", "2025-02-01T00:00:00+00:00"),
		map[string]string{"access_key_1_last_used_region": odd, "access_key_2_last_used_service": "=HYPERLINK(x)"}))
	res := analyzeOne(t, report(rootRow, row("bob", key(1, true, "2025-03-01T00:00:00+00:00", "2025-03-02T00:00:00+00:00")), r), hour)
	if len(res.Errors) > 0 {
		t.Fatalf("errors: %v", problemLines(res.Errors))
	}
	if len(res.Warnings) != 1 {
		t.Fatalf("warnings: %v", problemLines(res.Warnings))
	}
	want := `r.csv:4: access_key_1_last_used_region "us-east-1\x1b]8;;https://evil.example\a", access_key_2_last_used_service "=HYPERLINK(x)": not what AWS writes there`
	if got := res.Warnings[0].Error(); !strings.HasPrefix(got, want) {
		t.Errorf("warning = %q\nwant it to start with %q", got, want)
	}
	if len(res.Findings) != 1 || res.Findings[0].KeyLastUsedRegion != odd {
		t.Errorf("findings = %+v, want the region as the report has it", res.Findings)
	}
}

// TestAgesInSeconds pins that ages are exact whatever the dates: time.Time.Sub
// saturates at about 292 years, which a hand-edited date reaches.
func TestAgesInSeconds(t *testing.T) {
	f := Finding{
		UserCreated: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyCreated:  time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		AsOf:        time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC),
	}
	if got, want := f.KeyAgeDays(), int64(2912807); got != want {
		t.Errorf("key age = %d days, want %d", got, want)
	}
	if got, want := f.SecondsAfterUserCreated(), f.KeyCreated.Unix()-f.UserCreated.Unix(); got != want {
		t.Errorf("seconds after the user = %d, want %d", got, want)
	}
	f.AsOf = time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)
	if got := f.KeyAgeDays(); got != 0 {
		t.Errorf("key age before the key = %d, want 0", got)
	}
}
