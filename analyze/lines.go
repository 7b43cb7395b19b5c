package analyze

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/bits"
	"strings"
	"unsafe"
)

// A report is read line by line, in order. Most lines are in AWS's own
// dialect: unquoted fields, as many as the header has. fastDecoder splits
// those on commas straight into a csvRow, by header position; it is what
// encoding/csv and gocsv would give, at a fraction of the cost (gocsv's
// reflection alone costs about twice a bare encoding/csv read). Every other
// line (quoted fields, a row cut short, extra commas that are not part of a
// user name) goes to encoding/csv and gocsv through slowFeed, one line at a
// time. Either way the rows reach the check in the order of the file.
//
// A field never spans lines: AWS never writes a line break inside a field,
// so a line whose quotes do not balance is an error for that line alone,
// and the next line is read afresh. encoding/csv, left to itself, would
// read on to the next quote, and every line in between would vanish into
// one field.

// lineReader reads physical lines and counts them. A line longer than
// maxLine ends the reading: no report has one.
type lineReader struct {
	br   *bufio.Reader
	line int // lines read so far, the one too long included
	err  error
	long []byte // the start of a line that was too long
}

// errLineTooLong is lineReader.err after a line longer than maxLine.
var errLineTooLong = errors.New("line too long")

// next returns the next line with its line end, or false at the end of the
// input (err then says whether that was io.EOF).
func (l *lineReader) next() ([]byte, bool) {
	if l.err != nil {
		return nil, false
	}
	line, err := l.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull || len(line) > maxLine {
		l.line++
		l.long = line
		l.err = errLineTooLong
		return nil, false
	}
	if err != nil {
		l.err = err
	}
	if len(line) == 0 {
		return nil, false
	}
	l.line++
	return line, true
}

// atEOF reports whether no byte follows the last line read.
func (l *lineReader) atEOF() bool {
	if l.err != nil {
		return l.err == io.EOF
	}
	_, err := l.br.Peek(1)
	return err == io.EOF
}

// slowFeed is what encoding/csv reads: the one line the parser pushed, and
// then the end of the input. It never hands over a line of its own accord,
// so a quoted field that does not end on its line ends at the line's end.
type slowFeed struct {
	pending []byte
	last    []byte
}

func (s *slowFeed) push(line []byte) {
	s.pending = append(s.pending[:0], line...)
	s.last = s.pending
}

func (s *slowFeed) Read(p []byte) (int, error) {
	if len(s.pending) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.pending)
	s.pending = s.pending[n:]
	return n, nil
}

// quotesBalance reports whether every quoted field of a line body ends on
// it, under encoding/csv's rules: a quoted field starts with a quote, holds
// "" for a quote, and ends with a quote before a comma or the end of the
// line. It is then that encoding/csv would read the next line into the
// field. A quote anywhere else is an error encoding/csv finds within the
// line, so the scan stops there.
func quotesBalance(body []byte) bool {
	i := bytes.IndexByte(body, '"')
	if i < 0 {
		return true
	}
	quoted, start := false, i == 0 || body[i-1] == ','
	for ; i < len(body); i++ {
		c := body[i]
		switch {
		case quoted && c == '"':
			if i+1 < len(body) && body[i+1] == '"' {
				i++ // a quote inside the field
				continue
			}
			quoted = false
			if i+1 < len(body) && body[i+1] != ',' {
				return true // text after the closing quote: an error on this line
			}
		case quoted:
		case c == ',':
			start = true
			continue
		case c == '"':
			if !start {
				return true // a quote inside an unquoted field: an error on this line
			}
			quoted = true
		}
		start = false
	}
	return !quoted
}

// fastDecoder splits unquoted lines by the header's columns.
type fastDecoder struct {
	fields   int                  // in the header
	column   [len(csvColumns)]int // header position of each csvRow field
	userCol  int
	adjacent bool        // arn right after user, as AWS writes them
	offs     [1024]int32 // start of each field in the line being decoded, and one past the end
}

// newFastDecoder maps the header (as gocsv read it) to csvRow's fields.
func newFastDecoder(header []string) *fastDecoder {
	d := &fastDecoder{fields: len(header), userCol: -1}
	for i, name := range csvColumns {
		d.column[i] = -1
		for j, h := range header {
			if h == name {
				d.column[i] = j
				break
			}
		}
	}
	d.userCol = d.column[0]
	d.adjacent = d.userCol >= 0 && d.column[1] == d.userCol+1
	return d
}

// split finds the fields of an unquoted line body: field i is
// body[offs[i] : offs[i+1]-1]. It looks at eight bytes at a time for commas:
// rows are a couple of hundred bytes of short fields, where calling
// strings.IndexByte per field costs more than the search. It returns nil
// for a line with a quote (encoding/csv's to read) or with more fields than
// any report line has.
func (d *fastDecoder) split(body string) []int32 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	const commas = ',' * ones
	zero := func(x uint64) uint64 { return ^(((x &^ highs) + (highs - ones)) | x) & highs } // high bit of each zero byte
	// A quote anywhere: encoding/csv's to read. strings.IndexByte looks at
	// many bytes at a time, more than the loop below could.
	if strings.IndexByte(body, '"') >= 0 {
		return nil
	}
	offs := &d.offs
	n := 1 // offs[0] is 0
	i := 0
	for ; i+8 <= len(body); i += 8 {
		w := binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(body[i:]), 8))
		for m := zero(w ^ commas); m != 0 && n < len(offs)-1; m &= m - 1 {
			offs[n] = int32(i + bits.TrailingZeros64(m)/8 + 1)
			n++
		}
	}
	for ; i < len(body) && n < len(offs)-1; i++ {
		if body[i] == ',' {
			offs[n] = int32(i + 1)
			n++
		}
	}
	if n == len(offs)-1 {
		return nil
	}
	offs[n] = int32(len(body) + 1)
	return offs[:n+1]
}

// userSpan finds where the user and arn fields of a line with extra fields
// begin and end. A user name cannot contain ':', so the ARN starts at the
// first field after the user column that starts with "arn:"; the fields
// before it make up the user name, the remaining extra fields belong to the
// ARN, and the ARN must end with "/" and the user name.
func (d *fastDecoder) userSpan(body string, offs []int32) (user, arn [2]int, ok bool) {
	extra := len(offs) - 1 - d.fields
	if extra <= 0 || !d.adjacent {
		return user, arn, false
	}
	u := d.userCol
	field := func(i int) string { return body[offs[i] : offs[i+1]-1] }
	start := -1
	for j := u + 1; j <= u+1+extra; j++ {
		if strings.HasPrefix(field(j), "arn:") {
			start = j
			break
		}
	}
	if start < 0 {
		return user, arn, false
	}
	end := start + 1 + extra - (start - u - 1) // one past the ARN's last field
	user = [2]int{int(offs[u]), int(offs[start]) - 1}
	arn = [2]int{int(offs[start]), int(offs[end]) - 1}
	name, a := body[user[0]:user[1]], body[arn[0]:arn[1]]
	if !strings.HasSuffix(a, name) || len(a) == len(name) || a[len(a)-len(name)-1] != '/' {
		return user, arn, false
	}
	return user, arn, true
}

// decode fills row from an unquoted line, putting back together a user name
// with commas. It reports false for a line that encoding/csv must read.
//
// The fields point into line, which the next read overwrites: the caller
// must clone what it keeps. Not copying a quarter of a kilobyte for each of
// hundreds of thousands of rows that are checked and forgotten is most of
// what makes large batches fast.
func (d *fastDecoder) decode(line []byte, row *csvRow) bool {
	body, _ := splitEOL(line)
	if len(body) == 0 {
		return false
	}
	s := unsafe.String(&body[0], len(body))
	offs := d.split(s)
	if offs == nil {
		return false
	}
	n := len(offs) - 1
	get := func(col int) string { return s[offs[col] : offs[col+1]-1] }
	if n < d.fields {
		return false
	}
	shift, user, arn := 0, [2]int{}, [2]int{}
	if n > d.fields {
		var ok bool
		if user, arn, ok = d.userSpan(s, offs); !ok {
			return false
		}
		shift = n - d.fields
	}
	if shift == 0 {
		c := &d.column
		row.User, row.ARN, row.UserCreationTime = get(c[0]), get(c[1]), get(c[2])
		row.PasswordEnabled, row.PasswordLastUsed, row.MFAActive = get(c[3]), get(c[4]), get(c[5])
		row.Key1Active, row.Key1LastRotated, row.Key1LastUsedDate, row.Key1LastUsedRegion, row.Key1LastUsedService = get(c[6]), get(c[7]), get(c[8]), get(c[9]), get(c[10])
		row.Key2Active, row.Key2LastRotated, row.Key2LastUsedDate, row.Key2LastUsedRegion, row.Key2LastUsedService = get(c[11]), get(c[12]), get(c[13]), get(c[14]), get(c[15])
		row.PasswordLastChanged = get(c[16])
		row.Cert1LastRotated, row.Cert2LastRotated = "", ""
		if c[17] >= 0 {
			row.Cert1LastRotated = get(c[17])
		}
		if c[18] >= 0 {
			row.Cert2LastRotated = get(c[18])
		}
		return true
	}
	for i, p := range row.fields() {
		col := d.column[i]
		switch {
		case col < 0: // an optional column the report lacks
			*p = ""
		case col == d.userCol:
			*p = s[user[0]:user[1]]
		case col == d.userCol+1:
			*p = s[arn[0]:arn[1]]
		case col < d.userCol:
			*p = get(col)
		default:
			*p = get(col + shift)
		}
	}
	return true
}

// quoteRepaired rewrites an unquoted line with extra fields, whose user name
// the ARN puts back together, with the user and arn fields quoted, as
// encoding/csv needs it. It is how lines reach gocsv when the fast path is
// off, which tests use to check that both paths read the same.
func (d *fastDecoder) quoteRepaired(line []byte) []byte {
	body, eol := splitEOL(line)
	if bytes.IndexByte(body, '"') >= 0 {
		return line
	}
	s := string(body)
	user, arn, ok := d.userSpan(s, d.split(s))
	if !ok {
		return line
	}
	return []byte(s[:user[0]] + `"` + s[user[0]:user[1]] + `","` + s[arn[0]:arn[1]] + `"` + s[arn[1]:] + string(eol))
}

// splitEOL cuts the line end off a line: \n or \r\n, or on the last line
// a lone \r, as encoding/csv does.
func splitEOL(line []byte) (body, eol []byte) {
	n := len(line)
	switch {
	case n > 0 && line[n-1] == '\n':
		n--
		if n > 0 && line[n-1] == '\r' {
			n--
		}
	case n > 0 && line[n-1] == '\r':
		n--
	}
	return line[:n], line[n:]
}
