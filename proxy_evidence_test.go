//go:build !windows

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An absent proxy setting is not evidence of "no proxy": a snapshot without
// agent_proxy (or, for --proxy winhttp, without winhttp_proxy) makes the
// network checks an error naming the field, not a verdict on the direct
// path (on the built binary). The explicit values ("agent_proxy": null, "winhttp_proxy":
// {"direct": true}) are evidence: the probes go direct and decide.
func TestAbsentProxySettingIsNotDirect(t *testing.T) {
	bin := builtBinary(t)
	dnsAddr := nxdomainDNS(t)
	for _, k := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"} {
		t.Setenv(k, "")
	}
	const base = `{"schema_version": "1", "os": {"product_name": "Windows Server 2022", "build": 20348, "installation_type": "Server"}`
	for _, tc := range []struct {
		name, snapshot string
		args           []string
		code           int
		status, field  string
	}{
		{"agent_proxy absent", base + `}`, nil, 3, "error", `"agent_proxy"`},
		{"agent_proxy null (neither file has <defaultProxy>)", base + `, "agent_proxy": null}`, nil, 1, "fail", ""},
		{"winhttp_proxy absent, --proxy winhttp", base + `, "agent_proxy": null}`, []string{"--proxy", "winhttp"}, 3, "error", `"winhttp_proxy"`},
		{"winhttp_proxy null, --proxy winhttp", base + `, "agent_proxy": null, "winhttp_proxy": null}`, []string{"--proxy", "winhttp"}, 3, "error", `"winhttp_proxy"`},
		{"winhttp_proxy direct, --proxy winhttp", base + `, "agent_proxy": null, "winhttp_proxy": {"direct": true}}`, []string{"--proxy", "winhttp"}, 1, "fail", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := filepath.Join(t.TempDir(), "host.json")
			if err := os.WriteFile(snap, []byte(tc.snapshot), 0o644); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"enable", "--host-snapshot", snap, "--dns-server", dnsAddr, "--probe-timeout", "500ms", "-o", "json", "--only", "net.outbound-ports,net.tls-inspection"}, tc.args...)
			code, stdout, stderr, _ := runBuilt(t, bin, args...)
			r := cliResult{code, stdout, stderr}
			j := parseJSON(t, r.stdout)
			if r.code != tc.code || len(j.Checks) != 2 {
				t.Fatalf("exit %d (want %d) %+v\n%s", r.code, tc.code, j.Checks, r.stderr)
			}
			net := j.Checks[0]
			if net.ID != "net.outbound-ports" || string(net.Status) != tc.status {
				t.Fatalf("%s: status %s, want %s: %+v", net.ID, net.Status, tc.status, net)
			}
			findings := strings.Join(net.Findings, "|")
			if tc.field != "" {
				if !strings.Contains(findings, "do not record "+tc.field) || !strings.Contains(findings, "the probes went direct") {
					t.Errorf("findings do not name %s and the path taken: %s", tc.field, findings)
				}
				// The TLS check cannot pass on a path that may not be the agent's.
				if tls := j.Checks[1]; string(tls.Status) != "error" || !strings.Contains(strings.Join(tls.Findings, "|"), tc.field) {
					t.Errorf("%s: %s %v", tls.ID, tls.Status, tls.Findings)
				}
			} else if strings.Contains(findings, "do not record") {
				t.Errorf("an explicit setting is evidence: %s", findings)
			}
		})
	}
}
