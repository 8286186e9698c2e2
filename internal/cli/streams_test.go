package cli

import (
	"os"
	"testing"
)

// /dev/null is a character device, not a terminal: a run with 2>/dev/null
// must not think a person can answer a device-code prompt.
func TestDevNullIsNotATerminal(t *testing.T) {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	if IsTerminal(f) || IsTerminal(Lock(f)) {
		t.Fatal("IsTerminal(/dev/null) = true")
	}
	if Width(f) != 0 || Color(f, false, func(string) string { return "" }) {
		t.Fatal("/dev/null has a width or colours")
	}
}
