package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/credreview/credreview/analyze"
	"github.com/credreview/credreview/formats"
)

// UI writes messages to stderr in one voice: "credreview: error: ...".
// Every message is made visible first: file names, user names and values
// come from inputs anyone may have written, and a terminal must show them,
// never act on escape sequences in them.
type UI struct {
	w        io.Writer
	terminal func(io.Writer) bool
	tty      bool // stderr is a terminal: progress may be shown
	quiet    bool // -q: errors only
}

// NewUI speaks on stderr; terminal tells a terminal from a file or a pipe
// (IsTerminal, or what a test stands in for it).
func NewUI(stderr io.Writer, terminal func(io.Writer) bool) *UI {
	return &UI{w: stderr, terminal: terminal, tty: terminal(stderr)}
}

// IsTerminal reports whether w is a terminal (not merely a character
// device: /dev/null is one too).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Terminal reports whether w, standard output say, is a terminal.
func (u *UI) Terminal(w io.Writer) bool { return u.terminal(w) }

// Errorf says what failed; it is printed with -q too.
func (u *UI) Errorf(format string, args ...any) {
	fmt.Fprintf(u.w, "credreview: error: %s\n", formats.Visible(fmt.Sprintf(format, args...)))
}

// Hintf follows an error with its likely fix.
func (u *UI) Hintf(format string, args ...any) {
	fmt.Fprintf(u.w, "credreview: hint: %s\n", formats.Visible(fmt.Sprintf(format, args...)))
}

// Warnf says what the run did not like but went on with.
func (u *UI) Warnf(format string, args ...any) {
	if !u.quiet {
		fmt.Fprintf(u.w, "credreview: warning: %s\n", formats.Visible(fmt.Sprintf(format, args...)))
	}
}

// Infof says what the run did.
func (u *UI) Infof(format string, args ...any) {
	if !u.quiet {
		fmt.Fprintf(u.w, "credreview: %s\n", formats.Visible(fmt.Sprintf(format, args...)))
	}
}

// Progress is the progress line of a batch, or nil where none is shown:
// when stderr is not a terminal, or with -q.
func (u *UI) Progress() *Progress {
	if !u.tty || u.quiet {
		return nil
	}
	p := &Progress{w: u.w, now: time.Now}
	p.start = p.now()
	return p
}

// Progress shows, on a terminal, how far a batch has got: one line,
// rewritten at most ten times a second and cleared at the end.
type Progress struct {
	w     io.Writer
	start time.Time
	last  time.Time
	shown bool
	now   func() time.Time
}

// Update is an analyze.Options.Progress.
func (p *Progress) Update(pr analyze.Progress) {
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

// Clear removes the progress line, so that the messages after it start
// at the beginning of a line.
func (p *Progress) Clear() {
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

// Plural counts: "1 file", "2 files".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
