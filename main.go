// Command ptacheck checks that a server and a tenant are ready before an
// Azure AD / Microsoft Entra Pass-through Authentication agent is installed,
// registered, enabled or uninstalled, and exits with a code scripts gate on:
//
//	0   ready: nothing failed (warnings allowed unless --strict)
//	1   not ready: at least one check failed
//	2   usage or input error
//	3   inconclusive: nothing failed, but a check could not be evaluated
//	130 interrupted (Ctrl-C); the partial report is still written
//
// It is read-only: it never writes to the host, the directory or the tenant,
// only the report files the user asks for.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/ptacheck/ptacheck/checks"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	// After the first Ctrl-C the run winds down and writes its partial
	// report; a second Ctrl-C kills the process as usual.
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, checks.DefaultEnv())
	stop()
	os.Exit(code)
}
