package checks

import (
	"time"

	"github.com/ptacheck/ptacheck/checks/directory"
	"github.com/ptacheck/ptacheck/checks/hostfacts"
	"github.com/ptacheck/ptacheck/checks/netprobe"
)

// The parameters of the checks: what the flags, the host and the fixture
// fix before a run (internal/setup builds them), and what the plan turns
// into the fields of the checks.

// Config parameterises the plan: it becomes the fields of the checks.
type Config struct {
	Cloud    Cloud
	TenantID string
	// TenantIDFrom says where TenantID came from when not from
	// --tenant-id (a fixture's tenant), for the findings that name it.
	TenantIDFrom   string
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
	Password *directory.UserPassword
	// Logs parameterises logs.recent-failures.
	Logs LogsConfig
	// AgentVersion is the version of the agent about to be installed
	// (--agent-version or the installer's version resource); "" unknown.
	AgentVersion string
	// WinHTTPProxy is the host's WinHTTP proxy when the host facts carry
	// it (read once while the run is wired up, not by a network check).
	WinHTTPProxy *hostfacts.WinHTTPProxy
}

// DefaultProbeTimeout is the deadline of one network probe (--probe-timeout).
const DefaultProbeTimeout = 5 * time.Second

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

// ADConfig parameterises the directory checks.
type ADConfig struct {
	// Domain is the AD domain of this server and its users (--domain, the
	// host facts on a domain-joined server, or the fixture's directory).
	Domain string
	// DCs overrides the DC locator (--dc HOST[:PORT]).
	DCs []string
	// UPNSuffixes must be served by this server's forest (--upn-suffix, or
	// the tenant's verified managed domains).
	UPNSuffixes []string
	// TenantDomains: when no UPN suffix is given, use the tenant's
	// verified managed domains (tenant.managed-domains) as the suffixes.
	TenantDomains bool
	// NoBindReason, when set, says why no authenticated bind is possible
	// (no credentials outside Windows): the checks that need one skip.
	NoBindReason string
}

// TenantConfig parameterises the tenant checks.
type TenantConfig struct {
	// NoTokenReason, when set, says why Graph cannot be read (no token):
	// the tenant checks skip with it.
	NoTokenReason string
	// AdminUPN is the admin who installs, registers or enables (--admin-upn;
	// "" means the signed-in user).
	AdminUPN string
	// RequireGlobalAdmin fails a Hybrid Identity Administrator who is not
	// also a Global Administrator (2017-era agents needed GA).
	RequireGlobalAdmin bool
	// MachineName is this server's name as the agent registers it (FQDN):
	// tenant.other-agents leaves it out of the agents that remain.
	MachineName string
	// MachineUnknown says why MachineName is "" (no usable computer_name
	// in the host facts, no --machine-name): the checks that need this
	// server's name are an error with it.
	MachineUnknown string
	// AgentLimit is the per-tenant limit of agents (40, the current docs).
	AgentLimit int
}

// SigninConfig parameterises the user checks of `ptacheck signin`.
type SigninConfig struct {
	AD    ADConfig
	Users []string // UPNs to diagnose: the names they sign in to Entra ID with
	// Machine is this server's name, for userWorkstations ("Logon To").
	Machine string
	// Tenant says whether Graph can be read (user.cloud-upn, and the
	// on-premises names the AD checks look up).
	Tenant TenantConfig
	// Password is the one user's password (--password-file), tried once
	// per process by user.password; nil: none.
	Password *directory.UserPassword
}

// LogsConfig parameterises logs.recent-failures.
type LogsConfig struct {
	Paths  []string      // trace files, folders or .zip; empty: none found on this host
	Window time.Duration // how far back from now (0: the default, 24 h)
	// Threshold: more failures than this in the window warn; nil: the
	// default, 100. 0 is a threshold (warn on any failure), not "unset".
	Threshold *int
}

// Cloud selects an endpoint set.
type Cloud string

const (
	CloudPublic Cloud = "public"
	CloudUSGov  Cloud = "usgov"
	CloudChina  Cloud = "china"
)

// Endpoint is one catalogue entry. Host may be a wildcard ("*.msappproxy.net")
// or contain "{tenant}", replaced by --tenant-id.
type Endpoint struct {
	Host     string   `json:"host"`
	Ports    []int    `json:"ports"`
	Protocol string   `json:"protocol"`
	Level    string   `json:"level"`
	Purpose  string   `json:"purpose,omitempty"`
	Source   string   `json:"source,omitempty"`
	Note     string   `json:"note,omitempty"`
	TestWith []string `json:"test_with,omitempty"` // concrete names that stand in for a wildcard
	Issuers  []string `json:"issuers,omitempty"`   // expected issuer organisations (default: the catalogue's list)
	// Guessed marks a stand-in host no document names for this port: a
	// failure says so rather than blaming the firewall outright.
	Guessed bool `json:"guessed,omitempty"`
	// Page is the Microsoft page (or, for an unofficial entry, the write-up)
	// the entry comes from.
	Page string `json:"page,omitempty"`
	// Phases limits the entry to these phases (empty: every phase that
	// probes the network): the US Government registration hosts are used
	// "during the registration process" only.
	Phases []string `json:"phases,omitempty"`
	// site marks an entry of --endpoints-file (not Microsoft's catalogue).
	site bool
}

// Target is one concrete host:port to probe, with what the catalogue says
// about it.
type Target struct {
	netprobe.Target
	Level   string   `json:"level"`
	Purpose string   `json:"purpose,omitempty"`
	For     string   `json:"for,omitempty"` // the wildcard entry it stands in for
	Guessed bool     `json:"guessed_host,omitempty"`
	Issuers []string `json:"-"`
	// Site marks an endpoint of --endpoints-file rather than Microsoft's
	// catalogue.
	Site bool `json:"-"`
	// Phases are the phases the endpoint applies in (empty: all).
	Phases []string `json:"phases,omitempty"`
}

func levelRank(level string) int {
	switch level {
	case LevelRequired:
		return 0
	case LevelOptional:
		return 1
	}
	return 2
}

// Endpoint levels: how a failure counts.
const (
	LevelRequired = "required" // failure fails net.outbound-ports
	LevelOptional = "optional" // failure warns
	LevelLegacy   = "legacy"   // only with --legacy; failure warns
)
