package checks

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ptacheck/ptacheck/checks/hostfacts"
	"github.com/ptacheck/ptacheck/checks/netprobe"
)

// Phase is the operation the admin is about to perform.
type Phase string

const (
	PhaseInstall  Phase = "install"
	PhaseRegister Phase = "register"
	// PhaseVerify confirms, right after the installer and the
	// registration, that the agent runs and the tenant sees it.
	PhaseVerify    Phase = "verify"
	PhaseEnable    Phase = "enable"
	PhaseUninstall Phase = "uninstall"
	// PhaseSignin diagnoses users whose sign-ins fail (ptacheck signin).
	PhaseSignin Phase = "signin"
	// PhaseOperate is a health check of a running setup, for a schedule.
	PhaseOperate Phase = "operate"
)

// Phases lists every phase in lifecycle order.
var Phases = []Phase{PhaseInstall, PhaseRegister, PhaseVerify, PhaseEnable, PhaseUninstall, PhaseSignin, PhaseOperate}

// ParsePhase recognises a phase name.
func ParsePhase(s string) (Phase, bool) {
	for _, p := range Phases {
		if string(p) == s {
			return p, true
		}
	}
	return "", false
}

// Timeouts. Each check gets its own deadline inside the run's. Keep them
// consistent (TestTimeoutsConsistent): a probe deadline must end before its
// check's, so a slow probe is reported as slow, not as a check timeout.
const (
	DefaultRunTimeout   = 2 * time.Minute
	DefaultProbeTimeout = 5 * time.Second
	// HostReadTimeout bounds reading the live host's facts (SCM
	// enumeration, registry reads) and so every host check.
	HostReadTimeout  = 20 * time.Second
	hostCheckTimeout = HostReadTimeout
	// netCheckMargin is what a network check gets beyond its probe waves:
	// probes run concurrently, so one probe timeout bounds each wave of up
	// to netprobe.ProbeSlots() endpoints.
	netCheckMargin = 2 * time.Second
)

// netCheckTimeout sizes a network check's deadline from the plan: one probe
// timeout per wave of netprobe.MaxConcurrentProbes endpoints, plus a margin.
// The built-in catalogues fit in one wave; a large --endpoints-file gets the
// time its waves need instead of being cut off.
func netCheckTimeout(probe time.Duration, targets int) time.Duration {
	slots := netprobe.ProbeSlots()
	waves := max(1, (targets+slots-1)/slots)
	return time.Duration(waves)*probe + netCheckMargin
}

// Config parameterises the plan: it becomes the fields of the checks.
type Config struct {
	Cloud          Cloud
	TenantID       string
	ProbeTimeout   time.Duration // 0: DefaultProbeTimeout
	Legacy         bool          // also probe the legacy ports of pre-2018 agents
	ExtraEndpoints []Endpoint    // from --endpoints-file
	// AD parameterises the directory checks.
	AD ADConfig
	// Tenant parameterises the tenant checks.
	Tenant TenantConfig
	// Users are the UPNs `ptacheck signin` diagnoses; Machine this
	// server's name for their workstation restrictions.
	Users   []string
	Machine string
	// Password is the one signin user's password (--password-file), which
	// user.password tries once per process; nil: none.
	Password *UserPassword
	// Logs parameterises logs.recent-failures.
	Logs LogsConfig
	// AgentVersion is the version of the agent about to be installed
	// (--agent-version or the installer's version resource); "" unknown.
	AgentVersion string
	// WinHTTPProxy is the host's WinHTTP proxy when the host facts carry
	// it (read once while the run is wired up, not by a network check).
	WinHTTPProxy *hostfacts.WinHTTPProxy
}

// withDefaults fills in the defaults, once, before the checks are built.
func (c Config) withDefaults() Config {
	if c.ProbeTimeout <= 0 {
		c.ProbeTimeout = DefaultProbeTimeout
	}
	if c.Cloud == "" {
		c.Cloud = CloudPublic
	}
	return c
}

// Entry is one item of the checklist: the check, the phases it runs in, the
// checks it requires and its deadline.
type Entry struct {
	Check    Check
	Phases   []Phase
	Requires []string
	Timeout  time.Duration
}

// ID returns the check's ID.
func (e Entry) ID() string { return e.Check.Meta().ID }

func (e Entry) inPhase(p Phase) bool {
	for _, q := range e.Phases {
		if q == p {
			return true
		}
	}
	return false
}

// catalog is the whole checklist in order. phase parameterises the checks
// whose verdict depends on it.
func catalog(cfg Config, phase Phase) []Entry {
	cfg = cfg.withDefaults()
	all := []Phase{PhaseInstall, PhaseRegister, PhaseEnable}
	netPhases := []Phase{PhaseInstall, PhaseRegister, PhaseEnable, PhaseOperate}
	ad := []Phase{PhaseInstall, PhaseRegister}
	dc := []Phase{PhaseInstall, PhaseRegister, PhaseSignin, PhaseOperate}
	verify := []Phase{PhaseVerify, PhaseOperate}
	signin := SigninConfig{AD: cfg.AD, Users: cfg.Users, Machine: cfg.Machine, Tenant: cfg.Tenant, Password: cfg.Password}
	users := []Phase{PhaseSignin}
	net := OutboundPortsCheck{Endpoints: cfg.endpoints().ForPhase(phase), ProbeTimeout: cfg.ProbeTimeout, WinHTTPProxy: cfg.WinHTTPProxy}
	return []Entry{
		{Check: OSVersionCheck{}, Phases: []Phase{PhaseInstall}, Timeout: hostCheckTimeout},
		{Check: AppProxyConnectorAbsentCheck{Phase: phase, AgentVersion: cfg.AgentVersion}, Phases: []Phase{PhaseInstall, PhaseRegister}, Timeout: hostCheckTimeout},
		{Check: ExistingAgentCheck{Phase: phase, AgentVersion: cfg.AgentVersion}, Phases: []Phase{PhaseInstall, PhaseRegister, PhaseUninstall}, Timeout: hostCheckTimeout},
		{Check: TLS12Check{}, Phases: []Phase{PhaseInstall, PhaseRegister}, Timeout: hostCheckTimeout},
		{Check: DotNetCheck{}, Phases: []Phase{PhaseInstall}, Timeout: hostCheckTimeout},
		{Check: TrustedRootsCheck{}, Phases: []Phase{PhaseInstall, PhaseRegister}, Timeout: hostCheckTimeout},
		{Check: AgentRunningCheck{}, Phases: verify, Timeout: hostCheckTimeout},
		{Check: AgentRegisteredCheck{TenantID: cfg.TenantID}, Phases: verify, Timeout: hostCheckTimeout},
		{Check: net, Phases: netPhases, Timeout: netCheckTimeout(cfg.ProbeTimeout, len(net.Endpoints.Targets))},
		{Check: TLSInspectionCheck{Endpoints: net.Endpoints, ProbeTimeout: cfg.ProbeTimeout}, Phases: netPhases, Timeout: netCheckTimeout(cfg.ProbeTimeout, len(net.Endpoints.Targets))},
		{Check: ManagedDomainsCheck{Config: cfg.Tenant}, Phases: all, Timeout: tenantCheckTimeout},
		{Check: AdminAccountCheck{Config: cfg.Tenant}, Phases: all, Timeout: tenantCheckTimeout},
		{Check: AgentLimitCheck{Config: cfg.Tenant}, Phases: []Phase{PhaseInstall}, Timeout: tenantCheckTimeout},
		{Check: ThisAgentActiveCheck{Config: cfg.Tenant, TenantID: cfg.TenantID}, Phases: verify, Timeout: tenantCheckTimeout},
		{Check: ActiveAgentsCheck{Config: cfg.Tenant}, Phases: []Phase{PhaseEnable, PhaseOperate}, Timeout: tenantCheckTimeout},
		{Check: OtherAgentsCheck{Config: cfg.Tenant}, Phases: []Phase{PhaseUninstall}, Timeout: tenantCheckTimeout},
		{Check: CloudAdminFallbackCheck{Config: cfg.Tenant}, Phases: []Phase{PhaseUninstall}, Timeout: tenantCheckTimeout},
		{Check: ADDCReachableCheck{Config: cfg.AD}, Phases: dc, Timeout: adCheckTimeout},
		{Check: ADForestMembershipCheck{Config: cfg.AD}, Phases: ad, Requires: []string{"ad.dc-reachable"}, Timeout: adCheckTimeout},
		{Check: ADTimeSkewCheck{Config: cfg.AD}, Phases: dc, Requires: []string{"ad.dc-reachable"}, Timeout: adCheckTimeout},
		{Check: UserCloudUPNCheck{Config: signin}, Phases: users, Timeout: userCheckTimeout},
		{Check: UserExistsCheck{Config: signin}, Phases: users, Requires: []string{"ad.dc-reachable"}, Timeout: userCheckTimeout},
		{Check: UserAccountStateCheck{Config: signin}, Phases: users, Requires: []string{"ad.dc-reachable"}, Timeout: userCheckTimeout},
		{Check: UserPasswordCheck{Config: signin}, Phases: users, Requires: []string{"ad.dc-reachable"}, Timeout: userCheckTimeout},
		{Check: RecentFailuresCheck{Config: cfg.Logs}, Phases: []Phase{PhaseOperate}, Timeout: logsCheckTimeout},
	}
}

// Catalog returns every check in checklist order, for `ptacheck list`.
func Catalog(cfg Config) []Entry { return catalog(cfg, PhaseInstall) }

// Plan returns the ordered checklist for one phase.
func Plan(phase Phase, cfg Config) []Entry {
	var out []Entry
	for _, e := range catalog(cfg, phase) {
		if e.inPhase(phase) {
			out = append(out, e)
		}
	}
	return out
}

// KnownIDs returns every check ID, sorted.
func KnownIDs() []string {
	var ids []string
	for _, e := range Catalog(Config{}) {
		ids = append(ids, e.ID())
	}
	sort.Strings(ids)
	return ids
}

// ValidateIDs checks a --skip/--only/--ignore-failures list. allowAll permits
// the single word "all". IDs are case-insensitive; the result is lower case.
func ValidateIDs(flag string, ids []string, allowAll bool) (map[string]bool, error) {
	known := map[string]bool{}
	for _, id := range KnownIDs() {
		known[id] = true
	}
	out := map[string]bool{}
	for _, raw := range ids {
		id := strings.ToLower(strings.TrimSpace(raw))
		switch {
		case id == "":
			continue
		case id == "all" && allowAll:
			if len(ids) > 1 {
				return nil, fmt.Errorf("--%s: \"all\" cannot be combined with check IDs", flag)
			}
		case !known[id]:
			return nil, fmt.Errorf("--%s: unknown check ID %q (see `ptacheck list`)", flag, raw)
		}
		out[id] = true
	}
	return out, nil
}
