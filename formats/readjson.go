package formats

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/credreview/credreview/analyze"
)

// The JSON of a review, as ReadReview reads it back: what verify needs.
type jsonReview struct {
	SchemaVersion int    `json:"schema_version"`
	Tool          Tool   `json:"tool"`
	ReviewID      string `json:"review_id"`
	Parameters    struct {
		Checks       []string `json:"checks"`
		Benchmark    *string  `json:"benchmark"`
		SetupWindow  int64    `json:"setup_window_seconds"`
		RootUseDays  int      `json:"root_use_days"`
		UnusedDays   int      `json:"unused_days"`
		RotationDays int      `json:"rotation_days"`
		AsOf         *string  `json:"as_of"`
	} `json:"parameters"`
	Reports []struct {
		Source    string  `json:"source"`
		SHA256    *string `json:"sha256"`
		AccountID *string `json:"account_id"`
		Partition *string `json:"partition"`
		Generated *string `json:"generated_time"`
		AsOf      *string `json:"as_of"`
	} `json:"reports"`
	Inventories []struct {
		Source    string  `json:"source"`
		SHA256    string  `json:"sha256"`
		AccountID *string `json:"account_id"`
	} `json:"inventories"`
	Findings []reviewFinding `json:"-"`
}

// reviewFinding is a finding as ReadReview reads it back.
type reviewFinding struct {
	ID              string  `json:"id"`
	Check           string  `json:"check"`
	Severity        string  `json:"severity"`
	Detail          string  `json:"detail"`
	AccountID       string  `json:"account_id"`
	Partition       string  `json:"partition"`
	User            string  `json:"user"`
	ARN             string  `json:"arn"`
	KeySlot         int     `json:"key_slot"`
	KeyID           *string `json:"key_id"`
	InventoryStatus *string `json:"inventory_status"`
	KeyActive       bool    `json:"key_active"`
	UserCreated     *string `json:"user_created"`
	KeyCreated      *string `json:"key_created"`
	AsOf            *string `json:"as_of"`
	Source          string  `json:"source"`
	Line            int     `json:"line"`
	Exception       *struct {
		Source     string `json:"source"`
		Line       int    `json:"line"`
		Reason     string `json:"reason"`
		ApprovedBy string `json:"approved_by"`
		Expires    string `json:"expires"`
	} `json:"exception"`
}

// ReadReview reads back the JSON of a review (credential-review.json):
// its id, its parameters, its reports and its findings, each checked as
// credreview would have written it.
func ReadReview(r io.Reader) (*Review, error) {
	// A review's JSON can be hundreds of megabytes, most of it its
	// findings' commands: it is read as a stream, a finding at a time, so
	// that no more than one is held as JSON.
	var j jsonReview
	var findings []reviewFinding
	dec := json.NewDecoder(r)
	notReview := func(err error) (*Review, error) { return nil, fmt.Errorf("not the JSON of a review: %v", err) }
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
		case "inventories":
			into = &j.Inventories
		case "findings":
			// Read whatever the members' order (a tool that sorts keys
			// puts findings first); the version is checked once all is read,
			// or now, if a finding of another version cannot be read.
			if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
				return notReview(fmt.Errorf("findings is not an array"))
			}
			for dec.More() {
				var f reviewFinding
				if err := dec.Decode(&f); err != nil {
					if j.SchemaVersion != 0 && j.SchemaVersion != SchemaVersion {
						return nil, fmt.Errorf("a review of schema version %d; this credreview reads version %d: analyze the review's inputs again with this version", j.SchemaVersion, SchemaVersion)
					}
					return notReview(err)
				}
				findings = append(findings, f)
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
	j.Findings = findings
	switch {
	case j.SchemaVersion == 0 || j.ReviewID == "":
		return nil, fmt.Errorf("not the JSON of a review (no schema_version or review_id): write it with credreview analyze -f json")
	case j.SchemaVersion != SchemaVersion:
		return nil, fmt.Errorf("a review of schema version %d; this credreview reads version %d: analyze the review's inputs again with this version", j.SchemaVersion, SchemaVersion)
	}
	t := func(s *string) (time.Time, error) {
		if s == nil {
			return time.Time{}, nil
		}
		return time.Parse(time.RFC3339, *s)
	}
	res := &analyze.Result{}
	res.Options.Checks = j.Parameters.Checks
	res.Options.SetupWindow = time.Duration(j.Parameters.SetupWindow) * time.Second
	res.Options.RootUseDays, res.Options.UnusedDays, res.Options.RotationDays = j.Parameters.RootUseDays, j.Parameters.UnusedDays, j.Parameters.RotationDays
	var err error
	if res.Options.AsOf, err = t(j.Parameters.AsOf); err != nil {
		return nil, fmt.Errorf("parameters.as_of: %v", err)
	}
	for _, id := range res.Options.Checks {
		if !analyze.KnownCheck(id) {
			return nil, fmt.Errorf("parameters.checks: %q is not a check of this credreview", id)
		}
	}
	for i, rep := range j.Reports {
		out := analyze.Report{Source: rep.Source, AccountID: deref(rep.AccountID), Partition: deref(rep.Partition), SHA256: deref(rep.SHA256)}
		if out.AsOf, err = t(rep.AsOf); err != nil {
			return nil, fmt.Errorf("reports[%d].as_of: %v", i, err)
		}
		if out.Generated, err = t(rep.Generated); err != nil {
			return nil, fmt.Errorf("reports[%d].generated_time: %v", i, err)
		}
		res.Reports = append(res.Reports, out)
	}
	for _, inv := range j.Inventories {
		res.Inventories = append(res.Inventories, analyze.Inventory{Source: inv.Source, SHA256: inv.SHA256, AccountID: deref(inv.AccountID)})
	}
	for i, f := range j.Findings {
		sev, err := analyze.ParseSeverity(f.Severity)
		if err != nil {
			return nil, fmt.Errorf("findings[%d].severity: %v", i, err)
		}
		fd := analyze.Finding{ID: f.ID, Check: f.Check, Severity: sev, Detail: f.Detail, AccountID: f.AccountID, Partition: f.Partition,
			User: f.User, ARN: f.ARN, KeySlot: f.KeySlot, KeyID: deref(f.KeyID), InventoryStatus: deref(f.InventoryStatus),
			KeyActive: f.KeyActive, Source: f.Source, Line: f.Line}
		for _, tt := range []struct {
			dst  *time.Time
			src  *string
			name string
		}{{&fd.UserCreated, f.UserCreated, "user_created"}, {&fd.KeyCreated, f.KeyCreated, "key_created"}, {&fd.AsOf, f.AsOf, "as_of"}} {
			if *tt.dst, err = t(tt.src); err != nil {
				return nil, fmt.Errorf("findings[%d].%s: %v", i, tt.name, err)
			}
		}
		if e := f.Exception; e != nil {
			exp, _ := time.Parse("2006-01-02", e.Expires)
			fd.Exception = &analyze.Exception{Source: e.Source, Line: e.Line, Reason: e.Reason, ApprovedBy: e.ApprovedBy, Expires: exp,
				Account: fd.AccountID, User: fd.User, Check: fd.Check, KeyID: fd.KeyID}
		}
		if bad := analyze.ValidFinding(&fd); bad != "" {
			return nil, fmt.Errorf("findings[%d] (%s): its %s is not one credreview could have written", i, f.ID, bad)
		}
		res.Findings = append(res.Findings, fd)
	}
	rev := &Review{Tool: j.Tool, Result: res, ID: j.ReviewID}
	if j.Parameters.Benchmark != nil {
		rev.Benchmark = analyze.Benchmark(*j.Parameters.Benchmark)
	}
	return rev, nil
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
	in := io.TeeReader(lim, h)
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
