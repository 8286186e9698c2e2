package setup

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/checks/graph"
	"github.com/ptacheck/ptacheck/checks/hostfacts"
	"github.com/ptacheck/ptacheck/internal/cli"
	"github.com/ptacheck/ptacheck/util/redact"
)

// TenantFlags say how to reach Microsoft Graph and with which token.
type TenantFlags struct {
	TokenFile  string
	DeviceCode bool
	LoginURL   string
	GraphURL   string
	ClientID   string
}

func (t *TenantFlags) Register(fs *pflag.FlagSet) {
	fs.StringVar(&t.TokenFile, "token-file", "", "read a Microsoft Graph access token from this `FILE` (or set PTACHECK_GRAPH_TOKEN); without either, a device-code sign-in on a terminal")
	fs.BoolVar(&t.DeviceCode, "device-code", false, "sign in with a device code even when stderr is not a terminal (the prompt goes to stderr)")
	fs.StringVar(&t.LoginURL, "login-url", "", "sign-in authority root `URL` (default: the --cloud's, e.g. https://login.microsoftonline.com)")
	fs.StringVar(&t.GraphURL, "graph-url", "", "Microsoft Graph root `URL` (default: the --cloud's, e.g. https://graph.microsoft.com)")
	fs.StringVar(&t.ClientID, "client-id", "", "public client (application) `GUID` for the device-code and password sign-ins (default: Microsoft Graph Command Line Tools)")
}

// Tenant are the validated tenant flags.
type Tenant struct {
	cloud      graph.Cloud
	token      graph.TokenFunc // nil: a device-code sign-in or none, decided by Build
	clientID   string
	deviceCode bool
	// signIn is the one device-code sign-in of the process, shared by every
	// copy of these inputs: a collect's phases and a retry's attempts ask
	// the person once.
	signIn *signInOnce
}

type signInOnce struct {
	mu    sync.Mutex
	token graph.TokenFunc
}

// Validate checks the Graph and sign-in roots and reads the token (from
// --token-file or PTACHECK_GRAPH_TOKEN), which is registered as a secret so
// no output can show it. Secrets never come from flags.
func (t *TenantFlags) Validate(ctx context.Context, cloud checks.Cloud, getenv func(string) string) (Tenant, error) {
	in := Tenant{clientID: t.ClientID, deviceCode: t.DeviceCode, signIn: &signInOnce{}}
	var err error
	if in.cloud, err = graph.CloudByName(string(cloud)); err != nil {
		in.cloud = graph.CloudPublic // --cloud is validated with the catalogue
	}
	for _, u := range []struct {
		flag string
		val  string
		root *string
	}{{"--login-url", t.LoginURL, &in.cloud.LoginURL}, {"--graph-url", t.GraphURL, &in.cloud.GraphURL}} {
		if u.val == "" {
			continue
		}
		p, err := url.Parse(u.val)
		loopback := err == nil && isLoopbackHost(p.Hostname())
		if err != nil || p.Host == "" || (p.Scheme != "https" && !(p.Scheme == "http" && loopback)) || p.User != nil {
			return in, cli.Usagef("%s %q: want an https:// URL (http only on loopback), without credentials", u.flag, redact.URL(u.val))
		}
		*u.root = strings.TrimRight(u.val, "/")
	}
	switch {
	case t.TokenFile != "":
		data, err := cli.ReadFile(ctx, t.TokenFile, graph.MaxTokenFileBytes)
		if err != nil {
			return in, cli.Usagef("--token-file: token file: %v", err)
		}
		if in.token, err = graph.StaticToken(string(data)); err != nil {
			return in, cli.Usagef("--token-file: token file %s: %v", t.TokenFile, err)
		}
		// Register the token's value as a secret right away.
		if tok, err := in.token(context.Background()); err == nil {
			redact.Secret(tok)
		}
	case getenv(graph.EnvToken) != "":
		redact.Secret(getenv(graph.EnvToken))
		if in.token, err = graph.StaticToken(getenv(graph.EnvToken)); err != nil {
			return in, cli.Usagef("%s: %v", graph.EnvToken, err)
		}
	}
	return in, nil
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// AdminFlags name the admin whose account tenant.admin-account checks.
type AdminFlags struct {
	UPN                string
	PassFile           string
	RequireGlobalAdmin bool
}

func (a *AdminFlags) Register(fs *pflag.FlagSet) {
	fs.StringVar(&a.UPN, "admin-upn", "", "the admin `UPN` who installs, registers or enables (default: the signed-in user)")
	fs.StringVar(&a.PassFile, "admin-password-file", "", "try a password sign-in as the admin with the password in this `FILE` (or PTACHECK_ADMIN_PASSWORD): an MFA answer fails tenant.admin-account")
	fs.BoolVar(&a.RequireGlobalAdmin, "require-global-admin", false, "tenant.admin-account: the 2017 rule, only a Global Administrator passes (a Hybrid Identity Administrator without it fails)")
}

// Admin are the validated admin flags.
type Admin struct {
	UPN                string
	RequireGlobalAdmin bool
	password           string
}

// Validate reads the admin's password (from --admin-password-file or
// PTACHECK_ADMIN_PASSWORD), registered as a secret.
func (a *AdminFlags) Validate(ctx context.Context, getenv func(string) string) (Admin, error) {
	in := Admin{UPN: a.UPN, RequireGlobalAdmin: a.RequireGlobalAdmin, password: getenv("PTACHECK_ADMIN_PASSWORD")}
	if a.PassFile != "" {
		data, err := cli.ReadFile(ctx, a.PassFile, maxSecretFile)
		if err != nil {
			return in, cli.Usagef("--admin-password-file %v", err)
		}
		in.password = secretText(data)
		if in.password == "" {
			return in, cli.Usagef("--admin-password-file %s: the file is empty", a.PassFile)
		}
	}
	redact.Secret(in.password)
	if in.password != "" && a.UPN == "" {
		return in, cli.Usagef("a password sign-in needs the admin's UPN: pass --admin-upn")
	}
	return in, nil
}

// MachineFlags name this server as its agent registered it.
type MachineFlags struct{ Name string }

// Validate trims --machine-name and refuses what is not a host name.
func (m *MachineFlags) Validate() (string, error) {
	name := strings.TrimSuffix(strings.TrimSpace(m.Name), ".")
	if m.Name != "" && !validHostName(name) {
		return "", cli.Usagef("--machine-name %q: want a host name or FQDN (letters, digits, hyphens, dots), as the agent registered it", m.Name)
	}
	return name, nil
}

func (m *MachineFlags) Register(fs *pflag.FlagSet) {
	fs.StringVar(&m.Name, "machine-name", "", "this server's `NAME` as its agent registered it (default: its FQDN): tenant.this-agent-active looks for it, tenant.other-agents leaves it out, signin checks workstation restrictions against it")
}

// scopes returns the delegated scopes the Graph reads of the selected
// checks of the phases need (--only, less --skip): each check declares its
// reads (checks.Needs), so the sign-in asks for what runs and for no more.
// signIn says whether a selected check needs Graph to decide at all: only
// then is a person asked to sign in.
func scopes(graphURL string, phases []checks.Phase, sel Selection) (scopes []string, signIn bool) {
	var plan []checks.Entry
	for _, p := range phases {
		for _, e := range checks.SelectEntries(checks.Plan(p, checks.Config{}), sel.Only) {
			if !sel.Skip[e.ID()] {
				plan = append(plan, e)
			}
		}
	}
	return checks.Scopes(graphURL, plan), checks.NeedsTenant(plan)
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

// machineName is this server's FQDN as an agent registers it, from the
// host facts. thisHost says the facts are this machine's own (the live
// Windows host): only then may the name of the machine running ptacheck
// stand in for a computer name the facts lack. A snapshot or a fixture
// describes another server, and a live run on another OS describes none:
// without a usable computer_name the name is unknown ("") and why says so,
// so the checks that need it are an error, never a verdict on the name of
// whatever box ran ptacheck.
func machineName(facts *hostfacts.Snapshot, adDomain string, thisHost bool, hostname func() (string, error)) (name, why string) {
	domain := strings.TrimSpace(adDomain)
	source := "the host facts"
	switch {
	case facts == nil && thisHost:
		source = "this server's hostname"
	case facts == nil:
		return "", "no host facts name this server (no Windows host here, no snapshot): pass --machine-name with the name the agent registered"
	default:
		name = facts.ComputerName
		if d := strings.TrimSpace(facts.Domain); d != "" {
			domain = d
			if !validHostName(d) {
				return "", fmt.Sprintf("the host facts' domain %q is not a DNS name: pass --machine-name with the name the agent registered", facts.Domain)
			}
		}
	}
	if strings.TrimSpace(name) == "" && thisHost {
		name, _ = hostname()
		source = "this server's hostname"
	}
	raw := name
	name = strings.TrimSuffix(strings.TrimSpace(name), ".")
	switch {
	case raw == "" || (strings.TrimSpace(raw) == "" && !thisHost):
		return "", "the host facts have no computer_name: pass --machine-name with the name the agent registered"
	case !validHostName(name) && source == "the host facts":
		return "", fmt.Sprintf("the host facts' computer_name %q is not a host name: pass --machine-name with the name the agent registered", raw)
	case !validHostName(name):
		return "", fmt.Sprintf("this server's hostname %q is not a host name: pass --machine-name with the name the agent registered", raw)
	}
	if domain != "" && !strings.Contains(name, ".") && validHostName(domain) {
		name += "." + strings.TrimSuffix(domain, ".")
	}
	return name, ""
}

// validHostName reports whether s is a plausible NetBIOS or DNS host name:
// letters, digits, hyphens, underscores and dots, no empty label, at most
// 255 characters. It keeps a stray NUL, space or control character in a
// snapshot from becoming a name no agent matches.
func validHostName(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}
