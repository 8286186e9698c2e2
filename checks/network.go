package checks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/ptacheck/ptacheck/checks/hostfacts"
	"github.com/ptacheck/ptacheck/checks/netprobe"
	"github.com/ptacheck/ptacheck/util/redact"
	"github.com/ptacheck/ptacheck/util/textfmt"
)

// shortProbeTimeout: below this, a timeout says more about the setting than
// about the network.
const shortProbeTimeout = 100 * time.Millisecond

// OutboundPortsCheck probes every catalogue endpoint: DNS, TCP connect and,
// for TLS endpoints, a verified TLS handshake, all concurrently.
type OutboundPortsCheck struct {
	Endpoints    EndpointSet
	ProbeTimeout time.Duration
	// WinHTTPProxy is the host's WinHTTP proxy, when the host facts carry
	// it: a proxy configured there while the probes went direct warns.
	WinHTTPProxy *hostfacts.WinHTTPProxy
}

func (c OutboundPortsCheck) Meta() Meta {
	return Meta{
		ID:          "net.outbound-ports",
		Title:       "Outbound endpoints reachable",
		Description: "DNS, TCP and TLS to every required (443, 80) and optional (SSO, MFA pages, CRL) endpoint of the selected cloud; legacy ports with --legacy",
		Remediation: "Allow outbound traffic from this server (the agent runs as Network Service) to the endpoints named above: " +
			"443 to *.msappproxy.net, *.servicebus.windows.net and the login hosts, 80 to the CRL/OCSP hosts.",
		DocURL: networkDoc(c.Endpoints.Cloud),
	}
}

// networkDoc is the page that lists a cloud's endpoints.
func networkDoc(c Cloud) string {
	if c == CloudUSGov {
		return docGovNetwork
	}
	return docPrereqNetwork
}

// netDetails is the evidence of the network checks.
type netDetails struct {
	Cloud        Cloud                   `json:"cloud"`
	Path         string                  `json:"path"`
	Resolver     string                  `json:"resolver"` // how names resolve: system (as the agent does) or dns-server (--dns-server only)
	ProxySource  string                  `json:"proxy_source,omitempty"`
	Proxy        string                  `json:"proxy,omitempty"`
	DNSServers   []string                `json:"dns_servers"`
	ProbeTimeout string                  `json:"probe_timeout"`
	Summary      map[string]int          `json:"summary"`
	Causes       []netCause              `json:"causes"`
	Endpoints    []EndpointResult        `json:"endpoints"`
	Untestable   []Untestable            `json:"untestable"`
	WinHTTPProxy *hostfacts.WinHTTPProxy `json:"winhttp_proxy,omitempty"`
}

// probe runs the probes of targets through the run's network client.
func probeTargets(ctx context.Context, env *Env, targets []Target, timeout time.Duration) []EndpointResult {
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

func (c OutboundPortsCheck) details(env *Env, results []EndpointResult, causes []netCause) netDetails {
	set := c.Endpoints
	d := netDetails{
		Cloud: set.Cloud, Path: "direct", Resolver: env.Net.Resolver(), DNSServers: env.Net.Servers(),
		ProbeTimeout: c.ProbeTimeout.String(), Endpoints: results, Untestable: set.Untestable,
		Summary: map[string]int{}, Causes: causes,
	}
	if w := c.WinHTTPProxy; w != nil {
		// Shown without any credentials the setting may carry.
		d.WinHTTPProxy = &hostfacts.WinHTTPProxy{Direct: w.Direct, Proxy: redact.URL(w.Proxy), Bypass: w.Bypass}
	}
	if d.Untestable == nil {
		d.Untestable = []Untestable{}
	}
	if d.Causes == nil {
		d.Causes = []netCause{}
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
	results := probeTargets(ctx, env, set.Targets, c.ProbeTimeout)
	took := time.Since(start)
	causes := diagnoseFailures(results)
	details := c.details(env, results, causes)

	var fail, warn *multierror.Error
	var unevaluated []string
	var outcomes []string // distinct failure outcomes, most important first
	pinned := hostsPinned(results)
	if slices.ContainsFunc(results, func(r EndpointResult) bool {
		return viaHostsFile(r) && !r.Site && r.Outcome != netprobe.OutcomeCancelled
	}) {
		outcomes = append(outcomes, hostsFileFix) // first: it explains the rest
	}
	for _, k := range causes {
		if k.Outcome == netprobe.OutcomeCancelled {
			unevaluated = append(unevaluated, k.finding())
			continue
		}
		if k.Level == LevelRequired {
			fail = multierror.Append(fail, errors.New(k.finding()))
		} else {
			warn = multierror.Append(warn, errors.New(k.finding()))
		}
		if !slices.Contains(outcomes, k.Outcome) {
			outcomes = append(outcomes, k.Outcome)
		}
	}
	for _, u := range set.Untestable {
		if u.Level == LevelRequired && strings.HasPrefix(u.Reason, "needs --tenant-id") {
			warn = multierror.Append(warn, fmt.Errorf("%s:%s (required) was not tested: pass --tenant-id with the directory (tenant) ID to probe %s in its place",
				u.Host, textPorts(u.Ports), strings.TrimPrefix(u.Reason, "needs --tenant-id to test ")))
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
	for _, p := range pinned {
		warn = multierror.Append(warn, errors.New(p))
	}
	short := c.ProbeTimeout < shortProbeTimeout && hasTimeouts(results)
	if short {
		warn = multierror.Append(warn, fmt.Errorf("--probe-timeout %s is shorter than a normal round trip: the timeouts above may come from the setting, not from the network", c.ProbeTimeout))
	}
	out := Outcome{Fail: fail.ErrorOrNil(), Warn: warn.ErrorOrNil(), Unevaluated: unevaluated, Details: details, Parts: endpointParts(results, set.Untestable)}
	ok := countOutcome(results, netprobe.OutcomeOK)
	out.Summary = portsSummary(results, causes, set, details, took)
	out.Remediation = remediation(outcomes, short, c.ProbeTimeout)
	if err := pathUnknown(env); err != nil {
		out.Err, out.Remediation = err, pathUnknownFix
		out.Summary = fmt.Sprintf("not evaluated: the agent's proxy setting is not known; %d of %d endpoints reachable %s", ok, len(results), pathWord(details.Path))
	}
	return out
}

// portsSummary is net.outbound-ports' one line: how many endpoints answered,
// which did not and why, the cut-off and the untestable ones, and how the
// names were resolved.
func portsSummary(results []EndpointResult, causes []netCause, set EndpointSet, details netDetails, took time.Duration) string {
	ok := countOutcome(results, netprobe.OutcomeOK)
	var summary string
	// A probe cut off by Ctrl-C, SIGTERM or a deadline was not evaluated:
	// it never counts as "not reachable".
	cut := countOutcome(results, netprobe.OutcomeCancelled)
	switch bad := len(results) - ok - cut; {
	case ok == len(results):
		summary = fmt.Sprintf("all %s reachable (%s) in %s", textfmt.Plural(ok, "endpoint", "endpoints"), pathWord(details.Path), took.Round(time.Millisecond))
	case bad > 0:
		summary = fmt.Sprintf("%d of %d endpoints not reachable: %s", bad, len(results), summarize(causes, 3))
		if cut > 0 {
			summary += fmt.Sprintf("; %d not evaluated (cut off before the probe finished)", cut)
		}
	case cut > 0:
		summary = fmt.Sprintf("%d of %d endpoints not evaluated (cut off before the probe finished); %d reachable", cut, len(results), ok)
	}
	if n := len(set.Untestable); n > 0 && summary != "" {
		summary += fmt.Sprintf("; %s not directly testable", textfmt.Plural(n, "wildcard entry", "wildcard entries"))
	}
	if details.Resolver == netprobe.ResolvedDNSServer && summary != "" {
		summary += fmt.Sprintf("; names resolved only by --dns-server %s, not as the agent resolves them", strings.Join(details.DNSServers, ", "))
	}
	return summary
}

// pathUnknownFix is the remediation of a network check whose path is unknown.
const pathUnknownFix = "Take the host snapshot again with `ptacheck snapshot` of this version on the agent server (it records agent_proxy and " +
	"winhttp_proxy), or name the path the agent takes with --proxy URL or --proxy none."

// pathUnknown is the error of a network check when the host facts do not
// record the proxy setting that decides the agent's path: the probes went
// some way, which may not be the agent's, so neither a pass nor a failure
// of theirs says anything about the agent.
func pathUnknown(env *Env) error {
	p := env.Net.Proxy()
	if p == nil || p.Unknown == "" {
		return nil
	}
	way := "direct"
	if p.Func != nil {
		way = "through " + p.Display + " (" + p.Source + ")"
	}
	return fmt.Errorf("%s: the probes went %s, which may not be the agent's path, so their results (in the details) decide nothing", p.Unknown, way)
}

// endpointParts gives each endpoint its own status: reachable passes, an
// unreachable required one fails and an optional one warns, one cut off is
// an error, and a wildcard entry no probe can cover is skipped.
func endpointParts(results []EndpointResult, untestable []Untestable) []Part {
	var parts []Part
	for _, r := range results {
		p := Part{Name: r.Addr(), Status: StatusPass, Message: fmt.Sprintf("%s (%s): %s", r.Addr(), r.Level, r.Outcome)}
		switch {
		case r.Outcome == netprobe.OutcomeOK:
		case r.Outcome == netprobe.OutcomeCancelled:
			p.Status = StatusError
		case r.Level == LevelRequired:
			p.Status = StatusFail
		default:
			p.Status = StatusWarn
		}
		if r.Error != "" {
			p.Message += ": " + r.Error
		}
		parts = append(parts, p)
	}
	for _, u := range untestable {
		name := u.Host + ":" + textPorts(u.Ports)
		parts = append(parts, Part{Name: name, Status: StatusSkip, Message: fmt.Sprintf("%s (%s): not tested: %s", name, u.Level, u.Reason)})
	}
	return parts
}

// textPorts renders a port list for a finding.
func textPorts(ports []int) string {
	var s []string
	for _, p := range ports {
		s = append(s, fmt.Sprint(p))
	}
	return strings.Join(s, ",")
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
	results := probeTargets(ctx, env, targets, c.ProbeTimeout)
	var fail *multierror.Error
	seen := []tlsInspectionDetail{}
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
	if err := pathUnknown(env); err != nil {
		// An interception seen (or not) on this path says nothing about
		// the agent's.
		return Outcome{Err: err, Remediation: pathUnknownFix, Details: details}
	}
	// A clean verdict needs every handshake: one cut off by a deadline or a
	// signal might have shown the interception.
	var unevaluated []string
	if n := countOutcome(results, netprobe.OutcomeCancelled); n > 0 {
		unevaluated = append(unevaluated, fmt.Sprintf("%d of %d TLS endpoints were not inspected (cut off before the handshake finished)", n, len(results)))
	}
	if fail != nil {
		return Outcome{
			Fail:        fail.ErrorOrNil(),
			Unevaluated: unevaluated,
			Summary:     fmt.Sprintf("TLS inspection detected: %d of %d endpoints presented a certificate from issuer %q", len(fail.Errors), len(seen), firstUntrustedIssuer(seen)),
			Details:     details,
		}
	}
	if len(unevaluated) > 0 {
		return Outcome{Unevaluated: unevaluated, Details: details}
	}
	if len(seen) == 0 {
		out := Skipped("no TLS endpoint completed a handshake to inspect (see net.outbound-ports)")
		out.Details = details
		return out
	}
	return Outcome{Summary: fmt.Sprintf("%s presented certificates from Microsoft's public CAs", textfmt.Plural(len(seen), "endpoint", "endpoints")), Details: details}
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
