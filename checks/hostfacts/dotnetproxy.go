package hostfacts

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/ptacheck/ptacheck/util/jsonstrict"
)

// The agent is a .NET Framework service: it takes its proxy from the
// <system.net><defaultProxy> element of its own configuration file, falling
// back to machine.config, not from the WinHTTP setting (pta-facts.md 7; the
// connector updater is the one that uses WinHTTP).
const (
	// AgentConfigPath is the agent's .NET configuration file, in the
	// catalogue's spelling; the live reader resolves %ProgramFiles%.
	AgentConfigPath = `C:\Program Files\Microsoft Azure AD Connect Authentication Agent\AzureADConnectAuthenticationAgentService.exe.config`
	// MachineConfigPath is the 64-bit .NET 4 machine.config, in the
	// catalogue's spelling; the live reader resolves %WINDIR%.
	MachineConfigPath = `C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Config\machine.config`
	// MaxConfigSize caps a .NET configuration file read: real ones are a
	// few KiB (machine.config about 40 KiB).
	MaxConfigSize = 1 << 20
)

// ReadConfigFile reads a .NET configuration file, at most MaxConfigSize
// bytes. A missing file is an error satisfying errors.Is(err,
// fs.ErrNotExist).
func ReadConfigFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return jsonstrict.ReadAll(f, MaxConfigSize)
}

// Sources of the agent's proxy setting (AgentProxy.Source).
const (
	ProxySourceAgentConfig   = "agent config"
	ProxySourceMachineConfig = "machine.config"
)

// AgentProxy is the agent's effective .NET <defaultProxy> setting.
type AgentProxy struct {
	// Source is the most specific file that has a <defaultProxy> element:
	// "agent config" (its values override machine.config's attribute by
	// attribute, as .NET merges them) or "machine.config".
	Source string `json:"source"`
	File   string `json:"file"` // the path of that file on the host
	// Enabled is <defaultProxy enabled>: false sends everything direct.
	Enabled               bool `json:"enabled"`
	UseDefaultCredentials bool `json:"use_default_credentials"`
	// ProxyAddress is <proxy proxyaddress>, without credentials; "" none.
	ProxyAddress string `json:"proxy_address,omitempty"`
	// CredentialsDropped says the configured address carried user:password,
	// which the snapshot never stores (the agent cannot authenticate to a
	// proxy anyway).
	CredentialsDropped bool `json:"credentials_dropped,omitempty"`
	BypassOnLocal      bool `json:"bypass_on_local"`
	// Bypass are the <bypasslist> addresses: .NET regular expressions
	// matched against "scheme://host[:port]".
	Bypass []string `json:"bypass"`
	// AutoDetect and UseSystemDefault are tri-state in .NET: null means
	// unspecified.
	AutoDetect       *bool  `json:"auto_detect"`
	UseSystemDefault *bool  `json:"use_system_default"`
	ScriptLocation   string `json:"script_location,omitempty"` // a PAC file URL
	Module           string `json:"module,omitempty"`          // <module type>: a custom proxy class
}

// Describe names where the setting comes from, for reports:
// "agent config (C:\...\AzureADConnectAuthenticationAgentService.exe.config)".
func (p *AgentProxy) Describe() string {
	if p.File == "" {
		return p.Source
	}
	return p.Source + " (" + p.File + ")"
}

// ProxyFor returns the proxy the agent uses for target (scheme and
// "host:port"), or nil when it connects directly: <defaultProxy> disabled,
// no proxyaddress, bypassonlocal for a local name, or a bypass-list match.
// Its signature is netprobe.ProxyFunc's. A proxy chosen through
// usesystemdefault, autoDetect or a script cannot be evaluated here and
// counts as direct; callers say so.
func (p *AgentProxy) ProxyFor(target *url.URL) (*url.URL, error) {
	if p == nil || !p.Enabled || p.ProxyAddress == "" {
		return nil, nil
	}
	host := target.Hostname()
	if p.BypassOnLocal && isLocalName(host) {
		return nil, nil
	}
	match := target.Scheme + "://" + host
	if port := target.Port(); port != "" && port != defaultPort(target.Scheme) {
		match += ":" + port
	}
	for _, b := range p.Bypass {
		re, err := regexp.Compile("(?i)" + b)
		if err != nil {
			continue // reported when the setting was read (BypassProblems)
		}
		if re.MatchString(match) {
			return nil, nil
		}
	}
	return proxyURL(p.ProxyAddress)
}

// BypassProblems lists bypass entries that are not regular expressions
// this reader understands; ProxyFor ignores them.
func (p *AgentProxy) BypassProblems() []string {
	var out []string
	for _, b := range p.Bypass {
		if _, err := regexp.Compile("(?i)" + b); err != nil {
			out = append(out, fmt.Sprintf("bypass entry %q is not a valid regular expression", b))
		}
	}
	return out
}

func defaultPort(scheme string) string {
	if scheme == "http" {
		return "80"
	}
	return "443"
}

// isLocalName is .NET's notion of a local address for bypassonlocal: a name
// without dots, or a loopback address.
func isLocalName(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	return !strings.Contains(host, ".")
}

// proxyURL parses a proxyaddress; .NET wants a URI, "host:port" is taken as
// http.
func proxyURL(raw string) (*url.URL, error) {
	s := raw
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("agent proxy address %q: not a valid URL", raw)
	}
	return u, nil
}

// proxySection is one file's <defaultProxy>; nil fields are not set there
// and inherit from machine.config.
type proxySection struct {
	enabled, useDefaultCredentials           *bool
	proxyAddress, scriptLocation, module     *string
	useSystemDefault, bypassOnLocal, autoDet *bool
	bypass                                   []bypassOp
}

type bypassOp struct {
	op      string // add, remove, clear
	address string
}

// ParseDotNetProxyConfig reads the <system.net><defaultProxy> element of a
// .NET configuration file (an app's .exe.config or machine.config) on its
// own, with .NET's defaults for what it leaves out. It returns nil and no
// error when the file has no such element. Credentials in proxyaddress are
// dropped (CredentialsDropped). UTF-8 and UTF-16 files, with or without a
// byte order mark, are accepted.
func ParseDotNetProxyConfig(data []byte) (*AgentProxy, error) {
	sec, err := parseProxySection(data)
	if err != nil || sec == nil {
		return nil, err
	}
	return resolve(nil, sec), nil
}

// ResolveAgentProxy merges the agent's configuration over machine.config as
// .NET does and returns the agent's effective proxy setting (nil when
// neither file has a <defaultProxy> element: the agent then uses .NET's
// defaults, the system proxy of its account) and what could not be used,
// as snapshot warnings. Either data may be nil: the file does not exist.
func ResolveAgentProxy(agentFile string, agentData []byte, machineFile string, machineData []byte) (*AgentProxy, []string) {
	var warnings []string
	parse := func(file string, data []byte) *proxySection {
		if data == nil {
			return nil
		}
		sec, err := parseProxySection(data)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("agent proxy %s: %v", file, err))
			return nil
		}
		return sec
	}
	machine, agent := parse(machineFile, machineData), parse(agentFile, agentData)
	var p *AgentProxy
	switch {
	case agent != nil:
		p = resolve(machine, agent)
		p.Source, p.File = ProxySourceAgentConfig, agentFile
	case machine != nil:
		p = resolve(nil, machine)
		p.Source, p.File = ProxySourceMachineConfig, machineFile
	default:
		return nil, warnings
	}
	if p.CredentialsDropped {
		warnings = append(warnings, fmt.Sprintf("agent proxy %s: the proxy address carries credentials; they are not recorded (the agent cannot authenticate to a proxy)", p.File))
	}
	for _, b := range p.BypassProblems() {
		warnings = append(warnings, fmt.Sprintf("agent proxy %s: %s", p.File, b))
	}
	return p, warnings
}

// resolve applies child over parent, then .NET's defaults.
func resolve(parent, child *proxySection) *AgentProxy {
	p := &AgentProxy{Enabled: true, Bypass: []string{}}
	for _, s := range []*proxySection{parent, child} {
		if s == nil {
			continue
		}
		setBool(&p.Enabled, s.enabled)
		setBool(&p.UseDefaultCredentials, s.useDefaultCredentials)
		setBool(&p.BypassOnLocal, s.bypassOnLocal)
		if s.proxyAddress != nil {
			p.ProxyAddress = *s.proxyAddress
		}
		if s.scriptLocation != nil {
			p.ScriptLocation = *s.scriptLocation
		}
		if s.module != nil {
			p.Module = *s.module
		}
		if s.autoDet != nil {
			p.AutoDetect = s.autoDet
		}
		if s.useSystemDefault != nil {
			p.UseSystemDefault = s.useSystemDefault
		}
		for _, b := range s.bypass {
			switch b.op {
			case "clear":
				p.Bypass = []string{}
			case "remove":
				p.Bypass = deleteFold(p.Bypass, b.address)
			case "add":
				if !ContainsFold(p.Bypass, b.address) {
					p.Bypass = append(p.Bypass, b.address)
				}
			}
		}
	}
	p.ProxyAddress, p.CredentialsDropped = stripCredentials(p.ProxyAddress)
	return p
}

func setBool(dst *bool, v *bool) {
	if v != nil {
		*dst = *v
	}
}

func deleteFold(list []string, s string) []string {
	out := []string{}
	for _, e := range list {
		if !strings.EqualFold(e, s) {
			out = append(out, e)
		}
	}
	return out
}

// stripCredentials removes user:password@ from a proxy address. An address
// that does not parse but has an "@" loses everything before it, so a
// secret never reaches the snapshot.
func stripCredentials(addr string) (string, bool) {
	if !strings.Contains(addr, "@") {
		return addr, false
	}
	s := addr
	hasScheme := strings.Contains(s, "://")
	if !hasScheme {
		s = "http://" + s
	}
	if u, err := url.Parse(s); err == nil && u.User != nil {
		u.User = nil
		out := u.String()
		if !hasScheme {
			out = strings.TrimPrefix(out, "http://")
		}
		return out, true
	}
	scheme, rest := "", addr
	if i := strings.Index(addr, "://"); i >= 0 {
		scheme, rest = addr[:i+3], addr[i+3:]
	}
	return scheme + rest[strings.LastIndex(rest, "@")+1:], true
}
