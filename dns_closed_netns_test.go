//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A server whose configured resolver is not listening (resolv.conf names
// 127.0.0.1, where nothing serves port 53) gets one cause for every
// endpoint that needed DNS, naming the server: "the DNS server
// 127.0.0.1:53 is not listening", outcome dns-unreachable, never
// "dns-timeout". The real binary runs in a network namespace whose
// /etc/netns/NAME files `ip netns exec` mounts over /etc, so the system
// resolver reads them as it would on the server. Root only (namespaces).
func TestResolverNotListeningInANamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatalf("ip (iproute2) is missing: apt-get install iproute2: %v", err)
	}
	bin := builtBinary(t)
	ns := fmt.Sprintf("ptacheck-dnsclosed-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	nsDir := filepath.Join("/etc/netns", ns)
	t.Cleanup(func() {
		exec.Command("ip", "netns", "del", ns).Run()
		os.RemoveAll(nsDir)
	})
	if out, err := exec.Command("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("lo up: %v: %s", err, out)
	}
	if err := os.MkdirAll(nsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(nsDir, "resolv.conf"), []byte("nameserver 127.0.0.1\nsearch corp.contoso.test\n"), 0o644)
	os.WriteFile(filepath.Join(nsDir, "hosts"), []byte("127.0.0.1 localhost\n"), 0o644)

	cmd := exec.Command("ip", "netns", "exec", ns, bin, "install", "--only", "net.outbound-ports", "--proxy", "none", "--probe-timeout", "2s", "-o", "json")
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Run()
	var rep struct {
		Checks []struct {
			Status   string
			Findings []string
			Details  struct {
				Endpoints []struct {
					Host, Outcome, Step, Error string
					Port                       int
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out.String()), &rep); err != nil || len(rep.Checks) != 1 {
		t.Fatalf("report: %v\n%s\n%s", err, out.String(), errb.String())
	}
	c := rep.Checks[0]
	if code := cmd.ProcessState.ExitCode(); code != 1 || c.Status != "fail" {
		t.Errorf("exit %d, %s; want 1, fail", code, c.Status)
	}
	if len(c.Details.Endpoints) == 0 {
		t.Fatal("no endpoint probed")
	}
	for _, e := range c.Details.Endpoints {
		if e.Outcome != "dns-unreachable" || e.Step != "dns" || !strings.Contains(e.Error, "via 127.0.0.1:53: the DNS server is not listening") {
			t.Errorf("%s:%d: %s at %s (%s); want dns-unreachable at dns, naming 127.0.0.1:53", e.Host, e.Port, e.Outcome, e.Step, e.Error)
		}
	}
	causes := 0
	for _, f := range c.Findings {
		if strings.Contains(f, "dns-timeout") {
			t.Errorf("finding %q: a resolver that refuses is not a timeout", f)
		}
		if strings.HasPrefix(f, "the DNS server 127.0.0.1:53 is not listening") {
			causes++
		}
	}
	if causes != 1 {
		t.Errorf("%d findings name the DNS server as the cause, want 1: %q", causes, c.Findings)
	}
}
