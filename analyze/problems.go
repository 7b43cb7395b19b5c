package analyze

import "fmt"

// maxProblemsPerFile bounds the errors, and separately the warnings, kept
// for one file: a report re-saved by a spreadsheet program has a bad value in
// every row, and five thousand copies of one message help nobody. What is
// left out is counted in a last problem, never dropped silently.
const maxProblemsPerFile = 50

// problems collects the errors and warnings of one input.
type problems struct {
	source             string
	errors, warnings   []Problem
	moreErr, moreWarn  int
	hinted             map[string]bool
	firstErr, firstWrn int // lines of the first problems left out
}

func (p *problems) errorf(line int, hint, format string, args ...any) {
	if len(p.errors) >= maxProblemsPerFile {
		// The first line of those left out: errors found once a report is
		// read (times after it) come after those of its rows.
		if p.moreErr == 0 || line > 0 && line < p.firstErr {
			p.firstErr = line
		}
		p.moreErr++
		return
	}
	p.errors = append(p.errors, Problem{Source: p.source, Line: line, Message: fmt.Sprintf(format, args...), Hint: p.hintOnce(hint)})
}

func (p *problems) warnf(line int, format string, args ...any) {
	if len(p.warnings) >= maxProblemsPerFile {
		if p.moreWarn == 0 {
			p.firstWrn = line
		}
		p.moreWarn++
		return
	}
	p.warnings = append(p.warnings, Problem{Source: p.source, Line: line, Message: fmt.Sprintf(format, args...)})
}

// fail records a problem that ends the reading of the whole file.
func (p *problems) fail(err error) {
	pr, ok := err.(*Problem)
	if !ok {
		pr = &Problem{Source: p.source, Message: err.Error()}
	}
	pr.Hint = p.hintOnce(pr.Hint)
	p.errors = append(p.errors, *pr)
}

// hintOnce gives a hint the first time it applies in a file.
func (p *problems) hintOnce(hint string) string {
	if hint == "" || p.hinted[hint] {
		return ""
	}
	if p.hinted == nil {
		p.hinted = map[string]bool{}
	}
	p.hinted[hint] = true
	return hint
}

// finish adds the counts of what was left out.
func (p *problems) finish() {
	if p.moreErr > 0 {
		p.errors = append(p.errors, Problem{Source: p.source, Message: fmt.Sprintf("%d more rows have errors, from line %d on; only the first %d are listed", p.moreErr, p.firstErr, maxProblemsPerFile)})
	}
	if p.moreWarn > 0 {
		p.warnings = append(p.warnings, Problem{Source: p.source, Message: fmt.Sprintf("%d more warnings, from line %d on; only the first %d are listed", p.moreWarn, p.firstWrn, maxProblemsPerFile)})
	}
}
