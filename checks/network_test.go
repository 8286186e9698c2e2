package checks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ptacheck/ptacheck/checks/checkstest"
	"github.com/ptacheck/ptacheck/checks/hostfacts"
	"github.com/ptacheck/ptacheck/checks/netprobe"
	"github.com/ptacheck/ptacheck/fixtures"
)

// startNetwork returns an Env whose network client talks to a fixture
// network on loopback.
func startNetwork(t *testing.T, n *fixtures.Network) (*Env, *fixtures.Running) {
	t.Helper()
	c, r := checkstest.StartNetwork(t, n, checkstest.NetworkOptions{})
	return &Env{Net: c}, r
}

func target(host string, port int, protocol, level string) Target {
	return Target{Target: netprobe.Target{Host: host, Port: port, Protocol: protocol}, Level: level}
}

func tlsTarget(host string) Target { return target(host, 443, ProtoTLS, LevelRequired) }

func endpointSet(targets ...Target) EndpointSet {
	return EndpointSet{Cloud: CloudPublic, Targets: targets, TrustedIssuers: TrustedIssuers()}
}

func TestOutboundPortsLevels(t *testing.T) {
	env, _ := startNetwork(t, &fixtures.Network{Rules: []fixtures.Rule{
		{Host: "req-drop.test", Behaviour: fixtures.Drop},
		{Host: "opt-refuse.test", Behaviour: fixtures.Refuse},
	}})
	check := OutboundPortsCheck{ProbeTimeout: 300 * time.Millisecond}
	ok := tlsTarget("ok.test")
	reqDrop := tlsTarget("req-drop.test")
	optRefuse := target("opt-refuse.test", 8080, ProtoTCP, LevelOptional)

	check.Endpoints = endpointSet(ok)
	r := toResult(check.Meta(), check.Run(context.Background(), env), 0)
	if r.Status != StatusPass || !strings.Contains(r.Message, "all 1 endpoint reachable (direct)") {
		t.Fatalf("all ok: %s %q", r.Status, r.Message)
	}

	check.Endpoints = endpointSet(ok, optRefuse)
	r = toResult(check.Meta(), check.Run(context.Background(), env), 0)
	if r.Status != StatusWarn || !strings.Contains(r.Findings[0], "opt-refuse.test:8080 (optional): refused") {
		t.Fatalf("optional refused: %s %q", r.Status, r.Findings)
	}

	check.Endpoints = endpointSet(ok, reqDrop, optRefuse)
	r = toResult(check.Meta(), check.Run(context.Background(), env), 0)
	if r.Status != StatusFail || !strings.Contains(r.Message, "2 of 3 endpoints not reachable: req-drop.test:443 filtered, opt-refuse.test:8080 refused") {
		t.Fatalf("required dropped: %s %q", r.Status, r.Message)
	}
	if len(r.Findings) != 2 || !strings.HasPrefix(r.Findings[1], "warning: opt-refuse.test") {
		t.Errorf("findings = %q", r.Findings)
	}
	d := r.Details.(netDetails)
	if len(d.Endpoints) != 3 || d.Summary[netprobe.OutcomeFiltered] != 1 || d.Summary[netprobe.OutcomeRefused] != 1 || d.Summary[netprobe.OutcomeOK] != 1 || d.ProbeTimeout != "300ms" {
		t.Errorf("details = %+v", d)
	}
}

func TestOutboundPortsReportsUntestableAndWinHTTP(t *testing.T) {
	env, _ := startNetwork(t, &fixtures.Network{})
	check := OutboundPortsCheck{
		Endpoints:    Expand(CloudPublic, CatalogueEndpoints(CloudPublic), "", false),
		ProbeTimeout: time.Second,
		WinHTTPProxy: &hostfacts.WinHTTPProxy{Proxy: "proxy.contoso.test:8080"},
	}
	r := toResult(check.Meta(), check.Run(context.Background(), env), 0)
	// The required *.msappproxy.net was never probed without a tenant ID:
	// that is a warning naming what was not tested and how to test it.
	if r.Status != StatusWarn || !strings.Contains(strings.Join(r.Findings, "|"), "*.msappproxy.net:443 (required) was not tested: pass --tenant-id") {
		t.Fatalf("%s %q %q", r.Status, r.Message, r.Findings)
	}
	if !strings.Contains(strings.Join(r.Findings, "|"), "WinHTTP proxy proxy.contoso.test:8080 is configured but the probes went direct") {
		t.Errorf("findings = %q", r.Findings)
	}
	if d := r.Details.(netDetails); d.WinHTTPProxy == nil || len(d.Untestable) != 4 {
		t.Errorf("details = %+v", d)
	}
}

func TestTLSInspection(t *testing.T) {
	env, _ := startNetwork(t, &fixtures.Network{Rules: []fixtures.Rule{
		{Host: "inspected.test", Behaviour: fixtures.Intercept},
		{Host: "nx.test", Behaviour: fixtures.NXDomain},
	}})
	check := TLSInspectionCheck{ProbeTimeout: time.Second}

	check.Endpoints = endpointSet(tlsTarget("ok.test"), target("ok.test", 80, ProtoHTTP, LevelRequired))
	r := toResult(check.Meta(), check.Run(context.Background(), env), 0)
	if r.Status != StatusPass || r.Message != "1 endpoint presented certificates from Microsoft's public CAs" {
		t.Fatalf("clean: %s %q", r.Status, r.Message)
	}

	check.Endpoints = endpointSet(tlsTarget("ok.test"), tlsTarget("inspected.test"))
	r = toResult(check.Meta(), check.Run(context.Background(), env), 0)
	if r.Status != StatusFail || !strings.Contains(r.Message, `issuer "CN=Contoso Firewall TLS Inspection CA,O=Contoso Ltd"`) ||
		!strings.Contains(r.Findings[0], "inspected.test:443") {
		t.Fatalf("inspected: %s %q %q", r.Status, r.Message, r.Findings)
	}

	check.Endpoints = endpointSet(tlsTarget("nx.test"))
	r = toResult(check.Meta(), check.Run(context.Background(), env), 0)
	if r.Status != StatusSkip || !strings.Contains(r.Message, "no TLS endpoint completed a handshake") {
		t.Fatalf("nothing reachable: %s %q", r.Status, r.Message)
	}

	// A per-endpoint issuer list overrides the catalogue's.
	pinned := tlsTarget("ok.test")
	pinned.Issuers = []string{"Some Other CA Inc"}
	check.Endpoints = endpointSet(pinned)
	r = toResult(check.Meta(), check.Run(context.Background(), env), 0)
	if r.Status != StatusFail {
		t.Fatalf("pinned issuer: %s %q", r.Status, r.Message)
	}
}

// TestNetChecksShareProbes: both network checks run at once in a real run;
// each endpoint is still probed once.
func TestNetChecksShareProbes(t *testing.T) {
	var dials int
	c, _ := checkstest.StartNetwork(t, &fixtures.Network{}, checkstest.NetworkOptions{
		WrapDialer: func(inner netprobe.ContextDialer) netprobe.ContextDialer {
			return &countingWrapper{inner: inner, n: &dials}
		},
	})
	env := &Env{Net: c}
	set := endpointSet(tlsTarget("a.test"), tlsTarget("b.test"))
	plan := []Entry{
		{Check: OutboundPortsCheck{Endpoints: set, ProbeTimeout: time.Second}, Timeout: 5 * time.Second},
		{Check: TLSInspectionCheck{Endpoints: set, ProbeTimeout: time.Second}, Timeout: 5 * time.Second},
	}
	rs := RunPlan(context.Background(), env, plan, RunOptions{})
	if statuses(rs) != "net.outbound-ports=pass net.tls-inspection=pass" {
		t.Fatalf("%s", statuses(rs))
	}
	if dials != 2 {
		t.Fatalf("dialled %d times for 2 endpoints", dials)
	}
}

type countingWrapper struct {
	inner netprobe.ContextDialer
	n     *int
	mu    sync.Mutex
}

func (c *countingWrapper) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c.mu.Lock()
	*c.n++
	c.mu.Unlock()
	return c.inner.DialContext(ctx, network, addr)
}

func TestTLSInspectionCutOffIsNotAPass(t *testing.T) {
	env, _ := startNetwork(t, &fixtures.Network{Rules: []fixtures.Rule{{Host: "slow.test", Behaviour: fixtures.TLSSilent}}})
	check := TLSInspectionCheck{Endpoints: endpointSet(tlsTarget("ok.test"), tlsTarget("slow.test")), ProbeTimeout: time.Hour}
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(300*time.Millisecond, func() { cancel(Interrupted("SIGINT", 130)) })
	r := toResult(check.Meta(), check.Run(ctx, env), 0)
	if r.Status != StatusError || !strings.Contains(r.Message, "1 of 2 TLS endpoints were not inspected") {
		t.Fatalf("%s %q", r.Status, r.Message)
	}
}

// One unreachable proxy, one silent DNS server or one intercepting
// middlebox is one finding, not the same line per endpoint, and the fix
// names that cause.
func TestOutboundPortsGroupsFailuresByCause(t *testing.T) {
	set := endpointSet(tlsTarget("login.microsoftonline.com"), tlsTarget("login.windows.net"), target("crl3.digicert.com", 80, ProtoHTTP, LevelRequired))
	check := OutboundPortsCheck{Endpoints: set, ProbeTimeout: time.Second}

	t.Run("proxy refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		u, _ := netprobe.ParseProxyURL("http://" + addr)
		env := &Env{Net: netprobe.New(netprobe.Config{Servers: []string{"127.0.0.1:1"}, Proxy: netprobe.Fixed(u, "--proxy")})}
		r := toResult(check.Meta(), check.Run(context.Background(), env), 0)
		if r.Status != StatusFail || len(r.Findings) != 1 {
			t.Fatalf("%s %q", r.Status, r.Findings)
		}
		f := r.Findings[0]
		if !strings.Contains(f, "the proxy http://"+addr+" cannot be reached") || !strings.Contains(f, "3 endpoints (login.microsoftonline.com:443, login.windows.net:443, crl3.digicert.com:80)") {
			t.Errorf("finding = %q", f)
		}
		if !strings.HasPrefix(r.Remediation, "proxy-error: the proxy cannot be reached") || strings.Contains(r.Remediation, "firewall filtering by server name") {
			t.Errorf("remediation = %q", r.Remediation)
		}
	})

	t.Run("dns silent", func(t *testing.T) {
		env, _ := startNetwork(t, &fixtures.Network{Default: fixtures.DNSTimeout})
		r := toResult(check.Meta(), check.Run(context.Background(), env), 0)
		if r.Status != StatusFail || len(r.Findings) != 1 || !strings.Contains(r.Findings[0], "the DNS servers did not answer (required): dns-timeout: 3 endpoints") {
			t.Fatalf("%s %q", r.Status, r.Findings)
		}
		if !strings.HasPrefix(r.Remediation, "dns-timeout:") {
			t.Errorf("remediation = %q", r.Remediation)
		}
	})

	t.Run("untrusted middlebox", func(t *testing.T) {
		env, _ := startNetwork(t, &fixtures.Network{Default: fixtures.Untrusted})
		r := toResult(check.Meta(), check.Run(context.Background(), env), 0)
		// The two TLS endpoints share the middlebox; the port-80 one is fine.
		if r.Status != StatusFail || len(r.Findings) != 1 || !strings.Contains(r.Findings[0], `issued by "CN=Unknown Intermediate CA,O=Unknown Ltd"`) ||
			!strings.Contains(r.Findings[0], "2 endpoints") {
			t.Fatalf("%s %q", r.Status, r.Findings)
		}
		if !strings.HasPrefix(r.Remediation, "tls-untrusted:") {
			t.Errorf("remediation = %q", r.Remediation)
		}
	})

	t.Run("each endpoint its own firewall decision", func(t *testing.T) {
		env, _ := startNetwork(t, &fixtures.Network{Rules: []fixtures.Rule{
			{Host: "login.windows.net", Behaviour: fixtures.Refuse},
			{Host: "crl3.digicert.com", Behaviour: fixtures.Refuse},
			{Host: "login.microsoftonline.com", Behaviour: fixtures.NXDomain},
		}})
		r := toResult(check.Meta(), check.Run(context.Background(), env), 0)
		if r.Status != StatusFail || len(r.Findings) != 3 {
			t.Fatalf("%s %q", r.Status, r.Findings)
		}
		// Most important first: the login hosts before the CRL host;
		// one fix per outcome, in that order.
		if !strings.HasPrefix(r.Message, "3 of 3 endpoints not reachable: login.microsoftonline.com:443 dns-nxdomain, login.windows.net:443 refused, crl3.digicert.com:80 refused") {
			t.Errorf("message = %q", r.Message)
		}
		if !strings.HasPrefix(r.Remediation, "dns-nxdomain:") || !strings.Contains(r.Remediation, " refused: a firewall rejects") || strings.Count(r.Remediation, "refused:") != 1 {
			t.Errorf("remediation = %q", r.Remediation)
		}
	})
}

func TestOutboundPortsShortProbeTimeoutBlamesTheSetting(t *testing.T) {
	env, _ := startNetwork(t, &fixtures.Network{Default: fixtures.Drop})
	check := OutboundPortsCheck{Endpoints: endpointSet(tlsTarget("a.test")), ProbeTimeout: 20 * time.Millisecond}
	r := toResult(check.Meta(), check.Run(context.Background(), env), 0)
	if r.Status != StatusFail || !strings.Contains(strings.Join(r.Findings, "|"), "--probe-timeout 20ms is shorter than a normal round trip") ||
		!strings.HasPrefix(r.Remediation, "First re-run with a realistic --probe-timeout") {
		t.Fatalf("%s %q %q", r.Status, r.Findings, r.Remediation)
	}
}

// A probe cut off by the run is not a finding: with nothing definite the
// check is an error, never a failure or a pass; with a definite failure it
// fails and lists what it could not evaluate.
func TestOutboundPortsCutOff(t *testing.T) {
	env, _ := startNetwork(t, &fixtures.Network{Rules: []fixtures.Rule{
		{Host: "dropped.test", Behaviour: fixtures.Drop},
		{Host: "refused.test", Behaviour: fixtures.Refuse},
	}})
	run := func(set EndpointSet) Result {
		plan := []Entry{{Check: OutboundPortsCheck{Endpoints: set, ProbeTimeout: time.Hour}, Timeout: 300 * time.Millisecond}}
		return RunPlan(context.Background(), env, plan, RunOptions{})[0]
	}
	r := run(endpointSet(tlsTarget("dropped.test")))
	if r.Status != StatusError || !strings.Contains(strings.Join(r.Findings, "|"), "not evaluated: ") || strings.Contains(strings.Join(r.Findings, "|"), "within 1h") {
		t.Fatalf("cut off, nothing definite: %s %q", r.Status, r.Findings)
	}
	env2, _ := startNetwork(t, &fixtures.Network{Rules: []fixtures.Rule{
		{Host: "dropped.test", Behaviour: fixtures.Drop},
		{Host: "refused.test", Behaviour: fixtures.Refuse},
	}})
	plan := []Entry{{Check: OutboundPortsCheck{Endpoints: endpointSet(tlsTarget("refused.test"), tlsTarget("dropped.test")), ProbeTimeout: time.Hour}, Timeout: 300 * time.Millisecond}}
	r = RunPlan(context.Background(), env2, plan, RunOptions{})[0]
	got := strings.Join(r.Findings, "|")
	if r.Status != StatusFail || !strings.Contains(got, "refused.test:443 (required): refused") || !strings.Contains(got, "not evaluated: dropped.test:443") {
		t.Fatalf("cut off with a refusal: %s %q", r.Status, r.Findings)
	}
}

// The run deadline gives the same verdict every time: probes cut off by it
// are never attributed to the probe timeout (no "filtered" failure), and
// net.tls-inspection never passes on handshakes it did not finish.
func TestRunDeadlineVerdictIsStable(t *testing.T) {
	_, fx := checkstest.StartNetwork(t, &fixtures.Network{Rules: []fixtures.Rule{
		{Host: "dropped.test", Behaviour: fixtures.Drop},
		{Host: "tarpit.test", Behaviour: fixtures.TLSSilent},
	}}, checkstest.NetworkOptions{})
	set := endpointSet(tlsTarget("dropped.test"), tlsTarget("tarpit.test"))
	want := "net.outbound-ports=error net.tls-inspection=error"
	for i := range 50 {
		// A fresh client per run, as in a real run: no cached answers.
		env := &Env{Net: netprobe.New(netprobe.Config{Dialer: fx.Dialer, Servers: []string{fx.DNSServer}, RootCAs: fx.RootCAs})}
		plan := []Entry{
			{Check: OutboundPortsCheck{Endpoints: set, ProbeTimeout: 60 * time.Millisecond}, Timeout: time.Minute},
			{Check: TLSInspectionCheck{Endpoints: set, ProbeTimeout: 60 * time.Millisecond}, Timeout: time.Minute},
		}
		// The run deadline equals the probe timeout: the timers race.
		rs := RunPlan(context.Background(), env, plan, RunOptions{Timeout: 60 * time.Millisecond})
		if got := statuses(rs); got != want {
			t.Fatalf("run %d: %s, want %s; findings %q / %q", i, got, want, rs[0].Findings, rs[1].Findings)
		}
		if f := strings.Join(rs[0].Findings, "|"); strings.Contains(f, "filtered") || strings.Contains(f, "within 60ms") {
			t.Fatalf("run %d: a cut-off blamed on the probe timeout: %q", i, f)
		}
	}
}

// A proxy variable that cannot be used makes the probes go direct: that is
// a warning, the details say "direct", and its credentials appear nowhere.
func TestUnusableProxyVariableWarns(t *testing.T) {
	_, fx := checkstest.StartNetwork(t, &fixtures.Network{}, checkstest.NetworkOptions{})
	vars := map[string]string{"HTTPS_PROXY": "http://a:b%zz@127.0.0.20:3128"}
	proxy := netprobe.FromEnvironment(func(k string) string { return vars[k] })
	env := &Env{Net: netprobe.New(netprobe.Config{Dialer: fx.Dialer, Servers: []string{fx.DNSServer}, RootCAs: fx.RootCAs, Proxy: proxy})}
	check := OutboundPortsCheck{Endpoints: endpointSet(tlsTarget("ok.test")), ProbeTimeout: time.Second}
	r := toResult(check.Meta(), check.Run(context.Background(), env), 0)
	d := r.Details.(netDetails)
	text := r.Message + strings.Join(r.Findings, "|") + fmt.Sprintf("%+v", d)
	if r.Status != StatusWarn || d.Path != "direct" || !strings.Contains(text, "HTTPS_PROXY is set but cannot be used") {
		t.Fatalf("%s path %s %q", r.Status, d.Path, r.Findings)
	}
	if strings.Contains(text, "b%zz") || strings.Contains(text, "a:b") {
		t.Errorf("the proxy credentials leaked: %s", text)
	}
}

// The hosts file, as the agent meets it: an entry that sends a Microsoft
// endpoint to an address where nothing answers fails that endpoint, named
// with the entry and what DNS answers; one that pins an address which
// answers warns (it breaks when Microsoft moves the service); a site name
// only the hosts file knows is no finding, but its details say so.
func TestOutboundPortsHostsFile(t *testing.T) {
	env, fx := startNetwork(t, &fixtures.Network{
		Hosts: []string{
			"127.0.0.9 login.microsoftonline.com",
			"203.0.113.50 login.windows.net # pinned by hand",
			"10.20.30.40 app.contoso.test",
		},
		Rules: []fixtures.Rule{
			{Host: "203.0.113.50", Behaviour: fixtures.Answer},
			{Host: "10.20.30.40", Behaviour: fixtures.Answer},
			{Host: "app.contoso.test", Behaviour: fixtures.NXDomain},
		},
	})
	site := tlsTarget("app.contoso.test")
	site.Site = true
	check := OutboundPortsCheck{ProbeTimeout: time.Second, Endpoints: endpointSet(
		tlsTarget("login.microsoftonline.com"), tlsTarget("login.windows.net"), site, tlsTarget("ok.test"))}
	r := toResult(check.Meta(), check.Run(context.Background(), env), 0)
	hostsPath := fixtures.EmulatedHostsPath
	if r.Status != StatusFail || len(r.Findings) != 2 {
		t.Fatalf("%s %q", r.Status, r.Findings)
	}
	dnsLogin, _ := fx.LookupHost(context.Background(), "login.microsoftonline.com") // the emulated DNS answer, as the hosts file comes first
	if !strings.HasPrefix(r.Findings[0], "login.microsoftonline.com:443 (required): refused: login.microsoftonline.com -> 127.0.0.9 from the hosts file ("+hostsPath+"); DNS answers 127.") ||
		!strings.Contains(r.Findings[0], "connection refused") || len(dnsLogin) != 1 || dnsLogin[0] != "127.0.0.9" {
		t.Errorf("override that fails: %q (%v)", r.Findings[0], dnsLogin)
	}
	if !strings.HasPrefix(r.Findings[1], "warning: login.windows.net -> 203.0.113.50 from the hosts file ("+hostsPath+"); DNS answers 127.") ||
		!strings.Contains(r.Findings[1], "stops working when Microsoft moves the service") {
		t.Errorf("pinned address that answers: %q", r.Findings[1])
	}
	if !strings.HasPrefix(r.Remediation, "hosts-file: ") || !strings.Contains(r.Remediation, "refused: ") {
		t.Errorf("remediation = %q", r.Remediation)
	}
	d := r.Details.(netDetails)
	if d.Resolver != netprobe.ResolvedSystem {
		t.Errorf("resolver %q", d.Resolver)
	}
	for _, e := range d.Endpoints {
		wantSource := map[string]string{"login.microsoftonline.com": "hosts", "login.windows.net": "hosts", "app.contoso.test": "hosts", "ok.test": ""}[e.Host]
		if e.Resolved != netprobe.ResolvedSystem || e.Source != wantSource || (wantSource != "" && e.HostsFile != hostsPath) {
			t.Errorf("%s: resolved %q source %q file %q", e.Host, e.Resolved, e.Source, e.HostsFile)
		}
		if e.Host == "app.contoso.test" && (!e.OK() || !strings.Contains(e.DNSError, "NXDOMAIN") || e.Address != "10.20.30.40:443") {
			t.Errorf("a name only the hosts file knows: %+v", e.Result)
		}
	}

	// The same pinned address that answers, alone: a warning, not a pass.
	check.Endpoints = endpointSet(tlsTarget("login.windows.net"))
	r = toResult(check.Meta(), check.Run(context.Background(), env), 0)
	if r.Status != StatusWarn || !strings.HasPrefix(r.Remediation, "hosts-file: ") {
		t.Errorf("pinned alone: %s %q %q", r.Status, r.Findings, r.Remediation)
	}
}

// A proxy that answers HTTP 5xx to every endpoint is one root cause, like
// an unreachable proxy; the endpoints stay in the details and the parts.
func TestOutboundPortsProxyFailingEverything(t *testing.T) {
	set := endpointSet(tlsTarget("login.microsoftonline.com"), tlsTarget("login.windows.net"), target("crl3.digicert.com", 80, ProtoHTTP, LevelRequired))
	check := OutboundPortsCheck{Endpoints: set, ProbeTimeout: time.Second}
	for _, mode := range []string{fixtures.ProxyBadGateway, fixtures.ProxyError} {
		env, fx := startNetwork(t, &fixtures.Network{Proxy: &fixtures.ProxySpec{Mode: mode}})
		r := toResult(check.Meta(), check.Run(context.Background(), env), 0)
		proxy := netprobe.DisplayURL(mustURL(t, fx.ProxyURL))
		code := map[string]string{fixtures.ProxyBadGateway: "502", fixtures.ProxyError: "500"}[mode]
		if r.Status != StatusFail || len(r.Findings) != 1 ||
			!strings.HasPrefix(r.Findings[0], "the proxy "+proxy+" answered HTTP "+code+" to every endpoint through it: the proxy itself fails") ||
			!strings.Contains(r.Findings[0], "3 endpoints (login.microsoftonline.com:443, login.windows.net:443, crl3.digicert.com:80)") {
			t.Errorf("%s: %s %q", mode, r.Status, r.Findings)
		}
		if !strings.HasPrefix(r.Message, "3 of 3 endpoints not reachable: 3 endpoints proxy-") {
			t.Errorf("%s: message %q", mode, r.Message)
		}
		if len(r.Parts) != 3 || r.Parts[0].Status != StatusFail || r.Parts[2].Name != "crl3.digicert.com:80" {
			t.Errorf("%s: parts %+v", mode, r.Parts)
		}
		if d := r.Details.(netDetails); len(d.Endpoints) != 3 || d.Endpoints[0].ProxyStatus == 0 {
			t.Errorf("%s: details %+v", mode, d.Endpoints)
		}
	}
	// A tunnelling proxy that answers 502 for one endpoint only: that
	// endpoint's own failure, not the proxy's.
	env, _ := startNetwork(t, &fixtures.Network{Proxy: &fixtures.ProxySpec{Mode: fixtures.ProxyTunnel}, Rules: []fixtures.Rule{{Host: "login.windows.net", Behaviour: fixtures.NXDomain}}})
	r := toResult(check.Meta(), check.Run(context.Background(), env), 0)
	if r.Status != StatusFail || len(r.Findings) != 1 || !strings.HasPrefix(r.Findings[0], "login.windows.net:443 (required): proxy-bad-gateway") {
		t.Errorf("one endpoint behind the proxy: %s %q", r.Status, r.Findings)
	}
}

// After Ctrl-C or SIGTERM the headline counts cut-off probes as "not
// evaluated", never as "not reachable".
func TestOutboundPortsInterruptedHeadline(t *testing.T) {
	env, _ := startNetwork(t, &fixtures.Network{Rules: []fixtures.Rule{
		{Host: "dropped.test", Behaviour: fixtures.Drop},
		{Host: "dropped2.test", Behaviour: fixtures.Drop},
		{Host: "refused.test", Behaviour: fixtures.Refuse},
	}})
	run := func(set EndpointSet) Result {
		ctx, cancel := context.WithCancelCause(context.Background())
		time.AfterFunc(300*time.Millisecond, func() { cancel(errors.New("interrupted by SIGINT")) })
		defer cancel(nil)
		check := OutboundPortsCheck{Endpoints: set, ProbeTimeout: time.Minute}
		return toResult(check.Meta(), check.Run(ctx, env), 0)
	}
	r := run(endpointSet(tlsTarget("ok.test"), tlsTarget("dropped.test"), tlsTarget("dropped2.test")))
	if r.Status != StatusError || r.Message != "2 of 3 endpoints not evaluated (cut off before the probe finished); 1 reachable" {
		t.Errorf("nothing definite: %s %q", r.Status, r.Message)
	}
	r = run(endpointSet(tlsTarget("refused.test"), tlsTarget("dropped.test"), tlsTarget("dropped2.test")))
	if r.Status != StatusFail || r.Message != "1 of 3 endpoints not reachable: refused.test:443 refused; 2 not evaluated (cut off before the probe finished)" {
		t.Errorf("with a refusal: %s %q", r.Status, r.Message)
	}
}

// --dns-server is said in the headline: the names did not resolve as the
// agent resolves them.
func TestOutboundPortsSaysDNSServerMode(t *testing.T) {
	_, fx := checkstest.StartNetwork(t, &fixtures.Network{}, checkstest.NetworkOptions{})
	env := &Env{Net: netprobe.New(netprobe.Config{Dialer: fx.Dialer, Servers: []string{fx.DNSServer}, RootCAs: fx.RootCAs})}
	check := OutboundPortsCheck{Endpoints: endpointSet(tlsTarget("ok.test")), ProbeTimeout: time.Second}
	r := toResult(check.Meta(), check.Run(context.Background(), env), 0)
	if r.Status != StatusPass || !strings.HasSuffix(r.Message, "; names resolved only by --dns-server "+fx.DNSServer+", not as the agent resolves them") ||
		r.Details.(netDetails).Resolver != netprobe.ResolvedDNSServer || r.Details.(netDetails).Endpoints[0].Resolved != netprobe.ResolvedDNSServer {
		t.Errorf("%s %q", r.Status, r.Message)
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
