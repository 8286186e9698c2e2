package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/ptacheck/ptacheck/checks/hostfacts"
	"github.com/ptacheck/ptacheck/checks/netprobe"
	"github.com/ptacheck/ptacheck/internal/redact"
	"github.com/ptacheck/ptacheck/internal/textfmt"
)

const (
	docPrereqNetwork = "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-pta-quick-start#step-1-check-the-prerequisites"
	docProxy         = "https://learn.microsoft.com/entra/identity/app-proxy/application-proxy-configure-connectors-with-proxy-servers"
)

// OutboundPortsCheck probes every catalogue endpoint: DNS, TCP connect and,
// for TLS endpoints, a verified TLS handshake, all concurrently.
type OutboundPortsCheck struct {
	Endpoints    EndpointSet
	ProbeTimeout time.Duration
	// WinHTTPProxy is the host's WinHTTP proxy, when the host facts carry
	// it: a proxy configured there while the probes went direct warns.
	WinHTTPProxy *hostfacts.WinHTTPProxy
}

func (OutboundPortsCheck) Meta() Meta {
	return Meta{
		ID:          "net.outbound-ports",
		Title:       "Outbound endpoints reachable",
		Description: "DNS, TCP and TLS to every required (443, 80) and optional (8080, SSO) endpoint of the selected cloud; legacy ports with --legacy",
		Remediation: "Allow outbound traffic from this server (the agent runs as Network Service) to the endpoints named above: " +
			"443 to *.msappproxy.net, *.servicebus.windows.net and the login hosts, 80 to the CRL/OCSP hosts. " +
			"Read each endpoint's outcome: refused = a firewall rejects it, filtered = a firewall drops it, dns-* = name resolution, tls-* = TLS (see README).",
		DocURL: docPrereqNetwork,
	}
}

// EndpointResult is one probe's evidence: the catalogue entry and what the
// probe found.
type EndpointResult struct {
	Target
	netprobe.Result
}

// netDetails is the evidence of the network checks.
type netDetails struct {
	Cloud        Cloud                   `json:"cloud"`
	Path         string                  `json:"path"`
	ProxySource  string                  `json:"proxy_source,omitempty"`
	Proxy        string                  `json:"proxy,omitempty"`
	DNSServers   []string                `json:"dns_servers"`
	ProbeTimeout string                  `json:"probe_timeout"`
	Summary      map[string]int          `json:"summary"`
	Endpoints    []EndpointResult        `json:"endpoints"`
	Untestable   []Untestable            `json:"untestable"`
	WinHTTPProxy *hostfacts.WinHTTPProxy `json:"winhttp_proxy,omitempty"`
}

// probe runs the probes of targets through the run's network client.
func probe(ctx context.Context, env *Env, targets []Target, timeout time.Duration) []EndpointResult {
	nts := make([]netprobe.Target, len(targets))
	for i, t := range targets {
		nts[i] = t.Target
	}
	results := env.Net.ProbeAll(ctx, nts, timeout)
	out := make([]EndpointResult, len(targets))
	for i := range targets {
		out[i] = EndpointResult{Target: targets[i], Result: results[i]}
	}
	return out
}

func (c OutboundPortsCheck) details(env *Env, results []EndpointResult) netDetails {
	set := c.Endpoints
	d := netDetails{
		Cloud: set.Cloud, Path: "direct", DNSServers: env.Net.Servers(),
		ProbeTimeout: c.ProbeTimeout.String(), Endpoints: results, Untestable: set.Untestable,
		Summary: map[string]int{}, WinHTTPProxy: c.WinHTTPProxy,
	}
	if d.Untestable == nil {
		d.Untestable = []Untestable{}
	}
	if p := env.Net.Proxy(); p != nil {
		d.ProxySource, d.Proxy = p.Source, p.Display
		if p.Func != nil {
			d.Path = "proxy"
		}
	}
	for _, r := range results {
		d.Summary[r.Outcome]++
	}
	return d
}

func (c OutboundPortsCheck) Run(ctx context.Context, env *Env) Outcome {
	set := c.Endpoints
	if len(set.Targets) == 0 {
		return Outcome{Err: fmt.Errorf("no endpoint to probe for cloud %s", set.Cloud)}
	}
	start := time.Now()
	results := probe(ctx, env, set.Targets, c.ProbeTimeout)
	took := time.Since(start)
	details := c.details(env, results)

	var fail, warn *multierror.Error
	var ok int
	for _, r := range results {
		if r.OK() {
			ok++
			continue
		}
		finding := fmt.Errorf("%s (%s): %s: %s", r.Addr(), r.Level, r.Outcome, r.Error)
		if r.Level == LevelRequired {
			fail = multierror.Append(fail, finding)
		} else {
			warn = multierror.Append(warn, finding)
		}
	}
	if p := env.Net.Proxy(); p != nil {
		for _, problem := range p.Problems {
			warn = multierror.Append(warn, errors.New(problem))
		}
	}
	if w := c.WinHTTPProxy; w != nil && !w.Direct && details.Path == "direct" {
		warn = multierror.Append(warn, fmt.Errorf("the WinHTTP proxy %s is configured but the probes went direct; re-run with --proxy winhttp to test through it", redact.URL(w.Proxy)))
	}
	out := Outcome{Fail: fail.ErrorOrNil(), Warn: warn.ErrorOrNil(), Details: details}
	if ok == len(results) {
		out.Summary = fmt.Sprintf("all %d endpoints reachable (%s) in %s", ok, pathWord(details.Path), took.Round(time.Millisecond))
	} else {
		out.Summary = fmt.Sprintf("%d of %d endpoints not reachable: %s", len(results)-ok, len(results), firstFailures(results, 3))
	}
	if n := len(set.Untestable); n > 0 {
		out.Summary += fmt.Sprintf("; %s not directly testable", textfmt.Plural(n, "wildcard entry", "wildcard entries"))
		if set.needsTenant() {
			out.Summary += " (pass --tenant-id to test the tenant's registration host)"
		}
	}
	if hasOutcome(results, netprobe.OutcomeProxyAuthRequired) {
		out.Remediation = "The proxy requires authentication, which the agent cannot do: allow the agent's endpoints through the proxy without authentication " +
			"(or bypass the proxy for them)."
	}
	return out
}

func pathWord(path string) string {
	if path == "direct" {
		return "direct"
	}
	return "through the proxy"
}

func (s EndpointSet) needsTenant() bool {
	for _, u := range s.Untestable {
		if strings.HasPrefix(u.Reason, "needs --tenant-id") {
			return true
		}
	}
	return false
}

func hasOutcome(results []EndpointResult, outcome string) bool {
	return countOutcome(results, outcome) > 0
}

func countOutcome(results []EndpointResult, outcome string) int {
	n := 0
	for _, r := range results {
		if r.Outcome == outcome {
			n++
		}
	}
	return n
}

// firstFailures names up to n failed endpoints, required first.
func firstFailures(results []EndpointResult, n int) string {
	var names []string
	for _, level := range []string{LevelRequired, LevelOptional, LevelLegacy} {
		for _, r := range results {
			if !r.OK() && r.Level == level {
				names = append(names, r.Addr()+" "+r.Outcome)
			}
		}
	}
	if len(names) > n {
		return strings.Join(names[:n], ", ") + fmt.Sprintf(", and %d more", len(names)-n)
	}
	return strings.Join(names, ", ")
}

// TLSInspectionCheck fails when a Microsoft endpoint presents a certificate
// chain that does not come from the public CAs Microsoft uses: a TLS
// inspecting proxy, which the agent does not support.
type TLSInspectionCheck struct {
	Endpoints    EndpointSet
	ProbeTimeout time.Duration
}

func (TLSInspectionCheck) Meta() Meta {
	return Meta{
		ID:          "net.tls-inspection",
		Title:       "No TLS inspection",
		Description: "certificates presented for Microsoft endpoints come from Microsoft's public CAs (no TLS-inspecting proxy)",
		Remediation: "Exempt the agent's endpoints (*.msappproxy.net, *.servicebus.windows.net, login hosts) from TLS inspection / break-and-inspect " +
			"on the proxy or firewall: \"Avoid all forms of inline inspection and Termination on outbound TLS communications\".",
		DocURL: docPrereqNetwork,
	}
}

// tlsInspectionDetail is one endpoint's evidence.
type tlsInspectionDetail struct {
	Endpoint   string `json:"endpoint"`
	Issuer     string `json:"issuer"`
	IssuerOrg  string `json:"issuer_org"`
	RootIssuer string `json:"root_issuer"`
	Trusted    bool   `json:"expected_issuer"`
	Verified   bool   `json:"chain_verified"`
}

func (c TLSInspectionCheck) Run(ctx context.Context, env *Env) Outcome {
	var targets []Target
	for _, t := range c.Endpoints.Targets {
		if t.Protocol == ProtoTLS {
			targets = append(targets, t)
		}
	}
	if len(targets) == 0 {
		return Skipped("no TLS endpoint to inspect")
	}
	results := probe(ctx, env, targets, c.ProbeTimeout)
	var fail *multierror.Error
	var seen []tlsInspectionDetail
	for _, r := range results {
		if r.TLS == nil {
			continue
		}
		allowed := r.Issuers
		if len(allowed) == 0 {
			allowed = c.Endpoints.TrustedIssuers
		}
		d := tlsInspectionDetail{
			Endpoint: r.Addr(), Issuer: r.TLS.Issuer, IssuerOrg: r.TLS.IssuerOrg, RootIssuer: r.TLS.RootIssuer,
			Verified: r.TLS.Verified,
			Trusted:  orgAllowed(r.TLS.IssuerOrg, allowed) && orgAllowed(r.TLS.RootOrg, allowed),
		}
		seen = append(seen, d)
		if !d.Trusted {
			fail = multierror.Append(fail, fmt.Errorf("%s presented a certificate issued by %q (root %q), not by one of Microsoft's public CAs (%s)",
				r.Addr(), r.TLS.Issuer, r.TLS.RootIssuer, strings.Join(allowed, ", ")))
		}
	}
	details := map[string]any{"expected_issuer_organizations": c.Endpoints.TrustedIssuers, "endpoints": seen}
	if fail == nil {
		// A clean verdict needs every handshake: one cut off by Ctrl-C or
		// a deadline might have shown the interception.
		if n := countOutcome(results, netprobe.OutcomeCancelled); n > 0 {
			return Outcome{Err: fmt.Errorf("%d of %d TLS endpoints were not inspected: %s", n, len(results), stopReason(ctx)), Details: details}
		}
	}
	if len(seen) == 0 {
		out := Skipped("no TLS endpoint completed a handshake to inspect (see net.outbound-ports)")
		out.Details = details
		return out
	}
	if fail != nil {
		return Outcome{
			Fail:    fail.ErrorOrNil(),
			Summary: fmt.Sprintf("TLS inspection detected: %d of %d endpoints presented a certificate from issuer %q", len(fail.Errors), len(seen), firstUntrustedIssuer(seen)),
			Details: details,
		}
	}
	return Outcome{Summary: fmt.Sprintf("%d endpoints presented certificates from Microsoft's public CAs", len(seen)), Details: details}
}

func firstUntrustedIssuer(seen []tlsInspectionDetail) string {
	for _, d := range seen {
		if !d.Trusted {
			return d.Issuer
		}
	}
	return ""
}

func orgAllowed(org string, allowed []string) bool {
	for _, a := range allowed {
		for _, o := range strings.Split(org, ", ") {
			if strings.EqualFold(strings.TrimSpace(o), a) {
				return true
			}
		}
	}
	return false
}
