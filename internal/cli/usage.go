package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// UsageError is a one-line usage or input error: exit 2. Other errors that
// stop a command before a report exists (a fixture that cannot start,
// stdout closed) exit 2 as well: no verdict was reached.
type UsageError struct{ Msg string }

func (e UsageError) Error() string { return e.Msg }

// Usagef formats a UsageError.
func Usagef(format string, args ...any) error { return UsageError{fmt.Sprintf(format, args...)} }

// Usage turns any error into a UsageError with the same text.
func Usage(err error) error { return UsageError{err.Error()} }

// Fail prints the one line of an error that ends a command. Every secret
// the run read is masked, whatever the error says.
func Fail(stderr io.Writer, err error) { Printf(stderr, "%s", err.Error()) }

// OrList joins items as "a, b or c".
func OrList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// PathErr shortens an *os.PathError to "path: cause" (no "open"/"stat").
func PathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %v", pe.Path, pe.Err)
	}
	return err
}

// ExistingPaths keeps the paths that exist.
func ExistingPaths(paths []string) []string {
	var out []string
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	return out
}
