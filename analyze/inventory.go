package analyze

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Inventory is a key inventory: what aws iam list-access-keys prints, for one
// user or many merged. The credential report has no key ids; an inventory
// gives them.
type Inventory struct {
	Source string
	SHA256 string
	// AccountID is the 12-digit account id in the file's name, which binds
	// the inventory to that account; empty when the name has none.
	AccountID string
	Keys      []InventoryKey
	// Incomplete says that keys may be missing: a document said
	// IsTruncated, or an entry could not be used.
	Incomplete bool

	entries int // read so far, used or not: see maxInventoryKeys
}

// InventoryKey is one entry of AccessKeyMetadata.
type InventoryKey struct {
	UserName    string
	AccessKeyID string
	Status      string // Active, Inactive or Expired
	Created     time.Time
}

type accessKeyMeta struct {
	UserName    string `json:"UserName"`
	AccessKeyID string `json:"AccessKeyId"`
	Status      string `json:"Status"`
	CreateDate  string `json:"CreateDate"`
}

var accountInName = regexp.MustCompile(`(?:^|[^0-9])([0-9]{12})(?:[^0-9]|$)`)

// parseInventory reads one or more list-access-keys documents, one after the
// other (as a shell loop appending to one file writes them). It reads them
// as a stream, one entry at a time, each capped at maxJSONValue: an
// inventory of a whole organisation may be large, and a value that never
// ends must not take the memory of the machine.
func parseInventory(r io.Reader, inv *Inventory, pr *problems) error {
	if m := accountInName.FindStringSubmatch(filepath.Base(inv.Source)); m != nil && inv.Source != Stdin {
		inv.AccountID = m[1]
	}
	lim := &valueCap{r: r, name: inv.Source}
	dec := json.NewDecoder(lim)
	for doc := 1; ; doc++ {
		lim.reset()
		tok, err := dec.Token()
		if err == io.EOF {
			if doc == 1 {
				return &Problem{Source: inv.Source, Message: "no list-access-keys document"}
			}
			return nil
		}
		if err != nil {
			return jsonProblem(inv.Source, err)
		}
		if tok != json.Delim('{') {
			return &Problem{Source: inv.Source, Message: fmt.Sprintf("document %d is not a JSON object: not what aws iam list-access-keys prints", doc), Hint: hintNotReport}
		}
		sawKeys, truncated := false, false
		for dec.More() {
			lim.reset()
			tok, err := dec.Token()
			if err != nil {
				return jsonProblem(inv.Source, err)
			}
			switch key, _ := tok.(string); {
			case strings.EqualFold(key, "AccessKeyMetadata"):
				if sawKeys, err = readKeys(dec, lim, doc, inv, pr); err != nil {
					return err
				}
			case strings.EqualFold(key, "IsTruncated"):
				if err := dec.Decode(&truncated); err != nil {
					return jsonProblem(inv.Source, err)
				}
			default:
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					return jsonProblem(inv.Source, err)
				}
			}
		}
		if _, err := dec.Token(); err != nil { // the closing brace
			return jsonProblem(inv.Source, err)
		}
		if !sawKeys {
			return &Problem{Source: inv.Source, Message: fmt.Sprintf("document %d has no AccessKeyMetadata: not what aws iam list-access-keys prints", doc), Hint: hintNotReport}
		}
		if truncated {
			inv.Incomplete = true
			pr.warnf(0, "document %d says IsTruncated: keys may be missing; list them again without --max-items", doc)
		}
	}
}

// readKeys reads the array of AccessKeyMetadata, entry by entry; false for
// null, which is no array at all.
func readKeys(dec *json.Decoder, lim *valueCap, doc int, inv *Inventory, pr *problems) (bool, error) {
	tok, err := dec.Token()
	if err != nil {
		return false, jsonProblem(inv.Source, err)
	}
	if tok == nil {
		return false, nil
	}
	if tok != json.Delim('[') {
		return false, &Problem{Source: inv.Source, Message: fmt.Sprintf("document %d: AccessKeyMetadata is not a JSON array", doc), Hint: hintNotReport}
	}
	for i := 1; dec.More(); i++ {
		if inv.entries++; inv.entries > maxInventoryKeys {
			return false, &Problem{Source: inv.Source, Message: fmt.Sprintf("more than %d keys: IAM allows 5,000 users of two keys each in an account, so this is not an account's key inventory; the rest was not read", maxInventoryKeys),
				Hint: "list each account's keys in a file of its own (credreview fetch does)", fatal: true}
		}
		lim.reset()
		var m accessKeyMeta
		if err := dec.Decode(&m); err != nil {
			return false, jsonProblem(inv.Source, err)
		}
		where := fmt.Sprintf("document %d, key %d", doc, i)
		switch {
		case !ValidUserName(m.UserName):
			pr.errorf(0, "", "%s: UserName %q is not a legal IAM user name; the entry is not used", where, m.UserName)
			inv.Incomplete = true
			continue
		case !validKeyID(m.AccessKeyID):
			pr.errorf(0, "", "%s: AccessKeyId %q is not an access key id; the entry is not used", where, m.AccessKeyID)
			inv.Incomplete = true
			continue
		case m.Status != "Active" && m.Status != "Inactive" && m.Status != "Expired":
			pr.errorf(0, "", "%s: Status %q is not Active, Inactive or Expired; the entry is not used", where, m.Status)
			inv.Incomplete = true
			continue
		}
		sec, err := parseStamp(m.CreateDate)
		if err != nil {
			pr.errorf(0, "", "%s: CreateDate %q is not an ISO 8601 time; the entry is not used", where, m.CreateDate)
			inv.Incomplete = true
			continue
		}
		inv.Keys = append(inv.Keys, InventoryKey{UserName: m.UserName, AccessKeyID: m.AccessKeyID, Status: m.Status, Created: unix(sec)})
	}
	if _, err := dec.Token(); err != nil { // the closing bracket
		return false, jsonProblem(inv.Source, err)
	}
	return true, nil
}

// maxInventoryKeys is the most entries a key inventory may have: an
// account has at most 5,000 users of two keys each, and a file may hold
// several accounts' listings.
const maxInventoryKeys = 100_000

// valueCap fails a read that goes more than maxJSONValue bytes beyond the
// last reset: json.Decoder holds a whole value in memory, and the parser
// resets the count at each value it decodes.
type valueCap struct {
	r    io.Reader
	n    int64
	name string
}

func (v *valueCap) reset() { v.n = 0 }

func (v *valueCap) Read(p []byte) (int, error) {
	if v.n > maxJSONValue {
		return 0, &Problem{Source: v.name, Message: fmt.Sprintf("a JSON value of more than %d MiB: not what aws iam list-access-keys prints; the rest was not read", maxJSONValue>>20), Hint: hintNotReport, fatal: true}
	}
	n, err := v.r.Read(p)
	v.n += int64(n)
	return n, err
}

// keyRef names a key the way a report and an inventory can both name it.
type keyRef struct {
	user    string
	created int64
}

// unboundIndex holds the entries of inventories that no file name binds to
// an account. Such an entry is used only when it matches exactly one key
// across all reports of the run; each report keeps the hashes of its keys
// (Report.keys) so that the matches are counted once everything is read.
type unboundIndex struct {
	byRef   map[keyRef][]int // -> entry numbers
	byHash  map[uint64][]int // keyHash -> entry numbers
	entries []invEntry
}

type invEntry struct {
	inv *Inventory
	key InventoryKey
}

func newUnboundIndex(invs []*Inventory) *unboundIndex {
	x := &unboundIndex{byRef: map[keyRef][]int{}, byHash: map[uint64][]int{}}
	for _, inv := range invs {
		if inv.AccountID != "" {
			continue
		}
		for _, k := range inv.Keys {
			ref := keyRef{k.UserName, k.Created.Unix()}
			h := keyHash(nameHash(strings.ToLower(ref.user)), ref.created) // as reports hash it: ignoring case, which only ever merges
			x.byRef[ref] = append(x.byRef[ref], len(x.entries))
			x.byHash[h] = append(x.byHash[h], len(x.entries))
			x.entries = append(x.entries, invEntry{inv, k})
		}
	}
	if len(x.entries) == 0 {
		return nil
	}
	return x
}

// matchKeys gives findings their key ids from the inventories, and notes
// where an inventory and a report disagree. Disagreements are evidence, not
// errors: the inventory may simply be newer than the report.
func matchKeys(res *Result, invs []*Inventory) {
	idx := newUnboundIndex(invs)
	bound := map[string][]invEntry{}
	for _, inv := range invs {
		if inv.AccountID == "" {
			continue
		}
		for _, k := range inv.Keys {
			bound[inv.AccountID] = append(bound[inv.AccountID], invEntry{inv, k})
		}
	}
	// How many keys of the analysed reports each unbound entry matches.
	unboundMatches := map[int]int{}
	if idx != nil {
		for _, rep := range res.Reports {
			for _, h := range rep.keys {
				for _, e := range idx.byHash[h] {
					unboundMatches[e]++
				}
			}
		}
	}
	covered := map[string]bool{}
	for _, rep := range res.Reports {
		covered[rep.AccountID] = true
	}
	for _, inv := range invs {
		if inv.AccountID != "" && !covered[inv.AccountID] {
			res.Warnings = append(res.Warnings, Problem{Source: inv.Source, Message: fmt.Sprintf("inventory of account %s, which no report of this run covers; not used", inv.AccountID)})
		}
	}

	// The entries of each unbound inventory by user, to compare a user's
	// other keys once one of them has matched.
	unboundByUser := map[*Inventory]map[string][]invEntry{}
	if idx != nil {
		for _, e := range idx.entries {
			m := unboundByUser[e.inv]
			if m == nil {
				m = map[string][]invEntry{}
				unboundByUser[e.inv] = m
			}
			m[e.key.UserName] = append(m[e.key.UserName], e)
		}
	}

	for i := range res.Findings {
		f := &res.Findings[i]
		created := f.KeyCreated.Unix()
		var pool []invEntry // the entries that speak for this finding's user
		ambiguous := 0      // unbound entries that match keys in several reports
		entries, isBound := bound[f.AccountID]
		if isBound {
			for _, e := range entries {
				if e.key.UserName == f.User {
					pool = append(pool, e)
				}
			}
		} else if idx != nil {
			for _, e := range idx.byRef[keyRef{f.User, created}] {
				if unboundMatches[e] == 1 {
					pool = append(pool, idx.entries[e])
					continue
				}
				ambiguous++
				f.Notes = append(f.Notes, fmt.Sprintf("%s lists key %s of %s created %s, but that matches %d keys across the reports of this run, so it is not used; name the file after its account",
					idx.entries[e].inv.Source, idx.entries[e].key.AccessKeyID, f.User, f.KeyCreated.Format(time.RFC3339), unboundMatches[e]))
			}
		}
		var match []invEntry
		ids := map[string]bool{}
		for _, e := range pool {
			if e.key.Created.Unix() == created {
				match = append(match, e)
				ids[e.key.AccessKeyID] = true
			}
		}
		switch {
		case len(ids) == 1:
			m := match[0]
			f.KeyID = m.key.AccessKeyID
			f.KeyIDNote = "from " + sourcesOf(match)
			f.InventoryStatus = m.key.Status
			if active := m.key.Status == "Active"; active != f.KeyActive {
				f.Notes = append(f.Notes, fmt.Sprintf("%s shows the key %s, the report %s: it changed after one of them was made", m.inv.Source, m.key.Status, activeWord(f.KeyActive)))
			}
			if !isBound {
				// An unbound inventory that named this key speaks for the
				// user's other keys too.
				pool = nil
				seen := map[*Inventory]bool{}
				for _, e := range match {
					if !seen[e.inv] {
						seen[e.inv] = true
						pool = append(pool, unboundByUser[e.inv][f.User]...)
					}
				}
			}
		case len(ids) > 1:
			f.KeyIDNote = fmt.Sprintf("not known: %d different keys in %s match, so the commands select the key by its creation time when they run", len(ids), sourcesOf(match))
		case isBound:
			f.KeyIDNote = "not known: the inventory of this account has no key of this user created at that time, so the commands select the key by its creation time when they run"
			if len(pool) > 0 {
				f.Notes = append(f.Notes, fmt.Sprintf("%s lists keys of %s but none created %s: the key was deleted or replaced after the report was made", sourcesOf(pool), f.User, f.KeyCreated.Format(time.RFC3339)))
			} else {
				f.Notes = append(f.Notes, fmt.Sprintf("%s lists no keys of %s: the key was deleted after the report was made, or the inventory is incomplete", sourcesOf(entries), f.User))
			}
		case ambiguous > 0:
			f.KeyIDNote = "not known: the inventory entries for this key also match keys in other reports of this run, so the commands select the key by its creation time when they run"
		case len(invs) == 0:
			f.KeyIDNote = "not known: no key inventory was given, so the commands select the key by its creation time when they run"
		default:
			f.KeyIDNote = "not known: no key inventory of this run names the key, so the commands select the key by its creation time when they run"
		}
		// Keys newer than the report: the report is older than the inventory.
		for _, e := range pool {
			if e.key.Created.After(f.AsOf) {
				f.Notes = append(f.Notes, fmt.Sprintf("%s shows key %s of %s created %s, after the report's as-of time: re-run on a fresh report",
					e.inv.Source, e.key.AccessKeyID, f.User, e.key.Created.Format(time.RFC3339)))
			}
		}
	}
}

func activeWord(active bool) string {
	if active {
		return "Active"
	}
	return "Inactive"
}

func sourcesOf(es []invEntry) string {
	seen := map[string]bool{}
	var names []string
	for _, e := range es {
		if !seen[e.inv.Source] {
			seen[e.inv.Source] = true
			names = append(names, e.inv.Source)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
