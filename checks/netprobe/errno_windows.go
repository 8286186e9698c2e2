//go:build windows

package netprobe

import (
	"syscall"

	"golang.org/x/sys/windows"
)

// Winsock error numbers: Go's syscall.ECONNREFUSED and friends are not the
// values Windows returns for sockets.
var (
	errnoRefused     = []syscall.Errno{windows.WSAECONNREFUSED}
	errnoReset       = []syscall.Errno{windows.WSAECONNRESET, windows.WSAECONNABORTED}
	errnoAccess      = []syscall.Errno{windows.WSAEACCES}
	errnoUnreachable = []syscall.Errno{windows.WSAEHOSTUNREACH, windows.WSAENETUNREACH}
)
