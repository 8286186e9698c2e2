package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/checks/codes"
	"github.com/ptacheck/ptacheck/checks/tracelog"
	"github.com/ptacheck/ptacheck/internal/cli"
	"github.com/ptacheck/ptacheck/internal/setup"
	"github.com/ptacheck/ptacheck/report"
)

func runExplain(_ context.Context, inv *setup.Invocation) (int, error) {
	format, err := inv.Flags.Output.Validate()
	if err != nil {
		return 0, err
	}
	if len(inv.Args) == 0 {
		return 0, cli.Usagef("explain: name at least one code, e.g. ptacheck explain AADSTS80001 1328")
	}
	var xs []codes.Explanation
	for _, arg := range inv.Args {
		c, err := codes.Parse(arg)
		if err != nil {
			return 0, cli.Usage(err)
		}
		x, err := codes.Explain(c)
		if err != nil {
			return 0, cli.Usage(err)
		}
		xs = append(xs, x)
	}
	return report.ExitReady, report.Explain(inv.Stdout, format, xs)
}

func runLogs(ctx context.Context, inv *setup.Invocation) (int, error) {
	format, err := inv.Flags.Output.Validate()
	if err != nil {
		return 0, err
	}
	filter, err := inv.Flags.TraceLogs.Validate(time.Now())
	if err != nil {
		return 0, err
	}
	paths := inv.Args
	if len(paths) == 0 {
		paths = cli.ExistingPaths(tracelog.DefaultPaths())
		if len(paths) == 0 {
			return 0, cli.Usagef("logs: no agent trace folder on this host (%s): name the log files, folders or .zip files to read", strings.Join(tracelog.DefaultPaths(), ", "))
		}
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return 0, cli.Usagef("logs: %v", cli.PathErr(err))
		}
	}
	ctx, cancel := context.WithTimeout(ctx, inv.Flags.TraceLogs.Timeout)
	defer cancel()
	s, err := tracelog.Analyze(ctx, paths, filter)
	if err != nil {
		return 0, fmt.Errorf("logs: %w", err)
	}
	return report.ExitReady, report.Logs(inv.Stdout, format, s)
}

// Known agent executables whose logons the Security log records
// (troubleshooting guide; pta-facts.md 3.4).
var (
	agentExe     = `C:\Program Files\Microsoft Azure AD Connect Authentication Agent\AzureADConnectAuthenticationAgentService.exe`
	connectorExe = `C:\Program Files\Microsoft AAD App Proxy Connector\ApplicationProxyConnectorService.exe`
)

func runDCQuery(ctx context.Context, inv *setup.Invocation) (int, error) {
	o := inv.Flags.DCQuery
	if err := o.Validate(); err != nil {
		return 0, err
	}
	paths := []string{agentExe, connectorExe}
	switch {
	case o.AgentPath != "":
		paths = []string{o.AgentPath}
	default:
		// The installed agent, when the host facts say which one it is.
		hctx, cancel := context.WithTimeout(ctx, checks.HostReadTimeout)
		defer cancel()
		if s, err := inv.Host.Snapshot(hctx); err == nil && s != nil {
			if found := s.FilesAmong([]string{agentExe}); len(found) > 0 {
				paths = []string{localExe(agentExe)}
			}
		}
	}
	return report.ExitReady, report.DCQuery(inv.Stdout, o.Format, paths)
}

// localExe maps the catalogue's C:\Program Files spelling to this host's.
func localExe(p string) string {
	if pf := os.Getenv("ProgramFiles"); pf != "" {
		return filepath.Join(pf, strings.TrimPrefix(p, `C:\Program Files\`))
	}
	return p
}
