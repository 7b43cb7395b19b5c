package analyze

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/credreview/credreview/internal/custody"
)

// Rederive analyses a review's own inputs again, found in dir by the
// SHA-256 each has in the review (reports, superseded reports, key
// inventories, exceptions files), with the review's options, and compares
// the findings with the review's: a review whose JSON was edited (a
// severity lowered, a finding removed, a key's creation time moved) is
// caught without any key or signature. It returns the differences, each a
// Problem naming the review; none when the review is what its inputs give.
func Rederive(ctx context.Context, prior *Result, source, dir string) []Problem {
	problem := func(format string, args ...any) Problem {
		return Problem{Source: source, Message: fmt.Sprintf(format, args...)}
	}
	want := map[string]string{} // SHA-256 → what the review calls it
	for _, list := range [][]Report{prior.Reports, prior.Superseded} {
		for _, r := range list {
			if r.SHA256 != "" {
				want[r.SHA256] = r.Source
			}
		}
	}
	for _, inv := range prior.Inventories {
		want[inv.SHA256] = inv.Source
	}
	exceptions := map[string]bool{}
	for _, x := range prior.ExceptionFiles {
		want[x.SHA256] = x.Source
		exceptions[x.SHA256] = true
	}
	if len(want) == 0 {
		return []Problem{problem("the review records no input's SHA-256: it cannot be analysed again")}
	}
	found := map[string]string{} // SHA-256 → path in dir
	pr := &problems{}
	var above []os.FileInfo
	if fi, err := os.Stat(dir); err == nil {
		above = append(above, fi)
	}
	for _, in := range walk(dir, above, nil, pr) {
		_, sum, err := custody.HashFile(in.name)
		if err != nil {
			continue
		}
		if _, ok := want[sum]; ok && found[sum] == "" {
			found[sum] = in.name
		}
	}
	var missing []string
	for sum, name := range want {
		if found[sum] == "" {
			missing = append(missing, fmt.Sprintf("%s (SHA-256 %s)", name, sum))
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return []Problem{{Source: dir, Message: fmt.Sprintf("the review's inputs are not all here: %s; the review was not analysed again", strings.Join(missing, ", ")),
			Hint: "give --inputs the folder of the evidence the review was made from"}}
	}
	var paths []string
	opts := prior.Options
	opts.Exceptions, opts.Evidence, opts.AllowedSigners = nil, nil, ""
	for sum, path := range found {
		if exceptions[sum] {
			opts.Exceptions = append(opts.Exceptions, path)
		} else {
			paths = append(paths, path)
		}
	}
	sort.Strings(paths)
	sort.Strings(opts.Exceptions)
	if opts.Now.IsZero() {
		// The review's own time, so that a time then possible is
		// possible again: the newest of its as-of times, and a day.
		for _, r := range prior.Reports {
			opts.Now = maxTime(opts.Now, r.AsOf.Add(MaxClockSkew))
		}
		if opts.Now.IsZero() {
			opts.Now = time.Now()
		}
	}
	again := Analyze(ctx, paths, nil, opts)
	return compareFindings(source, prior.Findings, again.Findings)
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// compareFindings names each way the review's findings differ from those
// its inputs give.
func compareFindings(source string, review, again []Finding) []Problem {
	var out []Problem
	add := func(format string, args ...any) {
		out = append(out, Problem{Source: source, Message: fmt.Sprintf(format, args...) + ": the review is not what its inputs give; it was changed after it was written",
			Hint: "analyse the inputs again, and decide on that review"})
	}
	have := map[string]*Finding{}
	for i := range again {
		have[again[i].ID] = &again[i]
	}
	seen := map[string]bool{}
	for i := range review {
		f := &review[i]
		seen[f.ID] = true
		g, ok := have[f.ID]
		switch {
		case !ok:
			add("finding %s (%s, %s) is in the review, but its inputs do not give it", f.ID, f.Check, f.User)
		case f.Check != g.Check || f.User != g.User || f.AccountID != g.AccountID || f.KeySlot != g.KeySlot:
			add("finding %s is about %s %s %s key %d in the review, %s %s %s key %d by its inputs", f.ID, f.Check, f.AccountID, f.User, f.KeySlot, g.Check, g.AccountID, g.User, g.KeySlot)
		case f.Severity != g.Severity:
			add("finding %s is %s in the review, %s by its inputs", f.ID, f.Severity, g.Severity)
		case !f.KeyCreated.Equal(g.KeyCreated) || f.KeyActive != g.KeyActive:
			add("finding %s's key is created %s, active %v in the review; created %s, active %v by its inputs", f.ID, f.KeyCreated.Format(time.RFC3339), f.KeyActive, g.KeyCreated.Format(time.RFC3339), g.KeyActive)
		case f.Excepted() != g.Excepted():
			add("finding %s is excepted %v in the review, %v by its inputs", f.ID, f.Excepted(), g.Excepted())
		case f.KeyID != g.KeyID:
			add("finding %s's key id is %q in the review, %q by its inputs", f.ID, f.KeyID, g.KeyID)
		}
	}
	for i := range again {
		if g := &again[i]; !seen[g.ID] {
			add("finding %s (%s, %s, %s) is given by the review's inputs, but the review does not have it", g.ID, g.Check, g.User, g.Severity)
		}
	}
	return out
}
