package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Width returns the width output to w fits in: COLUMNS when it holds a
// positive number (the user's choice, terminal or not), else the width of
// the terminal w writes to, 0 when it is none (no folding).
func Width(w io.Writer, getenv func(string) string) int {
	if getenv != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(getenv("COLUMNS"))); err == nil && n > 0 {
			return n
		}
	}
	f, ok := file(w)
	if !ok || !IsTerminal(w) {
		return 0
	}
	return terminalWidth(f)
}

// Live reports whether a status line may be drawn on w: a terminal that is
// not TERM=dumb (a dumb terminal gets no \r either, and no escape sequence
// at all).
func Live(w io.Writer, getenv func(string) string) bool {
	return IsTerminal(w) && (getenv == nil || getenv("TERM") != "dumb")
}

// statusLine is a one-line status redrawn in place: each update returns to
// the start of the line (\r), is cut to the width so it never wraps onto a
// second line (which \r could not reach), and pads with spaces over what
// the previous update left. No escape sequence: a console without VT
// processing shows it as well.
type statusLine struct {
	w     io.Writer
	width int // columns; the line stays one shorter, as a full line may wrap
	shown int // runes on the line now
}

func newStatusLine(w io.Writer, width int) *statusLine {
	if width <= 0 {
		width = 80
	}
	return &statusLine{w: w, width: width}
}

// set redraws the line with text.
func (s *statusLine) set(text string) {
	text = strings.Join(strings.Fields(text), " ")
	if room := s.width - 1; utf8.RuneCountInString(text) > room {
		r := []rune(text)
		if room > 3 {
			text = string(r[:room-3]) + "..."
		} else {
			text = string(r[:max(room, 0)])
		}
	}
	n := utf8.RuneCountInString(text)
	fmt.Fprintf(s.w, "\r%s%s", text, strings.Repeat(" ", max(s.shown-n, 0)))
	s.shown = n
}

// clear blanks the line and leaves the cursor at its start.
func (s *statusLine) clear() {
	if s.shown > 0 {
		fmt.Fprintf(s.w, "\r%s\r", strings.Repeat(" ", s.shown))
		s.shown = 0
	}
}
