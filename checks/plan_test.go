package checks

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ptacheck/ptacheck/checks/directory"
	"github.com/ptacheck/ptacheck/checks/graph"
)

var idRE = regexp.MustCompile(`^(host|net|ad|tenant|logs|user)\.[a-z0-9]+(-[a-z0-9]+)*$`)

func TestCatalogIDsAreStableAndWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range Catalog(Config{}) {
		m := e.Check.Meta()
		if !idRE.MatchString(m.ID) {
			t.Errorf("ID %q does not match %s", m.ID, idRE)
		}
		if seen[m.ID] {
			t.Errorf("duplicate ID %q", m.ID)
		}
		seen[m.ID] = true
		if m.Title == "" || m.Description == "" || m.Remediation == "" || !strings.HasPrefix(m.DocURL, "https://") {
			t.Errorf("%s: title, description, remediation and doc URL are all required: %+v", m.ID, m)
		}
		if len(e.Phases) == 0 {
			t.Errorf("%s runs in no phase", m.ID)
		}
		for _, r := range e.Requires {
			if !seen[r] {
				t.Errorf("%s requires %s, which must come earlier in the checklist", m.ID, r)
			}
		}
	}
	// IDs scripts gate on: renaming one is a breaking change.
	for _, id := range []string{"host.app-proxy-connector", "net.outbound-ports", "host.existing-agent", "host.os", "host.tls12", "host.dotnet", "host.trusted-roots", "net.tls-inspection"} {
		if !seen[id] {
			t.Errorf("stable ID %s is missing", id)
		}
	}
}

func TestPlanPerPhase(t *testing.T) {
	ids := func(p Phase) string {
		var out []string
		for _, e := range Plan(p, Config{}) {
			out = append(out, e.ID())
		}
		return strings.Join(out, " ")
	}
	want := map[Phase]string{
		PhaseInstall:   "host.os host.app-proxy-connector host.existing-agent host.tls12 host.dotnet host.trusted-roots net.outbound-ports net.tls-inspection tenant.managed-domains tenant.admin-account tenant.agent-limit ad.dc-reachable ad.forest-membership ad.time-skew",
		PhaseRegister:  "host.app-proxy-connector host.existing-agent host.tls12 host.trusted-roots net.outbound-ports net.tls-inspection tenant.managed-domains tenant.admin-account ad.dc-reachable ad.forest-membership ad.time-skew",
		PhaseEnable:    "net.outbound-ports net.tls-inspection tenant.managed-domains tenant.admin-account tenant.active-agents",
		PhaseUninstall: "host.existing-agent tenant.other-agents tenant.cloud-admin-fallback",
	}
	for p, w := range want {
		if got := ids(p); got != w {
			t.Errorf("%s plan = %s\nwant %s", p, got, w)
		}
	}
	// The phase reaches the checks whose verdict depends on it.
	for _, e := range Plan(PhaseUninstall, Config{}) {
		if c, ok := e.Check.(ExistingAgentCheck); ok && c.Phase != PhaseUninstall {
			t.Errorf("existing-agent check got phase %q", c.Phase)
		}
	}
}

// TestTimeoutsConsistent keeps the named deadlines in order (tailscale's
// TestReportTimeouts): a probe must end before its check, and every check
// before the default run deadline.
func TestTimeoutsConsistent(t *testing.T) {
	if directory.GatherTimeout >= adCheckTimeout {
		t.Errorf("directory.GatherTimeout %s must end before adCheckTimeout %s: a silent DC is a finding, not a cut-off", directory.GatherTimeout, adCheckTimeout)
	}
	// The shared fetches end before the checks that wait for them.
	for _, c := range []struct {
		what         string
		fetch, check time.Duration
	}{{"directory.FactsTimeout", directory.FactsTimeout, adCheckTimeout}, {"directory.UsersTimeout", directory.UsersTimeout, userCheckTimeout}, {"graph.FetchTimeout", graph.FetchTimeout, tenantCheckTimeout}} {
		if c.fetch > c.check {
			t.Errorf("%s %s is longer than the deadline %s of the checks that wait for it", c.what, c.fetch, c.check)
		}
	}
	for _, pt := range []time.Duration{time.Second, DefaultProbeTimeout, 30 * time.Second} {
		for _, e := range Catalog(Config{ProbeTimeout: pt}) {
			if e.Timeout <= 0 {
				t.Errorf("%s has no deadline", e.ID())
			}
			if e.Timeout >= DefaultRunTimeout {
				t.Errorf("%s deadline %s is not inside the run deadline %s", e.ID(), e.Timeout, DefaultRunTimeout)
			}
			if strings.HasPrefix(e.ID(), "net.") && e.Timeout <= pt {
				t.Errorf("%s deadline %s does not leave room after a %s probe", e.ID(), e.Timeout, pt)
			}
		}
	}
	if abandonGrace >= netCheckMargin {
		t.Errorf("abandonGrace %s must be shorter than netCheckMargin %s", abandonGrace, netCheckMargin)
	}
}

func TestValidateIDs(t *testing.T) {
	got, err := ValidateIDs("skip", []string{"HOST.OS", " net.outbound-ports "}, false)
	if err != nil || !got["host.os"] || !got["net.outbound-ports"] {
		t.Fatalf("got %v, %v", got, err)
	}
	if _, err := ValidateIDs("skip", []string{"host.nope"}, false); err == nil || !strings.Contains(err.Error(), `unknown check ID "host.nope"`) {
		t.Errorf("unknown ID: %v", err)
	}
	if _, err := ValidateIDs("skip", []string{"all"}, false); err == nil {
		t.Error("all accepted where it is not allowed")
	}
	if got, err := ValidateIDs("ignore-failures", []string{"all"}, true); err != nil || !got["all"] {
		t.Errorf("all: %v %v", got, err)
	}
	if _, err := ValidateIDs("ignore-failures", []string{"all", "host.os"}, true); err == nil {
		t.Error("all combined with IDs accepted")
	}
	// Reserved IDs are accepted so scripts written today keep working.
	if got, err := ValidateIDs("skip", []string{"Tenant.Other-Agents"}, false); err != nil || !got["tenant.other-agents"] {
		t.Errorf("reserved ID: %v %v", got, err)
	}
}

// The IDs announced before their checks existed (scripts gate on them)
// are implemented under exactly those names.
func TestAnnouncedIDsExist(t *testing.T) {
	known := strings.Join(KnownIDs(), " ")
	for _, id := range []string{"tenant.admin-account", "ad.forest-membership", "tenant.other-agents"} {
		if !strings.Contains(" "+known+" ", " "+id+" ") {
			t.Errorf("%s is not a check ID", id)
		}
	}
}

// Every check that reads the tenant says which Graph reads it makes: the
// sign-in asks for their scopes only. A new tenant check without them would
// get a token without its permissions.
func TestChecksDeclareTheirNeeds(t *testing.T) {
	for _, e := range Catalog(Config{}) {
		n, id := e.Needs(), e.ID()
		switch {
		case strings.HasPrefix(id, "tenant."):
			if n.Tenant == nil || len(n.Graph) == 0 {
				t.Errorf("%s: needs %+v, want a Graph client and its reads", id, n)
			}
		case strings.HasPrefix(id, "host."):
			if !n.Host {
				t.Errorf("%s does not need the host facts", id)
			}
		case strings.HasPrefix(id, "ad."):
			if n.Directory == nil {
				t.Errorf("%s does not need the directory facts", id)
			}
		case strings.HasPrefix(id, "user."):
			if n.Users == nil && n.Signin == nil {
				t.Errorf("%s does not need the users' accounts or sign-in facts", id)
			}
		}
	}
	if got := Scopes("https://graph.microsoft.com", Plan(PhaseUninstall, Config{})); len(got) == 0 {
		t.Error("uninstall reads the tenant, yet needs no scope")
	}
	// signin reads the users' cloud accounts only (user.cloud-upn).
	if got := Scopes("https://graph.microsoft.com", Plan(PhaseSignin, Config{})); len(got) != 1 || got[0] != "https://graph.microsoft.com/User.Read.All" {
		t.Errorf("signin needs %v, want User.Read.All only", got)
	}
}

// An unmet need is the check's skip or error, decided by the runner before
// the check runs: the check itself is never called.
func TestUnmetNeedsStopTheCheck(t *testing.T) {
	called := false
	c := needyCheck{needs: Needs{Directory: &ADConfig{}}, called: &called}
	r := RunPlan(context.Background(), &Env{}, []Entry{{Check: c}}, RunOptions{})[0]
	if r.Status != StatusSkip || !strings.Contains(r.Message, "--domain") || called {
		t.Errorf("no domain: %s %q (check called: %v)", r.Status, r.Message, called)
	}
	c.needs = Needs{Tenant: &TenantConfig{}}
	r = RunPlan(context.Background(), &Env{}, []Entry{{Check: c}}, RunOptions{})[0]
	if r.Status != StatusError || !strings.Contains(r.Message, "no Graph client") || called {
		t.Errorf("no Graph client: %s %q (check called: %v)", r.Status, r.Message, called)
	}
}

type needyCheck struct {
	needs  Needs
	called *bool
}

func (needyCheck) Meta() Meta     { return Meta{ID: "test.needy"} }
func (c needyCheck) Needs() Needs { return c.needs }
func (c needyCheck) Run(context.Context, *Env) Outcome {
	*c.called = true
	return Outcome{}
}
