//go:build linux

package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ptacheck/ptacheck/checks/tracelog/tracelogtest"
	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair (Linux /dev/ptmx).
func openPTY() (master, slave *os.File, err error) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		return nil, nil, err
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		return nil, nil, err
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		m.Close()
		return nil, nil, err
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		return nil, nil, err
	}
	return m, s, nil
}

// collect shows the bytes of trace logs copied: a status line on a
// terminal (cleared at the end), a line per file with -v, nothing on a
// pipe.
func TestCollectProgress(t *testing.T) {
	bin := builtBinary(t)
	logs := t.TempDir()
	for i := range 2 {
		f, _ := os.Create(filepath.Join(logs, fmt.Sprintf("t%d.log", i)))
		tracelogtest.Generate(f, tracelogtest.Config{Size: 4 << 20, Seed: uint64(i)})
		f.Close()
	}
	run := func(stderr *os.File, extra ...string) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"collect", "--fixture", "healthy", "--logs", logs, "--out", filepath.Join(t.TempDir(), "b.zip")}, extra...)...)
		cmd.Stderr = stderr
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
	}
	master, slave, err := openPTY()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer master.Close()
	got := make(chan string, 1)
	go func() {
		data, _ := io.ReadAll(master) // until the slave is closed
		got <- string(data)
	}()
	run(slave)
	slave.Close()
	var tty string
	select {
	case tty = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("no output from the terminal")
	}
	last := strings.LastIndex(tty, "collect: trace logs ")
	cleared := regexp.MustCompile(`\r +\r`)
	if !strings.Contains(tty, "\rcollect: trace logs ") || !strings.Contains(tty, " of 8.0 MiB (file ") ||
		last < 0 || !cleared.MatchString(tty[last:]) {
		t.Errorf("terminal: no status line with the bytes done, or not cleared: %q", tty)
	}
	if strings.Contains(tty, "\x1b") {
		t.Errorf("terminal: the status line needs no escape sequence: %q", tty)
	}
	pipe := filepath.Join(t.TempDir(), "stderr")
	for _, v := range []bool{false, true} {
		f, _ := os.Create(pipe)
		if v {
			run(f, "-v")
		} else {
			run(f)
		}
		f.Close()
		out := string(mustRead(t, pipe))
		switch {
		case strings.Contains(out, "\x1b"):
			t.Errorf("-v %v: an escape sequence on a file: %q", v, out)
		case v && strings.Count(out, "ptacheck: collect: copied ") != 2:
			t.Errorf("-v: %q", out)
		case !v && strings.Contains(out, "copied"):
			t.Errorf("progress on a file without -v: %q", out)
		}
	}
}
