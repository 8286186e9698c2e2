//go:build !windows

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// After SIGINT the network check's headline counts only the endpoints that
// answered with a failure as "not reachable"; the probes the signal cut off
// are "not evaluated" (ports-blocked: refused endpoints fail at once, the
// dropped ones are still waiting for their one-minute probe timeout).
func TestInterruptedNetworkHeadline(t *testing.T) {
	bin := builtBinary(t)
	cmd := exec.Command(bin, "install", "--fixture", "ports-blocked", "--only", "net.outbound-ports", "--probe-timeout", "1m", "-o", "json")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	awaitSignalHandler(t, cmd.Process.Pid)
	time.Sleep(700 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exit %d, want 130", code)
	}
	var rep struct {
		Checks []struct {
			Message string
			Details struct{ Endpoints []struct{ Outcome string } }
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil || len(rep.Checks) != 1 {
		t.Fatalf("report: %v\n%s", err, stdout.String())
	}
	failed, cut := 0, 0
	for _, e := range rep.Checks[0].Details.Endpoints {
		switch e.Outcome {
		case "ok":
		case "cancelled":
			cut++
		default:
			failed++
		}
	}
	msg := rep.Checks[0].Message
	n := len(rep.Checks[0].Details.Endpoints)
	if failed == 0 || cut == 0 || !strings.HasPrefix(msg, fmt.Sprintf("%d of %d endpoints not reachable: ", failed, n)) ||
		!strings.Contains(msg, fmt.Sprintf("; %d not evaluated (cut off before the probe finished)", cut)) || strings.Contains(msg, "cancelled") {
		t.Errorf("%d failed, %d cut off: %q", failed, cut, msg)
	}
}
