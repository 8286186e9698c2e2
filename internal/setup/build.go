package setup

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/checks/directory"
	"github.com/ptacheck/ptacheck/checks/graph"
	"github.com/ptacheck/ptacheck/checks/hostfacts"
	"github.com/ptacheck/ptacheck/checks/netprobe"
	"github.com/ptacheck/ptacheck/fixtures"
	"github.com/ptacheck/ptacheck/internal/cli"
	"github.com/ptacheck/ptacheck/util/redact"
)

// Build builds a run from its inputs: the checks' parameters and the
// clients they reach the world through (the host reader, the network
// client with its resolvers, dialer, roots and proxy, the LDAP options, the
// Graph client and its token). In fixture mode it starts the emulated
// environment and points the same clients at it; this is the one place a
// fixture changes anything, and the one place clients are built. stop ends
// the fixture. Build never changes its inputs: a retry or a collect's next phase
// calls it again with the same inputs.
func Build(ctx context.Context, inputs Inputs) (checks.Config, *checks.Env, func(), error) {
	b := &builder{in: inputs, cfg: inputs.config, dir: inputs.directory, stop: func() {}}
	if inputs.roots != nil {
		b.dir.options.RootCAs = inputs.roots
	}
	b.facts = readHostFacts(ctx, inputs.src.host)
	if err := b.fixture(ctx); err != nil {
		b.stop()
		return checks.Config{}, nil, nil, err
	}
	env, err := b.env(ctx)
	if err != nil {
		b.stop()
		return checks.Config{}, nil, nil, err
	}
	return b.cfg, env, b.stop, nil
}

// builder holds what Build derives, step by step, from the inputs.
type builder struct {
	in    Inputs
	cfg   checks.Config
	dir   Directory // the inputs' directory, with the defaults filled in
	facts *hostfacts.Snapshot
	net   netprobe.Config
	// fixtureProxy is the emulated network's proxy, if it has one.
	fixtureProxy *netprobe.Proxy
	now          func() time.Time
	stop         func()
}

// readHostFacts reads the host facts once, under a deadline, for the parts
// of the build that depend on them (the WinHTTP proxy, the domain); nil
// when there are none. The checks read the same cached facts.
func readHostFacts(ctx context.Context, host hostfacts.Source) *hostfacts.Snapshot {
	ctx, cancel := context.WithTimeout(ctx, checks.HostReadTimeout)
	defer cancel()
	s, err := host.Snapshot(ctx)
	if err != nil {
		return nil
	}
	return s
}

// fixture starts the emulated network and directory of a fixture run.
func (b *builder) fixture(ctx context.Context) error {
	sc := b.in.src.scenario
	if sc == nil {
		return nil
	}
	network := sc.Network
	if network == nil {
		// A fixture that describes no network gets a healthy one: a run
		// that says "emulated" never probes the real network.
		network = &fixtures.Network{}
	}
	running, err := fixtures.Start(ctx, network, sc.Name)
	if err != nil {
		return fmt.Errorf("fixture %s: start the emulated network: %w", sc.Name, err)
	}
	b.stop = running.Close
	// The emulated server's own resolver (its hosts file, then the
	// emulated DNS server), never this machine's.
	b.net.Servers = []string{running.DNSServer}
	b.net.System, b.net.HostsFile = running, running.HostsFile
	b.net.Dialer = running.Dialer
	b.net.RootCAs = running.RootCAs
	if running.ProxyURL != "" {
		u, err := netprobe.ParseProxyURL(running.ProxyURL)
		if err != nil {
			return err
		}
		b.fixtureProxy = netprobe.Fixed(u, "fixture")
	}
	if b.cfg.TenantID == "" {
		b.cfg.TenantID, b.cfg.TenantIDFrom = running.TenantID, "the fixture's tenant"
	}
	if sc.Cloud != "" && !b.in.cloudGiven {
		if b.cfg.Cloud, err = checks.ParseCloud(sc.Cloud); err != nil {
			return err
		}
	}
	d := sc.Directory
	if d == nil {
		return nil
	}
	dc, err := running.ServeDirectory(ctx, d)
	if err != nil {
		return fmt.Errorf("fixture %s: start the emulated directory: %w", sc.Name, err)
	}
	if b.dir.cfg.Domain == "" && len(b.dir.cfg.DCs) == 0 {
		b.dir.cfg.Domain = strings.ToLower(d.Domain)
	}
	if b.dir.options.RootCAs == nil {
		b.dir.options.RootCAs = running.RootCAs
	}
	if d.Now != "" {
		// A fixture with a fixed clock: the run's clock starts there,
		// and the emulated DC's currentTime follows it.
		start, _ := time.Parse(time.RFC3339, d.Now)
		began := time.Now()
		b.now = func() time.Time { return start.Add(time.Since(began)) }
		dc.Now = b.now
	}
	return nil
}

// thisHost says the run's host facts are this machine's own: the live
// host on Windows. A snapshot, a fixture or a live run on another OS
// describes some other server (or none).
func (b *builder) thisHost() bool {
	return runtime.GOOS == "windows" && b.in.src.scenario == nil && b.in.src.live
}

// env fills in the defaults that depend on the host or the fixture and
// builds the clients.
func (b *builder) env(ctx context.Context) (*checks.Env, error) {
	sc, facts := b.in.src.scenario, b.facts
	if facts != nil && facts.Domain != "" && b.dir.cfg.Domain == "" && len(b.dir.cfg.DCs) == 0 {
		// A domain-joined server: its own domain.
		b.dir.cfg.Domain = strings.ToLower(facts.Domain)
	}
	if sc != nil && len(b.dir.cfg.UPNSuffixes) == 0 {
		b.dir.cfg.UPNSuffixes = sc.UPNSuffixes
	}
	b.dir.defaultBind(sc != nil)
	b.cfg.AD = b.dir.cfg
	b.cfg.Machine, b.cfg.Tenant.MachineUnknown = b.in.machine, ""
	if b.cfg.Machine == "" {
		b.cfg.Machine, b.cfg.Tenant.MachineUnknown = machineName(facts, b.cfg.AD.Domain, b.thisHost(), os.Hostname)
	}
	tenant, err := b.tenant(ctx)
	if err != nil {
		return nil, err
	}
	if len(b.cfg.AD.UPNSuffixes) == 0 && b.cfg.Tenant.NoTokenReason == "" {
		b.cfg.AD.TenantDomains = true
	}
	if len(b.in.dnsServers) > 0 {
		// --dns-server: names resolve through these servers only.
		b.net.Servers, b.net.System, b.net.HostsFile = b.in.dnsServers, nil, nil
	}
	if facts != nil {
		b.cfg.WinHTTPProxy = facts.WinHTTPProxy
	}
	if b.net.Proxy, err = b.in.proxy.proxy(sc != nil, b.fixtureProxy, facts, b.in.world.Getenv); err != nil {
		return nil, err
	}
	now := b.now
	if now == nil {
		now = time.Now
	}
	logf := b.verboseLog()
	b.net.Now, b.net.Logf = now, logf
	net := netprobe.New(b.net)
	ad := directory.NewGatherer(net, b.dirOptions(net))
	if b.thisHost() {
		// On this server, as the agent: LogonUser (user.password).
		ad.Logon = directory.LogonNetwork
	}
	env := &checks.Env{Host: b.in.src.host, Net: net, AD: ad, Now: now, Logf: logf}
	if tenant != nil {
		tenant.Graph.Logf = logf
		env.Tenant = tenant
	}
	return env, nil
}

// tenant builds the Graph side of the run: in fixture mode the emulated
// tenant; otherwise a token from a file or the environment, or a
// device-code sign-in when a person can answer it. Without any, the tenant
// checks skip and say how to give one (nil client).
func (b *builder) tenant(ctx context.Context) (*graph.Tenant, error) {
	t, sc := b.in.tenant, b.in.src.scenario
	cfg := &b.cfg.Tenant
	cfg.AdminUPN, cfg.RequireGlobalAdmin = b.in.admin.UPN, b.in.admin.RequireGlobalAdmin
	cfg.MachineName = b.cfg.Machine
	phases := b.in.scopePhases
	if len(phases) == 0 {
		phases = []checks.Phase{b.in.Phase}
	}
	client := &graph.Tenant{AdminPassword: b.in.admin.password}
	switch {
	case sc != nil && sc.Tenant == nil:
		cfg.NoTokenReason = "the fixture emulates no tenant (no " + fixtures.TenantFile + ")"
		return nil, nil
	case sc != nil:
		rt, err := fixtures.StartTenant(ctx, sc.Tenant, nil)
		if err != nil {
			return nil, err
		}
		stopNet := b.stop
		b.stop = func() { rt.Close(); stopNet() }
		token, _ := graph.StaticToken(rt.Token)
		client.Graph = &graph.Client{BaseURL: rt.GraphURL, HTTP: rt.HTTPClient(), Token: token}
		client.SignIn = graph.SignIn{LoginURL: rt.LoginURL, Tenant: rt.TenantID, ClientID: t.clientID, HTTP: rt.HTTPClient()}
		client.Scopes, _ = scopes(rt.GraphURL, phases, b.in.Selection)
		return client, nil
	}
	http := graphHTTP(b.in.roots)
	tenant := b.cfg.TenantID
	if tenant == "" {
		tenant = "organizations"
	}
	client.Graph = &graph.Client{BaseURL: t.cloud.GraphURL, HTTP: http}
	client.SignIn = graph.SignIn{LoginURL: t.cloud.LoginURL, Tenant: tenant, ClientID: t.clientID, HTTP: http}
	var signIn bool
	client.Scopes, signIn = scopes(t.cloud.GraphURL, phases, b.in.Selection)
	token, err := b.token(client, signIn)
	if token == nil || err != nil {
		return nil, err
	}
	client.Graph.Token = token
	return client, nil
}

// token is the run's Graph token: the one given, or one device-code
// sign-in per process when a person can answer it and a selected check
// needs Graph to decide (signIn).
func (b *builder) token(client *graph.Tenant, signIn bool) (graph.TokenFunc, error) {
	t := b.in.tenant
	switch {
	case t.token != nil:
		return t.token, nil
	case len(client.Scopes) == 0:
		return nil, nil // no selected check reads the tenant: no sign-in
	case !signIn:
		// The selected checks only use Graph when a token is there
		// (the users' cloud accounts, the tenant's domains): no prompt.
		b.cfg.Tenant.NoTokenReason = "no Microsoft Graph token (no sign-in: no selected check needs one): pass --token-file or set PTACHECK_GRAPH_TOKEN to use it"
		return nil, nil
	case t.signIn == nil:
		// The command takes no tenant flags.
	case t.deviceCode || cli.IsTerminal(b.in.world.Stderr):
		t.signIn.mu.Lock()
		defer t.signIn.mu.Unlock()
		if t.signIn.token != nil {
			return t.signIn.token, nil
		}
		src, err := graph.NewDeviceCodeSource(client.SignIn, client.Scopes, cli.Redacting{W: b.in.world.Stderr})
		if err != nil {
			return nil, cli.Usagef("device-code sign-in: %v", err)
		}
		t.signIn.token = func(ctx context.Context) (string, error) {
			tok, err := src.Token(ctx)
			redact.Secret(tok)
			return tok, err
		}
		return t.signIn.token, nil
	}
	b.cfg.Tenant.NoTokenReason = "no Microsoft Graph token: pass --token-file or set PTACHECK_GRAPH_TOKEN (pipelines), or run on a terminal (or with --device-code) to sign in with a device code"
	return nil, nil
}

// dirOptions are the LDAP options of the run: the LDAP dialer is the
// network client's.
func (b *builder) dirOptions(net *netprobe.Client) directory.Options {
	o := b.dir.options
	o.Dialer = net.Dialer()
	return o
}

// verboseLog is Env.Logf: with -v, one line per event on stderr.
func (b *builder) verboseLog() func(string, ...any) {
	if !b.in.Verbose {
		return nil
	}
	w := b.in.world.Stderr
	return func(format string, args ...any) { cli.Printf(w, format, args...) }
}
