//go:build !windows

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The fault matrix of the network family: the built binary against
// misbehaving loopback servers (the fixture network), one fault at a time.
// Per fault: the exit code, the outcome and message of an endpoint, the
// verdict of net.tls-inspection, and that the run ends within its deadline.
func TestNetworkFaultMatrix(t *testing.T) {
	bin := builtBinary(t)
	const login = "login.microsoftonline.com:443"
	for _, tc := range []struct {
		name       string
		network    string // the "network" object of fixture.json
		code       int
		outcome    string
		message    string
		inspection string
	}{
		{"dns nxdomain", `{"default": "nxdomain"}`, 1, "dns-nxdomain", "NXDOMAIN", "skip"},
		{"dns servfail", `{"default": "servfail"}`, 1, "dns-servfail", "SERVFAIL", "skip"},
		{"dns truncated, full answer over TCP", `{"default": "truncate"}`, 0, "ok", "", "pass"},
		{"dns dropped", `{"default": "dns-timeout"}`, 1, "dns-timeout", "no answer in time", "skip"},
		{"dns poisoned", `{"default": "poison"}`, 1, "dns-nodata", "no A or AAAA record", "skip"},
		{"tcp reset", `{"default": "reset"}`, 1, "reset", "reset", "skip"},
		{"tcp refused", `{"default": "refuse"}`, 1, "refused", "refused", "skip"},
		{"tcp dropped", `{"default": "drop"}`, 1, "filtered", "no answer to the connection attempt within 1s", "skip"},
		{"tcp tarpit", `{"default": "tls-silent"}`, 1, "tls-timeout", "handshake got no answer within 1s", "skip"},
		{"tls untrusted", `{"default": "untrusted"}`, 1, "tls-untrusted", "Unknown Intermediate CA", "fail"},
		{"tls expired", `{"default": "expired"}`, 1, "tls-expired", "expired", "pass"},
		{"tls wrong name", `{"default": "wrong-name"}`, 1, "tls-name-mismatch", "wrong-name.example.invalid", "pass"},
		{"tls CN only", `{"default": "cn-only"}`, 1, "tls-name-mismatch", "Common Name", "pass"},
		{"tls intercepted", `{"default": "intercept"}`, 1, "ok", "", "fail"},
		{"proxy 407", `{"proxy": {"mode": "auth-required"}}`, 1, "proxy-auth-required", "requires authentication", "skip"},
		{"proxy 403", `{"proxy": {"mode": "deny"}}`, 1, "proxy-denied", "403", "skip"},
		{"proxy 500", `{"proxy": {"mode": "error"}}`, 1, "proxy-server-error", "500", "skip"},
		{"proxy 502", `{"proxy": {"mode": "bad-gateway"}}`, 1, "proxy-bad-gateway", "502", "skip"},
		{"proxy hang", `{"proxy": {"mode": "hang"}}`, 1, "proxy-error", "did not answer within 1s", "skip"},
		{"proxy header flood", `{"proxy": {"mode": "header-flood"}}`, 1, "proxy-error", "larger than 64 KiB", "skip"},
		{"proxy escapes in the reason phrase", `{"proxy": {"mode": "escapes"}}`, 1, "proxy-bad-gateway", "502 Bad Gateway", "skip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			fx := fmt.Sprintf(`{"description": %q, "network": %s}`, tc.name, tc.network)
			if err := os.WriteFile(filepath.Join(dir, "fixture.json"), []byte(fx), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, format := range []string{"json", "text"} {
				start := time.Now()
				cmd := exec.Command(bin, "enable", "--fixture", dir, "--tenant-id", "84841066-274d-4ec0-a5c1-276be684bdd3", "--only", "net.outbound-ports,net.tls-inspection",
					"--probe-timeout", "1s", "--timeout", "20s", "-o", format)
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				cmd.Run()
				took := time.Since(start)
				if code := cmd.ProcessState.ExitCode(); code != tc.code {
					t.Errorf("-o %s: exit %d, want %d\n%s%s", format, code, tc.code, stdout.String(), stderr.String())
				}
				// One probe timeout bounds the run (plus the proxy's or the
				// cut-off's bookkeeping), whatever the fault.
				if took > 3*time.Second {
					t.Errorf("-o %s: took %s, want under 3s", format, took)
				}
				if strings.ContainsAny(stdout.String()+stderr.String(), "\x1b\x07") {
					t.Errorf("-o %s: a control character from the outside world reached the terminal:\n%q", format, stdout.String())
				}
				if format != "json" {
					continue
				}
				var rep struct {
					Checks []struct {
						ID, Status string
						Details    struct {
							Endpoints []struct {
								Host, Outcome, Error string
								Port                 int
							}
						}
					}
				}
				if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil || len(rep.Checks) != 2 {
					t.Fatalf("report: %v\n%s", err, stdout.String())
				}
				var got, msg string
				for _, e := range rep.Checks[0].Details.Endpoints {
					if fmt.Sprintf("%s:%d", e.Host, e.Port) == login {
						got, msg = e.Outcome, e.Error
					}
				}
				if got != tc.outcome || !strings.Contains(msg, tc.message) {
					t.Errorf("%s: %s %q, want %s containing %q", login, got, msg, tc.outcome, tc.message)
				}
				if st := rep.Checks[1].Status; st != tc.inspection {
					t.Errorf("net.tls-inspection %s, want %s", st, tc.inspection)
				}
			}
		})
	}
}
