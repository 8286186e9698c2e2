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
	// os/exec starts a child with vfork: until it execs, the child runs in
	// this process's memory, and Linux keeps that high-water mark in the
	// child's ru_maxrss. A figure at or below this process's own peak can
	// be that floor, not the child's: under the race detector this test
	// process alone is above the bound, so the bound cannot be judged.
	if floor := selfPeakRSSMB(); mb <= floor && floor > maxChildRSSMB {
		t.Logf("%s: peak RSS %.1f MB is not the child's own: this test process's peak (%.1f MB, above the %d MB bound) is its floor", what, mb, floor, maxChildRSSMB)
		return mb
	}
	if mb <= 0 || mb > maxChildRSSMB {
		t.Errorf("%s: peak RSS %.1f MB, want above 0 and at most %d MB", what, mb, maxChildRSSMB)
	}
	return mb
}

// selfPeakRSSMB is this test process's peak resident set size in MB.
func selfPeakRSSMB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) * 1024 / 1e6
}
