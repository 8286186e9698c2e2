//go:build windows

package netprobe

// openFileLimit: Windows has no per-process limit on sockets that matters
// here.
func openFileLimit() int { return 1 << 30 }
