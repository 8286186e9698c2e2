package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/fixtures"
	"github.com/ptacheck/ptacheck/report"
)

// runPhase runs one phase's checklist and writes the report. It returns the
// exit code, or an error for usage and input problems (exit 2).
func runPhase(ctx context.Context, phase checks.Phase, stdout, stderr io.Writer, o *options, env *checks.Env) (int, error) {
	format, err := report.Lookup(o.output)
	if err != nil {
		return 0, usagef("--output: %v", err)
	}
	skip, err := checks.ValidateIDs("skip", o.skip, false)
	if err != nil {
		return 0, usageError{err.Error()}
	}
	only, err := checks.ValidateIDs("only", o.only, false)
	if err != nil {
		return 0, usageError{err.Error()}
	}
	ignore, err := checks.ValidateIDs("ignore-failures", o.ignore, true)
	if err != nil {
		return 0, usageError{err.Error()}
	}
	cfg, err := planConfig(o)
	if err != nil {
		return 0, err
	}
	for _, id := range checks.ReservedIDs {
		if skip[id] || only[id] || ignore[id] {
			fmt.Fprintf(stderr, "ptacheck: note: %s is reserved for a check this version does not have yet; it selects nothing\n", id)
		}
	}

	logf := func(string, ...any) {}
	if o.verbose {
		var mu sync.Mutex
		logf = func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(stderr, "ptacheck: "+format+"\n", args...)
		}
	}
	env.Logf = logf

	fixtureName := ""
	if o.fixture != "" {
		sc, err := fixtures.Load(o.fixture)
		if err != nil {
			return 0, usageError{err.Error()}
		}
		fixtureName = sc.Name
		stop, err := applyFixture(ctx, sc, env, &cfg)
		if err != nil {
			return 0, err
		}
		defer stop()
		fmt.Fprintf(stderr, "ptacheck: fixture mode %q: checking an emulated environment, not this host\n", sc.Name)
	}
	if o.hostSnapshot != "" {
		data, err := os.ReadFile(o.hostSnapshot)
		if err != nil {
			return 0, usagef("--host-snapshot: %v", unwrapPath(err))
		}
		s, err := checks.ParseSnapshot(data)
		if err != nil {
			return 0, usagef("--host-snapshot %s: %v", o.hostSnapshot, err)
		}
		env.Host = checks.SnapshotHost{S: s}
	}
	if err := applyNetworkFlags(ctx, o, env, fixtureName != ""); err != nil {
		return 0, err
	}

	plan := checks.Plan(phase, cfg)
	if len(checks.Select(plan, only)) == 0 {
		return 0, usagef("--only selects no check of the %s phase (see 'ptacheck list')", phase)
	}
	// Open the report file before running, so a bad path fails fast.
	var reportFile *os.File
	if o.reportFile != "" {
		reportFile, err = os.Create(o.reportFile)
		if err != nil {
			return 0, usagef("--report-file: %v", unwrapPath(err))
		}
		defer reportFile.Close()
	}

	progress := newProgress(stderr, o.verbose, len(checks.Select(plan, only)))
	start := time.Now()
	results := checks.Run(ctx, env, plan, checks.RunOptions{
		Timeout: o.timeout, Skip: skip, Only: only, Ignore: ignore,
		OnStart: progress.start, OnDone: progress.done,
	})
	progress.finish()
	rep := &report.Report{
		Tool: "ptacheck", Version: version, Command: string(phase), Fixture: fixtureName,
		StartedAt: start, Duration: time.Since(start), Strict: o.strict,
		Interrupted: ctx.Err() != nil, Results: results,
	}
	_, code := rep.Verdict()

	var buf bytes.Buffer
	if err := format(&buf, rep, report.Options{Verbose: o.verbose}); err != nil {
		return 0, fmt.Errorf("format report: %w", err)
	}
	if reportFile != nil {
		if _, err := reportFile.Write(buf.Bytes()); err != nil {
			return 0, usagef("--report-file: %v", err)
		}
		if err := reportFile.Close(); err != nil {
			return 0, usagef("--report-file: %v", err)
		}
	}
	if o.output == "text" && colorOK(stdout, o.noColor) {
		buf.Reset()
		_ = format(&buf, rep, report.Options{Verbose: o.verbose, Color: true})
	}
	if _, err := stdout.Write(buf.Bytes()); err != nil {
		return 0, fmt.Errorf("write report: %w", err)
	}
	return code, nil
}

// applyFixture points env at the fixture's emulated host and network.
func applyFixture(ctx context.Context, sc *fixtures.Scenario, env *checks.Env, cfg *checks.Config) (func(), error) {
	env.Host = checks.NoHost{}
	if sc.Host != nil {
		s, err := checks.ParseSnapshot(sc.Host)
		if err != nil {
			return nil, usagef("fixture %s: %s: %v", sc.Name, fixtures.HostFile, err)
		}
		env.Host = checks.SnapshotHost{S: s}
	}
	if sc.Network == nil {
		return func() {}, nil
	}
	running, err := fixtures.Start(ctx, sc.Network)
	if err != nil {
		return nil, fmt.Errorf("fixture %s: start the emulated network: %w", sc.Name, err)
	}
	env.DNSServers = []string{running.DNSServer}
	env.Dialer = running.Dialer
	env.RootCAs = running.RootCAs
	env.Proxy = nil
	if running.ProxyURL != "" {
		u, err := checks.ParseProxyURL(running.ProxyURL)
		if err != nil {
			running.Close()
			return nil, err
		}
		env.Proxy, env.ProxySource = checks.FixedProxy(u), "fixture"
	}
	if cfg.TenantID == "" {
		cfg.TenantID = running.TenantID
	}
	return running.Close, nil
}

// applyNetworkFlags applies --dns-server and --proxy (and, outside fixture
// mode, the proxy environment variables when no proxy was chosen).
func applyNetworkFlags(ctx context.Context, o *options, env *checks.Env, fixtureMode bool) error {
	if len(o.dnsServers) > 0 {
		env.DNSServers = nil
		for _, s := range o.dnsServers {
			n, err := checks.NormalizeDNSServer(s)
			if err != nil {
				return usageError{err.Error()}
			}
			env.DNSServers = append(env.DNSServers, n)
		}
	}
	switch o.proxy {
	case "":
		// A fixture's network has its own proxy (or none): the proxy
		// variables of the machine running the fixture do not apply.
		if !fixtureMode {
			env.Proxy, env.ProxySource = checks.ProxyFromEnvironment()
		}
	case "none":
		env.Proxy, env.ProxySource = nil, ""
	case "winhttp":
		s, err := env.Host.Snapshot(ctx)
		if err != nil || s == nil {
			return usagef("--proxy winhttp: the WinHTTP setting comes from the host facts, which are unavailable here (%v)", err)
		}
		p, err := checks.ProxyFromWinHTTP(s.WinHTTPProxy)
		if err != nil {
			return usageError{err.Error()}
		}
		env.Proxy, env.ProxySource = p, "winhttp"
	default:
		u, err := checks.ParseProxyURL(o.proxy)
		if err != nil {
			return usagef("--proxy: %v", err)
		}
		env.Proxy, env.ProxySource = checks.FixedProxy(u), "--proxy"
	}
	return nil
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return fmt.Errorf("%s: %v", pe.Path, pe.Err)
	}
	return err
}

// colorOK: colour only on a terminal, never with --no-color, NO_COLOR or a
// dumb terminal.
func colorOK(w io.Writer, noColor bool) bool {
	if noColor || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	return isTerminal(w)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progress shows live progress on stderr: a one-line status on a terminal,
// start/done lines with --verbose, nothing otherwise. Never on stdout.
type progress struct {
	w       io.Writer
	tty     bool
	verbose bool
	total   int
	doneN   int
	running map[string]bool
}

func newProgress(w io.Writer, verbose bool, total int) *progress {
	return &progress{w: w, tty: isTerminal(w), verbose: verbose, total: total, running: map[string]bool{}}
}

func (p *progress) start(e checks.Entry) {
	p.running[e.ID()] = true
	switch {
	case p.verbose:
		fmt.Fprintf(p.w, "ptacheck: start %s\n", e.ID())
	case p.tty:
		p.status()
	}
}

func (p *progress) done(r checks.Result) {
	delete(p.running, r.ID)
	p.doneN++
	switch {
	case p.verbose:
		fmt.Fprintf(p.w, "ptacheck: done  %s: %s (%s)\n", r.ID, r.Status, r.Duration.Round(time.Millisecond))
	case p.tty:
		p.status()
	}
}

func (p *progress) status() {
	names := ""
	for id := range p.running {
		if names != "" {
			names += ", "
		}
		names += id
	}
	fmt.Fprintf(p.w, "\r\x1b[K[%d/%d] %s", p.doneN, p.total, names)
}

func (p *progress) finish() {
	if p.tty && !p.verbose {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
