package analyze_test

// A reference model of the eight checks and of a report's as-of time,
// written again from the CIS audit text and the rules credreview follows,
// over time.Time and the report's text, sharing no code with the
// implementation. It is compared with analyze.Analyze on generated reports
// whose times sit on the edges of every period (exactly N days, a second
// either side, half a day over), whose newest time is put in each time
// column in turn, and which sometimes hold a time no report can hold (after
// the machine's clock plus a day). Two independent readings of the rules
// that agree on such reports leave little room for an off-by-one, a
// whole-day rounding or a forgotten column.
//
// The rules, as modelled here:
//
//   - As-of time: Options.AsOf if set; else the newest time in any of
//     user_creation_time, password_last_used, password_last_changed,
//     access_key_N_last_rotated, access_key_N_last_used_date and
//     cert_N_last_rotated of any row, the root's included
//     (password_next_rotation is a future date by design and never
//     counts). N/A, no_information and not_supported are not times. A time
//     after Now+24h is impossible: an error names its line, the row is still
//     checked, and the time does not count towards the as-of time.
//   - Ages are seconds: D days is D*86400 seconds, age(t) = asOf - t.
//   - The checks: see refChecks.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/credreview/credreview/analyze"
)

// refNow is the machine's clock in every test here: fixed, so that what is
// impossible (a time after refNow+24h) does not depend on the day the tests
// run.
var refNow = time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)

// daySeconds is one day of the rules: 86400 seconds, whatever the calendar.
const daySeconds = 86400

// refHeader is the 22 columns AWS writes, in order.
var refHeader = []string{
	"user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
	"password_next_rotation", "mfa_active",
	"access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
	"access_key_1_last_used_region", "access_key_1_last_used_service",
	"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
	"access_key_2_last_used_region", "access_key_2_last_used_service",
	"cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
}

// refAsOfColumns are the columns whose times say when a report was made, at
// the latest. password_next_rotation is not one: it is in the future by
// design.
var refAsOfColumns = []string{
	"user_creation_time", "password_last_used", "password_last_changed",
	"access_key_1_last_rotated", "access_key_1_last_used_date",
	"access_key_2_last_rotated", "access_key_2_last_used_date",
	"cert_1_last_rotated", "cert_2_last_rotated",
}

// refAllChecks are the eight checks; every comparison runs all of them, so
// that a finding one check should not make shows up as extra.
var refAllChecks = []string{
	"setup-key", "root-access-key", "root-mfa", "root-used",
	"console-mfa", "unused-credentials", "two-active-keys", "key-rotation",
}

// refOutcome is what a report should give: its findings as sorted
// "check user slot severity" strings, its as-of time, and the lines whose
// times are impossible.
type refOutcome struct {
	findings []string
	asOf     time.Time
	errLines []int
}

// refRow is one data row of a report, by column name, with its line (the
// header is line 1).
type refRow struct {
	line int
	v    map[string]string
}

// time reads a time column: false for a sentinel. The generators write only
// times and sentinels, so anything else is a bug in this file.
func (r refRow) time(col string) (time.Time, bool) {
	s, ok := r.v[col]
	if !ok {
		panic("reference: no column " + col)
	}
	switch s {
	case "N/A", "no_information", "not_supported":
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(fmt.Sprintf("reference: line %d: %s %q: %v", r.line, col, s, err))
	}
	return t, true
}

// bool reads a boolean column: true and false in any case.
func (r refRow) bool(col string) bool { return strings.EqualFold(r.v[col], "true") }

// isRoot is the rule for the root row: the user <root_account> whose ARN
// ends with :root.
func (r refRow) isRoot() bool {
	return r.v["user"] == "<root_account>" && strings.HasSuffix(r.v["arn"], ":root")
}

// refParse turns a report's data rows (in refHeader order) into refRows.
func refParse(rows [][]string) []refRow {
	out := make([]refRow, len(rows))
	for i, fields := range rows {
		if len(fields) != len(refHeader) {
			panic(fmt.Sprintf("reference: row %d has %d fields", i, len(fields)))
		}
		m := make(map[string]string, len(fields))
		for j, c := range refHeader {
			m[c] = fields[j]
		}
		out[i] = refRow{line: i + 2, v: m}
	}
	return out
}

// orDays is a period option: 0 (or less) means the default.
func orDays(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// refAnalyze is the reference model: the as-of time, the impossible times
// and the findings of the checks opts names, from the report's text alone.
func refAnalyze(rows [][]string, opts analyze.Options) refOutcome {
	rs := refParse(rows)
	var out refOutcome

	// The as-of time, and the times no report can hold.
	latest := opts.Now.Add(24 * time.Hour)
	var newest time.Time
	for _, r := range rs {
		bad := false
		for _, c := range refAsOfColumns {
			t, ok := r.time(c)
			if !ok {
				continue
			}
			if t.After(latest) {
				bad = true
				continue
			}
			if t.After(newest) {
				newest = t
			}
		}
		if bad {
			out.errLines = append(out.errLines, r.line)
		}
	}
	out.asOf = newest
	if !opts.AsOf.IsZero() {
		out.asOf = opts.AsOf.UTC()
	}

	checks := map[string]bool{}
	for _, c := range opts.Checks {
		checks[c] = true
	}
	for _, r := range rs {
		for _, f := range refChecks(r, out.asOf, opts) {
			if checks[strings.Fields(f)[0]] {
				out.findings = append(out.findings, f)
			}
		}
	}
	sort.Strings(out.findings)
	return out
}

// refChecks are the eight checks on one row, as "check user slot severity".
func refChecks(r refRow, asOf time.Time, opts analyze.Options) []string {
	var out []string
	user := r.v["user"]
	add := func(check string, slot int, sev string) {
		out = append(out, fmt.Sprintf("%s %s %d %s", check, user, slot, sev))
	}
	// age is how many seconds before the as-of time t was; negative after.
	age := func(t time.Time) int64 { return asOf.Unix() - t.Unix() }
	days := func(n int) int64 { return int64(n) * daySeconds }
	type key struct {
		slot           int
		exists, active bool
		created, used  time.Time
		isUsed         bool
	}
	var keys [2]key
	for i := range keys {
		p := fmt.Sprintf("access_key_%d_", i+1)
		k := &keys[i]
		k.slot = i + 1
		k.created, k.exists = r.time(p + "last_rotated")
		k.active = r.bool(p + "active")
		k.used, k.isUsed = r.time(p + "last_used_date")
	}

	if r.isRoot() {
		// 2. root-access-key: each existing active key of the root user.
		for _, k := range keys {
			if k.exists && k.active {
				add("root-access-key", k.slot, "high")
			}
		}
		// 3. root-mfa.
		if !r.bool("mfa_active") {
			add("root-mfa", 0, "high")
		}
		// 4. root-used: the password or a key used within RootUseDays
		// (inclusive); a use after the as-of time is within.
		limit := days(orDays(opts.RootUseDays, analyze.DefaultRootUseDays))
		used := false
		for _, c := range []string{"password_last_used", "access_key_1_last_used_date", "access_key_2_last_used_date"} {
			if t, ok := r.time(c); ok && age(t) <= limit {
				used = true
			}
		}
		if used {
			add("root-used", 0, "medium")
		}
		return out
	}

	console := r.bool("password_enabled")
	created, hasCreated := r.time("user_creation_time")

	// 1. setup-key: a console user's key created 0 to SetupWindow seconds
	// after the user, both ends inclusive.
	if console && hasCreated {
		window := int64(opts.SetupWindow / time.Second)
		for _, k := range keys {
			if !k.exists {
				continue
			}
			d := k.created.Unix() - created.Unix()
			if d < 0 || d > window {
				continue
			}
			switch {
			case !k.active:
				add("setup-key", k.slot, "low")
			case k.isUsed:
				add("setup-key", k.slot, "medium")
			default:
				add("setup-key", k.slot, "high")
			}
		}
	}

	// 5. console-mfa.
	if console && !r.bool("mfa_active") {
		add("console-mfa", 0, "high")
	}

	// 6. unused-credentials: not used for UnusedDays or more.
	unused := days(orDays(opts.UnusedDays, analyze.DefaultUnusedDays))
	if console {
		since, ok := r.time("password_last_used")
		if !ok {
			since, ok = r.time("password_last_changed")
		}
		if !ok {
			since, ok = created, hasCreated
		}
		if ok && age(since) >= unused {
			add("unused-credentials", 0, "medium")
		}
	}
	for _, k := range keys {
		if !k.exists || !k.active {
			continue
		}
		since := k.created
		if k.isUsed {
			since = k.used
		}
		if age(since) >= unused {
			add("unused-credentials", k.slot, "medium")
		}
	}

	// 7. two-active-keys: the finding is about the older key; slot 1 on a
	// tie.
	if a, b := keys[0], keys[1]; a.exists && a.active && b.exists && b.active {
		slot := 1
		if b.created.Before(a.created) {
			slot = 2
		}
		add("two-active-keys", slot, "low")
	}

	// 8. key-rotation: an active key older than RotationDays, strictly.
	rotation := days(orDays(opts.RotationDays, analyze.DefaultRotationDays))
	for _, k := range keys {
		if k.exists && k.active && age(k.created) > rotation {
			add("key-rotation", k.slot, "medium")
		}
	}
	return out
}

// writeReport is the report's CSV, written here rather than by any code of
// the implementation: the header and the rows joined by commas. The
// generators never write a comma, quote or newline inside a field.
func writeReport(rows [][]string) string {
	var b strings.Builder
	b.WriteString(strings.Join(refHeader, ","))
	b.WriteByte('\n')
	for _, r := range rows {
		b.WriteString(strings.Join(r, ","))
		b.WriteByte('\n')
	}
	return b.String()
}

// numbered is the CSV with line numbers, for a failure message.
func numbered(csv string) string {
	var b strings.Builder
	for i, l := range strings.Split(strings.TrimSuffix(csv, "\n"), "\n") {
		fmt.Fprintf(&b, "%4d| %s\n", i+1, l)
	}
	return b.String()
}

// runImpl analyses one report: from a file at path when path is not empty
// (so that errors must name it), else from standard input ("-").
func runImpl(t testing.TB, csv, path string, opts analyze.Options) (*analyze.Result, string) {
	t.Helper()
	if path == "" {
		return analyze.Analyze(context.Background(), []string{"-"}, strings.NewReader(csv), opts), "-"
	}
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	return analyze.Analyze(context.Background(), []string{path}, nil, opts), path
}

// implFindings are the implementation's findings in the reference's form.
func implFindings(res *analyze.Result) []string {
	out := make([]string, 0, len(res.Findings))
	for _, f := range res.Findings {
		out = append(out, fmt.Sprintf("%s %s %d %s", f.Check, f.User, f.KeySlot, f.Severity.String()))
	}
	sort.Strings(out)
	return out
}

// multisetDiff is what want has and got lacks, and what got has and want
// lacks, counting repeats.
func multisetDiff(want, got []string) (missing, extra []string) {
	left := func(a, b []string) []string {
		n := map[string]int{}
		for _, s := range b {
			n[s]++
		}
		var out []string
		for _, s := range a {
			if n[s] > 0 {
				n[s]--
			} else {
				out = append(out, s)
			}
		}
		return out
	}
	return left(want, got), left(got, want)
}

// compareOutcome compares the implementation's result on a report with the
// reference's outcome. It returns short kinds of mismatch ("missing
// key-rotation", "as-of", ...) for a summary, and a readable account of
// them; none when they agree. Warnings are not compared: the rules say
// nothing of them, and a generated row can draw one (a key created before a
// user whose creation time is impossible, say).
func compareOutcome(want refOutcome, res *analyze.Result, src string, opts analyze.Options) (kinds []string, detail string) {
	var b strings.Builder
	if len(res.Reports) != 1 {
		kinds = append(kinds, "reports")
		fmt.Fprintf(&b, "got %d reports, want 1\n", len(res.Reports))
	} else {
		rep := res.Reports[0]
		if !rep.AsOf.Equal(want.asOf) {
			kinds = append(kinds, "as-of")
			fmt.Fprintf(&b, "as-of: got %q, want %q\n", rep.AsOf.UTC().Format(time.RFC3339), want.asOf.UTC().Format(time.RFC3339))
		}
		wantRule := analyze.AsOfNewest
		if !opts.AsOf.IsZero() {
			wantRule = analyze.AsOfFlag
		}
		if rep.AsOfRule != wantRule {
			kinds = append(kinds, "as-of rule")
			fmt.Fprintf(&b, "as-of rule: got %q, want %q\n", rep.AsOfRule, wantRule)
		}
	}
	got := implFindings(res)
	missing, extra := multisetDiff(want.findings, got)
	for _, s := range missing {
		kinds = append(kinds, "missing "+strings.Fields(s)[0])
		fmt.Fprintf(&b, "  - %s   (reference only)\n", s)
	}
	for _, s := range extra {
		kinds = append(kinds, "extra "+strings.Fields(s)[0])
		fmt.Fprintf(&b, "  + %s   (implementation only)\n", s)
	}
	// Errors: exactly the lines with an impossible time, each named with the
	// input it is in.
	errLines := map[int]bool{}
	for _, e := range res.Errors {
		errLines[e.Line] = true
		if !slices.Contains(want.errLines, e.Line) || e.Source != src {
			kinds = append(kinds, "extra error")
			fmt.Fprintf(&b, "unexpected error: %s\n", e.Error())
		}
	}
	for _, l := range want.errLines {
		if !errLines[l] {
			kinds = append(kinds, "missing error")
			fmt.Fprintf(&b, "no error at %s:%d, whose row holds a time after Now+24h\n", src, l)
		}
	}
	if len(kinds) > 0 {
		fmt.Fprintf(&b, "reference findings: %q\nimplementation findings: %q\n", want.findings, got)
	}
	return kinds, b.String()
}

// describeOptions is the options of a comparison, for a failure message.
func describeOptions(o analyze.Options) string {
	asOf := "derived"
	if !o.AsOf.IsZero() {
		asOf = o.AsOf.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("SetupWindow %s, AsOf %s, Now %s, RootUseDays %d, UnusedDays %d, RotationDays %d",
		o.SetupWindow, asOf, o.Now.UTC().Format(time.RFC3339), o.RootUseDays, o.UnusedDays, o.RotationDays)
}

// ---------------------------------------------------------------------------
// The hand-written edges: each boundary named, and the reference's own
// answer pinned, so the reference cannot drift with the implementation.

// edgeAsOf is the as-of time of the edge cases that give one.
var edgeAsOf = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

const stampLayout = "2006-01-02T15:04:05+00:00"

// stamp writes t as real reports do.
func stamp(t time.Time) string { return t.UTC().Format(stampLayout) }

// ago is the time d before edgeAsOf, written as real reports do.
func ago(d time.Duration) string { return stamp(edgeAsOf.Add(-d)) }

// dayDur is n days.
func dayDur(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// edgeUserCreated is when the edge cases' user u was created: ten days
// before the as-of time, so that a key made at setup is neither unused nor
// due for rotation.
var edgeUserCreated = edgeAsOf.Add(-dayDur(10))

// edgeRow is a data row: the defaults of a user (or the root user) changed
// by column/value pairs.
func edgeRow(defaults map[string]string, kv ...string) map[string]string {
	m := make(map[string]string, len(defaults))
	for k, v := range defaults {
		m[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if _, ok := m[kv[i]]; !ok {
			panic("no column " + kv[i])
		}
		m[kv[i]] = kv[i+1]
	}
	return m
}

// userDefaults is an IAM user u with no password, MFA, no keys and no
// certificates, created ten days before edgeAsOf: a row without findings.
func userDefaults(name string) map[string]string {
	return map[string]string{
		"user": name, "arn": "arn:aws:iam::123456789012:user/" + name, "user_creation_time": stamp(edgeUserCreated),
		"password_enabled": "false", "password_last_used": "N/A", "password_last_changed": "N/A",
		"password_next_rotation": "N/A", "mfa_active": "true",
		"access_key_1_active": "false", "access_key_1_last_rotated": "N/A", "access_key_1_last_used_date": "N/A",
		"access_key_1_last_used_region": "N/A", "access_key_1_last_used_service": "N/A",
		"access_key_2_active": "false", "access_key_2_last_rotated": "N/A", "access_key_2_last_used_date": "N/A",
		"access_key_2_last_used_region": "N/A", "access_key_2_last_used_service": "N/A",
		"cert_1_active": "false", "cert_1_last_rotated": "N/A", "cert_2_active": "false", "cert_2_last_rotated": "N/A",
	}
}

// userU is the edge cases' user u changed by kv.
func userU(kv ...string) map[string]string { return edgeRow(userDefaults("u"), kv...) }

// userNamed is a user of another name changed by kv.
func userNamed(name string, kv ...string) map[string]string {
	return edgeRow(userDefaults(name), kv...)
}

// rootWith is a root row with MFA, no keys and a password never used, for an
// account made on 2025-09-01 (before every user of the cases, and within a
// year of them, so that no case leans on how far apart rows are but the one
// about it), changed by kv: a row without findings.
func rootWith(kv ...string) map[string]string {
	d := userDefaults("<root_account>")
	d["arn"] = "arn:aws:iam::123456789012:root"
	d["user_creation_time"] = "2025-09-01T00:00:00+00:00"
	d["password_enabled"], d["password_last_changed"], d["password_next_rotation"] = "not_supported", "not_supported", "not_supported"
	return edgeRow(d, kv...)
}

// consoleKV makes a user a console user whose password was set at creation
// and used a day before the as-of time: not unused.
func consoleKV(kv ...string) []string {
	return append([]string{"password_enabled", "true", "password_last_changed", stamp(edgeUserCreated), "password_last_used", ago(dayDur(1))}, kv...)
}

// withKey sets key slot n: active or not, created at created, last used at used
// ("" for never).
func withKey(n int, active bool, created, used string) []string {
	p := "access_key_" + strconv.Itoa(n) + "_"
	kv := []string{p + "active", strconv.FormatBool(active), p + "last_rotated", created}
	if used == "" {
		return append(kv, p+"last_used_date", "N/A")
	}
	return append(kv, p+"last_used_date", used, p+"last_used_region", "us-east-1", p+"last_used_service", "s3")
}

// concat joins column/value lists.
func concat(kvs ...[]string) []string {
	var out []string
	for _, kv := range kvs {
		out = append(out, kv...)
	}
	return out
}

// edgeCase is one named boundary.
type edgeCase struct {
	name string
	rows []map[string]string // data rows; the root row first unless said
	// The options: the window defaults to an hour, the as-of to edgeAsOf
	// (derive: no Options.AsOf), Now to refNow.
	window                        time.Duration
	derive                        bool
	asOf, now                     time.Time
	rootDays, unusedDays, rotDays int

	want     []string // "check user slot severity"
	wantAsOf string   // RFC 3339; "" means edgeAsOf
	wantErrs []int    // lines with an impossible time
}

func (c edgeCase) options() analyze.Options {
	o := analyze.Options{SetupWindow: time.Hour, AsOf: edgeAsOf, Now: refNow, Checks: refAllChecks,
		RootUseDays: c.rootDays, UnusedDays: c.unusedDays, RotationDays: c.rotDays}
	if c.window != 0 {
		o.SetupWindow = c.window
	}
	if !c.asOf.IsZero() {
		o.AsOf = c.asOf
	}
	if c.derive {
		o.AsOf = time.Time{}
	}
	if !c.now.IsZero() {
		o.Now = c.now
	}
	return o
}

// edgeCases spell out the boundaries of every period and of the as-of rule.
// Lines: the header is 1, the root row 2, the first user 3.
func edgeCases() []edgeCase {
	day := 24 * time.Hour
	sec := time.Second
	uc := edgeUserCreated
	old := ago(dayDur(250)) // a user created long ago, after the account
	return []edgeCase{
		// setup-key
		{name: "setup key created the same second as its console user, active, never used: high",
			rows: []map[string]string{rootWith(), userU(concat(consoleKV(), withKey(1, true, stamp(uc), ""))...)},
			want: []string{"setup-key u 1 high"}},
		{name: "setup key created exactly at the end of the one-hour window is in it",
			rows: []map[string]string{rootWith(), userU(concat(consoleKV(), withKey(1, true, stamp(uc.Add(time.Hour)), ""))...)},
			want: []string{"setup-key u 1 high"}},
		{name: "key created one second after the window is not a setup key",
			rows: []map[string]string{rootWith(), userU(concat(consoleKV(), withKey(1, true, stamp(uc.Add(time.Hour+sec)), ""))...)}},
		{name: "key created one second before its user is not a setup key",
			rows: []map[string]string{rootWith(), userU(concat(consoleKV(), withKey(1, true, stamp(uc.Add(-sec)), ""))...)}},
		{name: "inactive setup key: low",
			rows: []map[string]string{rootWith(), userU(concat(consoleKV(), withKey(1, false, stamp(uc.Add(5*sec)), ""))...)},
			want: []string{"setup-key u 1 low"}},
		{name: "setup key used since: medium",
			rows: []map[string]string{rootWith(), userU(concat(consoleKV(), withKey(1, true, stamp(uc.Add(5*sec)), ago(day)))...)},
			want: []string{"setup-key u 1 medium"}},
		{name: "10 s window: key 1 at 10 s is in it, key 2 at 11 s is not; both active, key 1 the older",
			window: 10 * sec,
			rows:   []map[string]string{rootWith(), userU(concat(consoleKV(), withKey(1, true, stamp(uc.Add(10*sec)), ""), withKey(2, true, stamp(uc.Add(11*sec)), ""))...)},
			want:   []string{"setup-key u 1 high", "two-active-keys u 1 low"}},
		{name: "user without a password has no setup key",
			rows: []map[string]string{rootWith(), userU(withKey(1, true, stamp(uc), "")...)}},
		{name: "setup key in slot 2 only",
			rows: []map[string]string{rootWith(), userU(concat(consoleKV(), withKey(2, true, stamp(uc.Add(2*sec)), ""))...)},
			want: []string{"setup-key u 2 high"}},

		// root-access-key, root-mfa
		{name: "root's active key 1: high",
			rows: []map[string]string{rootWith(withKey(1, true, ago(dayDur(20)), "")...), userU()},
			want: []string{"root-access-key <root_account> 1 high"}},
		{name: "root's inactive key 2 is no finding",
			rows: []map[string]string{rootWith(withKey(2, false, ago(dayDur(20)), "")...), userU()}},
		{name: "root's two active keys, key 2 used 100 days ago (not within 90): two findings",
			rows: []map[string]string{rootWith(concat(withKey(1, true, ago(dayDur(200)), ""), withKey(2, true, ago(dayDur(150)), ago(dayDur(100))))...), userU()},
			want: []string{"root-access-key <root_account> 1 high", "root-access-key <root_account> 2 high"}},
		{name: "root without MFA: high; a user without MFA and password is no finding",
			rows: []map[string]string{rootWith("mfa_active", "false"), userU("mfa_active", "false")},
			want: []string{"root-mfa <root_account> 0 high"}},

		// root-used
		{name: "root password used exactly 90 days ago is within 90 days",
			rows: []map[string]string{rootWith("password_last_used", ago(dayDur(90))), userU()},
			want: []string{"root-used <root_account> 0 medium"}},
		{name: "root password used 90 days and 1 s ago is not within 90 days",
			rows: []map[string]string{rootWith("password_last_used", ago(dayDur(90)+sec)), userU()}},
		{name: "root used 90.5 days ago is not within 90 days",
			rows: []map[string]string{rootWith("password_last_used", ago(dayDur(90)+12*time.Hour)), userU()}},
		{name: "root used 89 days 23:59:59 ago is within 90 days",
			rows: []map[string]string{rootWith("password_last_used", ago(dayDur(90)-sec)), userU()},
			want: []string{"root-used <root_account> 0 medium"}},
		{name: "RootUseDays 1: root's inactive key 2 used exactly a day ago",
			rootDays: 1,
			rows:     []map[string]string{rootWith(withKey(2, false, ago(dayDur(30)), ago(day))...), userU()},
			want:     []string{"root-used <root_account> 0 medium"}},
		{name: "RootUseDays 1: root's key used a day and a second ago is not within a day",
			rootDays: 1,
			rows:     []map[string]string{rootWith(withKey(1, false, ago(dayDur(30)), ago(day+sec))...), userU()}},
		{name: "root used an hour after an explicit as-of counts as used within",
			rows: []map[string]string{rootWith("password_last_used", stamp(edgeAsOf.Add(time.Hour))), userU()},
			want: []string{"root-used <root_account> 0 medium"}},
		{name: "root password no_information is not a use",
			rows: []map[string]string{rootWith("password_last_used", "no_information"), userU()}},
		{name: "root used 200 days ago is no finding",
			rows: []map[string]string{rootWith("password_last_used", ago(dayDur(200))), userU()}},

		// console-mfa
		{name: "console user without MFA: high",
			rows: []map[string]string{rootWith(), userU(consoleKV("mfa_active", "false")...)},
			want: []string{"console-mfa u 0 high"}},
		{name: "upper-case TRUE and FALSE are booleans",
			rows: []map[string]string{rootWith(), userU(consoleKV("mfa_active", "FALSE", "password_enabled", "TRUE")...)},
			want: []string{"console-mfa u 0 high"}},

		// unused-credentials
		{name: "unused exactly 45 days: password used 45 days ago is a finding",
			rows: []map[string]string{rootWith(), userU(consoleKV("user_creation_time", old, "password_last_changed", old, "password_last_used", ago(dayDur(45)))...)},
			want: []string{"unused-credentials u 0 medium"}},
		{name: "45 days minus 1 s is no finding",
			rows: []map[string]string{rootWith(), userU(consoleKV("user_creation_time", old, "password_last_changed", old, "password_last_used", ago(dayDur(45)-sec))...)}},
		{name: "45 days and 23 hours is a finding (45 days or more)",
			rows: []map[string]string{rootWith(), userU(consoleKV("user_creation_time", old, "password_last_changed", old, "password_last_used", ago(dayDur(45)+23*time.Hour))...)},
			want: []string{"unused-credentials u 0 medium"}},
		{name: "password never used counts from password_last_changed: exactly 45 days",
			rows: []map[string]string{rootWith(), userU(consoleKV("user_creation_time", old, "password_last_changed", ago(dayDur(45)), "password_last_used", "N/A")...)},
			want: []string{"unused-credentials u 0 medium"}},
		{name: "password never used, changed 45 days minus 1 s ago: none",
			rows: []map[string]string{rootWith(), userU(consoleKV("user_creation_time", old, "password_last_changed", ago(dayDur(45)-sec), "password_last_used", "N/A")...)}},
		{name: "no_information without a change time counts from creation: exactly 45 days",
			rows: []map[string]string{rootWith(), userU(consoleKV("user_creation_time", ago(dayDur(45)), "password_last_changed", "N/A", "password_last_used", "no_information")...)},
			want: []string{"unused-credentials u 0 medium"}},
		{name: "no_information without a change time, created 45 days minus 1 s ago: none",
			rows: []map[string]string{rootWith(), userU(consoleKV("user_creation_time", ago(dayDur(45)-sec), "password_last_changed", "N/A", "password_last_used", "no_information")...)}},
		{name: "key last used exactly 45 days ago is unused",
			rows: []map[string]string{rootWith(), userU(concat([]string{"user_creation_time", old}, withKey(1, true, ago(dayDur(60)), ago(dayDur(45))))...)},
			want: []string{"unused-credentials u 1 medium"}},
		{name: "key never used counts from its creation: 45 days minus 1 s is not unused",
			rows: []map[string]string{rootWith(), userU(concat([]string{"user_creation_time", old}, withKey(2, true, ago(dayDur(45)-sec), ""))...)}},
		{name: "key never used, created exactly 45 days ago, is unused",
			rows: []map[string]string{rootWith(), userU(concat([]string{"user_creation_time", old}, withKey(2, true, ago(dayDur(45)), ""))...)},
			want: []string{"unused-credentials u 2 medium"}},
		{name: "inactive key idle for years is neither unused nor due for rotation",
			rows: []map[string]string{rootWith("user_creation_time", "2014-12-01T00:00:00+00:00"), userU(concat([]string{"user_creation_time", "2015-01-01T00:00:00+00:00"}, withKey(1, false, "2015-01-01T00:00:00+00:00", "2015-06-01T00:00:00+00:00"))...)}},
		{name: "UnusedDays 90: password used exactly 90 days ago is unused",
			unusedDays: 90,
			rows:       []map[string]string{rootWith(), userU(consoleKV("user_creation_time", old, "password_last_changed", old, "password_last_used", ago(dayDur(90)))...)},
			want:       []string{"unused-credentials u 0 medium"}},
		{name: "UnusedDays 90: 90 days minus 1 s is not",
			unusedDays: 90,
			rows:       []map[string]string{rootWith(), userU(consoleKV("user_creation_time", old, "password_last_changed", old, "password_last_used", ago(dayDur(90)-sec))...)}},

		// two-active-keys
		{name: "two active keys, key 2 the older: the finding is about key 2",
			rows: []map[string]string{rootWith(), userU(concat([]string{"user_creation_time", old}, withKey(1, true, ago(dayDur(20)), ago(day)), withKey(2, true, ago(dayDur(30)), ago(day)))...)},
			want: []string{"two-active-keys u 2 low"}},
		{name: "two active keys created the same second: key 1",
			rows: []map[string]string{rootWith(), userU(concat([]string{"user_creation_time", old}, withKey(1, true, ago(dayDur(20)), ago(day)), withKey(2, true, ago(dayDur(20)), ago(day)))...)},
			want: []string{"two-active-keys u 1 low"}},
		{name: "one of two keys inactive is no finding",
			rows: []map[string]string{rootWith(), userU(concat([]string{"user_creation_time", old}, withKey(1, true, ago(dayDur(20)), ago(day)), withKey(2, false, ago(dayDur(30)), ago(day)))...)}},

		// key-rotation
		{name: "key exactly 90 days old is not over 90 days",
			rows: []map[string]string{rootWith(), userU(concat([]string{"user_creation_time", old}, withKey(1, true, ago(dayDur(90)), ago(day)))...)}},
		{name: "key 90 days and 1 s old is over 90 days",
			rows: []map[string]string{rootWith(), userU(concat([]string{"user_creation_time", old}, withKey(1, true, ago(dayDur(90)+sec), ago(day)))...)},
			want: []string{"key-rotation u 1 medium"}},
		{name: "key 90 days and 23 hours old is over 90 days",
			rows: []map[string]string{rootWith(), userU(concat([]string{"user_creation_time", old}, withKey(2, true, ago(dayDur(90)+23*time.Hour), ago(day)))...)},
			want: []string{"key-rotation u 2 medium"}},
		{name: "RotationDays 30: a key 30 days and 1 s old is over",
			rotDays: 30,
			rows:    []map[string]string{rootWith(), userU(concat([]string{"user_creation_time", old}, withKey(1, true, ago(dayDur(30)+sec), ago(day)))...)},
			want:    []string{"key-rotation u 1 medium"}},
		{name: "RotationDays 30: a key exactly 30 days old is not",
			rotDays: 30,
			rows:    []map[string]string{rootWith(), userU(concat([]string{"user_creation_time", old}, withKey(1, true, ago(dayDur(30)), ago(day)))...)}},

		// the as-of time
		{name: "password changed yesterday sets the as-of",
			derive: true,
			rows: []map[string]string{rootWith(), userU(consoleKV("user_creation_time", "2025-10-01T00:00:00+00:00",
				"password_last_used", "2026-05-01T00:00:00+00:00", "password_last_changed", "2026-05-31T00:00:00+00:00")...)},
			wantAsOf: "2026-05-31T00:00:00Z"},
		{name: "cert_1_last_rotated sets the as-of",
			derive: true,
			rows: []map[string]string{rootWith(), userU("user_creation_time", "2025-10-01T00:00:00+00:00",
				"cert_1_active", "true", "cert_1_last_rotated", "2026-04-02T03:04:05Z")},
			wantAsOf: "2026-04-02T03:04:05Z"},
		{name: "an inactive cert_2_last_rotated sets the as-of",
			derive: true,
			rows: []map[string]string{rootWith(), userU("user_creation_time", "2025-10-01T00:00:00+00:00",
				"cert_2_active", "false", "cert_2_last_rotated", "2026-04-02T03:04:05+00:00")},
			wantAsOf: "2026-04-02T03:04:05Z"},
		{name: "the root's key last used sets the as-of, and is a use within the period",
			derive: true,
			rows: []map[string]string{rootWith(withKey(1, false, "2025-10-01T00:00:00+00:00", "2026-03-03T03:03:00+00:00")...),
				userU("user_creation_time", "2025-10-01T00:00:00+00:00")},
			want:     []string{"root-used <root_account> 0 medium"},
			wantAsOf: "2026-03-03T03:03:00Z"},
		{name: "password_next_rotation in 2031 is neither the as-of nor impossible",
			derive: true,
			rows: []map[string]string{rootWith(), userU(consoleKV("user_creation_time", "2025-10-01T00:00:00+00:00",
				"password_last_used", "2026-05-01T00:00:00+00:00", "password_last_changed", "2026-04-01T00:00:00+00:00",
				"password_next_rotation", "2031-01-01T00:00:00+00:00")...)},
			wantAsOf: "2026-05-01T00:00:00Z"},
		{name: "users created fourteen years apart: the newest is the as-of, and no error",
			derive: true,
			rows: []map[string]string{rootWith("user_creation_time", "2012-01-01T00:00:00+00:00"),
				userNamed("early", "user_creation_time", "2012-02-01T00:00:00+00:00"),
				userNamed("late", "user_creation_time", "2026-05-01T00:00:00+00:00")},
			wantAsOf: "2026-05-01T00:00:00Z"},
		{name: "a time exactly Now+24h is possible and sets the as-of",
			derive: true,
			rows: []map[string]string{rootWith(), userNamed("a", "user_creation_time", "2026-06-01T00:00:00+00:00"),
				userU("user_creation_time", stamp(refNow.Add(24*time.Hour)))},
			wantAsOf: "2026-12-03T00:00:00Z"},
		{name: "password_last_used at Now+24h+1s is impossible: an error, the row still checked, the as-of without it",
			derive: true,
			rows: []map[string]string{rootWith(), userNamed("late", consoleKV("user_creation_time", "2026-05-01T00:00:00+00:00", "mfa_active", "false",
				"password_last_used", stamp(refNow.Add(24*time.Hour+sec)), "password_last_changed", "2026-05-02T00:00:00+00:00")...)},
			want:     []string{"console-mfa late 0 high"},
			wantAsOf: "2026-05-02T00:00:00Z", wantErrs: []int{3}},
		{name: "password_last_changed in 2099 is impossible",
			derive: true,
			rows: []map[string]string{rootWith(), userU(consoleKV("user_creation_time", "2026-01-01T00:00:00+00:00",
				"password_last_used", "2026-05-10T00:00:00+00:00", "password_last_changed", "2099-01-01T00:00:00+00:00")...)},
			wantAsOf: "2026-05-10T00:00:00Z", wantErrs: []int{3}},
		{name: "cert_2_last_rotated a year ahead is impossible, on the second user's line",
			derive: true,
			rows: []map[string]string{rootWith(), userNamed("a", "user_creation_time", "2026-02-01T00:00:00+00:00"),
				userNamed("b", "user_creation_time", "2026-03-01T00:00:00+00:00", "cert_2_active", "true", "cert_2_last_rotated", "2027-12-01T00:00:00+00:00")},
			wantAsOf: "2026-03-01T00:00:00Z", wantErrs: []int{4}},
		{name: "an impossible key creation is an error under an explicit as-of too; the row is still checked",
			rows: []map[string]string{rootWith(), userU(concat([]string{"user_creation_time", old},
				withKey(1, true, "2030-01-01T00:00:00+00:00", ""), withKey(2, true, ago(dayDur(20)), ago(day)))...)},
			want:     []string{"two-active-keys u 2 low"},
			wantErrs: []int{3}},
		{name: "an impossible time in the root row is an error on line 2",
			derive: true,
			rows: []map[string]string{rootWith("password_last_used", "2040-01-01T00:00:00+00:00"),
				userU("user_creation_time", "2026-05-05T05:05:05+00:00")},
			want:     []string{"root-used <root_account> 0 medium"},
			wantAsOf: "2026-05-05T05:05:05Z", wantErrs: []int{2}},
		{name: "an explicit as-of before the newest time wins; a key used after it is younger than nothing",
			asOf: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			rows: []map[string]string{rootWith(), userU(concat([]string{"user_creation_time", "2025-09-15T00:00:00+00:00"},
				withKey(1, true, "2025-10-02T00:00:00+00:00", "2026-05-01T00:00:00+00:00"))...)},
			want:     []string{"key-rotation u 1 medium"},
			wantAsOf: "2026-01-01T00:00:00Z"},
		{name: "N/A, no_information and not_supported are not times: the as-of is the newest creation",
			derive: true,
			rows: []map[string]string{rootWith("user_creation_time", "2025-03-01T00:00:00+00:00", "password_last_used", "no_information"),
				userU("user_creation_time", "2025-03-04T05:06:07+00:00")},
			wantAsOf: "2025-03-04T05:06:07Z"},
		{name: "a user whose password was removed: its password_last_used still sets the as-of, and is no unused password",
			derive: true,
			rows: []map[string]string{rootWith(), userU("user_creation_time", "2025-10-01T00:00:00+00:00",
				"password_enabled", "false", "password_last_used", "2026-04-04T04:04:00+00:00")},
			wantAsOf: "2026-04-04T04:04:00Z"},
		{name: "the root's password use is the newest time",
			derive: true,
			rows: []map[string]string{rootWith("password_last_used", "2026-05-20T10:00:00+00:00"),
				userU("user_creation_time", "2025-10-01T00:00:00+00:00")},
			want:     []string{"root-used <root_account> 0 medium"},
			wantAsOf: "2026-05-20T10:00:00Z"},
		{name: "a one-user account whose root row is last",
			derive: true,
			rows: []map[string]string{userU(consoleKV("user_creation_time", "2026-01-01T00:00:00+00:00", "mfa_active", "false",
				"password_last_used", "2026-05-10T00:00:00Z", "password_last_changed", "2026-01-01T00:00:00Z")...),
				rootWith("mfa_active", "false")},
			want:     []string{"console-mfa u 0 high", "root-mfa <root_account> 0 high"},
			wantAsOf: "2026-05-10T00:00:00Z"},
	}
}

// edgeFields is a row map in column order.
func edgeFields(m map[string]string) []string {
	out := make([]string, len(refHeader))
	for i, c := range refHeader {
		out[i] = m[c]
	}
	return out
}

// TestReferenceEdges pins, by name, each boundary of the rules: first the
// reference model's own answer (so that it stays the spec), then the
// implementation's.
func TestReferenceEdges(t *testing.T) {
	dir := t.TempDir()
	for i, c := range edgeCases() {
		t.Run(c.name, func(t *testing.T) {
			rows := make([][]string, len(c.rows))
			for j, m := range c.rows {
				rows[j] = edgeFields(m)
			}
			opts := c.options()
			csv := writeReport(rows)
			wantAsOf := c.wantAsOf
			if wantAsOf == "" {
				wantAsOf = opts.AsOf.UTC().Format(time.RFC3339)
			}
			want := c.want
			sort.Strings(want)

			ref := refAnalyze(rows, opts)
			if got := strings.Join(ref.findings, "; "); got != strings.Join(want, "; ") {
				t.Errorf("reference findings: got %q, want %q", ref.findings, want)
			}
			if got := ref.asOf.UTC().Format(time.RFC3339); got != wantAsOf {
				t.Errorf("reference as-of: got %q, want %q", got, wantAsOf)
			}
			if got, w := fmt.Sprint(ref.errLines), fmt.Sprint(c.wantErrs); got != w {
				t.Errorf("reference impossible lines: got %s, want %s", got, w)
			}

			res, src := runImpl(t, csv, filepath.Join(dir, fmt.Sprintf("edge%02d.csv", i)), opts)
			pinned := refOutcome{findings: want, errLines: c.wantErrs}
			pinned.asOf, _ = time.Parse(time.RFC3339, wantAsOf)
			if kinds, detail := compareOutcome(pinned, res, src, opts); len(kinds) > 0 {
				t.Errorf("implementation differs (%s):\n%soptions: %s\n%s", strings.Join(kinds, ", "), detail, describeOptions(opts), numbered(csv))
			}
		})
	}
}

// ---------------------------------------------------------------------------
// The generator: reports whose times sit on the edges.

// genParams are what drive one generated report: chosen by the fixed seed in
// TestReferenceGenerated, by the fuzzer in FuzzReference.
type genParams struct {
	users      int  // IAM users besides the root user, 1 to 30
	target     int  // index into genTimeColumns: the column that holds the newest time
	asOfFlag   bool // give Options.AsOf
	impossible int  // cells set after Now+24h, 0 to 2
	nowVaries  bool // Now other than refNow
	window     int  // index into genWindows
	rootDays   int  // indexes into genRootDays, genUnusedDays, genRotationDays
	unusedDays int
	rotDays    int
	shuffle    bool // users out of order, the root row anywhere
}

// genTimeColumns are the time columns the generator puts the newest time
// in, in turn: its own list, so that a column the reference forgets is
// still generated.
var genTimeColumns = []string{
	"user_creation_time", "password_last_used", "password_last_changed",
	"access_key_1_last_rotated", "access_key_1_last_used_date",
	"access_key_2_last_rotated", "access_key_2_last_used_date",
	"cert_1_last_rotated", "cert_2_last_rotated",
}

var (
	genWindows      = []time.Duration{time.Hour, time.Hour, time.Hour, 10 * time.Second, time.Second, 2 * time.Hour, 24 * time.Hour}
	genRootDays     = []int{0, 0, 0, 1, 30, 90, 365}
	genUnusedDays   = []int{0, 0, 0, 45, 90, 30, 1}
	genRotationDays = []int{0, 0, 0, 90, 30, 365, 1}
)

// paramsFrom decodes the fuzzer's numbers into parameters.
func paramsFrom(users uint8, knobs uint32) genParams {
	field := func(shift, width uint32) int { return int(knobs >> shift & (1<<width - 1)) }
	return genParams{
		users:      int(users)%30 + 1,
		target:     field(0, 6) % len(genTimeColumns),
		asOfFlag:   field(6, 3) == 0,
		impossible: []int{0, 0, 0, 0, 0, 1, 1, 2}[field(9, 3)],
		nowVaries:  field(12, 2) == 0,
		window:     field(14, 3) % len(genWindows),
		rootDays:   field(17, 3) % len(genRootDays),
		unusedDays: field(20, 3) % len(genUnusedDays),
		rotDays:    field(23, 3) % len(genRotationDays),
		shuffle:    field(26, 3) == 0,
	}
}

// randomParams are the parameters of the i-th generated report: the column
// of the newest time in turn, the rest at random.
func randomParams(rng *rand.Rand, i int) genParams {
	p := paramsFrom(uint8(rng.IntN(30)), rng.Uint32())
	p.target = i % len(genTimeColumns)
	switch rng.IntN(8) {
	case 0:
		p.impossible = 1
	case 1:
		p.impossible = 2
	default:
		p.impossible = 0
	}
	if rng.IntN(5) == 0 {
		p.users = 1 // a one-user account
	}
	return p
}

// genKey and genRow are a row before it is written: zero times are
// sentinels.
type genKey struct {
	exists, active bool
	created, used  time.Time
}

type genRow struct {
	name         string
	root         bool
	created      time.Time
	console, mfa bool
	pwUsed       time.Time
	pwUsedText   string // N/A or no_information when pwUsed is zero
	pwChanged    time.Time
	nextRotation string
	keys         [2]genKey
	certActive   [2]bool
	certRotated  [2]time.Time
}

type gen struct {
	rng    *rand.Rand
	p      genParams
	now    time.Time
	newest time.Time // the report's newest time, put in the target column
	cap    time.Time // no other time is after it: newest, or a second before so that the target column alone holds the newest
	anchor time.Time // what the edges are measured back from: the as-of time the rules should take
	opts   analyze.Options
	ru     int // the effective periods
	un     int
	ro     int
}

var (
	gen2008 = time.Date(2008, 1, 1, 0, 0, 0, 0, time.UTC)
	gen2012 = time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC)
)

// between is a second in [lo, hi]; lo when hi is before it.
func (g *gen) between(lo, hi time.Time) time.Time {
	if !hi.After(lo) {
		return lo
	}
	return lo.Add(time.Duration(g.rng.Int64N(int64(hi.Sub(lo)/time.Second)+1)) * time.Second)
}

func clampTime(t, lo, hi time.Time) time.Time {
	if t.Before(lo) {
		t = lo
	}
	if t.After(hi) {
		t = hi
	}
	return t
}

// edge is how long before the anchor a time is, concentrated on the
// boundary of a period of days: exactly, a second either side, half a day
// and a day less one second over (where whole-day rounding goes wrong), and
// now and then anything from a few seconds to fourteen years.
func (g *gen) edge(days int) time.Duration {
	d := dayDur(days)
	sec := time.Second
	switch g.rng.IntN(14) {
	case 0, 1:
		return d
	case 2:
		return d - sec
	case 3:
		return d + sec
	case 4:
		return d + 12*time.Hour
	case 5:
		return d + 24*time.Hour - sec
	case 6:
		return d - 12*time.Hour
	case 7:
		return d + 24*time.Hour
	case 8:
		return d - 24*time.Hour + sec
	case 9:
		return time.Duration(g.rng.Int64N(int64(d/sec)+1)) * sec
	case 10:
		return time.Duration(g.rng.Int64N(5*365*daySeconds)) * sec
	case 11:
		return time.Duration(g.rng.Int64N(14*365*daySeconds)) * sec
	case 12:
		return time.Duration(g.rng.Int64N(600)) * sec
	}
	return 0
}

// before is a time on the edge of a period before the anchor, at most the
// cap.
func (g *gen) before(days int) time.Time {
	t := g.anchor.Add(-g.edge(days))
	if t.After(g.cap) {
		t = g.cap
	}
	return t
}

// period is one of the three periods, at random.
func (g *gen) period() int { return []int{g.ru, g.un, g.ro}[g.rng.IntN(3)] }

// setupOffset is how long after its user a key is created: on the edges of
// the setup window, or anything.
func (g *gen) setupOffset() time.Duration {
	w := g.opts.SetupWindow
	sec := time.Second
	switch g.rng.IntN(9) {
	case 0:
		return 0
	case 1:
		return sec
	case 2:
		return w - sec
	case 3, 4:
		return w
	case 5:
		return w + sec
	case 6:
		return time.Duration(g.rng.Int64N(int64(w/sec)+1)) * sec
	case 7:
		return time.Duration(g.rng.Int64N(int64(2*w/sec)+1)) * sec
	}
	return time.Duration(g.rng.Int64N(3*365*daySeconds)) * sec
}

// pick is true with probability num/den.
func (g *gen) pick(num, den int) bool { return g.rng.IntN(den) < num }

var genNames = []string{"alice", "Bob", "carol.smith", "-x", "=1+2", "+ops", "@team", "svc_deploy", "ci-bot", "X", "dave@example.com", "e=mc2", "Zed"}

var genRegions = []string{"us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1"}
var genServices = []string{"s3", "ec2", "iam", "sts", "lambda"}

// useKey gives key i of r a last use between its creation and the newest
// time, on the edge of a period when it can.
func (g *gen) useKey(r *genRow, i int, days int) {
	k := &r.keys[i]
	switch g.rng.IntN(8) {
	case 0, 1, 2:
		k.used = time.Time{}
	case 3, 4, 5:
		k.used = g.before(days)
	case 6:
		k.used = g.between(k.created, g.cap)
	default:
		k.used = k.created.Add(time.Duration(g.rng.IntN(3600)) * time.Second)
	}
	if !k.used.IsZero() {
		k.used = clampTime(k.used, k.created, g.cap)
	}
}

func (g *gen) rootRow() *genRow {
	r := &genRow{name: "<root_account>", root: true}
	r.created = g.between(gen2008, g.cap)
	r.mfa = g.pick(7, 10)
	switch g.rng.IntN(10) {
	case 0, 1:
		r.pwUsedText = "N/A"
	case 2:
		r.pwUsedText = "no_information"
	case 3, 4, 5, 6:
		r.pwUsed = clampTime(g.before(g.ru), r.created, g.cap)
	case 7, 8:
		r.pwUsed = g.between(r.created, g.cap)
	default:
		r.pwUsed = g.between(r.created, r.created.Add(dayDur(365)))
		r.pwUsed = clampTime(r.pwUsed, r.created, g.cap)
	}
	for i := range r.keys {
		if !g.pick(1, 5) {
			continue
		}
		k := &r.keys[i]
		k.exists, k.active = true, g.pick(1, 2)
		k.created = g.between(r.created, g.cap)
		g.useKey(r, i, g.ru)
	}
	return r
}

func (g *gen) userRow(name string) *genRow {
	r := &genRow{name: name}
	lo := gen2012
	if g.cap.Before(lo) {
		lo = gen2008
	}
	switch g.rng.IntN(4) {
	case 0, 1:
		r.created = g.between(lo, g.cap)
	case 2:
		r.created = clampTime(g.before(g.period()), lo, g.cap)
	default:
		r.created = clampTime(g.cap.Add(-time.Duration(g.rng.Int64N(30*daySeconds))*time.Second), lo, g.cap)
	}
	r.console = g.pick(7, 10)
	r.pwUsedText = "N/A"
	if r.console {
		r.mfa = g.pick(1, 2)
		switch g.rng.IntN(7) {
		case 0:
			r.pwUsedText = "N/A"
		case 1:
			r.pwUsedText = "no_information"
		case 2, 3, 4:
			r.pwUsed = clampTime(g.before(g.un), r.created, g.cap)
		default:
			r.pwUsed = g.between(r.created, g.cap)
		}
		switch {
		case g.pick(1, 6):
			// never changed: N/A
		case r.pwUsed.IsZero() && g.pick(1, 2):
			r.pwChanged = clampTime(g.before(g.un), r.created, g.cap)
		default:
			r.pwChanged = g.between(r.created, g.cap)
		}
		r.nextRotation = "N/A"
		if !r.pwChanged.IsZero() && g.pick(1, 3) {
			// A future date by design, often after Now+24h: never an error.
			r.nextRotation = stamp(r.pwChanged.Add(dayDur([]int{90, 365, 3650}[g.rng.IntN(3)])))
		}
	} else {
		r.mfa = g.pick(1, 5)
		r.nextRotation = "N/A"
	}
	for i, p := range []int{55, 35} {
		if g.rng.IntN(100) >= p {
			continue
		}
		k := &r.keys[i]
		k.exists, k.active = true, g.pick(3, 4)
		switch g.rng.IntN(8) {
		case 0, 1, 2:
			k.created = r.created.Add(g.setupOffset())
		case 3, 4:
			k.created = g.before(g.ro)
		case 5:
			k.created = g.before(g.un)
		default:
			k.created = g.between(r.created, g.cap)
		}
		k.created = clampTime(k.created, r.created, g.cap)
		g.useKey(r, i, g.un)
	}
	for i := range r.certRotated {
		if g.pick(1, 10) {
			r.certActive[i] = g.pick(1, 2)
			r.certRotated[i] = g.between(r.created, g.cap)
		}
	}
	return r
}

// fixOrder restores a row's order of times after one was moved: nothing before
// the user's creation, no use of a key before its creation.
func fixOrder(r *genRow) {
	up := func(t *time.Time, lo time.Time) {
		if !t.IsZero() && t.Before(lo) {
			*t = lo
		}
	}
	up(&r.pwUsed, r.created)
	up(&r.pwChanged, r.created)
	for i := range r.keys {
		if r.keys[i].exists {
			up(&r.keys[i].created, r.created)
			up(&r.keys[i].used, r.keys[i].created)
		}
	}
	for i := range r.certRotated {
		up(&r.certRotated[i], r.created)
	}
}

// ensureKey makes key i of r exist.
func (g *gen) ensureKey(r *genRow, i int) *genKey {
	k := &r.keys[i]
	if !k.exists {
		k.exists, k.active = true, g.pick(2, 3)
		k.created = g.between(r.created, g.cap)
	}
	return k
}

// makeConsole gives a user a password, if it has none.
func (g *gen) makeConsole(r *genRow) {
	if !r.console {
		r.console, r.pwUsedText, r.nextRotation = true, "no_information", "N/A"
	}
}

// place puts time t in column col of row r.
func (g *gen) place(r *genRow, col string, t time.Time) {
	switch col {
	case "user_creation_time":
		r.created = t
	case "password_last_used":
		if !r.root {
			g.makeConsole(r)
		}
		r.pwUsed = t
	case "password_last_changed":
		g.makeConsole(r)
		r.pwChanged = t
	case "access_key_1_last_rotated", "access_key_2_last_rotated":
		g.ensureKey(r, int(col[11]-'1')).created = t
	case "access_key_1_last_used_date", "access_key_2_last_used_date":
		g.ensureKey(r, int(col[11]-'1')).used = t
	case "cert_1_last_rotated", "cert_2_last_rotated":
		r.certRotated[col[5]-'1'] = t
	default:
		panic("place: " + col)
	}
}

// genReport is a generated report and the options to analyse it with.
type genReport struct {
	rows [][]string
	opts analyze.Options
	note string // what the generator aimed at
}

// generate makes one report from the parameters and the random source.
func generate(rng *rand.Rand, p genParams) genReport {
	g := &gen{rng: rng, p: p, now: refNow}
	if p.nowVaries {
		g.now = g.between(time.Date(2015, 6, 1, 0, 0, 0, 0, time.UTC), refNow)
	}
	switch rng.IntN(10) {
	case 0:
		g.newest = g.now.Add(24 * time.Hour) // the latest possible time
	case 1:
		g.newest = g.now
	case 2:
		g.newest = g.now.Add(-time.Duration(rng.Int64N(daySeconds)) * time.Second)
	default:
		g.newest = g.now.Add(-time.Duration(rng.Int64N(3*365*daySeconds)) * time.Second)
	}
	if rng.IntN(2) == 0 {
		g.newest = g.newest.Truncate(time.Minute)
	}
	g.opts = analyze.Options{
		SetupWindow:  genWindows[p.window],
		Now:          g.now,
		Checks:       refAllChecks,
		RootUseDays:  genRootDays[p.rootDays],
		UnusedDays:   genUnusedDays[p.unusedDays],
		RotationDays: genRotationDays[p.rotDays],
	}
	g.ru = orDays(g.opts.RootUseDays, analyze.DefaultRootUseDays)
	g.un = orDays(g.opts.UnusedDays, analyze.DefaultUnusedDays)
	g.ro = orDays(g.opts.RotationDays, analyze.DefaultRotationDays)
	g.cap = g.newest
	if rng.IntN(4) != 0 {
		g.cap = g.newest.Add(-time.Second)
	}
	g.anchor = g.newest
	if p.asOfFlag {
		sec := time.Second
		shift := []time.Duration{0, -sec, sec, -24 * time.Hour, 24 * time.Hour, -dayDur(30), -dayDur(400)}[rng.IntN(7)]
		// Never after the machine's clock: the rules do not say what an
		// as-of time in the future means.
		g.anchor = clampTime(g.newest.Add(shift), gen2008, g.now)
		g.opts.AsOf = g.anchor
	}

	rootRow := g.rootRow()
	users := make([]*genRow, p.users)
	base := rng.IntN(len(genNames))
	for i := range users {
		users[i] = g.userRow(genNames[(base+i)%len(genNames)] + strconv.Itoa(i))
	}

	// The newest time, in the target column of some row.
	col := genTimeColumns[p.target]
	target := users[rng.IntN(len(users))]
	if col != "password_last_changed" && !strings.HasPrefix(col, "cert_") && rng.IntN(4) == 0 {
		target = rootRow
	}
	g.place(target, col, g.newest)
	fixOrder(target)
	note := fmt.Sprintf("newest time %s in %s of %s", stamp(g.newest), col, target.name)

	// Impossible times: after Now+24h, in any time column but the root's
	// creation (so that the report keeps a possible time).
	for range p.impossible {
		r := users[rng.IntN(len(users))]
		c := genTimeColumns[rng.IntN(len(genTimeColumns))]
		if c != "user_creation_time" && c != "password_last_changed" && !strings.HasPrefix(c, "cert_") && rng.IntN(4) == 0 {
			r = rootRow
		}
		late := g.now.Add(24*time.Hour + []time.Duration{time.Second, time.Hour, 24 * time.Hour, dayDur(3650)}[rng.IntN(4)])
		g.place(r, c, late)
		note += fmt.Sprintf("; impossible %s in %s of %s", stamp(late), c, r.name)
	}

	// Rows as AWS orders them, the root row first; or not.
	slices.SortFunc(users, func(a, b *genRow) int { return strings.Compare(strings.ToLower(a.name), strings.ToLower(b.name)) })
	all := append([]*genRow{rootRow}, users...)
	if p.shuffle {
		rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	}

	account := strconv.FormatInt(100000000000+rng.Int64N(900000000000), 10)
	partition := []string{"aws", "aws", "aws", "aws-us-gov", "aws-cn"}[rng.IntN(5)]
	path := []string{"/", "/", "/", "/eng/", "/a/b/"}[rng.IntN(5)]
	rows := make([][]string, len(all))
	for i, r := range all {
		rows[i] = g.fields(r, partition, account, path)
	}
	return genReport{rows: rows, opts: g.opts, note: note}
}

// fields writes a row: times as real reports do, or now and then with Z;
// booleans now and then in capitals.
func (g *gen) fields(r *genRow, partition, account, path string) []string {
	tm := func(t time.Time, sentinel string) string {
		if t.IsZero() {
			return sentinel
		}
		if g.pick(1, 5) {
			return t.UTC().Format("2006-01-02T15:04:05Z")
		}
		return stamp(t)
	}
	bl := func(b bool) string {
		s := strconv.FormatBool(b)
		switch g.rng.IntN(10) {
		case 0:
			return strings.ToUpper(s)
		case 1:
			return strings.ToUpper(s[:1]) + s[1:]
		}
		return s
	}
	m := map[string]string{"user": r.name}
	if r.root {
		m["arn"] = "arn:" + partition + ":iam::" + account + ":root"
		m["password_enabled"], m["password_last_changed"], m["password_next_rotation"] = "not_supported", "not_supported", "not_supported"
	} else {
		m["arn"] = "arn:" + partition + ":iam::" + account + ":user" + path + r.name
		m["password_enabled"] = bl(r.console)
		m["password_last_changed"] = tm(r.pwChanged, "N/A")
		m["password_next_rotation"] = r.nextRotation
	}
	m["user_creation_time"] = tm(r.created, "N/A")
	m["password_last_used"] = tm(r.pwUsed, r.pwUsedText)
	m["mfa_active"] = bl(r.mfa)
	for i, k := range r.keys {
		p := "access_key_" + strconv.Itoa(i+1) + "_"
		m[p+"active"] = bl(k.exists && k.active)
		m[p+"last_rotated"], m[p+"last_used_date"] = "N/A", "N/A"
		m[p+"last_used_region"], m[p+"last_used_service"] = "N/A", "N/A"
		if k.exists {
			m[p+"last_rotated"] = tm(k.created, "N/A")
			if !k.used.IsZero() {
				m[p+"last_used_date"] = tm(k.used, "N/A")
				m[p+"last_used_region"] = genRegions[g.rng.IntN(len(genRegions))]
				m[p+"last_used_service"] = genServices[g.rng.IntN(len(genServices))]
			}
		}
	}
	for i := range r.certRotated {
		p := "cert_" + strconv.Itoa(i+1) + "_"
		m[p+"active"] = bl(!r.certRotated[i].IsZero() && r.certActive[i])
		m[p+"last_rotated"] = tm(r.certRotated[i], "N/A")
	}
	return edgeFields(m)
}

// checkGenerated compares the implementation with the reference on one
// generated report; it returns the kinds of mismatch and a readable account.
func checkGenerated(t testing.TB, rep genReport) ([]string, string) {
	t.Helper()
	csv := writeReport(rep.rows)
	want := refAnalyze(rep.rows, rep.opts)
	res, src := runImpl(t, csv, "", rep.opts)
	kinds, detail := compareOutcome(want, res, src, rep.opts)
	if len(kinds) == 0 {
		return nil, ""
	}
	return kinds, fmt.Sprintf("%s\noptions: %s\ngenerator: %s\n%s", detail, describeOptions(rep.opts), rep.note, numbered(csv))
}

// TestReferenceGenerated compares the implementation with the reference on
// reports generated from a fixed seed: a thousand under -short (about half
// a second), five thousand otherwise. It shows the first few mismatching
// reports in full, and counts the kinds of mismatch of all of them.
func TestReferenceGenerated(t *testing.T) {
	n := 5000
	if testing.Short() {
		n = 1000
	}
	rng := rand.New(rand.NewPCG(20261202, 1))
	counts := map[string]int{}
	failed, shown := 0, 0
	for i := range n {
		rep := generate(rng, randomParams(rng, i))
		kinds, detail := checkGenerated(t, rep)
		if len(kinds) == 0 {
			continue
		}
		failed++
		for _, k := range kinds {
			counts[k]++
		}
		if shown < 5 {
			shown++
			t.Errorf("report %d: implementation and reference differ (%s):\n%s", i, strings.Join(slices.Compact(slices.Sorted(slices.Values(kinds))), ", "), detail)
		}
	}
	if failed > 0 {
		keys := make([]string, 0, len(counts))
		for k := range counts {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "  %-32s %d\n", k, counts[k])
		}
		t.Errorf("%d of %d generated reports differ; mismatches by kind:\n%s", failed, n, b.String())
	}
}

// FuzzReference lets the fuzzer choose the random source and the parameters
// of the generator; the property is that the implementation and the
// reference agree on the findings, the as-of time and the impossible lines.
func FuzzReference(f *testing.F) {
	f.Add(uint64(1), uint64(2), uint8(5), uint32(0))
	f.Add(uint64(3), uint64(4), uint8(0), uint32(0xffffffff))
	f.Add(uint64(20261202), uint64(1), uint8(29), uint32(0x00000040))
	f.Add(uint64(7), uint64(7), uint8(12), uint32(0x01234567))
	f.Add(uint64(9), uint64(10), uint8(2), uint32(0x00000200))
	f.Fuzz(func(t *testing.T, s1, s2 uint64, users uint8, knobs uint32) {
		rng := rand.New(rand.NewPCG(s1, s2))
		p := paramsFrom(users, knobs)
		if kinds, detail := checkGenerated(t, generate(rng, p)); len(kinds) > 0 {
			t.Fatalf("implementation and reference differ (%s):\n%s", strings.Join(kinds, ", "), detail)
		}
	})
}
