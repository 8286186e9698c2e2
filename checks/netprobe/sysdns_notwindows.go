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
