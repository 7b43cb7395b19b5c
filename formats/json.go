package formats

import (
	"encoding/binary"
	"io"
	"runtime"
	"strconv"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/credreview/credreview/analyze"
)

// SchemaVersion is the version of the JSON's shape, which
// doc/credential-review.schema.json describes: 2 since checks other than
// setup-key, their controls by benchmark and exceptions; 3 since the
// evidence's chain of custody.
const SchemaVersion = 3

// JSON writes one document for pipelines: schema_version, tool, review_id, parameters, summary,
// reports, superseded_reports, inventories, findings, warnings and errors.
// Times are RFC 3339 in UTC; a value the report does not have is null,
// never an empty string.
//
// It is written by hand, in the layout encoding/json gives with a two-space
// indent and no HTML escaping (a test holds it to that, byte for byte):
// for a batch of many thousand findings encoding/json's reflection and
// indentation pass took three times as long as the whole analysis, and held
// the document twice in memory. Here it streams.
type JSON struct{}

var _ Format = JSON{}

func init() { register(JSON{}) }

// Name implements Format.
func (JSON) Name() string { return "json" }

// Write implements Format.
func (JSON) Write(w io.Writer, r *Review) error {
	j := newJSONWriter(w, r)
	c := r.CountBySeverity("")
	j.open('{')
	j.num("schema_version", SchemaVersion)
	j.key("tool")
	j.open('{')
	j.str("name", r.Tool.Name)
	j.str("version", r.Tool.Version)
	j.close('}')
	j.str("review_id", ReviewID(r))
	j.key("parameters")
	j.open('{')
	j.strings("checks", r.checks())
	j.strOrNull("benchmark", string(r.Benchmark))
	rootUse, unused, rotation := r.Options.Periods()
	j.str("setup_window", analyze.FormatWindow(r.Options.SetupWindow))
	j.num("setup_window_seconds", int64(r.Options.SetupWindow.Seconds()))
	j.num("root_use_days", int64(rootUse))
	j.num("unused_days", int64(unused))
	j.num("rotation_days", int64(rotation))
	j.strOrNull("as_of", stamp(r.Options.AsOf))
	j.str("as_of_rule", asOfRule(r))
	j.close('}')
	j.key("summary")
	j.open('{')
	j.num("accounts", int64(len(r.Accounts())))
	j.num("findings", int64(c.Total()))
	j.num("high", int64(c[analyze.SeverityHigh]))
	j.num("medium", int64(c[analyze.SeverityMedium]))
	j.num("low", int64(c[analyze.SeverityLow]))
	j.num("excepted", int64(r.ExceptedCount()))
	j.num("errors", int64(len(r.Errors)))
	j.close('}')
	for _, list := range []struct {
		name    string
		reports []analyze.Report
	}{{"reports", r.Reports}, {"superseded_reports", r.Superseded}} {
		j.key(list.name)
		j.open('[')
		for _, rep := range list.reports {
			j.elem()
			j.open('{')
			j.str("source", rep.Source)
			j.strOrNull("sha256", rep.SHA256) // none for a report a cap cut short
			j.str("format", rep.Format)
			j.strOrNull("account_id", rep.AccountID)
			j.strOrNull("partition", rep.Partition)
			j.strOrNull("generated_time", stamp(rep.Generated))
			j.strOrNull("as_of", stamp(rep.AsOf))
			j.str("as_of_rule", rep.AsOfRule)
			j.num("users", int64(rep.Users))
			j.num("console_users", int64(rep.ConsoleUsers))
			j.num("keys", int64(rep.Keys))
			if rep.SupersededBy != "" {
				j.str("superseded_by", rep.SupersededBy)
			}
			j.close('}')
		}
		j.close(']')
	}
	j.key("inventories")
	j.open('[')
	for _, inv := range r.Inventories {
		j.elem()
		j.open('{')
		j.str("source", inv.Source)
		j.str("sha256", inv.SHA256)
		j.strOrNull("account_id", inv.AccountID)
		j.num("keys", int64(len(inv.Keys)))
		j.close('}')
	}
	j.close(']')
	j.key("exception_files")
	j.open('[')
	for _, x := range r.ExceptionFiles {
		j.elem()
		j.open('{')
		j.str("source", x.Source)
		j.str("sha256", x.SHA256)
		j.num("entries", int64(x.Entries))
		j.close('}')
	}
	j.close(']')
	j.evidence(r)
	j.key("findings")
	j.open('[')
	j.findings(r.Findings)
	j.close(']')
	j.problems(r.Warnings, r.Errors)
	j.close('}')
	j.buf = append(j.buf, '\n')
	return j.flush()
}

// evidence writes the review's chain of custody.
func (j *jsonWriter) evidence(r *Review) {
	j.key("evidence")
	j.open('{')
	j.strings("statements", r.custody())
	j.key("manifests")
	j.open('[')
	for _, c := range r.Evidence {
		j.elem()
		j.open('{')
		j.str("manifest", c.Manifest)
		j.strOrNull("sha256", c.SHA256)
		j.strOrNull("sealed_by", c.SealedBy)
		j.strOrNull("created", c.Created)
		j.num("files", int64(c.Files))
		j.boolean("signed", c.Signed)
		j.boolean("verified", c.Verified)
		j.strOrNull("principal", c.Principal)
		j.strOrNull("fingerprint", c.Fingerprint)
		j.num("added", int64(c.Added))
		j.num("altered", int64(c.Altered))
		j.num("missing", int64(c.Missing))
		j.boolean("intact", c.Intact())
		j.close('}')
	}
	j.close(']')
	j.close('}')
}

// problems writes the warnings and the errors.
func (j *jsonWriter) problems(warnings, errors []analyze.Problem) {
	for _, list := range []struct {
		name     string
		problems []analyze.Problem
	}{{"warnings", warnings}, {"errors", errors}} {
		j.key(list.name)
		j.open('[')
		for _, p := range list.problems {
			j.elem()
			j.open('{')
			j.str("source", p.Source)
			if p.Line > 0 {
				j.num("line", int64(p.Line))
			} else {
				j.strOrNull("line", "")
			}
			j.str("message", p.Message)
			j.strOrNull("hint", p.Hint)
			j.close('}')
		}
		j.close(']')
	}
}

// finding writes one finding as an element of the findings array.
func (j *jsonWriter) finding(f *analyze.Finding) {
	j.elem()
	j.open('{')
	j.str("id", f.ID)
	j.str("check", f.Check)
	ctl := j.controls(f.Check)
	j.str("control", ctl.control)
	j.key("controls")
	j.open('{')
	for _, p := range ctl.ids {
		j.str(p[0], p[1])
	}
	j.close('}')
	j.str("severity", f.Severity.String())
	j.str("detail", f.Detail)
	j.str("account_id", f.AccountID)
	j.str("partition", f.Partition)
	j.str("user", f.User)
	j.str("arn", f.ARN)
	j.num("key_slot", int64(f.KeySlot))
	j.strOrNull("key_id", f.KeyID)
	j.str("key_id_note", f.KeyIDNote)
	j.strOrNull("inventory_status", f.InventoryStatus)
	j.boolean("key_active", f.KeyActive)
	j.strOrNull("user_created", stamp(f.UserCreated))
	j.strOrNull("key_created", stamp(f.KeyCreated))
	if f.HasKey() {
		j.num("seconds_after_user_created", f.SecondsAfterUserCreated())
	} else {
		j.strOrNull("seconds_after_user_created", "")
	}
	j.strOrNull("as_of", stamp(f.AsOf))
	if f.HasKey() {
		j.num("key_age_days", f.KeyAgeDays())
	} else {
		j.strOrNull("key_age_days", "")
	}
	j.strOrNull("key_last_used", stamp(f.KeyLastUsed))
	j.strOrNull("key_last_used_service", reportValue(f.KeyLastUsedService))
	j.strOrNull("key_last_used_region", reportValue(f.KeyLastUsedRegion))
	switch {
	case f.PasswordLastUsed.Never:
		j.strOrNull("password_last_used", "")
	case f.PasswordLastUsed.Time.IsZero():
		j.str("password_last_used", "no_information")
	default:
		j.str("password_last_used", stamp(f.PasswordLastUsed.Time))
	}
	j.strOrNull("password_last_changed", stamp(f.PasswordLastChanged))
	j.boolean("mfa_active", f.MFAActive)
	j.str("source", f.Source)
	j.num("line", int64(f.Line))
	j.strings("notes", f.Notes)
	if e := f.Exception; e != nil {
		j.key("exception")
		j.open('{')
		j.str("source", e.Source)
		j.num("line", int64(e.Line))
		j.str("reason", e.Reason)
		j.str("approved_by", e.ApprovedBy)
		j.str("expires", e.Expires.Format("2006-01-02"))
		j.close('}')
	} else {
		j.strOrNull("exception", "")
	}
	j.key("commands")
	j.open('{')
	c := f.Commands()
	j.strings("test", c.Test)
	j.strings("implement", c.Implement)
	j.strings("backout", c.Backout)
	if c.Manual != "" {
		j.str("manual", c.Manual)
	}
	j.close('}')
	j.close('}')
}

// findings writes the findings array's elements. A batch can have tens of
// thousands, most of their bytes commands to build and escape. Chunks of
// them are encoded in parallel while the chunks before are written, in
// order, so the bytes are those of writing one at a time; no more than a
// few chunks are in memory at once.
func (j *jsonWriter) findings(fs []analyze.Finding) {
	const chunk = 256
	if len(fs) <= chunk {
		for i := range fs {
			j.finding(&fs[i])
		}
		return
	}
	j.flush()
	n := (len(fs) + chunk - 1) / chunk
	done := make([]chan *[]byte, n)
	for i := range done {
		done[i] = make(chan *[]byte, 1)
	}
	slots := make(chan struct{}, runtime.GOMAXPROCS(0)+1) // chunks encoded or waiting to be written
	first := j.empty[len(j.empty)-1]
	go func() {
		for c := range n {
			slots <- struct{}{}
			go func() {
				buf := chunkBufs.Get().(*[]byte)
				cw := &jsonWriter{review: j.review, ctl: j.ctl, buf: (*buf)[:0], depth: j.depth, empty: []bool{c == 0 && first}}
				for i := c * chunk; i < min((c+1)*chunk, len(fs)); i++ {
					cw.finding(&fs[i])
				}
				*buf = cw.buf
				done[c] <- buf
			}()
		}
	}()
	for c := range n {
		buf := <-done[c]
		if j.err == nil {
			_, j.err = j.w.Write(*buf)
		}
		chunkBufs.Put(buf)
		<-slots
	}
	j.empty[len(j.empty)-1] = false
}

var chunkBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1<<20); return &b }}

// newJSONWriter makes a writer of the JSON of review r's findings, with
// each check's control ids made once.
func newJSONWriter(w io.Writer, r *Review) *jsonWriter {
	j := &jsonWriter{w: w, review: r, ctl: map[string]*checkControls{}}
	for _, c := range analyze.Checks {
		cc := &checkControls{control: r.control(c.ID)}
		for _, b := range analyze.Benchmarks {
			if id := c.Control(b); id != "" {
				cc.ids = append(cc.ids, [2]string{string(b), id})
			}
		}
		j.ctl[c.ID] = cc
	}
	return j
}

// checkControls are a check's control ids as the JSON writes them.
type checkControls struct {
	control string
	ids     [][2]string // benchmark, id
}

var noControls = &checkControls{}

func (j *jsonWriter) controls(check string) *checkControls {
	if c, ok := j.ctl[check]; ok {
		return c
	}
	return noControls
}

// jsonWriter appends JSON in encoding/json's indented layout and writes it
// out in chunks, remembering the first error.
type jsonWriter struct {
	review *Review
	ctl    map[string]*checkControls // by check, made once per document
	w      io.Writer
	buf    []byte
	err    error
	depth  int
	empty  []bool // per open object or array: nothing in it yet
}

func (j *jsonWriter) open(c byte) {
	j.buf = append(j.buf, c)
	j.depth++
	j.empty = append(j.empty, true)
}

func (j *jsonWriter) close(c byte) {
	j.depth--
	wasEmpty := j.empty[len(j.empty)-1]
	j.empty = j.empty[:len(j.empty)-1]
	if !wasEmpty {
		j.newline()
	}
	j.buf = append(j.buf, c)
	if j.w != nil && len(j.buf) > 64<<10 { // a chunk writer (w nil) keeps all
		j.flush()
	}
}

const newlineIndent = "\n                                " // up to 16 levels

func (j *jsonWriter) newline() {
	if n := 1 + 2*j.depth; n <= len(newlineIndent) {
		j.buf = append(j.buf, newlineIndent[:n]...)
		return
	}
	j.buf = append(j.buf, '\n')
	for range j.depth {
		j.buf = append(j.buf, ' ', ' ')
	}
}

// elem starts a member of an array or object.
func (j *jsonWriter) elem() {
	if !j.empty[len(j.empty)-1] {
		j.buf = append(j.buf, ',')
	}
	j.empty[len(j.empty)-1] = false
	j.newline()
}

// key writes a member's name; names are this file's plain ASCII constants.
func (j *jsonWriter) key(k string) {
	j.elem()
	j.buf = append(j.buf, '"')
	j.buf = append(j.buf, k...)
	j.buf = append(j.buf, '"', ':', ' ')
}

func (j *jsonWriter) str(k, v string) {
	j.key(k)
	j.buf = appendJSONString(j.buf, v)
}

// strOrNull writes null for an empty value.
func (j *jsonWriter) strOrNull(k, v string) {
	if v == "" {
		j.key(k)
		j.buf = append(j.buf, "null"...)
		return
	}
	j.str(k, v)
}

func (j *jsonWriter) num(k string, v int64) {
	j.key(k)
	j.buf = strconv.AppendInt(j.buf, v, 10)
}

func (j *jsonWriter) boolean(k string, v bool) {
	j.key(k)
	j.buf = strconv.AppendBool(j.buf, v)
}

// strings writes an array of strings; a nil slice is an empty array.
func (j *jsonWriter) strings(k string, vs []string) {
	j.key(k)
	j.open('[')
	for _, v := range vs {
		j.elem()
		j.buf = appendJSONString(j.buf, v)
	}
	j.close(']')
}

func (j *jsonWriter) flush() error {
	if j.err == nil && len(j.buf) > 0 {
		_, j.err = j.w.Write(j.buf)
	}
	j.buf = j.buf[:0]
	return j.err
}

// plain8 reports whether none of eight bytes is below 0x20, a quote, a
// backslash or non-ASCII: bytes that appendJSONString copies as they are.
func plain8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	zero := func(v uint64) uint64 { return (v - ones) &^ v & highs } // a byte of v is zero
	return (x&highs)|((x-0x20*ones)&^x&highs)|zero(x^('"'*ones))|zero(x^('\\'*ones)) == 0
}

// appendJSONString quotes s as encoding/json does without HTML escaping:
// quotes, backslashes and control characters escaped, U+2028 and U+2029
// escaped, invalid UTF-8 replaced by U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Skip eight bytes at a time while none needs a look.
		for i+8 <= len(s) && plain8(binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[i:]), 8))) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
