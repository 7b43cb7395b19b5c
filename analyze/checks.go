package analyze

import (
	"fmt"
	"strings"
)

// Benchmark is a version of the CIS AWS Foundations Benchmark.
type Benchmark string

// The benchmark versions whose control ids credreview knows, oldest first.
// v1.4 to v4.0 number these controls alike. v7.0 no longer lists the
// setup-key and two-active-keys controls.
var Benchmarks = []Benchmark{"cis-v1.2", "cis-v1.4", "cis-v1.5", "cis-v2.0", "cis-v3.0", "cis-v4.0", "cis-v5.0", "cis-v6.0"}

// ParseBenchmark reads a benchmark version: cis-v6.0, or 6.0, v6, 6.
func ParseBenchmark(s string) (Benchmark, error) {
	v := strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(s), "cis-"), "v")
	if !strings.Contains(v, ".") {
		v += ".0"
	}
	for _, b := range Benchmarks {
		if string(b) == "cis-v"+v {
			return b, nil
		}
	}
	var names []string
	for _, b := range Benchmarks {
		names = append(names, string(b))
	}
	return "", fmt.Errorf("unknown benchmark %q (want %s)", s, strings.Join(names, ", "))
}

// Check is one control that a credential report can decide: a small pure
// function of a row, with what the outputs say of it.
type Check struct {
	ID    string // as --checks names it
	Title string
	// Controls are its ids by benchmark version; a version without it has
	// none.
	Controls map[Benchmark]string
	// Severity is the rule of its findings' severity, and why.
	Severity string
	// NeedsAsOf is set for a check that measures ages: it runs once the
	// report's as-of time is known.
	NeedsAsOf bool
	// ControlDays is the period of the control, in days, by benchmark
	// version, for a check whose control names one; Days is the period the
	// review runs the check with (an option).
	ControlDays map[Benchmark]int
	Days        func(o *Options) int
	// Run appends the findings of one row.
	Run func(r *Row, env *CheckEnv, out []Finding) []Finding
}

// Control is the check's id in a benchmark version, or "" if that version
// does not have it.
func (c *Check) Control(b Benchmark) string { return c.Controls[b] }

// Newest is the newest benchmark version that has the check.
func (c *Check) Newest() Benchmark {
	for i := len(Benchmarks) - 1; i >= 0; i-- {
		if c.Controls[Benchmarks[i]] != "" {
			return Benchmarks[i]
		}
	}
	return ""
}

// controls spreads a check's ids over the versions: v1.2, v1.4 to v4.0
// (which number them alike), v5.0 and v6.0; "" where a version lacks it.
func controls(v12, v14to40, v50, v60 string) map[Benchmark]string {
	m := map[Benchmark]string{"cis-v1.2": v12, "cis-v5.0": v50, "cis-v6.0": v60}
	for _, b := range []Benchmark{"cis-v1.4", "cis-v1.5", "cis-v2.0", "cis-v3.0", "cis-v4.0"} {
		m[b] = v14to40
	}
	for b, v := range m {
		if v == "" {
			delete(m, b)
		}
	}
	return m
}

// periods spreads a control's period over the versions, as controls does
// its ids.
func periods(v12, v14to40, v50, v60 int) map[Benchmark]int {
	m := map[Benchmark]int{"cis-v1.2": v12, "cis-v5.0": v50, "cis-v6.0": v60}
	for _, b := range []Benchmark{"cis-v1.4", "cis-v1.5", "cis-v2.0", "cis-v3.0", "cis-v4.0"} {
		m[b] = v14to40
	}
	return m
}

// Label names the check's control in benchmark version b as the outputs
// show it: "CIS v6.0 2.13"; "not in CIS v1.2" for a version without it;
// with the control's period where it differs from the one the review ran
// with, "CIS v1.2 1.3 (a 90-day control; this review: 45 days)". With no
// version, the newest that has the check.
func (c *Check) Label(b Benchmark, o *Options) string {
	if b == "" {
		b = c.Newest()
	}
	v := strings.TrimPrefix(string(b), "cis-")
	id := c.Control(b)
	if id == "" {
		return "not in CIS " + v
	}
	label := "CIS " + v + " " + id
	if d := c.ControlDays[b]; d != 0 && c.Days != nil && d != c.Days(o) {
		label += fmt.Sprintf(" (a %d-day control; this review: %d days)", d, c.Days(o))
	}
	return label
}

// The check ids.
const (
	CheckSetupKey          = "setup-key"
	CheckRootAccessKey     = "root-access-key"
	CheckRootMFA           = "root-mfa"
	CheckRootUsed          = "root-used"
	CheckConsoleMFA        = "console-mfa"
	CheckUnusedCredentials = "unused-credentials"
	CheckTwoActiveKeys     = "two-active-keys"
	CheckKeyRotation       = "key-rotation"
)

// Checks are every check, in the order the outputs list them.
var Checks = []*Check{
	{ID: CheckSetupKey, Title: "Access keys created during a console user's initial setup",
		Controls: controls("1.21", "1.11", "1.10", "2.10"),
		Severity: "high: active and never used, the control's failing case; medium: active and used, so confirm with the owner first; low: inactive, delete it to finish the job",
		Run:      checkSetupKey},
	{ID: CheckRootAccessKey, Title: "The root user has an active access key",
		Controls: controls("1.12", "1.4", "1.3", "2.3"),
		Severity: "high: a root key can do anything in the account and cannot be limited by any policy",
		Run:      checkRootAccessKey},
	{ID: CheckRootMFA, Title: "The root user has no MFA",
		Controls: controls("1.13", "1.5", "1.4", "2.4"),
		Severity: "high: the root user's password alone gives all of the account",
		Run:      checkRootMFA},
	{ID: CheckRootUsed, Title: "The root user was used recently",
		Controls:  controls("1.1", "1.7", "1.6", "2.6"),
		Severity:  "medium: root use is not wrong in itself (some tasks need it) but must be rare and known; find out who and why",
		NeedsAsOf: true,
		Days:      (*Options).rootUseDays,
		Run:       checkRootUsed},
	{ID: CheckConsoleMFA, Title: "A console user has no MFA",
		Controls: controls("1.2", "1.10", "1.9", "2.9"),
		Severity: "high: a console password alone opens the account to anyone who learns it",
		Run:      checkConsoleMFA},
	{ID: CheckUnusedCredentials, Title: "A password or an active access key unused for the period",
		Controls:  controls("1.3", "1.12", "1.11", "2.11"),
		Severity:  "medium: a credential nobody uses is one nobody would miss if it leaked",
		NeedsAsOf: true,
		// v1.2's control is "unused for 90 days or greater"; from v1.4 on,
		// 45 days.
		ControlDays: periods(90, 45, 45, 45),
		Days:        (*Options).unusedDays,
		Run:         checkUnusedCredentials},
	{ID: CheckTwoActiveKeys, Title: "A user has two active access keys",
		Controls: controls("", "1.13", "1.12", "2.12"),
		Severity: "low: two keys are normal for a rotation in progress; left so, the older one is a spare credential",
		Run:      checkTwoActiveKeys},
	{ID: CheckKeyRotation, Title: "An active access key older than the rotation period",
		Controls:    controls("1.4", "1.14", "1.13", "2.13"),
		Severity:    "medium: the longer a key lives, the more places it has been copied to",
		NeedsAsOf:   true,
		ControlDays: periods(90, 90, 90, 90),
		Days:        (*Options).rotationDays,
		Run:         checkKeyRotation},
}

// idPrefix starts the ids of a check's findings. A switch, not a field of
// Checks: the findings' ids are made while Checks is being built.
func idPrefix(check string) string {
	switch check {
	case CheckRootAccessKey:
		return "RK"
	case CheckRootMFA:
		return "RM"
	case CheckRootUsed:
		return "RU"
	case CheckConsoleMFA:
		return "CM"
	case CheckUnusedCredentials:
		return "UC"
	case CheckTwoActiveKeys:
		return "TK"
	case CheckKeyRotation:
		return "KR"
	}
	return "SK"
}

// CheckByID finds a check.
func CheckByID(id string) *Check {
	for _, c := range Checks {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// KnownCheck reports whether name is one of credreview's checks.
func KnownCheck(name string) bool { return CheckByID(name) != nil }

// ParseChecks reads --checks: all, or a comma-separated list of check ids.
func ParseChecks(list string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, id := range strings.Split(list, ",") {
		id = strings.ToLower(strings.TrimSpace(id))
		switch {
		case id == "":
			continue
		case id == "all":
			out = out[:0]
			for _, c := range Checks {
				out = append(out, c.ID)
			}
			return out, nil
		case !KnownCheck(id):
			var ids []string
			for _, c := range Checks {
				ids = append(ids, c.ID)
			}
			return nil, fmt.Errorf("unknown check %q (want all, or some of %s)", id, strings.Join(ids, ", "))
		case !seen[id]:
			seen[id] = true
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("names no check")
	}
	// In the table's order, whatever the order given.
	var ordered []string
	for _, c := range Checks {
		if seen[c.ID] {
			ordered = append(ordered, c.ID)
		}
	}
	return ordered, nil
}

// NotChecked are controls a credential report cannot decide, with the
// command that does.
var NotChecked = []struct {
	Title    string
	Controls map[Benchmark]string
	Command  string
}{
	{"Hardware MFA for the root user", controls("1.14", "1.6", "1.5", "2.5"),
		`aws iam list-virtual-mfa-devices --assignment-status Assigned --query "VirtualMFADevices[?ends_with(User.Arn, ':root')].SerialNumber"  # a result means the root user's MFA is virtual, not hardware`},
}
