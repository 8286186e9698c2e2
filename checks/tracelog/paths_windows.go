package tracelog

import "os"

// DefaultPaths returns the agents' trace folders on this host, newest agent
// first; either may be missing.
func DefaultPaths() []string {
	pd := os.Getenv("ProgramData")
	if pd == "" {
		pd = `C:\ProgramData`
	}
	return defaultPaths(pd)
}
