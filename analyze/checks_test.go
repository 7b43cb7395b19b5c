package analyze

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The checks are pure functions of a row: these tables hold each to its
// rule at its edges, without a report.

var (
	asOf    = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC).Unix()
	userT   = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	checkEv = CheckEnv{Opts: &Options{SetupWindow: time.Hour}, Source: "r.csv", AccountID: "123456789012", Partition: "aws", AsOf: asOf}
)

// ago is the When so many days (and seconds) before the as-of time.
func ago(d int, sec ...int64) When {
	s := asOf - int64(d)*86400
	for _, x := range sec {
		s += x
	}
	return At(s)
}

// user is a console user with MFA and no keys, created at userT, who used
// the password yesterday.
func user() Row {
	return Row{Line: 2, User: "alice", ARN: "arn:aws:iam::123456789012:user/alice", Created: At(userT),
		Password: true, PasswordLastUsed: ago(1), PasswordChanged: At(userT), MFA: true,
		Keys: [2]Key{{Created: NotApplicable, LastUsed: NotApplicable, Region: "N/A", Service: "N/A"}, {Created: NotApplicable, LastUsed: NotApplicable, Region: "N/A", Service: "N/A"}}}
}

func root() Row {
	r := user()
	r.User, r.ARN, r.Root = rootUser, "arn:aws:iam::123456789012:root", true
	r.Password, r.PasswordChanged = false, NotSupported
	return r
}

func withKey(r Row, slot int, active bool, created, used When) Row {
	r.Keys[slot-1] = Key{Active: active, Created: created, LastUsed: used, Region: "us-east-1", Service: "s3"}
	if !used.IsTime() {
		r.Keys[slot-1].Region, r.Keys[slot-1].Service = "N/A", "N/A"
	}
	return r
}

// run runs one check on a row and says what it found, one "slot severity"
// per finding (slot 0 for a finding without a key).
func run(t *testing.T, check string, r Row) string {
	t.Helper()
	env := checkEv
	var out []string
	for _, f := range CheckByID(check).Run(&r, &env, nil) {
		if f.Check != check || f.AccountID != "123456789012" || f.User != r.User || f.Line != 2 || f.ID == "" || f.Detail == "" {
			t.Errorf("an incomplete finding: %+v", f)
		}
		if !strings.HasPrefix(f.ID, CheckByID(check).Prefix+"-") {
			t.Errorf("id %s of %s", f.ID, check)
		}
		out = append(out, fmt.Sprintf("%d %s", f.KeySlot, f.Severity))
	}
	return strings.Join(out, ", ")
}

func TestChecks(t *testing.T) {
	tests := []struct {
		check, name string
		row         Row
		want        string
	}{
		// setup-key
		{CheckSetupKey, "active, never used, at the window's end", withKey(user(), 1, true, At(userT+3600), NotApplicable), "1 high"},
		{CheckSetupKey, "a second past the window", withKey(user(), 1, true, At(userT+3601), NotApplicable), ""},
		{CheckSetupKey, "at the user's creation", withKey(user(), 2, true, At(userT), ago(3)), "2 medium"},
		{CheckSetupKey, "before the user", withKey(user(), 1, true, At(userT-1), NotApplicable), ""},
		{CheckSetupKey, "inactive", withKey(user(), 1, false, At(userT+5), NotApplicable), "1 low"},
		{CheckSetupKey, "no password", func() Row { r := withKey(user(), 1, true, At(userT+5), NotApplicable); r.Password = false; return r }(), ""},
		{CheckSetupKey, "the root user", withKey(root(), 1, true, At(userT+5), NotApplicable), ""},
		// root-access-key
		{"root-access-key", "an active root key", withKey(root(), 2, true, ago(400), NotApplicable), "2 high"},
		{"root-access-key", "an inactive root key", withKey(root(), 1, false, ago(400), NotApplicable), ""},
		{"root-access-key", "a user's key", withKey(user(), 1, true, ago(400), NotApplicable), ""},
		// root-mfa
		{"root-mfa", "no MFA", func() Row { r := root(); r.MFA = false; return r }(), "0 high"},
		{"root-mfa", "MFA", root(), ""},
		{"root-mfa", "a user without MFA", func() Row { r := user(); r.MFA = false; return r }(), ""},
		// root-used
		{"root-used", "password used exactly 90 days ago", func() Row { r := root(); r.PasswordLastUsed = ago(90); return r }(), "0 medium"},
		{"root-used", "password used 91 days ago", func() Row { r := root(); r.PasswordLastUsed = ago(91); return r }(), ""},
		{"root-used", "password used 90 days and a second ago: not within 90 days", func() Row { r := root(); r.PasswordLastUsed = ago(90, -1); return r }(), ""},
		{"root-used", "password used 90.5 days ago: not within 90 days", func() Row { r := root(); r.PasswordLastUsed = ago(90, -43200); return r }(), ""},
		{"root-used", "password no_information", func() Row { r := root(); r.PasswordLastUsed = NoInformation; return r }(), ""},
		{"root-used", "a key used yesterday", func() Row {
			r := withKey(root(), 2, false, ago(900), ago(1))
			r.PasswordLastUsed = NotApplicable
			return r
		}(), "0 medium"},
		{"root-used", "used after the as-of time", func() Row { r := root(); r.PasswordLastUsed = ago(-3); return r }(), "0 medium"},
		{"root-used", "a user used yesterday", user(), ""},
		// console-mfa
		{"console-mfa", "a password without MFA", func() Row { r := user(); r.MFA = false; return r }(), "0 high"},
		{"console-mfa", "a password with MFA", user(), ""},
		{"console-mfa", "no password, no MFA", func() Row { r := user(); r.MFA, r.Password = false, false; return r }(), ""},
		{"console-mfa", "the root user without MFA", func() Row { r := root(); r.MFA = false; return r }(), ""},
		// unused-credentials
		{"unused-credentials", "password used exactly 45 days ago", func() Row { r := user(); r.PasswordLastUsed = ago(45); return r }(), "0 medium"},
		{"unused-credentials", "password used 44 days and 23 hours ago", func() Row { r := user(); r.PasswordLastUsed = ago(45, 3600); return r }(), ""},
		{"unused-credentials", "password used 45 days less a second ago", func() Row { r := user(); r.PasswordLastUsed = ago(45, 1); return r }(), ""},
		{"unused-credentials", "password never used, set 45 days ago", func() Row {
			r := user()
			r.PasswordLastUsed, r.PasswordChanged = NotApplicable, ago(45)
			return r
		}(), "0 medium"},
		{"unused-credentials", "password never used, set 10 days ago", func() Row {
			r := user()
			r.PasswordLastUsed, r.PasswordChanged = NotApplicable, ago(10)
			return r
		}(), ""},
		{"unused-credentials", "password no_information, set long ago", func() Row {
			r := user()
			r.PasswordLastUsed = NoInformation
			return r
		}(), "0 medium"},
		{"unused-credentials", "password never used and never changed: from the user's creation", func() Row {
			r := user()
			r.PasswordLastUsed, r.PasswordChanged = NotApplicable, NotApplicable
			return r
		}(), "0 medium"},
		{"unused-credentials", "no password", func() Row { r := user(); r.Password, r.PasswordLastUsed = false, NotApplicable; return r }(), ""},
		{"unused-credentials", "an active key used 45 days ago", withKey(user(), 1, true, ago(400), ago(45)), "1 medium"},
		{"unused-credentials", "an active key used yesterday", withKey(user(), 1, true, ago(400), ago(1)), ""},
		{"unused-credentials", "an active key never used, made 45 days ago", withKey(user(), 2, true, ago(45), NotApplicable), "2 medium"},
		{"unused-credentials", "an active key never used, made 44 days ago", withKey(user(), 2, true, ago(44), NotApplicable), ""},
		{"unused-credentials", "an inactive key never used", withKey(user(), 1, false, ago(400), NotApplicable), ""},
		{"unused-credentials", "the root user", func() Row { r := root(); r.PasswordLastUsed = ago(400); return r }(), ""},
		// two-active-keys
		{"two-active-keys", "both active: the older", withKey(withKey(user(), 1, true, ago(10), NotApplicable), 2, true, ago(20), NotApplicable), "2 low"},
		{"two-active-keys", "one inactive", withKey(withKey(user(), 1, true, ago(10), NotApplicable), 2, false, ago(20), NotApplicable), ""},
		{"two-active-keys", "one key", withKey(user(), 1, true, ago(10), NotApplicable), ""},
		{"two-active-keys", "the root user", withKey(withKey(root(), 1, true, ago(10), NotApplicable), 2, true, ago(20), NotApplicable), ""},
		// key-rotation
		{"key-rotation", "made 91 days ago", withKey(user(), 1, true, ago(91), ago(1)), "1 medium"},
		{"key-rotation", "made exactly 90 days ago", withKey(user(), 1, true, ago(90), ago(1)), ""},
		{"key-rotation", "made 90 days and a second ago: over 90 days", withKey(user(), 1, true, ago(90, -1), ago(1)), "1 medium"},
		{"key-rotation", "made 90 days and 23 hours ago: over 90 days", withKey(user(), 1, true, ago(90, -23*3600), ago(1)), "1 medium"},
		{"key-rotation", "inactive and old", withKey(user(), 1, false, ago(900), NotApplicable), ""},
		{"key-rotation", "the root user's old key", withKey(root(), 1, true, ago(900), NotApplicable), ""},
	}
	for _, tt := range tests {
		t.Run(tt.check+"/"+tt.name, func(t *testing.T) {
			if got := run(t, tt.check, tt.row); got != tt.want {
				t.Errorf("found %q, want %q", got, tt.want)
			}
		})
	}
}

// TestCheckTable pins the checks' CIS ids by benchmark version, as the
// README's table gives them.
func TestCheckTable(t *testing.T) {
	want := map[string]string{
		CheckSetupKey:        "1.21 1.11 1.11 1.11 1.11 1.11 1.10 2.10",
		"root-access-key":    "1.12 1.4 1.4 1.4 1.4 1.4 1.3 2.3",
		"root-mfa":           "1.13 1.5 1.5 1.5 1.5 1.5 1.4 2.4",
		"root-used":          "1.1 1.7 1.7 1.7 1.7 1.7 1.6 2.6",
		"console-mfa":        "1.2 1.10 1.10 1.10 1.10 1.10 1.9 2.9",
		"unused-credentials": "1.3 1.12 1.12 1.12 1.12 1.12 1.11 2.11",
		"two-active-keys":    "- 1.13 1.13 1.13 1.13 1.13 1.12 2.12",
		"key-rotation":       "1.4 1.14 1.14 1.14 1.14 1.14 1.13 2.13",
	}
	for _, c := range Checks {
		var ids []string
		for _, b := range Benchmarks {
			id := c.Control(b)
			if id == "" {
				id = "-"
			}
			ids = append(ids, id)
		}
		if got := strings.Join(ids, " "); got != want[c.ID] {
			t.Errorf("%s: %s, want %s", c.ID, got, want[c.ID])
		}
		if c.Newest() != "cis-v6.0" {
			t.Errorf("%s: newest %s", c.ID, c.Newest())
		}
	}
	for in, want := range map[string]Benchmark{"cis-v6.0": "cis-v6.0", "6.0": "cis-v6.0", "v5": "cis-v5.0", "CIS-V1.2": "cis-v1.2"} {
		if got, err := ParseBenchmark(in); err != nil || got != want {
			t.Errorf("ParseBenchmark(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseBenchmark("cis-v7.0"); err == nil {
		t.Error("cis-v7.0 was taken")
	}
	labels := []struct {
		check string
		b     Benchmark
		opts  Options
		want  string
	}{
		{"two-active-keys", "cis-v1.2", Options{}, "not in CIS v1.2"},
		{"two-active-keys", "", Options{}, "CIS v6.0 2.12"},
		{"unused-credentials", "cis-v1.2", Options{}, "CIS v1.2 1.3 (a 90-day control; this review: 45 days)"},
		{"unused-credentials", "cis-v1.2", Options{UnusedDays: 90}, "CIS v1.2 1.3"},
		{"unused-credentials", "cis-v6.0", Options{}, "CIS v6.0 2.11"},
		{"unused-credentials", "cis-v6.0", Options{UnusedDays: 90}, "CIS v6.0 2.11 (a 45-day control; this review: 90 days)"},
		{"key-rotation", "cis-v5.0", Options{RotationDays: 30}, "CIS v5.0 1.13 (a 90-day control; this review: 30 days)"},
		{"root-used", "cis-v1.4", Options{RootUseDays: 7}, "CIS v1.4 1.7"},
	}
	for _, l := range labels {
		if got := CheckByID(l.check).Label(l.b, &l.opts); got != l.want {
			t.Errorf("%s in %q with %+v: label %q, want %q", l.check, l.b, l.opts, got, l.want)
		}
	}
	if got, err := ParseChecks("key-rotation, setup-key,SETUP-KEY"); err != nil || strings.Join(got, " ") != "setup-key key-rotation" {
		t.Errorf("ParseChecks: %q, %v", got, err)
	}
	if got, _ := ParseChecks("all"); len(got) != len(Checks) {
		t.Errorf("all: %q", got)
	}
	if _, err := ParseChecks("setup-key,nope"); err == nil || !strings.Contains(err.Error(), `unknown check "nope"`) {
		t.Errorf("an unknown check: %v", err)
	}
}
