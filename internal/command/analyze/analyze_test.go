package analyze

import (
	"strings"
	"testing"

	"github.com/credreview/credreview/analyze"
	"github.com/credreview/credreview/formats"
)

// TestParseDays pins that durations take days, as auditors count them.
func TestParseDays(t *testing.T) {
	for in, want := range map[string]string{"1d": "24h", "1d12h": "36h", "90m": "1h30m", "2d": "48h", "0d": "0s"} {
		d, err := parseDays(in)
		if err != nil || formats.Window(d) != want {
			t.Errorf("parseDays(%q) = %v, %v; want %s", in, d, err, want)
		}
	}
	for _, bad := range []string{"d", "1x", "1d-1h", "dd", "1.5d", "+1d"} {
		if _, err := parseDays(bad); err == nil {
			t.Errorf("parseDays(%q) took it", bad)
		}
	}
}

// TestUsageListsTheTable pins that the help names every check and every
// benchmark version of analyze's table, and that what it makes of them
// stays within the options' 78 columns. (The help's bytes are pinned by
// the golden files of package main.)
func TestUsageListsTheTable(t *testing.T) {
	flat := strings.Join(strings.Fields(usage), " ")
	for _, c := range analyze.Checks {
		if !strings.Contains(flat, " "+c.ID+",") && !strings.Contains(flat, " "+c.ID+" ") {
			t.Errorf("the help does not list check %s", c.ID)
		}
	}
	for _, b := range analyze.Benchmarks {
		if !strings.Contains(flat, string(b)) {
			t.Errorf("the help does not list benchmark %s", b)
		}
	}
	if !strings.Contains(flat, "(default "+defaultCheck+").") {
		t.Errorf("the help does not give --checks's default")
	}
	for _, line := range strings.Split(option("--checks LIST", "all, or some of "+checkList()+" "+checkList()), "\n") {
		if len(line) > 78 || !strings.HasPrefix(line, "        ") {
			t.Errorf("option line of %d columns: %q", len(line), line)
		}
	}
	if strings.Contains(usage, nbsp) || strings.Contains(usage, "{") {
		t.Errorf("the help has a placeholder or a non-breaking space left:\n%s", usage)
	}
}
