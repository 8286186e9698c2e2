package textfmt

import (
	"strings"
	"unicode/utf8"
)

// Visible is the number of columns s takes on a terminal: its runes, but
// the colour sequences (ESC [ ... m).
func Visible(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if s[i] == 0x1b {
			if j := strings.IndexByte(s[i:], 'm'); j > 0 {
				i += j + 1
				continue
			}
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n++
	}
	return n
}

// Fold returns text folded at width columns (0: not folded) as lines
// ending in "\n": the first line starts with first, later ones with rest (a
// hanging indent). A word longer than a line is not split; when it does
// not fit after first but would after a shorter rest, first stands alone.
// Trailing spaces are dropped.
func Fold(first, rest, text string, width int) string {
	var b strings.Builder
	prefix, line := first, ""
	flush := func() {
		b.WriteString(strings.TrimRight(prefix+line, " "))
		b.WriteByte('\n')
		prefix, line = rest, ""
	}
	for _, word := range strings.Fields(text) {
		n := utf8.RuneCountInString(word)
		switch {
		case width <= 0:
		case line != "" && Visible(prefix)+utf8.RuneCountInString(line)+1+n > width:
			flush()
		case line == "" && prefix == first && Visible(first)+n > width && Visible(rest) < Visible(first):
			flush() // the word fits better under the indent
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	flush()
	return b.String()
}
