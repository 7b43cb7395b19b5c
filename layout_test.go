package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestThinMain keeps package main what it is for: main.go starts a run and
// exits with its code; the rest of the package is the command table,
// dispatch, help and version. A command's flags, help and work belong in
// its package under internal/command, and what commands share in
// internal/cli and internal/outputset.
func TestThinMain(t *testing.T) {
	const mainMax, packageMax = 60, 400
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n := strings.Count(string(b), "\n")
		if f == "main.go" && n > mainMax {
			t.Errorf("main.go has %d lines, want at most %d: move what is not signals, GC and the exit code out of it", n, mainMax)
		}
		total += n
	}
	if total > packageMax {
		t.Errorf("package main has %d lines, want at most %d: move a command's code into its package under internal/command", total, packageMax)
	}
}

// codeMap is the README's "Code map" as rules: for each package of the
// module, the packages of the module it may import, and the libraries it
// must not depend on, even through others. TestCodeMap holds the code to
// it with go list.
var codeMap = map[string]struct {
	may    []string // module packages it may import (directly)
	mustNo []string // import path prefixes it must not depend on
}{
	".":                           {may: []string{"internal/cli", "internal/command/"}},
	"analyze":                     {may: []string{"internal/custody"}, mustNo: []string{"github.com/xuri/excelize", "github.com/aws/", "github.com/spf13/pflag"}},
	"internal/custody":            {may: []string{"internal/sshsig"}, mustNo: []string{"github.com/aws/", "github.com/xuri/excelize"}},
	"formats":                     {may: []string{"analyze"}, mustNo: []string{"github.com/aws/", "github.com/spf13/pflag"}},
	"fetch":                       {may: []string{"analyze", "internal/atomicfile"}, mustNo: []string{"github.com/xuri/excelize", "github.com/spf13/pflag"}},
	"internal/atomicfile":         {},
	"internal/sshsig":             {mustNo: []string{"github.com/aws/", "github.com/xuri/excelize"}},
	"internal/cli":                {may: []string{"analyze", "formats", "internal/custody"}, mustNo: []string{"github.com/aws/"}},
	"internal/outputset":          {may: []string{"formats", "internal/atomicfile", "internal/cli", "internal/custody"}, mustNo: []string{"github.com/aws/"}},
	"internal/command/analyze":    {may: []string{"analyze", "formats", "internal/cli", "internal/outputset", "internal/custody"}, mustNo: []string{"github.com/aws/"}},
	"internal/command/script":     {may: []string{"analyze", "formats", "internal/cli", "internal/outputset", "internal/custody"}, mustNo: []string{"github.com/aws/"}},
	"internal/command/verify":     {may: []string{"analyze", "formats", "internal/cli", "internal/outputset", "internal/custody"}, mustNo: []string{"github.com/aws/"}},
	"internal/command/fetch":      {may: []string{"fetch", "internal/cli", "internal/command/seal", "internal/custody"}},
	"internal/command/seal":       {may: []string{"analyze", "internal/atomicfile", "internal/cli", "internal/custody"}, mustNo: []string{"github.com/aws/"}},
	"internal/command/completion": {may: []string{"internal/cli"}},
	// Test support: imported by tests only.
	"internal/iamfake":   {},
	"internal/batch":     {},
	"internal/ocsfcheck": {},
}

// TestCodeMap holds every package of the module to the code map: a package
// it does not name fails the test, as does an import it does not allow.
func TestCodeMap(t *testing.T) {
	const module = "github.com/credreview/credreview"
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}\t{{join .Imports \" \"}}\t{{join .Deps \" \"}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.Split(line, "\t")
		rel := strings.TrimPrefix(strings.TrimPrefix(parts[0], module), "/")
		if rel == "" {
			rel = "."
		}
		seen[rel] = true
		rule, ok := codeMap[rel]
		if !ok {
			t.Errorf("package %s is not in the code map: add it to the README's Code map and to codeMap", rel)
			continue
		}
		for _, imp := range strings.Fields(parts[1]) {
			dep, ok := strings.CutPrefix(imp, module+"/")
			if !ok {
				continue
			}
			allowed := slices.ContainsFunc(rule.may, func(m string) bool { return dep == m || strings.HasSuffix(m, "/") && strings.HasPrefix(dep, m) })
			if !allowed {
				t.Errorf("%s imports %s, which the code map does not allow", rel, dep)
			}
			if _, support := map[string]bool{"internal/iamfake": true, "internal/batch": true, "internal/ocsfcheck": true}[dep]; support {
				t.Errorf("%s imports %s, which only tests may", rel, dep)
			}
		}
		for _, dep := range strings.Fields(parts[2]) {
			for _, no := range rule.mustNo {
				if strings.HasPrefix(dep, no) {
					t.Errorf("%s depends on %s, which the code map forbids it", rel, dep)
				}
			}
		}
	}
	for rel := range codeMap {
		if !seen[rel] {
			t.Errorf("the code map names %s, which is no package", rel)
		}
	}
}
