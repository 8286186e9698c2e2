package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ptacheck/ptacheck/checks/hostfacts"
)

// atomicFile is a report file being written: a temporary file in the
// target's folder, renamed over the target on commit. It is created before
// the run, so a bad path fails fast (exit 2), and a run that is killed never
// leaves a half-written or empty report where an earlier one was.
type atomicFile struct {
	path string
	f    *os.File
}

func newAtomicFile(path string) (*atomicFile, error) {
	dir := filepath.Dir(path)
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, fmt.Errorf("%s: is a directory", path)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		var pe *os.PathError
		if ok := asPathError(err, &pe); ok {
			return nil, fmt.Errorf("%s: %v", path, pe.Err)
		}
		return nil, err
	}
	return &atomicFile{path: path, f: f}, nil
}

func asPathError(err error, pe **os.PathError) bool {
	p, ok := err.(*os.PathError)
	if ok {
		*pe = p
	}
	return ok
}

// commit writes the file into place, readable by all (a report).
func (a *atomicFile) commit() error { return a.commitMode(0o644) }

// commitMode writes the file into place with the given permissions.
func (a *atomicFile) commitMode(mode os.FileMode) error {
	if err := a.f.Chmod(mode); err != nil {
		a.abort()
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

// abort removes the temporary file.
func (a *atomicFile) abort() {
	a.f.Close()
	os.Remove(a.f.Name())
}

func snapshotJSON(s *hostfacts.Snapshot) ([]byte, error) {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}
