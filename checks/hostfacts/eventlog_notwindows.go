//go:build !windows

package hostfacts

import (
	"context"
	"errors"
)

// ExportEventLogs reports every channel as unavailable: event logs exist
// only on Windows.
func ExportEventLogs(_ context.Context, _ string, channels []string) []EventExport {
	var out []EventExport
	for _, ch := range channels {
		out = append(out, EventExport{Channel: ch, Err: errors.New("not Windows: no event log")})
	}
	return out
}

// QueryEvents fails: event logs exist only on Windows.
func QueryEvents(_ context.Context, _, _, _ string) error {
	return errors.New("not Windows: no event log")
}
