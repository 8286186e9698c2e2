package cli

import (
	"fmt"
	"os"
	"path/filepath"
)

// AtomicFile is a report file being written: a temporary file in the
// target's folder, renamed over the target on commit. It is created before
// the run, so a bad path fails fast (exit 2), and a run that is killed never
// leaves a half-written or empty report where an earlier one was.
type AtomicFile struct {
	path string
	f    *os.File
}

// CreateAtomic starts writing path.
func CreateAtomic(path string) (*AtomicFile, error) {
	dir := filepath.Dir(path)
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, fmt.Errorf("%s: is a directory", path)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		if pe, ok := err.(*os.PathError); ok {
			return nil, fmt.Errorf("%s: %v", path, pe.Err)
		}
		return nil, err
	}
	return &AtomicFile{path: path, f: f}, nil
}

func (a *AtomicFile) Write(p []byte) (int, error) { return a.f.Write(p) }

// Commit writes the file into place, readable by all (a report).
func (a *AtomicFile) Commit() error { return a.CommitMode(0o644) }

// CommitMode writes the file into place with the given permissions.
func (a *AtomicFile) CommitMode(mode os.FileMode) error {
	if err := a.f.Chmod(mode); err != nil {
		a.Abort()
		return err
	}
	if err := a.f.Close(); err != nil {
		os.Remove(a.f.Name())
		return err
	}
	if err := os.Rename(a.f.Name(), a.path); err != nil {
		os.Remove(a.f.Name())
		return err
	}
	return nil
}

// Abort removes the temporary file (after a Commit it does nothing).
func (a *AtomicFile) Abort() {
	a.f.Close()
	os.Remove(a.f.Name())
}

// WriteFileAtomic writes data to path through an AtomicFile, so a reader
// never sees half a file and a symlink at path is replaced, not followed.
func WriteFileAtomic(path string, data []byte) error {
	w, err := CreateAtomic(path)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Abort()
		return err
	}
	return w.Commit()
}
