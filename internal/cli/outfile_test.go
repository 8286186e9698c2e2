//go:build !windows

package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func writeOut(t *testing.T, path, data string) *OutFile {
	t.Helper()
	f, err := CreateOutFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
	return f
}

// A regular file is replaced on Commit, not before, with the mode asked.
func TestRegularFileReplacedAtomically(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.json")
	os.WriteFile(p, []byte("earlier\n"), 0o644)
	f := writeOut(t, p, "new\n")
	if f.Through() || WrittenThrough(p) {
		t.Fatal("a regular file is written through")
	}
	if data, _ := os.ReadFile(p); string(data) != "earlier\n" {
		t.Fatalf("replaced before Commit: %q", data)
	}
	if err := f.Commit(0o600); err != nil {
		t.Fatal(err)
	}
	f.Abort() // after Commit: nothing
	st, _ := os.Stat(p)
	if data, _ := os.ReadFile(p); string(data) != "new\n" || st.Mode().Perm() != 0o600 {
		t.Fatalf("%q %v", data, st.Mode())
	}
	if got := names(t, dir); !slices.Equal(got, []string{"r.json"}) {
		t.Errorf("left behind: %v", got)
	}
	// Abort leaves the earlier file and no temporary file.
	f = writeOut(t, p, "dropped")
	f.Abort()
	if data, _ := os.ReadFile(p); string(data) != "new\n" || len(names(t, dir)) != 1 {
		t.Errorf("abort: %q %v", data, names(t, dir))
	}
}

// A symlink to a regular file (or a dangling one) is replaced, its target
// left alone; a directory is an error.
func TestSymlinkToFileReplaced(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "precious")
	os.WriteFile(target, []byte("keep"), 0o644)
	for _, tc := range []struct{ name, to string }{{"link", target}, {"dangling", filepath.Join(dir, "none")}} {
		link := filepath.Join(dir, tc.name)
		os.Symlink(tc.to, link)
		if err := writeOut(t, link, "report").Commit(0o644); err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink != 0 {
			t.Errorf("%s: the link was followed, not replaced", tc.name)
		}
	}
	if data, _ := os.ReadFile(target); string(data) != "keep" {
		t.Errorf("the target was written: %q", data)
	}
	os.Symlink(dir, filepath.Join(dir, "dirlink"))
	for _, p := range []string{dir, filepath.Join(dir, "dirlink")} {
		if _, err := CreateOutFile(context.Background(), p); err == nil || !strings.Contains(err.Error(), "is a directory") {
			t.Errorf("%s: %v", p, err)
		}
	}
	if _, err := CreateOutFile(context.Background(), filepath.Join(dir, "no", "such", "r")); err == nil {
		t.Error("a missing folder is not an error")
	}
}

// A FIFO is opened and written through: its reader gets the output, the
// FIFO stays a FIFO, nothing is created next to it. Through a symlink too.
func TestFIFOWrittenThrough(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	os.Symlink(fifo, link)
	for _, p := range []string{fifo, link} {
		got := make(chan string, 1)
		go func() {
			r, err := os.Open(fifo)
			if err != nil {
				got <- err.Error()
				return
			}
			data, _ := io.ReadAll(r)
			r.Close()
			got <- string(data)
		}()
		f := writeOut(t, p, "the report\n")
		if !f.Through() || !WrittenThrough(p) {
			t.Fatalf("%s: not written through", p)
		}
		if err := f.Commit(0o600); err != nil {
			t.Fatal(err)
		}
		if s := receive(t, got); s != "the report\n" {
			t.Errorf("%s: the reader got %q", p, s)
		}
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v %v", fi.Mode(), err)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"fifo", "link"}) {
		t.Errorf("files created next to the FIFO: %v", got)
	}
}

// A FIFO without a reader: Create waits for one, and returns as soon as
// ctx ends, with its cause.
func TestFIFOWithoutReaderHonoursContext(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(100*time.Millisecond, func() { cancel(errStop) })
	start := time.Now()
	_, err := CreateOutFile(ctx, fifo)
	if took := time.Since(start); !errors.Is(err, errStop) || took > 150*time.Millisecond {
		t.Fatalf("%v after %s; want the cause within 50 ms of the cancel", err, took)
	}
}

// /dev/fd/N, a link to /proc/self/fd/N (what /dev/stdout is on Linux) and
// bash's >(cat) name this process's own descriptors: duplicated and written
// through, never replaced.
func TestDescriptorPathsWrittenThrough(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		path func(fd uintptr) string
	}{
		{"/dev/fd/N", func(fd uintptr) string { return fmt.Sprintf("/dev/fd/%d", fd) }},
		{"/proc/self/fd/N", func(fd uintptr) string { return fmt.Sprintf("/proc/self/fd/%d", fd) }},
		{"a link to /proc/self/fd/N", func(fd uintptr) string {
			link := filepath.Join(dir, fmt.Sprintf("stdout-%d", fd))
			os.Symlink(fmt.Sprintf("/proc/self/fd/%d", fd), link)
			return link
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			p := tc.path(w.Fd())
			f := writeOut(t, p, "through the pipe")
			if !f.Through() {
				t.Fatal("not written through")
			}
			if err := f.Commit(0o600); err != nil {
				t.Fatal(err)
			}
			w.Close() // the original: the duplicate is closed by Commit
			data, _ := io.ReadAll(r)
			if string(data) != "through the pipe" {
				t.Errorf("the pipe got %q", data)
			}
			if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() {
				t.Errorf("%s became a regular file", p)
			}
		})
	}
	// /dev/stdout of this process is named, not opened from /dev.
	if fd, ok := descriptor("/dev/stdout"); !ok || fd != 1 {
		t.Errorf("/dev/stdout: %d %v", fd, ok)
	}
	if _, ok := descriptor(filepath.Join(dir, "plain")); ok {
		t.Error("a plain path named a descriptor")
	}
}

// A private character device (the null device, made with mknod in a temp
// folder: never the real /dev/null) is written through and stays a device.
func TestDeviceNodeWrittenThrough(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mknod needs root")
	}
	dir := t.TempDir()
	dev := filepath.Join(dir, "null")
	if err := syscall.Mknod(dev, syscall.S_IFCHR|0o666, int(mkdev(1, 3))); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Lstat(dev)
	f := writeOut(t, dev, strings.Repeat("report\n", 1000))
	if !f.Through() {
		t.Fatal("a device is not written through")
	}
	if err := f.Commit(0o600); err != nil {
		t.Fatal(err)
	}
	after, err := os.Lstat(dev)
	if err != nil || after.Mode() != before.Mode() || after.Sys().(*syscall.Stat_t).Rdev != before.Sys().(*syscall.Stat_t).Rdev {
		t.Fatalf("the device changed: %v -> %v (%v)", before.Mode(), after.Mode(), err)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"null"}) {
		t.Errorf("files created next to the device: %v", got)
	}
}

func mkdev(major, minor uint32) uint64 { return unix.Mkdev(major, minor) }

// receive waits for what a reader got, at most 5 s (a FIFO replaced by a
// file would leave its reader waiting forever).
func receive(t *testing.T, got <-chan string) string {
	t.Helper()
	select {
	case s := <-got:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("the reader got nothing within 5 s")
		return ""
	}
}

// A Unix socket is connected to and written through.
func TestSocketWrittenThrough(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "s")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skip(err)
	}
	defer l.Close()
	got := make(chan string, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			got <- err.Error()
			return
		}
		data, _ := io.ReadAll(c)
		got <- string(data)
	}()
	f := writeOut(t, sock, "over the socket")
	if err := f.Commit(0o600); err != nil {
		t.Fatal(err)
	}
	if s := receive(t, got); s != "over the socket" {
		t.Errorf("got %q", s)
	}
}

// A regular file that is replaced keeps its permission bits (a report made
// private stays private), and as root its owner and group; a private output
// (0600) does not gain group or other bits from the file it replaces; a new
// file gets the mode asked.
func TestReplacedFileKeepsModeAndOwner(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		before, ask, want os.FileMode
	}{
		{0o600, 0o644, 0o600},
		{0o640, 0o644, 0o640},
		{0o664, 0o644, 0o664},
		{0o644, 0o600, 0o600},
		{0o640, 0o600, 0o600},
		{0, 0o644, 0o644}, // no earlier file
	} {
		p := filepath.Join(dir, fmt.Sprintf("r-%o-%o.json", tc.before, tc.ask))
		if tc.before != 0 {
			os.WriteFile(p, []byte("earlier"), 0)
			os.Chmod(p, tc.before) // the umask does not apply
		}
		if err := writeOut(t, p, "new").Commit(tc.ask); err != nil {
			t.Fatal(err)
		}
		if st, _ := os.Stat(p); st.Mode().Perm() != tc.want {
			t.Errorf("%o replaced with %o asked: %o, want %o", tc.before, tc.ask, st.Mode().Perm(), tc.want)
		}
	}
	if os.Geteuid() != 0 {
		t.Log("not root: the owner part needs root to give a file away")
		return
	}
	p := filepath.Join(dir, "owned.json")
	os.WriteFile(p, []byte("earlier"), 0o600)
	if err := os.Chown(p, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := writeOut(t, p, "new").Commit(0o644); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	sys := st.Sys().(*syscall.Stat_t)
	if sys.Uid != 65534 || sys.Gid != 65534 || st.Mode().Perm() != 0o600 {
		t.Errorf("as root: owner %d:%d mode %o, want 65534:65534 600", sys.Uid, sys.Gid, st.Mode().Perm())
	}
}
