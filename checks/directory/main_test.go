package directory

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test must leave no goroutine behind: go-ldap's reader and message
// loop, the context.AfterFunc watchers and DialFirst's attempts all end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
