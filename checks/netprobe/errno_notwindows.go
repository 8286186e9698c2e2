//go:build !windows

package netprobe

import "syscall"

// Extra error numbers beyond syscall's portable constants; none are needed
// outside Windows.
var (
	errnoRefused     []syscall.Errno
	errnoReset       []syscall.Errno
	errnoAccess      []syscall.Errno
	errnoUnreachable []syscall.Errno
)
