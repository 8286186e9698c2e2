//go:build !windows

package hostfacts

import "context"

// Live returns a Source that says host facts need Windows; host checks
// report skip, never fail, on other systems.
func Live() Source { return unsupported{} }

type unsupported struct{}

func (unsupported) Snapshot(context.Context) (*Snapshot, error) { return nil, ErrUnsupportedOS }
