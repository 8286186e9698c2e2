package checks

import (
	"context"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ptacheck/ptacheck/checks/directory"
	"github.com/ptacheck/ptacheck/checks/netprobe"
	"github.com/ptacheck/ptacheck/fixtures"
)

// --dc localhost works: the DC's name resolves through the operating
// system (the hosts file), as the agent resolves it, not only through DNS
// (where localhost does not exist). The DC is the emulated LDAP responder
// on 127.0.0.1 with a certificate for "localhost"; the network client is
// the real one, with no seam.
func TestADDCNamedLocalhost(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ca, err := fixtures.NewCA(t.Name())
	if err != nil {
		t.Fatal(err)
	}
	tlsCfg, err := fixtures.DirectoryTLS(ca, "localhost")
	if err != nil {
		t.Fatal(err)
	}
	dc, err := fixtures.StartDirectory(ctx, contosoDirectory(), tlsCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	_, port, _ := net.SplitHostPort(dc.LDAPSAddr)
	c := netprobe.New(netprobe.Config{})
	ad := &directory.Gatherer{Net: c, Options: directory.Options{RootCAs: ca.Pool(), Bind: fixtureBind}, LookupTimeout: 2 * time.Second, PortTimeout: time.Second}
	f := ad.Gather(ctx, "", []string{"localhost:" + port})
	if f == nil || f.LocateErr != "" || f.DialErr != nil || f.DC != "localhost:"+port || f.Security != "ldaps" {
		t.Fatalf("facts: %+v", f)
	}
	if len(f.DCs) != 1 || !slices.Contains(f.DCs[0].Addrs, "127.0.0.1") || f.DCs[0].ResolveErr != nil {
		t.Errorf("localhost resolved to %v (%v)", f.DCs[0].Addrs, f.DCs[0].ResolveErr)
	}
}

// --dc without --domain: a DC that answers says its domain (rootDSE
// defaultNamingContext); when none answers, the message names the DCs
// given and says the domain is unknown, never "no domain controller of
// answered".
func TestDCWithoutDomain(t *testing.T) {
	t.Run("answers", func(t *testing.T) {
		rs := runAD(t, adEnv(t, contosoDirectory(), nil, fixtureBind), ADConfig{DCs: []string{"dc1.corp.contoso.test"}})
		f, _ := rs[0].Details.(*directory.Facts)
		if rs[0].Status != StatusPass || f == nil || f.DialErr != nil || f.Domain != "corp.contoso.test" || !strings.Contains(f.DomainFrom, "defaultNamingContext DC=corp,DC=contoso,DC=test") {
			t.Fatalf("facts: %+v", f)
		}
	})
	t.Run("does not answer", func(t *testing.T) {
		closed := closedAddr(t)
		rs := runAD(t, adEnv(t, contosoDirectory(), nil, fixtureBind), ADConfig{DCs: []string{closed}})
		msg := findings(rs[0])
		if rs[0].Status != StatusFail || strings.Contains(msg, "of  answered") || strings.Contains(msg, "controller of answered") ||
			!strings.Contains(msg, "no domain controller given with --dc ("+closed) || !strings.Contains(msg, "the domain is unknown") {
			t.Fatalf("%s %q", rs[0].Status, msg)
		}
	})
}

// closedAddr is a loopback address where nothing listens (a port bound,
// then closed): connecting there is refused.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
