package checks

import (
	"context"
	"crypto/x509"
	"net"
	"net/url"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// ContextDialer opens TCP connections. *net.Dialer satisfies it; fixture mode
// wraps one to translate emulated addresses to loopback listeners.
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

// Env is everything a check may touch. main builds one with DefaultEnv (or
// from a fixture); tests fill in only the fields the check under test uses.
type Env struct {
	Host   Host          // host facts: live Windows host, a snapshot file or a fixture
	Dialer ContextDialer // TCP connections
	DNS    DNSExchanger  // DNS queries (miekg/dns)
	// DNSServers are "host:port" resolvers to ask. Empty means the system's
	// resolvers (resolv.conf, or the adapters' DNS servers on Windows).
	DNSServers []string
	// RootCAs verifies TLS chains; nil means the system roots.
	RootCAs *x509.CertPool
	// Proxy picks the proxy for a target URL (nil result: direct); nil Proxy
	// means every probe goes direct.
	Proxy func(*url.URL) (*url.URL, error)
	// ProxySource says where the proxy setting came from, for reports.
	ProxySource string
	Now         func() time.Time
	Logf        func(format string, args ...any) // verbose log, stderr only; may be nil

	probesOnce sync.Once
	probes     *probeCache
}

func (e *Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Env) logf(format string, args ...any) {
	if e.Logf != nil {
		e.Logf(format, args...)
	}
}

// DefaultEnv builds the real clients. It is the only place that does.
func DefaultEnv() *Env {
	return &Env{
		Host:   NewCachedHost(LiveHost()),
		Dialer: &net.Dialer{},
		DNS:    &dns.Client{Net: "udp"},
		Now:    time.Now,
	}
}
