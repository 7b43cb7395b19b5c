package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/credreview/credreview/analyze"
)

// TestExitCode pins the exit codes the errors set.
func TestExitCode(t *testing.T) {
	for _, tt := range []struct {
		err  error
		code int
	}{
		{nil, 0},
		{errors.New("read x: no such file"), 1},
		{ErrReported, 1},
		{Usagef("no PATH given"), 2},
		{fmt.Errorf("parse: %w", Usagef("bad")), 2},
		{ErrFindings, 3},
	} {
		if got := ExitCode(tt.err); got != tt.code {
			t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.code)
		}
	}
}

// TestQuiet pins that -q keeps errors and hints only, and that a message
// cannot act on the terminal.
func TestQuiet(t *testing.T) {
	var b strings.Builder
	ui := NewUI(&b, func(io.Writer) bool { return false })
	ui.quiet = true
	ui.Infof("done")
	ui.Warnf("odd")
	ui.Errorf("bad \x1b[2K%s", "name")
	ui.Hintf("fix it")
	if want := "credreview: error: bad \\x1b[2Kname\ncredreview: hint: fix it\n"; b.String() != want {
		t.Errorf("wrote %q, want %q", b.String(), want)
	}
	if ui.Progress() != nil {
		t.Error("a progress line on a file")
	}
}

// TestProgress pins the progress line: throttled to ten a second, the last
// one always shown, cleared at the end.
func TestProgress(t *testing.T) {
	var b strings.Builder
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := &Progress{w: &b, start: now, now: func() time.Time { return now }}
	now = now.Add(time.Second)
	p.Update(analyze.Progress{Done: 1, Total: 3, Rows: 5001})
	now = now.Add(10 * time.Millisecond)
	p.Update(analyze.Progress{Done: 2, Total: 3, Rows: 10002}) // too soon: not shown
	now = now.Add(time.Second)
	p.Update(analyze.Progress{Done: 3, Total: 3, Rows: 2500000})
	p.Clear()
	want := "\rcredreview: 1/3 files, 5001 rows, 5001 rows/s\x1b[K" +
		"\rcredreview: 3/3 files, 2.5M rows, 1.2M rows/s\x1b[K" +
		"\r\x1b[K"
	if b.String() != want {
		t.Errorf("progress wrote %q, want %q", b.String(), want)
	}
	var none *Progress
	none.Clear() // no progress shown: nothing to clear
}

// TestFormatNames pins how a --format list is read: lower-cased, each
// once, in order, the first unknown name named.
func TestFormatNames(t *testing.T) {
	known := []string{"xlsx", "md", "json"}
	if names, bad := FormatNames(" MD,json,md,,", known); strings.Join(names, " ") != "md json" || bad != "" {
		t.Errorf("got %q, %q", names, bad)
	}
	if _, bad := FormatNames("md,pdf,doc", known); bad != "pdf" {
		t.Errorf("bad %q, want pdf", bad)
	}
}
