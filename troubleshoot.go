package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/checks/codes"
	"github.com/ptacheck/ptacheck/checks/secevents"
	"github.com/ptacheck/ptacheck/checks/tracelog"
	"github.com/ptacheck/ptacheck/report"
)

func runExplain(_ context.Context, inv *invocation) (int, error) {
	if err := validateOutput(inv.o, "text", "json"); err != nil {
		return 0, err
	}
	if len(inv.args) == 0 {
		return 0, usagef("explain: name at least one code, e.g. ptacheck explain AADSTS80001 1328")
	}
	var xs []codes.Explanation
	for _, arg := range inv.args {
		c, err := codes.Parse(arg)
		if err != nil {
			return 0, usageError{err.Error()}
		}
		x, err := codes.Explain(c)
		if err != nil {
			return 0, usageError{err.Error()}
		}
		xs = append(xs, x)
	}
	return report.ExitReady, report.Explain(inv.stdout, inv.o.output, xs)
}

// parseTime reads --since/--until: RFC 3339, a date, or a duration back
// from now ("24h").
func parseTime(flag, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usagef("--%s %q: want a time (2026-11-25T08:00:00Z or 2026-11-25) or a duration back from now (24h)", flag, s)
}

var guidLike = strings.NewReplacer("{", "", "}", "")

func runLogs(ctx context.Context, inv *invocation) (int, error) {
	o := inv.o
	if err := validateOutput(o, "text", "json"); err != nil {
		return 0, err
	}
	now := time.Now()
	var f tracelog.Filter
	var err error
	if f.Since, err = parseTime("since", o.since, now); err != nil {
		return 0, err
	}
	if f.Until, err = parseTime("until", o.until, now); err != nil {
		return 0, err
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		return 0, usagef("--until must be after --since")
	}
	if o.requestID != "" {
		id, err := checks.ParseTenantID(guidLike.Replace(o.requestID))
		if err != nil {
			return 0, usagef("--request-id %q: want a request ID (a GUID) from the trace log or the sign-in log", o.requestID)
		}
		f.RequestID = id
	}
	paths := inv.args
	if len(paths) == 0 {
		paths = existingPaths(tracelog.DefaultPaths())
		if len(paths) == 0 {
			return 0, usagef("logs: no agent trace folder on this host (%s): name the log files, folders or .zip files to read", strings.Join(tracelog.DefaultPaths(), ", "))
		}
	}
	// Explicit files are read as what they look like: exported Security
	// events or trace logs; folders are searched for both.
	var tracePaths, secPaths []string
	folders := map[string]bool{}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return 0, usagef("logs: %v", pathErr(err))
		}
		if fi.IsDir() {
			tracePaths, secPaths = append(tracePaths, p), append(secPaths, p)
			folders[p] = true
			continue
		}
		switch kind, err := secevents.SniffFile(p); {
		case err != nil:
			return 0, usagef("logs: %v", pathErr(err))
		case kind == secevents.KindEVTX:
			return 0, usagef("logs: %s: %s (docs/troubleshooting.md)", p, secevents.EVTXHint)
		case kind == secevents.KindXML:
			secPaths = append(secPaths, p)
		default:
			tracePaths = append(tracePaths, p)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	in := report.LogsInput{Verbose: o.verbose}
	if len(tracePaths) > 0 {
		if in.Trace, err = tracelog.Analyze(ctx, tracePaths, f); err != nil {
			return 0, fmt.Errorf("logs: %w", err)
		}
	}
	if len(secPaths) > 0 {
		procs := agentExecutables(o.agentPath)
		s, err := secevents.Analyze(ctx, secPaths, secevents.Filter{Since: f.Since, Until: f.Until}, secevents.Options{Processes: procs})
		if err != nil {
			return 0, fmt.Errorf("logs: %w", err)
		}
		// Only folders were searched: say nothing of Security events when
		// they held none.
		if len(s.Files) > 0 || len(folders) < len(secPaths) {
			in.Security = s
		}
	}
	in.PassedOver, in.PassedOverCount = passedOver(in.Trace, in.Security)
	return report.ExitReady, report.Logs(inv.stdout, o.output, in)
}

// passedOver are the files in folders that the trace-log reader passed over
// and the Security-event reader did not read either.
func passedOver(t *tracelog.Summary, s *secevents.Summary) ([]string, int) {
	if t == nil {
		return nil, 0
	}
	read := map[string]bool{}
	if s != nil {
		for _, f := range s.Files {
			read[f.Path] = true
		}
	}
	var out []string
	n := t.Ignored
	for _, p := range t.Passed {
		if read[p] {
			n--
			continue
		}
		out = append(out, p)
	}
	return out, n
}

// agentExecutables are the processes whose logons count in Security
// events: --agent-path, or the executables dc-query names (both known
// generations, and the agent under this host's Program Files).
func agentExecutables(agentPath string) []string {
	if agentPath != "" {
		return []string{agentPath}
	}
	paths := []string{agentExe, connectorExe}
	if l := localExe(agentExe); !strings.EqualFold(l, agentExe) {
		paths = append(paths, l)
	}
	return paths
}

func existingPaths(paths []string) []string {
	var out []string
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	return out
}

func pathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %v", pe.Path, pe.Err)
	}
	return err
}

// Known agent executables whose logons the Security log records
// (troubleshooting guide; pta-facts.md 3.4).
var (
	agentExe     = `C:\Program Files\Microsoft Azure AD Connect Authentication Agent\AzureADConnectAuthenticationAgentService.exe`
	connectorExe = `C:\Program Files\Microsoft AAD App Proxy Connector\ApplicationProxyConnectorService.exe`
)

func runDCQuery(ctx context.Context, inv *invocation) (int, error) {
	o := inv.o
	if o.format != "xml" && o.format != "xpath" {
		return 0, usagef("dc-query: --format %q: want xml or xpath", o.format)
	}
	paths := []string{agentExe, connectorExe}
	switch {
	case o.agentPath != "":
		paths = []string{o.agentPath}
	default:
		// The installed agent, when the host facts say which one it is.
		hctx, cancel := context.WithTimeout(ctx, checks.HostReadTimeout)
		defer cancel()
		if s, err := inv.sys.Host.Snapshot(hctx); err == nil && s != nil {
			if found := s.FilesAmong([]string{agentExe}); len(found) > 0 {
				paths = []string{localExe(agentExe)}
			}
		}
	}
	return report.ExitReady, report.DCQuery(inv.stdout, o.format, paths)
}

// localExe maps the catalogue's C:\Program Files spelling to this host's.
func localExe(p string) string {
	if pf := os.Getenv("ProgramFiles"); pf != "" {
		return filepath.Join(pf, strings.TrimPrefix(p, `C:\Program Files\`))
	}
	return p
}
