package formats

import (
	"strings"

	"github.com/credreview/credreview/analyze"
)

// view is a review as every writer shows it: the accounts with their
// findings and counts, and the columns of a finding as data. It is built
// once, in one pass over the findings (which are sorted by account), so that
// the writers never regroup them and never disagree on what they show.
type view struct {
	*Review
	// Accounts are the analysed reports' accounts, sorted, each with its
	// findings in the review's order; an account with no findings is listed
	// with none.
	Accounts []accountView
	Total    analyze.Counts

	// Active are the findings to act on, in the review's order; Excepted
	// those an exception holds for, shown apart and never acted on.
	Active, Excepted []*analyze.Finding
}

// accountView is one account of a review.
type accountView struct {
	ID        string // "" for a report without rows
	Partition string
	Findings  []*analyze.Finding
	Counts    analyze.Counts
}

// newView builds the view of a review.
func newView(r *Review) *view {
	v := &view{Review: r}
	byID := map[string]int{}
	for _, a := range r.Accounts() {
		byID[a] = len(v.Accounts)
		v.Accounts = append(v.Accounts, accountView{ID: a})
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Excepted() {
			v.Excepted = append(v.Excepted, f)
			continue
		}
		v.Active = append(v.Active, f)
		v.Total[f.Severity]++
		n, ok := byID[f.AccountID]
		if !ok { // a finding of an account no report names: keep it visible
			n = len(v.Accounts)
			byID[f.AccountID] = n
			v.Accounts = append(v.Accounts, accountView{ID: f.AccountID})
		}
		a := &v.Accounts[n]
		a.Findings = append(a.Findings, f)
		a.Counts[f.Severity]++
		if a.Partition == "" {
			a.Partition = f.Partition
		}
	}
	return v
}

// summaryAccounts is the most accounts (or reports) the workbook's Summary
// lists; a review of more has an Accounts sheet that lists them.
const summaryAccounts = 50

// manyAccounts reports whether the review has more accounts or reports than
// the Summary lists.
func (v *view) manyAccounts() bool {
	return len(v.Accounts) > summaryAccounts || len(v.Reports) > summaryAccounts
}

// withFindings lists the accounts that have findings.
func (v *view) withFindings() []*accountView {
	var out []*accountView
	for i := range v.Accounts {
		if len(v.Accounts[i].Findings) > 0 {
			out = append(out, &v.Accounts[i])
		}
	}
	return out
}

// cellKind says how a column's cells look in the workbook.
type cellKind int

const (
	kindText     cellKind = iota // wrapped text
	kindSeverity                 // the severity, coloured
	kindNumber                   // a whole number
	kindCenter                   // a short value, centred
	kindCode                     // a command or an identifier, monospace
	kindInput                    // a cell the board fills in
)

// column is one column of the findings table: its heading, its width in
// characters in the workbook, how it looks, and its value for a finding.
// The headings of the board's columns are an interface: credreview script
// --approved finds the columns by them.
type column struct {
	Title string
	Width float64
	Kind  cellKind
	Value func(f *analyze.Finding) string
}

// The headings script --approved reads back.
const (
	colID       = "ID"
	colSeverity = "Severity"
	colAccount  = "Account"
	colUser     = "User"
	colKey      = "Key"
	colDecision = "Decision"
	colReviewer = "Reviewer"
	colTicket   = "Change ticket"
	colNotes    = "Notes"
	// The Excepted sheet's and section's: where the exception is.
	colException = "Exception"
)

// boardColumns are what a change board decides on, then its decision: the
// printed part of the Findings sheet.
var boardColumns = []column{
	{colID, 14, kindCode, func(f *analyze.Finding) string { return f.ID }},
	{colSeverity, 8.5, kindSeverity, func(f *analyze.Finding) string { return f.Severity.String() }},
	{colAccount, 13.5, kindCenter, func(f *analyze.Finding) string { return f.AccountID }},
	{colUser, 16, kindText, func(f *analyze.Finding) string { return f.User }},
	{colKey, 22, kindCode, keyText},
	{"Status", 8.5, kindCenter, statusText},
	{"After user", 10.5, kindCenter, afterUser},
	{"Last used", 17, kindText, lastUsedShort},
	{"Recommended action", 25, kindText, actionText},
	{colDecision, 10, kindInput, nil},
	{colReviewer, 12, kindInput, nil},
	{colTicket, 11, kindInput, nil},
	{colNotes, 22, kindInput, nil},
}

// evidenceColumns follow the board's: everything the report and the
// inventories say of the key, for a reviewer who wants to check.
var evidenceColumns = []column{
	{"Check", 10, kindText, func(f *analyze.Finding) string { return f.Check }},
	{"Detail", 40, kindText, func(f *analyze.Finding) string { return f.Detail }},
	{"Partition", 10, kindText, func(f *analyze.Finding) string { return f.Partition }},
	{"ARN", 40, kindText, func(f *analyze.Finding) string { return f.ARN }},
	{"Key slot", 8, kindNumber, func(f *analyze.Finding) string { return string(rune('0' + f.KeySlot)) }},
	{"Key id", 23, kindCode, func(f *analyze.Finding) string { return f.KeyID }},
	{"Key id source", 40, kindText, func(f *analyze.Finding) string { return f.KeyIDNote }},
	{"User created", 21, kindText, func(f *analyze.Finding) string { return stamp(f.UserCreated) }},
	{"Key created", 21, kindText, func(f *analyze.Finding) string { return stamp(f.KeyCreated) }},
	{"Key last used", 21, kindText, func(f *analyze.Finding) string { return orNever(stamp(f.KeyLastUsed)) }},
	{"Last used service", 12, kindText, func(f *analyze.Finding) string { return reportValue(f.KeyLastUsedService) }},
	{"Last used region", 12, kindText, func(f *analyze.Finding) string { return reportValue(f.KeyLastUsedRegion) }},
	{"Password last used", 21, kindText, func(f *analyze.Finding) string { return f.PasswordLastUsed.String() }},
	{"MFA", 6, kindCenter, func(f *analyze.Finding) string { return yesNo(f.MFAActive) }},
	{"Inventory status", 10, kindCenter, func(f *analyze.Finding) string { return f.InventoryStatus }},
	{"Inventory notes", 40, kindText, func(f *analyze.Finding) string { return strings.Join(f.Notes, "\n") }},
	{"Source", 30, kindText, func(f *analyze.Finding) string { return f.Source }},
	{"Line", 7, kindNumber, func(f *analyze.Finding) string { return itoa(f.Line) }},
}

// findingColumns are the Findings sheet's columns, in order.
var findingColumns = append(append([]column(nil), boardColumns...), evidenceColumns...)

// columnIndex finds a column of findingColumns by its heading.
func columnIndex(title string) int {
	for i, c := range findingColumns {
		if c.Title == title {
			return i
		}
	}
	panic("no column " + title)
}

// keyText names the credential: a key by its id where an inventory gave
// it, else by its slot and creation time, which is how the commands find
// it; the console password, or the root user, for a finding without a key.
func keyText(f *analyze.Finding) string {
	switch {
	case !f.HasKey():
		return analyze.CheckByID(f.Check).Keyless
	case f.KeyID != "":
		return f.KeyID
	}
	return "key " + itoa(f.KeySlot) + ", created\n" + stamp(f.KeyCreated)
}

// statusText is a key's status; the password's state for a finding about
// a password.
func statusText(f *analyze.Finding) string {
	if f.HasKey() {
		return statusWord(f.KeyActive)
	}
	return analyze.CheckByID(f.Check).KeylessStatus
}

// afterUser is how long after its user a key was made, for the setup-key
// check, which is about that.
func afterUser(f *analyze.Finding) string {
	if !analyze.CheckByID(f.Check).AfterUser {
		return ""
	}
	return analyze.HumanSeconds(f.SecondsAfterUserCreated())
}

// lastUsedShort says when and where a key was last used, to the minute;
// for a finding about the password, when it was.
func lastUsedShort(f *analyze.Finding) string {
	if f.KeySlot == 0 {
		switch p := f.PasswordLastUsed; {
		case !p.Time.IsZero():
			return p.Time.UTC().Format("2006-01-02 15:04")
		case p.Never:
			return "never"
		}
		return "no information"
	}
	if f.KeyLastUsed.IsZero() {
		return "never"
	}
	s := f.KeyLastUsed.UTC().Format("2006-01-02 15:04")
	var where []string
	for _, v := range []string{f.KeyLastUsedService, f.KeyLastUsedRegion} {
		if v := reportValue(v); v != "" {
			where = append(where, v)
		}
	}
	if len(where) > 0 {
		s += " (" + strings.Join(where, ", ") + ")"
	}
	return s
}

// actionText is what the review recommends for a finding.
func actionText(f *analyze.Finding) string { return analyze.CheckByID(f.Check).Action(f) }

// inUse says, for an active key that was used, when, by what and where:
// the operator watches that workload once the key is off.
func inUse(f *analyze.Finding) string {
	if f.KeyLastUsed.IsZero() || !f.ActiveBeforeChange() {
		return ""
	}
	s := "in use: last used " + stamp(f.KeyLastUsed)
	if v := reportValue(f.KeyLastUsedService); v != "" {
		s += " by " + v
	}
	if v := reportValue(f.KeyLastUsedRegion); v != "" {
		s += " in " + v
	}
	return s
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// Phases of the Commands sheet: one row per finding and phase that has
// something to do for it.
var commandPhases = []struct {
	Name, What string
	Commands   func(c *analyze.Commands) []string
}{
	{"test", "before the change: the credential is there as the report shows", func(c *analyze.Commands) []string { return c.Test }},
	{"by hand", "what a person must do, where no command can or before one", func(c *analyze.Commands) []string {
		if c.Manual == "" {
			return nil
		}
		return []string{"# " + c.Manual}
	}},
	{"deactivate", "step 1: set the key Inactive, or remove the password", func(c *analyze.Commands) []string { return nonEmpty(c.Deactivate) }},
	{"delete", "step 2, once nothing broke: delete the key", func(c *analyze.Commands) []string { return nonEmpty(c.Delete) }},
	{"reactivate", "backout of step 1", func(c *analyze.Commands) []string {
		if len(c.Backout) == 2 {
			return c.Backout[:1]
		}
		return nil
	}},
	{"recreate", "backout of a deletion: a new credential", func(c *analyze.Commands) []string {
		if len(c.Backout) > 0 {
			return c.Backout[len(c.Backout)-1:]
		}
		return nil
	}},
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
