package formats

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/credreview/credreview/analyze"
)

// ReadReview reads back the JSON of a review (credential-review.json):
// its id, its parameters, its reports and its findings, each checked as
// credreview would have written it.
func ReadReview(r io.Reader) (*Review, error) {
	// A review's JSON can be hundreds of megabytes, most of it its
	// findings' commands: it is read as a stream, a finding at a time, so
	// that no more than one is held as JSON.
	var j ReviewJSON
	var findings []analyze.Finding
	var badFinding error
	dec := json.NewDecoder(r)
	notReview := func(err error) (*Review, error) { return nil, fmt.Errorf("not the JSON of a review: %v", err) }
	otherVersion := func() (*Review, error) {
		return nil, fmt.Errorf("a review of schema version %d; this credreview reads version %d: analyze the review's inputs again with this version", j.SchemaVersion, SchemaVersion)
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		if err == nil {
			err = fmt.Errorf("it does not start with {")
		}
		return notReview(err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return notReview(err)
		}
		key, _ := tok.(string)
		var into any
		switch key {
		case "schema_version":
			into = &j.SchemaVersion
		case "tool":
			into = &j.Tool
		case "review_id":
			into = &j.ReviewID
		case "parameters":
			into = &j.Parameters
		case "reports":
			into = &j.Reports
		case "superseded_reports":
			into = &j.Superseded
		case "exception_files":
			into = &j.Exceptions
		case "inventories":
			into = &j.Inventories
		case "findings":
			// Read whatever the members' order (a tool that sorts keys
			// puts findings first); the version is checked once all is read,
			// or now, if a finding of another version cannot be read. Each
			// finding is turned into an analyze.Finding at once, so that no
			// more than one is held as JSON, commands and all.
			if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
				return notReview(fmt.Errorf("findings is not an array"))
			}
			for i := 0; dec.More(); i++ {
				var f FindingJSON
				if err := dec.Decode(&f); err != nil {
					if j.SchemaVersion != 0 && j.SchemaVersion != SchemaVersion {
						return otherVersion()
					}
					return notReview(err)
				}
				// A finding that cannot be what credreview wrote is an
				// error once the version is known to be this one.
				fd, err := findingOf(i, &f)
				if err != nil && badFinding == nil {
					badFinding = err
				}
				findings = append(findings, fd)
			}
			if _, err := dec.Token(); err != nil {
				return notReview(err)
			}
			continue
		}
		if into == nil {
			into = new(json.RawMessage) // a member verify does not need
		}
		if err := dec.Decode(into); err != nil {
			return notReview(err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return notReview(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return notReview(fmt.Errorf("something follows the review's JSON"))
	}
	switch {
	case j.SchemaVersion == 0 || j.ReviewID == "":
		return nil, fmt.Errorf("not the JSON of a review (no schema_version or review_id): write it with credreview analyze -f json")
	case j.SchemaVersion != SchemaVersion:
		return otherVersion()
	case badFinding != nil:
		return nil, badFinding
	}
	res := &analyze.Result{Findings: findings}
	res.Options.Checks = j.Parameters.Checks
	res.Options.SetupWindow = time.Duration(j.Parameters.SetupWindowSeconds) * time.Second
	res.Options.RootUseDays = j.Parameters.RootUseDays
	res.Options.UnusedDays = j.Parameters.UnusedDays
	res.Options.RotationDays = j.Parameters.RotationDays
	var err error
	if res.Options.AsOf, err = parseTime(j.Parameters.AsOf); err != nil {
		return nil, fmt.Errorf("parameters.as_of: %v", err)
	}
	for _, id := range res.Options.Checks {
		if !analyze.KnownCheck(id) {
			return nil, fmt.Errorf("parameters.checks: %q is not a check of this credreview", id)
		}
	}
	for i, rep := range j.Reports {
		out := analyze.Report{Source: rep.Source, AccountID: deref(rep.AccountID), Partition: deref(rep.Partition), SHA256: deref(rep.SHA256), Users: rep.Users}
		if out.AsOf, err = parseTime(rep.AsOf); err != nil {
			return nil, fmt.Errorf("reports[%d].as_of: %v", i, err)
		}
		if out.Generated, err = parseTime(rep.Generated); err != nil {
			return nil, fmt.Errorf("reports[%d].generated_time: %v", i, err)
		}
		res.Reports = append(res.Reports, out)
	}
	for _, rep := range j.Superseded {
		res.Superseded = append(res.Superseded, analyze.Report{Source: rep.Source, AccountID: deref(rep.AccountID), Partition: deref(rep.Partition), SHA256: deref(rep.SHA256), Users: rep.Users})
	}
	for _, inv := range j.Inventories {
		res.Inventories = append(res.Inventories, analyze.Inventory{Source: inv.Source, SHA256: inv.SHA256, AccountID: deref(inv.AccountID)})
	}
	for _, x := range j.Exceptions {
		res.ExceptionFiles = append(res.ExceptionFiles, analyze.ExceptionFile{Source: x.Source, SHA256: x.SHA256, Entries: x.Entries})
	}
	rev := &Review{Tool: Tool{j.Tool.Name, j.Tool.Version}, Result: res, ID: j.ReviewID}
	if j.Parameters.Benchmark != nil {
		rev.Benchmark = analyze.Benchmark(*j.Parameters.Benchmark)
	}
	return rev, nil
}

// findingOf is finding i of a review's JSON as the finding it was, checked
// as credreview would have written it.
func findingOf(i int, f *FindingJSON) (analyze.Finding, error) {
	sev, err := analyze.ParseSeverity(f.Severity)
	if err != nil {
		return analyze.Finding{}, fmt.Errorf("findings[%d].severity: %v", i, err)
	}
	fd := analyze.Finding{ID: f.ID, Check: f.Check, Severity: sev, Detail: f.Detail, AccountID: f.AccountID, Partition: f.Partition,
		User: f.User, ARN: f.ARN, KeySlot: f.KeySlot, KeyID: deref(f.KeyID), InventoryStatus: deref(f.InventoryStatus),
		KeyActive: f.KeyActive, Source: f.Source, Line: f.Line}
	for _, tt := range []struct {
		dst  *time.Time
		src  *string
		name string
	}{{&fd.UserCreated, f.UserCreated, "user_created"}, {&fd.KeyCreated, f.KeyCreated, "key_created"}, {&fd.AsOf, f.AsOf, "as_of"}} {
		if *tt.dst, err = parseTime(tt.src); err != nil {
			return analyze.Finding{}, fmt.Errorf("findings[%d].%s: %v", i, tt.name, err)
		}
	}
	if e := f.Exception; e != nil {
		exp, _ := time.Parse("2006-01-02", e.Expires)
		fd.Exception = &analyze.Exception{Source: e.Source, Line: e.Line, Reason: e.Reason, ApprovedBy: e.ApprovedBy, Expires: exp,
			Account: fd.AccountID, User: fd.User, Check: fd.Check, KeyID: fd.KeyID}
	}
	if bad := analyze.ValidFinding(&fd); bad != "" {
		return analyze.Finding{}, fmt.Errorf("findings[%d] (%s): its %s is not one credreview could have written", i, f.ID, bad)
	}
	return fd, nil
}

// parseTime reads a time of the JSON: RFC 3339, or null.
func parseTime(s *string) (time.Time, error) {
	if s == nil {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339, *s)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// maxReviewJSON caps the review's JSON: a review of the largest batch
// credreview reads is far smaller.
const maxReviewJSON = 1 << 30

// ReadReviewFile reads the JSON of a review from a file, as a stream, with
// the SHA-256 of its bytes. Errors name the file.
func ReadReviewFile(path string) (*Review, string, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, "", fmt.Errorf("%s: %v", path, err)
	}
	defer f.Close()
	h := sha256.New()
	lim := &io.LimitedReader{R: f, N: maxReviewJSON + 1}
	in := &jsonBound{r: io.TeeReader(lim, h)}
	r, err := ReadReview(in)
	if err == nil {
		_, err = io.Copy(io.Discard, in) // the digest is of every byte
	}
	switch {
	case lim.N <= 0:
		return nil, "", fmt.Errorf("%s: larger than %d MiB, so not the JSON of a review", path, maxReviewJSON>>20)
	case err != nil:
		return nil, "", fmt.Errorf("%s: %v", path, err)
	}
	return r, hex.EncodeToString(h.Sum(nil)), nil
}

// maxJSONRun is the most bytes a review's JSON may have between two of the
// commas and brackets that separate its members and findings: a finding,
// commands and all, is a few kilobytes. json.Decoder holds a whole value,
// blanks before it included, so without it a review padded with 300 MB of
// blanks, or one string of a gigabyte, would be held whole.
const maxJSONRun = 16 << 20

// jsonBound fails a read of JSON that goes on for more than maxJSONRun
// bytes without a comma or bracket at the top two levels (outside strings).
type jsonBound struct {
	r        io.Reader
	depth    int
	inString bool
	escape   bool
	run      int
}

func (j *jsonBound) Read(p []byte) (int, error) {
	n, err := j.r.Read(p)
	for _, c := range p[:n] {
		j.run++
		switch {
		case j.inString:
			switch {
			case j.escape:
				j.escape = false
			case c == '\\':
				j.escape = true
			case c == '"':
				j.inString = false
			}
		case c == '"':
			j.inString = true
		case c == '{' || c == '[':
			j.depth++
			if j.depth <= 2 {
				j.run = 0
			}
		case c == '}' || c == ']':
			j.depth--
			if j.depth <= 2 {
				j.run = 0
			}
		case c == ',' && j.depth <= 2:
			j.run = 0
		}
		if j.run > maxJSONRun {
			return 0, fmt.Errorf("more than %d MiB of one member or finding, or of blanks between them, which no review credreview writes has: it was not read further", maxJSONRun>>20)
		}
	}
	return n, err
}

// ManifestOf is the path of the manifest of a review's (or a
// verification's) file: NAME.manifest.json beside NAME.json or NAME.xlsx.
func ManifestOf(path string) string {
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + ".manifest.json"
}
