package cli

// OutFile writes the files a user names for output: --report-file,
// collect's --out, snapshot's --report-file.
//
// An absent path or a regular file is replaced atomically: the output goes
// to a temporary file in the same folder, created before the run (so a bad
// path fails at once), renamed over the path on Commit. A reader never sees
// half a file, a killed run leaves an earlier file intact, and a symbolic
// link at the path is replaced, not followed (unless it resolves to one of
// the following).
//
// A character device, a FIFO or a socket, or a symbolic link that resolves
// to one (/dev/stdout, /dev/fd/N, a link to a FIFO), is opened and written
// through: renaming over it would replace /dev/null with a regular file
// (as root), and a FIFO's reader, or bash's >(cat), would never see the
// output. Nothing is created or removed next to it.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
)

// OutFile is an output file being written.
type OutFile struct {
	path string
	tmp  *os.File       // atomic: the temporary file
	w    io.WriteCloser // write-through: the opened target
	done bool           // committed or aborted
}

// WrittenThrough reports whether path is written through (a device, FIFO or socket,
// or a link that resolves to one) rather than replaced.
func WrittenThrough(path string) bool {
	through, _ := classify(path)
	return through
}

// classify decides how path is written: through (true), or replaced
// atomically (false). err: the path cannot be written at all.
func classify(path string) (bool, error) {
	if _, ok := descriptor(path); ok {
		// One of this process's own descriptors (/dev/stdout, /dev/fd/3,
		// a link to /proc/self/fd/1): written through whatever it refers
		// to; renaming over /dev/stdout would replace the system's link.
		return true, nil
	}
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, PathErr(err)
	case fi.Mode().IsRegular():
		return false, nil
	case fi.IsDir():
		return false, fmt.Errorf("%s: is a directory", path)
	case fi.Mode()&fs.ModeSymlink != 0:
		st, err := os.Stat(path)
		switch {
		case err != nil, st.Mode().IsRegular():
			return false, nil // a dangling link, or one to a file: replaced
		case st.IsDir():
			return false, fmt.Errorf("%s: is a directory", path)
		}
		return true, nil
	}
	return true, nil // a device, FIFO, socket
}

// CreateOutFile prepares the output at path. For a FIFO it waits for a reader, or
// until ctx ends.
func CreateOutFile(ctx context.Context, path string) (*OutFile, error) {
	through, err := classify(path)
	if err != nil {
		return nil, err
	}
	if through {
		w, err := openThrough(ctx, path)
		if err != nil {
			return nil, err
		}
		return &OutFile{path: path, w: w}, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s: %v", path, pe.Err)
		}
		return nil, err
	}
	return &OutFile{path: path, tmp: tmp}, nil
}

// Through reports whether the output is written through to a device, FIFO
// or socket.
func (f *OutFile) Through() bool { return f.w != nil }

// Write writes to the temporary file or the target.
func (f *OutFile) Write(p []byte) (int, error) {
	if f.w != nil {
		return f.w.Write(p)
	}
	return f.tmp.Write(p)
}

// Commit puts the output in place: a temporary file gets mode and is
// renamed over the path; a target written through is closed (its mode is
// not touched). A regular file that is replaced keeps its permission bits
// (a report made private with chmod 600 stays 600), and, when ptacheck runs
// as root, its owner and group; a private output (mode without group or
// other bits, as collect's bundle) never gains them from the file it
// replaces.
func (f *OutFile) Commit(mode os.FileMode) error {
	if f.done {
		return errors.New(f.path + ": already closed")
	}
	f.done = true
	if f.w != nil {
		return f.w.Close()
	}
	if fi, err := os.Lstat(f.path); err == nil && fi.Mode().IsRegular() {
		perm := fi.Mode().Perm()
		if mode&0o077 == 0 {
			perm &^= 0o077
		}
		mode = perm
		keepOwner(f.tmp, fi)
	}
	if err := f.tmp.Chmod(mode); err != nil {
		f.tmp.Close()
		os.Remove(f.tmp.Name())
		return err
	}
	if err := f.tmp.Close(); err != nil {
		os.Remove(f.tmp.Name())
		return err
	}
	if err := os.Rename(f.tmp.Name(), f.path); err != nil {
		os.Remove(f.tmp.Name())
		return err
	}
	return nil
}

// Abort drops the output: the temporary file is removed, a target written
// through is closed. Safe after Commit.
func (f *OutFile) Abort() {
	if f.done {
		return
	}
	f.done = true
	if f.w != nil {
		f.w.Close()
		return
	}
	f.tmp.Close()
	os.Remove(f.tmp.Name())
}

// openThrough opens a device, FIFO or socket for writing. open(2) of a
// FIFO blocks until a reader opens it: it runs in a goroutine that is
// abandoned when ctx ends (and closes what it opens too late).
func openThrough(ctx context.Context, path string) (io.WriteCloser, error) {
	if fd, ok := descriptor(path); ok {
		return dup(path, fd)
	}
	type opened struct {
		w   io.WriteCloser
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		w, err := openTarget(path)
		ch <- opened{w, err}
	}()
	select {
	case o := <-ch:
		return o.w, o.err
	case <-ctx.Done():
		go func() {
			if o := <-ch; o.w != nil {
				o.w.Close()
			}
		}()
		return nil, fmt.Errorf("%s: waiting for a reader: %w", path, context.Cause(ctx))
	}
}

func openTarget(path string) (io.WriteCloser, error) {
	if st, err := os.Stat(path); err == nil && st.Mode()&fs.ModeSocket != 0 {
		c, err := net.Dial("unix", path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return c, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, PathErr(err)
	}
	return f, nil
}

// WriteFile writes data to path as an OutFile does: a regular file is
// replaced atomically (a symlink at path replaced, not followed), a device
// or FIFO written through.
func WriteFile(ctx context.Context, path string, data []byte) error {
	w, err := CreateOutFile(ctx, path)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Abort()
		return err
	}
	return w.Commit(0o644)
}
