// Package textfmt holds the few text helpers every layer needs: counting
// nouns, keeping a message on one line, and making text from the outside
// world safe to print on a terminal.
package textfmt

import (
	"fmt"
	"strings"
	"time"
	"unicode"
)

// ShortDuration renders 24h rather than 24h0m0s, 30m rather than 30m0s:
// only zero units go (trimming "0s" from 10s or "0m" from 30m would not).
func ShortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Plural renders "1 check" or "3 checks".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// OneLine keeps a message on one line whatever it holds.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Sanitize makes text safe for a terminal: control characters (escape
// sequences, bells, carriage returns) and invalid UTF-8 are replaced, so a
// proxy answer, certificate field, LDAP or Graph value or log line can never
// move the cursor, recolour the screen or retitle the window. Newlines and
// tabs are kept; callers that need one line use OneLine as well.
func Sanitize(s string) string {
	clean := true
	for _, r := range s {
		if r == unicode.ReplacementChar || (unicode.IsControl(r) && r != '\n' && r != '\t') || isFormat(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r == unicode.ReplacementChar, unicode.IsControl(r), isFormat(r):
			b.WriteRune('?')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isFormat matches the bidirectional overrides and other invisible format
// characters that can make a line read differently from what it says.
func isFormat(r rune) bool {
	return unicode.Is(unicode.Cf, r)
}
