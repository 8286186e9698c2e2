package checks

import (
	"context"
	"net/http"
	"time"

	"github.com/ptacheck/ptacheck/checks/directory"
	"github.com/ptacheck/ptacheck/checks/graph"
	"github.com/ptacheck/ptacheck/checks/hostfacts"
	"github.com/ptacheck/ptacheck/checks/netprobe"
)

// Env is everything a check may touch: the clients of the leaf packages.
// main builds one per run with DefaultEnv (or from a fixture); tests fill in
// only the fields the check under test uses, so an unexpected dependency
// shows up as a nil-pointer panic in that test.
type Env struct {
	Host hostfacts.Source // host facts: live Windows host, a snapshot file or a fixture
	Net  *netprobe.Client // DNS, TCP, TLS and proxy probes; one per run, owns its probe cache
	AD   *ADClient        // LDAP to the domain's DCs (checks/directory); gathers once per run
	// Tenant reads Microsoft Graph (checks/graph); nil when no token
	// source is configured (the tenant checks then skip, saying why).
	Tenant *TenantClient
	Now    func() time.Time
	Logf   func(format string, args ...any) // verbose log, stderr only; may be nil
}

// EnvOptions are what DefaultEnv needs to build the real clients.
type EnvOptions struct {
	Host hostfacts.Source // nil: the live host (read once per run)
	Net  netprobe.Config
	// LDAP are the directory options (roots, security, bind); the dialer
	// is the network client's.
	LDAP directory.Options
	// Graph builds the tenant client when Graph.Token is set.
	Graph TenantOptions
	// Logon validates a password on this host as the agent does
	// (directory.LogonNetwork): set for live runs on Windows only.
	Logon func(ctx context.Context, user, password string) (bool, directory.Reason, error)
	Now   func() time.Time
	Logf  func(format string, args ...any)
}

// DefaultEnv builds the real clients. It is the only place that does.
func DefaultEnv(o EnvOptions) *Env {
	if o.Now == nil {
		o.Now = time.Now
	}
	host := o.Host
	if host == nil {
		host = hostfacts.Cached(hostfacts.Live())
	}
	if o.Net.Now == nil {
		o.Net.Now = o.Now
	}
	if o.Net.Logf == nil {
		o.Net.Logf = o.Logf
	}
	net := netprobe.New(o.Net)
	ldap := o.LDAP
	ldap.Dialer = net.Dialer()
	if ldap.Budget == nil {
		// One read budget for the run: every DC, every operation.
		ldap.Budget = directory.NewBudget(0)
	}
	ad := &ADClient{Net: net, Options: ldap, LookupTimeout: 5 * time.Second, PortTimeout: 3 * time.Second, Timeout: adGatherTimeout, Logon: o.Logon}
	env := &Env{Host: host, Net: net, AD: ad, Now: o.Now, Logf: o.Logf}
	if g := o.Graph; g.Token != nil {
		env.Tenant = &TenantClient{
			Graph:  &graph.Client{BaseURL: g.GraphURL, HTTP: g.HTTP, Token: g.Token, Logf: o.Logf},
			SignIn: g.SignIn, AdminPassword: g.AdminPassword, Scopes: g.Scopes,
		}
	}
	return env
}

// TenantOptions are what DefaultEnv needs to build the Graph client.
type TenantOptions struct {
	GraphURL      string
	HTTP          *http.Client
	Token         func(ctx context.Context) (string, error)
	SignIn        graph.SignIn // for the admin password probe
	AdminPassword string
	Scopes        []string
}
