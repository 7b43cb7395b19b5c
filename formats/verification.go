package formats

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/credreview/credreview/analyze"
)

// Verification is what credreview verify writes: an earlier review, the
// analysis of newer evidence, and what the second says of the first.
type Verification struct {
	Tool   Tool
	Review *Review // the earlier review, read back from its JSON
	Newer  *Review // the newer evidence, analysed with the review's checks
	*analyze.Verification
	// Problems and Warnings are verify's own: a newer report older than
	// the review, one with the review's as-of time.
	Problems, Warnings []analyze.Problem
	// Source names the review's JSON, SHA256 its digest.
	Source, SHA256 string
	Paper          Paper
}

// VerificationID is the verification's id (see analyze.VerificationID).
func VerificationID(v *Verification) string {
	return analyze.VerificationID(v.Tool.Name, v.Tool.Version, v.Review.ID, v.SHA256, ReviewID(v.Newer))
}

// errors are the newer evidence's errors and verify's own.
func (v *Verification) errors() []analyze.Problem {
	return append(append([]analyze.Problem(nil), v.Newer.Errors...), v.Problems...)
}

// warnings are the newer evidence's warnings and verify's own.
func (v *Verification) warnings() []analyze.Problem {
	return append(append([]analyze.Problem(nil), v.Newer.Warnings...), v.Warnings...)
}

// VerificationFormat writes a verification in one format.
type VerificationFormat interface {
	Name() string
	WriteVerification(w io.Writer, v *Verification) error
}

// VerificationFormats are the formats verify writes, by name.
var VerificationFormats = map[string]VerificationFormat{"json": JSON{}, "md": Markdown{}, "xlsx": XLSX{}}

// outcomeMeaning says what an outcome means.
var outcomeMeaning = map[analyze.Outcome]string{
	analyze.Remediated:  "the credential is gone, or the check no longer finds it",
	analyze.Deactivated: "the key is still there, Inactive: delete it to finish",
	analyze.StillActive: "nothing has changed",
	analyze.UserDeleted: "the user is gone, and the credential with it",
	analyze.Unknown:     "the newer evidence does not cover the account, or cannot speak for it (counts for --fail-on)",
}

func verificationSummary(v *Verification) string {
	c := v.Count()
	var parts []string
	for _, o := range analyze.Outcomes {
		if c[o] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c[o], o))
		}
	}
	s := fmt.Sprintf("%s of review %s", plural(len(v.Results), "finding", "findings"), v.Review.ID)
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, ", ")
	}
	s += fmt.Sprintf("; %s the review did not have", plural(len(v.New), "new finding", "new findings"))
	if n := len(v.errors()); n > 0 {
		s += ", " + plural(n, "input error", "input errors")
	}
	return s
}

// VerificationSummary says in one line what a verification found.
func VerificationSummary(v *Verification) string { return verificationSummary(v) }

// WriteVerification implements VerificationFormat: the JSON, with a result
// per finding of the review, in its order (id, outcome, and what showed
// it), and the new findings in the review's finding shape.
func (JSON) WriteVerification(w io.Writer, v *Verification) error {
	j := newJSONWriter(w, v.Newer)
	j.open('{')
	j.num("schema_version", SchemaVersion)
	j.key("tool")
	j.open('{')
	j.str("name", v.Tool.Name)
	j.str("version", v.Tool.Version)
	j.close('}')
	j.str("verification_id", VerificationID(v))
	j.str("review_id", v.Review.ID)
	j.key("review")
	j.open('{')
	j.str("source", v.Source)
	j.str("sha256", v.SHA256)
	j.key("inputs")
	j.open('[')
	for _, rep := range v.Review.Reports {
		j.elem()
		j.open('{')
		j.str("source", rep.Source)
		j.strOrNull("sha256", rep.SHA256)
		j.strOrNull("account_id", rep.AccountID)
		j.strOrNull("as_of", stamp(rep.AsOf))
		j.close('}')
	}
	j.close(']')
	j.close('}')
	j.key("evidence")
	j.open('{')
	j.str("review_id", ReviewID(v.Newer))
	j.key("reports")
	j.open('[')
	for _, rep := range v.Newer.Reports {
		j.elem()
		j.open('{')
		j.str("source", rep.Source)
		j.strOrNull("sha256", rep.SHA256)
		j.strOrNull("account_id", rep.AccountID)
		j.strOrNull("generated_time", stamp(rep.Generated))
		j.strOrNull("as_of", stamp(rep.AsOf))
		j.close('}')
	}
	j.close(']')
	j.key("inventories")
	j.open('[')
	for _, inv := range v.Newer.Inventories {
		j.elem()
		j.open('{')
		j.str("source", inv.Source)
		j.str("sha256", inv.SHA256)
		j.strOrNull("account_id", inv.AccountID)
		j.close('}')
	}
	j.close(']')
	j.close('}')
	j.key("summary")
	j.open('{')
	c := v.Count()
	for _, o := range analyze.Outcomes {
		j.num(outcomeKey(o), int64(c[o]))
	}
	j.num("new_findings", int64(len(v.New)))
	j.num("errors", int64(len(v.errors())))
	j.close('}')
	j.key("results")
	j.open('[')
	for _, r := range v.Results {
		f := &r.Finding
		j.elem()
		j.open('{')
		j.str("id", f.ID)
		j.str("outcome", string(r.Outcome))
		j.str("evidence", r.Evidence)
		j.str("check", f.Check)
		j.str("severity", f.Severity.String())
		j.str("account_id", f.AccountID)
		j.str("user", f.User)
		j.num("key_slot", int64(f.KeySlot))
		j.strOrNull("key_id", f.KeyID)
		j.strOrNull("key_created", stamp(f.KeyCreated))
		j.close('}')
	}
	j.close(']')
	j.key("new_findings")
	j.open('[')
	for i := range v.New {
		j.finding(&v.New[i])
	}
	j.close(']')
	j.problems(v.warnings(), v.errors())
	j.close('}')
	j.buf = append(j.buf, '\n')
	return j.flush()
}

// WriteVerification implements VerificationFormat: the record of a change,
// for the change request it closes.
func (Markdown) WriteVerification(w io.Writer, v *Verification) error {
	e := &errWriter{w: w}
	e.printf("# Verification of review %s\n\n", v.Review.ID)
	e.printf("Generated by %s %s, verification %s. %s.\n\n", v.Tool.Name, v.Tool.Version, VerificationID(v), capitalize(verificationSummary(v)))
	e.print("## Evidence\n\n")
	e.printf("The review: %s (SHA-256 %s), from:\n\n", code(v.Source), code(v.SHA256))
	e.print("| Report | Account | As of | SHA-256 |\n|---|---|---|---|\n")
	for _, rep := range v.Review.Reports {
		e.printf("| %s | %s | %s | %s |\n", code(rep.Source), cell(accountOf(rep.AccountID)), cell(orDash(stamp(rep.AsOf))), orDash(code(rep.SHA256)))
	}
	e.print("\nThe newer evidence:\n\n")
	e.print("| Report | Account | As of | SHA-256 |\n|---|---|---|---|\n")
	for _, rep := range v.Newer.Reports {
		e.printf("| %s | %s | %s | %s |\n", code(rep.Source), cell(accountOf(rep.AccountID)), cell(orDash(stamp(rep.AsOf))), orDash(code(rep.SHA256)))
	}
	for _, inv := range v.Newer.Inventories {
		e.printf("| %s (key inventory) | %s | - | %s |\n", code(inv.Source), cell(orDash(inv.AccountID)), code(inv.SHA256))
	}
	e.print("\n## Outcomes\n\n| Outcome | Findings | Meaning |\n|---|--:|---|\n")
	c := v.Count()
	for _, o := range analyze.Outcomes {
		e.printf("| %s | %d | %s |\n", o, c[o], outcomeMeaning[o])
	}
	e.print("\n## Findings of the review\n\n")
	if len(v.Results) == 0 {
		e.print("The review had no findings.\n\n")
	} else {
		e.print("| ID | Severity | Account | User | Key | Outcome | What showed it |\n|---|---|:-:|---|---|---|---|\n")
		for _, r := range v.Results {
			f := &r.Finding
			e.printf("| %s | %s | %s | %s | %s | **%s** | %s |\n", cell(f.ID), cell(f.Severity.String()), cell(f.AccountID), code(f.User), cell(keyText(f)), r.Outcome, cell(r.Evidence))
		}
		e.print("\n")
	}
	e.print("## New findings\n\n")
	if len(v.New) == 0 {
		e.print("The newer evidence has no finding the review did not have.\n\n")
	} else {
		e.print("Findings of the newer evidence that the review did not have: a new review should take them.\n\n")
		fs := make([]*analyze.Finding, len(v.New))
		for i := range v.New {
			fs[i] = &v.New[i]
		}
		findingTable(e, markdownColumns(), fs)
	}
	if errs := v.errors(); len(errs) > 0 {
		e.print("## Errors\n\n")
		problemTable(e, errs)
	}
	if len(v.warnings()) > 0 {
		e.print("## Warnings\n\n")
		problemTable(e, v.warnings())
	}
	return e.err
}

// Sheets of the verification workbook.
const (
	sheetResults = "Results"
	sheetNew     = "New findings"
)

// resultColumns are the Results sheet's columns.
var resultColumns = []struct {
	title string
	width float64
	value func(r *analyze.Verified) string
}{
	{"ID", 22, func(r *analyze.Verified) string { return r.Finding.ID }},
	{"Severity", 9, func(r *analyze.Verified) string { return r.Finding.Severity.String() }},
	{"Check", 14, func(r *analyze.Verified) string { return r.Finding.Check }},
	{"Account", 14, func(r *analyze.Verified) string { return r.Finding.AccountID }},
	{"User", 24, func(r *analyze.Verified) string { return r.Finding.User }},
	{"Key", 24, func(r *analyze.Verified) string { return keyText(&r.Finding) }},
	{"Outcome", 13, func(r *analyze.Verified) string { return string(r.Outcome) }},
	{"What showed it", 50, func(r *analyze.Verified) string { return r.Evidence }},
}

// WriteVerification implements VerificationFormat: a workbook to file with
// the change: Summary (the evidence and the outcomes), Results (one row per
// finding of the review), New findings (if any), Errors and Warnings (if
// any); printed landscape, one page wide.
func (XLSX) WriteVerification(w io.Writer, v *Verification) error {
	errs := v.errors()
	f, st, err := newWorkbook(sheetSummary, map[string]bool{sheetResults: true, sheetNew: len(v.New) > 0, sheetErrors: len(errs) > 0, sheetWarnings: len(v.warnings()) > 0},
		sheetResults, sheetNew, sheetErrors, sheetWarnings)
	if err != nil {
		return err
	}
	defer f.Close()
	// Outcomes in colour: green done, amber half done, red not done, grey
	// not known.
	outcomeStyle := map[analyze.Outcome]int{}
	for _, oc := range []struct {
		o     analyze.Outcome
		color string
	}{{analyze.Remediated, "C6EFCE"}, {analyze.UserDeleted, "C6EFCE"}, {analyze.Deactivated, "FCE4A8"}, {analyze.StillActive, "F4B6B6"}, {analyze.Unknown, "D9D9D9"}} {
		id, err := f.NewStyle(&excelize.Style{
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{oc.color}},
			Border:    []excelize.Border{{Type: "left", Color: "A6A6A6", Style: 1}, {Type: "right", Color: "A6A6A6", Style: 1}, {Type: "top", Color: "A6A6A6", Style: 1}, {Type: "bottom", Color: "A6A6A6", Style: 1}},
			Alignment: &excelize.Alignment{Vertical: "top", WrapText: true},
		})
		if err != nil {
			return err
		}
		outcomeStyle[oc.o] = id
	}
	title := "Verification of credential review " + v.Review.ID
	footer := "Verification " + VerificationID(v) + " · evidence as of " + stamp(newestAsOf(v.Newer))
	layout := func(sheet string, header bool) error {
		if err := printLayout(f, sheet, v.Paper, title, footer); err != nil {
			return err
		}
		if !header {
			return nil
		}
		if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
		return f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: "'" + sheet + "'!$1:$1", Scope: sheet})
	}

	// Summary.
	s := &sheetWriter{f: f, sheet: sheetSummary}
	const wide = 120.0
	s.line([]int{st.title}, title)
	s.note(capitalize(verificationSummary(v))+".", "D", st.text, wide)
	s.blank()
	s.pair("Tool", v.Tool.Name+" "+v.Tool.Version, "D", st, wide-30)
	s.pair("Verification id", VerificationID(v), "D", st, wide-30)
	s.pair("The review", v.Source+" (SHA-256 "+v.SHA256+")", "D", st, wide-30)
	s.blank()
	s.line([]int{st.heading}, "Outcomes")
	s.line([]int{st.header, st.headerCenter, st.header}, "Outcome", "Findings", "Meaning")
	c := v.Count()
	meaning := func(text string) {
		if s.err == nil {
			s.err = f.MergeCell(sheetSummary, fmt.Sprintf("C%d", s.row), fmt.Sprintf("D%d", s.row))
		}
		s.height(rowHeight(wrappedLines(text, 87)))
	}
	for _, o := range analyze.Outcomes {
		s.line([]int{outcomeStyle[o], st.cellCenter, st.cell, st.cell}, string(o), c[o], outcomeMeaning[o], "")
		meaning(outcomeMeaning[o])
	}
	const newMeaning = "findings of the newer evidence the review did not have: a new review should take them"
	s.line([]int{st.cell, st.cellCenter, st.cell, st.cell}, "new findings", len(v.New), newMeaning, "")
	meaning(newMeaning)
	s.blank()
	s.line([]int{st.heading}, "Evidence")
	s.line([]int{st.header, st.header, st.header, st.header}, "Report", "Account", "As of", "SHA-256")
	for _, set := range []struct {
		label string
		reps  []analyze.Report
	}{{"review", v.Review.Reports}, {"newer", v.Newer.Reports}} {
		for _, rep := range set.reps {
			s.line([]int{st.cell, st.cell, st.cell, st.cellCode}, set.label+": "+rep.Source, accountOf(rep.AccountID), orDash(stamp(rep.AsOf)), orDash(rep.SHA256))
			s.height(rowHeight(wrappedLines(set.label+": "+rep.Source, 44)))
		}
	}
	for _, inv := range v.Newer.Inventories {
		s.line([]int{st.cell, st.cell, st.cell, st.cellCode}, "newer key inventory: "+inv.Source, orDash(inv.AccountID), "-", inv.SHA256)
		s.height(rowHeight(wrappedLines("newer key inventory: "+inv.Source, 44)))
	}
	if s.err != nil {
		return s.err
	}
	if err := setWidths(f, sheetSummary, 44, 14, 21, 66); err != nil {
		return err
	}
	if err := layout(sheetSummary, false); err != nil {
		return err
	}

	// Results and New findings: as many rows as findings, written as the
	// review's large sheets are (see xlsxzip.go).
	large := []string{sheetResults}
	if len(v.New) > 0 {
		large = append(large, sheetNew)
	}
	book, err := newRawBook(f, w, large...)
	if err != nil {
		return err
	}
	defer book.close()
	sh := book.sheet(sheetResults)
	header := make([]rawCell, len(resultColumns))
	widths := make([]float64, len(resultColumns))
	for i, col := range resultColumns {
		header[i], widths[i] = textCell(st.header, col.title), col.width
	}
	sh.row(rowHeight(1), header...)
	cells := make([]rawCell, len(resultColumns))
	for i := range v.Results {
		r := &v.Results[i]
		lines := 1
		for j, col := range resultColumns {
			style := st.cell
			switch j {
			case 1:
				style = st.severity[r.Finding.Severity]
			case 6:
				style = outcomeStyle[r.Outcome]
			}
			val := col.value(r)
			cells[j] = textCell(style, xlsxText(val))
			lines = max(lines, wrappedLines(val, col.width))
		}
		sh.row(rowHeight(lines), cells...)
	}
	if sh.err != nil {
		return sh.err
	}
	if len(v.Results) > 0 { // the filter first: see setFindings
		if err := f.AutoFilter(sheetResults, fmt.Sprintf("A1:H%d", len(v.Results)+1), nil); err != nil {
			return err
		}
	}
	if err := setWidths(f, sheetResults, widths...); err != nil {
		return err
	}
	if err := layout(sheetResults, true); err != nil {
		return err
	}
	if sh := book.sheet(sheetNew); sh != nil {
		cols := markdownColumns()
		header := make([]rawCell, len(cols))
		widths := make([]float64, len(cols))
		for i, col := range cols {
			header[i], widths[i] = textCell(st.header, col.Title), max(col.Width, 10)
		}
		sh.row(rowHeight(1), header...)
		cells := make([]rawCell, len(cols))
		for i := range v.New {
			fd := &v.New[i]
			lines := 1
			for j, col := range cols {
				val := col.Value(fd)
				cells[j] = textCell(st.styleOf(col.Kind, fd.Severity), xlsxText(val))
				lines = max(lines, wrappedLines(val, widths[j]))
			}
			sh.row(rowHeight(lines), cells...)
		}
		if sh.err != nil {
			return sh.err
		}
		if err := setWidths(f, sheetNew, widths...); err != nil {
			return err
		}
		if err := layout(sheetNew, true); err != nil {
			return err
		}
	}

	// Errors and warnings.
	for _, p := range []struct {
		sheet string
		list  []analyze.Problem
	}{{sheetErrors, errs}, {sheetWarnings, v.warnings()}} {
		if len(p.list) == 0 {
			continue
		}
		if err := problemSheet(f, p.sheet, p.list, st); err != nil {
			return err
		}
		if err := layout(p.sheet, true); err != nil {
			return err
		}
	}

	// The document's properties come from the evidence, not the clock.
	ts := docTime(newestAsOf(v.Newer))
	if err := f.SetDocProps(&excelize.DocProperties{
		Title: title, Creator: v.Tool.Name + " " + v.Tool.Version, LastModifiedBy: v.Tool.Name + " " + v.Tool.Version,
		Description: capitalize(verificationSummary(v)) + ".", Identifier: VerificationID(v), Created: ts, Modified: ts, Language: "en-GB",
	}); err != nil {
		return err
	}
	return book.write()
}
