package analyze

import (
	"fmt"
	"strings"
	"testing"
)

func inventory(entries ...string) string {
	return `{"AccessKeyMetadata": [` + strings.Join(entries, ",") + `]}`
}

func entry(user, id, status, created string) string {
	return fmt.Sprintf(`{"UserName": %q, "AccessKeyId": %q, "Status": %q, "CreateDate": %q}`, user, id, status, created)
}

const (
	idA = "AKIAAAAAAAAAAAAAAAAA"
	idB = "AKIABBBBBBBBBBBBBBBB"
	idC = "AKIACCCCCCCCCCCCCCCC"
)

func TestInventoryMatching(t *testing.T) {
	alice := report(rootRow, row("alice", merge(key(1, true, "2025-01-01T00:00:04+00:00", ""), key(2, false, "2025-01-01T00:00:09+00:00", ""))))
	other := strings.ReplaceAll(alice, "123456789012", "210987654321")
	tests := []struct {
		name  string
		files map[string]string
		ids   []string // key id of each finding, "" when not known
		notes []string // substrings of the key id note and notes, per finding joined by " | "
	}{
		{"no inventory", map[string]string{"r.csv": alice}, []string{"", ""},
			[]string{"not known: no key inventory was given", "not known: no key inventory was given"}},
		{"inventory named after the account, CLI v2 dates", map[string]string{"r.csv": alice, "123456789012.access-keys.json": inventory(
			entry("alice", idA, "Active", "2025-01-01T00:00:04+00:00"), entry("alice", idB, "Inactive", "2025-01-01T00:00:09+00:00"))},
			[]string{idA, idB}, []string{"from 123456789012.access-keys.json", "from 123456789012.access-keys.json"}},
		{"API dates with Z", map[string]string{"r.csv": alice, "keys-123456789012.json": inventory(
			entry("alice", idA, "Active", "2025-01-01T00:00:04Z"))},
			[]string{idA, ""}, []string{"from keys-123456789012.json", "the inventory of this account has no key of this user created at that time | lists keys of alice but none created 2025-01-01T00:00:09Z: the key was deleted or replaced"}},
		{"unbound inventory matching one key", map[string]string{"r.csv": alice, "keys.json": inventory(entry("alice", idA, "Active", "2025-01-01T00:00:04+00:00"))},
			[]string{idA, ""}, []string{"from keys.json", "not known: no key inventory of this run names the key"}},
		{"unbound entry matching keys in two accounts is not used", map[string]string{"a.csv": alice, "b.csv": other, "keys.json": inventory(entry("alice", idA, "Active", "2025-01-01T00:00:04+00:00"))},
			[]string{"", "", "", ""}, []string{"matches 2 keys across the reports of this run, so it is not used", "", "matches 2 keys", ""}},
		{"bound inventory wins over the unbound one", map[string]string{"a.csv": alice, "b.csv": other, "keys.json": inventory(entry("alice", idC, "Active", "2025-01-01T00:00:04+00:00")),
			"210987654321.json": inventory(entry("alice", idA, "Active", "2025-01-01T00:00:04+00:00"))},
			[]string{"", "", idA, ""}, []string{"matches 2 keys", "", "from 210987654321.json", ""}},
		{"two ids for one key", map[string]string{"r.csv": alice, "123456789012.json": inventory(
			entry("alice", idA, "Active", "2025-01-01T00:00:04+00:00"), entry("alice", idC, "Active", "2025-01-01T00:00:04+00:00"))},
			[]string{"", ""}, []string{"not known: 2 different keys in 123456789012.json match", ""}},
		{"the same entry in two files", map[string]string{"r.csv": alice, "123456789012-a.json": inventory(entry("alice", idA, "Active", "2025-01-01T00:00:04+00:00")),
			"123456789012-b.json": inventory(entry("alice", idA, "Active", "2025-01-01T00:00:04+00:00"))},
			[]string{idA, ""}, []string{"from 123456789012-a.json, 123456789012-b.json", ""}},
		{"status differs from the report", map[string]string{"r.csv": alice, "123456789012.json": inventory(
			entry("alice", idA, "Inactive", "2025-01-01T00:00:04+00:00"), entry("alice", idB, "Active", "2025-01-01T00:00:09+00:00"))},
			[]string{idA, idB}, []string{"123456789012.json shows the key Inactive, the report Active", "123456789012.json shows the key Active, the report Inactive"}},
		{"user has no keys in the bound inventory", map[string]string{"r.csv": alice, "123456789012.json": inventory(entry("bob", idC, "Active", "2025-01-01T00:00:04+00:00"))},
			[]string{"", ""}, []string{"123456789012.json lists no keys of alice: the key was deleted after the report was made", ""}},
		{"a key newer than the report", map[string]string{"r.csv": alice, "123456789012.json": inventory(
			entry("alice", idA, "Active", "2025-01-01T00:00:04+00:00"), entry("alice", idC, "Active", "2026-05-05T00:00:00+00:00"))},
			[]string{idA, ""}, []string{"shows key AKIACCCCCCCCCCCCCCCC of alice created 2026-05-05T00:00:00Z, after the report's as-of time: re-run on a fresh report", ""}},
		{"a repeated row is one key, not two", map[string]string{"r.csv": report(rootRow, row("alice", key(1, true, "2025-01-01T00:00:04+00:00", "")), row("alice", key(1, true, "2025-01-01T00:00:04+00:00", ""))),
			"keys.json": inventory(entry("alice", idA, "Active", "2025-01-01T00:00:04+00:00"))},
			[]string{idA}, []string{"from keys.json"}},
		{"an unbound inventory's newer keys are noted too", map[string]string{"r.csv": alice, "keys.json": inventory(
			entry("alice", idA, "Active", "2025-01-01T00:00:04+00:00"), entry("alice", idC, "Active", "2026-05-05T00:00:00+00:00"))},
			[]string{idA, ""}, []string{"keys.json shows key AKIACCCCCCCCCCCCCCCC of alice created 2026-05-05T00:00:00Z, after the report's as-of time", ""}},
		{"ambiguous unbound entries say so in the key id note", map[string]string{"a.csv": alice, "b.csv": other, "keys.json": inventory(entry("alice", idA, "Active", "2025-01-01T00:00:04+00:00"))},
			[]string{"", "", "", ""}, []string{"not known: the inventory entries for this key also match keys in other reports", "", "not known: the inventory entries for this key also match", ""}},
		{"several documents in one file", map[string]string{"r.csv": alice, "123456789012.json": inventory(entry("alice", idA, "Active", "2025-01-01T00:00:04+00:00")) + "\n" +
			inventory(entry("alice", idB, "Inactive", "2025-01-01T00:00:09+00:00"))},
			[]string{idA, idB}, []string{"from 123456789012.json", "from 123456789012.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := analyzeFiles(t, tt.files, hour)
			if len(res.Errors) > 0 {
				t.Fatalf("errors: %v", problemLines(res.Errors))
			}
			if len(res.Findings) != len(tt.ids) {
				t.Fatalf("%d findings, want %d", len(res.Findings), len(tt.ids))
			}
			for i, f := range res.Findings {
				if f.KeyID != tt.ids[i] {
					t.Errorf("finding %d (%s key %d): key id %q, want %q", i, f.AccountID, f.KeySlot, f.KeyID, tt.ids[i])
				}
				all := f.KeyIDNote + " | " + strings.Join(f.Notes, " | ")
				for _, part := range strings.Split(tt.notes[i], " | ") {
					if !strings.Contains(all, part) {
						t.Errorf("finding %d: notes %q lack %q", i, all, part)
					}
				}
				if f.KeyID != "" && !strings.Contains(f.Commands().Implement[1], "--access-key-id="+f.KeyID) {
					t.Errorf("finding %d: commands do not use the key id: %q", i, f.Commands().Implement[1])
				}
				if f.KeyID == "" && !strings.Contains(f.Commands().Implement[1], "starts_with(CreateDate") {
					t.Errorf("finding %d: commands do not select the key at run time: %q", i, f.Commands().Implement[1])
				}
			}
		})
	}
}

// TestBackoutFollowsTheInventory pins that backing out a deactivation turns
// on only a key that was active before the change, by the newest evidence:
// the inventory, when it names the key, else the report.
func TestBackoutFollowsTheInventory(t *testing.T) {
	r := report(rootRow, row("alice", merge(key(1, true, "2025-01-01T00:00:04+00:00", ""), key(2, false, "2025-01-01T00:00:09+00:00", ""))))
	res := analyzeFiles(t, map[string]string{"r.csv": r, "123456789012.json": inventory(
		entry("alice", idA, "Inactive", "2025-01-01T00:00:04+00:00"), entry("alice", idB, "Active", "2025-01-01T00:00:09+00:00"))}, hour)
	if len(res.Findings) != 2 {
		t.Fatalf("findings: %d", len(res.Findings))
	}
	// Key 1: active in the report, Inactive in the inventory.
	if f := res.Findings[0]; f.InventoryStatus != "Inactive" || f.ActiveBeforeChange() || !strings.HasPrefix(f.Commands().Backout[0], "# nothing to reactivate") {
		t.Errorf("key 1: inventory %q, active before %v, backout %q", f.InventoryStatus, f.ActiveBeforeChange(), f.Commands().Backout[0])
	}
	// Key 2: inactive in the report, Active in the inventory.
	if f := res.Findings[1]; f.InventoryStatus != "Active" || !f.ActiveBeforeChange() || !strings.Contains(f.Commands().Backout[0], "--status Active") {
		t.Errorf("key 2: inventory %q, active before %v, backout %q", f.InventoryStatus, f.ActiveBeforeChange(), f.Commands().Backout[0])
	}
}

func TestInventoryErrors(t *testing.T) {
	good := report(rootRow, row("alice", key(1, true, "2025-01-01T00:00:04+00:00", "")))
	tests := []struct {
		name, content string
		errors        []string
		warnings      []string
	}{
		{"illegal user name", inventory(entry("a b", idA, "Active", "2025-01-01T00:00:04Z")), []string{`document 1, key 1: UserName "a b" is not a legal IAM user name`}, nil},
		{"bad key id", inventory(entry("alice", "AKIA;rm -rf", "Active", "2025-01-01T00:00:04Z")), []string{`document 1, key 1: AccessKeyId "AKIA;rm -rf" is not an access key id`}, nil},
		{"bad status", inventory(entry("alice", idA, "Gone", "2025-01-01T00:00:04Z")), []string{`Status "Gone" is not Active, Inactive or Expired`}, nil},
		{"bad date", inventory(entry("alice", idA, "Active", "yesterday")), []string{`CreateDate "yesterday" is not an ISO 8601 time`}, nil},
		{"truncated listing", `{"AccessKeyMetadata": [], "IsTruncated": true, "Marker": "x"}`, nil, []string{"document 1 says IsTruncated"}},
		{"second document is something else", inventory() + `{"Users": []}`, []string{"document 2 has no AccessKeyMetadata"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := analyzeFiles(t, map[string]string{"123456789012.json": tt.content, "r.csv": good}, hour)
			containsAll(t, "errors", problemLines(res.Errors), tt.errors)
			containsAll(t, "warnings", problemLines(res.Warnings), tt.warnings)
			if len(res.Errors) != len(tt.errors) {
				t.Errorf("errors: %v", problemLines(res.Errors))
			}
			if len(res.Findings) != 1 || res.Findings[0].KeyID != "" {
				t.Errorf("findings: %+v", res.Findings)
			}
		})
	}
}

func TestInventoryOfUncoveredAccount(t *testing.T) {
	res := analyzeFiles(t, map[string]string{"r.csv": report(rootRow), "999999999999.json": inventory()}, hour)
	containsAll(t, "warnings", problemLines(res.Warnings), []string{"999999999999.json: inventory of account 999999999999, which no report of this run covers; not used"})
	if len(res.Inventories) != 1 || res.Inventories[0].AccountID != "999999999999" {
		t.Errorf("inventories: %+v", res.Inventories)
	}
}
