package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/credreview/credreview/analyze"
	"github.com/credreview/credreview/formats"
)

// ui writes messages to stderr in one voice: "credreview: error: ...".
// Every message is made visible first: file names, user names and values
// come from inputs anyone may have written, and a terminal must show them,
// never act on escape sequences in them.
type ui struct {
	w       io.Writer
	quiet   bool
	tty     bool // stderr is a terminal: progress may be shown
	command string
}

// isTerminal reports whether w is a terminal (not merely a character
// device: /dev/null is one too). A variable, so that tests can stand in a
// terminal.
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (u *ui) errorf(format string, args ...any) {
	fmt.Fprintf(u.w, "credreview: error: %s\n", formats.Visible(fmt.Sprintf(format, args...)))
}

func (u *ui) hintf(format string, args ...any) {
	fmt.Fprintf(u.w, "credreview: hint: %s\n", formats.Visible(fmt.Sprintf(format, args...)))
}

func (u *ui) warnf(format string, args ...any) {
	if !u.quiet {
		fmt.Fprintf(u.w, "credreview: warning: %s\n", formats.Visible(fmt.Sprintf(format, args...)))
	}
}

func (u *ui) infof(format string, args ...any) {
	if !u.quiet {
		fmt.Fprintf(u.w, "credreview: %s\n", formats.Visible(fmt.Sprintf(format, args...)))
	}
}

// progress shows, on a terminal, how far a batch has got: one line,
// rewritten at most ten times a second and cleared at the end.
type progress struct {
	w     io.Writer
	start time.Time
	last  time.Time
	shown bool
	now   func() time.Time
}

func (p *progress) update(pr analyze.Progress) {
	now := p.now()
	if now.Sub(p.last) < 100*time.Millisecond && pr.Done < pr.Total {
		return
	}
	p.last = now
	rate := ""
	if secs := now.Sub(p.start).Seconds(); secs > 0 {
		rate = fmt.Sprintf(", %s rows/s", humanCount(float64(pr.Rows)/secs))
	}
	fmt.Fprintf(p.w, "\rcredreview: %d/%d files, %s rows%s\x1b[K", pr.Done, pr.Total, humanCount(float64(pr.Rows)), rate)
	p.shown = true
}

// clear removes the progress line, so that the messages after it start
// at the beginning of a line.
func (p *progress) clear() {
	if p != nil && p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

// humanCount writes 1234567 as 1.2M.
func humanCount(n float64) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", n/1e6)
	case n >= 1e4:
		return fmt.Sprintf("%.0fk", n/1e3)
	}
	return fmt.Sprintf("%.0f", n)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
