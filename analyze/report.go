package analyze

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gocarina/gocsv"
)

// csvRow is one row of a credential report: the columns credreview reads,
// found by header name. Every one of them is required; other columns (AWS
// adds some over time) are ignored.
type csvRow struct {
	User             string `csv:"user"`
	ARN              string `csv:"arn"`
	UserCreationTime string `csv:"user_creation_time"`
	PasswordEnabled  string `csv:"password_enabled"`
	PasswordLastUsed string `csv:"password_last_used"`
	MFAActive        string `csv:"mfa_active"`

	Key1Active          string `csv:"access_key_1_active"`
	Key1LastRotated     string `csv:"access_key_1_last_rotated"`
	Key1LastUsedDate    string `csv:"access_key_1_last_used_date"`
	Key1LastUsedRegion  string `csv:"access_key_1_last_used_region"`
	Key1LastUsedService string `csv:"access_key_1_last_used_service"`

	Key2Active          string `csv:"access_key_2_active"`
	Key2LastRotated     string `csv:"access_key_2_last_rotated"`
	Key2LastUsedDate    string `csv:"access_key_2_last_used_date"`
	Key2LastUsedRegion  string `csv:"access_key_2_last_used_region"`
	Key2LastUsedService string `csv:"access_key_2_last_used_service"`

	PasswordLastChanged string `csv:"password_last_changed"`

	// Optional: read for the report's newest time, not required (reports
	// of tests and other tools leave them out). "" when absent.
	Cert1LastRotated string `csv:"cert_1_last_rotated"`
	Cert2LastRotated string `csv:"cert_2_last_rotated"`
}

// optionalColumns are csvRow's columns a report may lack.
var optionalColumns = map[string]bool{"cert_1_last_rotated": true, "cert_2_last_rotated": true}

// csvColumns are csvRow's csv tags, in field order; fields returns the
// fields in the same order. A test keeps the three in step.
var csvColumns = [...]string{
	"user", "arn", "user_creation_time", "password_enabled", "password_last_used", "mfa_active",
	"access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
	"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date", "access_key_2_last_used_region", "access_key_2_last_used_service",
	"password_last_changed", "cert_1_last_rotated", "cert_2_last_rotated",
}

func (r *csvRow) fields() [len(csvColumns)]*string {
	return [...]*string{
		&r.User, &r.ARN, &r.UserCreationTime, &r.PasswordEnabled, &r.PasswordLastUsed, &r.MFAActive,
		&r.Key1Active, &r.Key1LastRotated, &r.Key1LastUsedDate, &r.Key1LastUsedRegion, &r.Key1LastUsedService,
		&r.Key2Active, &r.Key2LastRotated, &r.Key2LastUsedDate, &r.Key2LastUsedRegion, &r.Key2LastUsedService,
		&r.PasswordLastChanged, &r.Cert1LastRotated, &r.Cert2LastRotated,
	}
}

// Hints, each given once per file.
const (
	hintSpreadsheet   = "the file may have been opened and re-saved by a spreadsheet program, which rewrites timestamps; analyse the file AWS produced"
	hintTruncated     = "the file ends in the middle of a row: it may be truncated; download the report again"
	hintTruncatedFile = "the file may be truncated; copy or download it again"
	hintComma         = "IAM user names may contain commas and AWS does not quote them; credreview puts such rows back together only when the ARN ends with the user name"
	hintNotReport     = "credreview reads credential reports (CSV, or the JSON of aws iam get-credential-report, optionally gzipped) and the JSON of aws iam list-access-keys"
	hintQuotes        = "a field must not span lines; AWS never writes a line break inside a field, nor a quote: the file was edited by hand; put the row back as AWS wrote it"
	hintCR            = "convert the line ends to LF (tr '\\r' '\\n') or analyse the file AWS produced"
)

// reportParser reads the rows of one credential report and hands each one
// out typed (rows), knowing no rule: the checks run over what it hands out
// (see checker). It keeps problems, and a few bytes per row (see rowTime,
// rowDigest), never the rows.
type reportParser struct {
	rep  *Report
	opts *Options
	pr   *problems

	// slowOnly sends every line through encoding/csv and gocsv, for tests
	// that check the fast path reads the same.
	slowOnly bool

	// rejects are the data lines named in an error, whose rows were not
	// handed out: tests hold every data line to being handed out or named,
	// never both.
	rejects []int

	// yield is given each row read; false stops the reading (see rows).
	yield   func(*Row) bool
	stopped bool

	// asOf, when --as-of is given, lets rows be warned about for times
	// after it as they are read.
	asOf int64
	// now is the machine's clock; latest, the last second a report can
	// hold: the clock and the skew allowed.
	now    time.Time
	latest int64

	accountLine int      // line of the row that set the account, 0 if none yet
	arnPrefix   string   // arn:PARTITION:iam::ACCOUNT: of the report, once known
	seen        *userSet // the users, and what is kept of each row

	rootLine   int                     // the first root row's line, 0 if none yet
	rootFields [len(csvColumns)]string // what it said

	cur Row   // the row handed out: see read
	err error // what ended the reading early, once rows is done

	checked int // rows handed out; the report's Lines less those named in errors
}

// errStopped ends a parse whose rows' reader stopped asking for rows.
var errStopped = errors.New("stopped")

// rows hands out the rows of a report, each once it is read, in the order
// of the file. The row and its strings are the parser's, overwritten by the
// next row: a reader that keeps one clones it (Row.clone). Once the
// sequence is over, p.err says what ended it early, if anything.
func (p *reportParser) rows(r io.Reader) iter.Seq[*Row] {
	return func(yield func(*Row) bool) {
		p.yield = yield
		p.err = p.parse(r)
		if p.stopped {
			p.err = nil
		}
	}
}

func (p *reportParser) parse(r io.Reader) error {
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < maxLine {
		br = bufio.NewReaderSize(r, bufSize)
	}
	lr := &lineReader{br: br}
	// The header is the first line that is not blank, as encoding/csv has it.
	var head []byte
	for {
		line, ok := lr.next()
		if !ok {
			if lr.err == io.EOF || lr.err == nil {
				return &Problem{Source: p.rep.Source, Message: "file is empty", Hint: hintNotReport}
			}
			return p.readError(lr.err, lr)
		}
		if body, _ := splitEOL(line); len(body) > 0 {
			head = line
			break
		}
	}
	if body, _ := splitEOL(head); !quotesBalance(body) {
		return &Problem{Source: p.rep.Source, Line: lr.line, Message: "header: the quotes do not balance", Hint: hintQuotes}
	}
	feed := &slowFeed{}
	feed.push(head)
	cv := csv.NewReader(feed)
	cv.ReuseRecord = true
	um, err := gocsv.NewUnmarshaller(cv, csvRow{})
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return &Problem{Source: p.rep.Source, Line: lr.line, Message: "header: " + pe.Err.Error()}
		}
		return p.readError(err, lr)
	}
	for _, h := range um.Headers {
		if strings.Contains(h, "\r") {
			return &Problem{Source: p.rep.Source, Line: lr.line, Message: "the lines end in a carriage return alone, as classic Mac OS wrote them, so the whole file reads as one line", Hint: hintCR}
		}
	}
	var missing []string
	for _, m := range um.MismatchedStructFields {
		if !optionalColumns[m] {
			missing = append(missing, m)
		}
	}
	isHeader := slices.Contains(um.Headers, "user") && slices.Contains(um.Headers, "arn")
	if isHeader {
		if err := p.repeatedColumn(um.Headers, lr.line); err != nil {
			return err
		}
	}
	if len(missing) > 0 {
		return p.headerError(missing, um.Headers, head, lr)
	}
	fast := newFastDecoder(um.Headers)
	var row csvRow
	for {
		line, ok := lr.next()
		if !ok {
			break
		}
		body, _ := splitEOL(line)
		if len(body) == 0 {
			continue // encoding/csv skips blank lines too
		}
		p.rep.Lines++
		if p.rep.Lines > maxRows {
			p.rejected(lr.line)
			return &Problem{Source: p.rep.Source, Line: lr.line, Message: fmt.Sprintf("more than %d rows: IAM allows 5,000 users in an account, so this is not one account's report; the rest of the file was not read", maxRows), fatal: true}
		}
		if !p.slowOnly && fast.decode(line, &row) {
			if !p.row(lr.line, &row) {
				return errStopped
			}
			continue
		}
		if !quotesBalance(body) {
			p.reject(lr.line, hintQuotes, "the quotes on this line do not balance: a quoted field does not end on it; the row was not analysed, and the next line is read as a row of its own")
			continue
		}
		if p.slowOnly {
			line = fast.quoteRepaired(line)
		}
		feed.push(line)
		v, err := um.Read()
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				p.rejected(lr.line)
				return p.readError(err, lr)
			}
			p.rowError(lr.line, pe, feed, fast.fields, lr)
			continue
		}
		row = v.(csvRow)
		if !p.row(lr.line, &row) {
			return errStopped
		}
	}
	if lr.err == errLineTooLong { // a data line, named in the error
		p.rep.Lines++
		p.rejected(lr.line)
	}
	if lr.err != nil && lr.err != io.EOF {
		return p.readError(lr.err, lr)
	}
	return nil
}

// readError describes what ended the reading of a report early.
func (p *reportParser) readError(err error, lr *lineReader) error {
	if err == errLineTooLong {
		if bytes.IndexByte(lr.long, '\r') >= 0 {
			return &Problem{Source: p.rep.Source, Line: lr.line, Message: "the lines end in a carriage return alone, as classic Mac OS wrote them, so the whole file reads as one line", Hint: hintCR, fatal: true}
		}
		return &Problem{Source: p.rep.Source, Line: lr.line, Message: fmt.Sprintf("a line longer than %d KiB, which no credential report has (IAM names have at most 64 characters and paths 512): the file is not a report, or is damaged; the rest of it was not read", maxLine>>10),
			Hint: hintNotReport, fatal: true}
	}
	var pr *Problem
	if errors.As(err, &pr) {
		q := *pr
		if q.Line == 0 && lr.line > 0 {
			q.Line = lr.line + 1 // the line being read
		}
		return &q
	}
	msg := "read failed: " + err.Error()
	if lr.line > 1 {
		msg = fmt.Sprintf("read failed after line %d: %v; the rows before it were analysed", lr.line, err)
	}
	hint := ""
	if errors.Is(err, io.ErrUnexpectedEOF) {
		hint = hintTruncatedFile
	}
	return &Problem{Source: p.rep.Source, Message: msg, Hint: hint, fatal: true}
}

// reject reports a data line whose row is not checked: every data line is
// either checked or named in an error, never both and never neither.
func (p *reportParser) reject(line int, hint, format string, args ...any) {
	p.rejected(line)
	p.pr.errorf(line, hint, format, args...)
}

func (p *reportParser) rejected(line int) {
	p.rep.Rejected++
	p.rejects = append(p.rejects, line)
}

// repeatedColumn refuses a header that names a column twice: a reader
// takes one of the two (gocsv the first), and a column prepended to the
// rows, user_creation_time of 2000, say, or access_key_1_active of false,
// would decide the checks in silence.
func (p *reportParser) repeatedColumn(header []string, line int) error {
	first := map[string]int{}
	for i, h := range header {
		key := strings.ToLower(strings.TrimSpace(h))
		if j, ok := first[key]; ok {
			return &Problem{Source: p.rep.Source, Line: line,
				Message: fmt.Sprintf("header: column %q is in it twice, at positions %d and %d: which of them holds a row's value cannot be told, and either could decide a check; no row was analysed", h, j+1, i+1),
				Hint:    "AWS writes each column once: analyse the file AWS produced"}
		}
		first[key] = i
	}
	return nil
}

func (p *reportParser) headerError(missing, header []string, head []byte, lr *lineReader) error {
	if !slices.Contains(header, "user") || !slices.Contains(header, "arn") {
		hint := hintNotReport
		switch {
		case len(header) > 0 && (strings.HasPrefix(header[0], "user;arn;") || strings.HasPrefix(header[0], "user\tarn\t")):
			hint = "the fields are separated by semicolons or tabs, not commas: a spreadsheet program re-saved the file; analyse the file AWS produced"
		case slices.ContainsFunc(header, func(h string) bool { return strings.EqualFold(h, "user") }) && slices.ContainsFunc(header, func(h string) bool { return strings.EqualFold(h, "arn") }):
			return &Problem{Source: p.rep.Source, Line: 1, Message: "a damaged credential report: its header names the columns in other letters than AWS writes them (user, arn, user_creation_time ... in lower case), so no column can be trusted to be the one it names; no row was analysed",
				Hint: "analyse the file AWS produced"}
		case looksLikeRows(head, lr):
			return &Problem{Source: p.rep.Source, Line: 1, Message: "a damaged credential report: its lines are rows of one (an ARN, ISO 8601 times, the fields of a report row), but the header that names the columns is missing, so no column can be told; no row was analysed",
				Hint: "analyse the file AWS produced, whose first line is user,arn,user_creation_time,..."}
		}
		return &Problem{notReport: hint == hintNotReport, Source: p.rep.Source, Line: 1, Message: "not a credential report: the first line is not a header with user and arn columns", Hint: hint}
	}
	sort.Strings(missing)
	msg := fmt.Sprintf("not a complete credential report: missing column %s", strings.Join(missing, ", "))
	if len(missing) > 1 {
		msg = fmt.Sprintf("not a complete credential report: missing %d columns: %s", len(missing), strings.Join(missing, ", "))
	}
	hint := fmt.Sprintf("the header has %d columns; AWS writes 22, starting user,arn,user_creation_time,password_enabled", len(header))
	for _, h := range header {
		if strings.HasSuffix(h, `\n`) || strings.HasSuffix(h, `\r`) {
			hint = fmt.Sprintf(`header column %s ends with a literal \n: the file was written with escaped line ends, not by AWS`, h)
			break
		}
	}
	return &Problem{Source: p.rep.Source, Line: 1, Message: msg, Hint: hint}
}

// looksLikeRows reports whether a file whose first line is no header has
// lines of a credential report's rows: at least 16 fields, an IAM ARN and
// an ISO 8601 time. Such a file is a damaged report, an error wherever it
// is found, never a stray file skipped in a folder. It looks at the first
// line and up to four more.
func looksLikeRows(head []byte, lr *lineReader) bool {
	if reportRow(head) {
		return true
	}
	for range 4 {
		line, ok := lr.next()
		if !ok {
			return false
		}
		if reportRow(line) {
			return true
		}
	}
	return false
}

// reportRow reports whether a line has the shape of a report row.
func reportRow(line []byte) bool {
	body, _ := splitEOL(line)
	if bytes.Count(body, []byte{','}) < 15 || !bytes.Contains(body, []byte(",arn:aws")) {
		return false
	}
	for f := range bytes.SplitSeq(body, []byte{','}) {
		if _, err := parseStamp(string(f)); err == nil {
			return true
		}
	}
	return false
}

// rowError reports a line that encoding/csv rejected.
func (p *reportParser) rowError(line int, pe *csv.ParseError, feed *slowFeed, fields int, lr *lineReader) {
	if !errors.Is(pe.Err, csv.ErrFieldCount) {
		p.reject(line, "", "not valid CSV: %v; the row was not analysed", pe.Err)
		return
	}
	body, _ := splitEOL(feed.last)
	n := bytes.Count(body, []byte{','}) + 1
	switch {
	case bytes.IndexByte(body, '"') >= 0:
		p.reject(line, "", "the row has a different number of fields than the header (%d); it was not analysed", fields)
	case n > fields:
		p.reject(line, hintComma, "the row has %d fields, the header %d, and the extra commas are not part of a user name that the ARN ends with; the row was not analysed", n, fields)
	case lr.atEOF():
		p.reject(line, hintTruncated, "the last row has %d of the header's %d fields; it was not analysed", n, fields)
	default:
		p.reject(line, "", "the row has %d fields, the header %d; it was not analysed", n, fields)
	}
}

// row reads one row and hands it out, or names its line in an error: a row
// with a value it cannot read is an error for that row alone; the rest of
// the report is still analysed. It reports false when the reading is to
// stop (see rows).
func (p *reportParser) row(line int, r *csvRow) bool {
	if !p.read(line, r) {
		p.rejected(line)
		return true
	}
	p.checked++
	if p.cur.Line == 0 { // a root row too odd to hand out: read, not checked
		return true
	}
	if !p.yield(&p.cur) {
		p.stopped = true
		return false
	}
	return true
}

// read reads one row into p.cur and reports whether it could; if not, it
// has named the line in an error. A root row whose values the checks
// cannot read is read, for its account and times, but not handed out:
// p.cur.Line is 0.
//
// The row's strings may point into the read buffer (see fastDecoder.decode),
// so read keeps none of them: what it keeps, it clones; and what it hands
// out, the next row overwrites.
func (p *reportParser) read(line int, r *csvRow) bool {
	p.cur.Line = 0
	if r.User == rootUser || strings.HasSuffix(r.ARN, ":root") {
		return p.root(line, r)
	}
	if !ValidUserName(r.User) {
		p.pr.errorf(line, "", "user name %q is not a legal IAM user name (1 to 64 letters, digits and + = , . @ _ -); the row was not analysed", r.User)
		return false
	}
	// Most rows are of the account the report is of: a prefix says so.
	resource, ok := strings.CutPrefix(r.ARN, p.arnPrefix)
	if !ok || p.arnPrefix == "" || resource == "" {
		a, ok := parseARN(r.ARN)
		if !ok {
			p.pr.errorf(line, "", "arn %q is not an IAM ARN (arn:PARTITION:iam::ACCOUNT:user/NAME); the row was not analysed", r.ARN)
			return false
		}
		if !p.account(line, a) {
			return false
		}
		resource = a.resource
	}
	// The ARN is arn:PARTITION:iam::ACCOUNT: (the report's, by now), then
	// user/NAME for a user without a path: known from the name alone.
	rest, isUser := strings.CutPrefix(resource, "user/")
	canonicalARN := isUser && rest == r.User
	if !isUser {
		p.pr.warnf(line, "arn %q is not a user ARN (arn:PARTITION:iam::ACCOUNT:user/NAME); the row is still checked", r.ARN)
	} else if !canonicalARN && !strings.HasSuffix(rest, "/"+r.User) {
		p.pr.warnf(line, "arn %q does not end with the user name %q; the row is still checked", r.ARN, r.User)
	}

	created, err := parseStamp(r.UserCreationTime)
	if err != nil {
		p.badValue(line, "user_creation_time", r.UserCreationTime)
		return false
	}
	console, err := parseBool(r.PasswordEnabled)
	if err != nil {
		if r.PasswordEnabled != notSupported {
			p.pr.errorf(line, "", "password_enabled: %v; the row was not analysed", err)
			return false
		}
		p.pr.warnf(line, "password_enabled is not_supported, which AWS writes only for the root user; %s is treated as having no password", r.User)
	}
	mfa, err := parseBool(r.MFAActive)
	if err != nil {
		p.pr.errorf(line, "", "mfa_active: %v; the row was not analysed", err)
		return false
	}
	pwUse, err := parsePasswordUse(r.PasswordLastUsed)
	if err != nil {
		p.badValue(line, "password_last_used", r.PasswordLastUsed)
		return false
	}

	var keys [2]keyState
	if keys[0], ok = p.key(line, 1, r.Key1Active, r.Key1LastRotated, r.Key1LastUsedDate); !ok {
		return false
	}
	if keys[1], ok = p.key(line, 2, r.Key2Active, r.Key2LastRotated, r.Key2LastUsedDate); !ok {
		return false
	}
	var t rowTimes
	if !p.otherTimes(line, r, &t) {
		return false
	}
	t[0], t[1] = created, timeIf(pwUse.sec, pwUse.known)
	t[3], t[4] = timeIf(keys[0].created, keys[0].exists), timeIf(keys[0].usedT, keys[0].used)
	t[5], t[6] = timeIf(keys[1].created, keys[1].exists), timeIf(keys[1].usedT, keys[1].used)
	use := p.checkUse(line, r)

	// The row is readable: count it, once per user.
	flags := bit(console, flagConsole) | bit(mfa, flagMFA) | bit(pwUse.known, flagPWKnown) | bit(pwUse.never, flagPWNever)
	dup := p.keep(line, r, &use, canonicalARN, created, flags, pwUse.sec, &keys, p.rowNewest(line, r, &t))

	if console {
		for i := range keys {
			if k := &keys[i]; k.exists && k.created < created {
				p.pr.warnf(line, "access key %d of %s was created %s before the user; the row is inconsistent and the key is not a setup-time key", i+1, r.User, HumanSeconds(created-k.created))
			}
		}
	}
	// In the parser, not on the stack: the checks are called through the
	// table, so a row passed from the stack would be moved to the heap, a
	// quarter of a kilobyte of garbage for each of a batch's rows.
	p.cur = Row{Line: line, User: r.User, ARN: r.ARN, Created: At(created), Password: console,
		PasswordLastUsed: pwUse.when(), PasswordChanged: whenOf(t[2]), MFA: mfa, Repeat: dup,
		Keys: [2]Key{keys[0].key(r.Key1LastUsedRegion, r.Key1LastUsedService), keys[1].key(r.Key2LastUsedRegion, r.Key2LastUsedService)}}
	return true
}

// key turns what a row says of a key into a Key.
func (k *keyState) key(region, service string) Key {
	out := Key{Active: k.active, Created: NotApplicable, LastUsed: NotApplicable, Region: region, Service: service}
	if k.exists {
		out.Created = At(k.created)
	}
	if k.used {
		out.LastUsed = At(k.usedT)
	}
	return out
}

// keyState is what a row says of one access key.
type keyState struct {
	active, exists, used bool
	created, usedT       int64 // Unix seconds; 0 when there is none
}

// key reads one access key's columns; false when one cannot be read, which
// it has reported.
func (p *reportParser) key(line, slot int, active, rotated, used string) (keyState, bool) {
	var k keyState
	var err error
	if k.active, err = parseBool(active); err != nil {
		p.pr.errorf(line, "", "access_key_%d_active: %v; the row was not analysed", slot, err)
		return k, false
	}
	if k.created, k.exists, err = stampOrSentinel(rotated); err != nil {
		p.badValue(line, fmt.Sprintf("access_key_%d_last_rotated", slot), rotated)
		return k, false
	}
	if k.usedT, k.used, err = stampOrSentinel(used); err != nil {
		p.badValue(line, fmt.Sprintf("access_key_%d_last_used_date", slot), used)
		return k, false
	}
	if k.active && !k.exists {
		p.pr.warnf(line, "access_key_%d_active is true but access_key_%d_last_rotated is %s: the key has no creation time and cannot be checked", slot, slot, rotated)
	}
	return k, true
}

// root reads the root user's row: it sets the account, and its times count
// towards the report's newest, but it is never a console user. It reports
// false for a row of another account, which it has named in an error.
func (p *reportParser) root(line int, r *csvRow) bool {
	if r.User != rootUser {
		p.pr.warnf(line, "the row of arn %q, the root user, is named %q rather than %s; it is not checked as an IAM user", r.ARN, r.User, rootUser)
	}
	a, ok := parseARN(r.ARN)
	if !ok {
		p.pr.warnf(line, "the root user's arn %q is not an IAM ARN; the account is taken from the other rows", r.ARN)
		return true
	}
	if a.resource != "root" {
		p.pr.warnf(line, "the root user's arn %q does not end with :root", r.ARN)
	}
	if !p.account(line, a) {
		return false
	}
	repeat := p.rootAgain(line, r)
	p.checkUse(line, r)
	// Every value that can be read counts towards the report's newest
	// time; the checks about the root user need them all.
	created, cerr := parseStamp(r.UserCreationTime)
	pw, perr := parsePasswordUse(r.PasswordLastUsed)
	mfa, merr := parseBool(r.MFAActive)
	var keys [2]keyState
	ok1, ok2 := true, true
	if merr == nil {
		keys[0], ok1 = p.key(line, 1, r.Key1Active, r.Key1LastRotated, r.Key1LastUsedDate)
		if ok1 {
			keys[1], ok2 = p.key(line, 2, r.Key2Active, r.Key2LastRotated, r.Key2LastUsedDate)
		}
	}
	var t rowTimes
	readable := p.otherTimes(line, r, &t) && cerr == nil && perr == nil && merr == nil && ok1 && ok2
	t[0], t[1] = timeIf(created, cerr == nil), timeIf(pw.sec, perr == nil && pw.known)
	t[3], t[4] = timeIf(keys[0].created, ok1 && keys[0].exists), timeIf(keys[0].usedT, ok1 && keys[0].used)
	t[5], t[6] = timeIf(keys[1].created, ok2 && keys[1].exists), timeIf(keys[1].usedT, ok2 && keys[1].used)
	if p.seen == nil {
		p.seen = &userSet{}
	}
	p.seen.times = append(p.seen.times, rowTime{sec: p.rowNewest(line, r, &t), line: int32(line)})
	if !readable {
		p.pr.warnf(line, "the root user's row has a value credreview cannot read; the checks about the root user skip it")
		return true
	}
	p.cur = Row{Line: line, User: r.User, ARN: r.ARN, Root: true, Created: At(created), PasswordLastUsed: pw.when(),
		PasswordChanged: NotSupported, MFA: mfa, Repeat: repeat,
		Keys: [2]Key{keys[0].key(r.Key1LastUsedRegion, r.Key1LastUsedService), keys[1].key(r.Key2LastUsedRegion, r.Key2LastUsedService)}}
	return true
}

// rootAgain warns of a second row of the root user, naming the columns in
// which it differs from the first: AWS writes one. Both rows are checked,
// and what both show is reported once. It reports whether the row repeats.
func (p *reportParser) rootAgain(line int, r *csvRow) bool {
	if p.rootLine == 0 {
		p.rootLine = line
		for i, f := range r.fields() {
			p.rootFields[i] = strings.Clone(*f)
		}
		return false
	}
	var cols []string
	for i, f := range r.fields() {
		if *f != p.rootFields[i] {
			cols = append(cols, csvColumns[i])
		}
	}
	if len(cols) == 0 {
		p.pr.warnf(line, "the root user appears again (first at line %d); both rows are checked, and what both show is reported once", p.rootLine)
	} else {
		p.pr.warnf(line, "the root user appears again (first at line %d), and the rows differ in %s: AWS writes one root row, so one of them was edited or added by hand; both are checked, and what both show is reported once, at the higher severity",
			p.rootLine, strings.Join(cols, ", "))
	}
	return true
}

// otherTimes reads the time columns no check decides on, password_last_changed
// and the certificates' last_rotated, into t; false when one holds neither
// a time nor a sentinel, which it has named in an error.
func (p *reportParser) otherTimes(line int, r *csvRow, t *rowTimes) bool {
	for i, v := range [...]string{r.PasswordLastChanged, r.Cert1LastRotated, r.Cert2LastRotated} {
		col := [...]int{2, 7, 8}[i]
		t[col] = noTime
		if v == "" && i > 0 { // a certificate column the report lacks
			continue
		}
		sec, ok, err := stampOrSentinel(v)
		if err != nil {
			p.badValue(line, timeColumns[col], v)
			return false
		}
		t[col] = timeIf(sec, ok)
	}
	return true
}

// keep counts a checked row and keeps what the report needs of it once
// every row is read: its newest time, its user's first digest, its keys'
// hashes. It reports whether the row repeats a user's. It is apart from
// check so that check stays small enough for the compiler to inline what
// it calls.
func (p *reportParser) keep(line int, r *csvRow, use *[4]uint32, canonicalARN bool, created int64, flags uint16, pw int64, keys *[2]keyState, newest int64) (dup bool) {
	if p.seen == nil {
		p.seen = &userSet{}
	}
	a := p.seen.add(r.User, line)
	d := digestOf(r, &a, use, canonicalARN, created, flags, pw, keys)
	d.latest = newest
	if dup = a.first != 0; dup {
		// Rare: what finish derives from a first row's digest, it takes
		// for a repeated row from here.
		p.duplicate(line, a.first, r.User, &p.seen.digests[a.entry], &d)
		p.seen.times = append(p.seen.times, rowTime{sec: d.newest(), line: int32(line)})
		return true
	}
	p.seen.digests = append(p.seen.digests, d)
	p.rep.Users++
	p.rep.ConsoleUsers += int(flags&flagConsole) / flagConsole
	return false
}

// account makes sure every row belongs to one account and partition.
func (p *reportParser) account(line int, a arn) bool {
	if p.accountLine == 0 {
		p.accountLine = line
		// Kept: the row's strings may point into the read buffer.
		p.rep.AccountID, p.rep.Partition = strings.Clone(a.account), strings.Clone(a.partition)
		p.arnPrefix = "arn:" + p.rep.Partition + ":iam::" + p.rep.AccountID + ":"
		if len(a.account) != 12 {
			p.pr.warnf(line, "account id %s has %d digits; AWS account ids have 12", a.account, len(a.account))
		}
		return true
	}
	if a.account != p.rep.AccountID || a.partition != p.rep.Partition {
		p.pr.errorf(line, "", "the row is for account %s (%s) but line %d is for %s (%s): a report covers one account; the row was not analysed",
			a.account, a.partition, p.accountLine, p.rep.AccountID, p.rep.Partition)
		return false
	}
	return true
}

// checkUse warns about last-used regions and services that AWS would not
// write, which someone edited by hand. The finding keeps the value as it is:
// the writers escape what they show. It returns the values' identities in
// the report (region 1, service 1, region 2, service 2) for the row's
// digest: 0 for N/A.
func (p *reportParser) checkUse(line int, r *csvRow) (ids [4]uint32) {
	if p.seen == nil {
		p.seen = &userSet{}
	}
	m := &p.seen.use
	ok := true
	if v := r.Key1LastUsedRegion; v != notApplicable {
		ids[0] = m.id(v, false)
		ok = ids[0]&useInvalid == 0
	}
	if v := r.Key1LastUsedService; v != notApplicable {
		ids[1] = m.id(v, true)
		ok = ok && ids[1]&useInvalid == 0
	}
	if v := r.Key2LastUsedRegion; v != notApplicable {
		ids[2] = m.id(v, false)
		ok = ok && ids[2]&useInvalid == 0
	}
	if v := r.Key2LastUsedService; v != notApplicable {
		ids[3] = m.id(v, true)
		ok = ok && ids[3]&useInvalid == 0
	}
	if ok {
		return ids
	}
	var odd []string
	for i, use := range [2][2]string{{r.Key1LastUsedRegion, r.Key1LastUsedService}, {r.Key2LastUsedRegion, r.Key2LastUsedService}} {
		if !validRegion(use[0]) {
			odd = append(odd, fmt.Sprintf("access_key_%d_last_used_region %q", i+1, use[0]))
		}
		if !validService(use[1]) {
			odd = append(odd, fmt.Sprintf("access_key_%d_last_used_service %q", i+1, use[1]))
		}
	}
	p.pr.warnf(line, "%s: not what AWS writes there (N/A, a region such as us-east-1, a service such as s3); the row is still checked", strings.Join(odd, ", "))
	return ids
}

func (p *reportParser) badValue(line int, column, value string) {
	p.pr.errorf(line, hintSpreadsheet, "%s %q is not an ISO 8601 time such as 2023-05-24T07:04:17+00:00; the row was not analysed", column, value)
}

// passwordUse is a parsed password_last_used, kept as seconds: most rows
// never become a finding, which is when it becomes a PasswordUse.
type passwordUse struct {
	sec          int64
	known, never bool
}

func (u passwordUse) when() When {
	switch {
	case u.known:
		return At(u.sec)
	case u.never:
		return NotApplicable
	}
	return NoInformation
}

func parsePasswordUse(s string) (passwordUse, error) {
	switch s {
	case notApplicable:
		return passwordUse{never: true}, nil
	case noInformation, notSupported:
		return passwordUse{}, nil
	}
	sec, err := parseStamp(s)
	if err != nil {
		return passwordUse{}, err
	}
	return passwordUse{sec: sec, known: true}, nil
}

// HumanSeconds writes a number of seconds the way a reviewer reads it: 4 s,
// 38 min, 2 h 5 min, 3 d 4 h.
func HumanSeconds(s int64) string {
	// By hand, not with fmt: every finding's detail says it.
	var buf [32]byte
	two := func(b []byte, n1 int64, u1 string, n2 int64, u2 string) string {
		b = append(strconv.AppendInt(b, n1, 10), u1...)
		if n2 > 0 {
			b = append(strconv.AppendInt(append(b, ' '), n2, 10), u2...)
		}
		return string(b)
	}
	switch {
	case s < 60:
		return two(buf[:0], s, " s", 0, "")
	case s < 3600:
		return two(buf[:0], s/60, " min", s%60, " s")
	case s < 86400:
		return two(buf[:0], s/3600, " h", s%3600/60, " min")
	}
	return two(buf[:0], s/86400, " d", s%86400/3600, " h")
}
