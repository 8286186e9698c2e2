package checks

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ptacheck/ptacheck/checks/netprobe"
	"github.com/ptacheck/ptacheck/util/textfmt"
)

// Why endpoints failed: net.outbound-ports groups failed probes by their
// root cause (a proxy, DNS, a hosts-file entry, a firewall) and words one
// finding and one fix per cause.

// EndpointResult is one probe's evidence: the endpoint's entry and what the
// probe found.
type EndpointResult struct {
	Target
	netprobe.Result
}

func hasTimeouts(results []EndpointResult) bool {
	for _, r := range results {
		switch r.Outcome {
		case netprobe.OutcomeFiltered, netprobe.OutcomeTLSTimeout, netprobe.OutcomeDNSTimeout:
			return true
		}
	}
	return false
}

// netCause is one root cause behind one or more failed endpoints: a proxy that
// cannot be reached, DNS servers that do not answer, a middlebox that
// presents its own certificates, or (the usual case) one endpoint's own
// outcome.
type netCause struct {
	Outcome   string   `json:"outcome"`
	Level     string   `json:"level"` // the strictest level among the endpoints
	What      string   `json:"what"`  // the shared cause, or the endpoint's own error
	Endpoints []string `json:"endpoints"`
	shared    bool
	guessed   bool
}

// finding renders a cause as one line: "host:port (level): outcome: error"
// for one endpoint, "<cause>: N endpoints (a, b and 3 more)" for a shared one.
func (k netCause) finding() string {
	if !k.shared {
		f := fmt.Sprintf("%s (%s): %s: %s", k.Endpoints[0], k.Level, k.Outcome, k.What)
		if k.guessed {
			f += " [the host is a guess: no document names the host behind this port]"
		}
		return f
	}
	return fmt.Sprintf("%s (%s): %s: %s", k.What, k.Level, k.Outcome, endpointList(k.Endpoints, 3))
}

func endpointList(eps []string, n int) string {
	word := textfmt.Plural(len(eps), "endpoint", "endpoints")
	if len(eps) <= n {
		return word + " (" + strings.Join(eps, ", ") + ")"
	}
	return fmt.Sprintf("%s (%s and %d more)", word, strings.Join(eps[:n], ", "), len(eps)-n)
}

// diagnoseFailures groups failed probes by root cause. Results arrive in the targets'
// order (required first, then by importance), and so do the causes.
func diagnoseFailures(results []EndpointResult) []netCause {
	var out []netCause
	index := map[string]int{}
	total := map[string]int{} // probes per shared key, to say "all N"
	failing := proxiesFailingEverything(results)
	for _, r := range results {
		if k, _ := sharedCause(r, failing); k != "" {
			total[k]++
		}
	}
	for _, r := range results {
		if r.OK() {
			continue
		}
		key, what := sharedCause(r, failing)
		if key == "" || total[key] < 2 {
			out = append(out, netCause{Outcome: r.Outcome, Level: r.Level, What: ownError(r), Endpoints: []string{r.Addr()}, guessed: r.Guessed})
			continue
		}
		if i, ok := index[key]; ok {
			out[i].Endpoints = append(out[i].Endpoints, r.Addr())
			if levelRank(r.Level) < levelRank(out[i].Level) {
				out[i].Level = r.Level
			}
			continue
		}
		index[key] = len(out)
		out = append(out, netCause{Outcome: r.Outcome, Level: r.Level, What: what, Endpoints: []string{r.Addr()}, shared: true})
	}
	return out
}

// proxiesFailingEverything returns the proxies that answered an HTTP 5xx
// to every probe through them that was evaluated (at least two), with the
// status codes seen: the proxy itself fails, one root cause like an
// unreachable proxy.
func proxiesFailingEverything(results []EndpointResult) map[string]string {
	through, failed := map[string]int{}, map[string]int{}
	codes := map[string][]string{}
	for _, r := range results {
		if r.Proxy == "" || r.Outcome == netprobe.OutcomeCancelled {
			continue
		}
		through[r.Proxy]++
		if r.Outcome == netprobe.OutcomeProxyBadGateway || r.Outcome == netprobe.OutcomeProxyServerError {
			failed[r.Proxy]++
			if c := fmt.Sprint(r.ProxyStatus); !slices.Contains(codes[r.Proxy], c) {
				codes[r.Proxy] = append(codes[r.Proxy], c)
			}
		}
	}
	out := map[string]string{}
	for p, n := range failed {
		if n >= 2 && n == through[p] {
			slices.Sort(codes[p])
			out[p] = strings.Join(codes[p], ", ")
		}
	}
	return out
}

// sharedCause returns the key and wording of a failure whose cause is
// shared by every probe that takes the same path, or "" for a failure of
// the endpoint itself. failing are the proxies that answered 5xx to every
// probe (see proxiesFailingEverything).
func sharedCause(r EndpointResult, failing map[string]string) (key, what string) {
	switch {
	case r.OK():
		return "", ""
	case r.Outcome == netprobe.OutcomeCancelled:
		return "cancelled", "cut off before the probe finished (" + afterColon(r.Error) + ")"
	case r.Proxy != "" && r.Step == netprobe.StepDNS:
		return "proxy-dns:" + r.Proxy, fmt.Sprintf("the proxy %s cannot be resolved: %s", r.Proxy, afterColon(r.Error))
	case r.Proxy != "" && strings.HasPrefix(r.Error, "connect to proxy"):
		return "proxy-connect:" + r.Proxy + ":" + r.Outcome, fmt.Sprintf("the proxy %s cannot be reached (%s); every endpoint goes through it", r.Proxy, afterColon(r.Error))
	case r.Outcome == netprobe.OutcomeProxyAuthRequired:
		return "proxy-auth:" + r.Proxy, fmt.Sprintf("the proxy %s requires authentication, which the agent cannot do", r.Proxy)
	case r.Proxy != "" && failing[r.Proxy] != "" && (r.Outcome == netprobe.OutcomeProxyBadGateway || r.Outcome == netprobe.OutcomeProxyServerError):
		return "proxy-5xx:" + r.Proxy, fmt.Sprintf("the proxy %s answered HTTP %s to every endpoint through it: the proxy itself fails (its own outbound access, DNS or health), not the endpoints", r.Proxy, failing[r.Proxy])
	case r.Proxy == "" && r.Step == netprobe.StepDNS && r.Outcome == netprobe.OutcomeDNSUnreachable:
		// One cause per resolver that is not listening, named: every
		// endpoint resolved through it fails the same way.
		if r.DNSServer == "" {
			return "dns:" + r.Outcome, "the DNS servers are not listening (ICMP port unreachable)"
		}
		return "dns:" + r.Outcome + ":" + r.DNSServer, fmt.Sprintf("the DNS server %s is not listening (ICMP port unreachable: it refused the queries)", r.DNSServer)
	case r.Proxy == "" && r.Step == netprobe.StepDNS && (r.Outcome == netprobe.OutcomeDNSTimeout || r.Outcome == netprobe.OutcomeDNSRefused ||
		r.Outcome == netprobe.OutcomeDNSServFail || r.Outcome == netprobe.OutcomeBlockedLocal || r.Outcome == netprobe.OutcomeDNSError):
		return "dns:" + r.Outcome, dnsCause(r.Outcome)
	case r.Outcome == netprobe.OutcomeTLSUntrusted && r.TLS != nil:
		return "untrusted:" + r.TLS.Issuer, fmt.Sprintf("certificates issued by %q, which this server does not trust (a TLS-inspecting proxy or firewall)", r.TLS.Issuer)
	case r.Outcome == netprobe.OutcomeBlockedLocal:
		return "blocked-local", "this server's own firewall refuses to send the connection"
	}
	return "", ""
}

func dnsCause(outcome string) string {
	switch outcome {
	case netprobe.OutcomeDNSTimeout:
		return "the DNS servers did not answer"
	case netprobe.OutcomeDNSRefused:
		return "the DNS servers refuse to answer this server"
	case netprobe.OutcomeDNSServFail:
		return "the DNS servers fail to resolve internet names (SERVFAIL)"
	case netprobe.OutcomeBlockedLocal:
		return "this server's own firewall blocks DNS queries"
	}
	return "name resolution fails"
}

// hostsFileFix is the remediation key of a Microsoft endpoint the hosts
// file sends to a fixed address.
const hostsFileFix = "hosts-file"

// viaHostsFile reports whether the probe connected to an address the hosts
// file gave the endpoint's own name (not a proxy's).
func viaHostsFile(r EndpointResult) bool {
	return r.Source == netprobe.SourceHosts && r.Proxy == ""
}

// hostsOverride words where a hosts-file answer came from and what DNS
// says instead: "login.microsoftonline.com -> 127.0.0.9 from the hosts file
// (/etc/hosts); DNS answers 20.190.151.6".
func hostsOverride(r EndpointResult) string {
	s := fmt.Sprintf("%s -> %s from the hosts file (%s)", r.Host, strings.Join(r.Addresses, ", "), r.HostsFile)
	switch {
	case len(r.DNSAddresses) > 0 && slices.Equal(sortedCopy(r.DNSAddresses), sortedCopy(r.Addresses)):
		s += "; DNS answers the same today"
	case len(r.DNSAddresses) > 0:
		s += "; DNS answers " + strings.Join(r.DNSAddresses, ", ")
	case r.DNSError != "":
		s += "; DNS: " + r.DNSError
	}
	return s
}

func sortedCopy(list []string) []string {
	out := append([]string{}, list...)
	slices.Sort(out)
	return out
}

// ownError is the finding text of an endpoint's own failure: its error,
// after where its address came from when the hosts file gave it.
func ownError(r EndpointResult) string {
	if viaHostsFile(r) {
		return hostsOverride(r) + ": " + r.Error
	}
	return r.Error
}

// hostsPinned lists, once per host, the Microsoft endpoints that the hosts
// file sends to a fixed address and that answered there. The agent
// resolves names through the same system resolver, so it connects there
// too: it works today, but the entry pins an address Microsoft changes
// without notice (the endpoints are published as names, not addresses),
// so it warns. An endpoint that fails at the pinned address is a failure
// of its own level, named with its hosts-file entry (see ownError).
func hostsPinned(results []EndpointResult) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range results {
		if !viaHostsFile(r) || r.Site || !r.OK() || seen[strings.ToLower(r.Host)] {
			continue
		}
		seen[strings.ToLower(r.Host)] = true
		out = append(out, hostsOverride(r)+": the agent connects to this fixed address, which stops working when Microsoft moves the service; remove the entry")
	}
	return out
}

// afterColon drops the "resolve x (A) via y:" style prefix of a probe error.
func afterColon(s string) string {
	if i := strings.LastIndex(s, ": "); i >= 0 && i+2 < len(s) {
		return s[i+2:]
	}
	return s
}

// summarize names the first n causes, most important first.
func summarize(causes []netCause, n int) string {
	var names []string
	for _, k := range causes {
		if k.Outcome == netprobe.OutcomeCancelled {
			continue // "not evaluated", counted apart
		}
		if k.shared {
			names = append(names, fmt.Sprintf("%s %s", textfmt.Plural(len(k.Endpoints), "endpoint", "endpoints"), k.Outcome))
		} else {
			names = append(names, k.Endpoints[0]+" "+k.Outcome)
		}
	}
	if len(names) > n {
		return strings.Join(names[:n], ", ") + fmt.Sprintf(", and %d more", len(names)-n)
	}
	return strings.Join(names, ", ")
}

// fixes is what to do about each probe outcome, carried by the binary: the
// admin on the server has the .exe, not the README.
var fixes = map[string]string{
	netprobe.OutcomeFiltered:          "filtered: a firewall drops the traffic; allow outbound TCP (443, or 80 for CRL/OCSP) from this server to those hosts.",
	netprobe.OutcomeRefused:           "refused: a firewall rejects the connection (or nothing listens); open the port on the firewall that rejects it.",
	netprobe.OutcomeReset:             "reset: a firewall or proxy ends the connection, often by filtering the TLS server name; allow the names on it.",
	netprobe.OutcomeUnreachable:       "unreachable: there is no route; fix the default gateway or routing of this server.",
	netprobe.OutcomeBlockedLocal:      "blocked-local: this server's own firewall (Windows Firewall) blocks it; allow outbound traffic for the agent (it runs as Network Service).",
	netprobe.OutcomeTCPError:          "tcp-error: see the error text of each endpoint.",
	netprobe.OutcomeNXDomain:          "dns-nxdomain: the name does not exist for this server's DNS; check split-horizon zones or a DNS filter answering NXDOMAIN: the agent needs the public names.",
	netprobe.OutcomeDNSTimeout:        "dns-timeout: the DNS servers did not answer; check that this server reaches its resolvers (UDP and TCP 53) and that they forward internet names.",
	netprobe.OutcomeDNSUnreachable:    "dns-unreachable: this server's configured DNS server does not listen on port 53 (it answers ICMP port unreachable); check the resolver addresses in its network settings (or --dns-server) and that the DNS service runs there.",
	netprobe.OutcomeDNSServFail:       "dns-servfail: the resolvers cannot resolve internet names; fix their forwarders.",
	netprobe.OutcomeDNSRefused:        "dns-refused: the resolvers refuse this server; allow recursion for it.",
	netprobe.OutcomeDNSNoData:         "dns-nodata: the name has no address record; check the DNS filter or zone that answers for it.",
	netprobe.OutcomeDNSError:          "dns-error: name resolution failed; see the error text (no resolvers configured, a malformed answer).",
	netprobe.OutcomeTLSTimeout:        "tls-timeout: something accepts the connection but never answers TLS; a proxy or firewall is holding it.",
	netprobe.OutcomeTLSHandshake:      "tls-handshake-failed: the TLS handshake was refused or cut; often a firewall filtering by server name, or TLS 1.2 blocked.",
	netprobe.OutcomeTLSUntrusted:      "tls-untrusted: a device presents its own certificates (TLS inspection), which the agent rejects; exempt the agent's endpoints from inspection.",
	netprobe.OutcomeTLSNameMismatch:   "tls-name-mismatch: something other than Microsoft answers for these names (a proxy, captive portal or DNS override).",
	netprobe.OutcomeTLSExpired:        "tls-expired: check this server's clock first; otherwise something other than Microsoft answers with an expired certificate.",
	netprobe.OutcomeTLSInvalid:        "tls-invalid: the certificate chain is not acceptable; see the error text.",
	netprobe.OutcomeProxyAuthRequired: "proxy-auth-required: the proxy requires authentication, which the agent cannot do; let the agent's endpoints through without authentication (or bypass the proxy for them).",
	netprobe.OutcomeProxyDenied:       "proxy-denied: the proxy forbids these endpoints; allow them on the proxy.",
	netprobe.OutcomeProxyBadGateway:   "proxy-bad-gateway: the proxy cannot reach the endpoints itself; check the proxy's own outbound access and DNS.",
	netprobe.OutcomeProxyServerError:  "proxy-server-error: the proxy failed (HTTP 5xx); check the proxy's health and logs.",
	netprobe.OutcomeProxyError:        "proxy-error: the proxy cannot be reached or answers badly; check the proxy address and that it runs (the agent would fail the same way).",
	hostsFileFix:                      "hosts-file: the hosts file sends Microsoft endpoints to fixed addresses, and the agent resolves names through it first; remove those entries so the names resolve through DNS.",
}

// remediation composes the fix for the outcomes seen, most important first.
func remediation(outcomes []string, short bool, timeout time.Duration) string {
	var parts []string
	if short {
		parts = append(parts, fmt.Sprintf("First re-run with a realistic --probe-timeout (2s or more; it was %s): timeouts this short prove nothing.", timeout))
	}
	for _, o := range outcomes {
		if f, ok := fixes[o]; ok {
			parts = append(parts, f)
		}
	}
	return strings.Join(parts, " ")
}

func pathWord(path string) string {
	if path == "direct" {
		return "direct"
	}
	return "through the proxy"
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
