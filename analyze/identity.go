package analyze

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
	"time"
)

// ReviewID names a review by what was run: the tool (name and version),
// every option that can change a finding, every input by its name and
// SHA-256 (reports, superseded reports, key inventories, exceptions
// files) and every input error. Two runs with the same id found the same;
// a run with other checks, periods, as-of time or exceptions is another
// review. It is computed here, from Options as a whole (see
// Options.identity), so that a new option cannot be left out of it.
func ReviewID(tool string, res *Result) string {
	h := sha256.New()
	field(h, tool)
	res.Options.identity(h)
	for _, list := range [][]Report{res.Reports, res.Superseded} {
		field(h, "reports")
		for _, rep := range list {
			field(h, rep.Source)
			field(h, rep.SHA256)
		}
	}
	field(h, "inventories")
	for _, inv := range res.Inventories {
		field(h, inv.Source)
		field(h, inv.SHA256)
	}
	field(h, "exceptions")
	for _, e := range res.ExceptionFiles {
		field(h, e.SHA256)
	}
	field(h, "errors")
	for _, p := range res.Errors {
		field(h, p.Error())
	}
	return "CR-" + strings.ToUpper(hex.EncodeToString(h.Sum(nil))[:12])
}

// identity writes every option that can change a finding, with its
// default filled in, so that an option given as its default is the same
// review as one left out. A test holds it to Options field by field: a new
// field must be written here, or named in identityIgnores with the reason.
func (o *Options) identity(h hash.Hash) {
	checks := o.Checks
	if len(checks) == 0 {
		checks = []string{DefaultCheck().ID}
	}
	field(h, "checks="+strings.Join(checks, ","))
	field(h, fmt.Sprintf("setup-window=%d", int64(o.SetupWindow/time.Second)))
	field(h, fmt.Sprintf("root-use-days=%d", o.rootUseDays()))
	field(h, fmt.Sprintf("unused-days=%d", o.unusedDays()))
	field(h, fmt.Sprintf("rotation-days=%d", o.rotationDays()))
	asOf := ""
	if !o.AsOf.IsZero() {
		asOf = stampOf(o.AsOf)
	}
	field(h, "as-of="+asOf)
	// Exceptions: by their content, in ReviewID (ExceptionFiles), not by
	// their paths.
}

// identityIgnores are the fields of Options that are not part of a
// review's identity, and why.
var identityIgnores = map[string]string{
	"Now":            "the clock rules out impossible times only, which are input errors, and those are in the id",
	"Progress":       "reporting, not analysis",
	"Exceptions":     "in the id by the files' SHA-256 (Result.ExceptionFiles), not by their paths",
	"Evidence":       "the evidence check adds errors, which are in the id; it changes no finding",
	"AllowedSigners": "likewise",
}

// VerificationID names a verification by what made it: the tool, the
// review it verifies (its id and the SHA-256 of its JSON) and the review id
// of the newer evidence's analysis.
func VerificationID(tool, version, reviewID, reviewSHA256, newerID string) string {
	h := sha256.New()
	for _, s := range []string{tool, version, reviewID, reviewSHA256, newerID} {
		field(h, s)
	}
	return "CV-" + strings.ToUpper(hex.EncodeToString(h.Sum(nil))[:12])
}

func field(h hash.Hash, s string) { fmt.Fprintf(h, "%d:%s", len(s), s) }
