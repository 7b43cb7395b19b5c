package analyze

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSplit pins how a result is cut per account: each account's reports,
// findings, inventory and the problems of its inputs go to it alone; an
// inventory without an account in its name, and a problem of a file that
// is no account's input, go to every account.
func TestSplit(t *testing.T) {
	dir := t.TempDir()
	other := strings.ReplaceAll(rootRow, "123456789012", "210987654321")
	files := map[string]string{
		"a.csv": report(rootRow, row("alice", key(1, true, "2025-01-01T00:00:05+00:00", "")), strings.Replace(row("bad", nil), "2025-01-01T00:00:00+00:00", "soon", 1)),
		"b.csv": report(other, strings.ReplaceAll(row("bob", key(1, true, "2025-01-01T00:00:05+00:00", "")), "123456789012", "210987654321"),
			strings.ReplaceAll(row("carol", key(2, false, "2025-01-01T00:00:09+00:00", "")), "123456789012", "210987654321")),
		"123456789012.keys.json": `{"AccessKeyMetadata": [{"UserName": "alice", "AccessKeyId": "AKIAIOSFODNN7EXAMPL1", "Status": "Active", "CreateDate": "2025-01-01T00:00:05+00:00"}]}`,
		"keys.json":              `{"AccessKeyMetadata": [{"UserName": "bob", "AccessKeyId": "AKIAIOSFODNN7EXAMPL2", "Status": "Active", "CreateDate": "2025-01-01T00:00:05+00:00"}]}`,
		"broken.csv":             "user,arn\n\"unbalanced\n",
		"999999999999.keys.json": `{"AccessKeyMetadata": []}`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res := Analyze(context.Background(), []string{dir}, nil, hour)
	parts := res.Split()
	if len(parts) != 2 || parts[0].Account() != "123456789012" || parts[1].Account() != "210987654321" {
		t.Fatalf("%d parts", len(parts))
	}
	a, b := parts[0], parts[1]
	names := func(invs []Inventory) string {
		var out []string
		for _, inv := range invs {
			out = append(out, filepath.Base(inv.Source))
		}
		return strings.Join(out, " ")
	}
	sources := func(ps []Problem) string {
		var out []string
		for _, p := range ps {
			out = append(out, filepath.Base(p.Source))
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct {
		name      string
		got, want string
	}{
		{"a's reports", filepath.Base(a.Reports[0].Source), "a.csv"},
		{"b's reports", filepath.Base(b.Reports[0].Source), "b.csv"},
		{"a's findings", findingUsers(a), "alice"},
		{"b's findings", findingUsers(b), "bob carol"},
		{"a's inventories", names(a.Inventories), "123456789012.keys.json keys.json"},
		{"b's inventories", names(b.Inventories), "keys.json"},
		{"a's errors", sources(a.Errors), "a.csv broken.csv"},
		{"b's errors", sources(b.Errors), "broken.csv"},
		{"a's warnings", sources(a.Warnings), "999999999999.keys.json"},
		{"b's warnings", sources(b.Warnings), "999999999999.keys.json"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	if a.Findings[0].KeyID != "AKIAIOSFODNN7EXAMPL1" || b.Findings[0].KeyID != "AKIAIOSFODNN7EXAMPL2" {
		t.Errorf("key ids %q, %q", a.Findings[0].KeyID, b.Findings[0].KeyID)
	}
	if n := len(a.Findings) + len(b.Findings); n != len(res.Findings) {
		t.Errorf("%d findings in the parts, %d in the whole", n, len(res.Findings))
	}
}

func findingUsers(r *Result) string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.User)
	}
	return strings.Join(out, " ")
}
