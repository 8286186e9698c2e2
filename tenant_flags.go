package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/checks/graph"
	"github.com/ptacheck/ptacheck/checks/hostfacts"
	"github.com/ptacheck/ptacheck/fixtures"
	"github.com/ptacheck/ptacheck/internal/input"
	"github.com/ptacheck/ptacheck/internal/redact"
)

// tenantInputs are the validated tenant flags.
type tenantInputs struct {
	cfg      checks.TenantConfig
	cloud    graph.Cloud
	token    graph.TokenFunc // nil: device code or none, decided when wiring
	password string
}

// validateTenant checks the tenant flags and reads the secrets they point
// to (a token, the admin password), which are registered so no output can
// show them. Secrets never come from flags.
func validateTenant(ctx context.Context, o *options, getenv func(string) string) (*tenantInputs, error) {
	in := &tenantInputs{}
	cloud, err := graph.CloudByName(o.cloud)
	if err != nil {
		cloud = graph.CloudPublic // --cloud is validated by the catalogue
	}
	in.cloud = cloud
	for _, u := range []struct {
		flag string
		val  *string
	}{{"--login-url", &o.loginURL}, {"--graph-url", &o.graphURL}} {
		if *u.val == "" {
			continue
		}
		p, err := url.Parse(*u.val)
		loopback := err == nil && isLoopbackHost(p.Hostname())
		if err != nil || p.Host == "" || (p.Scheme != "https" && !(p.Scheme == "http" && loopback)) || p.User != nil {
			return nil, usagef("%s %q: want an https:// URL (http only on loopback), without credentials", u.flag, redact.URL(*u.val))
		}
		*u.val = strings.TrimRight(*u.val, "/")
	}
	if o.loginURL != "" {
		in.cloud.LoginURL = o.loginURL
	}
	if o.graphURL != "" {
		in.cloud.GraphURL = o.graphURL
	}
	switch {
	case o.tokenFile != "":
		data, err := input.ReadFile(ctx, o.tokenFile, graph.MaxTokenFileBytes)
		if err != nil {
			return nil, usagef("--token-file: token file: %v", err)
		}
		if in.token, err = graph.StaticToken(string(data)); err != nil {
			return nil, usagef("--token-file: token file %s: %v", o.tokenFile, err)
		}
		// Register the token's value as a secret right away.
		if tok, err := in.token(context.Background()); err == nil {
			redact.Secret(tok)
		}
	case getenv(graph.EnvToken) != "":
		redact.Secret(getenv(graph.EnvToken))
		if in.token, err = graph.StaticToken(getenv(graph.EnvToken)); err != nil {
			return nil, usagef("%s: %v", graph.EnvToken, err)
		}
	}
	in.password = getenv("PTACHECK_ADMIN_PASSWORD")
	if o.adminPassFile != "" {
		data, err := input.ReadFile(ctx, o.adminPassFile, maxSecretFile)
		if err != nil {
			return nil, usagef("--admin-password-file %v", err)
		}
		in.password = strings.TrimRight(string(data), "\r\n")
		if in.password == "" {
			return nil, usagef("--admin-password-file %s: the file is empty", o.adminPassFile)
		}
	}
	redact.Secret(in.password)
	if in.password != "" && o.adminUPN == "" {
		return nil, usagef("a password sign-in needs the admin's UPN: pass --admin-upn")
	}
	in.cfg.AdminUPN = o.adminUPN
	in.cfg.RequireGlobalAdmin = o.requireGlobalAdmin
	in.cfg.MachineName = o.machineName
	return in, nil
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// tenantCalls are the Graph calls each tenant check makes: the device-code
// sign-in asks only for the scopes of the checks that run.
var tenantCalls = map[string][]graph.Call{
	"tenant.managed-domains":      {graph.CallDomains},
	"tenant.admin-account":        {graph.CallUser, graph.CallRoleAssignments, graph.CallRoleAssignmentsPIM, graph.CallRoleEligibility, graph.CallMemberOf, graph.CallMFARequirements, graph.CallSecurityDefaults, graph.CallConditionalAccess, graph.CallAuthStrengths},
	"tenant.agent-limit":          {graph.CallPTAAgents},
	"tenant.active-agents":        {graph.CallPTAAgents},
	"tenant.other-agents":         {graph.CallPTAAgents},
	"tenant.this-agent-active":    {graph.CallPTAAgents},
	"tenant.cloud-admin-fallback": {graph.CallRoleAssignments, graph.CallUser},
	"ad.forest-membership":        {graph.CallDomains, graph.CallUser},
	"user.cloud-upn":              {graph.CallUser},
}

// scopesFor returns the delegated scopes the selected checks need.
func scopesFor(graphURL string, plan []checks.Entry) []string {
	var calls []graph.Call
	for _, e := range plan {
		calls = append(calls, tenantCalls[e.ID()]...)
	}
	if len(calls) == 0 {
		return nil
	}
	return graph.Scopes(graphURL, calls...)
}

// wireTenant builds the Graph side of the run: in fixture mode the
// emulated tenant; otherwise a token from a file or the environment, or a
// device-code sign-in when a person can answer it. Without any, the tenant
// checks skip and say how to give one.
func wireTenant(ctx context.Context, inv *invocation, in *phaseInputs, sc *fixtures.Scenario, facts *hostfacts.Snapshot, roots *x509.CertPool) (checks.TenantOptions, func(), error) {
	t := in.tenant
	cfg := &in.cfg.Tenant
	*cfg = t.cfg
	if cfg.MachineName == "" {
		cfg.MachineName = machineName(facts, in.cfg.AD.Domain)
	}
	stop := func() {}
	opts := checks.TenantOptions{AdminPassword: t.password}
	phases := in.scopePhases
	if len(phases) == 0 {
		phases = []checks.Phase{in.phase}
	}
	var plan []checks.Entry
	for _, p := range phases {
		plan = append(plan, checks.Select(checks.Plan(p, checks.Config{}), in.only)...)
	}
	switch {
	case sc != nil && sc.Tenant == nil:
		cfg.NoTokenReason = "the fixture emulates no tenant (no " + fixtures.TenantFile + ")"
		return opts, stop, nil
	case sc != nil:
		rt, err := fixtures.StartTenant(ctx, sc.Tenant, nil)
		if err != nil {
			return opts, stop, err
		}
		stop = rt.Close
		opts.GraphURL, opts.HTTP = rt.GraphURL, rt.HTTPClient()
		opts.Token, _ = graph.StaticToken(rt.Token)
		opts.SignIn = graph.SignIn{LoginURL: rt.LoginURL, Tenant: rt.TenantID, ClientID: inv.o.clientID, HTTP: rt.HTTPClient()}
		opts.Scopes = scopesFor(rt.GraphURL, plan)
		return opts, stop, nil
	}
	client := graphHTTP(roots)
	tenant := in.cfg.TenantID
	if tenant == "" {
		tenant = "organizations"
	}
	opts.GraphURL, opts.HTTP = t.cloud.GraphURL, client
	opts.SignIn = graph.SignIn{LoginURL: t.cloud.LoginURL, Tenant: tenant, ClientID: inv.o.clientID, HTTP: client}
	opts.Scopes = scopesFor(t.cloud.GraphURL, plan)
	switch {
	case t.token != nil:
		opts.Token = t.token
	case len(opts.Scopes) == 0:
		// No selected check reads the tenant: no sign-in.
	case inv.o.deviceCode || isTerminal(inv.stderr):
		src, err := graph.NewDeviceCodeSource(opts.SignIn, opts.Scopes, redactingWriter{inv.stderr})
		if err != nil {
			return opts, stop, usagef("device-code sign-in: %v", err)
		}
		opts.Token = func(ctx context.Context) (string, error) {
			tok, err := src.Token(ctx)
			redact.Secret(tok)
			return tok, err
		}
		t.token = opts.Token // one sign-in for every phase of a collect
	default:
		cfg.NoTokenReason = "no Microsoft Graph token: pass --token-file or set PTACHECK_GRAPH_TOKEN (pipelines), or run on a terminal (or with --device-code) to sign in with a device code"
	}
	return opts, stop, nil
}

// machineName is this server's FQDN as an agent registers it.
func machineName(facts *hostfacts.Snapshot, adDomain string) string {
	name, domain := "", adDomain
	if facts != nil {
		name = facts.ComputerName
		if facts.Domain != "" {
			domain = facts.Domain
		}
	}
	if name == "" {
		name, _ = os.Hostname()
	}
	if name != "" && domain != "" && !strings.Contains(name, ".") {
		name += "." + domain
	}
	return name
}

// graphHTTP is ptacheck's own HTTP client for Graph and sign-in: the
// standard proxy variables, verified TLS (system roots, plus --ca-file),
// and deadlines.
func graphHTTP(roots *x509.CertPool) *http.Client {
	tr := &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		TLSClientConfig:        &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  30 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

// redactingWriter masks secrets in what the sign-in prints (the prompt).
type redactingWriter struct{ w io.Writer }

func (r redactingWriter) Write(p []byte) (int, error) {
	if _, err := r.w.Write(redact.Bytes(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}
