package analyze

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// jsonEnvelope reads what aws iam get-credential-report prints,
//
//	{"Content": "<base64 CSV>", "ReportFormat": "text/csv", "GeneratedTime": "..."}
//
// as a stream: Content goes through JSON unescaping and base64 decoding
// straight into the report parser, so a report read from JSON needs no more
// memory than its CSV, whatever its size. The other members are small, and
// each is capped at maxJSONValue.
//
// encoding/json cannot do this: it holds a whole value, and Content is
// nearly the whole file.
type jsonEnvelope struct {
	r    *bufio.Reader
	name string
	off  int64 // bytes consumed, for messages

	sawContent     bool
	contentStopped bool // the parser stopped at a cap or a failed read
	reportFormat   *string
	generated      time.Time
}

// read reads the envelope, handing Content to parse as it comes. The error
// is the envelope's own (broken JSON, a ReportFormat other than text/csv),
// else parse's.
func (e *jsonEnvelope) read(parse func(io.Reader) error) error {
	c, err := e.next()
	if err != nil {
		return e.eof(err)
	}
	if c != '{' {
		return e.syntax("expected an object")
	}
	var perr error
	var generated *string
	if c, err = e.next(); err != nil {
		return e.eof(err)
	}
	for c != '}' {
		if c != '"' {
			return e.syntax("expected a member name")
		}
		key, err := e.str()
		if err != nil {
			return err
		}
		if c, err = e.next(); err != nil {
			return e.eof(err)
		}
		if c != ':' {
			return e.syntax("expected ':'")
		}
		switch {
		case strings.EqualFold(key, "Content"):
			if perr, err = e.contentMember(parse); err != nil {
				return err
			}
		case strings.EqualFold(key, "ReportFormat"):
			if e.reportFormat != nil {
				return &Problem{Source: e.name, Message: "two ReportFormat members: a get-credential-report file has one", Hint: hintUnchanged}
			}
			if e.reportFormat, err = e.strMember("ReportFormat"); err != nil {
				return err
			}
		case strings.EqualFold(key, "GeneratedTime"):
			// JSON readers differ on which of two members wins: the
			// report's time must not rest on which.
			if generated != nil {
				return &Problem{Source: e.name, Message: "two GeneratedTime members: a get-credential-report file has one, and which of them says when the report was made cannot be told", Hint: hintUnchanged}
			}
			if generated, err = e.strMember("GeneratedTime"); err != nil {
				return err
			}
		default:
			if err := e.skipValue(0); err != nil {
				return err
			}
		}
		if c, err = e.next(); err != nil {
			return e.eof(err)
		}
		if c == '}' {
			break
		}
		if c != ',' {
			return e.syntax("expected ',' or '}'")
		}
		if c, err = e.next(); err != nil {
			return e.eof(err)
		}
	}
	switch c, err := e.next(); {
	case err == io.EOF:
	case err != nil:
		return readProblem(e.name, err)
	case c == '{' || c == '[':
		return &Problem{Source: e.name, Message: "more than one JSON document: a get-credential-report file holds one report", Hint: "save each account's report in a file of its own"}
	default:
		return &Problem{Source: e.name, Message: "text after the JSON document that is not JSON", Hint: hintUnchanged}
	}
	if e.reportFormat != nil && *e.reportFormat != "text/csv" {
		return &Problem{Source: e.name, Message: fmt.Sprintf("ReportFormat is %q; credreview reads text/csv", *e.reportFormat)}
	}
	if !e.sawContent {
		return &Problem{Source: e.name, Message: "get-credential-report JSON without Content"}
	}
	if generated != nil {
		sec, err := parseStamp(*generated)
		if err != nil {
			return &Problem{Source: e.name, Message: fmt.Sprintf("GeneratedTime %q is not an ISO 8601 time", *generated)}
		}
		e.generated = unix(sec)
	}
	return perr
}

const hintUnchanged = "save the output of aws iam get-credential-report unchanged"

// contentMember reads the value of Content: a string (or null, as if
// absent).
func (e *jsonEnvelope) contentMember(parse func(io.Reader) error) (perr, stop error) {
	if e.sawContent {
		return nil, &Problem{Source: e.name, Message: "two Content members: a get-credential-report file holds one report", Hint: hintUnchanged}
	}
	c, err := e.next()
	if err != nil {
		return nil, e.eof(err)
	}
	if c == 'n' {
		return nil, e.literal("null")
	}
	if c != '"' {
		return nil, e.typeError("Content", c)
	}
	e.sawContent = true
	return e.content(parse)
}

// content hands the Content string, decoded, to parse. A parser that stops
// early for what it read (a header that is not a report's) lets the rest of
// the envelope be read, if Content ends soon, since what the envelope says
// (a ReportFormat other than text/csv, say) explains more; one that stopped
// at a cap or a failed read ends the envelope there.
func (e *jsonEnvelope) content(parse func(io.Reader) error) (perr, stop error) {
	cr := &contentReader{e: e}
	perr = parse(&base64Reader{name: e.name, r: base64.NewDecoder(base64.StdEncoding, cr)})
	if cr.err != nil {
		// The JSON string is broken, or reading it failed (a cap, say):
		// only the latter keeps what was checked, as a CSV cut short does.
		var p *Problem
		e.contentStopped = !errors.As(cr.err, &p) || !p.syntax
		return nil, cr.err
	}
	if !cr.done && perr != nil && !isFatal(perr) {
		var buf [4 << 10]byte
		for budget := maxLine; !cr.done && cr.err == nil && budget > 0; {
			n, err := cr.Read(buf[:min(len(buf), budget)])
			budget -= n
			if err != nil && err != io.EOF {
				return nil, err
			}
		}
	}
	if !cr.done {
		e.contentStopped = true
		if perr == nil {
			perr = &Problem{Source: e.name, Message: "Content goes on after the report ended", fatal: true}
		}
		return nil, perr
	}
	return perr, nil
}

func isFatal(err error) bool {
	var p *Problem
	return errors.As(err, &p) && p.fatal
}

// contentReader reads the characters of a JSON string, after its opening
// quote, unescaped and without white space (which base64 ignores); it ends
// at the closing quote.
type contentReader struct {
	e    *jsonEnvelope
	done bool
	err  error // a problem with the JSON string itself
}

// plainContent marks the bytes a JSON string holds as they are.
var plainContent = func() (t [256]bool) {
	for c := 0x21; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func (c *contentReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.done {
		return 0, io.EOF
	}
	r := c.e.r
	n := 0
	for n < len(p) {
		if r.Buffered() == 0 {
			if n > 0 {
				return n, nil // what is here, before a read that may block
			}
			if _, err := r.Peek(1); err != nil {
				c.err = c.e.eof(err)
				return 0, c.err
			}
		}
		buf, _ := r.Peek(r.Buffered())
		i := 0
		for i < len(buf) && n < len(p) && plainContent[buf[i]] {
			p[n] = buf[i]
			n++
			i++
		}
		r.Discard(i)
		c.e.off += int64(i)
		if i == len(buf) || n == len(p) {
			continue
		}
		switch ch := buf[i]; {
		case ch == '"':
			c.e.skip(1)
			c.done = true
			if n == 0 {
				return 0, io.EOF
			}
			return n, nil
		case ch == ' ':
			c.e.skip(1)
		case ch == '\\':
			b, err := c.escape()
			if err != nil {
				c.err = err
				if n == 0 {
					return 0, err
				}
				return n, nil
			}
			if b != 0 {
				p[n] = b
				n++
			}
		default:
			c.err = c.e.syntax("a control character in a string")
			if n == 0 {
				return 0, c.err
			}
			return n, nil
		}
	}
	return n, nil
}

// escape reads an escape sequence and returns its character, or 0 for white
// space, which base64 ignores.
func (c *contentReader) escape() (byte, error) {
	r := c.e.r
	esc, err := r.Peek(2)
	if len(esc) < 2 {
		return 0, c.e.eof(err)
	}
	switch esc[1] {
	case '"', '\\', '/':
		c.e.skip(2)
		return esc[1], nil
	case 'n', 'r', 't', 'f':
		c.e.skip(2)
		return 0, nil // white space
	case 'b':
		c.e.skip(2)
		return '\b', nil // not base64: the decoder says so
	case 'u':
		u, err := r.Peek(6)
		if len(u) < 6 {
			return 0, c.e.eof(err)
		}
		var v rune
		for _, h := range u[2:] {
			switch {
			case h >= '0' && h <= '9':
				v = v<<4 | rune(h-'0')
			case h >= 'a' && h <= 'f':
				v = v<<4 | rune(h-'a'+10)
			case h >= 'A' && h <= 'F':
				v = v<<4 | rune(h-'A'+10)
			default:
				return 0, c.e.syntax("invalid \\u escape")
			}
		}
		c.e.skip(6)
		switch {
		case v == ' ' || v >= '\t' && v <= '\r' || v == 0x85 || v == 0xA0:
			return 0, nil // white space
		case v >= 0x80 || v == 0:
			return '\b', nil // not base64: the decoder says so
		}
		return byte(v), nil
	}
	return 0, c.e.syntax("invalid escape in a string")
}

// base64Reader names Content as the culprit of a base64 error.
type base64Reader struct {
	name string
	r    io.Reader
}

func (b *base64Reader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		var pr *Problem
		if !errors.As(err, &pr) {
			err = &Problem{Source: b.name, Message: "Content is not valid base64: " + err.Error(),
				Hint: "save the output of aws iam get-credential-report unchanged (the CLI prints Content base64-encoded)", fatal: true}
		}
	}
	return n, err
}

// next skips white space and returns the next byte, consumed.
func (e *jsonEnvelope) next() (byte, error) {
	for {
		c, err := e.r.ReadByte()
		if err != nil {
			return 0, err
		}
		e.off++
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return c, nil
		}
	}
}

func (e *jsonEnvelope) skip(n int) {
	e.r.Discard(n)
	e.off += int64(n)
}

// literal reads the rest of true, false or null, whose first byte was read.
func (e *jsonEnvelope) literal(word string) error {
	for i := 1; i < len(word); i++ {
		c, err := e.r.ReadByte()
		if err != nil {
			return e.eof(err)
		}
		e.off++
		if c != word[i] {
			return e.syntax("invalid literal")
		}
	}
	return nil
}

// str reads the rest of a string whose opening quote was read, capped at
// maxJSONValue bytes.
func (e *jsonEnvelope) str() (string, error) {
	raw := []byte{'"'}
	for {
		c, err := e.r.ReadByte()
		if err != nil {
			return "", e.eof(err)
		}
		e.off++
		raw = append(raw, c)
		if len(raw) > maxJSONValue {
			return "", &Problem{Source: e.name, Message: fmt.Sprintf("a string of more than %d MiB outside Content: not what aws iam get-credential-report prints", maxJSONValue>>20), Hint: hintUnchanged, fatal: true}
		}
		if c == '\\' {
			c, err = e.r.ReadByte()
			if err != nil {
				return "", e.eof(err)
			}
			e.off++
			raw = append(raw, c)
			continue
		}
		if c == '"' {
			break
		}
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", e.syntax("invalid string")
	}
	return s, nil
}

// strMember reads a member that must be a string, or null.
func (e *jsonEnvelope) strMember(name string) (*string, error) {
	c, err := e.next()
	if err != nil {
		return nil, e.eof(err)
	}
	switch c {
	case '"':
		s, err := e.str()
		return &s, err
	case 'n':
		return nil, e.literal("null")
	}
	return nil, e.typeError(name, c)
}

// skipValue reads past a value of another member, keeping none of it.
func (e *jsonEnvelope) skipValue(depth int) error {
	if depth > 64 {
		return &Problem{Source: e.name, Message: "JSON nested more than 64 deep: not what aws iam get-credential-report prints", Hint: hintUnchanged, fatal: true}
	}
	c, err := e.next()
	if err != nil {
		return e.eof(err)
	}
	switch {
	case c == '"':
		return e.skipString()
	case c == '{' || c == '[':
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		if next, err := e.peekValue(); err != nil {
			return e.eof(err)
		} else if next == end {
			e.skip(1)
			return nil
		}
		for {
			if c == '{' {
				if k, err := e.next(); err != nil {
					return e.eof(err)
				} else if k != '"' {
					return e.syntax("expected a member name")
				}
				if err := e.skipString(); err != nil {
					return err
				}
				if k, err := e.next(); err != nil {
					return e.eof(err)
				} else if k != ':' {
					return e.syntax("expected ':'")
				}
			}
			if err := e.skipValue(depth + 1); err != nil {
				return err
			}
			k, err := e.next()
			if err != nil {
				return e.eof(err)
			}
			if k == end {
				return nil
			}
			if k != ',' {
				return e.syntax(fmt.Sprintf("expected ',' or '%c'", end))
			}
		}
	case c == 't':
		return e.literal("true")
	case c == 'f':
		return e.literal("false")
	case c == 'n':
		return e.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return e.skipNumber(c)
	}
	return e.syntax("expected a value")
}

// skipNumber reads past the rest of a number, whose first byte was read:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (e *jsonEnvelope) skipNumber(first byte) error {
	peek := func() byte {
		if b, err := e.r.Peek(1); err == nil {
			return b[0]
		}
		return 0 // the end, or an error the next read reports
	}
	digits := func() int {
		n := 0
		for c := peek(); c >= '0' && c <= '9'; c = peek() {
			e.skip(1)
			n++
		}
		return n
	}
	if first == '-' {
		c := peek()
		if c < '0' || c > '9' {
			return e.syntax("invalid number")
		}
		e.skip(1)
		first = c
	}
	if first != '0' {
		digits()
	}
	if peek() == '.' {
		e.skip(1)
		if digits() == 0 {
			return e.syntax("invalid number")
		}
	}
	if c := peek(); c == 'e' || c == 'E' {
		e.skip(1)
		if c := peek(); c == '+' || c == '-' {
			e.skip(1)
		}
		if digits() == 0 {
			return e.syntax("invalid number")
		}
	}
	return nil
}

// peekValue skips white space and returns the next byte, not consumed.
func (e *jsonEnvelope) peekValue() (byte, error) {
	for {
		b, err := e.r.Peek(1)
		if err != nil {
			return 0, err
		}
		if c := b[0]; c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return c, nil
		}
		e.skip(1)
	}
}

// skipString reads past the rest of a string, keeping none of it.
func (e *jsonEnvelope) skipString() error {
	for {
		c, err := e.r.ReadByte()
		if err != nil {
			return e.eof(err)
		}
		e.off++
		switch {
		case c == '\\':
			c, err := e.r.ReadByte()
			if err != nil {
				return e.eof(err)
			}
			e.off++
			switch c {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				for range 4 {
					h, err := e.r.ReadByte()
					if err != nil {
						return e.eof(err)
					}
					e.off++
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return e.syntax("invalid \\u escape")
					}
				}
			default:
				return e.syntax("invalid escape in a string")
			}
		case c == '"':
			return nil
		case c < 0x20:
			return e.syntax("a control character in a string")
		}
	}
}

func (e *jsonEnvelope) syntax(what string) error {
	return &Problem{Source: e.name, Message: fmt.Sprintf("not valid JSON at byte %d: %s", e.off, what), fatal: true, syntax: true}
}

func (e *jsonEnvelope) eof(err error) error {
	if err == io.EOF {
		return &Problem{Source: e.name, Message: "JSON ends early", Hint: "the file may be truncated; save the command's output again", fatal: true, syntax: true}
	}
	return readProblem(e.name, err)
}

func (e *jsonEnvelope) typeError(member string, c byte) error {
	kind := "value"
	switch {
	case c == '{':
		kind = "object"
	case c == '[':
		kind = "array"
	case c == 't' || c == 'f':
		kind = "bool"
	case c == '-' || c >= '0' && c <= '9':
		kind = "number"
	}
	return &Problem{Source: e.name, Message: fmt.Sprintf("%s is a JSON %s where a string belongs", member, kind), fatal: true}
}
