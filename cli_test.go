package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/credreview/credreview/internal/cli"
	"github.com/credreview/credreview/internal/iamfake"
)

// TestHelpCommand pins credreview help: the top-level help, a command's,
// and an error for a command that does not exist.
func TestHelpCommand(t *testing.T) {
	for _, tt := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"help"}, 0, usage, ""},
		{[]string{"help", "analyze"}, 0, lookup("analyze").Usage, ""},
		{[]string{"help", "analyse"}, 0, lookup("analyze").Usage, ""},
		{[]string{"help", "script"}, 0, lookup("script").Usage, ""},
		{[]string{"help", "fetch"}, 0, lookup("fetch").Usage, ""},
		{[]string{"help", "completion"}, 0, lookup("completion").Usage, ""},
		{[]string{"analyse", "--help"}, 0, lookup("analyze").Usage, ""},
		{[]string{"help", "bogus"}, 2, "", "credreview: error: unknown command \"bogus\" (want analyze, script, verify, fetch, seal, completion, version, help)\n"},
		{[]string{"help", "fetch", "x"}, 2, "", "credreview: error: help takes one command, but was given [\"fetch\" \"x\"]\n"},
	} {
		code, stdout, stderr := credreview(t, "", tt.args...)
		if code != tt.code || stdout != tt.stdout || !strings.HasPrefix(stderr, tt.stderr) {
			t.Errorf("%q: exit %d, stdout %d bytes, stderr %q; want %d, %d bytes, %q", tt.args, code, len(stdout), stderr, tt.code, len(tt.stdout), tt.stderr)
		}
	}
}

// TestTypoSuggestion pins that a mistyped command is named with the one
// meant, and that analyse is analyze.
func TestTypoSuggestion(t *testing.T) {
	for typo, want := range map[string]string{
		"analze":   `unknown command "analze"; did you mean analyze?`,
		"anlayse":  `unknown command "anlayse"; did you mean analyze?`,
		"scrpit":   `unknown command "scrpit"; did you mean script?`,
		"fecth":    `unknown command "fecth"; did you mean fetch?`,
		"vers":     `unknown command "vers"; did you mean version?`,
		"complete": `unknown command "complete"; did you mean completion?`,
		"scan":     `unknown command "scan" (want analyze, script, verify, fetch, seal, completion, version, help)`,
	} {
		code, _, stderr := credreview(t, "", typo)
		if code != 2 || !strings.Contains(stderr, "credreview: error: "+want+"\n") {
			t.Errorf("%s: exit %d\n%s", typo, code, stderr)
		}
	}
	code, _, stderr := credreview(t, "", "analyse", "-q", "-f", "json", "-o", t.TempDir(), "samples")
	if code != 0 {
		t.Errorf("analyse: exit %d\n%s", code, stderr)
	}
}

// TestVersion pins -v, --version and version: the release, then the build.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-v"}} {
		code, stdout, stderr := credreview(t, "", args...)
		if code != 0 || stderr != "" {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr)
		}
		if !regexp.MustCompile(`^credreview ` + regexp.QuoteMeta(cli.Version) + `\nmodule: github\.com/credreview/credreview \S+\n(revision: [0-9a-f]+ \S+( \(with uncommitted changes\))?\n)?go: go1\.\S+ \w+/\w+\n$`).MatchString(stdout) {
			t.Errorf("%q printed:\n%s", args, stdout)
		}
	}
}

// TestLenientValues pins that values are not case-sensitive and that
// durations take days (see also the analyze command's TestParseDays).
func TestLenientValues(t *testing.T) {
	code, stdout, stderr := credreview(t, "", "analyze", "-q", "-f", "JSON", "--setup-window", "1d", "--fail-on", "None", "-o", "-", "samples")
	if code != 0 || !strings.Contains(stdout, `"setup_window": "24h"`) {
		t.Errorf("exit %d\n%s", code, stderr)
	}
}

// TestBinaryToTerminal pins that a workbook is never written to a terminal.
func TestBinaryToTerminal(t *testing.T) {
	defer func(was func(io.Writer) bool) { isTerminal = was }(isTerminal)
	isTerminal = func(io.Writer) bool { return true }
	code, stdout, stderr := credreview(t, "", "analyze", "-f", "xlsx", "-o", "-", "samples")
	if code != 2 || stdout != "" || !strings.Contains(stderr, "credreview: error: -f xlsx -o - would write a zip archive to the terminal; redirect standard output to a file (> review.xlsx), or write the workbook into a folder with -o DIR\n") {
		t.Errorf("exit %d, %d bytes on stdout\n%s", code, len(stdout), stderr)
	}
	// Text formats are fine on a terminal.
	if code, _, _ := credreview(t, "", "analyze", "-q", "-f", "md", "-o", "-", "samples"); code != 0 {
		t.Errorf("-f md -o - on a terminal: exit %d", code)
	}
}

// TestNameAndReplaced pins --name, and that a run says which files it
// replaced.
func TestNameAndReplaced(t *testing.T) {
	out := t.TempDir()
	if code, _, stderr := credreview(t, "", "analyze", "--name", "q4-review", "-o", out, "-f", "md,sh", "samples"); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if got := strings.Join(files(t, out), " "); got != "q4-review.manifest.json q4-review.md q4-review.sh" {
		t.Errorf("files %q", got)
	}
	sh, _ := os.ReadFile(filepath.Join(out, "q4-review.sh"))
	if !strings.Contains(string(sh), "# Usage: sh q4-review.sh PHASE") || !strings.Contains(string(sh), "decide in q4-review.xlsx") {
		t.Errorf("the script does not name its own files")
	}
	_, _, stderr := credreview(t, "", "analyze", "--name", "q4-review", "-o", out, "-f", "md", "samples")
	if want := "credreview: replaced " + filepath.Join(out, "q4-review.md") + " (the same review)\n"; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
	// Other checks on the same reports are another review.
	_, _, stderr = credreview(t, "", "analyze", "--name", "q4-review", "-o", out, "-f", "md", "--checks", "all", "samples")
	if want := "credreview: replaced " + filepath.Join(out, "q4-review.md") + " (review CR-"; !strings.Contains(stderr, want) || strings.Contains(stderr, "(the same review)") {
		t.Errorf("--checks all after setup-key: stderr lacks %q:\n%s", want, stderr)
	}
	for _, bad := range []string{"../x", "a/b", ".hidden", "-x", "", "a b"} {
		if code, _, stderr := credreview(t, "", "analyze", "--name", bad, "samples"); code != 2 || !strings.Contains(stderr, "is not a plain file name") {
			t.Errorf("--name %q: exit %d\n%s", bad, code, stderr)
		}
	}
}

// TestManPage keeps doc/credreview.1 the man page made from the help text
// (make man writes it).
func TestManPage(t *testing.T) {
	golden(t, "../doc/credreview.1", manPage()) // testdata/../doc
	for _, c := range commands {
		if c.Name != "help" && !strings.Contains(manPage(), ".SS "+c.Name+"\n") {
			t.Errorf("the man page has no section for %s", c.Name)
		}
	}
}

// TestManPageRenders renders the man page with man, as a user reads it.
func TestManPageRenders(t *testing.T) {
	iamfake.RequireTool(t, "/usr/bin/groff")
	cmd := exec.Command("/usr/bin/groff", "-man", "-Tutf8", "-ww")
	cmd.Stdin = strings.NewReader(manPage())
	out, err := cmd.CombinedOutput()
	if err != nil || strings.Contains(string(out), "warning") {
		t.Fatalf("groff: %v\n%s", err, out)
	}
	text := regexp.MustCompile(`.\x08`).ReplaceAllString(string(out), "")
	for _, want := range []string{"credreview analyze [options] PATH...", "--setup-window D", "credreview script --approved WORKBOOK [options]"} {
		if !strings.Contains(text, want) {
			t.Errorf("the rendered man page lacks %q", want)
		}
	}
}

// complete asks a shell, with credreview's completion loaded, what it
// completes the command line to.
func completeIn(t *testing.T, shell, line string) []string {
	t.Helper()
	dir := t.TempDir()
	var args []string
	switch shell {
	case "bash":
		_, script, _ := credreview(t, "", "completion", "bash")
		os.WriteFile(filepath.Join(dir, "c.bash"), []byte(script), 0o644)
		words := strings.Fields(line)
		if strings.HasSuffix(line, " ") {
			words = append(words, "")
		}
		var quoted []string
		for _, w := range words {
			quoted = append(quoted, "'"+w+"'")
		}
		prog := "source " + filepath.Join(dir, "c.bash") + "\nCOMP_WORDS=(" + strings.Join(quoted, " ") + ")\nCOMP_CWORD=" + strconv.Itoa(len(words)-1) + "\n_credreview\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
		args = []string{"/usr/bin/bash", "--norc", "--noprofile", "-c", prog}
	case "fish":
		_, script, _ := credreview(t, "", "completion", "fish")
		os.WriteFile(filepath.Join(dir, "c.fish"), []byte(script), 0o644)
		args = []string{"/usr/bin/fish", "--no-config", "-c", "source " + filepath.Join(dir, "c.fish") + "; complete -C '" + line + "'"}
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + dir, "PATH=/usr/bin:/bin"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", shell, err, out)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" {
			w, _, _ := strings.Cut(l, "\t")
			got = append(got, w)
		}
	}
	return got
}

// TestCompletion loads each shell's completion into the shell and asks it
// to complete command lines.
func TestCompletion(t *testing.T) {
	cases := []struct{ line, want string }{
		{"credreview an", "analyze"},
		{"credreview sc", "script"},
		{"credreview analyze --fo", "--format"},
		{"credreview analyze -f js", "json"},
		{"credreview analyze --fail-on h", "high"},
		{"credreview analyze --paper l", "letter"},
		{"credreview completion z", "zsh"},
		{"credreview help fe", "fetch"},
		{"credreview se", "seal"},
		{"credreview seal --si", "--sign-key"},
		{"credreview script --app", "--approved"},
		{"credreview analyze --checks key-r", "key-rotation"},
		{"credreview analyze --benchmark cis-v6", "cis-v6.0"},
	}
	t.Run("bash", func(t *testing.T) {
		iamfake.RequireTool(t, "/usr/bin/bash")
		for _, c := range append(cases, struct{ line, want string }{"credreview analyze -f xlsx,m", "xlsx,md"}) {
			if got := completeIn(t, "bash", c.line); strings.Join(got, " ") != c.want {
				t.Errorf("%q completes to %q, want %q", c.line, got, c.want)
			}
		}
	})
	t.Run("fish", func(t *testing.T) {
		iamfake.RequireTool(t, "/usr/bin/fish")
		for _, c := range cases {
			if got := completeIn(t, "fish", c.line); strings.Join(got, " ") != c.want {
				t.Errorf("%q completes to %q, want %q", c.line, got, c.want)
			}
		}
	})
	t.Run("zsh", func(t *testing.T) {
		// zsh runs the bash function through bashcompinit, and its compadd
		// keeps the candidates that start with the word being completed.
		iamfake.RequireTool(t, "/usr/bin/zsh")
		_, script, _ := credreview(t, "", "completion", "zsh")
		dir := t.TempDir()
		path := filepath.Join(dir, "_credreview")
		os.WriteFile(path, []byte(script), 0o644)
		for _, c := range cases[:5] {
			words := strings.Fields(c.line)
			prog := "autoload -U compinit && compinit -u -d " + filepath.Join(dir, "dump") + " && source " + path +
				" && COMP_WORDS=(" + strings.Join(words, " ") + ") && COMP_CWORD=" + strconv.Itoa(len(words)-1) +
				" && _credreview && print -l -- ${(M)COMPREPLY:#" + words[len(words)-1] + "*}"
			cmd := exec.Command("/usr/bin/zsh", "-f", "-c", prog)
			cmd.Env = []string{"HOME=" + dir, "PATH=/usr/bin:/bin"}
			out, err := cmd.CombinedOutput()
			if got := strings.TrimSpace(string(out)); err != nil || got != c.want {
				t.Errorf("%q completes to %q (%v), want %q", c.line, got, err, c.want)
			}
		}
	})
}
