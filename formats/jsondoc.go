package formats

import (
	"strings"

	"github.com/credreview/credreview/analyze"
)

// The JSON of a review and of a verification, declared once: these types
// are its shape. The fast writer (json.go) is held byte for byte to
// encoding/json's indented encoding of them (TestJSONMatchesEncodingJSON),
// ReadReview reads them, and the JSON Schemas in doc/ are tested against
// them field by field (TestSchemaMatchesTypes). A value the input does not
// have is null (a nil pointer), never an empty string.

// ReviewJSON is the JSON of a review, credential-review.json: what
// pipelines read, and what verify reads back.
type ReviewJSON struct {
	SchemaVersion int                 `json:"schema_version"`
	Tool          ToolJSON            `json:"tool"`
	ReviewID      string              `json:"review_id"`
	Parameters    ParametersJSON      `json:"parameters"`
	Summary       SummaryJSON         `json:"summary"`
	Reports       []ReportJSON        `json:"reports"`
	Superseded    []ReportJSON        `json:"superseded_reports"`
	Inventories   []InventoryJSON     `json:"inventories"`
	Exceptions    []ExceptionFileJSON `json:"exception_files"`
	Evidence      EvidenceJSON        `json:"evidence"`
	Findings      []FindingJSON       `json:"findings"`
	Warnings      []ProblemJSON       `json:"warnings"`
	Errors        []ProblemJSON       `json:"errors"`
}

// ExceptionFileJSON is an exceptions file a review applied.
type ExceptionFileJSON struct {
	Source  string `json:"source"`
	SHA256  string `json:"sha256"`
	Entries int    `json:"entries"`
}

// EvidenceJSON is the chain of custody of a review's evidence: a line per
// evidence manifest checked (or one saying there was none), and what each
// check found.
type EvidenceJSON struct {
	Statements []string       `json:"statements"`
	Manifests  []ManifestJSON `json:"manifests"`
}

// ManifestJSON is the check of one evidence manifest.
type ManifestJSON struct {
	Manifest    string  `json:"manifest"`
	SHA256      *string `json:"sha256"`
	SealedBy    *string `json:"sealed_by"`
	Created     *string `json:"created"`
	Files       int     `json:"files"`
	Signed      bool    `json:"signed"`
	Verified    bool    `json:"verified"`
	Principal   *string `json:"principal"`
	Fingerprint *string `json:"fingerprint"`
	Added       int     `json:"added"`
	Altered     int     `json:"altered"`
	Missing     int     `json:"missing"`
	Intact      bool    `json:"intact"`
}

// ToolJSON names the program that wrote a document.
type ToolJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// ParametersJSON are the options a review ran with, defaults filled in.
type ParametersJSON struct {
	Checks             []string `json:"checks"`
	Benchmark          *string  `json:"benchmark"`
	SetupWindow        string   `json:"setup_window"`
	SetupWindowSeconds int64    `json:"setup_window_seconds"`
	RootUseDays        int      `json:"root_use_days"`
	UnusedDays         int      `json:"unused_days"`
	RotationDays       int      `json:"rotation_days"`
	AsOf               *string  `json:"as_of"`
	AsOfRule           string   `json:"as_of_rule"`
}

// SummaryJSON counts a review's findings, not those excepted.
type SummaryJSON struct {
	Accounts int `json:"accounts"`
	Findings int `json:"findings"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Excepted int `json:"excepted"`
	Errors   int `json:"errors"`
}

// ReportJSON is a credential report a review read.
type ReportJSON struct {
	Source       string  `json:"source"`
	SHA256       *string `json:"sha256"`
	Format       string  `json:"format"`
	AccountID    *string `json:"account_id"`
	Partition    *string `json:"partition"`
	Generated    *string `json:"generated_time"`
	AsOf         *string `json:"as_of"`
	AsOfRule     string  `json:"as_of_rule"`
	Users        int     `json:"users"`
	ConsoleUsers int     `json:"console_users"`
	Keys         int     `json:"keys"`
	SupersededBy *string `json:"superseded_by,omitempty"`
}

// InventoryJSON is a key inventory a review read.
type InventoryJSON struct {
	Source    string  `json:"source"`
	SHA256    string  `json:"sha256"`
	AccountID *string `json:"account_id"`
	Keys      int     `json:"keys"`
}

// FindingJSON is one finding, with the commands that remedy it.
type FindingJSON struct {
	ID                 string            `json:"id"`
	Check              string            `json:"check"`
	Control            string            `json:"control"`
	Controls           map[string]string `json:"controls"`
	Severity           string            `json:"severity"`
	Detail             string            `json:"detail"`
	AccountID          string            `json:"account_id"`
	Partition          string            `json:"partition"`
	User               string            `json:"user"`
	ARN                string            `json:"arn"`
	KeySlot            int               `json:"key_slot"`
	KeyID              *string           `json:"key_id"`
	KeyIDNote          string            `json:"key_id_note"`
	InventoryStatus    *string           `json:"inventory_status"`
	KeyActive          bool              `json:"key_active"`
	UserCreated        *string           `json:"user_created"`
	KeyCreated         *string           `json:"key_created"`
	SecondsAfter       *int64            `json:"seconds_after_user_created"`
	AsOf               *string           `json:"as_of"`
	KeyAgeDays         *int64            `json:"key_age_days"`
	KeyLastUsed        *string           `json:"key_last_used"`
	KeyLastUsedService *string           `json:"key_last_used_service"`
	KeyLastUsedRegion  *string           `json:"key_last_used_region"`
	PasswordLastUsed   *string           `json:"password_last_used"`
	PasswordLastChange *string           `json:"password_last_changed"`
	MFAActive          bool              `json:"mfa_active"`
	Source             string            `json:"source"`
	Line               int               `json:"line"`
	Notes              []string          `json:"notes"`
	Exception          *ExceptionJSON    `json:"exception"`
	Commands           CommandsJSON      `json:"commands"`
}

// ExceptionJSON is the exception that holds for a finding.
type ExceptionJSON struct {
	Source     string `json:"source"`
	Line       int    `json:"line"`
	Reason     string `json:"reason"`
	ApprovedBy string `json:"approved_by"`
	Expires    string `json:"expires"`
}

// CommandsJSON are a finding's commands, each list in the order to run it.
type CommandsJSON struct {
	Test      []string `json:"test"`
	Implement []string `json:"implement"`
	Backout   []string `json:"backout"`
	Manual    string   `json:"manual,omitempty"`
}

// ProblemJSON is an input error or warning.
type ProblemJSON struct {
	Source  string  `json:"source"`
	Line    *int    `json:"line"`
	Message string  `json:"message"`
	Hint    *string `json:"hint"`
}

// VerificationJSON is the JSON of a verification,
// credential-verification.json.
type VerificationJSON struct {
	SchemaVersion  int                     `json:"schema_version"`
	Tool           ToolJSON                `json:"tool"`
	VerificationID string                  `json:"verification_id"`
	ReviewID       string                  `json:"review_id"`
	Review         VerifiedReviewJSON      `json:"review"`
	Evidence       NewerJSON               `json:"evidence"`
	Summary        VerificationSummaryJSON `json:"summary"`
	Results        []ResultJSON            `json:"results"`
	NewFindings    []FindingJSON           `json:"new_findings"`
	Warnings       []ProblemJSON           `json:"warnings"`
	Errors         []ProblemJSON           `json:"errors"`
}

// VerifiedReviewJSON names the review verified and its inputs.
type VerifiedReviewJSON struct {
	Source string            `json:"source"`
	SHA256 string            `json:"sha256"`
	Inputs []ReviewInputJSON `json:"inputs"`
}

// ReviewInputJSON is a report the verified review read.
type ReviewInputJSON struct {
	Source    string  `json:"source"`
	SHA256    *string `json:"sha256"`
	AccountID *string `json:"account_id"`
	AsOf      *string `json:"as_of"`
}

// NewerJSON is the newer evidence a verification read.
type NewerJSON struct {
	ReviewID    string               `json:"review_id"`
	Reports     []EvidenceReportJSON `json:"reports"`
	Inventories []EvidenceInvJSON    `json:"inventories"`
}

// EvidenceReportJSON is a newer report.
type EvidenceReportJSON struct {
	Source    string  `json:"source"`
	SHA256    *string `json:"sha256"`
	AccountID *string `json:"account_id"`
	Generated *string `json:"generated_time"`
	AsOf      *string `json:"as_of"`
}

// EvidenceInvJSON is a newer key inventory.
type EvidenceInvJSON struct {
	Source    string  `json:"source"`
	SHA256    string  `json:"sha256"`
	AccountID *string `json:"account_id"`
}

// VerificationSummaryJSON counts the outcomes.
type VerificationSummaryJSON struct {
	Remediated  int `json:"remediated"`
	Deactivated int `json:"deactivated"`
	StillActive int `json:"still_active"`
	UserDeleted int `json:"user_deleted"`
	Unknown     int `json:"unknown"`
	NewFindings int `json:"new_findings"`
	Errors      int `json:"errors"`
}

// ResultJSON is what newer evidence says of one finding of the review.
type ResultJSON struct {
	ID         string  `json:"id"`
	Outcome    string  `json:"outcome"`
	Evidence   string  `json:"evidence"`
	Check      string  `json:"check"`
	Severity   string  `json:"severity"`
	AccountID  string  `json:"account_id"`
	User       string  `json:"user"`
	KeySlot    int     `json:"key_slot"`
	KeyID      *string `json:"key_id"`
	KeyCreated *string `json:"key_created"`
}

// document is the review as ReviewJSON: what the fast writer must write.
func (r *Review) document() ReviewJSON {
	c := r.CountBySeverity("")
	rootUse, unused, rotation := r.Options.Periods()
	doc := ReviewJSON{
		SchemaVersion: SchemaVersion,
		Tool:          ToolJSON{r.Tool.Name, r.Tool.Version},
		ReviewID:      ReviewID(r),
		Parameters: ParametersJSON{
			Checks:             r.checks(),
			Benchmark:          nullable(string(r.Benchmark)),
			SetupWindow:        analyze.FormatWindow(r.Options.SetupWindow),
			SetupWindowSeconds: int64(r.Options.SetupWindow.Seconds()),
			RootUseDays:        rootUse,
			UnusedDays:         unused,
			RotationDays:       rotation,
			AsOf:               nullable(stamp(r.Options.AsOf)),
			AsOfRule:           asOfRule(r),
		},
		Summary: SummaryJSON{
			Accounts: len(r.Accounts()),
			Findings: c.Total(),
			High:     c[analyze.SeverityHigh],
			Medium:   c[analyze.SeverityMedium],
			Low:      c[analyze.SeverityLow],
			Excepted: r.ExceptedCount(),
			Errors:   len(r.Errors),
		},
		Reports:     make([]ReportJSON, 0, len(r.Reports)),
		Superseded:  make([]ReportJSON, 0, len(r.Superseded)),
		Inventories: make([]InventoryJSON, 0, len(r.Inventories)),
		Exceptions:  make([]ExceptionFileJSON, 0, len(r.ExceptionFiles)),
		Evidence:    r.evidenceJSON(),
		Findings:    make([]FindingJSON, 0, len(r.Findings)),
		Warnings:    problemsJSON(r.Warnings),
		Errors:      problemsJSON(r.Errors),
	}
	for _, rep := range r.Reports {
		doc.Reports = append(doc.Reports, reportJSON(rep))
	}
	for _, rep := range r.Superseded {
		doc.Superseded = append(doc.Superseded, reportJSON(rep))
	}
	for _, inv := range r.Inventories {
		doc.Inventories = append(doc.Inventories, InventoryJSON{inv.Source, inv.SHA256, nullable(inv.AccountID), len(inv.Keys)})
	}
	for _, x := range r.ExceptionFiles {
		doc.Exceptions = append(doc.Exceptions, ExceptionFileJSON{x.Source, x.SHA256, x.Entries})
	}
	for i := range r.Findings {
		doc.Findings = append(doc.Findings, r.findingJSON(&r.Findings[i]))
	}
	return doc
}

// evidenceJSON is the review's chain of custody as EvidenceJSON.
func (r *Review) evidenceJSON() EvidenceJSON {
	e := EvidenceJSON{Statements: r.custody(), Manifests: []ManifestJSON{}}
	for _, c := range r.Evidence {
		e.Manifests = append(e.Manifests, ManifestJSON{c.Manifest, nullable(c.SHA256), nullable(c.SealedBy), nullable(c.Created), c.Files,
			c.Signed, c.Verified, nullable(c.Principal), nullable(c.Fingerprint), c.Added, c.Altered, c.Missing, c.Intact()})
	}
	return e
}

// findingJSON is a finding as FindingJSON.
func (r *Review) findingJSON(f *analyze.Finding) FindingJSON {
	cmds := f.Commands()
	jf := FindingJSON{
		ID:                 f.ID,
		Check:              f.Check,
		Control:            r.control(f.Check),
		Controls:           map[string]string{},
		Severity:           f.Severity.String(),
		Detail:             f.Detail,
		AccountID:          f.AccountID,
		Partition:          f.Partition,
		User:               f.User,
		ARN:                f.ARN,
		KeySlot:            f.KeySlot,
		KeyID:              nullable(f.KeyID),
		KeyIDNote:          f.KeyIDNote,
		InventoryStatus:    nullable(f.InventoryStatus),
		KeyActive:          f.KeyActive,
		UserCreated:        nullable(stamp(f.UserCreated)),
		KeyCreated:         nullable(stamp(f.KeyCreated)),
		AsOf:               nullable(stamp(f.AsOf)),
		KeyLastUsed:        nullable(stamp(f.KeyLastUsed)),
		KeyLastUsedService: nullable(reportValue(f.KeyLastUsedService)),
		KeyLastUsedRegion:  nullable(reportValue(f.KeyLastUsedRegion)),
		PasswordLastUsed:   passwordLastUsedJSON(f.PasswordLastUsed),
		PasswordLastChange: nullable(stamp(f.PasswordLastChanged)),
		MFAActive:          f.MFAActive,
		Source:             f.Source,
		Line:               f.Line,
		Notes:              orEmpty(f.Notes),
		Commands:           CommandsJSON{orEmpty(cmds.Test), orEmpty(cmds.Implement), orEmpty(cmds.Backout), cmds.Manual},
	}
	if f.HasKey() {
		after, age := f.SecondsAfterUserCreated(), f.KeyAgeDays()
		jf.SecondsAfter, jf.KeyAgeDays = &after, &age
	}
	if c := analyze.CheckByID(f.Check); c != nil {
		for b, id := range c.Controls {
			jf.Controls[string(b)] = id
		}
	}
	if e := f.Exception; e != nil {
		jf.Exception = &ExceptionJSON{e.Source, e.Line, e.Reason, e.ApprovedBy, e.Expires.Format("2006-01-02")}
	}
	return jf
}

// verificationDocument is the verification as VerificationJSON: what the
// fast writer must write.
func (v *Verification) document() VerificationJSON {
	c := v.Count()
	doc := VerificationJSON{
		SchemaVersion:  SchemaVersion,
		Tool:           ToolJSON{v.Tool.Name, v.Tool.Version},
		VerificationID: VerificationID(v),
		ReviewID:       v.Review.ID,
		Review:         VerifiedReviewJSON{Source: v.Source, SHA256: v.SHA256, Inputs: []ReviewInputJSON{}},
		Evidence:       NewerJSON{ReviewID: ReviewID(v.Newer), Reports: []EvidenceReportJSON{}, Inventories: []EvidenceInvJSON{}},
		Summary: VerificationSummaryJSON{
			Remediated: c[analyze.Remediated], Deactivated: c[analyze.Deactivated], StillActive: c[analyze.StillActive],
			UserDeleted: c[analyze.UserDeleted], Unknown: c[analyze.Unknown], NewFindings: len(v.New), Errors: len(v.errors()),
		},
		Results:     []ResultJSON{},
		NewFindings: []FindingJSON{},
		Warnings:    problemsJSON(v.warnings()),
		Errors:      problemsJSON(v.errors()),
	}
	for _, rep := range v.Review.Reports {
		doc.Review.Inputs = append(doc.Review.Inputs, ReviewInputJSON{rep.Source, nullable(rep.SHA256), nullable(rep.AccountID), nullable(stamp(rep.AsOf))})
	}
	for _, rep := range v.Newer.Reports {
		doc.Evidence.Reports = append(doc.Evidence.Reports, EvidenceReportJSON{rep.Source, nullable(rep.SHA256), nullable(rep.AccountID), nullable(stamp(rep.Generated)), nullable(stamp(rep.AsOf))})
	}
	for _, inv := range v.Newer.Inventories {
		doc.Evidence.Inventories = append(doc.Evidence.Inventories, EvidenceInvJSON{inv.Source, inv.SHA256, nullable(inv.AccountID)})
	}
	for _, r := range v.Results {
		f := &r.Finding
		doc.Results = append(doc.Results, ResultJSON{f.ID, string(r.Outcome), r.Evidence, f.Check, f.Severity.String(), f.AccountID, f.User, f.KeySlot, nullable(f.KeyID), nullable(stamp(f.KeyCreated))})
	}
	for i := range v.New {
		doc.NewFindings = append(doc.NewFindings, v.Newer.findingJSON(&v.New[i]))
	}
	return doc
}

// outcomeKey is an outcome's key in VerificationSummaryJSON.
func outcomeKey(o analyze.Outcome) string { return strings.ReplaceAll(string(o), "-", "_") }

func reportJSON(rep analyze.Report) ReportJSON {
	return ReportJSON{
		Source:       rep.Source,
		SHA256:       nullable(rep.SHA256),
		Format:       rep.Format,
		AccountID:    nullable(rep.AccountID),
		Partition:    nullable(rep.Partition),
		Generated:    nullable(stamp(rep.Generated)),
		AsOf:         nullable(stamp(rep.AsOf)),
		AsOfRule:     rep.AsOfRule,
		Users:        rep.Users,
		ConsoleUsers: rep.ConsoleUsers,
		Keys:         rep.Keys,
		SupersededBy: nullable(rep.SupersededBy),
	}
}

func problemsJSON(ps []analyze.Problem) []ProblemJSON {
	out := make([]ProblemJSON, 0, len(ps))
	for _, p := range ps {
		jp := ProblemJSON{Source: p.Source, Message: p.Message, Hint: nullable(p.Hint)}
		if p.Line > 0 {
			line := p.Line
			jp.Line = &line
		}
		out = append(out, jp)
	}
	return out
}

// passwordLastUsedJSON is a time, null for never, or "no_information".
func passwordLastUsedJSON(p analyze.PasswordUse) *string {
	if p.Never {
		return nil
	}
	if p.Time.IsZero() {
		s := "no_information"
		return &s
	}
	return nullable(stamp(p.Time))
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// orEmpty is a list as the JSON writes it: [] when there is none.
func orEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}
