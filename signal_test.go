//go:build !windows

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// builtBinary builds ptacheck once per test run: signal handling and exit
// codes are properties of the real process.
func builtBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ptacheck-bin")
		if err != nil {
			binErr = err
			return
		}
		builtDir = dir // TestMain removes it
		binPath = filepath.Join(dir, "ptacheck")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = err
			t.Logf("%s", out)
		}
	})
	if binErr != nil {
		t.Skipf("cannot build the binary: %v", binErr)
	}
	return binPath
}

// SIGTERM (CI cancellation, timeout(1)) and SIGINT stop a run within a
// second, write the partial report to stdout and --report-file, and exit
// 143 and 130. The report file is replaced atomically: an earlier one is
// never truncated, and a killed run leaves it intact.
func TestSignalsWritePartialReport(t *testing.T) {
	bin := builtBinary(t)
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGTERM, 143}, {syscall.SIGINT, 130}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			report := filepath.Join(t.TempDir(), "r.json")
			os.WriteFile(report, []byte("earlier report\n"), 0o644)
			cmd := exec.Command(bin, "install", "--fixture", "ports-blocked", "--probe-timeout", "1m", "-o", "json", "--report-file", report)
			var stdout bytes.Buffer
			cmd.Stdout = &stdout
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			awaitSignalHandler(t, cmd.Process.Pid)
			time.Sleep(700 * time.Millisecond) // the dropped endpoints are still being probed
			if data, _ := os.ReadFile(report); string(data) != "earlier report\n" {
				t.Fatalf("the earlier report changed during the run: %q", data)
			}
			sent := time.Now()
			cmd.Process.Signal(tc.sig)
			err := cmd.Wait()
			took := time.Since(sent)
			code := cmd.ProcessState.ExitCode()
			if code != tc.code {
				t.Fatalf("exit %d (%v), want %d", code, err, tc.code)
			}
			if took > 1500*time.Millisecond {
				t.Errorf("took %s after the signal, want about a second at most", took)
			}
			for name, data := range map[string][]byte{"stdout": stdout.Bytes(), "report file": mustRead(t, report)} {
				var j struct {
					Interrupted bool `json:"interrupted"`
					ExitCode    int  `json:"exit_code"`
					Checks      []struct {
						ID, Status string
					} `json:"checks"`
				}
				if err := json.Unmarshal(data, &j); err != nil {
					t.Fatalf("%s is not a valid report: %v\n%s", name, err, data)
				}
				if !j.Interrupted || j.ExitCode != tc.code || len(j.Checks) < 8 || j.Checks[0].Status != "pass" {
					t.Errorf("%s: %+v", name, j)
				}
			}
		})
	}
	t.Run("SIGKILL", func(t *testing.T) {
		report := filepath.Join(t.TempDir(), "r.json")
		os.WriteFile(report, []byte("earlier report\n"), 0o644)
		cmd := exec.Command(bin, "install", "--fixture", "ports-blocked", "--probe-timeout", "1m", "--report-file", report)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		awaitSignalHandler(t, cmd.Process.Pid)
		time.Sleep(500 * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		if data := mustRead(t, report); string(data) != "earlier report\n" {
			t.Errorf("a killed run damaged the earlier report: %q", data)
		}
	})
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// --report-file never follows a symlink: the link is replaced by the report
// and its target is left alone.
func TestReportFileReplacesSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "precious")
	os.WriteFile(target, []byte("do not overwrite\n"), 0o644)
	link := filepath.Join(dir, "r.txt")
	if err := os.Symlink(target, link); err != nil {
		t.Skip(err)
	}
	r := runCLI(t, "install", "--fixture", "healthy", "--report-file", link)
	if r.code != 0 {
		t.Fatalf("exit %d %s", r.code, r.stderr)
	}
	if data := mustRead(t, target); string(data) != "do not overwrite\n" {
		t.Errorf("the symlink's target was overwritten: %q", data)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink != 0 {
		t.Errorf("the link was not replaced by the report: %v", err)
	}
}

// maxSignalExit is how long a process blocked on an input may take to exit
// after SIGINT or SIGTERM (issue 18: 130/143 within 100 ms).
const maxSignalExit = 100 * time.Millisecond

// A signal ends a read of any user-named input at once: a FIFO without a
// writer (open(2) blocks) and a pipe whose writer never writes (read(2)
// blocks, like --token-file <(sleep 8)). Each input, both ways, SIGTERM and
// SIGINT: exit 143/130 within maxSignalExit of the signal, naming the input,
// with the time and the child's peak RSS measured.
func TestSignalsWhileReadingInputs(t *testing.T) {
	bin := builtBinary(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		name string
		args func(path string) []string
	}{
		{"--token-file", func(p string) []string { return []string{"install", "--fixture", "healthy", "--token-file", p} }},
		{"--config", func(p string) []string { return []string{"install", "--fixture", "healthy", "--config", p} }},
		{"--ldap-password-file", func(p string) []string {
			return []string{"install", "--fixture", "healthy", "--ldap-user", "svc@corp.contoso.test", "--ldap-password-file", p}
		}},
		{"--admin-password-file", func(p string) []string {
			return []string{"install", "--fixture", "healthy", "--admin-upn", "admin@contoso.com", "--admin-password-file", p}
		}},
		{"--ca-file", func(p string) []string { return []string{"install", "--fixture", "healthy", "--ca-file", p} }},
		{"--endpoints-file", func(p string) []string { return []string{"install", "--fixture", "healthy", "--endpoints-file", p} }},
		{"--users-file", func(p string) []string { return []string{"signin", "--fixture", "healthy", "--users-file", p} }},
		{"--host-snapshot", func(p string) []string { return []string{"install", "--host-snapshot", p} }},
		{"summarize", func(p string) []string { return []string{"summarize", p} }},
	} {
		for j, how := range []string{"FIFO without a writer", "pipe that never writes"} {
			sig, code := syscall.SIGTERM, 143
			if (i+j)%2 == 1 {
				sig, code = syscall.SIGINT, 130
			}
			t.Run(tc.name+"/"+how+"/"+sig.String(), func(t *testing.T) {
				// The bound is about a busy machine's scheduling, the failure
				// it catches is a wait for the input (seconds, until the
				// guard kills it): a case over the bound is run again, at
				// most three times, and the fastest must be within it.
				// The bound is maxSignalExit plus twice the yardstick: what
				// this machine, now, takes to end and reap a process that
				// does nothing (a quiet machine: a few ms, so about 100
				// ms; CI under load stretched both alike). It stays
				// under 2 s, far from the 10 s a wait for the input takes.
				var best, bound time.Duration
				for attempt := 1; attempt <= 3; attempt++ {
					yard := signalYardstick(t, sig)
					bound = min(maxSignalExit+2*yard, 2*time.Second)
					took := signalWhileReading(t, bin, tc.args, j == 1, fifo, sig, code)
					t.Logf("attempt %d: %s after the signal; yardstick %s, bound %s", attempt, took.Round(time.Millisecond), yard.Round(time.Millisecond), bound.Round(time.Millisecond))
					if attempt == 1 || took < best {
						best = took
					}
					if best <= bound {
						break
					}
				}
				if best > bound {
					t.Errorf("exited %s after the signal at best of three, want within %s", best, bound)
				}
			})
		}
	}
}

// signalSettled starts the command mk makes, waits until its signal
// handler is installed and then settle more, sends sig and waits for the
// exit; it returns the command and how long the exit took after the
// signal. The Go runtime installs its own SIGTERM/SIGINT handler before
// ptacheck's main subscribes to the signals, so on a loaded machine a
// signal can still meet a process in its package initialisation: it then
// dies of the signal (no exit code, as a shell would report 143 too), and
// the attempt is made again with twice the settling time, up to 3 times:
// what is asserted is how ptacheck's handler ends the run.
func signalSettled(t *testing.T, mk func() *exec.Cmd, guard, settle time.Duration, sig syscall.Signal) (*exec.Cmd, time.Duration) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		cmd := mk()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		g := time.AfterFunc(guard, func() { cmd.Process.Kill() })
		awaitSignalHandler(t, cmd.Process.Pid)
		time.Sleep(settle)
		sent := time.Now()
		cmd.Process.Signal(sig)
		cmd.Wait()
		took := time.Since(sent)
		g.Stop()
		ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if !ws.Signaled() || ws.Signal() != sig || attempt == 3 {
			return cmd, took
		}
		t.Logf("attempt %d: the process died of %s before ptacheck's handler was in place; again, settling %s", attempt, sig, 2*settle)
		settle *= 2
	}
}

// signalYardstick is how long this machine takes, now, from sig to the
// reaped exit of a process that only waits (sleep(1)): the scheduling
// part of any exit after a signal, which load stretches.
func signalYardstick(t *testing.T, sig syscall.Signal) time.Duration {
	t.Helper()
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // exec'd and sleeping
	sent := time.Now()
	cmd.Process.Signal(sig)
	cmd.Wait()
	return time.Since(sent)
}

// signalWhileReading starts bin on an input that never arrives, signals it
// and returns how long it took to exit after the signal.
func signalWhileReading(t *testing.T, bin string, args func(string) []string, pipe bool, fifo string, sig syscall.Signal, code int) time.Duration {
	t.Helper()
	path := fifo
	var extra []*os.File
	if pipe {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		defer w.Close() // held open and never written: the read blocks
		extra, path = []*os.File{r}, "/dev/fd/3"
	}
	var stderr bytes.Buffer
	cmd, took := signalSettled(t, func() *exec.Cmd {
		stderr.Reset()
		cmd := exec.Command(bin, args(path)...)
		cmd.ExtraFiles = extra
		cmd.Stderr = &stderr
		return cmd
	}, 10*time.Second, 300*time.Millisecond, sig) // blocked in open(2) or read(2) by then
	rss := assertChildRSS(t, args(path)[0], cmd.ProcessState)
	t.Logf("exit %d %s after the signal, peak RSS %.1f MB", cmd.ProcessState.ExitCode(), took.Round(time.Millisecond), rss)
	if got := cmd.ProcessState.ExitCode(); got != code {
		t.Fatalf("exit %d, want %d; stderr: %s", got, code, stderr.String())
	}
	if !strings.Contains(stderr.String(), path) || !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr does not name the input and the interruption: %q", stderr.String())
	}
	return took
}

// SIGTERM mid-run with --report-file on a device, a FIFO, a pipe or a
// socket: the partial report is written through to its reader, the run
// exits 143 within a second, and the target is left as it was.
func TestSignalsWithStreamedReport(t *testing.T) {
	bin := builtBinary(t)
	for _, target := range streamTargets() {
		t.Run(target.name, func(t *testing.T) {
			t.Parallel()
			dir := shortTempDir(t) // the Unix socket's path must be short
			path, extra, read := target.setup(t, dir)
			before := fileKinds(t, dir)
			cmd, took := signalSettled(t, func() *exec.Cmd {
				cmd := exec.Command(bin, "install", "--fixture", "ports-blocked", "--probe-timeout", "1m", "-o", "text", "--report-format", "json", "--report-file", path)
				cmd.ExtraFiles = extra
				return cmd
			}, 20*time.Second, 700*time.Millisecond, syscall.SIGTERM)
			rss := assertChildRSS(t, target.name, cmd.ProcessState)
			t.Logf("exit %d %s after SIGTERM, peak RSS %.1f MB", cmd.ProcessState.ExitCode(), took.Round(time.Millisecond), rss)
			if code := cmd.ProcessState.ExitCode(); code != 143 {
				t.Fatalf("exit %d, want 143", code)
			}
			if took > 1500*time.Millisecond {
				t.Errorf("took %s after the signal, want about a second at most", took)
			}
			if read != nil {
				var j struct {
					Interrupted bool `json:"interrupted"`
					ExitCode    int  `json:"exit_code"`
				}
				if data := read(); json.Unmarshal(data, &j) != nil || !j.Interrupted || j.ExitCode != 143 {
					t.Errorf("the reader got no partial report: %q", data)
				}
			}
			if after := fileKinds(t, dir); !slices.Equal(after, before) {
				t.Errorf("the folder changed: %v, was %v", after, before)
			}
		})
	}
}

// awaitSignalHandler waits (at most 20 s) until the child catches SIGTERM
// and SIGINT, read from SigCgt in /proc/PID/status: the Go runtime is up.
// That handler is the runtime's, installed before ptacheck's main
// subscribes; the settling sleep after it covers the rest of the start,
// and signalSettled tries again when a signal still came too early.
func awaitSignalHandler(t *testing.T, pid int) {
	t.Helper()
	want := uint64(1)<<(uint(syscall.SIGTERM)-1) | uint64(1)<<(uint(syscall.SIGINT)-1)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			t.Fatalf("read the child's status: %v", err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if hex, ok := strings.CutPrefix(line, "SigCgt:"); ok {
				if v, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64); err == nil && v&want == want {
					return
				}
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the child did not install its signal handler within 20 s")
}
