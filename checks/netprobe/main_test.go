package netprobe

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test of the package ends with no goroutine left behind: probes,
// DNS exchanges, fixture servers and abandoned checks all stop.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
