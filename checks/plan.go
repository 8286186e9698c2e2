package checks

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ptacheck/ptacheck/checks/netprobe"
	"github.com/ptacheck/ptacheck/util/suggest"
)

// Timeouts. Each check gets its own deadline inside the run's. Keep them
// consistent (TestTimeoutsConsistent): a probe deadline must end before its
// check's, so a slow probe is reported as slow, not as a check timeout.
const (
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

// endpoints expands the catalogue for this configuration.
func (c Config) endpoints() EndpointSet {
	entries := append([]Endpoint{}, CatalogueEndpoints(c.Cloud)...)
	for _, e := range c.ExtraEndpoints {
		e.site = true
		entries = append(entries, e)
	}
	return Expand(c.Cloud, entries, c.TenantID, c.Legacy)
}

// checklist is the whole checklist in order. phase parameterises the checks
// whose verdict depends on it.
func checklist(cfg Config, phase Phase) []Entry {
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
		{Check: AgentRegisteredCheck{TenantID: cfg.TenantID, TenantFrom: cfg.TenantIDFrom}, Phases: verify, Timeout: hostCheckTimeout},
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
func Catalog(cfg Config) []Entry { return checklist(cfg, PhaseInstall) }

// Plan returns the ordered checklist for one phase.
func Plan(phase Phase, cfg Config) []Entry {
	var out []Entry
	for _, e := range checklist(cfg, phase) {
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
			if hint := suggestID(id); hint != "" {
				return nil, fmt.Errorf("--%s: unknown check ID %q: %s (see 'ptacheck list')", flag, raw, hint)
			}
			return nil, fmt.Errorf("--%s: unknown check ID %q (see 'ptacheck list')", flag, raw)
		}
		out[id] = true
	}
	return out, nil
}

// suggestID is the "did you mean" of a mistyped check ID: the nearest ID,
// or for a name without its category (outbound-ports) the ID it ends.
func suggestID(id string) string {
	ids := KnownIDs() // sorted: ties go to the first, every time
	if hint := suggest.DidYouMean(id, ids, ""); hint != "" || strings.Contains(id, ".") {
		return hint
	}
	names := make([]string, len(ids))
	for i, full := range ids {
		_, names[i], _ = strings.Cut(full, ".")
	}
	near := id
	if !slices.Contains(names, id) {
		near = suggest.Closest(id, names)
	}
	if near == "" {
		return ""
	}
	return "did you mean " + ids[slices.Index(names, near)] + "?"
}
