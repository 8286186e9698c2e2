//go:build !windows

package tracelog

// DefaultPaths returns the agents' trace folders with a literal
// %ProgramData%: they exist only on Windows, so elsewhere the list is for
// documentation and callers need explicit paths.
func DefaultPaths() []string {
	return defaultPaths(`%ProgramData%`)
}
