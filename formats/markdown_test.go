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
