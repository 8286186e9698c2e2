package checks

import (
	"context"
	"net"
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
	if r.Status != StatusPass || !strings.Contains(r.Message, "all 1 endpoints reachable (direct)") {
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
	if r.Status != StatusWarn || !strings.Contains(r.Message, "pass --tenant-id") {
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
	if r.Status != StatusPass || r.Message != "1 endpoints presented certificates from Microsoft's public CAs" {
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
	rs := Run(context.Background(), env, plan, RunOptions{})
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
