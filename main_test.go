package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/credreview/credreview/formats"
	"github.com/credreview/credreview/internal/atomicfile"
	"github.com/credreview/credreview/internal/cli"
	"github.com/credreview/credreview/internal/iamfake"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// credreview runs the command in-process.
func credreview(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return cli.ExitCode(err), out.String(), errb.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test . -update)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run go test . -update and review the diff):\n%s", path, got)
	}
}

func TestHelp(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // golden file, or "" for none
		stderr string
	}{
		{"top-level --help", []string{"--help"}, 0, "help.txt", ""},
		{"analyze --help", []string{"analyze", "--help"}, 0, "analyze-help.txt", ""},
		{"analyze -h", []string{"analyze", "-h"}, 0, "analyze-help.txt", ""},
		{"script --help", []string{"script", "--help"}, 0, "script-help.txt", ""},
		{"verify --help", []string{"verify", "--help"}, 0, "verify-help.txt", ""},
		{"seal --help", []string{"seal", "--help"}, 0, "seal-help.txt", ""},
		{"version", []string{"version"}, 0, "version.txt", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := credreview(t, "", tt.args...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d", code, tt.code)
			}
			golden(t, tt.stdout, stdout)
			if stderr != tt.stderr {
				t.Errorf("stderr = %q, want %q", stderr, tt.stderr)
			}
		})
	}
}

// TestHelpMatchesREADME keeps the README's usage section and --help saying
// the same thing.
func TestHelpMatchesREADME(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"analyze", "script", "verify", "fetch", "seal"} {
		_, help, _ := credreview(t, "", cmd, "--help")
		if !strings.Contains(string(readme), help) {
			t.Errorf("README.md does not contain the text of credreview %s --help:\n%s", cmd, help)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no command", nil, "credreview: error: no command given\n"},
		{"unknown command", []string{"bogus"}, "credreview: error: unknown command \"bogus\" (want analyze, script, verify, fetch, seal, completion, version, help)\n"},
		{"split another way", []string{"analyze", "--split", "users", "x"}, "credreview: error: --split \"users\": the one way to split is --split accounts\n"},
		{"split to stdout", []string{"analyze", "--split", "accounts", "-o", "-", "-f", "md", "x"}, "credreview: error: --split accounts writes a folder per account: give -o DIR, not -o -\n"},
		{"verify without --review", []string{"verify", "x"}, "credreview: error: --review FILE is required: the credential-review.json of the review to verify (credreview analyze -f json writes it)\n"},
		{"verify without a path", []string{"verify", "--review", "r.json"}, "credreview: error: no PATH given: name the newer reports, inventories or directories, or - for standard input\n"},
		{"verify a format it does not write", []string{"verify", "--review", "r.json", "-f", "sh", "x"}, "credreview: error: verify writes no format \"sh\" (want xlsx, md, json)\n"},
		{"verify two formats to stdout", []string{"verify", "--review", "r.json", "-o", "-", "x"}, "credreview: error: -o - writes one format to standard output, but --format xlsx,md,json names 3; add -f json, -f md or -f xlsx\n"},
		{"script without --approved", []string{"script"}, "credreview: error: --approved WORKBOOK is required: the credential-review.xlsx the change board decided in\n"},
		{"script with an argument", []string{"script", "--approved", "x.xlsx", "y"}, "credreview: error: script takes no arguments, but was given [\"y\"]; name the workbook with --approved\n"},
		{"bad paper", []string{"analyze", "--paper", "legal", "x"}, "credreview: error: --paper: unknown paper size \"legal\" (want a4 or letter)\n"},
		{"bad check", []string{"analyze", "--checks", "setup-key,nope", "x"}, "credreview: error: --checks: unknown check \"nope\" (want all, or some of setup-key, root-access-key, root-mfa, root-used, console-mfa, unused-credentials, two-active-keys, key-rotation)\n"},
		{"no check", []string{"analyze", "--checks", ",", "x"}, "credreview: error: --checks: names no check\n"},
		{"bad benchmark", []string{"analyze", "--benchmark", "cis-v7.0", "x"}, "credreview: error: --benchmark: unknown benchmark \"cis-v7.0\" (want cis-v1.2, cis-v1.4, cis-v1.5, cis-v2.0, cis-v3.0, cis-v4.0, cis-v5.0, cis-v6.0)\n"},
		{"bad period", []string{"analyze", "--unused-days", "0", "x"}, "credreview: error: --unused-days 0 is not from 1 to 36600\n"},
		{"no path", []string{"analyze"}, "credreview: error: no PATH given: name report files or directories, or - for standard input\n"},
		{"unknown flag", []string{"analyze", "--colour", "x"}, "credreview: error: unknown flag: --colour\n"},
		{"unknown format", []string{"analyze", "-f", "pdf", "x"}, "credreview: error: unknown format \"pdf\" (want csv, json, md, sh, xlsx)\n"},
		{"empty format", []string{"analyze", "-f", ",", "x"}, "credreview: error: --format names no format\n"},
		{"two formats to stdout", []string{"analyze", "-o", "-", "-f", "md,json", "x"}, "credreview: error: -o - writes one format to standard output, but --format names 2\n"},
		{"bad window", []string{"analyze", "--setup-window", "soon", "x"}, "credreview: error: invalid argument \"soon\" for \"--setup-window\" flag: not a duration such as 10s, 15m, 1h or 1d\n"},
		{"negative window", []string{"analyze", "--setup-window", "-1h", "x"}, "credreview: error: --setup-window -1h0m0s is negative\n"},
		{"sub-second window", []string{"analyze", "--setup-window", "1.5s", "x"}, "credreview: error: --setup-window 1.5s is not a whole number of seconds, and reports have times to the second\n"},
		{"default formats to stdout", []string{"analyze", "-o", "-", "x"}, "credreview: error: -o - writes one format to standard output, but the default --format xlsx,md,json names 3; add -f md, -f json, -f xlsx or -f sh\n"},
		{"version with an argument", []string{"version", "x"}, "credreview: error: version takes no arguments, but was given [\"x\"]\n"},
		{"bad severity", []string{"analyze", "--fail-on", "critical", "x"}, "credreview: error: --fail-on: unknown severity \"critical\" (want none, low, medium or high)\n"},
		{"bad as-of", []string{"analyze", "--as-of", "yesterday", "x"}, "credreview: error: --as-of \"yesterday\" is not a date (2026-11-20) or a time (2026-11-20T12:00:00Z)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := credreview(t, "", tt.args...)
			if code != 2 {
				t.Errorf("exit code %d, want 2", code)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			if !strings.HasPrefix(stderr, tt.stderr) && !strings.Contains(stderr, "\n"+tt.stderr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tt.stderr)
			}
			command := ""
			if len(tt.args) > 0 && (tt.args[0] == "analyze" || tt.args[0] == "script" || tt.args[0] == "verify") {
				command = tt.args[0] + " "
			}
			if !strings.HasSuffix(stderr, "credreview: hint: run \"credreview "+command+"--help\" for usage\n") {
				t.Errorf("stderr = %q, want a hint to --help at the end", stderr)
			}
		})
	}
}

// files lists the files in dir, hidden ones too (a temporary file left
// behind is one), but for the lock every output folder keeps.
func files(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.Name() != atomicfile.LockName {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

func TestAnalyzeSamples(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := credreview(t, "", "analyze", "-o", out, "-f", "md,json", "samples")
	if code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr)
	}
	if stdout != "" {
		t.Errorf("stdout = %q, want nothing: data goes to files unless -o -", stdout)
	}
	want := "credreview: 3 reports in 3 accounts, 13 findings (7 high, 4 medium, 2 low); wrote " + filepath.Join(out, "credential-review.md") + ", " + filepath.Join(out, "credential-review.json") + ", " + filepath.Join(out, "credential-review.manifest.json") + "\n"
	if stderr != want {
		t.Errorf("stderr = %q, want %q", stderr, want)
	}
	if got := files(t, out); strings.Join(got, " ") != "credential-review.json credential-review.manifest.json credential-review.md" {
		t.Errorf("files written: %q", got)
	}
	var doc struct {
		Findings []struct{ ID, User string }
	}
	b, _ := os.ReadFile(filepath.Join(out, "credential-review.json"))
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Findings) != 13 {
		t.Errorf("json: %v, %d findings", err, len(doc.Findings))
	}

	// The same inputs and flags give byte-identical files.
	again := t.TempDir()
	credreview(t, "", "analyze", "-o", again, "-f", "md,json", "samples")
	for _, f := range []string{"credential-review.md", "credential-review.json"} {
		a, _ := os.ReadFile(filepath.Join(out, f))
		b, _ := os.ReadFile(filepath.Join(again, f))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two runs", f)
		}
	}
}

func TestStdoutAndStdin(t *testing.T) {
	report, err := os.ReadFile("samples/123456789012.credential-report.csv")
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := credreview(t, string(report), "analyze", "-q", "-f", "json", "-o", "-", "-")
	if code != 0 || stderr != "" {
		t.Fatalf("exit code %d, stderr %q", code, stderr)
	}
	var doc struct {
		Reports []struct {
			Source string `json:"source"`
		} `json:"reports"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || len(doc.Reports) != 1 || doc.Reports[0].Source != "-" {
		t.Errorf("stdout is not the JSON of the stdin report: %v %+v", err, doc)
	}
}

// TestExitCodes pins 0, 1 and 3, and that a failed input does not stop the
// others from being analysed and written.
func TestExitCodes(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("user,arn,user_creation_time\n"), 0o644)
	high := "samples/123456789012.credential-report.csv"
	onlyMedium := filepath.Join(t.TempDir(), "medium.csv")
	b, _ := os.ReadFile(high)
	var keep []string
	for i, line := range strings.Split(string(b), "\n") {
		if i < 2 || strings.HasPrefix(line, "bob,") {
			keep = append(keep, line)
		}
	}
	os.WriteFile(onlyMedium, []byte(strings.Join(keep, "\n")), 0o644)

	tests := []struct {
		name   string
		args   []string
		code   int
		files  string
		stderr []string
	}{
		{"findings, no --fail-on", []string{high}, 0, "credential-review.json credential-review.manifest.json credential-review.md credential-review.xlsx", nil},
		{"--fail-on high with high findings", []string{"--fail-on", "high", high}, 3, "credential-review.json credential-review.manifest.json credential-review.md credential-review.xlsx", []string{"credreview: findings at or above --fail-on high\n"}},
		{"--fail-on high with medium findings", []string{"--fail-on", "high", onlyMedium}, 0, "credential-review.json credential-review.manifest.json credential-review.md credential-review.xlsx", nil},
		{"--fail-on medium with medium findings", []string{"--fail-on", "MEDIUM", onlyMedium}, 3, "credential-review.json credential-review.manifest.json credential-review.md credential-review.xlsx", nil},
		{"a bad input beside a good one", []string{bad, high}, 1, "credential-review.json credential-review.manifest.json credential-review.md credential-review.xlsx", []string{
			"credreview: error: " + bad + ":1: not a complete credential report: missing 14 columns: ",
			"credreview: hint: the header has 3 columns",
			", 1 input error; wrote "}},
		{"input errors win over --fail-on", []string{"--fail-on", "low", bad, high}, 1, "credential-review.json credential-review.manifest.json credential-review.md credential-review.xlsx", nil},
		{"only bad inputs", []string{bad}, 1, "", []string{"credreview: error: no credential report could be read; nothing was written\n"}},
		{"missing file", []string{"nope.csv"}, 1, "", []string{"credreview: error: nope.csv: no such file or directory\n"}},
		{"quiet keeps errors", []string{"-q", bad, high}, 1, "credential-review.json credential-review.manifest.json credential-review.md credential-review.xlsx", []string{"credreview: error: " + bad}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			code, _, stderr := credreview(t, "", append([]string{"analyze", "-o", out}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			got := ""
			if _, err := os.Stat(out); err == nil {
				got = strings.Join(files(t, out), " ")
			}
			if got != tt.files {
				t.Errorf("files %q, want %q", got, tt.files)
			}
			for _, s := range tt.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
			if tt.args[0] == "-q" && (strings.Contains(stderr, "warning") || strings.Contains(stderr, "wrote")) {
				t.Errorf("-q printed more than errors:\n%s", stderr)
			}
		})
	}
}

// TestOutputFailure pins that an output that cannot be written fails the
// run, that no file of the set is put in place, and that no temporary file
// is left behind.
func TestOutputFailure(t *testing.T) {
	out := t.TempDir()
	// A directory where the Markdown file should go.
	os.Mkdir(filepath.Join(out, "credential-review.md"), 0o755)
	code, _, stderr := credreview(t, "", "analyze", "-o", out, "-f", "json,md", "samples")
	if code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	for _, want := range []string{
		"credreview: error: put " + filepath.Join(out, "credential-review.md") + " in place: it is a directory, not a file\n",
		"credreview: error: nothing was written in " + out + ": the outputs of one review are put in place together or not at all\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if got := strings.Join(files(t, out), " "); got != "credential-review.md" {
		t.Errorf("files %q: no JSON without its Markdown, and no temporary file", got)
	}
}

// TestOutputSets pins that the files of one folder are always of one
// review: every output carries its review id; a run replaces the files of
// another review, even in formats it does not write; the files of the same
// review stay; a folder another run is writing in is refused; and a script
// is never written beside another review's files.
func TestOutputSets(t *testing.T) {
	out := t.TempDir()
	if code, _, stderr := credreview(t, "", "analyze", "-q", "-o", out, "-f", "xlsx,md,json,sh", "samples"); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	ids := map[string]bool{}
	for _, f := range []string{"xlsx", "md", "json", "sh"} {
		ids[formats.ReviewIDOf(filepath.Join(out, "credential-review."+f))] = true
	}
	if len(ids) != 1 || ids[""] {
		t.Fatalf("the outputs carry review ids %v, want one", ids)
	}

	// The same review again, in one format: the others stay.
	code, _, stderr := credreview(t, "", "analyze", "-o", out, "-f", "md", "samples")
	if code != 0 || strings.Contains(stderr, "removed") {
		t.Errorf("the same review: exit %d\n%s", code, stderr)
	}
	if got := strings.Join(files(t, out), " "); got != "credential-review.json credential-review.manifest.json credential-review.md credential-review.sh credential-review.xlsx" {
		t.Errorf("files %q", got)
	}

	// Another review: the files of the first go, whatever their format.
	code, _, stderr = credreview(t, "", "analyze", "-o", out, "-f", "md", "samples/123456789012.credential-report.csv")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, f := range []string{"json", "sh", "xlsx"} {
		want := "credreview: removed " + filepath.Join(out, "credential-review."+f) + ": it was of another review\n"
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if got := strings.Join(files(t, out), " "); got != "credential-review.manifest.json credential-review.md" {
		t.Errorf("files %q", got)
	}

	// Another run writing there: refused, nothing written.
	held, err := atomicfile.Lock(out)
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr = credreview(t, "", "analyze", "-o", out, "-f", "json", "samples")
	held.Close()
	if code != 1 || !strings.Contains(stderr, "credreview: error: "+out+": another credreview run is writing there (process ") || !strings.Contains(stderr, "wait for it to finish, or write to another folder with -o") {
		t.Errorf("a locked folder: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "credential-review.json")); err == nil {
		t.Error("a JSON was written into the locked folder")
	}

	// A script of the first review beside the second review's files.
	first := t.TempDir()
	credreview(t, "", "analyze", "-q", "-o", first, "-f", "xlsx", "samples")
	code, _, stderr = credreview(t, "", "script", "--approved", filepath.Join(first, "credential-review.xlsx"), "-o", out)
	if code != 1 || !strings.Contains(stderr, "credential-review.md is of review CR-") || !strings.Contains(stderr, "write the script where its review is, or in another folder with -o") {
		t.Errorf("a script beside another review: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "credential-review.sh")); err == nil {
		t.Error("the script was written")
	}
}

// TestNoProgressWhenNotATerminal pins that a batch run whose stderr is not
// a terminal prints no progress line.
func TestNoProgressWhenNotATerminal(t *testing.T) {
	_, _, stderr := credreview(t, "", "analyze", "-o", t.TempDir(), "samples")
	if strings.Contains(stderr, "\r") || strings.Contains(stderr, "files, ") {
		t.Errorf("progress on a non-terminal: %q", stderr)
	}
}

// TestJSONCommandsWithRealCLI takes the implementation commands from the
// JSON that analyze writes, as a pipeline would, and runs them with the real
// AWS CLI against a loopback IAM endpoint: for the account whose keys an
// inventory names (literal key ids) and for one without (run-time
// selection), exactly the flagged keys are deactivated, then deleted.
func TestJSONCommandsWithRealCLI(t *testing.T) {
	iamfake.RequireTool(t, iamfake.AWSCLI)
	out := t.TempDir()
	if code, _, stderr := credreview(t, "", "analyze", "-q", "-f", "json", "-o", out, "samples"); code != 0 {
		t.Fatalf("analyze: exit %d\n%s", code, stderr)
	}
	var doc struct {
		Findings []struct {
			AccountID  string  `json:"account_id"`
			User       string  `json:"user"`
			KeyID      *string `json:"key_id"`
			KeyActive  bool    `json:"key_active"`
			KeyCreated string  `json:"key_created"`
			Commands   struct {
				Implement []string `json:"implement"`
			} `json:"commands"`
		} `json:"findings"`
	}
	b, _ := os.ReadFile(filepath.Join(out, "credential-review.json"))
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var keys []iamfake.Key
	var want []string
	var commands []string
	for i, f := range doc.Findings {
		if f.AccountID != "210987654321" && f.AccountID != "345678901234" {
			continue
		}
		created, err := time.Parse(time.RFC3339, f.KeyCreated)
		if err != nil {
			t.Fatal(err)
		}
		id := fmt.Sprintf("AKIARUNTIME%09d", i)
		if f.KeyID != nil {
			id = *f.KeyID
		}
		status := "Inactive"
		if f.KeyActive {
			status = "Active"
		}
		keys = append(keys,
			iamfake.Key{User: f.User, ID: id, Status: status, Created: created},
			iamfake.Key{User: f.User, ID: fmt.Sprintf("AKIAUNTOUCHED%07d", i), Status: "Active", Created: created.Add(48 * time.Hour)})
		want = append(want, "UpdateAccessKey "+f.User+" "+id+" Inactive", "DeleteAccessKey "+f.User+" "+id)
		commands = append(commands, f.Commands.Implement...)
	}
	if len(commands) != 8 {
		t.Fatalf("%d commands for the two accounts, want 8", len(commands))
	}
	s := iamfake.New(nil, keys)
	defer s.Close()
	env := s.CLIEnv(t)
	// Deactivate everything, then delete, as the plan orders it.
	for _, step := range []int{0, 1} {
		for i := step; i < len(commands); i += 2 {
			cmd := exec.Command("sh", "-c", commands[i])
			cmd.Env = env
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s\n%v\n%s", commands[i], err, out)
			}
		}
	}
	got := s.Mutations()
	sort.Strings(got)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("requests that changed IAM:\n%q\nwant\n%q", got, want)
	}
	for _, k := range s.Keys() {
		if !strings.HasPrefix(k.ID, "AKIAUNTOUCHED") || k.Status != "Active" {
			t.Errorf("left in IAM: %+v; only the untouched keys should be", k)
		}
	}
}

// TestInterrupted pins that a run interrupted before every input was read
// writes nothing: a review of part of the inputs must not pass for the whole.
func TestInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := filepath.Join(t.TempDir(), "out")
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{"analyze", "-o", out, "samples"}, strings.NewReader(""), &stdout, &stderr)
	if code := cli.ExitCode(err); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "credreview: error: interrupted before every input was read; nothing was written\n") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s was created", out)
	}
}

// TestTerminalShowsWhatIsThere pins that a file named with escape
// sequences cannot rewrite the terminal: its name is printed escaped.
func TestTerminalShowsWhatIsThere(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "x\x1b[1A\x1b[2K\rcredreview: all inputs OK.csv")
	os.WriteFile(name, []byte("not,a,report\n"), 0o644)
	_, _, stderr := credreview(t, "", "analyze", "-o", t.TempDir(), name, "samples")
	if strings.ContainsAny(stderr, "\x1b\r") {
		t.Errorf("stderr holds a control character: %q", stderr)
	}
	if !strings.Contains(stderr, `credreview: error: `+dir+`/x\x1b[1A\x1b[2K\rcredreview: all inputs OK.csv:1: not a credential report`) {
		t.Errorf("stderr:\n%s", stderr)
	}
}

// TestDecisionsAreNeverLost pins that a run never replaces nor removes a
// workbook a board decided in, or the script of its approvals, and leaves
// alone a file with a review's name that credreview did not write.
func TestDecisionsAreNeverLost(t *testing.T) {
	out := t.TempDir()
	if code, _, stderr := credreview(t, "", "analyze", "-q", "-o", out, "samples"); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	wb := filepath.Join(out, "credential-review.xlsx")
	decideIn(t, wb, map[string][3]string{"SK-AC3423442C": {"Approve", "Ada Lovelace", "CHG-1001"}}, nil)
	before, _ := os.ReadFile(wb)
	for _, args := range [][]string{
		{"analyze", "-o", out, "samples"},                                                // the same review
		{"analyze", "-o", out, "samples/123456789012.credential-report.csv"},             // another review
		{"analyze", "-o", out, "-f", "md", "samples/123456789012.credential-report.csv"}, // another, without a workbook
	} {
		code, _, stderr := credreview(t, "", args...)
		if code != 1 || !strings.Contains(stderr, "credreview: error: "+wb+" holds a change board's decisions, which this run would lose; move it, or write this review to another folder with -o\n") {
			t.Errorf("%q: exit %d\n%s", args, code, stderr)
		}
		if after, _ := os.ReadFile(wb); !bytes.Equal(before, after) {
			t.Fatalf("%q changed the decided workbook", args)
		}
	}
	// The approved script, likewise.
	if code, _, stderr := credreview(t, "", "script", "-q", "--approved", wb, "-o", out); code != 0 {
		t.Fatalf("script: exit %d\n%s", code, stderr)
	}
	os.Rename(wb, filepath.Join(t.TempDir(), "elsewhere.xlsx"))
	code, _, stderr := credreview(t, "", "analyze", "-o", out, "-f", "md,sh", "samples")
	if code != 1 || !strings.Contains(stderr, filepath.Join(out, "credential-review.sh")+" holds a change board's decisions") {
		t.Errorf("over the approved script: exit %d\n%s", code, stderr)
	}

	// A file credreview did not write is left alone, with a word.
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "credential-review.json"), []byte(`{"my": "own notes"}`), 0o644)
	code, _, stderr = credreview(t, "", "analyze", "-o", other, "-f", "md", "samples")
	if code != 0 || !strings.Contains(stderr, "credreview: warning: "+filepath.Join(other, "credential-review.json")+" has the name of a review's file but no review id: left as it is\n") {
		t.Errorf("exit %d\n%s", code, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(other, "credential-review.json")); string(b) != `{"my": "own notes"}` {
		t.Errorf("the file was changed: %s", b)
	}
}

// TestMain lets the tests run credreview itself as a child process: the
// test binary, started with CREDREVIEW_RUN_MAIN=1, is the command.
func TestMain(m *testing.M) {
	if os.Getenv("CREDREVIEW_RUN_MAIN") == "1" {
		main()
		return
	}
	flag.Parse()
	os.Exit(m.Run())
}

// TestSignals pins that Ctrl-C, SIGTERM and SIGHUP stop a run within a
// second, even one blocked reading a FIFO that never sends a byte, with
// exit code 1, an error that says so, and nothing left in the output
// folder.
func TestSignals(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			fifo := filepath.Join(dir, "report.fifo")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Skip(err)
			}
			out := filepath.Join(dir, "out")
			cmd := exec.Command(self, "analyze", "-o", out, "samples", fifo)
			cmd.Env = append(os.Environ(), "CREDREVIEW_RUN_MAIN=1")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Hold the FIFO open for writing, and send nothing.
			w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			time.Sleep(300 * time.Millisecond)
			sent := time.Now()
			cmd.Process.Signal(sig)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if took := time.Since(sent); took > time.Second {
					t.Errorf("stopped %v after the signal, want within a second", took)
				}
				if code := cmd.ProcessState.ExitCode(); code != 1 {
					t.Errorf("exit %d (%v), want 1", code, err)
				}
			case <-time.After(5 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("still running 5 s after %s", sig)
			}
			if !strings.Contains(stderr.String(), "credreview: error: interrupted before every input was read; nothing was written\n") {
				t.Errorf("stderr:\n%s", stderr.String())
			}
			if entries, err := os.ReadDir(out); err == nil && len(entries) > 0 {
				t.Errorf("left in the output folder: %v", entries)
			}
		})
	}
}
