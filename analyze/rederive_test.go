package analyze

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRederive pins that a review is held to its inputs: analysed again
// with its options, its findings must be the same; one severity lowered,
// one finding removed, a key's creation moved or a finding added is each
// named; the review as written passes.
func TestRederive(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "123456789012.csv"), []byte(report(rootRow,
		row("alice", key(1, true, "2025-01-01T00:00:04+00:00", "")),
		row("bob", key(1, true, "2025-01-01T00:00:05+00:00", "2025-06-01T00:00:00+00:00")),
	)), 0o644)
	opts := Options{SetupWindow: time.Hour, Checks: []string{"setup-key", "console-mfa"}}
	prior := Analyze(context.Background(), []string{dir}, nil, opts)
	if len(prior.Findings) != 4 {
		t.Fatalf("findings %d", len(prior.Findings))
	}
	// Elsewhere, under another name: found by their SHA-256.
	inputs := t.TempDir()
	b, _ := os.ReadFile(filepath.Join(dir, "123456789012.csv"))
	os.WriteFile(filepath.Join(inputs, "renamed.csv"), b, 0o644)
	os.WriteFile(filepath.Join(inputs, "unrelated.txt"), []byte("x"), 0o644)
	if got := Rederive(context.Background(), prior, "r.json", inputs); len(got) != 0 {
		t.Fatalf("the review as written: %v", problemLines(got))
	}
	tamper := func(change func(r *Result)) []string {
		r := *prior
		r.Findings = append([]Finding(nil), prior.Findings...)
		change(&r)
		return problemLines(Rederive(context.Background(), &r, "r.json", inputs))
	}
	for _, tc := range []struct {
		name   string
		change func(r *Result)
		want   string
	}{
		{"a severity lowered", func(r *Result) { r.Findings[0].Severity = SeverityLow }, "is low in the review, high by its inputs"},
		{"the findings emptied", func(r *Result) { r.Findings = nil }, "is given by the review's inputs, but the review does not have it"},
		{"a key's creation moved by a minute", func(r *Result) { r.Findings[1].KeyCreated = r.Findings[1].KeyCreated.Add(time.Minute) }, "'s key is created"},
		{"a finding made up", func(r *Result) { f := r.Findings[0]; f.ID = "SK-0000000000"; r.Findings = append(r.Findings, f) }, "SK-0000000000 (console-mfa, alice) is in the review, but its inputs do not give it"},
	} {
		got := tamper(tc.change)
		if len(got) == 0 || !strings.Contains(strings.Join(got, "\n"), tc.want) {
			t.Errorf("%s: %q, want one saying %q", tc.name, got, tc.want)
		}
	}
	empty := t.TempDir()
	if got := problemLines(Rederive(context.Background(), prior, "r.json", empty)); len(got) != 1 || !strings.Contains(got[0], "the review's inputs are not all here") {
		t.Errorf("no inputs: %q", got)
	}
}
