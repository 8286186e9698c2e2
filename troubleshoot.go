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
	// Every code that can be explained is, in the order given; each input
	// that is not a code or not known gets its line on stderr, and the
	// exit code says so (2) at the end.
	var xs []codes.Explanation
	var bad []error
	for _, arg := range inv.Args {
		c, err := codes.Parse(arg)
		if err == nil {
			var x codes.Explanation
			if x, err = codes.Explain(c); err == nil {
				xs = append(xs, x)
				continue
			}
		}
		bad = append(bad, err)
	}
	if len(xs) > 0 {
		if err := report.Explain(inv.Stdout, format, xs); err != nil {
			return 0, err
		}
	}
	for _, err := range bad {
		cli.Fail(inv.Stderr, err)
	}
	if len(bad) > 0 {
		return report.ExitUsage, nil
	}
	return report.ExitReady, nil
}

func runLogs(ctx context.Context, inv *setup.Invocation) (int, error) {
	format, err := inv.Flags.Output.Validate()
	if err != nil {
		return 0, err
	}
	o := inv.Flags.TraceLogs
	filter, err := o.Validate(time.Now())
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
	tracePaths, secPaths, folders, err := sortLogPaths(ctx, paths)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	in := report.LogsInput{Verbose: inv.Flags.Output.Verbose, Width: cli.Width(inv.Stdout, inv.Getenv)}
	if len(tracePaths) > 0 {
		if in.Trace, err = tracelog.Analyze(ctx, tracePaths, filter); err != nil {
			return 0, logsErr(ctx, err)
		}
	}
	if len(secPaths) > 0 {
		procs := agentExecutables(o.AgentPath)
		s, err := secevents.Analyze(ctx, secPaths, secevents.Filter{Since: filter.Since, Until: filter.Until}, secevents.Options{Processes: procs})
		if err != nil {
			return 0, logsErr(ctx, err)
		}
		// Only folders were searched: say nothing of Security events when
		// they held none.
		if len(s.Files) > 0 || folders < len(secPaths) {
			in.Security = s
		}
	}
	in.PassedOver, in.PassedOverCount = passedOver(in.Trace, in.Security)
	in.Paths = paths
	if err := report.Logs(inv.Stdout, format, in); err != nil {
		return 0, err
	}
	if !in.Evaluated() {
		// Nothing read, nothing evaluated: not a clean bill of health.
		return report.ExitInconclusive, nil
	}
	return report.ExitReady, nil
}

// logsErr is the error that ended a logs run: a signal or --timeout says
// so in the words of the other commands ("the run was interrupted
// (SIGTERM)"), not as a "context canceled" of the reader.
func logsErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		if cause := context.Cause(ctx); errors.Is(cause, context.DeadlineExceeded) {
			err = fmt.Errorf("the logs were not read to the end within --timeout")
		} else {
			err = cause
		}
	}
	return fmt.Errorf("logs: %w", err)
}

// sortLogPaths reads explicit files as what they look like, exported
// Security events or trace logs; folders are searched for both (their
// entries that are not regular files are passed over). Only regular files
// and folders are taken.
func sortLogPaths(ctx context.Context, paths []string) (tracePaths, secPaths []string, folders int, err error) {
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, nil, 0, cli.Usagef("logs: %v", cli.PathErr(err))
		}
		if fi.IsDir() {
			tracePaths, secPaths = append(tracePaths, p), append(secPaths, p)
			folders++
			continue
		}
		if !fi.Mode().IsRegular() {
			// A FIFO, pipe or device is refused before it is opened: open(2)
			// of a FIFO waits for a writer and a read for data, which no
			// signal would end (as operate --logs refuses them).
			return nil, nil, 0, cli.Usagef("logs: %s: not a regular file or folder", p)
		}
		switch kind, err := sniffFile(ctx, p); {
		case err != nil:
			return nil, nil, 0, cli.Usagef("logs: %v", cli.PathErr(err))
		case kind == secevents.KindEVTX:
			return nil, nil, 0, cli.Usagef("logs: %s: %s (docs/troubleshooting.md)", p, secevents.EVTXHint)
		case kind == secevents.KindXML:
			secPaths = append(secPaths, p)
		default:
			tracePaths = append(tracePaths, p)
		}
	}
	return tracePaths, secPaths, folders, nil
}

// sniffFile sniffs a regular file's first bytes under the signal context:
// a read from a hung network share must not hold a SIGINT/SIGTERM. The
// goroutine left behind ends with its read; the process exits first.
func sniffFile(ctx context.Context, path string) (secevents.Kind, error) {
	type sniffed struct {
		kind secevents.Kind
		err  error
	}
	ch := make(chan sniffed, 1)
	go func() {
		k, err := secevents.SniffFile(path)
		ch <- sniffed{k, err}
	}()
	select {
	case r := <-ch:
		return r.kind, r.err
	case <-ctx.Done():
		return secevents.KindOther, fmt.Errorf("%s: %w", path, context.Cause(ctx))
	}
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
// events: --agent-path, or the executables security-query names (both known
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
