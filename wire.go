package main

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/checks/directory"
	"github.com/ptacheck/ptacheck/checks/hostfacts"
	"github.com/ptacheck/ptacheck/checks/netprobe"
	"github.com/ptacheck/ptacheck/fixtures"
	"github.com/ptacheck/ptacheck/internal/redact"
	"github.com/ptacheck/ptacheck/internal/textfmt"
)

// wire builds the run's Env: the host source, and the network client with
// its resolvers, dialer, trusted roots and proxy. In fixture mode it starts
// the emulated environment and points the same clients at it; this is the
// one place a fixture changes anything. The returned stop ends the fixture.
func wire(ctx context.Context, inv *invocation, sc *fixtures.Scenario, host hostfacts.Source, in *phaseInputs) (*checks.Env, func(), error) {
	o, cfg := inv.o, &in.cfg
	stop := func() {}
	var net netprobe.Config
	var fixtureProxy *netprobe.Proxy
	var now func() time.Time
	dir := in.dir
	facts := readHostFacts(ctx, host)
	if sc != nil {
		network := sc.Network
		if network == nil {
			// A fixture that describes no network gets a healthy one: a
			// run that says "emulated" never probes the real network.
			network = &fixtures.Network{}
		}
		running, err := fixtures.Start(ctx, network, sc.Name)
		if err != nil {
			return nil, nil, fmt.Errorf("fixture %s: start the emulated network: %w", sc.Name, err)
		}
		stop = running.Close
		// The emulated server's own resolver (its hosts file, then the
		// emulated DNS server), never this machine's.
		net.Servers = []string{running.DNSServer}
		net.System, net.HostsFile = running, running.HostsFile
		net.Dialer = running.Dialer
		net.RootCAs = running.RootCAs
		if running.ProxyURL != "" {
			u, err := netprobe.ParseProxyURL(running.ProxyURL)
			if err != nil {
				stop()
				return nil, nil, err
			}
			fixtureProxy = netprobe.Fixed(u, "fixture")
		}
		if cfg.TenantID == "" {
			cfg.TenantID = running.TenantID
		}
		if sc.Cloud != "" && !o.cloudSet {
			if cfg.Cloud, err = checks.ParseCloud(sc.Cloud); err != nil {
				stop()
				return nil, nil, err
			}
		}
		if d := sc.Directory; d != nil {
			dc, err := running.ServeDirectory(ctx, d)
			if err != nil {
				stop()
				return nil, nil, fmt.Errorf("fixture %s: start the emulated directory: %w", sc.Name, err)
			}
			if dir.cfg.Domain == "" && len(dir.cfg.DCs) == 0 {
				dir.cfg.Domain = strings.ToLower(d.Domain)
			}
			if dir.options.RootCAs == nil {
				dir.options.RootCAs = running.RootCAs
			}
			if d.Now != "" {
				// A fixture with a fixed clock: the run's clock starts
				// there, and the emulated DC's currentTime follows it.
				start, _ := time.Parse(time.RFC3339, d.Now)
				began := time.Now()
				now = func() time.Time { return start.Add(time.Since(began)) }
				dc.Now = now
			}
		}
	}
	if facts != nil && facts.Domain != "" && dir.cfg.Domain == "" && len(dir.cfg.DCs) == 0 {
		// A domain-joined server: its own domain.
		dir.cfg.Domain = strings.ToLower(facts.Domain)
	}
	if sc != nil && len(dir.cfg.UPNSuffixes) == 0 {
		dir.cfg.UPNSuffixes = sc.UPNSuffixes
	}
	dir.defaultBind(sc != nil)
	cfg.AD = dir.cfg
	cfg.Machine = inv.o.machineName
	if cfg.Machine == "" {
		cfg.Machine = machineName(facts, cfg.AD.Domain)
	}
	graphOpts, stopTenant, err := wireTenant(ctx, inv, in, sc, facts, dir.caRoots)
	if err != nil {
		stop()
		return nil, nil, err
	}
	stopNet := stop
	stop = func() { stopTenant(); stopNet() }
	if len(cfg.AD.UPNSuffixes) == 0 && cfg.Tenant.NoTokenReason == "" {
		cfg.AD.TenantDomains = true
	}
	fail := func(err error) (*checks.Env, func(), error) {
		stop()
		return nil, nil, err
	}
	if len(in.dnsServers) > 0 {
		// --dns-server: names resolve through these servers only.
		net.Servers, net.System, net.HostsFile = in.dnsServers, nil, nil
	}
	if facts != nil {
		cfg.WinHTTPProxy = facts.WinHTTPProxy
	}
	proxy, err := chooseProxy(o.proxy, sc != nil, fixtureProxy, facts, inv.sys.Getenv)
	if err != nil {
		return fail(err)
	}
	net.Proxy = proxy
	var logon func(context.Context, string, string) (bool, directory.Reason, error)
	if runtime.GOOS == "windows" && sc == nil && o.hostSnapshot == "" {
		// On this server, as the agent: LogonUser (user.password).
		logon = directory.LogonNetwork
	}
	env := checks.DefaultEnv(checks.EnvOptions{Host: host, Net: net, LDAP: dir.options, Graph: graphOpts, Now: now, Logf: verboseLog(inv), Logon: logon})
	return env, stop, nil
}

// readHostFacts reads the host facts once, under a deadline, for the parts
// of the wiring that depend on them (the WinHTTP proxy); nil when there are
// none. The checks read the same cached facts.
func readHostFacts(ctx context.Context, host hostfacts.Source) *hostfacts.Snapshot {
	ctx, cancel := context.WithTimeout(ctx, checks.HostReadTimeout)
	defer cancel()
	s, err := host.Snapshot(ctx)
	if err != nil {
		return nil
	}
	return s
}

// chooseProxy applies --proxy: a URL, "winhttp", "none", or by default the
// fixture's proxy in fixture mode and the proxy environment variables
// otherwise (the machine's variables never apply to an emulated network).
func chooseProxy(flag string, fixtureMode bool, fixtureProxy *netprobe.Proxy, facts *hostfacts.Snapshot, getenv func(string) string) (*netprobe.Proxy, error) {
	switch flag {
	case "":
		if fixtureMode {
			return fixtureProxy, nil
		}
		// What the agent itself uses comes first: its .NET <defaultProxy>
		// (agent config, then machine.config), not WinHTTP.
		if p := agentProxy(facts); p != nil {
			return p, nil
		}
		return netprobe.FromEnvironment(getenv), nil
	case "none":
		return nil, nil
	case "winhttp":
		if facts == nil {
			return nil, usagef("--proxy winhttp: the WinHTTP setting comes from the host facts, which are unavailable here (run on the agent server, or pass --host-snapshot)")
		}
		w := facts.WinHTTPProxy
		if w == nil || w.Direct {
			return nil, nil
		}
		p, err := netprobe.FromWinHTTP(w.Proxy, w.Bypass, "winhttp")
		if err != nil {
			return nil, usageError{err.Error()}
		}
		return p, nil
	}
	u, err := netprobe.ParseProxyURL(flag)
	if err != nil {
		return nil, usagef("--proxy: %v", err)
	}
	return netprobe.Fixed(u, "--proxy"), nil
}

// verboseLog is Env.Logf: with -v, one line per event on stderr.
func verboseLog(inv *invocation) func(string, ...any) {
	if !inv.o.verbose {
		return nil
	}
	var mu sync.Mutex
	return func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		line := textfmt.OneLine(textfmt.Sanitize(redact.String(fmt.Sprintf(format, args...))))
		fmt.Fprintf(inv.stderr, "ptacheck: %s\n", line)
	}
}

// agentProxy turns the agent's own .NET proxy setting (from the host facts)
// into the run's proxy: the probes then take the agent's path, and the
// report names the file the setting came from. nil when the agent has none.
func agentProxy(facts *hostfacts.Snapshot) *netprobe.Proxy {
	if facts == nil || facts.AgentProxy == nil {
		return nil
	}
	ap := facts.AgentProxy
	p := &netprobe.Proxy{Source: ap.Describe()}
	if !ap.Enabled {
		p.Display = `none (<defaultProxy enabled="false">)`
		return p // direct, and the report says why
	}
	if ap.ProxyAddress == "" {
		return nil // usesystemdefault, autoDetect or a PAC script: not followed
	}
	u, err := netprobe.ParseProxyURL(ap.ProxyAddress)
	if err != nil {
		p.Problems = append(p.Problems, "the agent's proxy setting cannot be used: "+err.Error()+"; the probes went direct")
		return p
	}
	p.Func, p.Display = ap.ProxyFor, netprobe.DisplayURL(u)
	if ap.CredentialsDropped {
		p.Problems = append(p.Problems, "the agent's proxy address in "+ap.File+" carries credentials, which the agent cannot use: proxy authentication is not supported")
	}
	p.Problems = append(p.Problems, ap.BypassProblems()...)
	return p
}
