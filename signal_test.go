//go:build !windows

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
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
