package formats

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/credreview/credreview/analyze"
)

// TestJSONMatchesEncodingJSON holds the hand-written writer to the layout of
// encoding/json, byte for byte, on every case and on a review with values
// that need escaping.
func TestJSONMatchesEncodingJSON(t *testing.T) {
	reviews := map[string]*Review{}
	for name := range cases {
		reviews[name] = review(t, name)
	}
	odd := review(t, "mixed")
	odd.Findings[0].Notes = []string{"quote \" back\\slash \n\r\t\b\f \x01 \u2028\u2029 <html> & \xff\xfe é 😀"}
	odd.Options.AsOf = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	odd.Errors = append(odd.Errors, analyze.Problem{Source: "x", Message: "m"})
	reviews["odd"] = odd
	empty := &Review{Tool: testTool, Result: &analyze.Result{Options: analyze.Options{SetupWindow: time.Minute}}}
	reviews["empty"] = empty
	// Enough findings for the parallel path, and a count that is not a
	// multiple of its chunks.
	many := review(t, "samples")
	base := many.Findings
	many.Findings = nil
	for i := range 3001 {
		f := base[i%len(base)]
		f.User = fmt.Sprintf("%s%d", f.User, i)
		many.Findings = append(many.Findings, f)
	}
	reviews["many"] = many
	reviews["all checks"] = allChecksReview(t)
	reviews["excepted"] = exceptedReview(t)
	for name, r := range reviews {
		var got, want bytes.Buffer
		if err := (JSON{}).Write(&got, r); err != nil {
			t.Fatal(err)
		}
		if err := referenceJSON(&want, r); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("%s: the writer differs from encoding/json:\n%s", name, firstDiff(got.String(), want.String()))
		}
	}
}

func FuzzJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "\"\\", "\x00\x1f\x7f", "\u2028", "\xff", "é😀", "<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want strings.Builder
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
		if got := string(appendJSONString(nil, s)) + "\n"; got != want.String() {
			t.Errorf("appendJSONString(%q) = %s, encoding/json %s", s, got, want.String())
		}
	})
}

type jsonDoc struct {
	SchemaVersion int             `json:"schema_version"`
	Tool          jsonTool        `json:"tool"`
	ReviewID      string          `json:"review_id"`
	Parameters    jsonParameters  `json:"parameters"`
	Summary       jsonSummary     `json:"summary"`
	Reports       []jsonReport    `json:"reports"`
	Superseded    []jsonReport    `json:"superseded_reports"`
	Inventories   []jsonInventory `json:"inventories"`
	Findings      []jsonFinding   `json:"findings"`
	Warnings      []jsonProblem   `json:"warnings"`
	Errors        []jsonProblem   `json:"errors"`
}

type jsonTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type jsonParameters struct {
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

type jsonSummary struct {
	Accounts int `json:"accounts"`
	Findings int `json:"findings"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Excepted int `json:"excepted"`
	Errors   int `json:"errors"`
}

type jsonReport struct {
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

type jsonInventory struct {
	Source    string  `json:"source"`
	SHA256    string  `json:"sha256"`
	AccountID *string `json:"account_id"`
	Keys      int     `json:"keys"`
}

type jsonFinding struct {
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
	Exception          *jsonException    `json:"exception"`
	Commands           jsonCommands      `json:"commands"`
}

type jsonException struct {
	Source     string `json:"source"`
	Line       int    `json:"line"`
	Reason     string `json:"reason"`
	ApprovedBy string `json:"approved_by"`
	Expires    string `json:"expires"`
}

type jsonCommands struct {
	Test      []string `json:"test"`
	Implement []string `json:"implement"`
	Backout   []string `json:"backout"`
	Manual    string   `json:"manual,omitempty"`
}

type jsonProblem struct {
	Source  string  `json:"source"`
	Line    *int    `json:"line"`
	Message string  `json:"message"`
	Hint    *string `json:"hint"`
}

// referenceJSON is the encoding/json implementation the hand-written
// writer replaced; the writer must give the same bytes.
func referenceJSON(w io.Writer, r *Review) error {
	c := r.CountBySeverity("")
	doc := jsonDoc{
		SchemaVersion: SchemaVersion,
		Tool:          jsonTool{r.Tool.Name, r.Tool.Version},
		ReviewID:      ReviewID(r),
		Parameters: jsonParameters{
			Checks:             r.checks(),
			Benchmark:          nullable(string(r.Benchmark)),
			SetupWindow:        Window(r.Options.SetupWindow),
			SetupWindowSeconds: int64(r.Options.SetupWindow.Seconds()),
			RootUseDays:        orDefault(r.Options.RootUseDays, analyze.DefaultRootUseDays),
			UnusedDays:         orDefault(r.Options.UnusedDays, analyze.DefaultUnusedDays),
			RotationDays:       orDefault(r.Options.RotationDays, analyze.DefaultRotationDays),
			AsOf:               nullable(stamp(r.Options.AsOf)),
			AsOfRule:           asOfRule(r),
		},
		Summary: jsonSummary{
			Accounts: len(r.Accounts()),
			Findings: c.Total(),
			High:     c[analyze.SeverityHigh],
			Medium:   c[analyze.SeverityMedium],
			Low:      c[analyze.SeverityLow],
			Excepted: r.ExceptedCount(),
			Errors:   len(r.Errors),
		},
		Reports:     make([]jsonReport, 0, len(r.Reports)),
		Superseded:  make([]jsonReport, 0, len(r.Superseded)),
		Inventories: make([]jsonInventory, 0, len(r.Inventories)),
		Findings:    make([]jsonFinding, 0, len(r.Findings)),
		Warnings:    jsonProblems(r.Warnings),
		Errors:      jsonProblems(r.Errors),
	}
	for _, rep := range r.Reports {
		doc.Reports = append(doc.Reports, toJSONReport(rep))
	}
	for _, rep := range r.Superseded {
		doc.Superseded = append(doc.Superseded, toJSONReport(rep))
	}
	for _, inv := range r.Inventories {
		doc.Inventories = append(doc.Inventories, jsonInventory{inv.Source, inv.SHA256, nullable(inv.AccountID), len(inv.Keys)})
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		jf := jsonFinding{
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
			SecondsAfter:       keyOnly(f, f.SecondsAfterUserCreated()),
			AsOf:               nullable(stamp(f.AsOf)),
			KeyAgeDays:         keyOnly(f, f.KeyAgeDays()),
			KeyLastUsed:        nullable(stamp(f.KeyLastUsed)),
			KeyLastUsedService: nullable(reportValue(f.KeyLastUsedService)),
			KeyLastUsedRegion:  nullable(reportValue(f.KeyLastUsedRegion)),
			PasswordLastUsed:   refPasswordLastUsed(f.PasswordLastUsed),
			PasswordLastChange: nullable(stamp(f.PasswordLastChanged)),
			MFAActive:          f.MFAActive,
			Source:             f.Source,
			Line:               f.Line,
			Notes:              f.Notes,
			Commands:           jsonCommands{orEmpty(f.Commands().Test), orEmpty(f.Commands().Implement), orEmpty(f.Commands().Backout), f.Commands().Manual},
		}
		if jf.Notes == nil {
			jf.Notes = []string{}
		}
		if c := analyze.CheckByID(f.Check); c != nil {
			for b, id := range c.Controls {
				jf.Controls[string(b)] = id
			}
		}
		if e := f.Exception; e != nil {
			jf.Exception = &jsonException{e.Source, e.Line, e.Reason, e.ApprovedBy, e.Expires.Format("2006-01-02")}
		}
		doc.Findings = append(doc.Findings, jf)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

func toJSONReport(rep analyze.Report) jsonReport {
	return jsonReport{
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

func jsonProblems(ps []analyze.Problem) []jsonProblem {
	out := make([]jsonProblem, 0, len(ps))
	for _, p := range ps {
		jp := jsonProblem{Source: p.Source, Message: p.Message, Hint: nullable(p.Hint)}
		if p.Line > 0 {
			line := p.Line
			jp.Line = &line
		}
		out = append(out, jp)
	}
	return out
}

// passwordLastUsed is a time, null for never, or "no_information".
func refPasswordLastUsed(p analyze.PasswordUse) *string {
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

// TestJSONSchema validates every golden JSON against the schema written
// down in doc/credential-review.schema.json (a verification's, in
// doc/credential-verification.schema.json), which pipelines rely on.
func TestJSONSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	sch, err := c.Compile(filepath.Join(repoRoot, "doc", "credential-review.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The verification's schema refers to the review's by its $id.
	rf, err := os.Open(filepath.Join(repoRoot, "doc", "credential-review.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	rdoc, err := jsonschema.UnmarshalJSON(rf)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource("https://github.com/credreview/credreview/doc/credential-review.schema.json", rdoc); err != nil {
		t.Fatal(err)
	}
	vsch, err := c.Compile(filepath.Join(repoRoot, "doc", "credential-verification.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	goldens, _ := filepath.Glob(filepath.Join(expectedDir, "*.json"))
	if len(goldens) < 4 {
		t.Fatalf("%d golden JSON files", len(goldens))
	}
	for _, path := range goldens {
		sch := sch
		if strings.HasPrefix(filepath.Base(path), "verification") {
			sch = vsch
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if err := sch.Validate(doc); err != nil {
			t.Errorf("%s does not follow the schema:\n%v", filepath.Base(path), err)
		}
	}
	// And the schema refuses what the JSON never holds.
	bad, _ := jsonschema.UnmarshalJSON(strings.NewReader(`{"schema_version": 1}`))
	if sch.Validate(bad) == nil {
		t.Error("the schema takes a document of another version")
	}
}

// orEmpty is a list as the JSON writes it: [] when there is none.
func orEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// keyOnly is v for a finding about a key, else nil: a finding without a key
// has no key age.
func keyOnly(f *analyze.Finding, v int64) *int64 {
	if !f.HasKey() {
		return nil
	}
	return &v
}
