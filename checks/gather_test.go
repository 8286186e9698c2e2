package checks

import (
	"context"
	"net"
	"slices"
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
