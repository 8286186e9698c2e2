//go:build !windows

package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitsFor cancels after 100 ms and asserts that ReadFile returned the
// cause within 50 ms of it.
func waitsFor(t *testing.T, path string) {
	t.Helper()
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(100*time.Millisecond, func() { cancel(errStop) })
	start := time.Now()
	_, err := ReadFile(ctx, path, 1<<20)
	took := time.Since(start)
	if !errors.Is(err, errStop) || !strings.Contains(err.Error(), path) {
		t.Errorf("%v; want the cause, naming %s", err, path)
	}
	if took > 150*time.Millisecond {
		t.Errorf("returned %s after the start, want within 50 ms of the cancel at 100 ms", took)
	}
}

// A FIFO without a writer blocks open(2); a pipe whose writer never writes
// blocks read(2): both end when ctx does.
func TestReadFileHonoursContext(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("FIFO without a writer", func(t *testing.T) { waitsFor(t, fifo) })
	t.Run("pipe that never writes", func(t *testing.T) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		defer w.Close()
		waitsFor(t, "/dev/fd/"+strconv.Itoa(int(r.Fd())))
	})
	t.Run("FIFO whose writer comes later", func(t *testing.T) {
		go func() {
			time.Sleep(50 * time.Millisecond)
			if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
				w.Write([]byte("late"))
				w.Close()
			}
		}()
		data, err := ReadFile(context.Background(), fifo, 10)
		if err != nil || string(data) != "late" {
			t.Errorf("%q %v", data, err)
		}
	})
}
