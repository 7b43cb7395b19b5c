package formats

import (
	"fmt"
	"io"
	"time"

	"go.yaml.in/yaml/v3"
)

// exceptionEntry is one entry of an exceptions file, as ReadExceptions
// reads it.
type exceptionEntry struct {
	Account    string `yaml:"account"`
	User       string `yaml:"user"`
	Check      string `yaml:"check"`
	KeyID      string `yaml:"key_id,omitempty"`
	KeyCreated string `yaml:"key_created,omitempty"`
	Reason     string `yaml:"reason"`
	ApprovedBy string `yaml:"approved_by"`
	Expires    string `yaml:"expires"`
}

// WriteExceptions writes the findings a board rejected, each with its
// Reviewer as approved_by and its Notes as the reason, as an exceptions
// file that analyze --exceptions reads, so that the next review does not
// ask again until the exception expires: days after the finding's as-of
// time (not the clock: the same workbook always gives the same file). A
// rejection without a Reviewer cannot be an exception, which needs an
// owner: it is skipped, and named in the result.
func WriteExceptions(w io.Writer, r *Review, days int) (written int, skipped []string, err error) {
	var doc struct {
		Exceptions []exceptionEntry `yaml:"exceptions"`
	}
	doc.Exceptions = []exceptionEntry{}
	for i := range r.Findings {
		f := &r.Findings[i]
		d, ok := r.Decisions[f.ID]
		if !ok || d.Value != "Reject" {
			continue
		}
		if d.Reviewer == "" {
			skipped = append(skipped, fmt.Sprintf("%s (row %d): rejected without a Reviewer, and an exception needs an owner", f.ID, d.Row))
			continue
		}
		reason := d.Notes
		if reason == "" {
			reason = fmt.Sprintf("rejected by the change board (review %s, no notes given)", ReviewID(r))
		}
		e := exceptionEntry{Account: f.AccountID, User: f.User, Check: f.Check, Reason: reason, ApprovedBy: d.Reviewer,
			Expires: f.AsOf.AddDate(0, 0, days).UTC().Format("2006-01-02")}
		if f.KeyID != "" {
			e.KeyID = f.KeyID
		} else {
			e.KeyCreated = f.KeyCreated.UTC().Format(time.RFC3339)
		}
		doc.Exceptions = append(doc.Exceptions, e)
	}
	fmt.Fprintf(w, "# The findings the change board rejected in review %s, read from %s,\n", ReviewID(r), Visible(orDash(r.Workbook)))
	fmt.Fprintf(w, "# as exceptions for credreview analyze --exceptions: each holds until it\n")
	fmt.Fprintf(w, "# expires, %d days after its report's as-of time. Keep this file with the board's records.\n", days)
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return 0, skipped, err
	}
	return len(doc.Exceptions), skipped, enc.Close()
}
