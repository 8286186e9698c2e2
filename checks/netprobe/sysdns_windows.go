//go:build windows

package netprobe

import (
	"errors"
	"net"
	"unsafe"

	"golang.org/x/sys/windows"
)

// SystemDNSServers returns the DNS servers of the adapters that are up, in
// adapter order, as "host:port".
func SystemDNSServers() ([]string, error) {
	size := uint32(15000)
	var buf []byte
	for range 3 {
		buf = make([]byte, size)
		err := windows.GetAdaptersAddresses(windows.AF_UNSPEC,
			windows.GAA_FLAG_SKIP_UNICAST|windows.GAA_FLAG_SKIP_ANYCAST|windows.GAA_FLAG_SKIP_MULTICAST,
			0, (*windows.IpAdapterAddresses)(unsafe.Pointer(&buf[0])), &size)
		if err == nil {
			break
		}
		if !errors.Is(err, windows.ERROR_BUFFER_OVERFLOW) {
			return nil, err
		}
		buf = nil
	}
	if buf == nil {
		return nil, errors.New("GetAdaptersAddresses: buffer keeps growing")
	}
	seen := map[string]bool{}
	var out []string
	for a := (*windows.IpAdapterAddresses)(unsafe.Pointer(&buf[0])); a != nil; a = a.Next {
		if a.OperStatus != windows.IfOperStatusUp {
			continue
		}
		for d := a.FirstDnsServerAddress; d != nil; d = d.Next {
			ip := d.Address.IP()
			if ip == nil || ip.IsUnspecified() {
				continue
			}
			// fec0:0:0:ffff::1-3 are site-local placeholders Windows lists
			// when no IPv6 DNS server is configured.
			if ip.To4() == nil && ip[0] == 0xfe && ip[1]&0xc0 == 0xc0 {
				continue
			}
			s := net.JoinHostPort(ip.String(), "53")
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out, nil
}
