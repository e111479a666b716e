// Package termtext makes untrusted text safe to print on a terminal.
//
// Much of what vmafx-trust prints comes from the artifacts it checks: a
// certificate's subject, a predicate type, a registry's error, a plugin's
// reason. A terminal obeys control sequences wherever they appear, so such a
// string could recolour, move the cursor and overwrite "FAIL" with "PASS".
// Bidirectional-override characters can reorder what the eye reads the
// same way.
package termtext

import (
	"fmt"
	"strings"
	"unicode"
)

// Clean returns s with every control character (newlines too) and every
// bidirectional formatting character replaced by a visible escape such as
// \x1b or \u202e, and invalid UTF-8 by U+FFFD. Printable text, including
// non-ASCII letters, is kept.
func Clean(s string) string {
	if !needsCleaning(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == unicode.ReplacementChar:
			b.WriteRune(r)
		case unicode.IsControl(r) && r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unicode.IsControl(r) || isBidi(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// CleanLines is Clean for text whose line breaks are meant: each line is
// cleaned and the lines are joined with "\n" again.
func CleanLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Clean(strings.TrimSuffix(l, "\r"))
	}
	return strings.Join(lines, "\n")
}

func needsCleaning(s string) bool {
	for _, r := range s {
		// Invalid UTF-8 decodes as the replacement character: a raw byte
		// 0x80–0x9f is a C1 control to a terminal that is not in UTF-8 mode.
		if unicode.IsControl(r) || isBidi(r) || r == unicode.ReplacementChar {
			return true
		}
	}
	return false
}

// isBidi reports the explicit bidirectional formatting characters (LRE, RLE,
// PDF, LRO, RLO, LRI, RLI, FSI, PDI) and the marks LRM, RLM and ALM.
func isBidi(r rune) bool {
	switch {
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return false
}
