package graph

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind (a
// server, a retry timer, an MSAL poller, an idle connection).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
