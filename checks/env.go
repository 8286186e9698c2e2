package checks

import (
	"time"

	"github.com/ptacheck/ptacheck/checks/directory"
	"github.com/ptacheck/ptacheck/checks/graph"
	"github.com/ptacheck/ptacheck/checks/hostfacts"
	"github.com/ptacheck/ptacheck/checks/netprobe"
)

// Env is everything a check may touch: the clients of the leaf packages.
// internal/setup builds one per run (for the real world or a fixture); tests
// fill in only the fields the check under test uses, so an unexpected
// dependency shows up as a nil-pointer panic in that test.
type Env struct {
	Host hostfacts.Source    // host facts: live Windows host, a snapshot file or a fixture
	Net  *netprobe.Client    // DNS, TCP, TLS and proxy probes; one per run, owns its probe cache
	AD   *directory.Gatherer // LDAP to the domain's DCs; gathers once per run
	// Tenant reads Microsoft Graph (checks/graph); nil when no token
	// source is configured (the tenant checks then skip, saying why).
	Tenant *graph.Tenant
	Now    func() time.Time
	Logf   func(format string, args ...any) // verbose log, stderr only; may be nil
	// Met are the facts the check's needs brought (see Needs): the runner
	// fills them in before it runs the check.
	Met Facts
}
