package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/checks/directory"
	"github.com/ptacheck/ptacheck/checks/hostfacts"
	"github.com/ptacheck/ptacheck/checks/netprobe"
	"github.com/ptacheck/ptacheck/checks/tracelog"
	"github.com/ptacheck/ptacheck/fixtures"
	"github.com/ptacheck/ptacheck/internal/input"
	"github.com/ptacheck/ptacheck/internal/outfile"
	"github.com/ptacheck/ptacheck/internal/redact"
	"github.com/ptacheck/ptacheck/report"
)

// phaseInputs are a checklist run's validated flags.
type phaseInputs struct {
	format       report.Formatter // stdout
	fileFormat   report.Formatter // --report-file
	fileFormatID string
	skip         map[string]bool
	only         map[string]bool
	ignore       map[string]bool
	notes        []string // printed on stderr once everything validated
	dnsServers   []string // --dns-server, normalised
	dir          *directoryInputs
	tenant       *tenantInputs
	phase        checks.Phase
	scopePhases  []checks.Phase // collect: the sign-in asks for the scopes of all these phases
	cfg          checks.Config
}

// dnsServers validates --dns-server values (repeatable or comma-separated).
func dnsServers(values []string) ([]string, error) {
	var out []string
	for _, v := range values {
		for _, s := range strings.Split(v, ",") {
			n, err := netprobe.NormalizeDNSServer(strings.TrimSpace(s))
			if err != nil {
				return nil, usageError{err.Error()}
			}
			out = append(out, n)
		}
	}
	return out, nil
}

// runPhase runs one phase's checklist and writes the report. It returns the
// exit code, or an error for usage and input problems (exit 2).
func runPhase(ctx context.Context, phase checks.Phase, inv *invocation) (int, error) {
	o := inv.o
	in, err := validatePhase(ctx, phase, o, inv.sys.Getenv)
	if err != nil {
		return 0, err
	}
	sc, err := loadFixture(o)
	if err != nil {
		return 0, err
	}
	if err := fixtureUsers(in, sc); err != nil {
		return 0, err
	}
	if phase == checks.PhaseSignin {
		if err := readUserPassword(ctx, o, inv.sys.Getenv, in); err != nil {
			return 0, err
		}
	}
	host, err := hostSource(ctx, inv.sys, o, sc)
	if err != nil {
		return 0, err
	}
	out, err := openReportFile(ctx, o)
	if err != nil {
		return 0, err
	}
	defer out.abort()
	env, stop, err := wire(ctx, inv, sc, host, in)
	if err != nil {
		return 0, err
	}
	defer stop()
	for _, n := range in.notes {
		fmt.Fprintf(inv.stderr, "ptacheck: note: %s\n", n)
	}
	for _, w := range in.dir.warnings {
		fmt.Fprintf(inv.stderr, "ptacheck: warning: %s\n", w)
	}
	if sc != nil {
		fmt.Fprintf(inv.stderr, "ptacheck: fixture mode %q: checking an emulated environment, not this host\n", sc.Name)
	}
	rep := execute(ctx, inv, env, in, sc)
	if o.retryTimeout > 0 {
		rep = retry(ctx, inv, in, sc, host, rep)
	}
	return rep.ExitCode(), writeReport(inv, in, out, rep)
}

// validatePhase checks every flag of a run before anything starts.
func validatePhase(ctx context.Context, phase checks.Phase, o *options, getenv func(string) string) (*phaseInputs, error) {
	in := &phaseInputs{}
	var err error
	if in.format, err = report.Lookup(o.output); err != nil {
		return nil, usagef("--output: %v", err)
	}
	in.fileFormatID = o.output
	if o.reportFormat != "" {
		if o.reportFile == "" {
			return nil, usagef("--report-format needs --report-file")
		}
		in.fileFormatID = o.reportFormat
	}
	if in.fileFormat, err = report.Lookup(in.fileFormatID); err != nil {
		return nil, usagef("--report-format: %v", err)
	}
	if in.skip, err = checks.ValidateIDs("skip", o.skip, false); err != nil {
		return nil, usageError{err.Error()}
	}
	if in.only, err = checks.ValidateIDs("only", o.only, false); err != nil {
		return nil, usageError{err.Error()}
	}
	if in.ignore, err = checks.ValidateIDs("ignore-failures", o.ignore, true); err != nil {
		return nil, usageError{err.Error()}
	}
	if o.timeout <= 0 {
		return nil, usagef("--timeout %s: must be positive", o.timeout)
	}
	switch {
	case o.retryTimeout < 0:
		return nil, usagef("--retry-timeout %s: must be positive (0: no retries)", o.retryTimeout)
	case o.retryTimeout > 0 && o.sleep <= 0:
		return nil, usagef("--sleep %s: must be positive", o.sleep)
	case o.retryTimeout > 0 && o.sleep >= o.retryTimeout:
		return nil, usagef("--sleep %s leaves no time for a retry within --retry-timeout %s", o.sleep, o.retryTimeout)
	}
	if o.probeTimeout <= 0 {
		return nil, usagef("--probe-timeout %s: must be positive", o.probeTimeout)
	}
	if in.cfg, err = catalogueConfig(ctx, o); err != nil {
		return nil, err
	}
	in.cfg.ProbeTimeout = o.probeTimeout
	if in.dnsServers, err = dnsServers(o.dnsServers); err != nil {
		return nil, err
	}
	if in.cfg.AgentVersion, err = agentVersion(o); err != nil {
		return nil, err
	}
	if in.dir, err = validateDirectory(ctx, o, getenv); err != nil {
		return nil, err
	}
	if in.tenant, err = validateTenant(ctx, o, getenv); err != nil {
		return nil, err
	}
	in.phase = phase
	if phase == checks.PhaseSignin {
		if in.cfg.Users, err = readUsers(ctx, o); err != nil {
			return nil, err
		}
	}
	if phase == checks.PhaseOperate {
		in.cfg.Logs = checks.LogsConfig{Paths: o.logPaths, Window: o.failureWindow, Threshold: o.failureThreshold}
		for _, p := range o.logPaths {
			if _, err := os.Stat(p); err != nil {
				return nil, usagef("--logs %v", pathErr(err))
			}
		}
		if len(o.logPaths) == 0 {
			in.cfg.Logs.Paths = existingPaths(tracelog.DefaultPaths())
		}
	}
	if len(checks.Select(checks.Plan(phase, checks.Config{}), in.only)) == 0 {
		return nil, usagef("--only selects no check of the %s phase (see 'ptacheck list')", phase)
	}
	return in, nil
}

// fixtureUsers gives a signin run without --user the users its fixture
// names (signin_users); without either it is a usage error.
func fixtureUsers(in *phaseInputs, sc *fixtures.Scenario) error {
	if in.phase != checks.PhaseSignin || len(in.cfg.Users) > 0 {
		return nil
	}
	if sc == nil || len(sc.SigninUsers) == 0 {
		return errNoSigninUsers
	}
	in.cfg.Users = sc.SigninUsers
	return nil
}

var errNoSigninUsers = usagef("signin: name the users to diagnose with --user UPN or --users-file FILE")

// maxUsersFile caps --users-file; maxUsers the users of one run.
const (
	maxUsersFile = 16 << 20
	maxUsers     = 100000
)

// readUsers gathers the UPNs of a signin run from --user and --users-file.
func readUsers(ctx context.Context, o *options) ([]string, error) {
	var raw []string
	for _, v := range o.users {
		raw = append(raw, strings.Split(v, ",")...)
	}
	if o.usersFile != "" {
		data, err := input.ReadFile(ctx, o.usersFile, maxUsersFile)
		if err != nil {
			return nil, usagef("--users-file %v", err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				raw = append(raw, line)
			}
		}
	}
	seen := map[string]bool{}
	var out []string
	for _, u := range raw {
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		local, suffix, ok := strings.Cut(u, "@")
		if !ok || local == "" || !validDomain(strings.ToLower(suffix)) || strings.ContainsAny(u, " ,;\t") {
			return nil, usagef("user %q: want a UPN such as alice@contoso.com", u)
		}
		if k := strings.ToLower(u); !seen[k] {
			seen[k] = true
			out = append(out, u)
		}
	}
	switch {
	case len(out) == 0 && o.fixture == "":
		return nil, errNoSigninUsers
	case len(out) > maxUsers:
		return nil, usagef("signin: %d users; at most %d per run", len(out), maxUsers)
	}
	return out, nil
}

var versionRE = regexp.MustCompile(`^[0-9]{1,5}(\.[0-9]{1,5}){1,3}$`)

// agentVersion takes the version of the agent about to be installed from
// --agent-version or the installer's version resource.
func agentVersion(o *options) (string, error) {
	switch {
	case o.agentVersion != "" && o.installer != "":
		return "", usagef("--agent-version and --installer both give the agent version: pass one")
	case o.installer != "":
		v, err := hostfacts.FileVersion(o.installer)
		if err != nil {
			return "", usagef("--installer: %v", err)
		}
		return v, nil
	case o.agentVersion != "" && !versionRE.MatchString(o.agentVersion):
		return "", usagef("--agent-version %q: want a version such as 1.5.2482.0", o.agentVersion)
	}
	return o.agentVersion, nil
}

// catalogueConfig validates the flags that shape the endpoint catalogue.
func catalogueConfig(ctx context.Context, o *options) (checks.Config, error) {
	var cfg checks.Config
	cloud, err := checks.ParseCloud(o.cloud)
	if err != nil {
		return cfg, usageError{err.Error()}
	}
	cfg.Cloud = cloud
	if cfg.TenantID, err = checks.ParseTenantID(o.tenantID); err != nil {
		return cfg, usageError{err.Error()}
	}
	cfg.Legacy = o.legacy
	if o.endpointsFile != "" {
		data, err := input.ReadFile(ctx, o.endpointsFile, checks.MaxEndpointsFileSize)
		if err != nil {
			return cfg, usagef("--endpoints-file %v", err)
		}
		if cfg.ExtraEndpoints, err = checks.ParseEndpointsFile(data); err != nil {
			return cfg, usagef("--endpoints-file %s: %v", o.endpointsFile, err)
		}
	}
	return cfg, nil
}

func loadFixture(o *options) (*fixtures.Scenario, error) {
	if o.fixture == "" {
		return nil, nil
	}
	sc, err := fixtures.Load(o.fixture)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	if o.hostSnapshot != "" {
		return nil, usagef("--host-snapshot and --fixture cannot be combined: a fixture brings its own host facts")
	}
	return sc, nil
}

// hostSource picks where the host facts come from: a snapshot file, the
// fixture, or the live host.
func hostSource(ctx context.Context, sys *system, o *options, sc *fixtures.Scenario) (hostfacts.Source, error) {
	switch {
	case o.hostSnapshot != "":
		data, err := input.ReadFile(ctx, o.hostSnapshot, hostfacts.MaxSnapshotSize)
		if err != nil {
			return nil, usagef("--host-snapshot %v", err)
		}
		s, err := hostfacts.Parse(data)
		if err != nil {
			return nil, usagef("--host-snapshot %v", err)
		}
		return hostfacts.Static{S: s}, nil
	case sc != nil && sc.Host == nil:
		return hostfacts.None{}, nil
	case sc != nil:
		s, err := hostfacts.Parse(sc.Host)
		if err != nil {
			return nil, usagef("fixture %s: %s: %v", sc.Name, fixtures.HostFile, err)
		}
		return hostfacts.Static{S: s}, nil
	}
	return sys.Host, nil
}

// reportOutput is where --report-file goes: a file (replaced atomically, or
// a device or FIFO written through), stdout ("-") or nowhere.
type reportOutput struct {
	file   *outfile.File
	stdout bool
}

func openReportFile(ctx context.Context, o *options) (*reportOutput, error) {
	switch o.reportFile {
	case "":
		return &reportOutput{}, nil
	case "-":
		return &reportOutput{stdout: true}, nil
	}
	f, err := outfile.Create(ctx, o.reportFile)
	if err != nil {
		return nil, usagef("--report-file: %v", err)
	}
	return &reportOutput{file: f}, nil
}

func (r *reportOutput) abort() {
	if r.file != nil {
		r.file.Abort()
	}
}

// execute runs the plan with live progress on stderr and returns the report.
func execute(ctx context.Context, inv *invocation, env *checks.Env, in *phaseInputs, sc *fixtures.Scenario) *report.Report {
	start := time.Now()
	results := runPlan(ctx, inv, env, in, in.only)
	rep := &report.Report{
		Tool: "ptacheck", Version: version, Command: string(in.phase), Host: in.cfg.Machine,
		StartedAt: start, Duration: time.Since(start), Strict: inv.o.strict, Results: results,
	}
	if sc != nil {
		rep.Fixture = sc.Name
	}
	if code, stopped := checks.InterruptExit(ctx); stopped {
		rep.Interrupted, rep.InterruptExit = true, code
	}
	return rep
}

// runPlan runs the phase's checks selected by only (all when empty), with
// live progress on stderr.
func runPlan(ctx context.Context, inv *invocation, env *checks.Env, in *phaseInputs, only map[string]bool) []checks.Result {
	plan := checks.Plan(in.phase, in.cfg)
	progress := newProgress(inv.stderr, inv.o.verbose, checks.Select(plan, only))
	defer progress.finish()
	return checks.Run(ctx, env, plan, checks.RunOptions{
		Timeout: inv.o.timeout, Skip: in.skip, Only: only, Ignore: in.ignore,
		OnStart: progress.start, OnDone: progress.done,
	})
}

// writeReport renders the report once per format and writes it to stdout
// and the report file.
func writeReport(inv *invocation, in *phaseInputs, out *reportOutput, rep *report.Report) error {
	opts := report.Options{Verbose: inv.o.verbose}
	render := func(f report.Formatter, o report.Options) ([]byte, error) {
		data, err := report.Render(f, rep, o)
		if err != nil {
			return nil, fmt.Errorf("format report: %w", err)
		}
		return data, nil
	}
	if out.stdout {
		data, err := render(in.fileFormat, opts)
		if err != nil {
			return err
		}
		_, err = inv.stdout.Write(data)
		return err
	}
	if out.file != nil {
		data, err := render(in.fileFormat, opts)
		if err != nil {
			return err
		}
		if _, err := out.file.Write(data); err != nil {
			return usagef("--report-file: %v", err)
		}
		if err := out.file.Commit(0o644); err != nil {
			return usagef("--report-file: %v", err)
		}
	}
	opts.Color = inv.o.output == "text" && colorOK(inv.stdout, inv.o.noColor, inv.sys.Getenv)
	opts.Width = terminalWidth(inv.stdout)
	data, err := render(in.format, opts)
	if err != nil {
		return err
	}
	if _, err := inv.stdout.Write(data); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// colorOK: colour only on a terminal, never with --no-color, NO_COLOR or a
// dumb terminal.
func colorOK(w io.Writer, noColor bool, getenv func(string) string) bool {
	if noColor || getenv("NO_COLOR") != "" || getenv("TERM") == "dumb" {
		return false
	}
	return isTerminal(w) && enableVT(w)
}

func isTerminal(w io.Writer) bool {
	if l, ok := w.(*lockedWriter); ok {
		w = l.w
	}
	f, ok := w.(*os.File)
	// A terminal, not any character device: /dev/null is one too, and a
	// run with 2>/dev/null must not start a device-code sign-in.
	return ok && term.IsTerminal(int(f.Fd()))
}

// readUserPassword reads the password user.password tries for the one
// signin user: from --password-file or PTACHECK_USER_PASSWORD, never a flag.
// Only `signin` reads it (collect never tries a password). It is checked
// for exactly one user, and never over plain LDAP or to a DC whose
// certificate is not verified.
func readUserPassword(ctx context.Context, o *options, getenv func(string) string, in *phaseInputs) error {
	from, password := "PTACHECK_USER_PASSWORD", getenv("PTACHECK_USER_PASSWORD")
	if o.passwordFile != "" {
		data, err := input.ReadFile(ctx, o.passwordFile, maxSecretFile)
		if err != nil {
			return usagef("--password-file %v", err)
		}
		from, password = "--password-file", strings.TrimRight(string(data), "\r\n")
		if password == "" {
			return usagef("--password-file %s: the file is empty", o.passwordFile)
		}
	}
	if password == "" {
		return nil
	}
	redact.Secret(password)
	switch {
	case len(in.cfg.Users) != 1:
		return usagef("%s: a password is checked for exactly one --user, not %d (one password tried against several accounts is a password spray)", from, len(in.cfg.Users))
	case in.dir.options.Security == directory.Plain:
		return usagef("%s: a user's password is never sent over plain LDAP: use --ldap-security ldaps or starttls", from)
	case in.dir.options.InsecureSkipVerify:
		return usagef("%s: a user's password is sent only to a DC whose certificate is verified: drop --ldap-insecure-skip-verify (--ca-file adds a root)", from)
	}
	in.cfg.Password = checks.NewUserPassword(password)
	in.notes = append(in.notes, "user.password signs in once as "+in.cfg.Users[0]+": a wrong password counts toward the account's lockout threshold, and is not retried")
	return nil
}
