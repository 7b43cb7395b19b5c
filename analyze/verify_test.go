package analyze

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// verifyFiles analyses before, then verifies its findings against after
// (file name → content, in a folder of their own), with opts.
func verifyFiles(t *testing.T, before map[string]string, after map[string]string, opts Options) (*Result, *Verification, []Problem) {
	t.Helper()
	write := func(files map[string]string) string {
		dir := t.TempDir()
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	prior := Analyze(context.Background(), []string{write(before)}, nil, opts)
	if len(prior.Errors) > 0 {
		t.Fatalf("before: %v", prior.Errors)
	}
	_, v, problems, _ := VerifyEvidence(context.Background(), prior, []string{write(after)}, nil, opts)
	if len(v.Results) != len(prior.Findings) {
		t.Fatalf("%d results of %d findings", len(v.Results), len(prior.Findings))
	}
	return prior, v, problems
}

// outcomes maps "user slot" to the outcome verify gave it.
func outcomes(v *Verification) map[string]Outcome {
	m := map[string]Outcome{}
	for _, r := range v.Results {
		m[r.Finding.User+" "+itoa(r.Finding.KeySlot)] = r.Outcome
	}
	return m
}

func itoa(n int) string { return string(rune('0' + n)) }

// TestVerifyOutcomes pins each outcome of verify, and what the newer
// evidence must show for it.
func TestVerifyOutcomes(t *testing.T) {
	setup := func(user string, active bool, used string) string {
		return row(user, merge(key(1, active, "2025-01-01T00:00:05+00:00", used)))
	}
	before := report(rootRow,
		setup("gone", true, ""), setup("deactivated", true, ""), setup("still", true, ""),
		setup("rotated", true, ""), setup("deleted", true, ""), setup("recreated", true, ""),
		setup("nopassword", true, ""), setup("stillinactive", false, ""), setup("listed", true, ""),
		setup("unlisted", true, ""), setup("listedinactive", true, ""),
		row("moved", merge(key(1, true, "2025-01-01T00:00:03+00:00", "2025-06-01T00:00:00+00:00"), key(2, true, "2025-01-01T00:00:05+00:00", ""))),
	)
	after := report(
		strings.Replace(rootRow, "2026-01-01T00:00:00", "2026-02-01T00:00:00", 1),
		row("gone", nil),
		setup("deactivated", false, ""),
		setup("still", true, "2026-01-20T00:00:00+00:00"),
		row("rotated", key(1, true, "2026-01-15T00:00:00+00:00", "")),
		row("recreated", merge(map[string]string{"user_creation_time": "2026-01-10T00:00:00+00:00"}, key(1, true, "2026-01-10T00:00:05+00:00", ""))),
		row("nopassword", merge(map[string]string{"password_enabled": "false", "password_last_used": "N/A", "password_last_changed": "N/A"}, key(1, true, "2025-01-01T00:00:05+00:00", ""))),
		setup("stillinactive", false, ""),
		setup("listed", true, ""), setup("unlisted", true, ""), setup("listedinactive", true, ""),
		row("moved", key(1, true, "2025-01-01T00:00:05+00:00", "")), // key 1 deleted: AWS moves key 2 up
		setup("newcomer", true, ""),
	)
	inventory := `{"AccessKeyMetadata": [
		{"UserName": "listed", "AccessKeyId": "AKIAIOSFODNN7EXAMPL1", "Status": "Active", "CreateDate": "2025-01-01T00:00:05+00:00"},
		{"UserName": "unlisted", "AccessKeyId": "AKIAIOSFODNN7EXAMPL2", "Status": "Active", "CreateDate": "2025-01-01T00:00:05+00:00"},
		{"UserName": "listedinactive", "AccessKeyId": "AKIAIOSFODNN7EXAMPL3", "Status": "Active", "CreateDate": "2025-01-01T00:00:05+00:00"}]}`
	inventoryAfter := `{"AccessKeyMetadata": [
		{"UserName": "listed", "AccessKeyId": "AKIAIOSFODNN7EXAMPL1", "Status": "Active", "CreateDate": "2025-01-01T00:00:05+00:00"},
		{"UserName": "unlisted", "AccessKeyId": "AKIAIOSFODNN7EXAMPL4", "Status": "Active", "CreateDate": "2026-01-20T00:00:00+00:00"},
		{"UserName": "listedinactive", "AccessKeyId": "AKIAIOSFODNN7EXAMPL3", "Status": "Inactive", "CreateDate": "2025-01-01T00:00:05+00:00"}]}`
	_, v, problems := verifyFiles(t,
		map[string]string{"r.csv": before, "123456789012.keys.json": inventory},
		map[string]string{"r.csv": after, "123456789012.keys.json": inventoryAfter}, hour)
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	want := map[string]Outcome{
		"gone 1":           Remediated,  // the slot is empty
		"deactivated 1":    Deactivated, // Inactive
		"still 1":          StillActive, // used since, and still there
		"rotated 1":        Remediated,  // the slot holds a later key
		"deleted 1":        UserDeleted, // no row
		"recreated 1":      UserDeleted, // a row, of another user of the name
		"nopassword 1":     Remediated,  // the key is there, the check no longer finds it
		"stillinactive 1":  Deactivated, // was Inactive, and is
		"listed 1":         StillActive, // the inventory lists it, Active
		"unlisted 1":       Unknown,     // the inventory lists the user's keys, no longer this one, but the report still has it
		"moved 1":          Remediated,  // key 1 is gone (the slot holds key 2, made later)
		"moved 2":          StillActive, // key 2 is still there, Active, in slot 1 now
		"listedinactive 1": Deactivated, // the inventory lists it as Inactive
	}
	got := outcomes(v)
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %s, want %s", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("outcomes %v", got)
	}
	for _, r := range v.Results {
		if r.Evidence == "" {
			t.Errorf("%s: %s with no evidence", r.Finding.User, r.Outcome)
		}
		if r.Finding.User == "unlisted" && !strings.Contains(r.Evidence, "lists the keys of unlisted but not key AKIAIOSFODNN7EXAMPL2, while") {
			t.Errorf("unlisted: %q, want the contradiction named", r.Evidence)
		}
	}
	// The user made again under an old name has a setup-time key too.
	if len(v.New) != 2 || v.New[0].User != "newcomer" || v.New[1].User != "recreated" {
		t.Errorf("new findings %v", v.New)
	}
	c := v.Count()
	if c[Remediated] != 4 || c[Deactivated] != 3 || c[StillActive] != 3 || c[UserDeleted] != 2 || c[Unknown] != 1 {
		t.Errorf("counts %v", c)
	}
	if !v.FailsAtOrAbove(SeverityHigh) {
		t.Error("a high finding is still active, but FailsAtOrAbove says not")
	}
}

// TestVerifyCannotTell pins the cases where the newer evidence cannot
// speak for an account: each leaves its findings unknown, and the first two
// are errors.
func TestVerifyCannotTell(t *testing.T) {
	r := func(generated string, rows ...string) string {
		return envelope(report(append([]string{rootRow}, rows...)...), generated)
	}
	setup := row("alice", key(1, true, "2025-01-01T00:00:05+00:00", ""))
	before := map[string]string{"r.json": r("2026-02-01T00:00:00Z", setup)}
	for _, tc := range []struct {
		name     string
		after    map[string]string
		evidence string
		problem  string
	}{
		{"older than the review", map[string]string{"r.json": r("2026-01-15T00:00:00Z")}, "is older than the review", "is before the review's"},
		{"the review's own report", before, "is a report the review was made from", "is one the review was made from"},
		{"the review's GeneratedTime, other content", map[string]string{"r.json": r("2026-02-01T00:00:00Z", row("alice", nil))}, "has the review's GeneratedTime", "has the GeneratedTime of the review's report of account 123456789012"},
		{"another account", map[string]string{"r.json": strings.ReplaceAll(r("2026-03-01T00:00:00Z"), "123456789012", "210987654321")}, "no newer report of account 123456789012", ""},
		{"a row that could not be read", map[string]string{"r.json": r("2026-03-01T00:00:00Z", row("bob", nil), strings.Replace(row("alice", nil), "2025-01-01T00:00:00+00:00", "yesterday", 1))}, "1 of the rows of", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "another account" {
				// A report whose rows are all of another account.
				tc.after["r.json"] = envelope(report(strings.ReplaceAll(rootRow, "123456789012", "210987654321")), "2026-03-01T00:00:00Z")
			}
			_, v, problems := verifyFiles(t, before, tc.after, hour)
			if got := v.Results[0]; got.Outcome != Unknown || !strings.Contains(got.Evidence, tc.evidence) {
				t.Errorf("%s: %q; want unknown, %q", got.Outcome, got.Evidence, tc.evidence)
			}
			switch {
			case tc.problem == "" && len(problems) > 0:
				t.Errorf("problems %v", problems)
			case tc.problem != "" && (len(problems) != 1 || !strings.Contains(problems[0].Message, tc.problem)):
				t.Errorf("problems %v; want one saying %q", problems, tc.problem)
			}
		})
	}
}

// TestVerifyCSVsOfOneTime pins that two reports without a GeneratedTime
// whose newest times are the same cannot be put in order: the account is
// unknown, and the error points to the JSON that has one.
func TestVerifyCSVsOfOneTime(t *testing.T) {
	before := map[string]string{"r.csv": report(rootRow, row("alice", key(1, true, "2025-01-01T00:00:05+00:00", "")))}
	after := map[string]string{"r.csv": report(rootRow, row("alice", nil))}
	_, v, problems := verifyFiles(t, before, after, hour)
	if got := v.Results[0]; got.Outcome != Unknown || !strings.Contains(got.Evidence, "cannot be told apart in time from the review's report") {
		t.Errorf("%s: %q; want unknown", got.Outcome, got.Evidence)
	}
	if len(problems) != 1 || !strings.Contains(problems[0].Message, "without a GeneratedTime on both, which of the two is newer cannot be told") ||
		!strings.Contains(problems[0].Hint, "aws iam get-credential-report") {
		t.Errorf("problems %v", problems)
	}
	// A newer time in the newer CSV tells the order.
	after["r.csv"] = report(strings.Replace(rootRow, "2026-01-01T00:00:00", "2026-02-01T00:00:00", 1), row("alice", nil))
	if _, v, problems = verifyFiles(t, before, after, hour); v.Results[0].Outcome != Remediated || len(problems) != 0 {
		t.Errorf("%s, %v; want remediated", v.Results[0].Outcome, problems)
	}
}

// TestVerifyNewestReportSpeaks pins that of two newer reports of an
// account, the newest speaks for it: the older one's rows are not used.
func TestVerifyNewestReportSpeaks(t *testing.T) {
	setup := row("alice", key(1, true, "2025-01-01T00:00:05+00:00", ""))
	others := []string{row("bob", nil), row("carol", nil)}
	before := map[string]string{"r.json": envelope(report(append([]string{rootRow, setup}, others...)...), "2026-02-01T00:00:00Z")}
	after := map[string]string{
		"a.json": envelope(report(append([]string{rootRow, setup}, others...)...), "2026-02-02T00:00:00Z"),
		"b.json": envelope(report(append([]string{rootRow}, others...)...), "2026-02-03T00:00:00Z"),
	}
	_, v, _ := verifyFiles(t, before, after, hour)
	if got := v.Results[0]; got.Outcome != UserDeleted {
		t.Errorf("%s: %s; want user-deleted, by the newest report", got.Outcome, got.Evidence)
	}
}

// TestVerifyDecoy pins that a newer report that lacks more than half of
// the users of the report it would supersede (a root row alone, dated
// later) cannot turn findings into user-deleted: an error, and the real
// report still speaks.
func TestVerifyDecoy(t *testing.T) {
	setup := row("alice", key(1, true, "2025-01-01T00:00:05+00:00", ""))
	before := map[string]string{"r.json": envelope(report(rootRow, setup, row("bob", nil)), "2026-02-01T00:00:00Z")}
	after := map[string]string{
		"a.json":     envelope(report(rootRow, setup, row("bob", nil)), "2026-02-02T00:00:00Z"),
		"decoy.json": envelope(report(rootRow), "2026-02-03T00:00:00Z"),
	}
	_, v, _ := verifyFiles(t, before, after, hour)
	if got := v.Results[0]; got.Outcome != StillActive {
		t.Errorf("%s: %s; want still-active, by the real report", got.Outcome, got.Evidence)
	}
	dir := t.TempDir()
	for name, content := range after {
		os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644)
	}
	newer := Analyze(context.Background(), []string{dir}, nil, hour)
	containsAll(t, "errors", problemLines(newer.Errors), []string{"decoy.json: the report would supersede " + filepath.Join(dir, "a.json") + ", the older report of account 123456789012, but lacks 2 of its 2 users (alice, bob)"})
}

// TestVerifyKeylessChecks pins verify for a check about a user, not a
// key: still found is still active, no longer found is remediated.
func TestVerifyKeylessChecks(t *testing.T) {
	opts := hour
	opts.Checks = []string{"console-mfa"}
	before := map[string]string{"r.csv": report(rootRow, row("nomfa", nil), row("fixed", nil))}
	after := map[string]string{"r.csv": report(strings.Replace(rootRow, "2026-01-01T00:00:00", "2026-02-01T00:00:00", 1), row("nomfa", nil), row("fixed", map[string]string{"mfa_active": "true"}))}
	_, v, problems := verifyFiles(t, before, after, opts)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	got := outcomes(v)
	if got["nomfa 0"] != StillActive || got["fixed 0"] != Remediated {
		t.Errorf("outcomes %v", got)
	}
}

// TestVerifyExceptedDoNotFail pins that a finding the review excepted,
// still active, does not count for --fail-on.
func TestVerifyExceptedDoNotFail(t *testing.T) {
	v := &Verification{Results: []Verified{{Finding: Finding{Severity: SeverityHigh, Exception: &Exception{Expires: time.Now()}}, Outcome: StillActive}}}
	if v.FailsAtOrAbove(SeverityLow) {
		t.Error("an excepted finding counted")
	}
	v.Results[0].Finding.Exception = nil
	if !v.FailsAtOrAbove(SeverityHigh) {
		t.Error("an active high finding did not count")
	}
}

// TestVerifyEvidenceTraps pins what verify does with evidence that could
// make it say remediated when it is not: the review's own inventory given
// again, inventories that disagree, an inventory of one user that lacks
// another user's key, and a root row that cannot be read.
func TestVerifyEvidenceTraps(t *testing.T) {
	env := func(rows ...string) string { return envelope(report(rows...), "2026-03-01T00:00:00Z") }
	setup := func(user string) string { return row(user, key(1, true, "2025-01-01T00:00:05+00:00", "")) }
	inv := func(user, id, status string) string {
		return `{"AccessKeyMetadata": [{"UserName": "` + user + `", "AccessKeyId": "` + id + `", "Status": "` + status + `", "CreateDate": "2025-01-01T00:00:05+00:00"}]}`
	}
	beforeFiles := map[string]string{
		"r.json":                  envelope(report(rootRow, setup("alice"), setup("bob")), "2026-02-01T00:00:00Z"),
		"123456789012.alice.json": inv("alice", "AKIAIOSFODNN7EXAMPL1", "Active"),
		"123456789012.bob.json":   inv("bob", "AKIAIOSFODNN7EXAMPL2", "Active"),
	}
	t.Run("the review's own inventory", func(t *testing.T) {
		after := map[string]string{"r.json": env(rootRow, setup("alice"), setup("bob")), "123456789012.alice.json": beforeFiles["123456789012.alice.json"],
			"123456789012.alice-now.json": inv("alice", "AKIAIOSFODNN7EXAMPL1", "Inactive")}
		_, v, problems := verifyFiles(t, beforeFiles, after, hour)
		if got := outcomes(v)["alice 1"]; got != Deactivated {
			t.Errorf("alice: %s, want deactivated by the newer inventory alone", got)
		}
		if len(problems) != 1 || !strings.Contains(problems[0].Message, "the key inventory is one the review was made from") {
			t.Errorf("problems %v", problems)
		}
	})
	t.Run("inventories that disagree", func(t *testing.T) {
		after := map[string]string{"r.json": env(rootRow, setup("alice"), setup("bob")),
			"123456789012.a.json": inv("alice", "AKIAIOSFODNN7EXAMPL1", "Inactive"), "123456789012.b.json": inv("alice", "AKIAIOSFODNN7EXAMPL1", "Active") + "\n"}
		_, v, _ := verifyFiles(t, beforeFiles, after, hour)
		if r := v.Results[0]; r.Outcome != Unknown || !strings.Contains(r.Evidence, "the inventories disagree on key AKIAIOSFODNN7EXAMPL1: Active in") {
			t.Errorf("alice: %s (%s), want unknown", r.Outcome, r.Evidence)
		}
	})
	t.Run("an inventory of another user", func(t *testing.T) {
		after := map[string]string{"r.json": env(rootRow, setup("alice"), setup("bob")), "123456789012.bob-now.json": inv("bob", "AKIAIOSFODNN7EXAMPL2", "Active")}
		_, v, _ := verifyFiles(t, beforeFiles, after, hour)
		if got := outcomes(v)["alice 1"]; got != StillActive {
			t.Errorf("alice: %s, want still-active: bob's inventory says nothing of her key", got)
		}
	})
	t.Run("a root row that cannot be read", func(t *testing.T) {
		opts := hour
		opts.Checks = []string{"root-mfa"}
		noMFA := strings.Replace(rootRow, ",true,false,N/A", ",false,false,N/A", 1)
		before := map[string]string{"r.json": envelope(report(noMFA, setup("alice")), "2026-02-01T00:00:00Z")}
		after := map[string]string{"r.json": env(strings.Replace(noMFA, "2019-01-01T00:00:00+00:00", "yesterday", 1), setup("alice"))}
		_, v, _ := verifyFiles(t, before, after, opts)
		if r := v.Results[0]; r.Outcome != Unknown {
			t.Errorf("root: %s (%s), want unknown", r.Outcome, r.Evidence)
		}
	})
}

// TestVerifyDecoyAlone pins that a decoy alone, with no real newer report
// beside it, leaves the account unknown, with an error, where it would
// have made every finding user-deleted.
func TestVerifyDecoyAlone(t *testing.T) {
	setup := row("alice", key(1, true, "2025-01-01T00:00:05+00:00", ""))
	before := map[string]string{"r.json": envelope(report(rootRow, setup, row("bob", nil)), "2026-02-01T00:00:00Z")}
	after := map[string]string{"decoy.json": envelope(report(rootRow), "2026-02-03T00:00:00Z")}
	_, v, problems := verifyFiles(t, before, after, hour)
	if got := v.Results[0]; got.Outcome != Unknown {
		t.Errorf("%s: %s; want unknown", got.Outcome, got.Evidence)
	}
	if len(problems) != 1 || !strings.Contains(problems[0].Message, "the newer evidence of account 123456789012 has at most 0 users, and the review's report had 2") {
		t.Errorf("problems %v", problems)
	}
}
