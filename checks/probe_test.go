package checks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/ptacheck/ptacheck/fixtures"
)

// startNetwork starts the fixture network emulation (real DNS server, TCP
// and TLS listeners, proxy) and an Env whose real clients point at it.
func startNetwork(t *testing.T, n *fixtures.Network) (*Env, *fixtures.Running) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r, err := fixtures.Start(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); r.Close() })
	env := &Env{
		Dialer:     r.Dialer,
		DNS:        &dns.Client{Net: "udp", Timeout: time.Minute},
		DNSServers: []string{r.DNSServer},
		RootCAs:    r.RootCAs,
		Now:        time.Now,
	}
	if r.ProxyURL != "" {
		u, err := ParseProxyURL(r.ProxyURL)
		if err != nil {
			t.Fatal(err)
		}
		env.Proxy = FixedProxy(u)
	}
	return env, r
}

func tlsTarget(host string) Target {
	return Target{Host: host, Port: 443, Protocol: ProtoTLS, Level: LevelRequired}
}

func TestProbeOutcomes(t *testing.T) {
	env, _ := startNetwork(t, &fixtures.Network{Rules: []fixtures.Rule{
		{Host: "nx.test", Behaviour: fixtures.NXDomain},
		{Host: "servfail.test", Behaviour: fixtures.ServFail},
		{Host: "silentdns.test", Behaviour: fixtures.DNSTimeout},
		{Host: "refused.test", Behaviour: fixtures.Refuse},
		{Host: "dropped.test", Behaviour: fixtures.Drop},
		{Host: "reset.test", Behaviour: fixtures.Reset},
		{Host: "intercepted.test", Behaviour: fixtures.Intercept},
		{Host: "untrusted.test", Behaviour: fixtures.Untrusted},
		{Host: "wrongname.test", Behaviour: fixtures.WrongName},
		{Host: "expired.test", Behaviour: fixtures.Expired},
		{Host: "silenttls.test", Behaviour: fixtures.TLSSilent},
		{Host: "closetls.test", Behaviour: fixtures.TLSClose},
		{Host: "mixed.test", Ports: []int{443}, Behaviour: fixtures.Drop},
	}})
	tests := []struct {
		target  Target
		outcome string
		step    string
		want    string
	}{
		{tlsTarget("ok.test"), OutcomeOK, "", ""},
		{Target{Host: "ok.test", Port: 80, Protocol: ProtoHTTP}, OutcomeOK, "", ""},
		{tlsTarget("nx.test"), OutcomeNXDomain, "dns", "NXDOMAIN"},
		{tlsTarget("servfail.test"), OutcomeDNSServFail, "dns", "SERVFAIL"},
		{tlsTarget("silentdns.test"), OutcomeDNSTimeout, "dns", "no answer in time"},
		{tlsTarget("refused.test"), OutcomeRefused, "tcp", "refused"},
		{tlsTarget("dropped.test"), OutcomeFiltered, "tcp", "dropped"},
		{tlsTarget("reset.test"), OutcomeReset, "tls", "reset"},
		{tlsTarget("intercepted.test"), OutcomeOK, "", ""}, // trusted by the host: only net.tls-inspection can tell
		{tlsTarget("untrusted.test"), OutcomeTLSUntrusted, "tls", "Unknown Intermediate CA"},
		{tlsTarget("wrongname.test"), OutcomeTLSNameMismatch, "tls", "wrongname.test"},
		{tlsTarget("expired.test"), OutcomeTLSExpired, "tls", "expired"},
		{tlsTarget("silenttls.test"), OutcomeTLSTimeout, "tls", "handshake got no answer"},
		{tlsTarget("closetls.test"), OutcomeTLSHandshake, "tls", "closed the connection"},
		{Target{Host: "mixed.test", Port: 80, Protocol: ProtoHTTP}, OutcomeOK, "", ""},
		{tlsTarget("mixed.test"), OutcomeFiltered, "tcp", ""},
	}
	var targets []Target
	for _, tc := range tests {
		targets = append(targets, tc.target)
	}
	results := ProbeAll(context.Background(), env, targets, 500*time.Millisecond)
	for i, tc := range tests {
		r := results[i]
		if r.Outcome != tc.outcome || r.Step != tc.step || !strings.Contains(r.Error, tc.want) {
			t.Errorf("%s: outcome %s step %q error %q; want %s step %q containing %q", tc.target.Addr(), r.Outcome, r.Step, r.Error, tc.outcome, tc.step, tc.want)
		}
		if r.Addr() != tc.target.Addr() || r.Protocol != tc.target.Protocol {
			t.Errorf("result %d is for %v, want %v (order)", i, r.Target, tc.target)
		}
	}
	ok := results[0]
	if ok.TLS == nil || !ok.TLS.Verified || ok.TLS.IssuerOrg != "Microsoft Corporation" || ok.TLS.RootOrg != "DigiCert Inc" || len(ok.Addresses) != 1 || ok.Address == "" {
		t.Errorf("ok probe evidence: %+v %+v", ok, ok.TLS)
	}
	if u := results[9]; u.TLS == nil || u.TLS.Verified || u.TLS.IssuerOrg != "Unknown Ltd" {
		t.Errorf("untrusted chain not recorded: %+v", u.TLS)
	}
}

func TestProbeThroughProxy(t *testing.T) {
	for _, tc := range []struct {
		mode    string
		target  Target
		outcome string
		want    string
	}{
		{fixtures.ProxyTunnel, tlsTarget("ok.test"), OutcomeOK, ""},
		{fixtures.ProxyTunnel, Target{Host: "ok.test", Port: 80, Protocol: ProtoHTTP}, OutcomeOK, ""},
		{fixtures.ProxyTunnel, tlsTarget("nx.test"), OutcomeProxyBadGateway, "could not reach nx.test:443"},
		{fixtures.ProxyTunnel, tlsTarget("untrusted.test"), OutcomeTLSUntrusted, ""},
		{fixtures.ProxyAuthRequired, tlsTarget("ok.test"), OutcomeProxyAuthRequired, "requires authentication, which the agent cannot do"},
		{fixtures.ProxyAuthRequired, Target{Host: "ok.test", Port: 80, Protocol: ProtoHTTP}, OutcomeProxyAuthRequired, "407"},
		{fixtures.ProxyDeny, tlsTarget("ok.test"), OutcomeProxyDenied, "403"},
	} {
		t.Run(tc.mode+"/"+tc.target.Addr(), func(t *testing.T) {
			env, r := startNetwork(t, &fixtures.Network{
				Proxy: &fixtures.ProxySpec{Mode: tc.mode},
				Rules: []fixtures.Rule{{Host: "nx.test", Behaviour: fixtures.NXDomain}, {Host: "untrusted.test", Behaviour: fixtures.Untrusted}},
			})
			res := ProbeAll(context.Background(), env, []Target{tc.target}, time.Second)[0]
			if res.Outcome != tc.outcome || !strings.Contains(res.Error, tc.want) {
				t.Fatalf("outcome %s (%s), want %s containing %q", res.Outcome, res.Error, tc.outcome, tc.want)
			}
			if !strings.HasPrefix(res.Path, "proxy http://") || !strings.Contains(r.ProxyURL, strings.TrimPrefix(res.Path, "proxy ")) {
				t.Errorf("path = %q, proxy %s", res.Path, r.ProxyURL)
			}
		})
	}
}

func TestProbeProxyUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	u, _ := ParseProxyURL("http://" + addr)
	env := &Env{Dialer: &net.Dialer{}, Proxy: FixedProxy(u)}
	res := ProbeAll(context.Background(), env, []Target{tlsTarget("login.microsoftonline.com")}, time.Second)[0]
	if res.Outcome != OutcomeRefused || res.Step != "proxy" || !strings.Contains(res.Error, "connect to proxy") {
		t.Fatalf("got %+v", res)
	}
}

func TestProbeCancelStopsEverything(t *testing.T) {
	env, _ := startNetwork(t, &fixtures.Network{Default: fixtures.Drop})
	var targets []Target
	for i := range 50 {
		targets = append(targets, tlsTarget(fmt.Sprintf("h%d.test", i)))
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(100*time.Millisecond, func() { cancel(ErrInterrupted) })
	done := make(chan []ProbeResult)
	go func() { done <- ProbeAll(ctx, env, targets, time.Hour) }()
	select {
	case results := <-done:
		for _, r := range results {
			if r.Outcome != OutcomeCancelled || !strings.Contains(r.Error, "interrupted") {
				t.Fatalf("%s: %s %s, want cancelled", r.Addr(), r.Outcome, r.Error)
			}
		}
	case <-time.After(30 * time.Second):
		t.Fatal("cancelling did not stop the probes")
	}
}

func TestProbeCachesPerEndpointAndName(t *testing.T) {
	var queries, dials atomic.Int32
	env := &Env{
		DNS:        countingDNS{n: &queries, addr: "127.0.0.1"},
		DNSServers: []string{"192.0.2.53:53"},
		Dialer:     countingDialer{n: &dials},
	}
	tg := []Target{{Host: "a.test", Port: 1, Protocol: ProtoTCP}, {Host: "a.test", Port: 1, Protocol: ProtoTCP}, {Host: "a.test", Port: 2, Protocol: ProtoTCP}}
	ProbeAll(context.Background(), env, tg, time.Second)
	ProbeAll(context.Background(), env, tg, time.Second)
	if queries.Load() != 1 || dials.Load() != 2 {
		t.Fatalf("queries %d (want 1), dials %d (want 2)", queries.Load(), dials.Load())
	}
}

type countingDNS struct {
	n    *atomic.Int32
	addr string
}

func (c countingDNS) ExchangeContext(_ context.Context, m *dns.Msg, _ string) (*dns.Msg, time.Duration, error) {
	c.n.Add(1)
	r := new(dns.Msg)
	r.SetReply(m)
	r.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: m.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET}, A: net.ParseIP(c.addr)}}
	return r, 0, nil
}

type countingDialer struct{ n *atomic.Int32 }

func (c countingDialer) DialContext(context.Context, string, string) (net.Conn, error) {
	c.n.Add(1)
	return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
}

// dnsServer runs a miekg/dns server on loopback with its own mux.
func dnsServer(t *testing.T, h dns.HandlerFunc) string {
	t.Helper()
	srv, err := fixtures.StartDNS(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv.Addr
}

func TestResolveAnswers(t *testing.T) {
	server := dnsServer(t, func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		q := req.Question[0]
		_, isTCP := w.RemoteAddr().(*net.TCPAddr)
		switch {
		case strings.HasPrefix(q.Name, "refused."):
			m.Rcode = dns.RcodeRefused
		case strings.HasPrefix(q.Name, "nodata."):
		case strings.HasPrefix(q.Name, "cname."):
			m.Answer = append(m.Answer,
				&dns.CNAME{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET}, Target: "target.test."},
				&dns.A{Hdr: dns.RR_Header{Name: "target.test.", Rrtype: dns.TypeA, Class: dns.ClassINET}, A: net.ParseIP("127.0.0.9")})
		case strings.HasPrefix(q.Name, "v6only.") && q.Qtype == dns.TypeAAAA:
			m.Answer = append(m.Answer, &dns.AAAA{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeAAAA, Class: dns.ClassINET}, AAAA: net.ParseIP("::1")})
		case strings.HasPrefix(q.Name, "big.") && !isTCP:
			m.Truncated = true
		case strings.HasPrefix(q.Name, "big."):
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET}, A: net.ParseIP("127.0.0.10")})
		}
		w.WriteMsg(m)
	})
	env := &Env{DNS: &dns.Client{Net: "udp", Timeout: time.Minute}, DNSServers: []string{server}}
	for _, tc := range []struct {
		host, outcome, addr string
	}{
		{"refused.test", OutcomeDNSRefused, ""},
		{"nodata.test", OutcomeDNSNoData, ""},
		{"cname.test", OutcomeOK, "127.0.0.9"},
		{"v6only.test", OutcomeOK, "::1"},
		{"big.test", OutcomeOK, "127.0.0.10"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		addrs, outcome, _, err := env.resolve(ctx, tc.host)
		cancel()
		if outcome != tc.outcome || (tc.addr != "" && (len(addrs) != 1 || addrs[0] != tc.addr)) {
			t.Errorf("%s: %v %s %v", tc.host, addrs, outcome, err)
		}
	}
}

func TestResolveFallsBackToTheNextServer(t *testing.T) {
	good := dnsServer(t, func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: req.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET}, A: net.ParseIP("127.0.0.7")})
		w.WriteMsg(m)
	})
	silent := dnsServer(t, func(dns.ResponseWriter, *dns.Msg) {})
	env := &Env{DNS: &dns.Client{Net: "udp", Timeout: time.Minute}, DNSServers: []string{silent, good}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	addrs, outcome, _, err := env.resolve(ctx, "x.test")
	if err != nil || outcome != OutcomeOK || addrs[0] != "127.0.0.7" {
		t.Fatalf("%v %s %v", addrs, outcome, err)
	}
}

func TestClassifyConnect(t *testing.T) {
	ctx := context.Background()
	op := func(err error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", err)}
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{op(syscall.ECONNREFUSED), OutcomeRefused},
		{op(syscall.ECONNRESET), OutcomeReset},
		{op(syscall.EHOSTUNREACH), OutcomeUnreachable},
		{op(syscall.ENETUNREACH), OutcomeUnreachable},
		{&net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}, OutcomeFiltered},
		{op(syscall.EPERM), OutcomeBlockedLocal},
		{op(syscall.EACCES), OutcomeBlockedLocal},
		{op(syscall.EADDRNOTAVAIL), OutcomeTCPError},
	} {
		if got, _, _ := classifyConnect(ctx, tc.err, time.Second); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.err, got, tc.want)
		}
	}
	cctx, cancel := context.WithCancelCause(ctx)
	cancel(ErrInterrupted)
	if got, _, msg := classifyConnect(cctx, errors.New("operation was canceled"), time.Second); got != OutcomeCancelled || !strings.Contains(msg, "interrupted") {
		t.Errorf("cancelled: %s %s", got, msg)
	}
}

func TestProxySettings(t *testing.T) {
	for in, want := range map[string]string{
		"https://proxy:3128":           "only http://",
		"http://user:hunter2@proxy:80": "credentials",
		"http://":                      "no host",
	} {
		_, err := ParseProxyURL(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", in, err)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("the proxy password leaked into an error: %v", err)
		}
	}
	if u, err := ParseProxyURL("proxy.contoso.test:8080"); err != nil || u.String() != "http://proxy.contoso.test:8080" {
		t.Errorf("bare host:port: %v %v", u, err)
	}

	p, err := ProxyFromWinHTTP(&WinHTTPProxy{Proxy: "http=p1:80;https=p2:8443", Bypass: "<local>;*.contoso.test"})
	if err != nil {
		t.Fatal(err)
	}
	for target, want := range map[string]string{
		"https://login.microsoftonline.com:443": "http://p2:8443",
		"http://crl.microsoft.com:80":           "http://p1:80",
		"https://intranet:443":                  "",
		"https://dc1.contoso.test:443":          "",
	} {
		u, _ := url.Parse(target)
		got, _ := p(u)
		if (got == nil && want != "") || (got != nil && got.String() != want) {
			t.Errorf("%s -> %v, want %q", target, got, want)
		}
	}
	if p, err := ProxyFromWinHTTP(&WinHTTPProxy{Direct: true}); p != nil || err != nil {
		t.Errorf("direct WinHTTP gave a proxy")
	}

	t.Setenv("HTTPS_PROXY", "http://envproxy:3128")
	t.Setenv("NO_PROXY", "nope.test")
	pf, src := ProxyFromEnvironment()
	if pf == nil || !strings.Contains(src, "HTTPS_PROXY") {
		t.Fatalf("env proxy: %v %q", pf, src)
	}
	u, _ := url.Parse("https://login.microsoftonline.com:443")
	if got, _ := pf(u); got == nil || got.Host != "envproxy:3128" {
		t.Errorf("env proxy for login: %v", got)
	}
	u, _ = url.Parse("https://nope.test:443")
	if got, _ := pf(u); got != nil {
		t.Errorf("NO_PROXY ignored: %v", got)
	}
}

func TestNormalizeDNSServer(t *testing.T) {
	for in, want := range map[string]string{"127.0.0.1": "127.0.0.1:53", "127.0.0.1:5353": "127.0.0.1:5353", "::1": "[::1]:53", "[::1]:53": "[::1]:53", "dns.test": "dns.test:53"} {
		if got, err := NormalizeDNSServer(in); err != nil || got != want {
			t.Errorf("%s: %s %v", in, got, err)
		}
	}
	for _, in := range []string{"", ":53", "a b"} {
		if _, err := NormalizeDNSServer(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
