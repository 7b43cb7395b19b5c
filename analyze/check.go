package analyze

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// A check is one control that a credential report can decide, and
// everything credreview says and does about it: it lives in one file,
// check_ID.go, which registers it. The writers, the usage text, the
// README's table of checks and the JSON Schema take what they show of a
// check from here, and tests hold them to it.

// Check is one control: a small pure function of a typed row, with what
// the outputs say of it and the commands that remedy its findings.
type Check struct {
	ID     string // as --checks names it
	Order  int    // its place in Checks: the order outputs list checks in
	Prefix string // starts its findings' ids, such as SK in SK-AC3423442C
	Title  string
	// Default marks the check run when --checks is not given: setup-key,
	// the control credreview is named for.
	Default bool
	// Root marks a check about the root user's row; the others are about
	// IAM users, and skip it.
	Root bool
	// NeedsAsOf is set for a check that measures ages: it runs once the
	// report's as-of time is known.
	NeedsAsOf bool

	// Controls are its ids by benchmark version; a version without it has
	// none.
	Controls map[Benchmark]string
	// ControlDays is the period of the control, in days, by benchmark
	// version, for a check whose control names one; Days is the period the
	// review runs the check with (an option).
	ControlDays map[Benchmark]int
	Days        func(o *Options) int

	// Severity is the rule of its findings' severity, and why.
	Severity string
	// Rule says what the check finds, with the review's options.
	Rule func(o *Options) string
	// Action is what the review recommends for a finding.
	Action func(f *Finding) string
	// Keyless names what a finding without a key is about ("console
	// password", "root user"), and KeylessStatus its state ("no MFA").
	Keyless, KeylessStatus string
	// AfterUser marks a check about how long after its user a key was
	// made: the outputs show that time.
	AfterUser bool

	// NotInCISv7 marks a control that CIS v7.0 no longer lists.
	NotInCISv7 bool

	// Documents are the texts of a review that ran this check alone, where
	// they differ from those of a review of several checks; nil for a
	// check that has none.
	Documents *Documents

	// Run appends the findings of one row.
	Run func(r *Row, env *CheckEnv, out []Finding) []Finding
	// Commands writes the commands that test, carry out and back out the
	// remedy of a finding.
	Commands func(f *Finding) Commands
}

// Documents are what a review of one check says of it.
type Documents struct {
	ReviewTitle string // the workbook's title
	ChangeTitle string // the change request's title
	// Control names the control in every version, with its wording.
	Control string
	// ShortRule is the rule in a line, with the review's options.
	ShortRule func(o *Options) string
	// Explain says how the check decides, in paragraphs.
	Explain func(o *Options) []string
	// Severities say what each severity asks of the board.
	Severities map[Severity]string
	// NoFindings says that the review found nothing.
	NoFindings string
}

// Checks are every check, in the order the outputs list them.
var Checks []*Check

// register adds a check to Checks, in its order; each check's file calls
// it from init.
func register(c *Check) *Check {
	if CheckByID(c.ID) != nil || slices.ContainsFunc(Checks, func(o *Check) bool { return o.Order == c.Order || o.Prefix == c.Prefix }) {
		panic("analyze: check " + c.ID + " registered twice, or its order or prefix taken")
	}
	Checks = append(Checks, c)
	slices.SortFunc(Checks, func(a, b *Check) int { return cmp.Compare(a.Order, b.Order) })
	return c
}

// DefaultCheck is the check run when --checks is not given.
func DefaultCheck() *Check {
	for _, c := range Checks {
		if c.Default {
			return c
		}
	}
	panic("analyze: no default check")
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

// CheckIDs lists the checks' ids in order.
func CheckIDs() []string {
	var ids []string
	for _, c := range Checks {
		ids = append(ids, c.ID)
	}
	return ids
}

// checkOrder is a check's place in Checks.
func checkOrder(id string) int {
	if c := CheckByID(id); c != nil {
		return c.Order
	}
	return len(Checks) + 1000
}

// ParseChecks reads --checks: all, or a comma-separated list of check ids.
func ParseChecks(list string) ([]string, error) {
	seen := map[string]bool{}
	for _, id := range strings.Split(list, ",") {
		id = strings.ToLower(strings.TrimSpace(id))
		switch {
		case id == "":
			continue
		case id == "all":
			return CheckIDs(), nil
		case !KnownCheck(id):
			return nil, fmt.Errorf("unknown check %q (want all, or some of %s)", id, strings.Join(CheckIDs(), ", "))
		}
		seen[id] = true
	}
	if len(seen) == 0 {
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

// Benchmark is a version of the CIS AWS Foundations Benchmark.
type Benchmark string

// The benchmark versions whose control ids credreview knows, oldest first.
// v1.4 to v4.0 number these controls alike.
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

// Version is the benchmark's version as people write it: v6.0.
func (b Benchmark) Version() string { return strings.TrimPrefix(string(b), "cis-") }

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

// Label names the check's control in benchmark version b as the outputs
// show it: "CIS v6.0 2.13"; "not in CIS v1.2" for a version without it;
// with the control's period where it differs from the one the review ran
// with, "CIS v1.2 1.3 (a 90-day control; this review: 45 days)". With no
// version, the newest that has the check.
func (c *Check) Label(b Benchmark, o *Options) string {
	if b == "" {
		b = c.Newest()
	}
	id := c.Control(b)
	if id == "" {
		return "not in CIS " + b.Version()
	}
	label := "CIS " + b.Version() + " " + id
	if d := c.ControlDays[b]; d != 0 && c.Days != nil && d != c.Days(o) {
		label += fmt.Sprintf(" (a %d-day control; this review: %d days)", d, c.Days(o))
	}
	return label
}

// ControlsText writes a check's ids by version: CIS v1.2 §1.21, CIS v1.4
// to v4.0 §1.11, CIS v5.0 §1.10, CIS v6.0 §2.10.
func ControlsText(m map[Benchmark]string) string {
	var parts []string
	for i := 0; i < len(Benchmarks); {
		b := Benchmarks[i]
		id := m[b]
		j := i
		for j+1 < len(Benchmarks) && m[Benchmarks[j+1]] == id {
			j++
		}
		if id != "" {
			v := b.Version()
			if j > i {
				v += " to " + Benchmarks[j].Version()
			}
			parts = append(parts, "CIS "+v+" §"+id)
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

// Line describes a check in one line: its id, its CIS ids and its title.
func (c *Check) Line() string { return c.ID + " (" + ControlsText(c.Controls) + "): " + c.Title }

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

// CheckEnv is what a check knows besides the row: the options, the report,
// and the time ages are measured to.
type CheckEnv struct {
	Opts      *Options
	Source    string
	AccountID string
	Partition string
	// AsOf is the report's as-of time in Unix seconds: set for the checks
	// that measure ages (NeedsAsOf), which run once it is known.
	AsOf int64
}
