// Package netprobe is ptacheck's network client: DNS through miekg/dns (any
// record type, SRV too), TCP connect, a verified TLS handshake, and HTTP
// proxies (CONNECT, or HEAD for port-80 endpoints). A Client is built once
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

var (
	_ ContextDialer = (*net.Dialer)(nil)
	_ DNSExchanger  = (*dns.Client)(nil)
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
	// Servers are "host:port" resolvers. Empty means the system's resolvers
	// (resolv.conf, or the adapters' DNS servers on Windows), read once.
	Servers []string
	Dialer  ContextDialer // nil: a net.Dialer
	DNS     DNSExchanger  // UDP queries; nil: a miekg/dns UDP client
	DNSTCP  DNSExchanger  // TCP retry of a truncated answer; nil: a miekg/dns TCP client
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
	}
	if len(c.servers) == 0 {
		c.servers, c.serversErr = SystemDNSServers()
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

// Servers returns the resolvers the client asks.
func (c *Client) Servers() []string { return append([]string{}, c.servers...) }

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
