package analyze

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// What credreview guarantees about its inputs: every data line is checked
// or named in an error, no input exhausts the machine, every input form a
// shell hands over is read once, and a run stops when it is interrupted.

// users writes n console users u00..u(n-1), each with a setup-time key.
func users(n int) []string {
	var rows []string
	for i := range n {
		rows = append(rows, row(fmt.Sprintf("u%02d", i), merge(key(1, true, "2025-01-01T00:00:04+00:00", "2025-02-01T00:00:00+00:00"))))
	}
	return rows
}

// TestQuotesNeverSpanLines pins that a stray quote costs its own line and
// nothing more. encoding/csv, left to itself, reads a field from "s3 on one
// line to s3" eighteen lines later, and the users in between vanish.
func TestQuotesNeverSpanLines(t *testing.T) {
	rows := users(30)
	rows[4] = strings.Replace(rows[4], ",s3,", `,"s3,`, 1)
	rows[22] = strings.Replace(rows[22], ",s3,", `,s3",`, 1)
	res := analyzeOne(t, report(append([]string{rootRow}, rows...)...), hour)
	rep := res.Reports[0]
	if rep.Users != 28 || len(res.Findings) != 28 {
		t.Errorf("users %d, findings %d; want 28 of 30 (the two edited rows are errors)", rep.Users, len(res.Findings))
	}
	if rep.Lines != 31 || rep.Rejected != 2 {
		t.Errorf("lines %d, rejected %d; want 31 and 2", rep.Lines, rep.Rejected)
	}
	got := problemLines(res.Errors)
	containsAll(t, "errors", got, []string{
		"r.csv:7: the quotes on this line do not balance: a quoted field does not end on it; the row was not analysed",
		`r.csv:25: not valid CSV: bare " in non-quoted-field`,
	})
	if len(got) != 2 {
		t.Errorf("errors:\n%s", strings.Join(got, "\n"))
	}
	if res.Errors[0].Hint == "" || !strings.Contains(res.Errors[0].Hint, "a field must not span lines") {
		t.Errorf("hint = %q", res.Errors[0].Hint)
	}

	// An unclosed quote on the last line costs that line.
	res = analyzeOne(t, report(rootRow, rows[0], strings.Replace(rows[1], "u01,", `"u01,`, 1)), hour)
	containsAll(t, "errors", problemLines(res.Errors), []string{"r.csv:4: the quotes on this line do not balance"})
	if res.Reports[0].Users != 1 {
		t.Errorf("users = %d, want 1", res.Reports[0].Users)
	}
}

// dataLines is what a report's data lines are, read independently of the
// parser: the lines after the first one that is not blank, that are not
// blank themselves, up to and including the line a fatal error names.
func dataLines(data []byte, stop int) []int {
	var out []int
	header := false
	for i, l := range bytes.SplitAfter(data, []byte("\n")) {
		line := i + 1
		if stop > 0 && line > stop {
			break
		}
		if body, _ := splitEOL(l); len(body) == 0 {
			continue
		}
		if !header {
			header = true
			continue
		}
		out = append(out, line)
	}
	return out
}

// checkAccounted holds a report to the invariant: every data line is
// checked or named in an error, never both and never neither.
func checkAccounted(t *testing.T, data []byte) {
	t.Helper()
	rep := Report{Source: "r.csv"}
	pr := problems{source: "r.csv"}
	seen := map[int]string{}
	checked := 0
	var twice []int
	p := newReportParser(&rep, &hour, &pr)
	account := func(line int, what string) {
		if _, dup := seen[line]; dup {
			twice = append(twice, line)
		}
		seen[line] = what
	}
	for r := range p.rows(bytes.NewReader(data)) {
		account(r.Line, "checked")
		checked++
	}
	err := p.err
	for _, line := range p.rejects {
		account(line, "rejected")
	}
	if err != nil && rep.Lines == 0 {
		return // not a report: no data lines were read
	}
	stop := 0
	if pe, ok := err.(*Problem); ok && pe.fatal {
		stop = pe.Line
	}
	want := dataLines(data, stop)
	if len(twice) > 0 {
		t.Fatalf("lines counted twice: %v", twice)
	}
	if rep.Lines != len(want) || len(seen) != len(want) {
		t.Fatalf("the file has %d data lines, the report says %d, %d were accounted for", len(want), rep.Lines, len(seen))
	}
	for _, l := range want {
		if seen[l] == "" {
			t.Fatalf("line %d was neither checked nor named in an error", l)
		}
	}
	// A root row too odd to hand out is read, and counted as checked.
	if rep.Rejected+p.checked != rep.Lines || checked > p.checked {
		t.Fatalf("checked %d + rejected %d != lines %d", checked, rep.Rejected, rep.Lines)
	}
	// Every rejected line is named in an error, or counted among those
	// left out of the list; a fatal error names the line it stopped at.
	pr.finish()
	named := map[int]bool{}
	for _, e := range pr.errors {
		named[e.Line] = true
	}
	if err != nil {
		named[err.(*Problem).Line] = true
	}
	left := pr.moreErr
	for l, how := range seen {
		if how == "rejected" && !named[l] {
			left--
		}
	}
	if left < 0 {
		t.Fatalf("%d rejected lines are not named in an error, and only %d errors were left out of the list", -left+pr.moreErr, pr.moreErr)
	}
}

// lineKinds are the lines the property test builds reports from: AWS's own,
// and every way a hand edit or a damaged file breaks one.
func lineKinds(r *rand.Rand, i int) string {
	name := fmt.Sprintf("user%d", i)
	good := row(name, key(1, r.IntN(2) == 0, "2025-01-01T00:00:04+00:00", ""))
	switch r.IntN(16) {
	case 0:
		return strings.Replace(good, ",N/A,", `,"N/A,`, 1) // a quote that opens
	case 1:
		return strings.Replace(good, ",N/A,", `,N/A",`, 1) // a quote that closes
	case 2:
		return `"` + name + `"` + good[len(name):] // quoted, as spreadsheets write
	case 3:
		return good[:r.IntN(len(good))] // cut short
	case 4:
		return good + ",extra"
	case 5:
		return ""
	case 6:
		return strings.Replace(good, "2025-01-01T00:00:00+00:00", "1/1/2025", 1)
	case 7:
		return strings.ReplaceAll(good, "123456789012", "999999999999") // another account
	case 8:
		return rootRow
	case 9:
		return row("user1", key(1, true, "2025-01-01T00:00:04+00:00", "")) // a repeated user
	case 10:
		return `"a ""quoted"" name",` + good[len(name)+1:]
	case 11:
		return "   "
	case 12:
		return good + "\r"
	case 13:
		return `""`
	}
	return good
}

// TestEveryLineAccounted is the property over seeded random reports; the
// fuzz target below explores further.
func TestEveryLineAccounted(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for n := range 300 {
		lines := []string{header}
		for i := range r.IntN(120) {
			lines = append(lines, lineKinds(r, i))
		}
		data := []byte(strings.Join(lines, "\n"))
		t.Run(fmt.Sprint(n), func(t *testing.T) { checkAccounted(t, data) })
	}
}

func FuzzEveryLineAccounted(f *testing.F) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		var lines []string
		for i := range 10 {
			lines = append(lines, lineKinds(r, i))
		}
		f.Add([]byte(strings.Join(lines, "\n")))
	}
	f.Fuzz(func(t *testing.T, rows []byte) {
		checkAccounted(t, append([]byte(header+"\n"), rows...))
	})
}

// TestRepeatedRowsKeepTheHighestSeverity pins that a repeated user row can
// never lower what a key is reported as: key 1 inactive on one line, active
// and never used on the next, is high, and the warning names both lines and
// what differs.
func TestRepeatedRowsKeepTheHighestSeverity(t *testing.T) {
	low := row("alice", key(1, false, "2025-01-01T00:00:04+00:00", ""))
	high := row("alice", key(1, true, "2025-01-01T00:00:04+00:00", ""))
	for name, rows := range map[string][]string{"low first": {low, high}, "high first": {high, low}, "apart": {low, row("bob", nil), high}} {
		t.Run(name, func(t *testing.T) {
			res := analyzeOne(t, report(append([]string{rootRow}, rows...)...), hour)
			if len(res.Findings) != 1 || res.Findings[0].Severity != SeverityHigh {
				t.Fatalf("findings = %+v, want one, high", res.Findings)
			}
			last := len(rows) + 2
			containsAll(t, "warnings", problemLines(res.Warnings), []string{
				fmt.Sprintf("r.csv:%d: user alice appears again (first at line 3), and the rows differ in access_key_1_active; both rows are checked", last)})
		})
	}
	t.Run("every column named", func(t *testing.T) {
		a := row("carol", key(1, true, "2025-01-01T00:00:04+00:00", "2025-02-01T00:00:00+00:00"))
		b := row("Carol", merge(key(1, true, "2025-01-01T00:00:05+00:00", "2025-03-01T00:00:00+00:00"), map[string]string{
			"arn": "arn:aws:iam::123456789012:user/x/Carol", "mfa_active": "true", "access_key_1_last_used_region": "eu-west-1", "access_key_1_last_used_service": "ec2"}))
		res := analyzeOne(t, report(rootRow, b, row("x", nil), a), hour)
		containsAll(t, "warnings", problemLines(res.Warnings), []string{
			"r.csv:5: user carol appears again (first at line 3), and the rows differ in user, arn, mfa_active, access_key_1_last_rotated, access_key_1_last_used_date, access_key_1_last_used_region, access_key_1_last_used_service;"})
	})
}

// TestTimesAfterTheReport pins the rules for times after the moment a
// report describes, which are facts, not guesses: no report holds a time
// after this machine's clock (a day of skew allowed), nor after its own
// GeneratedTime. Such a time is an error naming the row, which is still
// checked, its ages measured to the as-of time; it never sets the report's
// as-of time. Rows created years apart, or idle for years, are normal.
func TestTimesAfterTheReport(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	opts := Options{SetupWindow: time.Hour, Now: now}
	base := []string{rootRow, row("alice", key(1, true, "2025-01-01T00:00:04+00:00", "")), row("bob", nil)}
	future := row("zed", merge(key(1, true, "9999-01-01T00:00:01+00:00", ""), map[string]string{"user_creation_time": "9999-01-01T00:00:00+00:00"}))
	t.Run("csv: a row dated after the clock", func(t *testing.T) {
		res := analyzeOne(t, report(append(base, future)...), opts)
		rep := res.Reports[0]
		if rep.AsOfRule != AsOfNewest || stamp(rep.AsOf) != "2026-01-01T00:00:00Z" {
			t.Errorf("as of %s (%s), want 2026-01-01T00:00:00Z: an impossible time never sets it", stamp(rep.AsOf), rep.AsOfRule)
		}
		want := "r.csv:5: user_creation_time 9999-01-01T00:00:00+00:00, access_key_1_last_rotated 9999-01-01T00:00:01+00:00: after this machine's clock (2026-12-02T10:00:00Z) by more than 1 day"
		containsAll(t, "errors", problemLines(res.Errors), []string{want})
		if len(res.Errors) != 1 {
			t.Errorf("errors: %v", problemLines(res.Errors))
		}
		if len(res.Findings) != 2 || res.Findings[1].User != "zed" || res.Findings[1].KeyAgeDays() != 0 {
			t.Errorf("findings = %+v, want zed's still there, aged 0 days", res.Findings)
		}
	})
	t.Run("csv: a day of skew is allowed", func(t *testing.T) {
		soon := row("soon", map[string]string{"password_last_used": "2026-12-03T09:59:00+00:00"})
		res := analyzeOne(t, report(append(base, soon)...), opts)
		if len(res.Errors) != 0 || stamp(res.Reports[0].AsOf) != "2026-12-03T09:59:00Z" {
			t.Errorf("errors %v, as of %s", problemLines(res.Errors), stamp(res.Reports[0].AsOf))
		}
	})
	t.Run("csv: two rows after the clock hide neither", func(t *testing.T) {
		res := analyzeOne(t, report(append(base, future, strings.ReplaceAll(future, "zed", "zoe"))...), opts)
		if len(res.Errors) != 2 || stamp(res.Reports[0].AsOf) != "2026-01-01T00:00:00Z" || len(res.Findings) != 3 {
			t.Errorf("errors %v, as of %s, findings %d", problemLines(res.Errors), stamp(res.Reports[0].AsOf), len(res.Findings))
		}
	})
	t.Run("csv: users years apart are no error", func(t *testing.T) {
		old := row("old", map[string]string{"user_creation_time": "2012-01-01T00:00:00+00:00", "password_last_used": "2013-01-01T00:00:00+00:00", "password_last_changed": "2012-01-01T00:00:00+00:00"})
		res := analyzeOne(t, report(append(base, old)...), opts)
		if len(res.Errors) != 0 {
			t.Errorf("errors: %v", problemLines(res.Errors))
		}
	})
	t.Run("csv: a root used this year and a user made two years ago", func(t *testing.T) {
		root := strings.Replace(rootRow, "2026-01-01T00:00:00+00:00", "2026-11-30T08:00:00+00:00", 1)
		u := row("u", map[string]string{"user_creation_time": "2024-11-01T00:00:00+00:00", "password_last_used": "2024-11-02T00:00:00+00:00", "password_last_changed": "2024-11-01T00:00:00+00:00"})
		res := analyzeOne(t, report(root, u), Options{SetupWindow: time.Hour, Now: now, Checks: []string{"unused-credentials"}})
		if len(res.Errors) != 0 || stamp(res.Reports[0].AsOf) != "2026-11-30T08:00:00Z" {
			t.Errorf("errors %v, as of %s", problemLines(res.Errors), stamp(res.Reports[0].AsOf))
		}
		if len(res.Findings) != 1 || res.Findings[0].User != "u" {
			t.Errorf("findings %+v, want u's unused password", res.Findings)
		}
	})
	t.Run("json: a row after GeneratedTime", func(t *testing.T) {
		late := row("late", map[string]string{"password_last_used": "2026-02-01T00:00:00+00:00"})
		res := analyzeOne(t, envelope(report(append(base, late)...), "2026-01-15T12:00:00Z"), opts)
		containsAll(t, "errors", problemLines(res.Errors), []string{"r.csv:5: the row has a time, 2026-02-01T00:00:00Z, after the report's GeneratedTime 2026-01-15T12:00:00Z"})
		if rep := res.Reports[0]; stamp(rep.AsOf) != "2026-01-15T12:00:00Z" || len(res.Findings) != 1 {
			t.Errorf("as of %s, findings %d", stamp(rep.AsOf), len(res.Findings))
		}
	})
	t.Run("json: a GeneratedTime after the clock", func(t *testing.T) {
		res := analyzeOne(t, envelope(report(base...), "2099-01-01T00:00:00Z"), opts)
		containsAll(t, "errors", problemLines(res.Errors), []string{"r.csv: GeneratedTime 2099-01-01T00:00:00Z is after this machine's clock (2026-12-02T10:00:00Z) by more than 1 day"})
		if rep := res.Reports[0]; stamp(rep.AsOf) != "2026-01-01T00:00:00Z" || rep.AsOfRule != AsOfNewest || !rep.Generated.IsZero() {
			t.Errorf("as of %s (%s), generated %s", stamp(rep.AsOf), rep.AsOfRule, rep.Generated)
		}
	})
	t.Run("moto: every user created after its fixed GeneratedTime", func(t *testing.T) {
		// moto's IAM server writes GeneratedTime 2015-02-02T20:02:02Z and
		// no root row; its users are created the day the test runs.
		var rows []string
		for i := range 60 {
			rows = append(rows, row(fmt.Sprintf("m%02d", i), merge(key(1, true, "2026-11-27T09:00:01+00:00", ""), map[string]string{"user_creation_time": "2026-11-27T09:00:00+00:00", "password_last_used": "no_information", "password_last_changed": "2026-11-27T09:00:00+00:00"})))
		}
		res := analyzeOne(t, envelope(report(rows...), "2015-02-02T20:02:02Z"), opts)
		if len(res.Findings) != 60 || res.Reports[0].Users != 60 {
			t.Fatalf("findings %d, users %d; want all 60", len(res.Findings), res.Reports[0].Users)
		}
		for _, f := range res.Findings {
			if f.KeyAgeDays() != 0 || f.SecondsAfterUserCreated() != 1 {
				t.Fatalf("finding %s: age %d days, %d s after its user", f.User, f.KeyAgeDays(), f.SecondsAfterUserCreated())
			}
		}
		errs := problemLines(res.Errors)
		if len(errs) != maxProblemsPerFile+1 || !strings.Contains(errs[len(errs)-1], "10 more rows have errors") {
			t.Errorf("errors: %d, last %q; want %d and a count of the 10 left out", len(errs), errs[len(errs)-1], maxProblemsPerFile+1)
		}
	})
	t.Run("offset beyond +14:00", func(t *testing.T) {
		res := analyzeOne(t, report(rootRow, row("a", map[string]string{"user_creation_time": "2025-01-01T00:00:00+23:00"})), opts)
		containsAll(t, "errors", problemLines(res.Errors), []string{`r.csv:3: user_creation_time "2025-01-01T00:00:00+23:00" is not an ISO 8601 time`})
	})
}

// TestAsOfColumns pins that every time column but password_next_rotation
// can set a report's as-of time: a password changed yesterday, or a
// certificate rotated yesterday, is when the report was at least made.
func TestAsOfColumns(t *testing.T) {
	opts := Options{SetupWindow: time.Hour, Now: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)}
	const late = "2026-11-30T10:11:12+00:00"
	for _, col := range []string{"user_creation_time", "password_last_used", "password_last_changed", "access_key_1_last_rotated", "access_key_1_last_used_date",
		"access_key_2_last_rotated", "access_key_2_last_used_date", "cert_1_last_rotated", "cert_2_last_rotated", "password_next_rotation"} {
		t.Run(col, func(t *testing.T) {
			set := map[string]string{col: late}
			if strings.HasPrefix(col, "access_key_") {
				n := col[11:12]
				set = merge(key(int(n[0]-'0'), true, "2025-06-01T00:00:00+00:00", ""), set)
			}
			res := analyzeOne(t, report(rootRow, row("u", set)), opts)
			want := "2026-11-30T10:11:12Z"
			if col == "password_next_rotation" {
				want = "2026-01-01T00:00:00Z" // the root row's password use
			}
			if len(res.Errors) != 0 || stamp(res.Reports[0].AsOf) != want {
				t.Errorf("errors %v, as of %s, want %s", problemLines(res.Errors), stamp(res.Reports[0].AsOf), want)
			}
		})
	}
	t.Run("a certificate column the report lacks", func(t *testing.T) {
		cols := strings.Split(header, ",")
		res := analyzeOne(t, strings.Join(cols[:len(cols)-1], ",")+"\n"+rootRow[:strings.LastIndex(rootRow, ",")]+"\n", opts)
		if len(res.Errors) != 0 || len(res.Reports) != 1 {
			t.Errorf("errors %v", problemLines(res.Errors))
		}
	})
	t.Run("a password_last_changed that is no time", func(t *testing.T) {
		res := analyzeOne(t, report(rootRow, row("u", map[string]string{"password_last_changed": "yesterday"})), opts)
		containsAll(t, "errors", problemLines(res.Errors), []string{`r.csv:3: password_last_changed "yesterday" is not an ISO 8601 time`})
	})
}

// analyzeWithin runs Analyze and fails the test if it takes longer than d:
// the inputs below made it hang before.
func analyzeWithin(t *testing.T, d time.Duration, ctx context.Context, paths []string, stdin io.Reader) *Result {
	t.Helper()
	done := make(chan *Result, 1)
	go func() { done <- Analyze(ctx, paths, stdin, hour) }()
	select {
	case res := <-done:
		return res
	case <-time.After(d):
		t.Fatalf("Analyze(%q) did not return within %s", paths, d)
		return nil
	}
}

// endless is an input that never ends, as yes and /dev/urandom are.
type endless struct {
	b   []byte
	off int
}

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = e.b[e.off]
		e.off = (e.off + 1) % len(e.b)
	}
	return len(p), nil
}

type randomBytes struct{ r *rand.Rand }

func (r randomBytes) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r.r.Uint32())
	}
	return len(p), nil
}

// TestEndlessInputs pins that inputs without an end stop at the first sign
// that they are not reports: yes on standard input, /dev/urandom, and a
// report whose rows never end stop at a cap.
func TestEndlessInputs(t *testing.T) {
	ctx := context.Background()
	res := analyzeWithin(t, 10*time.Second, ctx, []string{"-"}, &endless{b: []byte("y\n")})
	containsAll(t, "errors", problemLines(res.Errors), []string{"-:1: not a credential report: the first line is not a header"})

	for i := range 20 { // random bytes now and then look like text for a while
		res := analyzeWithin(t, 10*time.Second, ctx, []string{"-"}, randomBytes{rand.New(rand.NewPCG(uint64(i), 3))})
		if len(res.Errors) == 0 || len(res.Reports) != 0 {
			t.Fatalf("random bytes: errors %v, reports %d", problemLines(res.Errors), len(res.Reports))
		}
	}
	if _, err := os.Stat("/dev/urandom"); err == nil {
		res := analyzeWithin(t, 10*time.Second, ctx, []string{"/dev/urandom"}, nil)
		if len(res.Errors) == 0 {
			t.Errorf("/dev/urandom: no error")
		}
	}

	defer func(n int64) { maxInput = n }(maxInput)
	maxInput = 1 << 20
	rows := &endless{b: []byte(row("x", nil) + "\n")}
	res = analyzeWithin(t, 10*time.Second, ctx, []string{"-"}, io.MultiReader(strings.NewReader(header+"\n"+rootRow+"\n"), rows))
	containsAll(t, "errors", problemLines(res.Errors), []string{"the input is larger than 1 MiB: no credential report or key inventory is this large"})
}

// TestCaps pins what stops a file at once: a line longer than any report's,
// more rows than an account can have, more bytes than the cap, decompressed
// or not; and that the other inputs are still analysed.
func TestCaps(t *testing.T) {
	good := strings.ReplaceAll(report(rootRow, row("alice", key(1, true, "2025-01-01T00:00:04+00:00", ""))), "123456789012", "222222222222")
	zeros := func(n int) string {
		var b bytes.Buffer
		w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		w.Write(make([]byte, n))
		w.Close()
		return b.String()
	}
	long := strings.Repeat("a", 1<<20)
	var many []string
	for i := range maxRows + 5 {
		many = append(many, row(fmt.Sprintf("u%06d", i), nil))
	}
	tests := []struct {
		name, content string
		want          string
	}{
		{"a line without end", gz(long), "bad:1: a line longer than 64 KiB, which no credential report has"},
		{"a header, then one long row", header + "\n" + long, "bad:2: a line longer than 64 KiB"},
		{"a long line after good rows", report(rootRow, row("bob", nil), long), "bad:4: a line longer than 64 KiB"},
		{"JSON whose Content is one long line", envelope(header+"\n"+long, "2026-11-20T12:00:00Z"), "bad:2: a line longer than 64 KiB"},
		{"zeros", zeros(8 << 20), "bad: not a credential report: a binary file"},
		{"more rows than an account can have", report(append([]string{rootRow}, many...)...), fmt.Sprintf("bad:%d: more than 100000 rows", maxRows+2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := analyzeFiles(t, map[string]string{"bad": tt.content, "good.csv": good}, hour)
			containsAll(t, "errors", problemLines(res.Errors), []string{tt.want})
			n := 0
			for _, f := range res.Findings {
				if f.Source == "good.csv" {
					n++
				}
			}
			if n != 1 {
				t.Errorf("the good file gave %d findings, want 1", n)
			}
		})
	}
	t.Run("decompressed cap", func(t *testing.T) {
		defer func(n int64) { maxInput = n }(maxInput)
		maxInput = 1 << 20
		var rows []string
		for i := range 12000 {
			rows = append(rows, row(fmt.Sprintf("u%06d", i), nil))
		}
		res := analyzeFiles(t, map[string]string{"bad": gz(report(append([]string{rootRow}, rows...)...)), "good.csv": good}, hour)
		containsAll(t, "errors", problemLines(res.Errors), []string{"the input is larger than 1 MiB decompressed"})
		if len(res.Reports) != 2 {
			t.Errorf("reports %d: the rows before the cap are analysed, and the good file", len(res.Reports))
		}
	})
}

// TestOpenedOnce pins that every input is opened once: a FIFO, the
// /dev/fd/N of a shell's <(...) and standard input can be read only once.
func TestOpenedOnce(t *testing.T) {
	content := report(rootRow, row("alice", key(1, true, "2025-01-01T00:00:04+00:00", "")))
	for _, form := range []struct{ name, content string }{{"csv", content}, {"json", envelope(content, "2026-11-20T12:00:00Z")}, {"gzip", gz(content)}, {"inventory", inventory(entry("alice", idA, "Active", "2025-01-01T00:00:04Z"))}} {
		t.Run("fifo "+form.name, func(t *testing.T) {
			fifo := filepath.Join(t.TempDir(), "fifo")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Skip(err)
			}
			go func() {
				w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
				if err != nil {
					return
				}
				io.WriteString(w, form.content)
				w.Close()
			}()
			res := analyzeWithin(t, 10*time.Second, context.Background(), []string{fifo}, nil)
			if len(res.Errors) > 0 || len(res.Reports)+len(res.Inventories) != 1 {
				t.Errorf("errors %v, reports %d, inventories %d", problemLines(res.Errors), len(res.Reports), len(res.Inventories))
			}
		})
		t.Run("/dev/fd "+form.name, func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			go func() { io.WriteString(w, form.content); w.Close() }()
			res := analyzeWithin(t, 10*time.Second, context.Background(), []string{fmt.Sprintf("/dev/fd/%d", r.Fd())}, nil)
			if len(res.Errors) > 0 || len(res.Reports)+len(res.Inventories) != 1 {
				t.Errorf("errors %v, reports %d, inventories %d", problemLines(res.Errors), len(res.Reports), len(res.Inventories))
			}
		})
	}
}

// TestInterrupted pins that a read that cannot end (standard input that
// never comes, a FIFO nobody opens to write) does not keep Analyze from
// returning once the context is done, and that the result says so.
func TestInterrupted(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	pr, pw := io.Pipe()
	defer pw.Close()
	for name, in := range map[string]struct {
		paths []string
		stdin io.Reader
	}{"stdin": {[]string{"-"}, pr}, "fifo without a writer": {[]string{fifo}, nil}, "fifo read": {[]string{"/dev/stdin"}, nil}} {
		t.Run(name, func(t *testing.T) {
			if name == "fifo read" {
				// A FIFO opened, then never written: its read blocks.
				r, w, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				defer w.Close()
				in.paths = []string{fmt.Sprintf("/dev/fd/%d", r.Fd())}
			}
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			start := time.Now()
			res := analyzeWithin(t, 5*time.Second, ctx, in.paths, in.stdin)
			if d := time.Since(start); d > 1100*time.Millisecond {
				t.Errorf("Analyze returned %s after it was started, 100 ms before cancelling", d)
			}
			containsAll(t, "errors", problemLines(res.Errors), []string{"interrupted: context canceled"})
		})
	}
}

// TestMotoReport reads what moto's IAM server, through the real AWS CLI,
// printed for six users (testdata/moto): a fixed GeneratedTime of 2015,
// users created the day it was recorded, unsorted rows and not_supported
// for last-used regions and services. Every row is after the GeneratedTime
// and an error says so, but the report is analysed in full.
func TestMotoReport(t *testing.T) {
	res := Analyze(context.Background(), []string{"testdata/moto"}, nil, hour)
	if len(res.Reports) != 1 || res.Reports[0].Users != 6 || res.Reports[0].Lines != 6 || res.Reports[0].Rejected != 0 {
		t.Fatalf("reports = %+v", res.Reports)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, fmt.Sprintf("%s %d %s", f.User, f.KeySlot, f.Severity))
		if f.KeyAgeDays() != 0 {
			t.Errorf("%s: key age %d days after a GeneratedTime before the key", f.User, f.KeyAgeDays())
		}
	}
	if want := "-- 1 high, alice 1 high, alice 2 high, bob 1 low, carol 1 high"; strings.Join(got, ", ") != want {
		t.Errorf("findings %q, want %q", strings.Join(got, ", "), want)
	}
	if len(res.Errors) != 6 || !strings.Contains(res.Errors[0].Message, "after the report's GeneratedTime 2015-02-02T20:02:02Z") {
		t.Errorf("errors: %v", problemLines(res.Errors))
	}
}
