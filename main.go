// Command ptacheck checks that a server and a tenant are ready before an
// Azure AD / Microsoft Entra Pass-through Authentication agent is installed,
// registered, enabled or uninstalled, and exits with a code scripts gate on:
//
//	0   ready: nothing failed (warnings allowed unless --strict)
//	1   not ready: at least one check failed
//	2   usage or input error
//	3   inconclusive: nothing failed, but something could not be evaluated
//	130 interrupted by SIGINT (Ctrl-C); the partial report is still written
//	143 interrupted by SIGTERM; the partial report is still written
//
// It is read-only: it never writes to the host, the directory or the tenant,
// only the report files the user asks for.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/checks/hostfacts"
)

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal winds the run down: it stops within a second
		// and writes its partial report. A second one ends the process.
		s := <-sigs
		cancel(checks.Interrupted(signalName(s), signalExit(s)))
		s = <-sigs
		os.Exit(signalExit(s))
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, defaultSystem())
	os.Exit(code)
}

func signalName(s os.Signal) string {
	if s == syscall.SIGTERM {
		return "SIGTERM"
	}
	return "SIGINT"
}

func signalExit(s os.Signal) int {
	if s == syscall.SIGTERM {
		return 143
	}
	return 130
}

// system is the outside world as main sees it: swapped in tests.
type system struct {
	Host hostfacts.Source // the live host (read once per run)
	// NewHost reads the live host afresh (retries); nil: reuse Host.
	NewHost func() hostfacts.Source
	Getenv  func(string) string // environment variables
	Stdin   io.Reader
}

func defaultSystem() *system {
	return &system{Host: hostfacts.Cached(hostfacts.Live()), Getenv: os.Getenv, Stdin: os.Stdin,
		NewHost: func() hostfacts.Source { return hostfacts.Cached(hostfacts.Live()) }}
}
