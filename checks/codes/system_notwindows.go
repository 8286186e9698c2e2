//go:build !windows

package codes

// SystemMessage has no system message table to read outside Windows; the
// embedded table answers instead.
func SystemMessage(code int) (string, bool) { return "", false }
