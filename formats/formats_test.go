package formats

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/credreview/credreview/analyze"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/expected")

// Absolute paths, since the tests run from the repository root.
var (
	expectedDir, _ = filepath.Abs(filepath.Join("testdata", "expected"))
	repoRoot, _    = filepath.Abs("..")
)

var testTool = Tool{Name: "credreview", Version: "test"}

// cases are the inputs of the golden tests, relative to the repository
// root so that the outputs name them as a user would.
var cases = map[string][]string{
	"samples": {"samples"},
	"mixed":   {"formats/testdata/mixed"},
}

// TestMain runs the tests from the repository root, so that the cases'
// sources read as a user would give them (samples/...).
func TestMain(m *testing.M) {
	flag.Parse()
	if err := os.Chdir(repoRoot); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

// review analyses a case.
func review(t testing.TB, name string) *Review {
	t.Helper()
	res := analyze.Analyze(context.Background(), cases[name], nil, analyze.Options{SetupWindow: time.Hour})
	return &Review{Tool: testTool, Result: res}
}

// allChecksReview is the samples' review with every check, and the CIS
// v5.0 ids shown.
func allChecksReview(t *testing.T) *Review {
	t.Helper()
	ids, _ := analyze.ParseChecks("all")
	res := analyze.Analyze(context.Background(), cases["samples"], nil, analyze.Options{SetupWindow: time.Hour, Checks: ids})
	return &Review{Tool: testTool, Result: res, Benchmark: "cis-v5.0"}
}

// exceptedReview is the samples' review with formats/testdata/exceptions.yaml
// applied: one exception holds, one has expired, one matches nothing.
func exceptedReview(t *testing.T) *Review {
	t.Helper()
	r := review(t, "samples")
	f, err := os.Open("formats/testdata/exceptions.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ex, pr := analyze.ReadExceptions("formats/testdata/exceptions.yaml", f)
	if len(pr) > 0 {
		t.Fatal(pr)
	}
	analyze.ApplyExceptions(r.Result, ex)
	return r
}

func render(t testing.TB, f Format, r *Review) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := f.Write(&b, r); err != nil {
		t.Fatalf("%s: %v", f.Name(), err)
	}
	return b.Bytes()
}

// golden compares got with testdata/expected/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(expectedDir, name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./formats -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run go test ./formats -update and review the diff.\n%s", path, firstDiff(string(got), string(want)))
	}
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + strconv.Itoa(i+1) + ":\n got: " + gl + "\nwant: " + wl
		}
	}
	return ""
}

// TestGolden pins every text format for every case.
func TestGolden(t *testing.T) {
	for name := range cases {
		for _, f := range []Format{JSON{}, Markdown{}, CSV{}} {
			t.Run(name+"."+f.Name(), func(t *testing.T) {
				r := review(t, name)
				golden(t, name+"."+f.Name(), render(t, f, r))
			})
		}
	}
}

// TestAllChecks pins every format for every check on the samples; the
// setup-key findings are those of the setup-key check alone.
func TestAllChecks(t *testing.T) {
	r := allChecksReview(t)
	for _, f := range []Format{JSON{}, Markdown{}, CSV{}, Script{}} {
		golden(t, "samples-all."+f.Name(), render(t, f, r))
	}
	checks := map[string]int{}
	for _, f := range r.Findings {
		checks[f.Check]++
	}
	for _, c := range analyze.Checks {
		if checks[c.ID] == 0 && c.ID != "root-access-key" && c.ID != "root-mfa" {
			t.Errorf("no finding of %s on the samples", c.ID)
		}
	}
	alone := review(t, "samples")
	var a, b []string
	for _, f := range alone.Findings {
		a = append(a, f.ID)
	}
	for _, f := range r.Findings {
		if f.Check == analyze.CheckSetupKey {
			b = append(b, f.ID)
		}
	}
	if strings.Join(a, " ") != strings.Join(b, " ") {
		t.Errorf("setup-key alone finds %v, with every check %v", a, b)
	}
}

// TestExcepted pins how every format shows an exception: the finding is
// apart (its own section and sheet, in the JSON with its exception), out
// of the counts, the plans and the script; an expired one is back with a
// note; an entry that matches nothing is a warning.
func TestExcepted(t *testing.T) {
	r := exceptedReview(t)
	for _, f := range []Format{JSON{}, Markdown{}, Script{}} {
		golden(t, "samples-excepted."+f.Name(), render(t, f, r))
	}
	if got := Summary(r); got != "3 reports in 3 accounts, 12 findings (6 high, 4 medium, 2 low), 1 excepted" {
		t.Errorf("summary %q", got)
	}
	if h := r.Highest(); h != analyze.SeverityHigh {
		t.Errorf("highest %v", h)
	}
	sh := string(render(t, Script{}, r))
	if strings.Contains(sh, "SK-AC3423442C") {
		t.Error("the script acts on the excepted finding")
	}
	md := string(render(t, Markdown{}, r))
	if !strings.Contains(md, "## Excepted") || strings.Count(md, "SK-AC3423442C") != 1 {
		t.Errorf("the Markdown does not show the excepted finding once, apart")
	}
	var alice *analyze.Finding
	for i := range r.Findings {
		if r.Findings[i].User == "alice" {
			alice = &r.Findings[i]
		}
	}
	if alice.Excepted() || len(alice.Notes) != 1 || !strings.Contains(alice.Notes[0], "expired on 2026-01-01") {
		t.Errorf("alice's expired exception: %+v", alice.Notes)
	}
	var warned bool
	for _, w := range r.Warnings {
		warned = warned || (w.Line == 17 && strings.Contains(w.Message, "matches no finding of this review"))
	}
	if !warned {
		t.Errorf("no warning for the exception that matches nothing: %v", r.Warnings)
	}
}

// TestDeterministic pins that two runs give the same bytes.
func TestDeterministic(t *testing.T) {
	for _, f := range []Format{JSON{}, Markdown{}} {
		first := render(t, f, review(t, "mixed"))
		for range 10 {
			if again := render(t, f, review(t, "mixed")); !bytes.Equal(first, again) {
				t.Fatalf("%s: two runs differ", f.Name())
			}
		}
	}
}

func TestWindow(t *testing.T) {
	for d, want := range map[time.Duration]string{time.Hour: "1h", 90 * time.Minute: "1h30m", 10 * time.Second: "10s", 0: "0s", 36 * time.Hour: "36h", 61 * time.Second: "1m1s"} {
		if got := Window(d); got != want {
			t.Errorf("Window(%v) = %q, want %q", d, got, want)
		}
	}
}
