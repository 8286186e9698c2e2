//go:build !windows

package cli

import (
	"os"

	"golang.org/x/sys/unix"
)

// terminalWidth returns the width of the terminal f writes to, 0 when it is
// not a terminal.
func terminalWidth(f *os.File) int {
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0
	}
	return int(ws.Col)
}

// enableVT: terminals outside Windows understand ANSI colours.
func enableVT(*os.File) bool { return true }
