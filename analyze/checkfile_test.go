package analyze

import (
	"go/scanner"
	gotoken "go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCheckLivesInItsFile pins that a check is one file: no check's id
// appears in a string, nor its name in an identifier (CheckSetupKey), in
// the module's non-test Go code outside the file that registers it.
// Everything else (the writers, the usage text, the command table) takes
// what it says of a check from the table of checks.
func TestCheckLivesInItsFile(t *testing.T) {
	root := ".."
	type token struct{ file, text string }
	var strs, idents []token
	home := map[string]string{} // check id -> its file
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var s scanner.Scanner
		fset := gotoken.NewFileSet()
		s.Init(fset.AddFile(path, -1, len(src)), src, nil, 0)
		for {
			_, tok, lit := s.Scan()
			if tok == gotoken.EOF {
				break
			}
			switch tok {
			case gotoken.STRING:
				strs = append(strs, token{path, lit})
				if m := registered.FindStringSubmatch(string(src)); m != nil && strings.Contains(filepath.Base(path), "check_") {
					home[m[1]] = path
				}
			case gotoken.IDENT:
				idents = append(idents, token{path, lit})
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Checks {
		file := filepath.Join(root, "analyze", "check_"+strings.ReplaceAll(strings.TrimSuffix(c.ID, "-credentials"), "-", "")+".go")
		if _, err := os.Stat(file); err != nil {
			t.Errorf("check %s: no file %s", c.ID, file)
			continue
		}
		word := regexp.MustCompile(`(^|[^a-z0-9-])` + regexp.QuoteMeta(c.ID) + `($|[^a-z0-9-])`)
		ident := "Check" + camel(c.ID)
		for _, s := range strs {
			if s.file != file && word.MatchString(s.text) {
				t.Errorf("%s: the string %s names check %s, which lives in %s", s.file, s.text, c.ID, file)
			}
		}
		for _, id := range idents {
			if id.file != file && id.text == ident {
				t.Errorf("%s: %s names check %s, which lives in %s", id.file, id.text, c.ID, file)
			}
		}
	}
}

// registered finds the id a check file registers.
var registered = regexp.MustCompile(`ID:\s+"([a-z-]+)"`)

// camel writes a check id as an identifier: setup-key, SetupKey.
func camel(id string) string {
	var b strings.Builder
	for _, part := range strings.Split(id, "-") {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// TestREADMEChecksTable holds the README's table of checks to the table of
// checks: a row per check, in order, with its CIS ids per version.
func TestREADMEChecksTable(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "\n## Every check\n")
	if !ok {
		t.Fatal("the README has no section Every check")
	}
	var header []string
	var rows [][]string
	for _, line := range strings.Split(after, "\n") {
		if !strings.HasPrefix(line, "|") {
			if header != nil {
				break
			}
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		switch {
		case header == nil:
			header = cells
		case strings.HasPrefix(cells[0], "---"):
		default:
			rows = append(rows, cells)
		}
	}
	if len(rows) != len(Checks) {
		t.Fatalf("the README's table has %d rows, the table of checks %d", len(rows), len(Checks))
	}
	// The columns of versions: "CIS v1.2", "v1.4 to v4.0", "v5.0", ...
	cols := map[int]Benchmark{}
	for i, h := range header {
		v, _, _ := strings.Cut(strings.TrimPrefix(h, "CIS "), " to ")
		if b, err := ParseBenchmark(v); err == nil && strings.HasPrefix(v, "v") {
			cols[i] = b
		}
	}
	if len(cols) < 4 {
		t.Fatalf("the README's table has %d version columns: %q", len(cols), header)
	}
	for i, c := range Checks {
		row := rows[i]
		if row[0] != c.ID {
			t.Errorf("row %d is %q, want %s", i+1, row[0], c.ID)
			continue
		}
		for col, b := range cols {
			want := c.Control(b)
			if want == "" {
				want = "—"
			}
			if got, _, _ := strings.Cut(row[col], " "); got != want {
				t.Errorf("%s in %s: the README says %q, the table %q", c.ID, b, row[col], want)
			}
		}
	}
}
