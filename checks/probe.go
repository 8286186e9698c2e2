package checks

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// Probe outcomes: the stable vocabulary of net.outbound-ports details. The
// README explains each one.
const (
	OutcomeOK                = "ok"
	OutcomeNXDomain          = "dns-nxdomain"         // the name does not exist
	OutcomeDNSTimeout        = "dns-timeout"          // no DNS server answered in time
	OutcomeDNSServFail       = "dns-servfail"         // the resolver failed (SERVFAIL)
	OutcomeDNSRefused        = "dns-refused"          // the resolver refused the query
	OutcomeDNSNoData         = "dns-nodata"           // the name exists but has no address
	OutcomeDNSError          = "dns-error"            // any other DNS failure
	OutcomeRefused           = "refused"              // TCP RST or ICMP port unreachable: a firewall reject, or nothing listens
	OutcomeFiltered          = "filtered"             // no answer to the TCP SYN: dropped by a firewall
	OutcomeReset             = "reset"                // connected, then reset (often a firewall inspecting SNI)
	OutcomeUnreachable       = "unreachable"          // no route / ICMP host or network unreachable
	OutcomeTCPError          = "tcp-error"            // any other connect failure
	OutcomeBlockedLocal      = "blocked-local"        // this host refused to send: a local firewall rule (EPERM/EACCES)
	OutcomeTLSTimeout        = "tls-timeout"          // connected, but the TLS handshake got no answer
	OutcomeTLSHandshake      = "tls-handshake-failed" // the handshake failed (alert, protocol error, closed)
	OutcomeTLSUntrusted      = "tls-untrusted"        // the chain does not lead to a trusted root
	OutcomeTLSNameMismatch   = "tls-name-mismatch"    // the certificate is not for this host name
	OutcomeTLSExpired        = "tls-expired"          // the certificate is expired or not yet valid
	OutcomeTLSInvalid        = "tls-invalid"          // another certificate problem
	OutcomeProxyAuthRequired = "proxy-auth-required"  // HTTP 407: the agent cannot authenticate to a proxy
	OutcomeProxyDenied       = "proxy-denied"         // HTTP 403 from the proxy
	OutcomeProxyBadGateway   = "proxy-bad-gateway"    // HTTP 502/503/504: the proxy could not reach the target
	OutcomeProxyError        = "proxy-error"          // the proxy answered something else or broke the protocol
	OutcomeCancelled         = "cancelled"            // the run was cancelled before the probe finished
)

// maxConcurrentProbes bounds a probe fan-out. It is larger than any
// catalogue, so one probe timeout bounds the whole fan-out.
const maxConcurrentProbes = 256

// ProbeResult is what one probe found. Timings are milliseconds.
type ProbeResult struct {
	Target
	Path      string   `json:"path"` // "direct" or "proxy <url>"
	Addresses []string `json:"addresses,omitempty"`
	Address   string   `json:"address,omitempty"` // the address connected to
	Outcome   string   `json:"outcome"`
	Step      string   `json:"step,omitempty"` // dns, tcp, proxy, tls: where it failed
	Error     string   `json:"error,omitempty"`
	DNSMillis float64  `json:"dns_ms"`
	TCPMillis float64  `json:"tcp_ms"`
	TLSMillis float64  `json:"tls_ms,omitempty"`
	TLS       *TLSInfo `json:"tls,omitempty"`
}

// OK reports whether the probe succeeded.
func (p ProbeResult) OK() bool { return p.Outcome == OutcomeOK }

// TLSInfo is what the server presented.
type TLSInfo struct {
	Version     string   `json:"version,omitempty"`
	Subject     string   `json:"subject"`
	Issuer      string   `json:"issuer"`
	IssuerOrg   string   `json:"issuer_org"`
	RootIssuer  string   `json:"root_issuer"`     // issuer of the last certificate presented
	RootOrg     string   `json:"root_issuer_org"` // its organisation
	Chain       []string `json:"chain"`           // subjects, leaf first
	NotAfter    string   `json:"not_after"`
	Verified    bool     `json:"verified"`
	VerifyError string   `json:"verify_error,omitempty"`
	DNSNames    []string `json:"dns_names,omitempty"`
}

// probeCache shares probe results between the checks of one run, so that
// net.outbound-ports and net.tls-inspection handshake once per endpoint and
// every name is resolved once.
type probeCache struct {
	probes flights[ProbeResult]
	dns    flights[dnsAnswer]
}

type dnsAnswer struct {
	addrs   []string
	outcome string
	took    time.Duration
	err     error
}

// flights computes a value once per key; concurrent callers wait for it.
type flights[T any] struct {
	mu sync.Mutex
	m  map[string]*flight[T]
}

type flight[T any] struct {
	done chan struct{}
	val  T
}

// do returns the value for key, computing it with compute if no one has.
// A caller waiting for another's computation gives up when ctx ends and
// gets ok == false.
func (f *flights[T]) do(ctx context.Context, key string, compute func() T) (val T, ok bool) {
	f.mu.Lock()
	if f.m == nil {
		f.m = map[string]*flight[T]{}
	}
	fl, found := f.m[key]
	if !found {
		fl = &flight[T]{done: make(chan struct{})}
		f.m[key] = fl
	}
	f.mu.Unlock()
	if !found {
		fl.val = compute()
		close(fl.done)
		return fl.val, true
	}
	select {
	case <-fl.done:
		return fl.val, true
	case <-ctx.Done():
		select {
		case <-fl.done: // finished as the deadline hit
			return fl.val, true
		default:
			return val, false
		}
	}
}

func (e *Env) cache() *probeCache {
	e.probesOnce.Do(func() { e.probes = &probeCache{} })
	return e.probes
}

// ProbeAll probes every target concurrently (bounded by maxConcurrentProbes),
// each under its own timeout inside ctx. Results are in target order.
func ProbeAll(ctx context.Context, env *Env, targets []Target, timeout time.Duration) []ProbeResult {
	out := make([]ProbeResult, len(targets))
	sem := make(chan struct{}, maxConcurrentProbes)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				out[i] = cancelled(t, "not started", ctx)
				return
			}
			out[i] = env.probe(ctx, t, timeout)
		}()
	}
	wg.Wait()
	return out
}

func stepSuffix(step string) string {
	if step == "" {
		return ""
	}
	return " at " + step
}

func cancelled(t Target, step string, ctx context.Context) ProbeResult {
	return ProbeResult{Target: t, Outcome: OutcomeCancelled, Step: step, Error: stopReason(ctx)}
}

// probe returns the cached result for t, probing it once.
func (e *Env) probe(ctx context.Context, t Target, timeout time.Duration) ProbeResult {
	r, ok := e.cache().probes.do(ctx, t.Addr()+"/"+t.Protocol, func() ProbeResult {
		r := e.probeOnce(ctx, t, timeout)
		e.logf("probe %s (%s): %s%s [dns %.1fms tcp %.1fms tls %.1fms] %s", r.Addr(), r.Path, r.Outcome, stepSuffix(r.Step), r.DNSMillis, r.TCPMillis, r.TLSMillis, r.Error)
		return r
	})
	if !ok {
		return cancelled(t, "waiting", ctx)
	}
	r.Target = t // same endpoint; keep this caller's level and purpose
	return r
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// probeOnce runs DNS, TCP and (for TLS targets) the TLS handshake, directly
// or through the proxy env.Proxy picks.
func (e *Env) probeOnce(ctx context.Context, t Target, timeout time.Duration) ProbeResult {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res := ProbeResult{Target: t, Path: "direct"}
	proxyURL, err := e.proxyFor(t)
	if err != nil {
		res.Outcome, res.Step, res.Error = OutcomeProxyError, "proxy", err.Error()
		return res
	}
	if proxyURL != nil {
		return e.probeViaProxy(ctx, t, proxyURL, timeout)
	}
	addrs, outcome, took, err := e.resolve(ctx, t.Host)
	res.DNSMillis = ms(took)
	res.Addresses = addrs
	if err != nil {
		res.Outcome, res.Step, res.Error = outcome, "dns", err.Error()
		return res
	}
	start := time.Now()
	conn, err := e.dialFirst(ctx, addrs, t.Port)
	res.TCPMillis = ms(time.Since(start))
	if err != nil {
		res.Outcome, res.Step, res.Error = classifyConnect(ctx, err, timeout)
		return res
	}
	defer conn.Close()
	res.Address = conn.RemoteAddr().String()
	if t.Protocol != ProtoTLS {
		res.Outcome = OutcomeOK
		return res
	}
	return e.handshake(ctx, conn, t, res, timeout)
}

// dialFirst connects to the first address; when that is actively refused or
// unreachable it tries the next (a filtered address uses up the deadline, so
// trying further ones would only report the same thing later).
func (e *Env) dialFirst(ctx context.Context, addrs []string, port int) (net.Conn, error) {
	var firstErr error
	for _, a := range addrs {
		conn, err := e.Dialer.DialContext(ctx, "tcp", joinHostPort(a, port))
		if err == nil {
			return conn, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil || isTimeout(err) {
			break
		}
	}
	return nil, firstErr
}

func (e *Env) handshake(ctx context.Context, conn net.Conn, t Target, res ProbeResult, timeout time.Duration) ProbeResult {
	info := &TLSInfo{}
	cfg := &tls.Config{
		ServerName: t.Host,
		MinVersion: tls.VersionTLS12,
		// Verification is not skipped: VerifyConnection below verifies the
		// chain and the name exactly as the default would, and also records
		// what was presented, which net.tls-inspection needs even when
		// verification fails.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			describeChain(info, cs)
			err := verifyChain(cs, t.Host, e.RootCAs, e.now())
			info.Verified = err == nil
			if err != nil {
				info.VerifyError = err.Error()
			}
			return err
		},
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	start := time.Now()
	tc := tls.Client(conn, cfg)
	err := tc.HandshakeContext(ctx)
	res.TLSMillis = ms(time.Since(start))
	if info.Subject != "" {
		res.TLS = info
	}
	if err != nil {
		res.Outcome, res.Step, res.Error = classifyTLS(ctx, err, timeout)
		return res
	}
	res.Outcome = OutcomeOK
	return res
}

func describeChain(info *TLSInfo, cs tls.ConnectionState) {
	info.Version = tls.VersionName(cs.Version)
	if len(cs.PeerCertificates) == 0 {
		return
	}
	leaf := cs.PeerCertificates[0]
	last := cs.PeerCertificates[len(cs.PeerCertificates)-1]
	info.Subject = leaf.Subject.String()
	info.Issuer = leaf.Issuer.String()
	info.IssuerOrg = strings.Join(leaf.Issuer.Organization, ", ")
	info.RootIssuer = last.Issuer.String()
	info.RootOrg = strings.Join(last.Issuer.Organization, ", ")
	info.NotAfter = leaf.NotAfter.UTC().Format(time.RFC3339)
	info.DNSNames = leaf.DNSNames
	info.Chain = nil
	for _, c := range cs.PeerCertificates {
		info.Chain = append(info.Chain, c.Subject.String())
	}
}

// verifyChain does what crypto/tls does by default (chain to a root, host
// name, validity) with an injectable clock.
func verifyChain(cs tls.ConnectionState, host string, roots *x509.CertPool, now time.Time) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("the server presented no certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, DNSName: host, CurrentTime: now,
	})
	return err
}

// resolve looks host up through miekg/dns, once per run.
func (e *Env) resolve(ctx context.Context, host string) ([]string, string, time.Duration, error) {
	if ip := net.ParseIP(host); ip != nil {
		return []string{ip.String()}, OutcomeOK, 0, nil
	}
	a, ok := e.cache().dns.do(ctx, strings.ToLower(host), func() dnsAnswer {
		start := time.Now()
		addrs, outcome, err := e.lookup(ctx, host)
		return dnsAnswer{addrs, outcome, time.Since(start), err}
	})
	if ok {
		return a.addrs, a.outcome, a.took, a.err
	}
	// Another probe is still resolving this name.
	if o, _, m := deadlineOutcome(ctx, "dns", 0); o != "" {
		return nil, o, 0, fmt.Errorf("resolve %s: %s", host, m)
	}
	return nil, OutcomeDNSTimeout, 0, fmt.Errorf("resolve %s: no answer in time", host)
}

// lookup asks the resolvers for A records (then AAAA when there are none),
// following the CNAME chain the recursive resolver returns.
func (e *Env) lookup(ctx context.Context, host string) ([]string, string, error) {
	servers := e.DNSServers
	if len(servers) == 0 {
		var err error
		servers, err = SystemDNSServers()
		if err != nil || len(servers) == 0 {
			return nil, OutcomeDNSError, fmt.Errorf("resolve %s: no DNS servers configured (%v); pass --dns-server HOST:PORT", host, err)
		}
	}
	addrs, outcome, err := e.query(ctx, servers, host, dns.TypeA)
	if err == nil && len(addrs) == 0 {
		addrs, outcome, err = e.query(ctx, servers, host, dns.TypeAAAA)
		if err == nil && len(addrs) == 0 {
			return nil, OutcomeDNSNoData, fmt.Errorf("resolve %s: the name exists but has no A or AAAA record", host)
		}
	}
	return addrs, outcome, err
}

// query asks each server in turn, giving each an equal share of the time
// left, and returns the first definitive answer.
func (e *Env) query(ctx context.Context, servers []string, host string, qtype uint16) ([]string, string, error) {
	var firstOutcome string
	var firstErr error
	for i, server := range servers {
		actx, cancel := ctx, context.CancelFunc(func() {})
		if dl, ok := ctx.Deadline(); ok {
			share := time.Until(dl) / time.Duration(len(servers)-i)
			actx, cancel = context.WithTimeout(ctx, share)
		}
		addrs, outcome, err := e.queryOne(actx, server, host, qtype)
		cancel()
		if err == nil || outcome == OutcomeNXDomain || outcome == OutcomeCancelled {
			return addrs, outcome, err
		}
		if firstErr == nil {
			firstOutcome, firstErr = outcome, err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, firstOutcome, firstErr
}

func (e *Env) queryOne(ctx context.Context, server, host string, qtype uint16) ([]string, string, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(host), qtype)
	m.RecursionDesired = true
	resp, err := e.exchange(ctx, m, server)
	if err == nil && resp.Truncated {
		// Retry over TCP with the same deadline.
		resp, err = e.exchangeTCP(ctx, m, server)
	}
	what := fmt.Sprintf("resolve %s (%s) via %s", host, dns.TypeToString[qtype], server)
	if err != nil {
		if o, _, m := deadlineOutcome(ctx, "dns", 0); o != "" {
			return nil, o, fmt.Errorf("%s: %s", what, m)
		}
		switch {
		case isTimeout(err) || ctx.Err() != nil:
			return nil, OutcomeDNSTimeout, fmt.Errorf("%s: no answer in time", what)
		case errors.Is(err, syscall.ECONNREFUSED) || isErrno(err, errnoRefused):
			return nil, OutcomeDNSTimeout, fmt.Errorf("%s: the DNS server is not listening (port unreachable)", what)
		case isLocalBlock(err):
			return nil, OutcomeBlockedLocal, fmt.Errorf("%s: this host refused to send the query: a local firewall rule blocks DNS", what)
		}
		return nil, OutcomeDNSError, fmt.Errorf("%s: %v", what, err)
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
	var addrs []string
	for _, rr := range resp.Answer {
		switch rr := rr.(type) {
		case *dns.A:
			addrs = append(addrs, rr.A.String())
		case *dns.AAAA:
			addrs = append(addrs, rr.AAAA.String())
		}
	}
	return addrs, OutcomeOK, nil
}

// exchange runs one query and returns as soon as ctx ends, even if the
// exchanger only honours deadlines (miekg/dns does not watch cancellation).
func (e *Env) exchange(ctx context.Context, m *dns.Msg, server string) (*dns.Msg, error) {
	type answer struct {
		m   *dns.Msg
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		r, _, err := e.DNS.ExchangeContext(ctx, m, server)
		ch <- answer{r, err}
	}()
	select {
	case a := <-ch:
		return a.m, a.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (e *Env) exchangeTCP(ctx context.Context, m *dns.Msg, server string) (*dns.Msg, error) {
	if c, ok := e.DNS.(*dns.Client); ok {
		tcp := *c
		tcp.Net = "tcp"
		r, _, err := tcp.ExchangeContext(ctx, m, server)
		return r, err
	}
	return e.exchange(ctx, m, server)
}

// proxyFor returns the proxy for a target, or nil for direct.
func (e *Env) proxyFor(t Target) (*url.URL, error) {
	if e.Proxy == nil {
		return nil, nil
	}
	scheme := "https"
	if t.Protocol == ProtoHTTP {
		scheme = "http"
	}
	return e.Proxy(&url.URL{Scheme: scheme, Host: t.Addr()})
}

// probeViaProxy connects to the proxy and asks it for the target: CONNECT for
// TLS and TCP targets, a plain HTTP request for HTTP targets. DNS for the
// target is the proxy's business; the DNS step covers the proxy's own name.
func (e *Env) probeViaProxy(ctx context.Context, t Target, proxy *url.URL, timeout time.Duration) ProbeResult {
	res := ProbeResult{Target: t, Path: "proxy " + proxy.Redacted()}
	port := proxy.Port()
	if port == "" {
		port = "80"
		if proxy.Scheme == "https" {
			port = "443"
		}
	}
	p, _ := strconv.Atoi(port)
	addrs, outcome, took, err := e.resolve(ctx, proxy.Hostname())
	res.DNSMillis = ms(took)
	res.Addresses = addrs
	if err != nil {
		res.Outcome, res.Step, res.Error = outcome, "dns", "proxy: "+err.Error()
		return res
	}
	start := time.Now()
	conn, err := e.dialFirst(ctx, addrs, p)
	res.TCPMillis = ms(time.Since(start))
	if err != nil {
		o, _, msg := classifyConnect(ctx, err, timeout)
		res.Outcome, res.Step, res.Error = o, "proxy", "connect to proxy "+proxy.Host+": "+msg
		return res
	}
	defer conn.Close()
	res.Address = conn.RemoteAddr().String()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	var req string
	if t.Protocol == ProtoHTTP {
		req = fmt.Sprintf("HEAD http://%s/ HTTP/1.1\r\nHost: %s\r\nUser-Agent: ptacheck\r\nConnection: close\r\n\r\n", t.Addr(), t.Host)
	} else {
		req = fmt.Sprintf("CONNECT %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: ptacheck\r\n\r\n", t.Addr(), t.Addr())
	}
	if _, err := io.WriteString(conn, req); err != nil {
		res.Outcome, res.Step, res.Error = proxyIOError(ctx, err, timeout)
		return res
	}
	br := bufio.NewReader(conn)
	method := http.MethodConnect
	if t.Protocol == ProtoHTTP {
		method = http.MethodHead
	}
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		res.Outcome, res.Step, res.Error = proxyIOError(ctx, err, timeout)
		return res
	}
	resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusProxyAuthRequired:
		res.Outcome, res.Step = OutcomeProxyAuthRequired, "proxy"
		res.Error = fmt.Sprintf("proxy %s answered %s: the proxy requires authentication, which the agent cannot do", proxy.Host, resp.Status)
		return res
	case resp.StatusCode == http.StatusForbidden:
		res.Outcome, res.Step = OutcomeProxyDenied, "proxy"
		res.Error = fmt.Sprintf("proxy %s answered %s: it does not allow %s", proxy.Host, resp.Status, t.Addr())
		return res
	case resp.StatusCode == http.StatusBadGateway, resp.StatusCode == http.StatusServiceUnavailable, resp.StatusCode == http.StatusGatewayTimeout:
		res.Outcome, res.Step = OutcomeProxyBadGateway, "proxy"
		res.Error = fmt.Sprintf("proxy %s answered %s: it could not reach %s", proxy.Host, resp.Status, t.Addr())
		return res
	case t.Protocol == ProtoHTTP:
		res.Outcome = OutcomeOK // the origin answered through the proxy
		return res
	case resp.StatusCode/100 != 2:
		res.Outcome, res.Step = OutcomeProxyError, "proxy"
		res.Error = fmt.Sprintf("proxy %s answered %s to CONNECT %s", proxy.Host, resp.Status, t.Addr())
		return res
	}
	if t.Protocol != ProtoTLS {
		res.Outcome = OutcomeOK
		return res
	}
	return e.handshake(ctx, &bufferedConn{Conn: conn, r: br}, t, res, timeout)
}

// bufferedConn keeps bytes the proxy-response reader may have read ahead.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (b *bufferedConn) Read(p []byte) (int, error) { return b.r.Read(p) }

func proxyIOError(ctx context.Context, err error, timeout time.Duration) (string, string, string) {
	if ctx.Err() != nil || isTimeout(err) {
		if o, s, m := deadlineOutcome(ctx, "proxy", timeout); o != "" {
			return o, s, m
		}
		return OutcomeProxyError, "proxy", fmt.Sprintf("the proxy did not answer within %s", timeout)
	}
	return OutcomeProxyError, "proxy", "the proxy broke the exchange: " + err.Error()
}

// deadlineOutcome reports a cancelled run (as opposed to a probe timeout).
func deadlineOutcome(ctx context.Context, step string, timeout time.Duration) (string, string, string) {
	if ctx.Err() == nil {
		return "", "", ""
	}
	cause := context.Cause(ctx)
	if errors.Is(cause, context.DeadlineExceeded) {
		return "", "", "" // the probe's own timeout
	}
	return OutcomeCancelled, step, stopReason(ctx)
}

// classifyConnect names a TCP connect failure.
func classifyConnect(ctx context.Context, err error, timeout time.Duration) (outcome, step, msg string) {
	if o, s, m := deadlineOutcome(ctx, "tcp", timeout); o != "" {
		return o, s, m
	}
	switch {
	case isTimeout(err) || ctx.Err() != nil:
		return OutcomeFiltered, "tcp", fmt.Sprintf("no answer to the connection attempt within %s: packets are dropped (filtered by a firewall)", timeout)
	case errors.Is(err, syscall.ECONNREFUSED) || isErrno(err, errnoRefused):
		return OutcomeRefused, "tcp", "connection refused: a firewall rejected it, or nothing listens on the port"
	case errors.Is(err, syscall.ECONNRESET) || isErrno(err, errnoReset):
		return OutcomeReset, "tcp", "connection reset during connect"
	case isLocalBlock(err):
		return OutcomeBlockedLocal, "tcp", "this host refused to send: a local firewall rule blocks the connection"
	case errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) || isErrno(err, errnoUnreachable):
		return OutcomeUnreachable, "tcp", "no route to the host (ICMP unreachable, or no route configured): " + rootCause(err)
	}
	return OutcomeTCPError, "tcp", rootCause(err)
}

// classifyTLS names a TLS handshake failure.
func classifyTLS(ctx context.Context, err error, timeout time.Duration) (outcome, step, msg string) {
	if o, s, m := deadlineOutcome(ctx, "tls", timeout); o != "" {
		return o, s, m
	}
	var unknown x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var alert tls.AlertError
	switch {
	case errors.As(err, &unknown):
		return OutcomeTLSUntrusted, "tls", "certificate signed by an untrusted authority: " + issuerOf(unknown.Cert)
	case errors.As(err, &hostErr):
		return OutcomeTLSNameMismatch, "tls", hostErr.Error()
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return OutcomeTLSExpired, "tls", invalid.Error()
	case errors.As(err, &invalid):
		return OutcomeTLSInvalid, "tls", invalid.Error()
	case isTimeout(err) || ctx.Err() != nil:
		return OutcomeTLSTimeout, "tls", fmt.Sprintf("connected, but the TLS handshake got no answer within %s (a proxy or firewall holding the connection)", timeout)
	case errors.Is(err, syscall.ECONNRESET) || isErrno(err, errnoReset):
		return OutcomeReset, "tls", "connection reset during the TLS handshake (often a firewall filtering by server name)"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return OutcomeTLSHandshake, "tls", "the server closed the connection during the TLS handshake (often a firewall filtering by server name)"
	case errors.As(err, &alert):
		return OutcomeTLSHandshake, "tls", "TLS handshake failed: " + err.Error()
	}
	return OutcomeTLSHandshake, "tls", "TLS handshake failed: " + rootCause(err)
}

func issuerOf(c *x509.Certificate) string {
	if c == nil {
		return "unknown issuer"
	}
	return fmt.Sprintf("issuer %q", c.Issuer.String())
}

// isLocalBlock: the local stack refused to send (Linux netfilter OUTPUT DROP
// gives EPERM; Windows Firewall gives WSAEACCES).
func isLocalBlock(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) || isErrno(err, errnoAccess)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// isErrno matches platform error numbers that syscall's constants miss (the
// WSA codes on Windows).
func isErrno(err error, set []syscall.Errno) bool {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return false
	}
	for _, e := range set {
		if errno == e {
			return true
		}
	}
	return false
}

// rootCause strips the "dial tcp 1.2.3.4:443: connect:" prefixes.
func rootCause(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}
