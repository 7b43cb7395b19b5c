package analyze

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// Outcome is what newer evidence says of a finding of an earlier review.
type Outcome string

// The outcomes, from best to worst.
const (
	// Remediated: the credential is gone (a key's slot is empty or holds a
	// key made later, an inventory no longer lists its id), or the check
	// no longer finds it.
	Remediated Outcome = "remediated"
	// Deactivated: the key is still there, Inactive.
	Deactivated Outcome = "deactivated"
	// StillActive: the finding is still there, its key active.
	StillActive Outcome = "still-active"
	// UserDeleted: the account's newer report has no row for the user.
	UserDeleted Outcome = "user-deleted"
	// Unknown: the newer evidence does not cover the account, or cannot
	// be trusted for it.
	Unknown Outcome = "unknown"
)

// Outcomes lists the outcomes in the order outputs count them.
var Outcomes = []Outcome{Remediated, Deactivated, StillActive, UserDeleted, Unknown}

// Verified is the outcome of one finding of the earlier review, and what
// showed it.
type Verified struct {
	Finding  Finding // as the earlier review had it
	Outcome  Outcome
	Evidence string
}

// Verification is what newer evidence says of an earlier review: an
// outcome for each of its findings, in its order, and the findings of the
// newer evidence it did not have.
type Verification struct {
	Results []Verified
	New     []Finding
}

// Count tallies the results by outcome.
func (v *Verification) Count() map[Outcome]int {
	m := map[Outcome]int{}
	for _, r := range v.Results {
		m[r.Outcome]++
	}
	return m
}

// FailsAtOrAbove reports whether a finding at or above sev is still
// active, or could not be verified, not counting those the review
// excepted.
func (v *Verification) FailsAtOrAbove(sev Severity) bool {
	for _, r := range v.Results {
		if (r.Outcome == StillActive || r.Outcome == Unknown) && r.Finding.Severity >= sev && !r.Finding.Excepted() {
			return true
		}
	}
	return false
}

// VerifyEvidence analyses newer evidence (paths, as Analyze reads them)
// with opts, the prior review's checks and periods, and says what it shows
// of each of the prior review's findings (see Verify). It returns the
// analysis of the newer evidence beside the verification.
func VerifyEvidence(ctx context.Context, prior *Result, paths []string, stdin io.Reader, opts Options) (newer *Result, v *Verification, errs, warns []Problem) {
	idx := newRowIndex(prior.Findings)
	newer = analyze(ctx, paths, stdin, opts, idx.observe)
	if ctx.Err() != nil {
		return newer, &Verification{}, nil, nil
	}
	v, errs, warns = verify(prior.Findings, prior.Reports, prior.Inventories, newer, idx)
	return newer, v, errs, warns
}

// rowIndex keeps, from the rows of newer evidence, what verifying an
// earlier review needs: for each report, the keys of the users of the
// review's findings. It keeps rows by report, since which of an account's
// reports speaks for it (the newest) is known only once all are read.
type rowIndex struct {
	mu   sync.Mutex
	want map[string]bool                // lower-case user names of the earlier findings
	rows map[string]map[string]seenUser // report source → lower-case user → what it holds
}

// seenUser is what verifying keeps of a user's row: when the user was made
// (a user deleted and made again under the same name is another user), and
// its keys.
type seenUser struct {
	created When
	keys    [2]Key
}

// newRowIndex makes an index of the users of the findings given.
func newRowIndex(prior []Finding) *rowIndex {
	x := &rowIndex{want: map[string]bool{}, rows: map[string]map[string]seenUser{}}
	for i := range prior {
		x.want[strings.ToLower(prior[i].User)] = true
	}
	return x
}

// observe keeps a row of newer evidence, if it is of a user the index
// wants: a rowSink.
func (x *rowIndex) observe(rep *Report, r *Row) {
	u := strings.ToLower(r.User)
	want := x.want[u] // read only, once made
	x.mu.Lock()
	defer x.mu.Unlock()
	m := x.rows[rep.Source]
	if m == nil {
		m = map[string]seenUser{}
		x.rows[rep.Source] = m
	}
	if want {
		keys := r.Keys
		for i := range keys {
			keys[i].Region, keys[i].Service = "", "" // not needed
		}
		// The row's strings may point into the read buffer: keep a copy.
		m[strings.Clone(u)] = seenUser{r.Created, keys}
	}
}

// identity names what a finding is about across reports: its check, its
// account, its user and, for a key, the key's creation time. A finding's id
// has the key's slot in it, and a report moves a key from slot 2 to slot 1
// when key 1 is deleted.
func identity(f *Finding) string {
	id := f.Check + "\x00" + f.AccountID + "\x00" + strings.ToLower(f.User)
	if f.KeySlot > 0 {
		id += fmt.Sprintf("\x00%d", f.KeyCreated.Unix())
	}
	return id
}

// verify says, for each finding of an earlier review, what newer evidence
// (analysed with the same checks and periods, its rows shown to idx) says
// of it: remediated, deactivated, still active, user deleted, or unknown,
// and lists the newer evidence's findings the review did not have.
//
// before and beforeInv are the earlier review's reports and inventories. A
// newer report older than the review's as-of time of its account, or one of
// the review's own reports, cannot show what changed since: it is an error,
// and leaves the account unknown. One of the review's own inventories is
// an error too, and is not used. A report of the account with the review's
// as-of time but other bytes cannot show a change made after the review
// either: with the review's GeneratedTime it is not a newer report, and
// without GeneratedTimes on both sides which is newer cannot be told. Both
// are errors, and leave the account unknown.
func verify(prior []Finding, before []Report, beforeInv []Inventory, newer *Result, idx *rowIndex) (v *Verification, errs, warns []Problem) {
	v = &Verification{}
	asOf := map[string]time.Time{}
	generated := map[string]bool{} // the review's report of the account had a GeneratedTime
	same := map[string]bool{}
	for _, rep := range before {
		if rep.AsOf.After(asOf[rep.AccountID]) {
			asOf[rep.AccountID] = rep.AsOf
			generated[rep.AccountID] = !rep.Generated.IsZero()
		}
		if rep.SHA256 != "" {
			same[rep.SHA256] = true
		}
	}
	for _, inv := range beforeInv {
		if inv.SHA256 != "" {
			same[inv.SHA256] = true
		}
	}
	stale := map[string]string{}
	current := map[string][]*Report{} // the reports that speak for each account, newest first
	for i := range newer.Reports {
		rep := &newer.Reports[i]
		if rep.SupersededBy == "" && rep.AccountID != "" {
			current[rep.AccountID] = append(current[rep.AccountID], rep)
		}
		switch when, ok := asOf[rep.AccountID]; {
		case same[rep.SHA256]:
			stale[rep.AccountID] = rep.Source + " is a report the review was made from"
			errs = append(errs, Problem{Source: rep.Source, Message: fmt.Sprintf("the report is one the review was made from (SHA-256 %s): it cannot show what changed since; account %s is not verified", rep.SHA256, rep.AccountID),
				Hint: "give a credential report generated after the change"})
		case ok && rep.AsOf.Before(when):
			stale[rep.AccountID] = rep.Source + " is older than the review"
			errs = append(errs, Problem{Source: rep.Source, Message: fmt.Sprintf("the report's as-of time, %s, is before the review's (%s) for account %s: it cannot show what changed since; the account is not verified",
				rep.AsOf.Format(time.RFC3339), when.Format(time.RFC3339), rep.AccountID), Hint: "give a credential report generated after the change"})
		case ok && rep.AsOf.Equal(when) && generated[rep.AccountID] && !rep.Generated.IsZero():
			// IAM makes a report at most every four hours, and gives the
			// same one, with its GeneratedTime, until then.
			stale[rep.AccountID] = rep.Source + " has the review's GeneratedTime"
			errs = append(errs, Problem{Source: rep.Source, Message: fmt.Sprintf("the report has the GeneratedTime of the review's report of account %s, %s, but other content: a report generated then cannot show a change made after the review, and one with that time and other content was not generated by IAM as it is; the account is not verified",
				rep.AccountID, when.Format(time.RFC3339)), Hint: "generate a new report after the change (aws iam generate-credential-report, or credreview fetch), then verify with it"})
		case ok && rep.AsOf.Equal(when):
			stale[rep.AccountID] = rep.Source + " cannot be told apart in time from the review's report"
			errs = append(errs, Problem{Source: rep.Source, Message: fmt.Sprintf("the report's as-of time, %s, is the review's for account %s, and without a GeneratedTime on both, which of the two is newer cannot be told: it may be the review's report again, or one from before the change; the account is not verified",
				when.Format(time.RFC3339), rep.AccountID), Hint: "verify with the JSON that aws iam get-credential-report prints, or that credreview fetch saves: its GeneratedTime says when the report was made"})
		}
	}
	users := map[string]int{} // the review's users of each account
	for _, rep := range before {
		users[rep.AccountID] = max(users[rep.AccountID], rep.Users)
	}
	for acct, reps := range current {
		sort.SliceStable(reps, func(i, j int) bool { return reps[i].AsOf.After(reps[j].AsOf) })
		// A newer report that has lost more than half of the account's
		// users (a root row alone, dated later) would make every finding
		// user-deleted: more likely a stray or a decoy than the account's
		// report.
		n := 0
		for _, r := range reps {
			n = max(n, r.Users)
		}
		if u := users[acct]; stale[acct] == "" && u > 0 && 2*(u-n) > u {
			stale[acct] = fmt.Sprintf("%s has %d of the review's %d users of the account", reps[0].Source, n, u)
			errs = append(errs, Problem{Source: reps[0].Source, Message: fmt.Sprintf("the newer evidence of account %s has at most %d users, and the review's report had %d: a report that has lost more than half of an account's users is more likely a stray or a decoy than the account's report; the account is not verified", acct, n, u),
				Hint: "verify with the account's whole report; if the users were deleted, the report that shows it is that report"})
		}
	}
	now := map[string]*Finding{}
	for i := range newer.Findings {
		now[identity(&newer.Findings[i])] = &newer.Findings[i]
	}
	inventories := map[string][]*Inventory{} // by account, of those named with it
	var all []*Inventory
	for i := range newer.Inventories {
		inv := &newer.Inventories[i]
		if same[inv.SHA256] {
			errs = append(errs, Problem{Source: inv.Source, Message: fmt.Sprintf("the key inventory is one the review was made from (SHA-256 %s): it cannot show what changed since, and is not used", inv.SHA256),
				Hint: "list the keys again after the change (aws iam list-access-keys, or credreview fetch)"})
			continue
		}
		all = append(all, inv)
		if inv.AccountID != "" {
			inventories[inv.AccountID] = append(inventories[inv.AccountID], inv)
		}
	}
	old := map[string]bool{}
	for i := range prior {
		f := prior[i]
		old[identity(&f)] = true
		out := Verified{Finding: f}
		switch {
		case stale[f.AccountID] != "":
			out.Outcome, out.Evidence = Unknown, stale[f.AccountID]
		case len(current[f.AccountID]) == 0:
			out.Outcome, out.Evidence = Unknown, "no newer report of account "+f.AccountID
		default:
			var warn *Problem
			out.Outcome, out.Evidence, warn = classify(&f, now[identity(&f)], current[f.AccountID], idx, inventories[f.AccountID], all)
			if warn != nil {
				warns = append(warns, *warn)
			}
		}
		v.Results = append(v.Results, out)
	}
	for i := range newer.Findings {
		if f := &newer.Findings[i]; !old[identity(f)] && !f.Excepted() {
			v.New = append(v.New, *f)
		}
	}
	return v, errs, warns
}

// classify says what newer evidence of the account says of one finding:
// the account's reports (newest first) and their rows of the user, the
// inventories named for the account (invs) and all of them (all), and the
// finding the check makes of it now, if any.
//
// It gives a warning where two pieces of the newer evidence contradict
// each other: then the outcome is unknown.
func classify(f, now *Finding, reps []*Report, idx *rowIndex, invs, all []*Inventory) (Outcome, string, *Problem) {
	o, evidence := classifyKey(f, now, reps, idx, invs, all)
	if o == contradiction {
		return Unknown, evidence, &Problem{Source: f.ID, Message: evidence}
	}
	return o, evidence, nil
}

// contradiction is classifyKey's outcome where the evidence contradicts
// itself: unknown, with a warning.
const contradiction Outcome = "contradiction"

func classifyKey(f, now *Finding, reps []*Report, idx *rowIndex, invs, all []*Inventory) (Outcome, string) {
	var u seenUser
	var rep *Report
	for _, r := range reps {
		if row, ok := idx.rows[r.Source][strings.ToLower(f.User)]; ok {
			u, rep = row, r
			break
		}
	}
	if rep == nil {
		var unread []string
		for _, r := range reps {
			switch {
			case r.SHA256 == "":
				unread = append(unread, r.Source+" was not read to its end")
			case r.Rejected > 0:
				unread = append(unread, fmt.Sprintf("%d of the rows of %s could not be read", r.Rejected, r.Source))
			}
		}
		switch {
		case len(unread) > 0:
			return Unknown, fmt.Sprintf("no newer row for %s, but %s", f.User, strings.Join(unread, "; "))
		case f.User == rootUser:
			// AWS always writes the root user's row: one missing was
			// not read, and the root user is never deleted.
			return Unknown, "the newer report has no row of the root user that could be read"
		}
		return UserDeleted, reps[0].Source + " has no row for " + f.User
	}
	if !f.UserCreated.IsZero() && u.created.IsTime() && u.created.Sec() != f.UserCreated.Unix() && f.User != rootUser {
		return UserDeleted, fmt.Sprintf("%s was deleted, and a user of the same name made %s", f.User, u.created.String())
	}
	// The key in the report: the one created at the finding's key's
	// creation time, in whichever slot the report now has it.
	var key *Key
	if f.KeySlot > 0 {
		for _, i := range []int{f.KeySlot - 1, 2 - f.KeySlot} {
			if k := &u.keys[i]; k.Exists() && k.Created.Sec() == f.KeyCreated.Unix() {
				key = k
				break
			}
		}
	}
	// An inventory that names the key's id speaks last: it is read when
	// the evidence is fetched, after the report. Key ids are unique, so any
	// inventory that lists the id speaks for the key; the key is gone only
	// by an inventory of the account (named with its id) that lists the
	// user's keys, is complete, and lacks it.
	if f.KeyID != "" {
		statuses := map[string]string{} // status → inventory
		for _, inv := range all {
			for _, k := range inv.Keys {
				if k.AccessKeyID == f.KeyID {
					statuses[k.Status] = inv.Source
				}
			}
		}
		if len(statuses) > 1 {
			var seen []string
			for st, src := range statuses {
				seen = append(seen, st+" in "+src)
			}
			sort.Strings(seen)
			return Unknown, fmt.Sprintf("the inventories disagree on key %s: %s", f.KeyID, strings.Join(seen, ", "))
		}
		for status, where := range statuses {
			switch {
			case status != "Active":
				return Deactivated, fmt.Sprintf("%s lists key %s as %s", where, f.KeyID, status)
			case now == nil && key != nil:
				return Remediated, fmt.Sprintf("%s lists key %s as Active, but the check no longer finds it", where, f.KeyID)
			}
			return StillActive, fmt.Sprintf("%s lists key %s as Active", where, f.KeyID)
		}
		for _, inv := range invs {
			if !inv.Incomplete && listsUser(inv, f.User) {
				if key != nil {
					return contradiction, fmt.Sprintf("%s lists the keys of %s but not key %s, while %s still has the key created %s: the newer evidence contradicts itself, and the key is not taken for gone",
						inv.Source, f.User, f.KeyID, rep.Source, string(AppendStamp(nil, f.KeyCreated)))
				}
				return Remediated, fmt.Sprintf("%s lists the keys of %s, but no longer key %s", inv.Source, f.User, f.KeyID)
			}
		}
	}
	if f.KeySlot > 0 {
		switch {
		case key == nil:
			return Remediated, fmt.Sprintf("%s has no key of %s created %s", rep.Source, f.User, string(AppendStamp(nil, f.KeyCreated)))
		case !key.Active:
			return Deactivated, fmt.Sprintf("the key created %s is still there, Inactive", string(AppendStamp(nil, f.KeyCreated)))
		case now == nil:
			return Remediated, "the key is still there, but the check no longer finds it"
		}
		return StillActive, fmt.Sprintf("the key created %s is still there, Active", string(AppendStamp(nil, f.KeyCreated)))
	}
	if now == nil {
		return Remediated, "the check no longer finds it"
	}
	return StillActive, "the check still finds it: " + now.Detail
}

// listsUser reports whether an inventory lists a key of user.
func listsUser(inv *Inventory, user string) bool {
	for _, k := range inv.Keys {
		if strings.EqualFold(k.UserName, user) {
			return true
		}
	}
	return false
}
