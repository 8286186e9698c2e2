package hostfacts

import (
	"encoding/json"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
)

// A machine.config shaped like the stock .NET 4 one (sections declared,
// no <system.net>), and one an administrator gave a proxy.
const (
	stockMachineConfig = `<?xml version="1.0" encoding="UTF-8" ?>
<!--
    Please refer to machine.config.comments for a description and
    the default values of each configuration section.
-->
<configuration>
    <configSections>
        <sectionGroup name="system.net" type="System.Net.Configuration.NetSectionGroup, System, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089">
            <section name="defaultProxy" type="System.Net.Configuration.DefaultProxySection, System, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089"/>
        </sectionGroup>
    </configSections>
    <system.web>
        <processModel autoConfig="true"/>
    </system.web>
</configuration>`

	machineConfigWithProxy = `<?xml version="1.0" encoding="UTF-8" ?>
<configuration>
  <system.net>
    <defaultProxy enabled="true" useDefaultCredentials="true">
      <proxy usesystemdefault="false" proxyaddress="http://proxy.contoso.com:8080" bypassonlocal="true" />
      <bypasslist>
        <add address="contoso\.com$" />
        <add address="192\.168\..*" />
      </bypasslist>
    </defaultProxy>
  </system.net>
</configuration>`

	// The agent's own file as the Microsoft FAQ suggests editing it.
	agentConfig = `<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <startup>
    <supportedRuntime version="v4.0" sku=".NETFramework,Version=v4.7.2" />
  </startup>
  <!-- the agent's proxy -->
  <system.net>
    <defaultProxy enabled="true" useDefaultCredentials="false">
      <proxy usesystemdefault="false" proxyaddress="http://agentproxy.contoso.com:3128" autoDetect="False" />
    </defaultProxy>
  </system.net>
  <appSettings><add key="TraceFilename" value="AzureADConnectAuthenticationAgent.log"/></appSettings>
</configuration>`
)

func TestParseDotNetProxyConfig(t *testing.T) {
	p, err := ParseDotNetProxyConfig([]byte(machineConfigWithProxy))
	if err != nil {
		t.Fatal(err)
	}
	want := AgentProxy{
		Enabled: true, UseDefaultCredentials: true, ProxyAddress: "http://proxy.contoso.com:8080",
		BypassOnLocal: true, Bypass: []string{`contoso\.com$`, `192\.168\..*`}, UseSystemDefault: ptr(false),
	}
	if got := mustJSON(t, p); got != mustJSON(t, want) {
		t.Errorf("got  %s\nwant %s", got, mustJSON(t, want))
	}

	none, err := ParseDotNetProxyConfig([]byte(stockMachineConfig))
	if err != nil || none != nil {
		t.Errorf("stock machine.config: %+v, %v; want nil, nil", none, err)
	}

	tests := []struct {
		name, in string
		check    func(*AgentProxy) bool
	}{
		{"disabled", `<configuration><system.net><defaultProxy enabled="false"/></system.net></configuration>`,
			func(p *AgentProxy) bool { return !p.Enabled && p.ProxyAddress == "" }},
		{"defaults: enabled, no credentials, nothing specified", `<configuration><system.net><defaultProxy/></system.net></configuration>`,
			func(p *AgentProxy) bool {
				return p.Enabled && !p.UseDefaultCredentials && p.AutoDetect == nil && p.UseSystemDefault == nil && p.Bypass != nil
			}},
		{"values any case, Unspecified", `<configuration><system.net><defaultProxy Enabled="TRUE"><proxy autoDetect="True" usesystemdefault="Unspecified" scriptLocation="http://wpad/wpad.dat"/></defaultProxy></system.net></configuration>`,
			func(p *AgentProxy) bool {
				return p.Enabled && *p.AutoDetect && p.UseSystemDefault == nil && p.ScriptLocation == "http://wpad/wpad.dat"
			}},
		{"namespace on the root", `<configuration xmlns="http://schemas.microsoft.com/.NetConfiguration/v2.0"><system.net><defaultProxy><proxy proxyaddress="http://p:1"/></defaultProxy></system.net></configuration>`,
			func(p *AgentProxy) bool { return p.ProxyAddress == "http://p:1" }},
		{"UTF-8 BOM", "\xEF\xBB\xBF" + agentConfig,
			func(p *AgentProxy) bool {
				return p.ProxyAddress == "http://agentproxy.contoso.com:3128" && !*p.AutoDetect
			}},
		{"UTF-16LE with BOM and a utf-16 declaration", utf16LE(strings.Replace(agentConfig, `encoding="utf-8"`, `encoding="utf-16"`, 1)),
			func(p *AgentProxy) bool { return p.ProxyAddress == "http://agentproxy.contoso.com:3128" }},
		{"bypass list clear and remove", `<configuration><system.net><defaultProxy><bypasslist><add address="a"/><clear/><add address="b"/><add address="c"/><remove address="B"/></bypasslist></defaultProxy></system.net></configuration>`,
			func(p *AgentProxy) bool { return strings.Join(p.Bypass, ",") == "c" }},
		{"credentials dropped", `<configuration><system.net><defaultProxy><proxy proxyaddress="http://bob:s3cret@proxy:8080/"/></defaultProxy></system.net></configuration>`,
			func(p *AgentProxy) bool {
				return p.CredentialsDropped && p.ProxyAddress == "http://proxy:8080/" && !strings.Contains(mustJSON(t, p), "s3cret")
			}},
		{"credentials in an address that is not a URL", `<configuration><system.net><defaultProxy><proxy proxyaddress="bob:s3 cret@proxy:8080"/></defaultProxy></system.net></configuration>`,
			func(p *AgentProxy) bool { return p.CredentialsDropped && p.ProxyAddress == "proxy:8080" }},
		{"module", `<configuration><system.net><defaultProxy><module type="Contoso.Proxy, Contoso"/></defaultProxy></system.net></configuration>`,
			func(p *AgentProxy) bool { return p.Module == "Contoso.Proxy, Contoso" }},
		{"commented-out proxy", `<configuration><system.net><defaultProxy><!-- <proxy proxyaddress="http://old:1"/> --></defaultProxy></system.net></configuration>`,
			func(p *AgentProxy) bool { return p.ProxyAddress == "" }},
	}
	for _, tt := range tests {
		p, err := ParseDotNetProxyConfig([]byte(tt.in))
		if err != nil || p == nil || !tt.check(p) {
			t.Errorf("%s: %+v, %v", tt.name, p, err)
		}
	}

	bad := map[string]string{
		"":                "no root element",
		"<configuration>": "parse XML",
		"<settings/>":     "root element is <settings>",
		"<configuration><system.net><defaultProxy enabled=\"yes\"/></system.net></configuration>":                                             `enabled="yes": want true or false`,
		"<configuration><system.net><defaultProxy><proxy bypassonlocal=\"1\"/></defaultProxy></system.net></configuration>":                   `bypassonlocal="1"`,
		"<configuration><system.net><defaultProxy/></system.net><system.net><defaultProxy/></system.net></configuration>":                     "more than once",
		"<configuration><system.net><defaultProxy><bypasslist><add/></bypasslist></defaultProxy></system.net></configuration>":                "has no address",
		"<configuration><system.net><defaultProxy><bypasslist><frob address=\"x\"/></bypasslist></defaultProxy></system.net></configuration>": "unknown element <frob>",
		"<?xml version=\"1.0\" encoding=\"ebcdic\"?><configuration/>":                                                                         `encoding "ebcdic"`,
		"<configuration><system.net><defaultProxy><proxy/><proxy/></defaultProxy></system.net></configuration>":                               "more than once",
		"\xFF\xFE<": "odd length",
	}
	for in, want := range bad {
		_, err := ParseDotNetProxyConfig([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseDotNetProxyConfig(%q) = %v, want one line containing %q", in, err, want)
		}
	}
}

func TestResolveAgentProxy(t *testing.T) {
	const af, mf = `C:\agent.config`, `C:\machine.config`
	// The agent's file wins, attribute by attribute: its proxyaddress, but
	// machine.config's bypass list and bypassonlocal.
	p, w := ResolveAgentProxy(af, []byte(agentConfig), mf, []byte(machineConfigWithProxy))
	if len(w) != 0 || p == nil || p.Source != ProxySourceAgentConfig || p.File != af ||
		p.ProxyAddress != "http://agentproxy.contoso.com:3128" || !p.BypassOnLocal || len(p.Bypass) != 2 || p.UseDefaultCredentials {
		t.Errorf("agent over machine: %+v %q", p, w)
	}
	if got := p.Describe(); got != `agent config (C:\agent.config)` {
		t.Errorf("Describe = %q", got)
	}
	p, w = ResolveAgentProxy(af, nil, mf, []byte(machineConfigWithProxy))
	if len(w) != 0 || p == nil || p.Source != ProxySourceMachineConfig || p.File != mf || p.ProxyAddress != "http://proxy.contoso.com:8080" {
		t.Errorf("machine only: %+v %q", p, w)
	}
	// An agent file without <defaultProxy> leaves machine.config in charge.
	p, _ = ResolveAgentProxy(af, []byte(`<configuration><startup/></configuration>`), mf, []byte(machineConfigWithProxy))
	if p == nil || p.Source != ProxySourceMachineConfig {
		t.Errorf("agent file without the element: %+v", p)
	}
	if p, w := ResolveAgentProxy(af, nil, mf, []byte(stockMachineConfig)); p != nil || len(w) != 0 {
		t.Errorf("nothing configured: %+v %q", p, w)
	}
	// A broken file is a warning naming it; the other still counts.
	p, w = ResolveAgentProxy(af, []byte("<configuration>"), mf, []byte(machineConfigWithProxy))
	if p == nil || p.Source != ProxySourceMachineConfig || len(w) != 1 || !strings.HasPrefix(w[0], `agent proxy C:\agent.config: parse XML`) {
		t.Errorf("broken agent file: %+v %q", p, w)
	}
	// Credentials: dropped, and said.
	p, w = ResolveAgentProxy(af, []byte(`<configuration><system.net><defaultProxy><proxy proxyaddress="http://u:pw@p:8080"/></defaultProxy></system.net></configuration>`), mf, nil)
	if p == nil || p.ProxyAddress != "http://p:8080" || len(w) != 1 || !strings.Contains(w[0], "carries credentials") || strings.Contains(w[0], "pw") {
		t.Errorf("credentials: %+v %q", p, w)
	}
	// A bypass entry Go cannot compile is named.
	_, w = ResolveAgentProxy(af, []byte(`<configuration><system.net><defaultProxy><bypasslist><add address="(?&lt;x&gt;"/></bypasslist></defaultProxy></system.net></configuration>`), mf, nil)
	if len(w) != 1 || !strings.Contains(w[0], "not a valid regular expression") {
		t.Errorf("bad bypass: %q", w)
	}
}

func TestAgentProxyFor(t *testing.T) {
	p, err := ParseDotNetProxyConfig([]byte(machineConfigWithProxy))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		target, want string
	}{
		{"https://login.microsoftonline.com:443", "http://proxy.contoso.com:8080"},
		{"http://crl3.digicert.com:80", "http://proxy.contoso.com:8080"},
		{"https://dc1.contoso.com:443", ""},                                   // bypass regex
		{"https://DC1.CONTOSO.COM:443", ""},                                   // case-insensitive, as .NET
		{"https://intranet:443", ""},                                          // bypassonlocal: no dot
		{"https://127.0.0.1:443", ""},                                         // loopback
		{"https://192.168.1.5:443", ""},                                       // bypass regex on an address
		{"https://contoso.com.evil.net:443", "http://proxy.contoso.com:8080"}, // anchored with $
	} {
		u, _ := url.Parse(tc.target)
		got, err := p.ProxyFor(u)
		gs := ""
		if got != nil {
			gs = got.String()
		}
		if err != nil || gs != tc.want {
			t.Errorf("ProxyFor(%s) = %q, %v; want %q", tc.target, gs, err, tc.want)
		}
	}
	// The port takes part in the match unless it is the default one.
	portOnly := &AgentProxy{Enabled: true, ProxyAddress: "proxy:3128", Bypass: []string{`:8443$`}}
	for target, want := range map[string]string{"https://a.example:8443": "", "https://a.example:443": "http://proxy:3128"} {
		u, _ := url.Parse(target)
		got, _ := portOnly.ProxyFor(u)
		if gs := urlString(got); gs != want {
			t.Errorf("port match %s = %q, want %q", target, gs, want)
		}
	}
	u, _ := url.Parse("https://login.microsoftonline.com:443")
	for _, direct := range []*AgentProxy{nil, {Enabled: false, ProxyAddress: "http://p:1"}, {Enabled: true}} {
		if got, err := direct.ProxyFor(u); got != nil || err != nil {
			t.Errorf("%+v: ProxyFor = %v, %v; want direct", direct, got, err)
		}
	}
	if _, err := (&AgentProxy{Enabled: true, ProxyAddress: "http://[::1"}).ProxyFor(u); err == nil {
		t.Error("an unparsable proxy address gave no error")
	}
}

func FuzzParseDotNetProxyConfig(f *testing.F) {
	for _, s := range []string{stockMachineConfig, machineConfigWithProxy, agentConfig, "\xEF\xBB\xBF" + agentConfig, utf16LE(agentConfig),
		`<configuration><system.net><defaultProxy><bypasslist><clear/><add address="x"/></bypasslist></defaultProxy></system.net></configuration>`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseDotNetProxyConfig(data)
		if err != nil {
			if p != nil || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q with result %+v", err, p)
			}
			return
		}
		if p == nil {
			return
		}
		if p.Bypass == nil {
			t.Fatal("nil bypass list")
		}
		if strings.Contains(p.ProxyAddress, "@") {
			t.Fatalf("credentials kept: %q", p.ProxyAddress)
		}
		u, _ := url.Parse("https://login.microsoftonline.com:443")
		_, _ = p.ProxyFor(u) // must not panic
	})
}

func ptr[T any](v T) *T { return &v }

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func urlString(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.String()
}

func utf16LE(s string) string {
	units := utf16.Encode([]rune(s))
	b := []byte{0xFF, 0xFE}
	for _, u := range units {
		b = append(b, byte(u), byte(u>>8))
	}
	return string(b)
}

func TestReadConfigFileIsBounded(t *testing.T) {
	if _, err := ReadConfigFile(filepath.Join(t.TempDir(), "absent.config")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("absent file: %v, want fs.ErrNotExist", err)
	}
	big := filepath.Join(t.TempDir(), "big.config")
	if err := os.WriteFile(big, make([]byte, MaxConfigSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadConfigFile(big); err == nil || !strings.Contains(err.Error(), "1 MiB") {
		t.Errorf("oversized file: %v, want a size error", err)
	}
	ok := filepath.Join(t.TempDir(), "ok.config")
	if err := os.WriteFile(ok, []byte(agentConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	if data, err := ReadConfigFile(ok); err != nil || string(data) != agentConfig {
		t.Errorf("small file: %d bytes, %v", len(data), err)
	}
}
