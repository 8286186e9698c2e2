//go:build !windows

package netprobe

import (
	"net"

	"github.com/miekg/dns"
)

// resolvConf is where the system resolvers are read from.
var resolvConf = "/etc/resolv.conf"

// SystemDNSServers returns the system's resolvers as "host:port".
func SystemDNSServers() ([]string, error) {
	cfg, err := dns.ClientConfigFromFile(resolvConf)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range cfg.Servers {
		out = append(out, net.JoinHostPort(s, cfg.Port))
	}
	return out, nil
}

// systemSearchList returns the DNS suffix search list of resolv.conf, tried
// when a short name is diagnosed (nil when unreadable).
func systemSearchList() []string {
	cfg, err := dns.ClientConfigFromFile(resolvConf)
	if err != nil {
		return nil
	}
	return cfg.Search
}

// systemHostsPath is the hosts file the system resolver reads. Under
// `ip netns exec NAME`, /etc/netns/NAME/hosts is bind-mounted over it, so
// this path is right there too.
func systemHostsPath() string { return "/etc/hosts" }
