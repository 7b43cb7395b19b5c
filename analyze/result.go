package analyze

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Severity ranks a finding by what it asks of a change board.
type Severity int

// The severities, lowest first, so that they compare as numbers.
const (
	SeverityNone Severity = iota
	SeverityLow
	SeverityMedium
	SeverityHigh
)

var severityNames = [...]string{"none", "low", "medium", "high"}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity reads none, low, medium or high.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(s, n) {
			return Severity(i), nil
		}
	}
	return SeverityNone, fmt.Errorf("unknown severity %q (want none, low, medium or high)", s)
}

// Severities lists the severities a finding can have, highest first.
var Severities = []Severity{SeverityHigh, SeverityMedium, SeverityLow}

// How the as-of time of a report was chosen.
const (
	AsOfFlag      = "--as-of"
	AsOfGenerated = "generated time"
	AsOfNewest    = "newest timestamp in the report"
)

// Result is everything one analysis found, in a deterministic order: the
// same inputs and options give an equal Result.
type Result struct {
	Options Options

	// Reports are the reports analysed, in input order; Superseded are older
	// reports of an account that another input also covers, not analysed.
	Reports    []Report
	Superseded []Report

	// Inventories are the key inventories read, in input order.
	Inventories []Inventory

	// ExceptionFiles are the exceptions files applied, in the order given.
	ExceptionFiles []ExceptionFile

	// Evidence are the checks of the evidence manifests that govern the
	// inputs; none when no input was sealed.
	Evidence []EvidenceCheck

	// Findings are sorted by account, user and key slot.
	Findings []Finding

	// Warnings say what was odd but still analysed; Errors what could not be
	// read. Both are in input order, then by line.
	Warnings []Problem
	Errors   []Problem
}

// Report describes one credential report that was read.
type Report struct {
	Source    string // the path as given, or "-" for standard input
	SHA256    string // of the bytes as given (compressed, if the file was)
	Format    string // "csv" or "get-credential-report json", with "+gzip"
	AccountID string // from the ARNs; "" when the report has no rows
	Partition string
	Generated time.Time // the envelope's GeneratedTime; zero when unknown
	AsOf      time.Time // what ages in this report are measured to
	AsOfRule  string    // AsOfFlag, AsOfGenerated or AsOfNewest

	Users        int // IAM users, not counting the root user
	ConsoleUsers int // users with a password
	Keys         int // access keys of IAM users

	// Lines is the number of data lines read: every line after the header
	// that is not blank, up to the end of the file or to what stopped the
	// reading of it. Each is either checked or named in an error, never both:
	// Lines = Rejected + the rows checked, and no row is lost in silence.
	Lines    int
	Rejected int // data lines named in an error, whose rows were not checked

	// SupersededBy names the newer report of the same account that replaced
	// this one; empty for analysed reports.
	SupersededBy string

	keys   []uint64 // keyHash of each key, to count the keys an unbound inventory entry matches
	users  userList // its IAM users, to hold a newer report of the account to it
	newest int64    // the newest time of the rows not dated after the report
}

// Finding is one setup-time access key.
type Finding struct {
	ID       string // stable across runs: derived from account, user, slot and key creation
	Check    string
	Severity Severity

	Source    string // the report it came from
	Line      int    // of the user's row in that report
	AccountID string
	Partition string
	User      string
	ARN       string

	KeySlot   int    // 1 or 2, as in access_key_N_*
	KeyID     string // empty until an inventory names the key
	KeyIDNote string // where KeyID came from, or why it is unknown
	KeyActive bool

	UserCreated time.Time
	KeyCreated  time.Time
	AsOf        time.Time

	KeyLastUsed        time.Time // zero when never used
	KeyLastUsedService string
	KeyLastUsedRegion  string

	// PasswordLastUsed is a time, or "never" or "no_information" as the
	// report says.
	PasswordLastUsed PasswordUse
	// PasswordLastChanged is when the password was set; zero when the
	// report has no time.
	PasswordLastChanged time.Time
	MFAActive           bool

	// Detail says in a sentence what the check saw.
	Detail string

	// InventoryStatus is the key's status in the inventory that named it
	// (Active, Inactive or Expired); empty when no inventory did.
	InventoryStatus string

	// Notes are what key inventories say that differs from the report,
	// and what an expired exception said.
	Notes []string

	// Exception, when set, is the exception that holds for the finding:
	// the board accepted it, and it is shown apart, never acted on.
	Exception *Exception `json:",omitempty"`
}

// Excepted reports whether an exception holds for the finding.
func (f *Finding) Excepted() bool { return f.Exception != nil }

// ActiveBeforeChange tells whether the key is active before the change, by
// the newest evidence: an inventory that names the key (saved at or after
// the report), else the report. Backing out a deactivation turns on only a
// key that was active.
func (f *Finding) ActiveBeforeChange() bool {
	if f.InventoryStatus != "" {
		return f.InventoryStatus == "Active"
	}
	return f.KeyActive
}

// Commands writes the commands that test, remove and restore the finding's
// key. They are derived, not stored: a batch can have tens of thousands of
// findings, and each output format asks for them once as it writes.
func (f *Finding) Commands() Commands { return CheckByID(f.Check).Commands(f) }

// HasKey reports whether the finding is about an access key: one about a
// password or the root user has no key slot, key times or key age.
func (f *Finding) HasKey() bool { return f.KeySlot > 0 }

// Subject names what the finding is about, as a line of an output says it:
// "key 2 created 2025-01-01T00:00:04Z", "console password", "root user".
func (f *Finding) Subject() string {
	if f.HasKey() {
		return "key " + string(rune('0'+f.KeySlot)) + " created " + stampOf(f.KeyCreated)
	}
	return CheckByID(f.Check).Keyless
}

// SecondsAfterUserCreated is how long after its user the key was created.
// It is computed in Unix seconds: time.Time.Sub saturates at about 292
// years, which a hand-edited date reaches.
func (f *Finding) SecondsAfterUserCreated() int64 {
	return f.KeyCreated.Unix() - f.UserCreated.Unix()
}

// KeyAgeDays is the key's age in whole days at the report's as-of time; 0
// when the as-of time is before the key was created (--as-of before it, or
// a key dated after the report's generated time), never negative. It means
// nothing for a finding without a key (HasKey).
func (f *Finding) KeyAgeDays() int64 {
	return max(0, (f.AsOf.Unix()-f.KeyCreated.Unix())/86400)
}

// PasswordUse is a report's password_last_used: a time, or a sentinel.
type PasswordUse struct {
	Time time.Time // zero unless the report has a time
	// Never is true for N/A: the password was never used. When both Time is
	// zero and Never is false, the report said no_information (never used,
	// or used before October 2014 when tracking began).
	Never bool
}

func (p PasswordUse) String() string {
	switch {
	case !p.Time.IsZero():
		return p.Time.Format(time.RFC3339)
	case p.Never:
		return "never"
	}
	return noInformation
}

// Commands are the shell commands that test, carry out and back out the
// remediation of one finding, each list in the order to run it.
type Commands struct {
	Test      []string
	Implement []string // first deactivate, then delete (only an Inactive key)
	Backout   []string // reactivate while only deactivated; after deletion, a new key

	// Lookup is read-only: it prints the id and status of each key that is
	// the finding's (one line each: exactly one line when the key is there
	// and the commands can act on it); for a password, when it was set.
	Lookup string

	// Manual is what a person must do where no command can, or must do
	// before one (create and deliver a new key).
	Manual string `json:",omitempty"`

	// Deactivate, Delete and Reactivate are the commands the script's
	// phases run: "" where a phase has nothing to do for the finding.
	Deactivate, Delete, Reactivate string
}

// Automated reports whether the script acts on the finding.
func (c *Commands) Automated() bool { return c.Deactivate != "" || c.Delete != "" }

// ExceptionFile is an exceptions file that was applied to a review.
type ExceptionFile struct {
	Source  string
	SHA256  string
	Entries int
}

// Problem is an input error or warning, tied to a file and, where it is
// about one row, a line.
type Problem struct {
	Source  string
	Line    int // 0 when the problem is not about one line
	Message string
	Hint    string // a likely fix, or empty

	// fatal marks a problem that stopped the reading of its input at once
	// (a cap, a failed read), as against one found in what was read.
	fatal bool
	// syntax marks a JSON document that is not valid JSON.
	syntax bool
	// notReport marks a file that is plainly not a report or an inventory
	// (a README, notes, a spreadsheet), as against a report that is broken.
	notReport bool
}

func (p Problem) Error() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.Source, p.Line, p.Message)
	}
	if p.Source == "" {
		return p.Message
	}
	return p.Source + ": " + p.Message
}

// Counts tallies findings per severity.
type Counts [len(severityNames)]int

// Total is the number of findings counted.
func (c Counts) Total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// CountBySeverity tallies the findings no exception holds for, optionally
// of one account ("" for all).
func (r *Result) CountBySeverity(account string) Counts {
	var c Counts
	for i := range r.Findings {
		if r.Findings[i].Excepted() {
			continue
		}
		if account == "" || r.Findings[i].AccountID == account {
			c[r.Findings[i].Severity]++
		}
	}
	return c
}

// Accounts lists the accounts of the analysed reports, sorted, without
// repeats; a report without rows counts as account "".
func (r *Result) Accounts() []string {
	var out []string
	seen := map[string]bool{}
	for _, rep := range r.Reports {
		if !seen[rep.AccountID] {
			seen[rep.AccountID] = true
			out = append(out, rep.AccountID)
		}
	}
	sort.Strings(out)
	return out
}

// Highest is the highest severity among the findings no exception holds
// for, SeverityNone if none.
func (r *Result) Highest() Severity {
	h := SeverityNone
	for i := range r.Findings {
		if !r.Findings[i].Excepted() {
			h = max(h, r.Findings[i].Severity)
		}
	}
	return h
}

// ExceptedCount is how many findings an exception holds for.
func (r *Result) ExceptedCount() int {
	n := 0
	for i := range r.Findings {
		if r.Findings[i].Excepted() {
			n++
		}
	}
	return n
}
