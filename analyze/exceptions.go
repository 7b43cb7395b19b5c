package analyze

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Exception is one entry of an exceptions file: a finding a change board
// decided to accept, for a reason, by whom, until when. An exception
// without an owner and an expiry is how audits go stale, so every field
// but the key's is required.
type Exception struct {
	Account string
	User    string
	Check   string
	// KeyID or KeyCreated names the key, for a check about a key.
	KeyID      string
	KeyCreated time.Time
	Reason     string
	ApprovedBy string
	// Expires is the first day the exception no longer holds: it holds for
	// findings whose as-of time is before midnight UTC of that day.
	Expires time.Time

	Source string // the file it was read from
	Line   int    // of its entry
}

// Matches reports whether the exception is about the finding (whatever
// its expiry).
func (e *Exception) Matches(f *Finding) bool {
	if e.Account != f.AccountID || e.User != f.User || e.Check != f.Check {
		return false
	}
	if e.KeyID != "" {
		return e.KeyID == f.KeyID
	}
	return f.KeyCreated.Equal(e.KeyCreated)
}

// Holds reports whether the exception has not expired at the time given.
func (e *Exception) Holds(at time.Time) bool { return at.Before(e.Expires) }

// exceptionFields are the keys an entry may have; others are typos.
var exceptionFields = []string{"account", "user", "check", "key_id", "key_created", "reason", "approved_by", "expires"}

// ReadExceptions reads an exceptions file:
//
//	exceptions:
//	  - account: "123456789012"
//	    user: alice
//	    check: setup-key
//	    key_id: AKIAIOSFODNN7EXAMPLE     # or key_created: 2025-01-09T11:20:09Z
//	    reason: the break-glass user's key, kept in the safe
//	    approved_by: Ada Lovelace
//	    expires: 2027-02-25
//
// It returns every problem, each naming its line. A file with any problem
// excepts nothing: a finding is never hidden by a file that was not read
// as its author meant.
func ReadExceptions(name string, r io.Reader) ([]Exception, []Problem) {
	b, err := io.ReadAll(io.LimitReader(r, 16<<20+1))
	if err != nil {
		return nil, []Problem{{Source: name, Message: "read failed: " + err.Error(), Hint: exceptionsHint}}
	}
	if len(b) > 16<<20 {
		return nil, []Problem{{Source: name, Message: "larger than 16 MiB: not an exceptions file", Hint: exceptionsHint}}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, []Problem{{Source: name, Message: "empty: an exceptions file holds a list named exceptions", Hint: exceptionsHint}}
		}
		return nil, []Problem{yamlProblem(name, err)}
	}
	var more yaml.Node
	if err := dec.Decode(&more); err == nil {
		return nil, []Problem{{Source: name, Line: more.Line, Message: "a second YAML document: an exceptions file holds one", Hint: exceptionsHint}}
	}
	var pr []Problem
	bad := func(line int, format string, args ...any) {
		pr = append(pr, Problem{Source: name, Line: line, Message: fmt.Sprintf(format, args...)})
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, []Problem{{Source: name, Line: root.Line, Message: "not a mapping: an exceptions file holds a list named exceptions", Hint: exceptionsHint}}
	}
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value != "exceptions" {
			bad(k.Line, "unknown key %q: an exceptions file holds only a list named exceptions", k.Value)
			continue
		}
		list = v
	}
	switch {
	case list == nil && len(pr) == 0:
		bad(root.Line, "no list named exceptions")
	case list != nil && list.Kind != yaml.SequenceNode && !(list.Kind == yaml.ScalarNode && list.Tag == "!!null"):
		bad(list.Line, "exceptions is not a list")
		list = nil
	}
	var out []Exception
	seen := map[string]int{}
	if list != nil {
		for _, n := range list.Content {
			e, ok := readException(name, n, bad)
			if !ok {
				continue
			}
			key := strings.Join([]string{e.Account, e.User, e.Check, e.KeyID, stampOrEmpty(e.KeyCreated)}, "\x00")
			if first, dup := seen[key]; dup {
				bad(n.Line, "the same finding as the entry at line %d", first)
				continue
			}
			seen[key] = n.Line
			out = append(out, e)
		}
	}
	if len(pr) > 0 {
		pr[0].Hint = exceptionsHint
		return nil, pr
	}
	return out, nil
}

const exceptionsHint = "each entry needs account, user, check, key_id or key_created, reason, approved_by and expires (a date, 2027-02-25); fix the file: until then nothing is excepted"

func readException(name string, n *yaml.Node, bad func(int, string, ...any)) (Exception, bool) {
	e := Exception{Source: name, Line: n.Line}
	if n.Kind != yaml.MappingNode {
		bad(n.Line, "an entry is not a mapping of account, user, check, ...")
		return e, false
	}
	ok := true
	got := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		known := false
		for _, f := range exceptionFields {
			known = known || k.Value == f
		}
		switch {
		case !known:
			bad(k.Line, "unknown key %q (the keys are %s)", k.Value, strings.Join(exceptionFields, ", "))
			ok = false
		case got[k.Value] != nil:
			bad(k.Line, "%s again", k.Value)
			ok = false
		case v.Kind != yaml.ScalarNode || v.Tag == "!!null":
			bad(v.Line, "%s is not a value", k.Value)
			ok = false
		}
		got[k.Value] = v
	}
	str := func(field string) string {
		if v := got[field]; v != nil && v.Kind == yaml.ScalarNode {
			return strings.TrimSpace(v.Value)
		}
		return ""
	}
	for _, f := range []string{"account", "user", "check", "reason", "approved_by", "expires"} {
		if str(f) == "" {
			bad(n.Line, "the entry has no %s", f)
			ok = false
		}
	}
	e.Account, e.User, e.Check = str("account"), str("user"), str("check")
	e.KeyID, e.Reason, e.ApprovedBy = str("key_id"), str("reason"), str("approved_by")
	if v := got["account"]; v != nil && !isAccountID(e.Account) {
		bad(v.Line, "account %q is not an account id (12 digits)", v.Value)
		ok = false
	}
	if v := got["user"]; v != nil && !ValidUserName(e.User) {
		bad(v.Line, "user %q is not a legal IAM user name", e.User)
		ok = false
	}
	if v := got["key_id"]; v != nil && !validKeyID(e.KeyID) {
		bad(v.Line, "key_id %q is not an access key id", e.KeyID)
		ok = false
	}
	if v := got["key_created"]; v != nil {
		sec, err := parseStamp(str("key_created"))
		if err != nil || sec < 0 {
			bad(v.Line, "key_created %q is not a time such as 2025-01-09T11:20:09Z", v.Value)
			ok = false
		}
		e.KeyCreated = unix(sec)
	}
	if got["key_id"] != nil && got["key_created"] != nil {
		bad(n.Line, "the entry has both key_id and key_created: name the key one way")
		ok = false
	}
	if got["key_id"] == nil && got["key_created"] == nil {
		bad(n.Line, "the entry names no key: give key_id or key_created")
		ok = false
	}
	if v := got["expires"]; v != nil {
		t, err := time.Parse("2006-01-02", str("expires"))
		if err != nil || t.Year() < 1970 {
			bad(v.Line, "expires %q is not a date such as 2027-02-25", v.Value)
			ok = false
		}
		e.Expires = t.UTC()
	}
	return e, ok
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	_, ok := digits(s)
	return ok
}

func stampOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return string(AppendStamp(nil, t))
}

// yamlProblem turns a YAML error into a problem with its line.
func yamlProblem(name string, err error) Problem {
	msg := err.Error()
	line := 0
	if rest, ok := strings.CutPrefix(msg, "yaml: line "); ok {
		n, after, _ := strings.Cut(rest, ":")
		if v, ok := digits(n); ok {
			line = v
			msg = strings.TrimSpace(after)
		}
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	return Problem{Source: name, Line: line, Message: "not valid YAML: " + msg, Hint: exceptionsHint}
}

// ApplyExceptions marks the findings an exception holds for (at the
// finding's as-of time), notes on a finding whose exception has expired
// that it is back, and warns of each exception that matches no finding of
// the review, and of each about a check credreview does not have.
func ApplyExceptions(res *Result, ex []Exception) {
	used := make([]bool, len(ex))
	for i := range res.Findings {
		f := &res.Findings[i]
		for j := range ex {
			e := &ex[j]
			if !e.Matches(f) {
				continue
			}
			used[j] = true
			if e.Holds(f.AsOf) {
				f.Exception = e
				break
			}
			f.Notes = append(f.Notes, fmt.Sprintf("the exception at %s:%d (approved by %s: %s) expired on %s, before the report's as-of time; the finding is back",
				e.Source, e.Line, e.ApprovedBy, e.Reason, e.Expires.Format("2006-01-02")))
		}
	}
	for j := range ex {
		e := &ex[j]
		switch {
		case !KnownCheck(e.Check):
			res.Warnings = append(res.Warnings, Problem{Source: e.Source, Line: e.Line, Message: fmt.Sprintf("check %q is not one of credreview's; the exception matches nothing", e.Check)})
		case !used[j]:
			res.Warnings = append(res.Warnings, Problem{Source: e.Source, Line: e.Line, Message: fmt.Sprintf("the exception for %s of account %s (%s) matches no finding of this review: the key may be gone; remove the entry", e.User, e.Account, e.Check)})
		}
	}
}

// applyExceptionFiles reads the exceptions files and applies them to the
// review. A file with any problem applies nothing: its problems are the
// run's errors.
func applyExceptionFiles(res *Result, files []string, now time.Time) {
	var all []Exception
	for _, name := range files {
		b, err := readCapped(name, maxExceptionsFile)
		if err != nil {
			res.Errors = append(res.Errors, Problem{Source: name, Message: err.Error(), Hint: "nothing in it is excepted"})
			continue
		}
		ex, pr := ReadExceptions(name, bytes.NewReader(b))
		pr = append(pr, tooLate(ex, now)...)
		res.Errors = append(res.Errors, pr...)
		if len(pr) == 0 {
			sum := sha256.Sum256(b)
			res.ExceptionFiles = append(res.ExceptionFiles, ExceptionFile{Source: name, SHA256: hex.EncodeToString(sum[:]), Entries: len(ex)})
			all = append(all, ex...)
		}
	}
	if len(all) > 0 {
		ApplyExceptions(res, all)
	}
}

// MaxExceptionYears is how far after today an exception may expire: an
// exception is a decision to look at again, and one that never expires
// (9999-12-31) is a finding hidden for good.
const MaxExceptionYears = 2

// tooLate names the exceptions that expire more than MaxExceptionYears
// after now.
func tooLate(ex []Exception, now time.Time) []Problem {
	var pr []Problem
	limit := now.UTC().AddDate(MaxExceptionYears, 0, 0)
	for _, e := range ex {
		if e.Expires.After(limit) {
			pr = append(pr, Problem{Source: e.Source, Line: e.Line,
				Message: fmt.Sprintf("the exception expires %s, more than %d years from today (%s): an exception is a decision to look at again, not one for good", e.Expires.Format("2006-01-02"), MaxExceptionYears, now.UTC().Format("2006-01-02")),
				Hint:    fmt.Sprintf("give an expires date at most %d years ahead; until then nothing in the file is excepted", MaxExceptionYears)})
		}
	}
	return pr
}

// maxExceptionsFile is the largest exceptions file read: thousands of
// entries are a few hundred KiB, and the YAML parser holds several times a
// file's size.
const maxExceptionsFile = 4 << 20

// readCapped reads a whole file of at most limit bytes; a larger one (or
// an endless one, such as /dev/zero) is an error that names the cap, and
// no more than limit+1 bytes are ever held.
func readCapped(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err
		}
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read failed: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d MiB, which no file of this kind is; it was not read", limit>>20)
	}
	return b, nil
}
