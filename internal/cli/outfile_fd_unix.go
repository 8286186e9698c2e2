//go:build !windows

package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// fdPath matches the names of a process's own descriptors.
var fdPath = regexp.MustCompile(`^/(?:dev/fd|proc/(?:self|thread-self|[0-9]+)/fd)/([0-9]+)$`)

// descriptor reports whether path, or a symbolic link on the way to its
// target, names one of this process's open descriptors (/dev/fd/N,
// /proc/self/fd/N, /dev/stdout): bash's >(cat) is /dev/fd/63.
func descriptor(path string) (int, bool) {
	p := path
	for range 40 {
		p = filepath.Clean(p)
		switch p {
		case "/dev/stdin":
			return 0, true
		case "/dev/stdout":
			return 1, true
		case "/dev/stderr":
			return 2, true
		}
		if m := fdPath.FindStringSubmatch(p); m != nil {
			if pid, ok := procPID(p); ok && pid != os.Getpid() {
				return 0, false // another process's descriptor: opened as a path
			}
			n, err := strconv.Atoi(m[1])
			return n, err == nil
		}
		target, err := os.Readlink(p)
		if err != nil {
			return 0, false
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(p), target)
		}
		p = target
	}
	return 0, false
}

var procPIDPath = regexp.MustCompile(`^/proc/([0-9]+)/`)

func procPID(p string) (int, bool) {
	m := procPIDPath.FindStringSubmatch(p)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}

// dup duplicates descriptor fd (close-on-exec) for writing through: the
// descriptor's file description is shared, so a pipe, a terminal or a file
// that stdout was redirected to gets the output where the shell meant it.
func dup(path string, fd int) (io.WriteCloser, error) {
	n, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return os.NewFile(uintptr(n), path), nil
}

// keepOwner gives tmp the owner and group of the file it replaces, when
// ptacheck runs as root (another user cannot give a file away). A failure
// (NFS with root squashed) leaves root's ownership, with the replaced
// file's mode, which is no wider.
func keepOwner(tmp *os.File, replaced os.FileInfo) {
	st, ok := replaced.Sys().(*syscall.Stat_t)
	if !ok || os.Geteuid() != 0 {
		return
	}
	_ = tmp.Chown(int(st.Uid), int(st.Gid))
}
