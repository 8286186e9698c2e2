package cli

import (
	"errors"
	"io"
	"os"
)

// descriptor: Windows has no /dev/fd; NUL and CON are devices, written
// through by classify.
func descriptor(string) (int, bool) { return 0, false }

func dup(string, int) (io.WriteCloser, error) {
	return nil, errors.New("descriptors cannot be named as paths on Windows")
}

// keepOwner: a Windows file's owner and ACL are not carried over (the new
// file inherits the folder's ACL, as any file created there).
func keepOwner(*os.File, os.FileInfo) {}
