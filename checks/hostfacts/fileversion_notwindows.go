//go:build !windows

package hostfacts

import "errors"

// FileVersion reads the version resource of an executable; it needs Windows.
func FileVersion(string) (string, error) {
	return "", errors.New("reading an installer's version needs Windows: pass --agent-version VERSION instead")
}
