package analyze

import (
	"fmt"
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

// StillActiveAtOrAbove reports whether a finding at or above sev is still
// active, not counting those the review excepted.
func (v *Verification) StillActiveAtOrAbove(sev Severity) bool {
	for _, r := range v.Results {
		if r.Outcome == StillActive && r.Finding.Severity >= sev && !r.Finding.Excepted() {
			return true
		}
	}
	return false
}

// RowIndex keeps, from the rows of newer evidence, what verifying an
// earlier review needs: for each report, the keys of the users of the
// review's findings. Its Observe is an Options.Rows. It keeps rows by
// report, since which of an account's reports speaks for it (the newest)
// is known only once all are read.
type RowIndex struct {
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

// NewRowIndex makes an index of the users of the findings given.
func NewRowIndex(prior []Finding) *RowIndex {
	x := &RowIndex{want: map[string]bool{}, rows: map[string]map[string]seenUser{}}
	for i := range prior {
		x.want[strings.ToLower(prior[i].User)] = true
	}
	return x
}

// Observe keeps a row of newer evidence, if it is of a user the index
// wants.
func (x *RowIndex) Observe(rep *Report, r *Row) {
	x.mu.Lock()
	defer x.mu.Unlock()
	m := x.rows[rep.Source]
	if m == nil {
		m = map[string]seenUser{}
		x.rows[rep.Source] = m
	}
	// The row's strings may point into the read buffer: keep a copy.
	if u := strings.ToLower(r.User); x.want[u] {
		keys := r.Keys
		for i := range keys {
			keys[i].Region, keys[i].Service = "", "" // not needed
		}
		m[strings.Clone(u)] = seenUser{r.Created, keys}
	}
}

// Verify says, for each finding of an earlier review, what newer evidence
// (analysed with the same checks and periods, its rows shown to idx) says
// of it: remediated, deactivated, still active, user deleted, or unknown.
// before are the earlier review's reports: a newer report older than the
// review's as-of time of its account, or one of the review's own reports,
// cannot show what changed since; it is an error, and leaves the account
// unknown.
func Verify(prior []Finding, before []Report, newer *Result, idx *RowIndex) (*Verification, []Problem) {
	v := &Verification{}
	var problems []Problem
	asOf := map[string]time.Time{}
	same := map[string]bool{}
	for _, rep := range before {
		if rep.AsOf.After(asOf[rep.AccountID]) {
			asOf[rep.AccountID] = rep.AsOf
		}
		if rep.SHA256 != "" {
			same[rep.SHA256] = true
		}
	}
	stale := map[string]string{}
	current := map[string]*Report{} // the report that speaks for each account
	for i := range newer.Reports {
		rep := &newer.Reports[i]
		if rep.SupersededBy == "" && rep.AccountID != "" {
			current[rep.AccountID] = rep
		}
		switch when, ok := asOf[rep.AccountID]; {
		case same[rep.SHA256]:
			stale[rep.AccountID] = rep.Source + " is a report the review was made from"
			problems = append(problems, Problem{Source: rep.Source, Message: fmt.Sprintf("the report is one the review was made from (SHA-256 %s): it cannot show what changed since; account %s is not verified", rep.SHA256, rep.AccountID),
				Hint: "give a credential report generated after the change"})
		case ok && rep.AsOf.Before(when):
			stale[rep.AccountID] = rep.Source + " is older than the review"
			problems = append(problems, Problem{Source: rep.Source, Message: fmt.Sprintf("the report's as-of time, %s, is before the review's (%s) for account %s: it cannot show what changed since; the account is not verified",
				rep.AsOf.Format(time.RFC3339), when.Format(time.RFC3339), rep.AccountID), Hint: "give a credential report generated after the change"})
		}
	}
	byID := map[string]*Finding{}
	for i := range newer.Findings {
		byID[newer.Findings[i].ID] = &newer.Findings[i]
	}
	inventories := map[string][]*Inventory{} // by account, of those named with it
	var all []*Inventory
	for i := range newer.Inventories {
		inv := &newer.Inventories[i]
		all = append(all, inv)
		if inv.AccountID != "" {
			inventories[inv.AccountID] = append(inventories[inv.AccountID], inv)
		}
	}
	old := map[string]bool{}
	for i := range prior {
		f := prior[i]
		old[f.ID] = true
		out := Verified{Finding: f}
		switch {
		case stale[f.AccountID] != "":
			out.Outcome, out.Evidence = Unknown, stale[f.AccountID]
		case current[f.AccountID] == nil:
			out.Outcome, out.Evidence = Unknown, "no newer report of account "+f.AccountID
		default:
			out.Outcome, out.Evidence = classify(&f, byID[f.ID], current[f.AccountID], idx.rows[current[f.AccountID].Source], inventories[f.AccountID], all)
		}
		v.Results = append(v.Results, out)
	}
	for i := range newer.Findings {
		if f := newer.Findings[i]; !old[f.ID] && !f.Excepted() {
			v.New = append(v.New, f)
		}
	}
	return v, problems
}

// classify says what newer evidence of the account says of one finding:
// its report's row for the user, the inventories of the account (invs)
// and all of them (all), and the finding the check makes of it now, if
// any.
func classify(f, now *Finding, rep *Report, rows map[string]seenUser, invs, all []*Inventory) (Outcome, string) {
	u, ok := rows[strings.ToLower(f.User)]
	keys := u.keys
	switch {
	case !ok && rep.SHA256 == "":
		return Unknown, fmt.Sprintf("%s has no row for %s, but it was not read to its end", rep.Source, f.User)
	case !ok && rep.Rejected > 0:
		return Unknown, fmt.Sprintf("%s has no row for %s, but %d of its rows could not be read", rep.Source, f.User, rep.Rejected)
	case !ok:
		return UserDeleted, rep.Source + " has no row for " + f.User
	case !f.UserCreated.IsZero() && u.created.IsTime() && u.created.Sec() != f.UserCreated.Unix():
		return UserDeleted, fmt.Sprintf("%s was deleted, and a user of the same name made %s", f.User, u.created.String())
	}
	// An inventory that names the key's id speaks last: it is read when
	// the evidence is fetched, after the report. Key ids are unique, so any
	// inventory that lists the id speaks for the key; only one of the
	// account's (named with its id) shows the key gone by not listing it.
	if f.KeyID != "" {
		status, where := "", ""
		for _, inv := range all {
			for _, k := range inv.Keys {
				if k.AccessKeyID == f.KeyID {
					status, where = k.Status, inv.Source
				}
			}
		}
		switch {
		case status == "" && len(invs) > 0:
			return Remediated, fmt.Sprintf("%s no longer lists key %s", invs[0].Source, f.KeyID)
		case status == "Active":
			if k := keys[max(f.KeySlot, 1)-1]; now == nil && f.KeySlot > 0 && k.Exists() && k.Created.Sec() == f.KeyCreated.Unix() {
				return Remediated, fmt.Sprintf("%s lists key %s as Active, but the check no longer finds it", where, f.KeyID)
			}
			return StillActive, fmt.Sprintf("%s lists key %s as Active", where, f.KeyID)
		case status != "":
			return Deactivated, fmt.Sprintf("%s lists key %s as %s", where, f.KeyID, status)
		}
	}
	if f.KeySlot > 0 {
		k := keys[f.KeySlot-1]
		switch {
		case !k.Exists():
			return Remediated, fmt.Sprintf("key slot %d is empty", f.KeySlot)
		case k.Created.Sec() != f.KeyCreated.Unix():
			return Remediated, fmt.Sprintf("key slot %d holds a key created %s, not the one of %s", f.KeySlot, k.Created.String(), string(AppendStamp(nil, f.KeyCreated)))
		case !k.Active:
			return Deactivated, fmt.Sprintf("key %d is still there, Inactive", f.KeySlot)
		case now == nil:
			return Remediated, "the key is still there, but the check no longer finds it"
		}
		return StillActive, fmt.Sprintf("key %d is still there, Active", f.KeySlot)
	}
	if now == nil {
		return Remediated, "the check no longer finds it"
	}
	return StillActive, "the check still finds it: " + now.Detail
}
