//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// ttyRun runs the built binary with stdout and stderr on a pseudo-terminal
// of cols columns (0: leave the size unset) and the environment env (added
// to this process's, COLUMNS and TERM removed), and returns what the
// terminal received.
func ttyRun(t *testing.T, cols int, env []string, args ...string) string {
	t.Helper()
	bin := builtBinary(t)
	master, slave, err := openPTY()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer master.Close()
	if cols > 0 {
		if err := unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 50, Col: uint16(cols)}); err != nil {
			t.Fatal(err)
		}
	}
	got := make(chan string, 1)
	go func() {
		data, _ := io.ReadAll(master) // until the slave is closed
		got <- string(data)
	}()
	cmd := exec.Command(bin, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, slave, slave
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "COLUMNS=") && !strings.HasPrefix(e, "TERM=") {
			cmd.Env = append(cmd.Env, e)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	err = cmd.Run()
	slave.Close()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		return s
	case <-time.After(20 * time.Second):
		t.Fatal("no output from the terminal")
	}
	return ""
}

// runCLIEnv runs in-process with env over the test world's environment.
func runCLIEnv(t *testing.T, env map[string]string, args ...string) cliResult {
	t.Helper()
	var out, errb bytes.Buffer
	sys := testSystem()
	getenv := sys.Getenv
	sys.Getenv = func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return getenv(k)
	}
	code := runMain(context.Background(), args, &out, &errb, sys)
	return cliResult{code, out.String(), errb.String()}
}

var colour = regexp.MustCompile("\x1b\\[[0-9;]*m")

// overWide returns the lines of out wider than width (colours aside) that
// are not one word after a label or an indent: the one thing a fold cannot
// break (a URL, a long path).
func overWide(out string, width int) []string {
	var bad []string
	for _, line := range strings.Split(strings.ReplaceAll(out, "\r\n", "\n"), "\n") {
		for _, seg := range strings.Split(line, "\r") { // a status line's redraws
			seg = colour.ReplaceAllString(seg, "")
			if len([]rune(seg)) > width && len(strings.Fields(seg)) > 2 {
				bad = append(bad, seg)
			}
		}
	}
	return bad
}

// Output fits the terminal (issue 20 item 3): at 60 columns the check
// report, its progress line, list, logs, fixtures and summarize fold to 60
// columns; at 200 they use the room; the width comes from the terminal
// or from COLUMNS on a pipe.
func TestOutputFitsTheTerminal(t *testing.T) {
	logs := t.TempDir()
	var b strings.Builder
	for i, reason := range []int{1326, 1909, 1331, 1326, -2146892994} {
		fmt.Fprintf(&b, "AzureADConnectAuthenticationAgentService.exe Error: 0 : Passthrough Authentication request failed. RequestId: 'df63f4a4-68b9-44ae-8d81-6ad2d844d8%02d'. Reason: '%d'.\r\n    ThreadId=5\r\n    DateTime=2026-11-25T1%d:00:00Z\r\n", i, reason, i)
	}
	log := filepath.Join(logs, "AzureADConnectAuthenticationAgent_trace.log")
	if err := os.WriteFile(log, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	reports := t.TempDir()
	writeReports(t, reports, map[string][]string{
		"a": {"install", "--fixture", "app-proxy-present"}, "b": {"install", "--fixture", "ports-blocked"}})
	commands := [][]string{
		{"install", "--fixture", "app-proxy-present"},
		{"install", "--fixture", "ports-blocked", "--probe-timeout", "1s"},
		{"list"}, {"list", "--endpoints"}, {"fixtures"}, {"logs", log}, {"summarize", reports},
	}
	for _, width := range []int{60, 200} {
		for _, args := range commands {
			out := ttyRun(t, width, []string{"TERM=xterm"}, args...)
			if bad := overWide(out, width); len(bad) > 0 {
				t.Errorf("%d columns, %v: %d lines too wide, e.g. %q", width, args, len(bad), bad[0])
			}
			if width == 200 && len(overWide(out, 60)) == 0 && args[0] != "logs" {
				t.Errorf("200 columns, %v: folded as if narrow:\n%s", args, out)
			}
			// On a pipe COLUMNS is the width.
			r := runCLIEnv(t, map[string]string{"COLUMNS": fmt.Sprint(width)}, args...)
			if bad := overWide(r.stdout, width); len(bad) > 0 {
				t.Errorf("COLUMNS=%d, %v: %d lines too wide, e.g. %q", width, args, len(bad), bad[0])
			}
		}
	}
	// The progress line is cut to the terminal, and redrawn over itself.
	out := ttyRun(t, 40, []string{"TERM=xterm"}, "install", "--fixture", "healthy")
	if !strings.Contains(out, "\r[") {
		t.Fatalf("no progress line on the terminal: %q", out)
	}
	for _, seg := range strings.Split(strings.ReplaceAll(out, "\r\n", "\n"), "\r") {
		if first, _, _ := strings.Cut(seg, "\n"); strings.HasPrefix(first, "[") && len(first) >= 40 {
			t.Errorf("a progress redraw wider than 39 columns: %q", first)
		}
	}
}

// TERM=dumb: no escape sequence at all, no \r status line (issue 20 item
// 3); colours and the status line are there on a capable terminal.
func TestDumbTerminal(t *testing.T) {
	for _, args := range [][]string{
		{"install", "--fixture", "app-proxy-present"},
		{"install", "--fixture", "healthy", "--timeout", "5ms"},
	} {
		out := ttyRun(t, 80, []string{"TERM=dumb"}, args...)
		if strings.Contains(out, "\x1b") || regexp.MustCompile("\r[^\n]").MatchString(out) {
			t.Errorf("TERM=dumb %v: an escape sequence or a bare \\r: %q", args, out)
		}
		out = ttyRun(t, 80, []string{"TERM=xterm"}, args...)
		if !strings.Contains(out, "\x1b[") || !regexp.MustCompile("\r[^\n]").MatchString(out) {
			t.Errorf("TERM=xterm %v: no colour or no status line: %q", args, out)
		}
	}
}
