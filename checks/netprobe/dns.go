package netprobe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// Answer is the result of resolving one name to addresses.
type Answer struct {
	Addrs    []string
	Outcome  string // OutcomeOK or a dns-* outcome
	Took     time.Duration
	Err      error
	Resolved string // ResolvedSystem or ResolvedDNSServer ("" for an IP literal)
	// Server is the DNS server whose answer (or silence) decided a
	// failure, when a server was asked directly.
	Server string
	// Source is SourceHosts when the hosts file gave the addresses, and
	// HostsFile its path; dns is then what DNS answers for the same name.
	Source    string
	HostsFile string
	dns       *dnsView
}

// resolve looks host up once per Client, under a probe's deadlines: through
// the operating system (or only the --dns-server servers). With compare, an
// answer from the hosts file is compared with DNS's (for a report); the
// caller then waits for that (Answer.dns) before it returns.
func (c *Client) resolve(a *attempt, host string, compare bool) Answer {
	if ip := net.ParseIP(host); ip != nil {
		return Answer{Addrs: []string{ip.String()}, Outcome: OutcomeOK}
	}
	ans, ok := c.names.do(a.ctx, strings.ToLower(host), func() Answer {
		start := time.Now()
		var ans Answer
		if c.mode == ResolvedDNSServer {
			addrs, outcome, err := c.lookupAddrs(a, host)
			ans = Answer{Addrs: addrs, Outcome: outcome, Err: err, Server: failedServer(err)}
		} else {
			ans = c.resolveSystem(a, host, compare)
		}
		ans.Took, ans.Resolved = time.Since(start), c.mode
		return ans
	})
	if ok {
		return ans
	}
	// Another probe is still resolving this name and our time ran out.
	if m, cut := a.cutOff(true); cut {
		return Answer{Outcome: OutcomeCancelled, Err: fmt.Errorf("resolve %s: %s", host, m), Resolved: c.mode}
	}
	return Answer{Outcome: OutcomeDNSTimeout, Err: fmt.Errorf("resolve %s: no answer within %s", host, a.timeout), Resolved: c.mode}
}

// LookupHost resolves host to addresses within timeout as the probes do:
// through the operating system (or only --dns-server). It and LookupSRV
// let other clients (the LDAP DC locator) resolve as the probes do; a
// timeout inside ctx is a finding (dns-timeout), ctx ending first is a
// cut-off (cancelled).
func (c *Client) LookupHost(ctx context.Context, host string, timeout time.Duration) ([]string, error) {
	a, cancel := begin(ctx, timeout)
	defer cancel()
	ans := c.resolve(a, host, false)
	return ans.Addrs, ans.Err
}

// LookupSRV returns the SRV records of name (for example
// "_ldap._tcp.dc._msdcs.corp.contoso.com"), in the order the server gave.
func (c *Client) LookupSRV(ctx context.Context, name string, timeout time.Duration) ([]*net.SRV, string, error) {
	rrs, outcome, err := c.Query(ctx, name, dns.TypeSRV, timeout)
	if err != nil {
		return nil, outcome, err
	}
	var out []*net.SRV
	for _, rr := range rrs {
		if s, ok := rr.(*dns.SRV); ok {
			out = append(out, &net.SRV{Target: s.Target, Port: s.Port, Priority: s.Priority, Weight: s.Weight})
		}
	}
	if len(out) == 0 {
		return nil, OutcomeDNSNoData, fmt.Errorf("resolve %s (SRV): the name exists but has no SRV record", name)
	}
	return out, OutcomeOK, nil
}

// Query asks the resolvers for records of any type within timeout and
// returns the answer records that belong to the name or its CNAME chain.
// The outcome is OutcomeOK or a dns-* outcome.
func (c *Client) Query(ctx context.Context, name string, qtype uint16, timeout time.Duration) ([]dns.RR, string, error) {
	a, cancel := begin(ctx, timeout)
	defer cancel()
	return c.query(a, name, qtype)
}

// lookupAddrs asks for A records (then AAAA when there are none).
func (c *Client) lookupAddrs(a *attempt, host string) ([]string, string, error) {
	rrs, outcome, err := c.query(a, host, dns.TypeA)
	addrs := addresses(rrs)
	if err == nil && len(addrs) == 0 {
		rrs, outcome, err = c.query(a, host, dns.TypeAAAA)
		addrs = addresses(rrs)
		if err == nil && len(addrs) == 0 {
			return nil, OutcomeDNSNoData, fmt.Errorf("resolve %s: the name exists but has no A or AAAA record", host)
		}
	}
	return addrs, outcome, err
}

func addresses(rrs []dns.RR) []string {
	var out []string
	for _, rr := range rrs {
		switch rr := rr.(type) {
		case *dns.A:
			out = append(out, rr.A.String())
		case *dns.AAAA:
			out = append(out, rr.AAAA.String())
		}
	}
	return out
}

// query asks each server in turn, giving each an equal share of the time
// left, and returns the first definitive answer.
func (c *Client) query(a *attempt, host string, qtype uint16) ([]dns.RR, string, error) {
	if len(c.servers) == 0 {
		reason := "no DNS servers configured"
		if c.serversErr != nil {
			reason += " (" + c.serversErr.Error() + ")"
		}
		return nil, OutcomeDNSError, fmt.Errorf("resolve %s: %s; pass --dns-server HOST:PORT", host, reason)
	}
	var firstOutcome string
	var firstErr error
	for i, server := range c.servers {
		sctx, cancel := a.ctx, context.CancelFunc(func() {})
		if dl, ok := a.ctx.Deadline(); ok {
			share := time.Until(dl) / time.Duration(len(c.servers)-i)
			sctx, cancel = context.WithTimeout(a.ctx, share)
		}
		rrs, outcome, err := c.queryOne(a, sctx, server, host, qtype)
		cancel()
		if err != nil {
			err = &serverError{server, err}
		}
		if err == nil || outcome == OutcomeNXDomain || outcome == OutcomeCancelled {
			return rrs, outcome, err
		}
		if firstErr == nil {
			firstOutcome, firstErr = outcome, err
		}
		if a.ctx.Err() != nil {
			break
		}
	}
	return nil, firstOutcome, firstErr
}

func (c *Client) queryOne(a *attempt, ctx context.Context, server, host string, qtype uint16) ([]dns.RR, string, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(host), qtype)
	m.RecursionDesired = true
	resp, err := exchange(ctx, c.dns, m, server)
	udp := true
	if err == nil && resp.Truncated {
		// Retry over TCP with the same deadline.
		resp, err = exchange(ctx, c.dnsTCP, m, server)
		udp = false
	}
	what := fmt.Sprintf("resolve %s (%s) via %s", host, dns.TypeToString[qtype], server)
	if err != nil {
		timedOut := isTimeout(err) || ctx.Err() != nil
		if msg, cut := a.cutOff(timedOut); cut {
			return nil, OutcomeCancelled, fmt.Errorf("%s: %s", what, msg)
		}
		switch {
		case timedOut:
			return nil, OutcomeDNSTimeout, fmt.Errorf("%s: no answer in time", what)
		case errors.Is(err, syscall.ECONNREFUSED) || isErrno(err, errnoRefused) || (udp && isErrno(err, errnoReset)):
			// ICMP port unreachable: the server answered, but nothing
			// listens on its DNS port (Windows reports it on a UDP
			// socket as WSAECONNRESET). Not a timeout: the cause is
			// the resolver address, not a silent network.
			return nil, OutcomeDNSUnreachable, fmt.Errorf("%s: the DNS server is not listening (port unreachable)", what)
		case isLocalBlock(err):
			return nil, OutcomeBlockedLocal, fmt.Errorf("%s: this host refused to send the query: a local firewall rule blocks DNS", what)
		}
		return nil, OutcomeDNSError, fmt.Errorf("%s: %s", what, rootCause(err))
	}
	switch resp.Rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		return nil, OutcomeNXDomain, fmt.Errorf("%s: NXDOMAIN (the name does not exist)", what)
	case dns.RcodeServerFailure:
		return nil, OutcomeDNSServFail, fmt.Errorf("%s: SERVFAIL (the resolver could not get an answer)", what)
	case dns.RcodeRefused:
		return nil, OutcomeDNSRefused, fmt.Errorf("%s: REFUSED (the resolver will not answer this client)", what)
	default:
		return nil, OutcomeDNSError, fmt.Errorf("%s: %s", what, dns.RcodeToString[resp.Rcode])
	}
	return onChain(resp.Answer, host, qtype), OutcomeOK, nil
}

// serverError is a direct query's failure and the server that failed.
type serverError struct {
	server string
	err    error
}

func (e *serverError) Error() string { return e.err.Error() }
func (e *serverError) Unwrap() error { return e.err }

// failedServer is the server of a direct query's failure, or "".
func failedServer(err error) string {
	var se *serverError
	if errors.As(err, &se) {
		return se.server
	}
	return ""
}

// onChain keeps the records of type qtype owned by name or by a name its
// CNAME chain leads to: a record for an unrelated name (a poisoned or
// confused answer) does not count.
func onChain(answer []dns.RR, name string, qtype uint16) []dns.RR {
	names := []string{strings.ToLower(dns.Fqdn(name))}
	for changed := true; changed; {
		changed = false
		for _, rr := range answer {
			cn, ok := rr.(*dns.CNAME)
			if !ok || !slices.Contains(names, strings.ToLower(cn.Hdr.Name)) {
				continue
			}
			if t := strings.ToLower(dns.Fqdn(cn.Target)); !slices.Contains(names, t) && len(names) < 16 {
				names = append(names, t)
				changed = true
			}
		}
	}
	var out []dns.RR
	for _, rr := range answer {
		if rr.Header().Rrtype == qtype && slices.Contains(names, strings.ToLower(rr.Header().Name)) {
			out = append(out, rr)
		}
	}
	return out
}

// exchange runs one query and returns as soon as ctx ends, even if the
// exchanger only honours deadlines (miekg/dns does not watch cancellation).
func exchange(ctx context.Context, x DNSExchanger, m *dns.Msg, server string) (*dns.Msg, error) {
	type answer struct {
		m   *dns.Msg
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		r, _, err := x.ExchangeContext(ctx, m, server)
		ch <- answer{r, err}
	}()
	select {
	case a := <-ch:
		if a.err == nil && a.m == nil {
			return nil, errors.New("empty DNS answer")
		}
		return a.m, a.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// NormalizeDNSServer validates a --dns-server value (an IP address or host
// name, optionally with a port) and adds port 53 when it has none.
func NormalizeDNSServer(s string) (string, error) {
	bad := fmt.Errorf("--dns-server %q: want an IP address or host name, optionally with :PORT (for example 10.0.0.53 or 10.0.0.53:5353)", s)
	host, port := s, "53"
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
	} else if strings.Count(s, ":") > 1 { // bare IPv6
		host = s
	}
	if host == "" || port == "" {
		return "", bad
	}
	if n, err := parsePort(port); err != nil || n == 0 {
		return "", bad
	}
	if ip := net.ParseIP(host); ip == nil {
		// Not an IP address: it must be a host name, and not a dotted
		// quad out of range such as 999.1.1.1.
		if allDigitsAndDots(host) || !validHostname(host) {
			return "", bad
		}
	}
	return net.JoinHostPort(host, port), nil
}

func parsePort(p string) (int, error) {
	n := 0
	if p == "" || len(p) > 5 {
		return 0, errors.New("bad port")
	}
	for _, r := range p {
		if r < '0' || r > '9' {
			return 0, errors.New("bad port")
		}
		n = n*10 + int(r-'0')
	}
	if n > 65535 {
		return 0, errors.New("bad port")
	}
	return n, nil
}

func allDigitsAndDots(s string) bool {
	return strings.Trim(s, "0123456789.") == ""
}

func validHostname(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}
