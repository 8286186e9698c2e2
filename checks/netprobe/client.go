// Package netprobe is ptacheck's network client: names resolved through the
// operating system as the agent resolves them (hosts file, search list, the
// Windows DNS Client), DNS through miekg/dns for SRV records, for
// --dns-server and to diagnose a failed lookup, TCP connect, a verified TLS
// handshake, and HTTP proxies (CONNECT, or HEAD for port-80 endpoints). A Client is built once
// per run with its resolvers, dialer, trusted roots and proxy, and owns the
// cache that lets several checks share one probe per endpoint. It returns
// plain results with a stable outcome vocabulary; the checks package turns
// them into verdicts.
//
// This is a leaf package: it never imports checks, report or fixtures.
package netprobe

import (
	"context"
	"crypto/x509"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/ptacheck/ptacheck/util/hostsfile"
)

// ContextDialer opens TCP connections. *net.Dialer satisfies it; fixture mode
// wraps one to send emulated addresses to loopback listeners.
type ContextDialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// DNSExchanger sends one DNS query to one server. *dns.Client satisfies it.
type DNSExchanger interface {
	ExchangeContext(ctx context.Context, m *dns.Msg, address string) (*dns.Msg, time.Duration, error)
}

// HostResolver resolves a host name to addresses as the operating system
// does. *net.Resolver satisfies it; fixture mode emulates one.
type HostResolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
}

var (
	_ ContextDialer = (*net.Dialer)(nil)
	_ DNSExchanger  = (*dns.Client)(nil)
	_ HostResolver  = (*net.Resolver)(nil)
)

// How a name was resolved (Result.Resolved), and where the answer came
// from when that is known (Result.Source).
const (
	ResolvedSystem    = "system"     // the operating system's resolver, as the agent resolves it
	ResolvedDNSServer = "dns-server" // only the DNS servers given (--dns-server)
	SourceHosts       = "hosts"      // the hosts file gave the addresses
)

// MaxConcurrentProbes bounds a probe fan-out: far more than any built-in
// catalogue, so one probe timeout bounds the whole fan-out even with a
// thousand extra endpoints; a bigger --endpoints-file runs in waves (the
// check's deadline is sized for them). Where the open-file limit is low it
// is lowered to half of it (see probeSlots), so probes never fail for want
// of a socket.
const MaxConcurrentProbes = 2048

// probeSlots is how many probes run at once on this system.
var probeSlots = min(MaxConcurrentProbes, max(64, openFileLimit()/2))

// ProbeSlots returns how many probes run at once on this system.
func ProbeSlots() int { return probeSlots }

// Config builds a Client.
type Config struct {
	// Servers are "host:port" DNS servers, asked directly for SRV records
	// (the DC locator) and to diagnose a name the system cannot resolve.
	// Empty means the system's (resolv.conf, or the adapters' DNS servers
	// on Windows), read once. Servers given without System make them the
	// only resolvers (--dns-server): names then resolve through them, not
	// as the agent resolves them, and reports say so.
	Servers []string
	// System resolves names as the operating system does (the hosts file,
	// the DNS suffix search list, the Windows DNS Client and its policy);
	// nil: net.DefaultResolver, unless Servers are given. Fixture mode
	// passes its emulation.
	System HostResolver
	// HostsFile reads the hosts file, to say when a system answer came from
	// it; nil: the operating system's hosts file, read once.
	HostsFile func() (*hostsfile.File, error)
	// Search is the DNS suffix search list tried when diagnosing a short
	// name; nil: the system's (resolv.conf) when Servers is empty.
	Search []string
	Dialer ContextDialer // nil: a net.Dialer
	DNS    DNSExchanger  // UDP queries; nil: a miekg/dns UDP client
	DNSTCP DNSExchanger  // TCP retry of a truncated answer; nil: a miekg/dns TCP client
	// RootCAs verifies TLS chains; nil means the system roots.
	RootCAs *x509.CertPool
	Proxy   *Proxy // nil: every probe goes direct
	Now     func() time.Time
	Logf    func(format string, args ...any) // verbose log, stderr only; may be nil
}

// Client probes the network. Build it with New; it is safe for concurrent
// use, and every probe and lookup is made once per Client.
type Client struct {
	servers    []string
	serversErr error
	mode       string // ResolvedSystem or ResolvedDNSServer
	system     HostResolver
	search     []string
	readHosts  func() (*hostsfile.File, error)
	hostsOnce  sync.Once
	hosts      *hostsfile.File
	hostsErr   error
	dialer     ContextDialer
	dns        DNSExchanger
	dnsTCP     DNSExchanger
	roots      *x509.CertPool
	proxy      *Proxy
	now        func() time.Time
	logf       func(format string, args ...any)

	probes flights[Result]
	names  flights[Answer]
}

// New builds a Client. The system resolvers are read here, once.
func New(cfg Config) *Client {
	c := &Client{
		servers: cfg.Servers, dialer: cfg.Dialer, dns: cfg.DNS, dnsTCP: cfg.DNSTCP,
		roots: cfg.RootCAs, proxy: cfg.Proxy, now: cfg.Now, logf: cfg.Logf,
		mode: ResolvedSystem, system: cfg.System, search: cfg.Search, readHosts: cfg.HostsFile,
	}
	if c.system == nil && len(c.servers) > 0 {
		c.mode = ResolvedDNSServer
	}
	if len(c.servers) == 0 {
		c.servers, c.serversErr = SystemDNSServers()
		if c.search == nil {
			c.search = systemSearchList()
		}
	}
	if c.system == nil {
		c.system = net.DefaultResolver
	}
	if c.readHosts == nil {
		c.readHosts = func() (*hostsfile.File, error) { return hostsfile.ReadFile(systemHostsPath()) }
	}
	if c.dialer == nil {
		c.dialer = &net.Dialer{}
	}
	if c.dns == nil {
		c.dns = &dns.Client{Net: "udp", UDPSize: dns.DefaultMsgSize}
	}
	if c.dnsTCP == nil {
		c.dnsTCP = &dns.Client{Net: "tcp"}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.logf == nil {
		c.logf = func(string, ...any) {}
	}
	return c
}

// Servers returns the DNS servers the client asks directly.
func (c *Client) Servers() []string { return append([]string{}, c.servers...) }

// Resolver says how names resolve: ResolvedSystem (as the agent resolves
// them) or ResolvedDNSServer (only through the servers given).
func (c *Client) Resolver() string { return c.mode }

// hostsFile returns the hosts file, read once (nil when it cannot be read:
// answers are then not attributed to it).
func (c *Client) hostsFile() *hostsfile.File {
	c.hostsOnce.Do(func() {
		c.hosts, c.hostsErr = c.readHosts()
		if c.hostsErr != nil {
			c.logf("hosts file: %v (answers are not attributed to it)", c.hostsErr)
		}
	})
	return c.hosts
}

// Proxy returns the proxy setting (nil: direct).
func (c *Client) Proxy() *Proxy { return c.proxy }

// Dialer returns the client's TCP dialer, for other clients (LDAP) that must
// reach the same network the probes do.
func (c *Client) Dialer() ContextDialer { return c.dialer }

// Roots returns the roots TLS chains are verified against (nil: the system's).
func (c *Client) Roots() *x509.CertPool { return c.roots }

// Target is one concrete host:port to probe.
type Target struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Protocol string `json:"protocol"` // ProtoTLS, ProtoHTTP or ProtoTCP
}

// Probe protocols: how far a probe goes after TCP connect.
const (
	ProtoTLS  = "tls"  // TLS handshake with certificate verification
	ProtoHTTP = "http" // TCP connect (through a proxy: an HTTP request)
	ProtoTCP  = "tcp"  // TCP connect only
)

// Addr is "host:port".
func (t Target) Addr() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

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

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
