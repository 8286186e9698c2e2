// Package cli is the bottom of the command layer: the streams and the
// terminal (one lock on stderr, TTY detection, width, colour, the Windows
// console's VT mode, the progress line), usage errors, and the report files
// a command writes. It knows no check, flag or client.
package cli

import (
	"fmt"
	"io"
	"os"
	"sync"

	"golang.org/x/term"

	"github.com/ptacheck/ptacheck/util/redact"
	"github.com/ptacheck/ptacheck/util/textfmt"
)

// Locked serialises writes to W: progress, the -v probe log and warnings
// come from several goroutines, and one lock keeps their lines whole.
type Locked struct {
	mu sync.Mutex
	W  io.Writer
}

// Lock wraps w in a Locked writer (once: a Locked stays as it is).
func Lock(w io.Writer) *Locked {
	if l, ok := w.(*Locked); ok {
		return l
	}
	return &Locked{W: w}
}

func (l *Locked) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.W.Write(p)
}

// file returns the *os.File behind w, if any.
func file(w io.Writer) (*os.File, bool) {
	if l, ok := w.(*Locked); ok {
		w = l.W
	}
	f, ok := w.(*os.File)
	return f, ok
}

// IsTerminal reports whether w is a terminal: not any character device,
// since /dev/null is one too, and a run with 2>/dev/null must not start a
// device-code sign-in or draw a progress line.
func IsTerminal(w io.Writer) bool {
	f, ok := file(w)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Width returns the width of the terminal w writes to, 0 when it is none.
func Width(w io.Writer) int {
	f, ok := file(w)
	if !ok || !IsTerminal(w) {
		return 0
	}
	return terminalWidth(f)
}

// Color reports whether text output to w may use colour: only on a
// terminal, never with --no-color, NO_COLOR or a dumb terminal. On Windows
// it turns on the console's VT processing, and says no when it cannot.
func Color(w io.Writer, noColor bool, getenv func(string) string) bool {
	if noColor || getenv("NO_COLOR") != "" || getenv("TERM") == "dumb" {
		return false
	}
	f, ok := file(w)
	return ok && IsTerminal(w) && enableVT(f)
}

// Printf writes one "ptacheck: ..." line to w (stderr): redacted, on one
// line, safe for a terminal.
func Printf(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "ptacheck: %s\n", textfmt.OneLine(textfmt.Sanitize(redact.String(fmt.Sprintf(format, args...)))))
}

// Redacting masks registered secrets in what is written through it (the
// device-code prompt).
type Redacting struct{ W io.Writer }

func (r Redacting) Write(p []byte) (int, error) {
	if _, err := r.W.Write(redact.Bytes(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}
