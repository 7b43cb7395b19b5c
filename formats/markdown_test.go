package formats

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/credreview/credreview/analyze"
	"github.com/credreview/credreview/internal/iamfake"
)

// pandocTables renders Markdown as GitHub-flavoured Markdown with pandoc and
// returns each table as rows of plain-text cells.
func pandocTables(t *testing.T, md []byte) [][][]string {
	t.Helper()
	iamfake.RequireTool(t, "/usr/bin/pandoc")
	cmd := exec.Command("/usr/bin/pandoc", "-f", "gfm", "-t", "json")
	cmd.Stdin = bytes.NewReader(md)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pandoc: %v", err)
	}
	var doc struct{ Blocks []any }
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	var tables [][][]string
	for _, b := range doc.Blocks {
		m, _ := b.(map[string]any)
		if m["t"] != "Table" {
			continue
		}
		var rows [][]string
		collectRows(m["c"], &rows)
		tables = append(tables, rows)
	}
	return tables
}

// collectRows walks pandoc's Table node and collects each Row's cells as text.
func collectRows(n any, rows *[][]string) {
	switch v := n.(type) {
	case []any:
		for _, c := range v {
			collectRows(c, rows)
		}
	case map[string]any:
		if _, ok := v["t"]; ok {
			collectRows(v["c"], rows)
		}
	}
	// pandoc's JSON writes a Row as [Attr, [Cell...]] and a Cell as
	// [Attr, Alignment, RowSpan, ColSpan, [Block...]].
	if arr, ok := n.([]any); ok && len(arr) == 2 {
		if cells, ok := arr[1].([]any); ok && len(cells) > 0 && isCell(cells[0]) {
			var row []string
			for _, c := range cells {
				row = append(row, inlineText(c.([]any)[4]))
			}
			*rows = append(*rows, row)
		}
	}
}

func isCell(n any) bool {
	a, ok := n.([]any)
	if !ok || len(a) != 5 {
		return false
	}
	_, isAlign := a[1].(map[string]any)
	return isAlign
}

// inlineText flattens pandoc inlines to their text.
func inlineText(n any) string {
	var b strings.Builder
	var walk func(any)
	walk = func(n any) {
		switch v := n.(type) {
		case []any:
			for _, c := range v {
				walk(c)
			}
		case map[string]any:
			switch v["t"] {
			case "Str":
				b.WriteString(v["c"].(string))
			case "Space", "SoftBreak":
				b.WriteString(" ")
			case "Code":
				b.WriteString(v["c"].([]any)[1].(string))
			case "Emph", "Strong", "Link":
				b.WriteString("<" + v["t"].(string) + ">")
				walk(v["c"])
			default:
				walk(v["c"])
			}
		}
	}
	walk(n)
	return b.String()
}

// TestMarkdownRendersWithPandoc checks the change request the way a reader
// sees it: every table keeps its columns, and names and messages with
// Markdown punctuation read literally, with no stray emphasis or links.
func TestMarkdownRendersWithPandoc(t *testing.T) {
	for name := range cases {
		t.Run(name, func(t *testing.T) {
			r := review(t, name)
			tables := pandocTables(t, render(t, Markdown{}, r))
			var findings [][]string
			for _, tb := range tables {
				width := len(tb[0])
				for i, row := range tb {
					if len(row) != width {
						t.Errorf("table %q row %d has %d cells, want %d", tb[0], i, len(row), width)
					}
				}
				if tb[0][0] == "ID" {
					findings = tb[1:]
				}
			}
			if len(findings) != len(r.Findings) {
				t.Fatalf("findings table has %d rows, want %d", len(findings), len(r.Findings))
			}
			for i, f := range r.Findings {
				row := findings[i]
				if row[0] != f.ID || row[3] != f.User || row[1] != f.Severity.String() {
					t.Errorf("row %d reads %q, want id %s, user %s", i, row, f.ID, f.User)
				}
				for _, c := range row {
					if strings.Contains(c, "<Emph>") || strings.Contains(c, "<Link>") {
						t.Errorf("row %d: cell %q renders with markup", i, c)
					}
				}
			}
			for _, tb := range tables {
				if tb[0][0] == "Source" && tb[0][2] == "Problem" {
					for i, p := range problemsOf(r, tb) {
						if got := tb[i+1][2]; !strings.HasPrefix(got, p.Message) {
							t.Errorf("problem reads %q, want %q", got, p.Message)
						}
					}
				}
			}
		})
	}
}

// problemsOf tells which list of problems a problem table shows.
func problemsOf(r *Review, tb [][]string) []analyze.Problem {
	if len(r.Errors) == len(tb)-1 && len(r.Errors) > 0 && strings.HasPrefix(tb[1][2], r.Errors[0].Message) {
		return r.Errors
	}
	return r.Warnings
}

func TestMarkdownText(t *testing.T) {
	for in, want := range map[string]string{
		"_a_":                 `\_a\_`,
		"x@y.z":               `x\@y.z`,
		"a|b":                 `a\|b`,
		"[x](y)":              `\[x\](y)`,
		"<b>":                 `\<b\>`,
		"see http://x":        `see http\://x`,
		"www.example.com":     `www\.example.com`,
		"07:04:17 and a.b":    "07:04:17 and a.b",
		"two\nlines":          "two lines",
		"=1+2 -x +ops":        "=1+2 -x +ops",
		"back\\slash `tick`*": "back\\\\slash \\`tick\\`\\*",
	} {
		if got := text(in); got != want {
			t.Errorf("text(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMarkdownShowsWhatIsThere renders values an adversary chose (a file
// name with a backslash and a pipe, control characters, a right-to-left
// override) through pandoc: every table keeps its columns, and each value
// reads as it is, its invisible characters escaped.
func TestMarkdownShowsWhatIsThere(t *testing.T) {
	r := review(t, "mixed")
	r.Reports[0].Source = `x\|y.csv`
	r.Findings[0].KeyLastUsed = r.Findings[0].KeyCreated
	r.Findings[0].KeyLastUsedService = "s3\u202egnp.exe"
	r.Errors = append(r.Errors, analyze.Problem{Source: "evil\x1b[2K\rall inputs OK", Line: 3, Message: "a | b \\| c"})
	tables := pandocTables(t, render(t, Markdown{}, r))
	for _, tb := range tables {
		for i, row := range tb {
			if len(row) != len(tb[0]) {
				t.Errorf("table %q row %d has %d cells, want %d: %q", tb[0], i, len(row), len(tb[0]), row)
			}
		}
	}
	var all []string
	for _, tb := range tables {
		for _, row := range tb {
			all = append(all, strings.Join(row, " | "))
		}
	}
	text := strings.Join(all, "\n")
	for _, want := range []string{`x\|y.csv`, `(s3\u202egnp.exe`, `evil\x1b[2K\rall inputs OK`, `a | b \| c`} {
		if !strings.Contains(text, want) {
			t.Errorf("the rendered tables lack %q:\n%s", want, text)
		}
	}
	if strings.ContainsAny(text, "\x1b\r\u202e") {
		t.Errorf("a control character reached the rendered text")
	}
}

func TestVisible(t *testing.T) {
	for in, want := range map[string]string{
		"alice":             "alice",
		"Zoë, 東京 and ☃":     "Zoë, 東京 and ☃",
		"a\x1b[2Kb":         `a\x1b[2Kb`,
		"two\nlines\r\tand": `two\nlines\r\tand`,
		"rtl\u202eoverride": `rtl\u202eoverride`,
		"zero\u200bwidth":   `zero\u200bwidth`,
		"bom\ufeff":         `bom\ufeff`,
		"bad \xff utf-8":    `bad \xff utf-8`,
		"del\x7f":           `del\x7f`,
		"c1 \u0085":         `c1 \u0085`,
		"line\u2028sep":     `line\u2028sep`,
		`a literal \u202e`:  `a literal \u202e`,
	} {
		if got := Visible(in); got != want {
			t.Errorf("Visible(%q) = %q, want %q", in, got, want)
		}
	}
}
