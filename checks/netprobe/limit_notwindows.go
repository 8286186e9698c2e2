//go:build !windows

package netprobe

import "syscall"

// openFileLimit returns the soft limit on open files (the Go runtime raises
// it to the hard limit at start).
func openFileLimit() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<30 {
		return 1 << 30
	}
	return int(rl.Cur)
}
