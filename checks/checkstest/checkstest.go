// Package checkstest holds fakes and helpers for tests of the checks and
// their clients (named like net/http/httptest). Only _test.go files import it.
package checkstest

import (
	"context"
	"testing"

	"github.com/ptacheck/ptacheck/checks/hostfacts"
	"github.com/ptacheck/ptacheck/checks/netprobe"
	"github.com/ptacheck/ptacheck/fixtures"
)

// NetworkOptions tune StartNetwork.
type NetworkOptions struct {
	// WrapDialer, when set, wraps the fixture's dialer (to count dials).
	WrapDialer func(netprobe.ContextDialer) netprobe.ContextDialer
}

// StartNetwork starts the fixture network emulation (a real DNS server, TCP
// and TLS listeners, a proxy) on loopback and returns a real network client
// pointed at it, resolving names through the emulated server's resolver
// (its hosts file, then its DNS server) as fixture mode does. Both stop
// when the test ends.
func StartNetwork(t testing.TB, n *fixtures.Network, opts NetworkOptions) (*netprobe.Client, *fixtures.Running) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r, err := fixtures.Start(ctx, n, t.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); r.Close() })
	var dialer netprobe.ContextDialer = r.Dialer
	if opts.WrapDialer != nil {
		dialer = opts.WrapDialer(dialer)
	}
	cfg := netprobe.Config{Dialer: dialer, Servers: []string{r.DNSServer}, System: r, HostsFile: r.HostsFile, RootCAs: r.RootCAs}
	if r.ProxyURL != "" {
		u, err := netprobe.ParseProxyURL(r.ProxyURL)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Proxy = netprobe.Fixed(u, "fixture")
	}
	return netprobe.New(cfg), r
}

// Host is a hostfacts.Source that serves a snapshot or an error.
type Host struct {
	S   *hostfacts.Snapshot
	Err error
}

func (h Host) Snapshot(context.Context) (*hostfacts.Snapshot, error) { return h.S, h.Err }

// DirectoryOptions tune StartDirectory.
type DirectoryOptions struct {
	Network *fixtures.Network // default: a healthy network
}

// StartDirectory starts the fixture network with the emulated DC of d on it
// and returns the network client, the directory options (dialer and roots
// of the fixture) and the running DC.
func StartDirectory(t testing.TB, d *fixtures.Directory, opts DirectoryOptions) (*netprobe.Client, *fixtures.Running, *fixtures.RunningDirectory) {
	t.Helper()
	n := opts.Network
	if n == nil {
		n = &fixtures.Network{}
	}
	c, r := StartNetwork(t, n, NetworkOptions{})
	dc, err := r.ServeDirectory(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dc.Close)
	return c, r, dc
}

// StartTenant starts the tenant emulator (Graph and login over HTTPS on
// loopback) for spec, read from a scenario's tenant.json, optionally
// changed by edit, and returns it; it stops when the test ends.
func StartTenant(t testing.TB, scenario string, edit func(*fixtures.Tenant)) *fixtures.RunningTenant {
	t.Helper()
	sc, err := fixtures.Load(scenario)
	if err != nil || sc.Tenant == nil {
		t.Fatalf("scenario %s: %v (tenant: %v)", scenario, err, sc != nil && sc.Tenant != nil)
	}
	spec := *sc.Tenant
	if edit != nil {
		edit(&spec)
	}
	rt, err := fixtures.StartTenant(context.Background(), &spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.Close)
	return rt
}
