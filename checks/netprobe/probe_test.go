package netprobe

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
// and TLS listeners, proxy) and a Client pointed at it.
func startNetwork(t *testing.T, n *fixtures.Network) (*Client, *fixtures.Running) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r, err := fixtures.Start(ctx, n, t.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); r.Close() })
	cfg := Config{Dialer: r.Dialer, Servers: []string{r.DNSServer}, RootCAs: r.RootCAs}
	if r.ProxyURL != "" {
		u, err := ParseProxyURL(r.ProxyURL)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Proxy = Fixed(u, "test")
	}
	return New(cfg), r
}

func tlsTarget(host string) Target {
	return Target{Host: host, Port: 443, Protocol: ProtoTLS}
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
	results := env.ProbeAll(context.Background(), targets, 500*time.Millisecond)
	for i, tc := range tests {
		r := results[i]
		if r.Outcome != tc.outcome || r.Step != tc.step || !strings.Contains(r.Error, tc.want) {
			t.Errorf("%s: outcome %s step %q error %q; want %s step %q containing %q", tc.target.Addr(), r.Outcome, r.Step, r.Error, tc.outcome, tc.step, tc.want)
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
			res := env.ProbeAll(context.Background(), []Target{tc.target}, time.Second)[0]
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
	c := New(Config{Servers: []string{"127.0.0.1:1"}, Proxy: Fixed(u, "test")})
	res := c.ProbeAll(context.Background(), []Target{tlsTarget("login.microsoftonline.com")}, time.Second)[0]
	if res.Outcome != OutcomeProxyError || res.Step != "proxy" || !strings.Contains(res.Error, "connect to proxy") || !strings.Contains(res.Error, "refused") {
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
	time.AfterFunc(100*time.Millisecond, func() { cancel(errors.New("the run was interrupted")) })
	done := make(chan []Result)
	go func() { done <- env.ProbeAll(ctx, targets, time.Hour) }()
	select {
	case results := <-done:
		for i, r := range results {
			if r.Outcome != OutcomeCancelled || !strings.Contains(r.Error, "interrupted") {
				t.Fatalf("%s: %s %s, want cancelled", targets[i].Addr(), r.Outcome, r.Error)
			}
		}
	case <-time.After(30 * time.Second):
		t.Fatal("cancelling did not stop the probes")
	}
}

func TestProbeCachesPerEndpointAndName(t *testing.T) {
	var queries, dials atomic.Int32
	env := New(Config{
		DNS:     countingDNS{n: &queries, addr: "127.0.0.1"},
		Servers: []string{"192.0.2.53:53"},
		Dialer:  countingDialer{n: &dials},
	})
	tg := []Target{{Host: "a.test", Port: 1, Protocol: ProtoTCP}, {Host: "a.test", Port: 1, Protocol: ProtoTCP}, {Host: "a.test", Port: 2, Protocol: ProtoTCP}}
	env.ProbeAll(context.Background(), tg, time.Second)
	env.ProbeAll(context.Background(), tg, time.Second)
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
	env := New(Config{Servers: []string{server}})
	for _, tc := range []struct {
		host, outcome, addr string
	}{
		{"refused.test", OutcomeDNSRefused, ""},
		{"nodata.test", OutcomeDNSNoData, ""},
		{"cname.test", OutcomeOK, "127.0.0.9"},
		{"v6only.test", OutcomeOK, "::1"},
		{"big.test", OutcomeOK, "127.0.0.10"},
	} {
		a, cancel := begin(context.Background(), 2*time.Second)
		ans := env.resolve(a, tc.host, true)
		cancel()
		addrs, outcome, err := ans.Addrs, ans.Outcome, ans.Err
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
	env := New(Config{Servers: []string{silent, good}})
	addrs, err := env.LookupHost(context.Background(), "x.test", 2*time.Second)
	outcome := OutcomeOK
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
		a, cancel := begin(ctx, time.Second)
		if got, _ := a.classifyConnect(tc.err); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.err, got, tc.want)
		}
		cancel()
	}
	cctx, cancel := context.WithCancelCause(ctx)
	cancel(errors.New("the run was interrupted"))
	a, cancel2 := begin(cctx, time.Second)
	defer cancel2()
	if got, msg := a.classifyConnect(errors.New("operation was canceled")); got != OutcomeCancelled || !strings.Contains(msg, "interrupted") {
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

	p, err := FromWinHTTP("http=p1:80;https=p2:8443", "<local>;*.contoso.test", "winhttp")
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
		got, _ := p.Func(u)
		if (got == nil && want != "") || (got != nil && got.String() != want) {
			t.Errorf("%s -> %v, want %q", target, got, want)
		}
	}
	if p, err := FromWinHTTP("", "", "winhttp"); p != nil || err != nil {
		t.Errorf("an empty WinHTTP setting gave a proxy")
	}

	env := map[string]string{"HTTPS_PROXY": "http://envproxy:3128", "NO_PROXY": "nope.test"}
	pp := FromEnvironment(func(k string) string { return env[k] })
	if pp == nil || pp.Func == nil || !strings.Contains(pp.Source, "HTTPS_PROXY") {
		t.Fatalf("env proxy: %+v", pp)
	}
	u, _ := url.Parse("https://login.microsoftonline.com:443")
	if got, _ := pp.Func(u); got == nil || got.Host != "envproxy:3128" {
		t.Errorf("env proxy for login: %v", got)
	}
	u, _ = url.Parse("https://nope.test:443")
	if got, _ := pp.Func(u); got != nil {
		t.Errorf("NO_PROXY ignored: %v", got)
	}
}

func TestNormalizeDNSServer(t *testing.T) {
	for in, want := range map[string]string{"127.0.0.1": "127.0.0.1:53", "127.0.0.1:5353": "127.0.0.1:5353", "::1": "[::1]:53", "[::1]:53": "[::1]:53", "dns.test": "dns.test:53"} {
		if got, err := NormalizeDNSServer(in); err != nil || got != want {
			t.Errorf("%s: %s %v", in, got, err)
		}
	}
	for _, in := range []string{"", ":53", "a b", "999.1.1.1", "10.0.0.1:99999", "10.0.0.1:x", "-bad-.test"} {
		if _, err := NormalizeDNSServer(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

// truncatingDNS answers every query with a truncated, empty message.
type truncatingDNS struct{ n *atomic.Int32 }

func (c truncatingDNS) ExchangeContext(_ context.Context, m *dns.Msg, _ string) (*dns.Msg, time.Duration, error) {
	c.n.Add(1)
	r := new(dns.Msg)
	r.SetReply(m)
	r.Truncated = true
	return r, 0, nil
}

// A fake exchanger that truncates still gets the TCP retry: the fallback is a
// seam of its own, not a type assertion on *dns.Client.
func TestTruncatedAnswerFallsBackToTCPWithFakes(t *testing.T) {
	var udp, tcp atomic.Int32
	c := New(Config{
		Servers: []string{"192.0.2.53:53"},
		DNS:     truncatingDNS{n: &udp},
		DNSTCP:  countingDNS{n: &tcp, addr: "127.0.0.42"},
	})
	addrs, err := c.LookupHost(context.Background(), "big.test", time.Second)
	if err != nil || len(addrs) != 1 || addrs[0] != "127.0.0.42" {
		t.Fatalf("addrs %v err %v", addrs, err)
	}
	if udp.Load() != 1 || tcp.Load() != 1 {
		t.Errorf("udp %d tcp %d queries, want 1 and 1", udp.Load(), tcp.Load())
	}
}

// Only records on the resolution chain count: an A record owned by an
// unrelated name (a poisoned or confused answer) is ignored.
func TestResolveIgnoresRecordsOffTheChain(t *testing.T) {
	server := dnsServer(t, func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		if req.Question[0].Qtype == dns.TypeA {
			m.Answer = append(m.Answer,
				&dns.A{Hdr: dns.RR_Header{Name: "evil.test.", Rrtype: dns.TypeA, Class: dns.ClassINET}, A: net.ParseIP("127.0.0.66")},
				&dns.CNAME{Hdr: dns.RR_Header{Name: "other.test.", Rrtype: dns.TypeCNAME, Class: dns.ClassINET}, Target: "evil.test."})
		}
		w.WriteMsg(m)
	})
	c := New(Config{Servers: []string{server}})
	addrs, err := c.LookupHost(context.Background(), "victim.test", 2*time.Second)
	if len(addrs) != 0 || err == nil || !strings.Contains(err.Error(), "no A or AAAA record") {
		t.Fatalf("addrs %v err %v: an off-chain record was accepted", addrs, err)
	}
}

func TestLookupSRV(t *testing.T) {
	server := dnsServer(t, func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		q := req.Question[0]
		if q.Qtype == dns.TypeSRV && q.Name == "_ldap._tcp.dc._msdcs.corp.test." {
			m.Answer = append(m.Answer,
				&dns.SRV{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeSRV, Class: dns.ClassINET}, Priority: 0, Weight: 100, Port: 389, Target: "dc1.corp.test."},
				&dns.SRV{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeSRV, Class: dns.ClassINET}, Priority: 10, Weight: 50, Port: 389, Target: "dc2.corp.test."})
		} else {
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})
	c := New(Config{Servers: []string{server}})
	srvs, outcome, err := c.LookupSRV(context.Background(), "_ldap._tcp.dc._msdcs.corp.test", time.Second)
	if err != nil || outcome != OutcomeOK || len(srvs) != 2 || srvs[0].Target != "dc1.corp.test." || srvs[1].Priority != 10 {
		t.Fatalf("%v %s %v", srvs, outcome, err)
	}
	if _, outcome, err := c.LookupSRV(context.Background(), "_ldap._tcp.dc._msdcs.gone.test", time.Second); err == nil || outcome != OutcomeNXDomain {
		t.Errorf("missing SRV: %s %v", outcome, err)
	}
}
