package main

import (
	"strings"

	"github.com/credreview/credreview/internal/cli"
)

// manPage is credreview(1), made from the same text as --help so that the
// two never say different things: the top-level help, then each command's.
// make man writes it to doc/credreview.1 (TestManPage keeps it current).
func manPage() string {
	var b strings.Builder
	b.WriteString(".TH CREDREVIEW 1 \"\" \"credreview " + cli.Version + "\" \"User Commands\"\n")
	b.WriteString(".SH NAME\ncredreview \\- review AWS IAM credential reports for access keys made during a console user's setup\n")
	b.WriteString(".SH DESCRIPTION\n")
	preformatted(&b, usage)
	b.WriteString(".SH COMMANDS\n")
	for _, c := range commands {
		if c.Name == "help" {
			continue
		}
		b.WriteString(".SS " + c.Name + "\n")
		preformatted(&b, c.Usage)
	}
	return b.String()
}

// preformatted writes text as a no-fill block, escaped for troff.
func preformatted(b *strings.Builder, text string) {
	b.WriteString(".nf\n")
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		line = strings.ReplaceAll(line, `\`, `\e`)
		line = strings.ReplaceAll(line, "-", `\-`)
		if strings.HasPrefix(line, ".") || strings.HasPrefix(line, "'") {
			line = `\&` + line
		}
		b.WriteString(line + "\n")
	}
	b.WriteString(".fi\n")
}
