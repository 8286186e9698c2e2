package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/ptacheck/ptacheck/fixtures"
)

// secretValues are planted in every input a secret can come through; none
// may appear in stdout, stderr, report files or the verbose log.
var secretValues = []string{"ghp_TOKEN123456", "S3cretPW", "S3cr%zzetPW", "S3cr", "HunterPW"}

func assertNoSecret(t *testing.T, where string, texts ...string) {
	t.Helper()
	for _, text := range texts {
		for _, s := range secretValues {
			if strings.Contains(text, s) {
				t.Errorf("%s: secret %q leaked:\n%s", where, s, text)
			}
		}
	}
}

// nxdomainDNS answers NXDOMAIN for every name: direct probes end at once on
// loopback, nothing leaves the machine.
func nxdomainDNS(t *testing.T) string {
	t.Helper()
	srv, err := fixtures.StartDNS(dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeNameError)
		w.WriteMsg(m)
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv.Addr
}

func TestSecretsNeverPrinted(t *testing.T) {
	dnsAddr := nxdomainDNS(t)
	dir := t.TempDir()
	snap := filepath.Join(dir, "host.json")
	os.WriteFile(snap, []byte(`{"schema_version": "1", "os": {"product_name": "Windows Server 2022", "build": 20348, "installation_type": "Server"},
		"winhttp_proxy": {"direct": false, "proxy": "http=bob:HunterPW@127.0.0.21:8080;https=bob:HunterPW@127.0.0.21:8080"}}`), 0o644)
	base := []string{"enable", "--host-snapshot", snap, "--dns-server", dnsAddr, "--probe-timeout", "500ms", "-v"}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"token as proxy user in HTTPS_PROXY", map[string]string{"HTTPS_PROXY": "http://ghp_TOKEN123456@127.0.0.20:3407"}, nil},
		{"user:password in HTTPS_PROXY", map[string]string{"HTTPS_PROXY": "http://alice:S3cretPW@127.0.0.20:3407", "HTTP_PROXY": "http://alice:S3cretPW@127.0.0.20:3407"}, nil},
		{"unparsable HTTPS_PROXY", map[string]string{"HTTPS_PROXY": "http://alice:S3cr%zzetPW@127.0.0.20:3128"}, nil},
		{"socks5 HTTPS_PROXY", map[string]string{"HTTPS_PROXY": "socks5://alice:S3cretPW@127.0.0.20:1080"}, nil},
		{"WinHTTP proxy with a password, direct", nil, []string{"--proxy", "none"}},
		{"WinHTTP proxy with a password, used", nil, []string{"--proxy", "winhttp"}},
		{"token in --proxy", nil, []string{"--proxy", "http://ghp_TOKEN123456@127.0.0.20:3128"}},
		{"password in --proxy", nil, []string{"--proxy", "https://alice:S3cretPW@127.0.0.20:3128"}},
		{"unparsable --proxy", nil, []string{"--proxy", "http://alice:S3cr%zzetPW@127.0.0.20:3128"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"} {
				t.Setenv(k, tc.env[k])
			}
			for _, format := range []string{"text", "json", "junit"} {
				report := filepath.Join(t.TempDir(), "r")
				args := append(append(append([]string{}, base...), tc.args...), "-o", format, "--report-file", report)
				r := runCLI(t, args...)
				data, _ := os.ReadFile(report)
				assertNoSecret(t, tc.name+" -o "+format, r.stdout, r.stderr, string(data))
				if r.code == 0 {
					t.Errorf("%s: exit 0 through an unreachable proxy", tc.name)
				}
			}
		})
	}
}

// The agent's own .NET proxy (its .exe.config, then machine.config) is what
// the probes use by default, and the report names the file it came from.
func TestAgentProxyIsTheDefault(t *testing.T) {
	dnsAddr := nxdomainDNS(t)
	snap := filepath.Join(t.TempDir(), "host.json")
	os.WriteFile(snap, []byte(`{"schema_version": "1", "os": {"product_name": "Windows Server 2022", "build": 20348, "installation_type": "Server"},
		"agent_proxy": {"source": "agent config", "file": "C:\\Program Files\\Microsoft Azure AD Connect Authentication Agent\\AzureADConnectAuthenticationAgentService.exe.config",
		"enabled": true, "proxy_address": "http://127.0.0.22:3128", "bypass_on_local": true, "bypass": ["\\.internal\\.test$"]}}`), 0o644)
	for _, k := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"} {
		t.Setenv(k, "")
	}
	r := runCLI(t, "enable", "--host-snapshot", snap, "--dns-server", dnsAddr, "--probe-timeout", "500ms", "-o", "json")
	j := parseJSON(t, r.stdout)
	if r.code != 1 || !strings.Contains(string(j.Checks[0].Details), `"proxy_source": "agent config (C:\\Program Files\\Microsoft Azure AD Connect Authentication Agent`) ||
		!strings.Contains(strings.Join(j.Checks[0].Findings, "|"), "the proxy http://127.0.0.22:3128 cannot be reached") {
		t.Fatalf("exit %d %+v", r.code, j.Checks[0])
	}
	// --proxy none still goes direct.
	r = runCLI(t, "enable", "--host-snapshot", snap, "--dns-server", dnsAddr, "--probe-timeout", "500ms", "--proxy", "none", "-o", "json")
	if j = parseJSON(t, r.stdout); !strings.Contains(string(j.Checks[0].Details), `"path": "direct"`) {
		t.Fatalf("--proxy none: %s", j.Checks[0].Details)
	}
}
