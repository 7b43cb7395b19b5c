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

// referenceJSON is encoding/json's indented encoding of the review's
// ReviewJSON: the hand-written writer must give the same bytes.
func referenceJSON(w io.Writer, r *Review) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r.document())
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
