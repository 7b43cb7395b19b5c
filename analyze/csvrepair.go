package analyze

import (
	"bufio"
	"bytes"
	"io"
)

// commaRepair sits between a report's bytes and encoding/csv. AWS does not
// quote fields, and IAM user names may contain commas, so a user a,b gives a
// row like
//
//	a,b,arn:aws:iam::123456789012:user/a,b,2023-…
//
// with two fields more than the header. The ARN ends with the user name, which
// tells where the user and arn fields end; commaRepair rewrites such a line
// with those two fields quoted, so encoding/csv sees the header's number of
// fields. A line it cannot put back together passes unchanged, encoding/csv
// rejects it with ErrFieldCount, and badCounts tells the parser how many
// fields that line had. Lines keep their numbers: only quotes are added.
type commaRepair struct {
	br      *bufio.Reader
	pending []byte // the processed line not yet returned by Read
	buf     []byte // storage for pending
	long    []byte // a line longer than br's buffer, assembled
	err     error

	line    int  // physical lines read so far
	inQuote bool // inside a quoted field that spans lines

	header   []string // header fields, as split by commas
	fields   int      // len(header)
	userCol  int      // index of user, or -1
	adjacent bool     // arn is the column right after user, as AWS writes it

	// badCounts maps the number of a line that has the wrong number of fields
	// to that number; only such lines are kept.
	badCounts map[int]int

	// lastLine is the number of the last line, once EOF was seen.
	lastLine int
}

func newCommaRepair(br *bufio.Reader) *commaRepair {
	return &commaRepair{br: br, userCol: -1}
}

func (c *commaRepair) Read(p []byte) (int, error) {
	for len(c.pending) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		c.next()
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

// next reads one physical line into pending.
func (c *commaRepair) next() {
	line, err := c.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		c.long = append(c.long[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = c.br.ReadSlice('\n')
			c.long = append(c.long, line...)
		}
		line = c.long
	}
	if err != nil {
		c.err = err
		if err == io.EOF {
			c.lastLine = c.line
			if len(line) > 0 {
				c.lastLine++
			}
		}
	}
	if len(line) == 0 {
		return
	}
	c.line++
	c.pending = c.process(line)
}

func (c *commaRepair) process(line []byte) []byte {
	quotes := bytes.Count(line, quote)
	if c.inQuote || quotes > 0 {
		// Quoted fields are encoding/csv's to read; only track whether a
		// quoted field continues on the next line.
		if quotes%2 == 1 {
			c.inQuote = !c.inQuote
		}
		if c.line == 1 {
			c.readHeader(line)
		}
		return line
	}
	if c.line == 1 {
		c.readHeader(line)
		return line
	}
	body, eol := splitEOL(line)
	n := bytes.Count(body, comma) + 1
	if n == c.fields || c.fields == 0 || len(body) == 0 {
		return line
	}
	if n > c.fields && c.adjacent {
		if fixed, ok := c.repair(body, n-c.fields); ok {
			c.buf = append(append(c.buf[:0], fixed...), eol...)
			return c.buf
		}
	}
	if c.badCounts == nil {
		c.badCounts = map[int]int{}
	}
	c.badCounts[c.line] = n
	return line
}

var (
	quote = []byte{'"'}
	comma = []byte{','}
)

func splitEOL(line []byte) (body, eol []byte) {
	n := len(line)
	if n > 0 && line[n-1] == '\n' {
		n--
		if n > 0 && line[n-1] == '\r' {
			n--
		}
	}
	return line[:n], line[n:]
}

func (c *commaRepair) readHeader(line []byte) {
	body, _ := splitEOL(line)
	for f := range bytes.SplitSeq(body, comma) {
		c.header = append(c.header, string(bytes.Trim(f, `"`)))
	}
	c.fields = len(c.header)
	for i, h := range c.header {
		if h == "user" {
			c.userCol = i
			c.adjacent = i+1 < len(c.header) && c.header[i+1] == "arn"
		}
	}
}

// repair puts the user and arn fields of a line with extra fields back
// together. A user name cannot contain ':', so the ARN starts at the first
// field after the user column that starts with "arn:"; the fields before it
// are the user name, and the ARN takes the remaining extra fields. The result
// must be an ARN that ends with "/" and the user name.
func (c *commaRepair) repair(body []byte, extra int) ([]byte, bool) {
	f := bytes.Split(body, comma)
	u := c.userCol
	start := -1
	for j := u + 1; j <= u+1+extra && j < len(f); j++ {
		if bytes.HasPrefix(f[j], []byte("arn:")) {
			start = j
			break
		}
	}
	if start < 0 {
		return nil, false
	}
	user := bytes.Join(f[u:start], comma)
	end := start + 1 + extra - (start - u - 1) // one past the last ARN field
	if end > len(f) || start-u-1 > extra {
		return nil, false
	}
	arn := bytes.Join(f[start:end], comma)
	if !bytes.HasSuffix(arn, append([]byte{'/'}, user...)) {
		return nil, false
	}
	var out []byte
	out = append(out, bytes.Join(f[:u], comma)...)
	if u > 0 {
		out = append(out, ',')
	}
	out = append(out, '"')
	out = append(out, user...)
	out = append(out, '"', ',', '"')
	out = append(out, arn...)
	out = append(out, '"')
	if end < len(f) {
		out = append(out, ',')
		out = append(out, bytes.Join(f[end:], comma)...)
	}
	return out, true
}
