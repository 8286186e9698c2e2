package cli

import (
	"errors"
	"io"
)

// descriptor: Windows has no /dev/fd; NUL and CON are devices, written
// through by classify.
func descriptor(string) (int, bool) { return 0, false }

func dup(string, int) (io.WriteCloser, error) {
	return nil, errors.New("descriptors cannot be named as paths on Windows")
}
