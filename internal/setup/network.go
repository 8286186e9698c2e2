package setup

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/checks/hostfacts"
	"github.com/ptacheck/ptacheck/checks/netprobe"
	"github.com/ptacheck/ptacheck/internal/cli"
)

// CloudFlags pick the cloud and the tenant: the endpoints to probe and the
// Graph and sign-in roots.
type CloudFlags struct {
	Cloud    string
	TenantID string
	set      bool // --cloud was given (on the command line, the environment or --config)
}

func (c *CloudFlags) Register(fs *pflag.FlagSet) {
	fs.StringVar(&c.Cloud, "cloud", "public", "the `CLOUD` whose endpoints to probe: public or usgov")
	fs.StringVar(&c.TenantID, "tenant-id", "", "directory (tenant) `GUID`: also probe the tenant-specific hosts; verify: the tenant the agent must be registered to")
}

// Validate returns the cloud ("" when the command does not take it: the
// public cloud) and the tenant ID, lower case without braces. Given reports
// whether --cloud was given: otherwise a fixture's cloud applies.
func (c *CloudFlags) Validate() (checks.Cloud, string, error) {
	name := c.Cloud
	if name == "" {
		name = string(checks.CloudPublic)
	}
	cloud, err := checks.ParseCloud(name)
	if err != nil {
		return "", "", cli.Usage(err)
	}
	id, err := checks.ParseTenantID(c.TenantID)
	if err != nil {
		return "", "", cli.Usage(err)
	}
	return cloud, id, nil
}

// CatalogueFlags add endpoints to the catalogue.
type CatalogueFlags struct {
	Legacy        bool
	EndpointsFile string
}

func (c *CatalogueFlags) Register(fs *pflag.FlagSet) {
	fs.BoolVar(&c.Legacy, "legacy", false, "also probe the legacy ports of pre-2018 agents (5671, 9090, 9091, 9350, 9352, 10100-10120)")
	fs.StringVar(&c.EndpointsFile, "endpoints-file", "", "add the endpoints of this JSON `FILE` to the catalogue")
}

// Validate reads --endpoints-file.
func (c *CatalogueFlags) Validate(ctx context.Context) ([]checks.Endpoint, error) {
	if c.EndpointsFile == "" {
		return nil, nil
	}
	data, err := cli.ReadFile(ctx, c.EndpointsFile, checks.MaxEndpointsFileSize)
	if err != nil {
		return nil, cli.Usagef("--endpoints-file %v", err)
	}
	extra, err := checks.ParseEndpointsFile(data)
	if err != nil {
		return nil, cli.Usagef("--endpoints-file %s: %v", c.EndpointsFile, err)
	}
	return extra, nil
}

// DNSFlags choose the resolvers of the network probes and the DC locator.
type DNSFlags struct{ Servers []string }

func (d *DNSFlags) Register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&d.Servers, "dns-server", nil, "resolve through this `HOST[:PORT]` instead of the system resolvers (repeatable, or comma-separated)")
}

// Validate normalises the servers (repeatable or comma-separated).
func (d *DNSFlags) Validate() ([]string, error) {
	var out []string
	for _, v := range d.Servers {
		for _, s := range strings.Split(v, ",") {
			n, err := netprobe.NormalizeDNSServer(strings.TrimSpace(s))
			if err != nil {
				return nil, cli.Usage(err)
			}
			out = append(out, n)
		}
	}
	return out, nil
}

// ProbeFlags shape the endpoint probes.
type ProbeFlags struct {
	Timeout time.Duration
	Proxy   string
}

func (p *ProbeFlags) Register(fs *pflag.FlagSet) {
	fs.DurationVar(&p.Timeout, "probe-timeout", checks.DefaultProbeTimeout, "deadline for one network probe (DNS + TCP + TLS of one endpoint)")
	fs.StringVar(&p.Proxy, "proxy", "", "probe through this proxy: an http:// `URL`, \"winhttp\" (the host's WinHTTP setting) or \"none\"; default: HTTPS_PROXY/HTTP_PROXY/NO_PROXY")
}

// TrustFlags add CA certificates to the system's roots.
type TrustFlags struct{ CAFile string }

func (t *TrustFlags) Register(fs *pflag.FlagSet) {
	fs.StringVar(&t.CAFile, "ca-file", "", "also trust the CA certificates in this PEM `FILE`: for the DC's LDAPS certificate, Microsoft Graph and the sign-in")
}

// maxCAFile caps --ca-file.
const maxCAFile = 4 << 20

// Validate reads --ca-file: the system roots plus its certificates; nil
// without one (the system's roots).
func (t *TrustFlags) Validate(ctx context.Context) (*x509.CertPool, error) {
	if t.CAFile == "" {
		return nil, nil
	}
	pem, err := cli.ReadFile(ctx, t.CAFile, maxCAFile)
	if err != nil {
		return nil, cli.Usagef("--ca-file %v", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, cli.Usagef("--ca-file %s: no PEM certificate in it", t.CAFile)
	}
	return pool, nil
}

// proxyChoice is --proxy: "" (the default), "none", "winhttp" or a URL.
type proxyChoice struct {
	mode string
	url  *url.URL
}

// Validate checks the deadline and the proxy URL (the WinHTTP setting is
// read when the run is built).
func (p *ProbeFlags) Validate() (time.Duration, proxyChoice, error) {
	if p.Timeout <= 0 {
		return 0, proxyChoice{}, cli.Usagef("--probe-timeout %s: must be positive", p.Timeout)
	}
	choice := proxyChoice{mode: p.Proxy}
	switch p.Proxy {
	case "", "none", "winhttp":
	default:
		u, err := netprobe.ParseProxyURL(p.Proxy)
		if err != nil {
			return 0, proxyChoice{}, cli.Usagef("--proxy: %v", err)
		}
		choice.mode, choice.url = "url", u
	}
	return p.Timeout, choice, nil
}

// proxy applies --proxy: a URL, "winhttp", "none", or by default the
// fixture's proxy in fixture mode and otherwise the agent's own setting,
// then the proxy environment variables (the machine's variables never apply
// to an emulated network).
func (c proxyChoice) proxy(fixtureMode bool, fixtureProxy *netprobe.Proxy, facts *hostfacts.Snapshot, getenv func(string) string) (*netprobe.Proxy, error) {
	switch c.mode {
	case "":
		if fixtureMode {
			return fixtureProxy, nil
		}
		// What the agent itself uses comes first: its .NET <defaultProxy>
		// (agent config, then machine.config), not WinHTTP.
		if facts != nil && len(facts.Unrecorded(hostfacts.EvidenceAgentProxy)) > 0 {
			return unknownPath(netprobe.FromEnvironment(getenv), facts, hostfacts.EvidenceAgentProxy,
				"the agent's .NET <defaultProxy> setting", "agent proxy"), nil
		}
		if p := agentProxy(facts); p != nil {
			return p, nil
		}
		return netprobe.FromEnvironment(getenv), nil
	case "none":
		return nil, nil
	case "winhttp":
		if facts == nil {
			return nil, cli.Usagef("--proxy winhttp: the WinHTTP setting comes from the host facts, which are unavailable here (run on the agent server, or pass --host-snapshot)")
		}
		w := facts.WinHTTPProxy
		if w == nil {
			return unknownPath(nil, facts, "winhttp_proxy", "the WinHTTP proxy setting", "winhttp proxy"), nil
		}
		if w.Direct {
			return nil, nil
		}
		p, err := netprobe.FromWinHTTP(w.Proxy, w.Bypass, "winhttp")
		if err != nil {
			return nil, cli.Usage(err)
		}
		return p, nil
	}
	return netprobe.Fixed(c.url, "--proxy"), nil
}

// agentProxy turns the agent's own .NET proxy setting (from the host facts)
// into the run's proxy: the probes then take the agent's path, and the
// report names the file the setting came from. nil when the agent has none.
func agentProxy(facts *hostfacts.Snapshot) *netprobe.Proxy {
	if facts == nil || facts.AgentProxy == nil {
		return nil
	}
	ap := facts.AgentProxy
	p := &netprobe.Proxy{Source: ap.Describe()}
	if !ap.Enabled {
		p.Display = `none (<defaultProxy enabled="false">)`
		return p // direct, and the report says why
	}
	if ap.ProxyAddress == "" {
		return nil // usesystemdefault, autoDetect or a PAC script: not followed
	}
	u, err := netprobe.ParseProxyURL(ap.ProxyAddress)
	if err != nil {
		p.Problems = append(p.Problems, "the agent's proxy setting cannot be used: "+err.Error()+"; the probes went direct")
		return p
	}
	p.Func, p.Display = ap.ProxyFor, netprobe.DisplayURL(u)
	if ap.CredentialsDropped {
		p.Problems = append(p.Problems, "the agent's proxy address in "+ap.File+" carries credentials, which the agent cannot use: proxy authentication is not supported")
	}
	p.Problems = append(p.Problems, ap.BypassProblems()...)
	return p
}

// unknownPath is the run's proxy when the host facts do not record the
// setting that decides the agent's path (field): the probes take p's path
// (nil: direct) and say that it may not be the agent's. An absent field is
// not "no proxy"; the reader's warnings about subject say why it is absent.
func unknownPath(p *netprobe.Proxy, facts *hostfacts.Snapshot, field, what, subject string) *netprobe.Proxy {
	if p == nil {
		p = &netprobe.Proxy{Display: "none"}
	}
	p.Unknown = fmt.Sprintf("the host facts do not record %q (%s), so the path the agent takes is not known", field, what)
	var why []string
	for _, w := range facts.Warnings {
		if len(w) > len(subject) && strings.EqualFold(w[:len(subject)], subject) && (w[len(subject)] == ':' || w[len(subject)] == ' ') {
			why = append(why, w)
		}
	}
	if len(why) > 0 {
		p.Unknown += " (" + strings.Join(why, "; ") + ")"
	}
	return p
}
