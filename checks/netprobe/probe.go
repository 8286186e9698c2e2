package netprobe

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
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ptacheck/ptacheck/util/bufconn"
)

// Result is what one probe found. Timings are milliseconds.
type Result struct {
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
	// Resolved says how the name connected to (the endpoint's, or the
	// proxy's when the probe went through one) was resolved: ResolvedSystem
	// or ResolvedDNSServer; empty for an IP address. Source is SourceHosts
	// when the hosts file (HostsFile) gave the address; DNSAddresses or
	// DNSError then say what DNS answers for the same name.
	Resolved     string   `json:"resolved,omitempty"`
	Source       string   `json:"source,omitempty"`
	HostsFile    string   `json:"hosts_file,omitempty"`
	DNSAddresses []string `json:"dns_addresses,omitempty"`
	DNSError     string   `json:"dns_error,omitempty"`
	// ProxyStatus is the proxy's HTTP status code for CONNECT (or HEAD),
	// when it answered.
	ProxyStatus int `json:"proxy_status,omitempty"`
	// Proxy is the proxy the probe went through (display form, no
	// credentials), empty when direct.
	Proxy string `json:"-"`
	// DNSServer is the DNS server whose answer decided a failure at the
	// dns step, when one was asked directly (the error names it too).
	DNSServer string `json:"-"`
}

// OK reports whether the probe succeeded.
func (r Result) OK() bool { return r.Outcome == OutcomeOK }

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

// ProbeAll probes every target concurrently (bounded by ProbeSlots), each
// under its own timeout inside ctx, through the client's proxy setting.
// Results are in target order.
func (c *Client) ProbeAll(ctx context.Context, targets []Target, timeout time.Duration) []Result {
	return c.probeAll(ctx, targets, timeout, false)
}

// ProbeAllDirect is ProbeAll without the proxy, for internal services the
// agent reaches directly (domain controllers).
func (c *Client) ProbeAllDirect(ctx context.Context, targets []Target, timeout time.Duration) []Result {
	return c.probeAll(ctx, targets, timeout, true)
}

// ProbePortsDirect probes hosts[i]:ports[i] over TCP, direct, and returns
// each probe's outcome and error, in order: the ports of domain controllers,
// for a caller that knows no Target.
func (c *Client) ProbePortsDirect(ctx context.Context, hosts []string, ports []int, timeout time.Duration) (outcomes, errs []string) {
	targets := make([]Target, len(hosts))
	for i := range hosts {
		targets[i] = Target{Host: hosts[i], Port: ports[i], Protocol: ProtoTCP}
	}
	for _, r := range c.ProbeAllDirect(ctx, targets, timeout) {
		outcomes, errs = append(outcomes, r.Outcome), append(errs, r.Error)
	}
	return outcomes, errs
}

func (c *Client) probeAll(ctx context.Context, targets []Target, timeout time.Duration, direct bool) []Result {
	out := make([]Result, len(targets))
	sem := make(chan struct{}, probeSlots)
	var wg sync.WaitGroup
	// A slot is taken before the probe's goroutine starts: a long list of
	// targets waits in this loop, not as one parked goroutine per target
	// (200,000 of those held nearly 1 GB).
	for i, t := range targets {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			for j := i; j < len(targets); j++ {
				out[j] = cancelled("not started", ctx)
			}
			wg.Wait()
			return out
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i] = c.probe(ctx, t, timeout, direct)
		}()
	}
	wg.Wait()
	return out
}

func cancelled(step string, ctx context.Context) Result {
	msg := "cut off before the probe started"
	if cause := context.Cause(ctx); cause != nil {
		msg += ": " + cause.Error()
	}
	return Result{Outcome: OutcomeCancelled, Step: step, Error: msg}
}

// Probe returns the result for t, probing it once per Client.
func (c *Client) Probe(ctx context.Context, t Target, timeout time.Duration) Result {
	return c.probe(ctx, t, timeout, false)
}

func (c *Client) probe(ctx context.Context, t Target, timeout time.Duration, direct bool) Result {
	key := t.Addr() + "/" + t.Protocol
	if direct {
		key += "/direct"
	}
	r, ok := c.probes.do(ctx, key, func() Result {
		r := c.probeOnce(ctx, t, timeout, direct)
		c.logf("probe %s (%s): %s%s [dns %.1fms tcp %.1fms tls %.1fms]%s %s", t.Addr(), r.Path, r.Outcome, stepSuffix(r.Step), r.DNSMillis, r.TCPMillis, r.TLSMillis, resolution(r), r.Error)
		return r
	})
	if !ok {
		return cancelled("waiting", ctx)
	}
	return r
}

// resolution describes how a probe's name resolved, for the verbose log.
func resolution(r Result) string {
	if r.Resolved == "" {
		return ""
	}
	s := " [resolved: " + r.Resolved
	if r.Source == SourceHosts {
		s += ", from the hosts file " + r.HostsFile
		switch {
		case len(r.DNSAddresses) > 0:
			s += "; DNS answers " + strings.Join(r.DNSAddresses, ", ")
		case r.DNSError != "":
			s += "; DNS: " + r.DNSError
		}
	}
	return s + "]"
}

func stepSuffix(step string) string {
	if step == "" {
		return ""
	}
	return " at " + step
}

// probeOnce runs DNS, TCP and (for TLS targets) the TLS handshake, directly
// or through the proxy.
func (c *Client) probeOnce(parent context.Context, t Target, timeout time.Duration, direct bool) Result {
	a, cancel := begin(parent, timeout)
	defer cancel()
	var ans Answer
	res := c.probeSteps(a, t, direct, &ans)
	if ans.dns != nil {
		res.DNSAddresses, res.DNSError = ans.dns.wait()
	}
	return res
}

// setResolution records how the name connected to was resolved.
func (r *Result) setResolution(ans Answer) {
	r.Resolved, r.Source, r.HostsFile = ans.Resolved, ans.Source, ans.HostsFile
}

// probeSteps runs the probe's steps; ans receives the name's resolution.
func (c *Client) probeSteps(a *attempt, t Target, direct bool, ans *Answer) Result {
	res := Result{Path: "direct"}
	var proxyURL *url.URL
	if !direct {
		var err error
		if proxyURL, err = c.proxy.For(t); err != nil {
			res.Outcome, res.Step, res.Error = OutcomeProxyError, StepProxy, err.Error()
			return res
		}
	}
	if proxyURL != nil {
		return c.probeViaProxy(a, t, proxyURL, ans)
	}
	*ans = c.resolve(a, t.Host, true)
	res.setResolution(*ans)
	res.DNSMillis = ms(ans.Took)
	res.Addresses = ans.Addrs
	if ans.Err != nil {
		res.Outcome, res.Step, res.Error, res.DNSServer = ans.Outcome, StepDNS, ans.Err.Error(), ans.Server
		return res
	}
	start := time.Now()
	conn, err := c.dialFirst(a.ctx, ans.Addrs, t.Port)
	res.TCPMillis = ms(time.Since(start))
	if err != nil {
		res.Step = StepTCP
		res.Outcome, res.Error = a.classifyConnect(err)
		return res
	}
	defer conn.Close()
	res.Address = conn.RemoteAddr().String()
	if t.Protocol != ProtoTLS {
		res.Outcome = OutcomeOK
		return res
	}
	return c.handshake(a, conn, t, res)
}

// dialFirst connects to the first address; when that is actively refused or
// unreachable it tries the next (a filtered address uses up the deadline, so
// trying further ones would only report the same thing later).
func (c *Client) dialFirst(ctx context.Context, addrs []string, port int) (net.Conn, error) {
	var firstErr error
	for _, addr := range addrs {
		conn, err := c.dialer.DialContext(ctx, "tcp", net.JoinHostPort(addr, strconv.Itoa(port)))
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

func (c *Client) handshake(a *attempt, conn net.Conn, t Target, res Result) Result {
	info := &TLSInfo{}
	cfg := &tls.Config{
		ServerName: t.Host,
		MinVersion: tls.VersionTLS12,
		// Verification is not skipped: VerifyConnection below verifies the
		// chain and the name exactly as the default would, with the
		// client's clock, and also records what was presented, which
		// net.tls-inspection needs even when verification fails.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			describeChain(info, cs)
			err := verifyChain(cs, t.Host, c.roots, c.now())
			info.Verified = err == nil
			if err != nil {
				info.VerifyError = err.Error()
			}
			return err
		},
	}
	if dl, ok := a.ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	start := time.Now()
	err := tls.Client(conn, cfg).HandshakeContext(a.ctx)
	res.TLSMillis = ms(time.Since(start))
	if info.Subject != "" {
		res.TLS = info
	}
	if err != nil {
		res.Step = StepTLS
		res.Outcome, res.Error = a.classifyTLS(err)
		if res.Outcome != OutcomeCancelled && res.Proxy != "" && (res.Outcome == OutcomeReset || res.Outcome == OutcomeTLSHandshake) {
			res.Error += " (through proxy " + res.Proxy + ": the proxy or a firewall behind it ended the tunnel)"
		} else if res.Outcome == OutcomeReset || res.Outcome == OutcomeTLSHandshake {
			res.Error += " (often a firewall filtering by server name, or TLS 1.2 blocked)"
		}
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
	for _, cert := range cs.PeerCertificates {
		info.Chain = append(info.Chain, cert.Subject.String())
	}
}

// verifyChain does what crypto/tls does by default (chain to a root, host
// name, validity) with an injectable clock.
func verifyChain(cs tls.ConnectionState, host string, roots *x509.CertPool, now time.Time) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("the server presented no certificate")
	}
	inter := x509.NewCertPool()
	for _, cert := range cs.PeerCertificates[1:] {
		inter.AddCert(cert)
	}
	_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, DNSName: host, CurrentTime: now,
	})
	return err
}

// maxProxyHeader bounds a proxy's answer to CONNECT or HEAD: a proxy that
// streams an endless header line cannot fill memory.
const maxProxyHeader = 64 << 10

var errHeaderTooLarge = fmt.Errorf("its header is larger than %d KiB", maxProxyHeader>>10)

// capReader fails once more than n bytes were read, until lifted.
type capReader struct {
	r      io.Reader
	n      int
	lifted bool
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.lifted {
		return c.r.Read(p)
	}
	if c.n <= 0 {
		return 0, errHeaderTooLarge
	}
	if len(p) > c.n {
		p = p[:c.n]
	}
	n, err := c.r.Read(p)
	c.n -= n
	return n, err
}

// probeViaProxy connects to the proxy and asks it for the target: CONNECT for
// TLS and TCP targets, a HEAD request for HTTP targets. DNS for the target is
// the proxy's business; the DNS step covers the proxy's own name.
func (c *Client) probeViaProxy(a *attempt, t Target, proxy *url.URL, answer *Answer) Result {
	shown := DisplayURL(proxy)
	res := Result{Path: "proxy " + shown, Proxy: shown}
	port := proxy.Port()
	if port == "" {
		port = "80"
	}
	p, _ := strconv.Atoi(port)
	ans := c.resolve(a, proxy.Hostname(), true)
	*answer = ans
	res.setResolution(ans)
	res.DNSMillis = ms(ans.Took)
	res.Addresses = ans.Addrs
	if ans.Err != nil {
		res.Outcome, res.Step, res.Error = ans.Outcome, StepDNS, "proxy "+shown+": "+ans.Err.Error()
		return res
	}
	start := time.Now()
	conn, err := c.dialFirst(a.ctx, ans.Addrs, p)
	res.TCPMillis = ms(time.Since(start))
	if err != nil {
		o, msg := a.classifyConnect(err)
		res.Step, res.Outcome, res.Error = StepProxy, o, "connect to proxy "+shown+": "+msg
		if o != OutcomeCancelled {
			res.Outcome = OutcomeProxyError
		}
		return res
	}
	defer conn.Close()
	res.Address = conn.RemoteAddr().String()
	if dl, ok := a.ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(a.ctx, func() { conn.Close() })
	defer stop()

	req := proxyRequest(t)
	// WriteProxy writes the absolute URI a proxy expects for HEAD; for
	// CONNECT both forms are the authority.
	if err := req.WriteProxy(conn); err != nil {
		res.Step = StepProxy
		res.Outcome, res.Error = a.classifyProxyIO(err)
		return res
	}
	cr := &capReader{r: conn, n: maxProxyHeader}
	br := bufio.NewReader(cr)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		res.Step = StepProxy
		res.Outcome, res.Error = a.classifyProxyIO(err)
		return res
	}
	resp.Body.Close()
	if done := proxyAnswer(&res, resp.StatusCode, t, shown, req.Method); done {
		return res
	}
	cr.lifted = true
	return c.handshake(a, &bufconn.Conn{Conn: conn, R: br}, t, res)
}

// proxyRequest is what a probe asks the proxy: CONNECT to the endpoint, or
// (port 80) HEAD for its root.
func proxyRequest(t Target) *http.Request {
	if t.Protocol == ProtoHTTP {
		return &http.Request{
			Method: http.MethodHead,
			URL:    &url.URL{Scheme: "http", Host: t.Addr(), Path: "/"},
			Host:   t.Host,
			Header: http.Header{"User-Agent": {"ptacheck"}},
			Close:  true,
		}
	}
	return &http.Request{
		Method: http.MethodConnect,
		URL:    &url.URL{Opaque: t.Addr()},
		Host:   t.Addr(),
		Header: http.Header{"User-Agent": {"ptacheck"}},
	}
}

// proxyAnswer classifies the proxy's answer into res; done is false when
// the probe goes on (a CONNECT tunnel to a TLS endpoint: the handshake).
func proxyAnswer(res *Result, code int, t Target, shown, method string) (done bool) {
	res.ProxyStatus = code
	status := fmt.Sprintf("%d %s", code, SanitizeReason(http.StatusText(code)))
	switch {
	case code == http.StatusProxyAuthRequired:
		res.Outcome, res.Step = OutcomeProxyAuthRequired, StepProxy
		res.Error = fmt.Sprintf("proxy %s answered %s: it requires authentication, which the agent cannot do", shown, status)
	case code == http.StatusForbidden:
		res.Outcome, res.Step = OutcomeProxyDenied, StepProxy
		res.Error = fmt.Sprintf("proxy %s answered %s: it does not allow %s", shown, status, t.Addr())
	case code == http.StatusBadGateway, code == http.StatusServiceUnavailable, code == http.StatusGatewayTimeout:
		res.Outcome, res.Step = OutcomeProxyBadGateway, StepProxy
		res.Error = fmt.Sprintf("proxy %s answered %s: it could not reach %s", shown, status, t.Addr())
	case code >= 500:
		res.Outcome, res.Step = OutcomeProxyServerError, StepProxy
		res.Error = fmt.Sprintf("proxy %s answered %s to %s %s", shown, status, method, t.Addr())
	case t.Protocol == ProtoHTTP && code >= 200 && code < 500:
		// An HTTP answer other than the proxy's own refusals (403, 407,
		// 5xx) comes from the endpoint: the path through the proxy is open.
		res.Outcome = OutcomeOK
	case code/100 != 2:
		res.Outcome, res.Step = OutcomeProxyError, StepProxy
		res.Error = fmt.Sprintf("proxy %s answered %s to %s %s", shown, status, method, t.Addr())
	case t.Protocol != ProtoTLS:
		res.Outcome = OutcomeOK
	default:
		return false
	}
	return true
}
