package netprobe

import (
	"net"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// A DNS answer comes from the network: whatever bytes arrive, unpacking and
// picking the records on the resolution chain never panics, and only
// records owned by the chain are kept.
func FuzzDNSAnswer(f *testing.F) {
	m := new(dns.Msg)
	m.SetQuestion("login.microsoftonline.com.", dns.TypeA)
	m.Answer = []dns.RR{
		&dns.CNAME{Hdr: dns.RR_Header{Name: "login.microsoftonline.com.", Rrtype: dns.TypeCNAME, Class: dns.ClassINET}, Target: "x.test."},
		&dns.A{Hdr: dns.RR_Header{Name: "x.test.", Rrtype: dns.TypeA, Class: dns.ClassINET}, A: net.ParseIP("127.0.0.9")},
		&dns.A{Hdr: dns.RR_Header{Name: "evil.test.", Rrtype: dns.TypeA, Class: dns.ClassINET}, A: net.ParseIP("127.0.0.66")},
	}
	if b, err := m.Pack(); err == nil {
		f.Add(b)
	}
	f.Add([]byte{0, 0, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		var msg dns.Msg
		if err := msg.Unpack(data); err != nil {
			return
		}
		name := "login.microsoftonline.com"
		if len(msg.Question) > 0 {
			name = msg.Question[0].Name
		}
		// Every kept record is owned by the name or by a CNAME target.
		owners := map[string]bool{strings.ToLower(dns.Fqdn(name)): true}
		for _, rr := range msg.Answer {
			if cn, ok := rr.(*dns.CNAME); ok {
				owners[strings.ToLower(dns.Fqdn(cn.Target))] = true
			}
		}
		for _, rr := range onChain(msg.Answer, name, dns.TypeA) {
			if rr.Header().Rrtype != dns.TypeA {
				t.Fatalf("kept a %s record", dns.TypeToString[rr.Header().Rrtype])
			}
			if !owners[strings.ToLower(rr.Header().Name)] {
				t.Fatalf("kept a record of %s, off the chain", rr.Header().Name)
			}
		}
		_ = addresses(msg.Answer)
	})
}
