package formats

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Visible writes s so that a reader sees every character it holds: a
// control character, a bidirectional or other invisible format character
// (U+202E, which turns the text after it around, or a zero-width space),
// a line or paragraph separator and invalid UTF-8 are written as escapes
// (\n, \x1b, \u202e). Values come from reports, inventories, file names
// and workbooks that anyone may have written; a terminal, a document or a
// script comment must show them as they are, never act on them.
func Visible(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x80 && !visibleASCII(byte(r)):
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && !visibleRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if !visibleASCII(c) {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || !visibleRune(r) {
			return true
		}
		i += size
	}
	return false
}

func visibleASCII(c byte) bool { return c >= 0x20 && c < 0x7f }

// visibleRune reports whether a non-ASCII rune shows as itself: letters,
// marks, numbers, punctuation and symbols do; controls, format characters
// (the bidirectional ones among them), separators other than the space,
// private-use and unassigned code points do not.
func visibleRune(r rune) bool {
	return unicode.IsPrint(r) && !unicode.Is(unicode.Cf, r)
}
