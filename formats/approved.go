package formats

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/credreview/credreview/analyze"
)

// Decision is the board's decision on one finding, as the workbook holds it.
type Decision struct {
	Row      int    // of the finding in the Findings sheet
	Value    string // Approve, Reject, Defer, or "" when the board decided nothing
	Reviewer string
	Ticket   string
	Notes    string
}

// Approved reports whether the board approved the finding.
func (d Decision) Approved() bool { return d.Value == "Approve" }

// Why says why a finding was left out of an approved script.
func (d Decision) Why() string {
	switch d.Value {
	case "Reject":
		return "rejected"
	case "Defer":
		return "deferred"
	case "Approve":
		return "approved"
	}
	return "no decision"
}

// RowProblem is one way a workbook no longer matches the review it was
// written for.
type RowProblem struct {
	Sheet   string
	Row     int // 0 when the problem is not about one row
	Message string
}

func (p RowProblem) String() string {
	if p.Row > 0 {
		return fmt.Sprintf("%s row %d: %s", p.Sheet, p.Row, p.Message)
	}
	return p.Sheet + ": " + p.Message
}

// MismatchError is the refusal of a workbook whose finding rows or commands
// no longer match the review credreview wrote into it.
type MismatchError struct {
	Problems []RowProblem
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("the workbook no longer matches the review credreview wrote (%s)", plural(len(e.Problems), "problem", "problems"))
}

// ReadApproved reads back a workbook that credreview wrote and a change
// board decided in. It rebuilds the review from the workbook's stamp and
// returns it with the board's decisions. It refuses, with a *MismatchError
// naming every row, a workbook whose finding rows or commands were edited,
// added or deleted, or whose Decision holds a value outside the list;
// rows may be sorted and filtered. Workbooks saved again by LibreOffice or
// another spreadsheet program read the same.
//
// The stamp is checked, not signed: it catches what a spreadsheet program
// can change, and refuses any value credreview could not have written, but
// someone who rewrites the stamp and the rows alike can make the workbook
// say what they like. The warnings are about approvals the board may not
// have seen: in rows a filter hides.
func ReadApproved(r io.Reader) (*Review, []RowProblem, error) {
	f, err := openWorkbook(r, "")
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	rev, err := readStamp(f)
	if err != nil {
		return nil, nil, err
	}
	var problems, warnings []RowProblem
	rev.Decisions, problems, warnings = readDecisions(f, rev)
	problems = append(problems, checkCommands(f, rev)...)
	if len(problems) > 0 {
		return nil, nil, &MismatchError{Problems: problems}
	}
	return rev, warnings, nil
}

// HoldsDecisions reports whether a file holds a change board's decisions:
// a workbook with anything in Decision, Reviewer, Change ticket or Notes,
// or a script written from such a workbook. Such a file is never replaced
// or removed by a later run.
func HoldsDecisions(path string) bool {
	switch {
	case strings.HasSuffix(path, ".sh"):
		f, err := os.Open(path)
		if err != nil {
			return false
		}
		defer f.Close()
		b := make([]byte, 8<<10)
		n, _ := io.ReadFull(f, b)
		return strings.Contains(string(b[:n]), approvedMarker)
	case strings.HasSuffix(path, ".xlsx"):
		f, err := openWorkbookFile(path)
		if err != nil {
			// A workbook too large to read within the caps may hold
			// decisions: it is never replaced in the dark. A file that is
			// no workbook at all holds none.
			var ce *capError
			return errors.As(err, &ce)
		}
		defer f.Close()
		rows, err := f.Rows(sheetFindings)
		if err != nil {
			return false
		}
		defer rows.Close()
		var inputs []int
		for n := 0; rows.Next(); n++ {
			cols, err := rows.Columns()
			if err != nil {
				return false
			}
			if n == 0 {
				for i, h := range cols {
					if h == colDecision || h == colReviewer || h == colTicket || h == colNotes {
						inputs = append(inputs, i)
					}
				}
				continue
			}
			for _, i := range inputs {
				if i < len(cols) && strings.TrimSpace(cols[i]) != "" {
					return true
				}
			}
		}
	}
	return false
}

// errNoStamp is the refusal of a workbook without credreview's stamp.
var errNoStamp = fmt.Errorf("the workbook has no credreview stamp (a hidden sheet %q): it was not written by this version of credreview analyze, or the sheet was removed; write the workbook again with credreview analyze -f xlsx", sheetStamp)

func readStamp(f *excelize.File) (*Review, error) {
	rows, err := f.GetRows(sheetStamp)
	if err != nil || len(rows) == 0 || len(rows[0]) < 2 || rows[0][0] != stampMagic {
		return nil, errNoStamp
	}
	var head stampReview
	if err := json.Unmarshal([]byte(strings.Join(rows[0][1:], "")), &head); err != nil { // see stampParts
		return nil, fmt.Errorf("the workbook's stamp is damaged (%v); write the workbook again with credreview analyze -f xlsx", err)
	}
	res := &analyze.Result{Options: analyze.Options{SetupWindow: head.Window, AsOf: head.AsOf}}
	for _, in := range head.Reports {
		res.Reports = append(res.Reports, analyze.Report{Source: in.Source, AccountID: in.AccountID, SHA256: in.SHA256})
	}
	for _, in := range head.Inventories {
		res.Inventories = append(res.Inventories, analyze.Inventory{Source: in.Source, AccountID: in.AccountID, SHA256: in.SHA256})
	}
	h := newStampDigest()
	if err := h.head(head); err != nil {
		return nil, fmt.Errorf("the workbook's stamp is damaged (%v); write the workbook again with credreview analyze -f xlsx", err)
	}
	for _, row := range rows[1:] {
		if len(row) < 2 {
			return nil, fmt.Errorf("the workbook's stamp is damaged (a short row); write the workbook again with credreview analyze -f xlsx")
		}
		var fd analyze.Finding
		if err := json.Unmarshal([]byte(row[1]), &fd); err != nil || fd.ID != row[0] {
			return nil, fmt.Errorf("the workbook's stamp is damaged (finding %q); write the workbook again with credreview analyze -f xlsx", Visible(row[0]))
		}
		// What reaches the script's commands must be what credreview could
		// have written: the stamp is checked, not signed, and anyone can
		// edit it and its digest alike.
		if bad := analyze.ValidFinding(&fd); bad != "" {
			return nil, fmt.Errorf("the workbook's stamp was changed: the %s of finding %q is not one credreview could have written; write the workbook again with credreview analyze -f xlsx", bad, Visible(row[0]))
		}
		h.add(row[0], []byte(row[1]))
		res.Findings = append(res.Findings, fd)
	}
	if len(res.Findings) != head.Findings || h.sum() != head.Digest {
		return nil, fmt.Errorf("the workbook's stamp was changed: its head and %s do not match its digest; write the workbook again with credreview analyze -f xlsx", plural(len(res.Findings), "finding", "findings"))
	}
	return &Review{Tool: head.Tool, Result: res, ID: head.ReviewID, Custody: head.Custody, stampDigest: head.Digest}, nil
}

// stampDigest hashes the stamp's finding rows in order.
type stampDigest struct{ h hash.Hash }

func newStampDigest() *stampDigest { return &stampDigest{sha256.New()} }

// head adds the stamp's head but its digest: the review id, the inputs and
// the counts are as much the stamp as its rows are.
func (d *stampDigest) head(head stampReview) error {
	head.Digest = ""
	b, err := json.Marshal(head)
	if err != nil {
		return err
	}
	d.add("head", b)
	return nil
}

func (d *stampDigest) add(id string, row []byte) {
	fmt.Fprintf(d.h, "%d:%s%d:", len(id), id, len(row))
	d.h.Write(row)
}

func (d *stampDigest) sum() string { return hex.EncodeToString(d.h.Sum(nil)) }

// readDecisions reads the Findings sheet: each row must be a finding of the
// review, shown as credreview wrote it, once; the board's columns stand
// where credreview put them, shown, each once, in plain cells.
func readDecisions(f *excelize.File, rev *Review) (decisions map[string]Decision, problems, warnings []RowProblem) {
	bad := func(row int, format string, args ...any) {
		problems = append(problems, RowProblem{Sheet: sheetFindings, Row: row, Message: fmt.Sprintf(format, args...)})
	}
	rows, err := boundedRows(f, sheetFindings, len(rev.Findings)+1+slackRows)
	if err != nil {
		bad(0, "%v", err)
		return nil, problems, nil
	}
	if len(rows) == 0 {
		bad(0, "the sheet is missing or empty")
		return nil, problems, nil
	}
	// The board's columns where credreview put them, and no other column
	// with one of their headings: a reader that took the first such column
	// could be shown one and read another.
	board := map[string]bool{}
	for i, c := range boardColumns {
		board[c.Title] = true
		name, _ := excelize.ColumnNumberToName(i + 1)
		if i >= len(rows[0]) || rows[0][i] != c.Title {
			bad(1, "column %s is not headed %q: the board's columns were moved or renamed", name, c.Title)
		} else if visible, err := f.GetColVisible(sheetFindings, name); err == nil && !visible {
			bad(1, "column %s (%s) is hidden: the board's columns must be shown", name, c.Title)
		}
	}
	for i := len(boardColumns); i < len(rows[0]); i++ {
		if board[rows[0][i]] {
			name, _ := excelize.ColumnNumberToName(i + 1)
			bad(1, "column %s is headed %q too: a board column's heading stands once", name, rows[0][i])
		}
	}
	if merged, err := f.GetMergeCells(sheetFindings); err == nil {
		for _, m := range merged {
			c1, r1, _ := excelize.CellNameToCoordinates(m.GetStartAxis())
			if r1 > 1 || c1 <= len(boardColumns) {
				bad(r1, "cells %s:%s are merged: each finding's cells stand on their own", m.GetStartAxis(), m.GetEndAxis())
			}
		}
	}
	if len(problems) > 0 {
		return nil, problems, nil
	}
	byID := map[string]*analyze.Finding{}
	for i := range rev.Findings {
		byID[rev.Findings[i].ID] = &rev.Findings[i]
	}
	at := func(row []string, i int) string {
		if i < len(row) {
			return row[i]
		}
		return ""
	}
	get := func(row []string, title string) string { return at(row, columnIndex(title)) }
	decisions = map[string]Decision{}
	for n, row := range rows[1:] {
		line := n + 2
		if strings.TrimSpace(strings.Join(row, "")) == "" {
			continue
		}
		id := strings.TrimSpace(get(row, colID))
		fd, ok := byID[id]
		switch {
		case id == "":
			bad(line, "a row without a finding ID: rows cannot be added")
			continue
		case !ok:
			bad(line, "finding %s is not in this review: rows cannot be added, and IDs cannot be changed", quoteIfOdd(Visible(id)))
			continue
		}
		if d, dup := decisions[id]; dup {
			bad(line, "finding %s again (first at row %d): rows cannot be copied", id, d.Row)
			continue
		}
		for i, c := range boardColumns {
			cell, _ := excelize.CoordinatesToCellName(i+1, line)
			if formula, _ := f.GetCellFormula(sheetFindings, cell); formula != "" {
				bad(line, "%s: %s is a formula (=%s): the board's cells hold values", id, c.Title, Visible(formula))
				continue
			}
			if c.Value == nil {
				continue
			}
			if got, want := at(row, i), xlsxText(c.Value(fd)); got != want {
				bad(line, "%s: %s reads %q, but credreview wrote %q; only Decision, Reviewer, Change ticket and Notes may be changed", id, c.Title, got, want)
			}
		}
		d := Decision{Row: line, Value: strings.TrimSpace(get(row, colDecision)), Reviewer: strings.TrimSpace(get(row, colReviewer)),
			Ticket: strings.TrimSpace(get(row, colTicket)), Notes: strings.TrimSpace(get(row, colNotes))}
		if d.Value != "" && !contains(Decisions, d.Value) {
			bad(line, "%s: Decision %q is not one of %s (or empty)", id, Visible(d.Value), strings.Join(Decisions, ", "))
		}
		if d.Approved() {
			if visible, err := f.GetRowVisible(sheetFindings, line); err == nil && !visible {
				warnings = append(warnings, RowProblem{Sheet: sheetFindings, Row: line, Message: id + " is approved in a hidden row: make sure the board saw it"})
			}
		}
		decisions[id] = d
	}
	for i := range rev.Findings {
		fd := &rev.Findings[i]
		if _, ok := decisions[fd.ID]; !ok {
			bad(0, "finding %s (%s, account %s) has no row: rows cannot be deleted", fd.ID, fd.User, fd.AccountID)
		}
	}
	return decisions, problems, warnings
}

// checkCommands compares the Commands sheet with the commands of the
// review's findings: every finding and phase once, as credreview wrote it.
func checkCommands(f *excelize.File, rev *Review) []RowProblem {
	var problems []RowProblem
	bad := func(row int, format string, args ...any) {
		problems = append(problems, RowProblem{Sheet: sheetCommands, Row: row, Message: fmt.Sprintf(format, args...)})
	}
	rows, err := boundedRows(f, sheetCommands, len(commandPhases)*len(rev.Findings)+1+slackRows)
	if err != nil {
		bad(0, "%v", err)
		return problems
	}
	if len(rows) == 0 {
		bad(0, "the sheet is missing or empty")
		return problems
	}
	type key struct{ id, phase string }
	want := map[key][]string{}
	for i := range rev.Findings {
		fd := &rev.Findings[i]
		c := fd.Commands()
		for _, p := range commandPhases {
			if cmds := p.Commands(&c); len(cmds) > 0 {
				want[key{fd.ID, p.Name}] = []string{xlsxText(fd.ID), xlsxText(fd.AccountID), xlsxText(fd.User), p.Name, xlsxText(strings.Join(cmds, "\n"))}
			}
		}
	}
	seen := map[key]int{}
	for n, row := range rows[1:] {
		line := n + 2
		if strings.TrimSpace(strings.Join(row, "")) == "" {
			continue
		}
		cell := func(i int) string {
			if i < len(row) {
				return row[i]
			}
			return ""
		}
		k := key{strings.TrimSpace(cell(0)), strings.TrimSpace(cell(3))}
		w, ok := want[k]
		if !ok {
			bad(line, "no phase %s of finding %s in this review: rows cannot be added, and IDs and phases cannot be changed", quoteIfOdd(k.phase), quoteIfOdd(k.id))
			continue
		}
		if first, dup := seen[k]; dup {
			bad(line, "the %s commands of %s again (first at row %d)", k.phase, k.id, first)
			continue
		}
		seen[k] = line
		for i, title := range []string{"ID", "Account", "User", "Phase", "Commands"} {
			if cell(i) != w[i] {
				bad(line, "%s %s: %s reads %q, but credreview wrote %q; commands cannot be changed", k.id, k.phase, title, cell(i), w[i])
			}
		}
	}
	var missing []string
	for k := range want {
		if _, ok := seen[k]; !ok {
			missing = append(missing, k.id+" "+k.phase)
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		bad(0, "no row for the %s commands: rows cannot be deleted", m)
	}
	return problems
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// quoteIfOdd quotes a value that is empty or has spaces, so it reads as one.
func quoteIfOdd(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\n") {
		return fmt.Sprintf("%q", s)
	}
	return s
}
