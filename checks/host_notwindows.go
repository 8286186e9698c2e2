//go:build !windows

package checks

import "context"

// LiveHost returns a Host that says host facts need Windows; host checks
// report skip, never fail, on other systems.
func LiveHost() Host { return unsupportedHost{} }

type unsupportedHost struct{}

func (unsupportedHost) Snapshot(context.Context) (*HostSnapshot, error) {
	return nil, ErrUnsupportedOS
}
