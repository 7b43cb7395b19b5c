package formats

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/credreview/credreview/analyze"
	"github.com/credreview/credreview/internal/iamfake"
)

// verification verifies the samples' review, read back from its JSON,
// against testdata/verify/after: the samples after a change (see
// TestVerification in the main package for what changed).
func verification(t *testing.T) *Verification {
	t.Helper()
	var b bytes.Buffer
	if err := (JSON{}).Write(&b, review(t, "samples")); err != nil {
		t.Fatal(err)
	}
	prior, err := ReadReview(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	res, v, problems, warnings := analyze.VerifyEvidence(context.Background(), prior.Result, []string{"testdata/verify/after"}, nil, prior.Options)
	return &Verification{Tool: testTool, Review: prior, Newer: &Review{Tool: testTool, Result: res}, Verification: v,
		Problems: problems, Warnings: warnings, Source: "review/credential-review.json", SHA256: strings.Repeat("ab", 32)}
}

// TestReadReview pins that a review read back from its JSON has the
// findings, reports and parameters that were written.
func TestReadReview(t *testing.T) {
	for _, r := range []*Review{review(t, "samples"), allChecksReview(t), exceptedReview(t)} {
		var b bytes.Buffer
		if err := (JSON{}).Write(&b, r); err != nil {
			t.Fatal(err)
		}
		back, err := ReadReview(&b)
		if err != nil {
			t.Fatal(err)
		}
		if back.ID != ReviewID(r) || len(back.Findings) != len(r.Findings) || len(back.Reports) != len(r.Reports) {
			t.Fatalf("read back %s with %d findings, %d reports; wrote %s, %d, %d", back.ID, len(back.Findings), len(back.Reports), ReviewID(r), len(r.Findings), len(r.Reports))
		}
		if !reflect.DeepEqual(back.Options.Checks, r.checks()) && len(r.Options.Checks) > 0 {
			t.Errorf("checks %v, wrote %v", back.Options.Checks, r.Options.Checks)
		}
		for i := range r.Findings {
			w, g := r.Findings[i], back.Findings[i]
			if g.ID != w.ID || g.Check != w.Check || g.Severity != w.Severity || g.User != w.User || g.AccountID != w.AccountID ||
				g.KeySlot != w.KeySlot || g.KeyID != w.KeyID || !g.KeyCreated.Equal(w.KeyCreated) || !g.UserCreated.Equal(w.UserCreated) ||
				(g.Exception == nil) != (w.Exception == nil) {
				t.Errorf("finding %d read back as %+v\nwrote %+v", i, g, w)
			}
		}
		for i := range r.Reports {
			if back.Reports[i].SHA256 != r.Reports[i].SHA256 || !back.Reports[i].AsOf.Equal(r.Reports[i].AsOf) || back.Reports[i].AccountID != r.Reports[i].AccountID {
				t.Errorf("report %d read back as %+v", i, back.Reports[i])
			}
		}
	}
}

// TestReadReviewRefuses pins the JSON ReadReview refuses, and what it says.
func TestReadReviewRefuses(t *testing.T) {
	var b bytes.Buffer
	if err := (JSON{}).Write(&b, review(t, "samples")); err != nil {
		t.Fatal(err)
	}
	good := b.String()
	for _, tc := range []struct{ name, json, want string }{
		{"not JSON", "user,arn\n", "not the JSON of a review"},
		{"another JSON", `{"AccessKeyMetadata": []}`, "not the JSON of a review (no schema_version or review_id)"},
		{"another version", strings.Replace(good, `"schema_version": 3`, `"schema_version": 1`, 1), "a review of schema version 1; this credreview reads version 3"},
		{"an unknown check", strings.Replace(good, `"checks": [
      "setup-key"`, `"checks": [
      "nope"`, 1), `parameters.checks: "nope" is not a check of this credreview`},
		{"a bad severity", strings.Replace(good, `"severity": "high"`, `"severity": "dire"`, 1), "findings[1].severity"},
		{"a bad time", strings.Replace(good, `"key_created": "2024-02-12T09:30:03Z"`, `"key_created": "yesterday"`, 1), "findings[0].key_created"},
		{"something after it", good + `{"more": 1}`, "something follows the review's JSON"},
		{"findings first, then a version", "{\"findings\": [{\"id\": \"SK-1\"}], \"schema_version\": 1, \"review_id\": \"CR-1\"}", "a review of schema version 1"},
		{"a user no one could have", strings.Replace(good, `"user": "alice"`, `"user": "al ice"`, 1), "is not one credreview could have written"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.json == good {
				t.Fatal("the case changed nothing")
			}
			_, err := ReadReview(strings.NewReader(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func renderVerification(t *testing.T, f VerificationFormat, v *Verification) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := f.WriteVerification(&b, v); err != nil {
		t.Fatalf("%s: %v", f.Name(), err)
	}
	return b.Bytes()
}

func TestVerificationGolden(t *testing.T) {
	v := verification(t)
	golden(t, "verification.md", renderVerification(t, Markdown{}, v))
	golden(t, "verification.json", renderVerification(t, JSON{}, v))
	golden(t, "verification.xlsx.txt", []byte(dumpXLSX(t, renderVerification(t, XLSX{}, v))))
}

// TestVerificationDeterministic pins byte-identical files from the same
// verification.
func TestVerificationDeterministic(t *testing.T) {
	v := verification(t)
	for _, f := range []VerificationFormat{JSON{}, Markdown{}, XLSX{}} {
		first := renderVerification(t, f, v)
		for range 5 {
			if !bytes.Equal(first, renderVerification(t, f, verification(t))) {
				t.Fatalf("%s: two verifications of the same inputs differ", f.Name())
			}
		}
	}
}

// TestVerificationPrints prints the verification workbook with
// LibreOffice: landscape, the Results one page wide with every finding's
// outcome, on the heading's page count.
func TestVerificationPrints(t *testing.T) {
	iamfake.RequireTool(t, "/usr/bin/soffice")
	iamfake.RequireTool(t, "/usr/bin/pdftotext")
	v := verification(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "verification.xlsx")
	if err := os.WriteFile(path, renderVerification(t, XLSX{}, v), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/soffice", "-env:UserInstallation=file://"+filepath.Join(dir, "profile"), "--headless", "--convert-to", "pdf", "--outdir", dir, path)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	text, err := exec.Command("/usr/bin/pdftotext", "-layout", filepath.Join(dir, "verification.pdf"), "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	var results []string
	for _, p := range strings.Split(string(text), "\f") {
		if first, _, _ := strings.Cut(strings.TrimLeft(p, "\n "), "\n"); strings.HasSuffix(strings.TrimSpace(first), sheetResults) {
			results = append(results, p)
		}
	}
	if len(results) != 1 {
		t.Fatalf("Results prints on %d pages, want 1", len(results))
	}
	for _, r := range v.Results {
		if !strings.Contains(results[0], r.Finding.ID) || !strings.Contains(results[0], string(r.Outcome)) {
			t.Errorf("%s (%s) is not on the printed Results", r.Finding.ID, r.Outcome)
		}
	}
	if !regexp.MustCompile(`Page \d+ of \d+`).MatchString(results[0]) || !strings.Contains(results[0], VerificationID(v)) {
		t.Errorf("the page has no footer with the page number and the verification id:\n%s", results[0])
	}
}

// TestReadReviewSortedKeys pins that a review whose members were sorted
// (jq -S, Python's sort_keys) reads back whole: findings come first then.
func TestReadReviewSortedKeys(t *testing.T) {
	var b bytes.Buffer
	r := review(t, "samples")
	if err := (JSON{}).Write(&b, r); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	sorted, _ := json.Marshal(doc) // encoding/json sorts a map's keys
	if bytes.Index(sorted, []byte(`"findings"`)) > bytes.Index(sorted, []byte(`"schema_version"`)) {
		t.Fatal("the test wants findings before schema_version")
	}
	back, err := ReadReview(bytes.NewReader(sorted))
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Findings) != len(r.Findings) || back.ID != ReviewID(r) {
		t.Errorf("read back %d findings of %d, id %s", len(back.Findings), len(r.Findings), back.ID)
	}
}

// TestVerificationJSONMatchesEncodingJSON holds the verification's writer
// to encoding/json's encoding of its VerificationJSON, byte for byte.
func TestVerificationJSONMatchesEncodingJSON(t *testing.T) {
	v := verification(t)
	var got, want bytes.Buffer
	if err := (JSON{}).WriteVerification(&got, v); err != nil {
		t.Fatal(err)
	}
	enc := json.NewEncoder(&want)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v.document()); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("the writer differs from encoding/json:\n%s", firstDiff(got.String(), want.String()))
	}
}

// TestReadReviewFileBounded pins that a review's JSON padded with blanks,
// or holding one enormous string, is refused with an error that names the
// file and the cap, long before it is held: the reader never holds more
// than one member or finding.
func TestReadReviewFileBounded(t *testing.T) {
	var b bytes.Buffer
	if err := (JSON{}).Write(&b, review(t, "samples")); err != nil {
		t.Fatal(err)
	}
	good := b.String()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"blanks.json": strings.Replace(good, "{", "{"+strings.Repeat(" ", 40<<20), 1),
		"string.json": strings.Replace(good, `"detail": "`, `"detail": "`+strings.Repeat("x", 40<<20), 1),
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err := ReadReviewFile(path)
		if err == nil || !strings.Contains(err.Error(), path+": ") || !strings.Contains(err.Error(), "more than 16 MiB of one member or finding, or of blanks between them") {
			t.Errorf("%s: %v", name, err)
		}
	}
	path := filepath.Join(dir, "good.json")
	os.WriteFile(path, []byte(good), 0o644)
	if _, _, err := ReadReviewFile(path); err != nil {
		t.Errorf("the review itself: %v", err)
	}
}
