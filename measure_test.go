//go:build !windows

package main

import (
	"os"
	"syscall"
	"testing"
)

// childPeakRSSMB is a finished child's peak resident set size in MB (its
// rusage; Linux reports KiB).
func childPeakRSSMB(ps *os.ProcessState) float64 {
	if ps == nil {
		return 0
	}
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	return float64(ru.Maxrss) * 1024 / 1e6
}

// maxChildRSSMB bounds the peak RSS of a child that reads an input or
// writes a report: ptacheck itself is about 30 MB.
const maxChildRSSMB = 120

func assertChildRSS(t *testing.T, what string, ps *os.ProcessState) float64 {
	t.Helper()
	mb := childPeakRSSMB(ps)
	if mb <= 0 || mb > maxChildRSSMB {
		t.Errorf("%s: peak RSS %.1f MB, want above 0 and at most %d MB", what, mb, maxChildRSSMB)
	}
	return mb
}
