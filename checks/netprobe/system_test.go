package netprobe

import (
	"context"
	"errors"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/ptacheck/ptacheck/util/hostsfile"
)

// goResolver is the Go resolver sending its queries to one loopback DNS
// server: a real system-style resolver (it reads /etc/hosts first, as the
// system does) whose DNS the test controls.
func goResolver(server string) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, server)
	}}
}

// diagnosisDNS answers by the first label: nx -> NXDOMAIN, servfail ->
// SERVFAIL, refused -> REFUSED, silent -> nothing, ok and pinned -> an A
// record, anything else NXDOMAIN.
func diagnosisDNS(t *testing.T) string {
	return dnsServer(t, func(w dns.ResponseWriter, req *dns.Msg) {
		q := req.Question[0]
		m := new(dns.Msg)
		m.SetReply(req)
		switch label, _, _ := strings.Cut(q.Name, "."); label {
		case "silent":
			return
		case "servfail":
			m.Rcode = dns.RcodeServerFailure
		case "refused":
			m.Rcode = dns.RcodeRefused
		case "ok", "pinned":
			if q.Qtype == dns.TypeA {
				m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.ParseIP("127.0.0.5")})
			}
		default:
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})
}

func noHosts() (*hostsfile.File, error) { return hostsfile.Parse("/test/hosts", nil), nil }

// resolveOnce resolves host through c under a probe timeout.
func resolveOnce(c *Client, ctx context.Context, host string, timeout time.Duration) Answer {
	a, cancel := begin(ctx, timeout)
	defer cancel()
	ans := c.resolve(a, host, true)
	ans.dns.wait()
	return ans
}

// A name the system resolver cannot resolve is diagnosed by asking the DNS
// servers directly: the outcome and the message name the server and what
// it said, after what the system resolver said.
func TestSystemLookupFailureIsDiagnosed(t *testing.T) {
	server := diagnosisDNS(t)
	c := New(Config{System: goResolver(server), Servers: []string{server}, HostsFile: noHosts})
	if c.Resolver() != ResolvedSystem {
		t.Fatalf("resolver %s, want system", c.Resolver())
	}
	for _, tc := range []struct {
		host, outcome string
		want          []string
	}{
		{"ok.test", OutcomeOK, nil},
		{"nx.test", OutcomeNXDomain, []string{"resolve nx.test: the system resolver found no such host; asked directly: nx.test (A) via " + server + ": NXDOMAIN"}},
		{"servfail.test", OutcomeDNSServFail, []string{"the system resolver failed", "servfail.test (A) via " + server + ": SERVFAIL"}},
		{"refused.test", OutcomeDNSRefused, []string{"refused.test (A) via " + server + ": REFUSED"}},
		{"silent.test", OutcomeDNSTimeout, []string{"the system resolver got no answer within", "silent.test (A) via " + server + ": no answer in time"}},
	} {
		start := time.Now()
		ans := resolveOnce(c, context.Background(), tc.host, time.Second)
		took := time.Since(start)
		msg := ""
		if ans.Err != nil {
			msg = ans.Err.Error()
		}
		if ans.Outcome != tc.outcome || ans.Resolved != ResolvedSystem || ans.Source != "" {
			t.Errorf("%s: outcome %s resolved %s source %q (%s), want %s via system", tc.host, ans.Outcome, ans.Resolved, ans.Source, msg, tc.outcome)
		}
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: %q, want it to contain %q", tc.host, msg, w)
			}
		}
		if tc.outcome == OutcomeOK && !slices.Equal(ans.Addrs, []string{"127.0.0.5"}) {
			t.Errorf("%s: addresses %v", tc.host, ans.Addrs)
		}
		// The system lookup leaves a share of the probe's time for the
		// diagnosis: the whole stays within the probe timeout.
		if took > 1200*time.Millisecond {
			t.Errorf("%s: took %s, want within the 1s probe timeout", tc.host, took)
		}
	}
}

// notFound is a system resolver that finds nothing (a name resolution
// policy, a stale negative cache, an nsswitch without dns).
type notFound struct{}

func (notFound) LookupHost(_ context.Context, host string) ([]string, error) {
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// blocking is a system resolver that never answers before its deadline.
type blocking struct{}

func (blocking) LookupHost(ctx context.Context, host string) ([]string, error) {
	<-ctx.Done()
	return nil, &net.DNSError{Err: "i/o timeout", Name: host, IsTimeout: true}
}

func TestSystemAndDNSDisagree(t *testing.T) {
	server := diagnosisDNS(t)
	c := New(Config{System: notFound{}, Servers: []string{server}, HostsFile: noHosts})
	ans := resolveOnce(c, context.Background(), "ok.test", time.Second)
	if ans.Outcome != OutcomeDNSError || ans.Err == nil || !strings.Contains(ans.Err.Error(), "yet asked directly, DNS answers ok.test -> 127.0.0.5") {
		t.Fatalf("%s %v", ans.Outcome, ans.Err)
	}
}

// A short name is diagnosed with the search list, as the resolver tried it.
func TestShortNameDiagnosisUsesTheSearchList(t *testing.T) {
	server := diagnosisDNS(t)
	c := New(Config{System: notFound{}, Servers: []string{server}, Search: []string{"corp.test", "lab.test."}, HostsFile: noHosts})
	ans := resolveOnce(c, context.Background(), "proxy", time.Second)
	msg := ans.Err.Error()
	if ans.Outcome != OutcomeNXDomain || !strings.Contains(msg, "proxy.corp.test (A) via "+server+": NXDOMAIN") ||
		!strings.Contains(msg, "proxy.lab.test (A) via") || !strings.Contains(msg, "; proxy (A) via") {
		t.Fatalf("%s %q", ans.Outcome, msg)
	}
	// A name with a dot is diagnosed as given.
	ans = resolveOnce(c, context.Background(), "nx.test", time.Second)
	if strings.Contains(ans.Err.Error(), "corp.test") {
		t.Errorf("a dotted name was tried with the search list: %v", ans.Err)
	}
}

// A system resolver that hangs gets three quarters of the probe timeout;
// the rest goes to asking DNS why.
func TestHungSystemResolverLeavesTimeToDiagnose(t *testing.T) {
	server := diagnosisDNS(t)
	c := New(Config{System: blocking{}, Servers: []string{server}, HostsFile: noHosts})
	start := time.Now()
	ans := resolveOnce(c, context.Background(), "nx.test", 800*time.Millisecond)
	took := time.Since(start)
	if ans.Outcome != OutcomeNXDomain || !strings.Contains(ans.Err.Error(), "the system resolver got no answer within 600ms") ||
		!strings.Contains(ans.Err.Error(), "NXDOMAIN") {
		t.Fatalf("%s %v", ans.Outcome, ans.Err)
	}
	if took < 550*time.Millisecond || took > 1000*time.Millisecond {
		t.Errorf("took %s, want about 600ms", took)
	}
	// Cut off by the run (Ctrl-C): not a finding.
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(50*time.Millisecond, func() { cancel(errors.New("interrupted by SIGINT")) })
	ans = resolveOnce(New(Config{System: blocking{}, Servers: []string{server}, HostsFile: noHosts}), ctx, "nx.test", 5*time.Second)
	if ans.Outcome != OutcomeCancelled || !strings.Contains(ans.Err.Error(), "SIGINT") {
		t.Errorf("cut off: %s %v", ans.Outcome, ans.Err)
	}
}

// hostsFirst is a system resolver that reads a hosts file before DNS, as
// the operating system does.
type hostsFirst struct {
	hosts *hostsfile.File
	next  HostResolver
}

func (h hostsFirst) LookupHost(ctx context.Context, host string) ([]string, error) {
	if a := h.hosts.Lookup(host); len(a) > 0 {
		return a, nil
	}
	return h.next.LookupHost(ctx, host)
}

// An answer the hosts file gave is attributed to it, with what DNS answers
// for the same name; the probe connects where the system sent it.
func TestHostsFileAnswersAreAttributed(t *testing.T) {
	server := diagnosisDNS(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port, _ := strconv.Atoi(l.Addr().(*net.TCPAddr).AddrPort().String()[len("127.0.0.1:"):])
	hf := hostsfile.Parse("/test/hosts", []byte("127.0.0.1 pinned.test only-here.test\n"))
	c := New(Config{System: hostsFirst{hf, goResolver(server)}, Servers: []string{server}, HostsFile: func() (*hostsfile.File, error) { return hf, nil }})
	rs := c.ProbeAll(context.Background(), []Target{
		{Host: "pinned.test", Port: port, Protocol: ProtoTCP},
		{Host: "only-here.test", Port: port, Protocol: ProtoTCP},
		{Host: "ok.test", Port: 9, Protocol: ProtoTCP},
	}, 2*time.Second)
	pinned, only, plain := rs[0], rs[1], rs[2]
	if !pinned.OK() || pinned.Address != l.Addr().String() || pinned.Resolved != ResolvedSystem || pinned.Source != SourceHosts ||
		pinned.HostsFile != "/test/hosts" || !slices.Equal(pinned.DNSAddresses, []string{"127.0.0.5"}) {
		t.Errorf("pinned: %+v", pinned)
	}
	// A name DNS lacks: the hosts file makes it work, and DNS says NXDOMAIN.
	if !only.OK() || only.Source != SourceHosts || !strings.Contains(only.DNSError, "NXDOMAIN") || len(only.DNSAddresses) != 0 {
		t.Errorf("only in the hosts file: %+v", only)
	}
	if plain.Source != "" || plain.Resolved != ResolvedSystem || len(plain.DNSAddresses) != 0 || !slices.Equal(plain.Addresses, []string{"127.0.0.5"}) {
		t.Errorf("through DNS: %+v", plain)
	}
}

// --dns-server: every name goes to the given servers only, past the hosts
// file (localhost is not a DNS name), and results say so.
func TestDNSServerModeAsksOnlyTheServers(t *testing.T) {
	server := diagnosisDNS(t)
	c := New(Config{Servers: []string{server}})
	if c.Resolver() != ResolvedDNSServer {
		t.Fatalf("resolver %s", c.Resolver())
	}
	ans := resolveOnce(c, context.Background(), "localhost", time.Second)
	if ans.Outcome != OutcomeNXDomain || ans.Resolved != ResolvedDNSServer {
		t.Fatalf("%s %s %v", ans.Outcome, ans.Resolved, ans.Err)
	}
}

// The operating system's own resolver (no seam): localhost resolves
// through the hosts file as for the agent, and is attributed to it when
// /etc/hosts names it.
func TestOperatingSystemResolver(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	c := New(Config{})
	addrs, err := c.LookupHost(context.Background(), "localhost", 2*time.Second)
	if err != nil || !slices.Contains(addrs, "127.0.0.1") {
		t.Fatalf("localhost: %v %v", addrs, err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	r := c.Probe(context.Background(), Target{Host: "localhost", Port: port, Protocol: ProtoTCP}, time.Second)
	if !r.OK() || r.Resolved != ResolvedSystem {
		t.Fatalf("localhost:%d: %+v", port, r)
	}
	hf, err := hostsfile.ReadFile(systemHostsPath())
	listed := err == nil && hf.Gave("localhost", r.Addresses)
	if listed != (r.Source == SourceHosts) || (listed && r.HostsFile != systemHostsPath()) {
		t.Errorf("attribution: source %q file %q, hosts file lists localhost: %v", r.Source, r.HostsFile, listed)
	}
}

// closedUDPPort is a loopback UDP address nothing listens on: a query to it
// draws ICMP port unreachable (ECONNREFUSED on the next read).
func closedUDPPort(t *testing.T) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	return addr
}

// A resolver that is not listening (ICMP port unreachable) is named as the
// cause, with its own outcome, never "dns-timeout": through the system
// resolver (the Go resolver, which reports a read error, then the
// diagnosis) and through --dns-server alike, well before the timeout.
func TestResolverNotListeningIsNotATimeout(t *testing.T) {
	closed := closedUDPPort(t)
	for name, c := range map[string]*Client{
		"system":     New(Config{System: goResolver(closed), Servers: []string{closed}, HostsFile: noHosts}),
		"dns-server": New(Config{Servers: []string{closed}}),
	} {
		for _, host := range []string{"login.windows.net", "crl3.digicert.com"} {
			start := time.Now()
			ans := resolveOnce(c, context.Background(), host, 2*time.Second)
			if ans.Outcome != OutcomeDNSUnreachable || ans.Server != closed || ans.Err == nil ||
				!strings.Contains(ans.Err.Error(), "via "+closed+": the DNS server is not listening (port unreachable)") {
				t.Errorf("%s %s: outcome %s server %q err %v; want %s from %s", name, host, ans.Outcome, ans.Server, ans.Err, OutcomeDNSUnreachable, closed)
			}
			if took := time.Since(start); took > time.Second {
				t.Errorf("%s %s: took %s: a refusal is immediate, not a timeout", name, host, took)
			}
		}
	}
}
