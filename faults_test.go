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
	"syscall"
	"testing"
	"time"

	"github.com/ptacheck/ptacheck/checks"
)

// The fault matrix of the network family: the built binary against
// misbehaving loopback servers (the fixture network), one fault at a time.
// Per fault: the exit code, the outcome and message of an endpoint, the
// verdict of net.tls-inspection, and that the run ends within its deadline.
func TestNetworkFaultMatrix(t *testing.T) {
	bin := builtBinary(t)
	const login = "login.microsoftonline.com:443"
	t.Run("endpoints file over the probe cap", func(t *testing.T) { endpointsFileCap(t, bin, false) })
	t.Run("endpoints file at the probe cap", func(t *testing.T) { endpointsFileCap(t, bin, true) })
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

// endpointsFileCap runs the built binary with an --endpoints-file at the
// probe cap (every probe refused by the fixture network) or over it (the
// shape that once made 196,000 probes and 917 MB: 10,000 entries of 20
// ports). Over the cap: exit 2 with one line, at once. At the cap: the run
// ends within its waves. Both stay under 200 MB of peak RSS (the child's
// rusage, in KiB on Linux).
func endpointsFileCap(t *testing.T, bin string, atCap bool) {
	dir := t.TempDir()
	entries, ports := 10000, strings.TrimSuffix(strings.Repeat("443,", 20), ",")
	if atCap {
		entries, ports = checks.MaxEndpointProbes, "443"
	}
	var b strings.Builder
	b.WriteString(`{"endpoints": [`)
	for i := range entries {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"host": "e%d.bulk.test", "ports": [%s], "protocol": "tls", "level": "required"}`, i, ports)
	}
	b.WriteString("]}")
	file := filepath.Join(dir, "endpoints.json")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fixture.json"), []byte(`{"description": "every port refused", "network": {"default": "refuse"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	cmd := exec.Command(bin, "install", "--fixture", dir, "--only", "net.outbound-ports", "--endpoints-file", file, "--probe-timeout", "1s", "-o", "json")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Run()
	took := time.Since(start)
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB
	t.Logf("%d bytes of endpoints: exit %d in %s, peak RSS %d MiB", b.Len(), cmd.ProcessState.ExitCode(), took.Round(time.Millisecond), rss>>10)
	if rss >= 200<<10 {
		t.Errorf("peak RSS %d MiB, want under 200 MiB", rss>>10)
	}
	if !atCap {
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		if code := cmd.ProcessState.ExitCode(); code != 2 || stdout.Len() != 0 || len(lines) != 1 ||
			!strings.Contains(lines[0], "200000 probes (one per port and name of each endpoint): at most 10000 are allowed") {
			t.Errorf("exit %d, stdout %d bytes, stderr %q", code, stdout.Len(), stderr.String())
		}
		// The refusal comes before any probe (196,000 of them once took
		// minutes and 917 MB): bounded by the child's CPU time, which a
		// loaded machine does not stretch the way it stretches wall-clock.
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		if cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano()); cpu > 2*time.Second {
			t.Errorf("used %s of CPU (%s wall-clock) to refuse, want under 2s", cpu, took)
		}
		return
	}
	var rep struct {
		Checks []struct {
			Status  string
			Details struct{ Endpoints []json.RawMessage }
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil || len(rep.Checks) != 1 {
		t.Fatalf("report: %v\n%s", err, stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != 1 || rep.Checks[0].Status != "fail" || len(rep.Checks[0].Details.Endpoints) < checks.MaxEndpointProbes {
		t.Errorf("exit %d, %s, %d endpoints probed", code, rep.Checks[0].Status, len(rep.Checks[0].Details.Endpoints))
	}
	// Waves of up to 2,048 probes, one probe timeout each, plus the
	// check's margin: the work (CPU time) is bounded tightly, the wall
	// clock, which a loaded CI machine stretches (18.5 s once), loosely.
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano()); cpu > 15*time.Second {
		t.Errorf("used %s of CPU, want under 15s", cpu)
	}
	if took > time.Minute {
		t.Errorf("took %s, want under a minute", took)
	}
}
