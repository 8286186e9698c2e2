package checks

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/ptacheck/ptacheck/checks/hostfacts"
)

// Documentation the host checks point to.
// coexistVersion is the first PTA agent version that may share a server with
// an App Proxy / private network connector (pta-facts.md 2.3).
const coexistVersion = "1.5.193.0"

// unreadHost is what the host reader could not read about a check's facts.
type unreadHost struct {
	// blind are failures that may hide a finding (a service manager, an
	// Uninstall list, a registry key or a folder that could not be read):
	// the check cannot pass on them, so they become Outcome.Unevaluated.
	blind []string
	// partial are failures about a thing that was found (one service's
	// configuration): shown in the details, the verdict stands.
	partial []string
}

func (u unreadHost) all() []string { return append(append([]string{}, u.blind...), u.partial...) }

// unrecordedLists describes the evidence lists a host snapshot lacks, one
// line each: an absent list is not evidence that nothing is installed.
func unrecordedLists(s *hostfacts.Snapshot, fields ...string) []string {
	var out []string
	for _, f := range s.Unrecorded(fields...) {
		out = append(out, fmt.Sprintf("the host snapshot has no %q (absent or null; an explicit empty one says there are none)", f))
	}
	return out
}

// evidenceOf are the snapshot lists the agent and connector checks read.
var evidenceOf = []string{hostfacts.EvidenceServices, hostfacts.EvidenceUninstall, hostfacts.EvidenceFiles, hostfacts.EvidenceRegistry}

// unreadFacts collects the snapshot's warnings about the given services
// (partial), and about the service manager, the Uninstall lists, paths and
// registry keys (blind).
func unreadFacts(s *hostfacts.Snapshot, services []hostfacts.Service, paths, keys []string) unreadHost {
	blind := []string{"service manager", "uninstall"}
	for _, p := range paths {
		blind = append(blind, "file "+p)
	}
	for _, k := range keys {
		blind = append(blind, "registry "+k)
	}
	var partial []string
	for _, svc := range services {
		partial = append(partial, "service "+svc.Name)
	}
	u := unreadHost{blind: s.WarningsAbout(blind...), partial: []string{}}
	if len(partial) > 0 {
		u.partial = s.WarningsAbout(partial...)
	}
	if len(u.blind) == 0 {
		u.blind = nil // Outcome.Unevaluated: nil means everything was read
	}
	return u
}

// AppProxyConnectorAbsentCheck fails when an Azure AD Application Proxy /
// Microsoft Entra private network connector is installed on the server: the
// 2017 rule. PTA agents 1.5.193.0 and later may coexist with a connector
// (the FAQ), so the check passes, with a note, when the agent installed here
// (register) or about to be installed (install, --agent-version) is one.
type AppProxyConnectorAbsentCheck struct {
	Phase Phase
	// AgentVersion is the version of the agent about to be installed
	// (--agent-version, or the installer's version resource); "" unknown.
	AgentVersion string
}

func (AppProxyConnectorAbsentCheck) Meta() Meta {
	return Meta{
		ID:          "host.app-proxy-connector",
		Title:       "No App Proxy connector on this server",
		Description: "Application Proxy / private network connector absent, or the PTA agent is " + coexistVersion + " or later, which may coexist with it",
		Remediation: "Install the PTA agent on a server without an Application Proxy / private network connector " +
			"(the 2017 rule: \"A Pass-through Authentication connector cannot be installed on the same server as an Azure AD Application Proxy connector\"), " +
			"or confirm that the agent you install is " + coexistVersion + " or later (every agent downloadable today is 1.5.2482.0 or later), " +
			"which may coexist with the connector: re-run with --agent-version VERSION (on Windows also --installer PATH).",
		DocURL: docFAQ,
	}
}

func (AppProxyConnectorAbsentCheck) Needs() Needs { return Needs{Host: true} }

func (c AppProxyConnectorAbsentCheck) Run(ctx context.Context, env *Env) Outcome {
	s := env.Met.Host
	var found *multierror.Error
	var names []string
	services := s.ServicesMatching([]string{hostfacts.SvcAppProxy, hostfacts.SvcAppProxyUpdater}, hostfacts.AppProxyProductPrefixes)
	for _, svc := range services {
		found = multierror.Append(found, fmt.Errorf("service %s%s is installed%s", svc.Name, paren(svc.DisplayName), stateSuffix(svc.State)))
		names = append(names, "service "+svc.Name)
	}
	entries := s.UninstallMatching(hostfacts.AppProxyProductPrefixes)
	for _, u := range entries {
		found = multierror.Append(found, fmt.Errorf("program %q%s is installed", u.DisplayName, prefixed(" ", u.DisplayVersion)))
		names = append(names, fmt.Sprintf("program %q", u.DisplayName))
	}
	files := s.FilesAmong(hostfacts.AppProxyPaths)
	for _, f := range files {
		found = multierror.Append(found, fmt.Errorf("folder %s exists", f))
	}
	keys := s.RegistryKeysAmong(hostfacts.AppProxyRegistryKeys)
	for _, k := range keys {
		found = multierror.Append(found, fmt.Errorf("registry key %s exists", k))
	}
	unread := unreadFacts(s, services, hostfacts.AppProxyPaths, hostfacts.AppProxyRegistryKeys)
	unread.blind = append(unread.blind, unrecordedLists(s, evidenceOf...)...)
	details := map[string]any{
		"services":          services,
		"uninstall_entries": entries,
		"folders":           files,
		"registry_keys":     keys,
		"coexist_version":   coexistVersion,
		"warnings":          unread.all(),
	}
	if found == nil {
		return Outcome{Summary: "no Application Proxy / private network connector found", Details: details, Unevaluated: unread.blind}
	}
	if len(names) == 0 {
		names = append(names, "leftover folders or registry keys")
	}
	present := fmt.Sprintf("App Proxy connector present (%s)", strings.Join(names, ", "))
	// The agent that will share the server decides: the one about to be
	// installed, or (register) the one already installed.
	version, source := c.AgentVersion, "the agent to install (--agent-version)"
	if agent := detectAgent(s); c.Phase != PhaseInstall && agent.Installed && agent.Version != "" {
		version, source = agent.Version, "the installed agent"
	}
	if version != "" {
		details["agent_version"] = version
		if versionAtLeast(version, coexistVersion) {
			return Outcome{
				Summary: fmt.Sprintf("%s; %s is %s, and agents %s and later may coexist with a connector (FAQ)", present, source, version, coexistVersion),
				Details: details,
				// The agent's version decides and was read; what could not
				// be read about the connector changes nothing here.
			}
		}
		return Outcome{
			Fail:        found.ErrorOrNil(),
			Summary:     fmt.Sprintf("%s; %s is %s, older than %s, which cannot share a server with a connector", present, source, version, coexistVersion),
			Remediation: "Install a current agent (1.5.2482.0 or later; " + coexistVersion + " is the first that may coexist with a connector), or use a server without an Application Proxy / private network connector.",
			Details:     details,
			Unevaluated: unread.blind,
		}
	}
	return Outcome{
		Fail:        found.ErrorOrNil(),
		Summary:     fmt.Sprintf("%s; agents %s and later may coexist with it, but the version to install is unknown", present, coexistVersion),
		Details:     details,
		Unevaluated: unread.blind,
	}
}

// agentInfo is what the host says about an installed PTA agent.
type agentInfo struct {
	Installed        bool                       `json:"installed"`
	Version          string                     `json:"version,omitempty"`
	AgentID          string                     `json:"agent_id,omitempty"`
	TenantID         string                     `json:"tenant_id,omitempty"`
	Service          *hostfacts.Service         `json:"service,omitempty"`
	UninstallEntries []hostfacts.UninstallEntry `json:"uninstall_entries,omitempty"`
	Files            []string                   `json:"files,omitempty"`
	RegistryKey      string                     `json:"registry_key,omitempty"`
	// The Agent Updater, installed and removed with the agent.
	UpdaterService *hostfacts.Service         `json:"updater_service,omitempty"`
	UpdaterEntries []hostfacts.UninstallEntry `json:"updater_uninstall_entries,omitempty"`
	// EntraConnect is Microsoft Entra Connect's ADSync service, when this
	// server runs it.
	EntraConnect *hostfacts.Service `json:"entra_connect_service,omitempty"`
	// Warnings are what the host reader could not read about these facts.
	Warnings   []string `json:"warnings"`
	unread     unreadHost
	unrecorded []string // evidence lists the snapshot lacks
}

// updaterPresent reports whether an Agent Updater is installed.
func (a agentInfo) updaterPresent() bool {
	return a.UpdaterService != nil || len(a.UpdaterEntries) > 0
}

func (a agentInfo) describeUpdater() string {
	var parts []string
	if a.UpdaterService != nil {
		parts = append(parts, "service "+a.UpdaterService.Name+stateSuffix(a.UpdaterService.State))
	}
	for _, u := range a.UpdaterEntries {
		parts = append(parts, fmt.Sprintf("program %q%s", u.DisplayName, prefixed(" ", u.DisplayVersion)))
	}
	return strings.Join(parts, ", ")
}

func detectAgent(s *hostfacts.Snapshot) agentInfo {
	var a agentInfo
	if svc, ok := s.Service(hostfacts.SvcPTAAgent); ok {
		a.Service = &svc
	} else if m := s.ServicesMatching(nil, hostfacts.PTAAgentProductPrefixes); len(m) > 0 {
		a.Service = &m[0]
	}
	a.UninstallEntries = s.UninstallMatching(hostfacts.PTAAgentProductPrefixes)
	for _, u := range a.UninstallEntries {
		if u.DisplayVersion != "" {
			a.Version = u.DisplayVersion
		}
	}
	a.Files = s.FilesAmong(hostfacts.PTAAgentPaths)
	if values, ok := s.RegistryKey(hostfacts.RegAgent); ok {
		a.RegistryKey = hostfacts.RegAgent
		// The FAQ shows the Agent ID as the value(s) matching *Instance*;
		// in name order, so the same snapshot names the same ID every time.
		for _, name := range slices.Sorted(maps.Keys(values)) {
			v := values[name]
			str, isString := v.(string)
			if isString && a.AgentID != "" && strings.Contains(strings.ToLower(name), "instance") {
				continue // the first in name order
			}
			switch {
			case isString && strings.Contains(strings.ToLower(name), "instance"):
				a.AgentID = str
			case isString && strings.EqualFold(name, "TenantID"):
				a.TenantID = str
			}
		}
	}
	if svc, ok := s.Service(hostfacts.SvcPTAUpdater); ok {
		a.UpdaterService = &svc
	} else if m := s.ServicesMatching(nil, hostfacts.UpdaterProductPrefixes); len(m) > 0 {
		a.UpdaterService = &m[0]
	}
	a.UpdaterEntries = s.UninstallMatching(hostfacts.UpdaterProductPrefixes)
	if svc, ok := s.Service(hostfacts.SvcADSync); ok {
		a.EntraConnect = &svc
	}
	a.Installed = a.Service != nil || len(a.UninstallEntries) > 0
	var services []hostfacts.Service
	for _, svc := range []*hostfacts.Service{a.Service, a.UpdaterService, a.EntraConnect} {
		if svc != nil {
			services = append(services, *svc)
		}
	}
	a.unread = unreadFacts(s, services, hostfacts.PTAAgentPaths, []string{hostfacts.RegAgent})
	a.unrecorded = unrecordedLists(s, evidenceOf...)
	a.Warnings = append(a.unread.all(), a.unrecorded...)
	return a
}

func (a agentInfo) describe() string {
	parts := []string{"PTA agent"}
	if a.Version != "" {
		parts = append(parts, a.Version)
	}
	if a.Service != nil {
		parts = append(parts, "(service "+a.Service.Name+stateSuffix(a.Service.State)+")")
	}
	if a.AgentID != "" {
		parts = append(parts, "agent ID "+a.AgentID)
	}
	if a.TenantID != "" {
		parts = append(parts, "tenant "+a.TenantID)
	}
	return strings.Join(parts, " ")
}

// ExistingAgentCheck looks for an installed PTA Authentication Agent. What it
// concludes depends on the phase: install wants none (one agent per server),
// register wants one, uninstall identifies it.
type ExistingAgentCheck struct {
	Phase        Phase
	AgentVersion string // install: the version about to be installed ("" unknown)
}

func (c ExistingAgentCheck) Meta() Meta {
	m := Meta{
		ID:          "host.existing-agent",
		Title:       "PTA agent on this server",
		Description: "install: no PTA agent yet (one per server); register: an agent is installed; uninstall: identifies the installed agent (version, agent ID)",
		Remediation: "Only one Pass-through Authentication Agent can be installed on a server: use another server, or uninstall the existing agent " +
			"(both \"Authentication Agent\" and \"Agent Updater\") first.",
		DocURL: docFAQ,
	}
	switch c.Phase {
	case PhaseRegister:
		m.Remediation = "Install the agent first (AADConnectAuthAgentSetup.exe REGISTERCONNECTOR=\"false\" /q), then register it with RegisterConnector.ps1."
		m.DocURL = docQuickStart
	case PhaseUninstall:
		m.Remediation = "Nothing is installed here to uninstall; check that you are on the intended server."
	}
	return m
}

func (ExistingAgentCheck) Needs() Needs { return Needs{Host: true} }

func (c ExistingAgentCheck) Run(ctx context.Context, env *Env) Outcome {
	s := env.Met.Host
	a := detectAgent(s)
	if !a.Installed && len(a.unrecorded) > 0 {
		// "Not installed" would be read from lists the snapshot lacks:
		// neither a pass (install) nor a failure (register) stands on it.
		return Outcome{Err: errors.New("cannot tell whether a PTA agent is installed: " + strings.Join(a.unrecorded, "; ")), Details: a}
	}
	o := c.decide(a)
	if o.Skip == "" {
		o.Unevaluated = append(append([]string{}, a.unread.blind...), a.unrecorded...)
		if len(o.Unevaluated) == 0 {
			o.Unevaluated = nil
		}
	}
	return o
}

// decide is the verdict from what was read; Run adds what could not be.
func (c ExistingAgentCheck) decide(a agentInfo) Outcome {
	leftovers := !a.Installed && (len(a.Files) > 0 || a.RegistryKey != "")
	switch c.Phase {
	case PhaseInstall:
		return c.install(a, leftovers)
	case PhaseRegister:
		if !a.Installed {
			return Outcome{Fail: errors.New("no PTA agent is installed on this server"), Details: a}
		}
		if a.AgentID != "" {
			return Outcome{
				Warn:        fmt.Errorf("%s is already registered; registering again replaces its identity", a.describe()),
				Remediation: "Registration is needed only once per agent; re-register only to move the agent to another tenant or to repair it.",
				Details:     a,
			}
		}
		return Outcome{Summary: a.describe() + " is installed and not yet registered", Details: a}
	case PhaseUninstall:
		if !a.Installed {
			if a.updaterPresent() {
				return Outcome{
					Warn:        fmt.Errorf("no PTA agent is installed, but its Agent Updater remains (%s)", a.describeUpdater()),
					Remediation: "Uninstall the leftover \"Agent Updater\" too; it is removed together with the agent.",
					Details:     a,
				}
			}
			return Outcome{Warn: errors.New("no PTA agent is installed on this server: nothing to uninstall"), Details: a}
		}
		summary := "installed: " + a.describe()
		if a.updaterPresent() {
			summary += "; uninstall its Agent Updater (" + a.describeUpdater() + ") with it"
		}
		if a.EntraConnect != nil {
			// The troubleshooting guide warns when the agent goes away with
			// Entra Connect: sign-in then depends on the other agents.
			return Outcome{
				Warn:    fmt.Errorf("this server runs Microsoft Entra Connect (service %s%s), which installed its agent when it enabled PTA: once this agent is uninstalled, users can sign in only while other PTA agents are active", a.EntraConnect.Name, stateSuffix(a.EntraConnect.State)),
				Summary: summary,
				Remediation: "Make sure at least one other agent is active (Microsoft Entra admin center > Pass-through authentication) before uninstalling; " +
					"to stop using PTA, change the user sign-in method in the Microsoft Entra Connect wizard instead of removing the agent.",
				Details: a,
			}
		}
		return Outcome{Summary: summary, Details: a}
	}
	return Skipped("does not apply to %s", c.Phase)
}

// install: one agent per server, but rerunning a newer installer upgrades an
// installed agent in place (FAQ).
func (c ExistingAgentCheck) install(a agentInfo, leftovers bool) Outcome {
	switch {
	case a.Installed && c.AgentVersion != "" && a.Version != "" && !versionAtLeast(a.Version, c.AgentVersion):
		return Outcome{
			Warn:        fmt.Errorf("%s is installed: installing %s upgrades it in place", a.describe(), c.AgentVersion),
			Remediation: "Rerunning a newer installer upgrades the installed agent in place; make sure other agents serve sign-ins while it restarts.",
			Details:     a,
		}
	case a.Installed && c.AgentVersion != "" && a.Version != "":
		return Outcome{
			Fail:        fmt.Errorf("%s is installed and %s is not newer: only one agent per server", a.describe(), c.AgentVersion),
			Remediation: "Only one Pass-through Authentication Agent can be installed on a server, and the installer only upgrades to a newer version: use another server, or uninstall the existing agent (and its Agent Updater) first.",
			Details:     a,
		}
	case a.Installed:
		return Outcome{
			Fail: fmt.Errorf("%s is already installed; only one agent per server", a.describe()),
			Remediation: "Only one Pass-through Authentication Agent can be installed on a server: use another server, or uninstall the existing agent (and its Agent Updater) first. " +
				"To upgrade it in place with a newer installer, re-run with --agent-version VERSION.",
			Details: a,
		}
	case leftovers:
		return Outcome{
			Warn:        fmt.Errorf("remnants of a previous PTA agent remain (%s) but no service or program entry", strings.Join(append(a.Files, a.RegistryKey), ", ")),
			Remediation: "Leftovers of an earlier agent can confuse the installer; remove them, or reinstall and uninstall the agent cleanly.",
			Details:     a,
		}
	case a.updaterPresent():
		return Outcome{
			Warn:        fmt.Errorf("no PTA agent is installed, but an Agent Updater remains (%s)", a.describeUpdater()),
			Remediation: "A leftover Agent Updater from an earlier agent can conflict with the installer's own; uninstall it first.",
			Details:     a,
		}
	}
	return Outcome{Summary: "no PTA agent installed", Details: a}
}

// Windows build numbers (pta-facts.md 2.4).
const (
	buildWS2012R2 = 9600
	buildWS2016   = 14393
	buildWS2025   = 26100
)

// OSVersionCheck wants Windows Server 2016 or later with the Desktop
// Experience (Server Core is not supported).
type OSVersionCheck struct{}

func (OSVersionCheck) Meta() Meta {
	return Meta{
		ID:          "host.os",
		Title:       "Windows Server version",
		Description: "Windows Server 2016-2022 with the Desktop Experience; not Server Core or Nano Server (2012 R2 and 2025 warn)",
		Remediation: "Run the PTA agent on Windows Server 2016 or later with the Desktop Experience; Server Core and Nano Server are not supported.",
		DocURL:      docQuickStart,
	}
}

func (OSVersionCheck) Needs() Needs { return Needs{Host: true} }

func (OSVersionCheck) Run(ctx context.Context, env *Env) Outcome {
	s := env.Met.Host
	o := s.OS
	if o.Build == 0 && o.ProductName == "" {
		return Errored(errors.New("the host facts carry no OS version"), o)
	}
	// The build comes from RtlGetVersion, which cannot fail; the product
	// name and installation type come from the registry. Without the
	// installation type, Server Core cannot be told apart.
	if unreadOS := s.WarningsAbout("os"); len(unreadOS) > 0 && strings.TrimSpace(o.InstallationType) == "" {
		return Outcome{Unevaluated: unreadOS, Details: o}
	}
	name := fmt.Sprintf("%s (build %d)", strings.TrimSpace(o.ProductName), o.Build)
	it := strings.ToLower(strings.TrimSpace(o.InstallationType))
	product := strings.ToLower(o.ProductName)
	// Server Core, Nano Server and clients fail whatever the build.
	definite := strings.Contains(product, "server core") || strings.Contains(product, "nano server") ||
		it == "server core" || it == "nano server" || it == "client"
	switch {
	case it == "" && !definite:
		return Errored(errors.New("the host facts carry no os.installation_type: Server Core and Nano Server cannot be told apart from a full installation"), o)
	case o.Build <= 0 && !definite:
		return Errored(errors.New("the host facts carry no os.build: the Windows Server version is unknown"), o)
	}
	switch {
	case it == "server core" || strings.Contains(strings.ToLower(o.ProductName), "server core"):
		return Outcome{Fail: fmt.Errorf("%s is a Server Core installation, which the PTA agent does not support", name), Details: o}
	case it == "nano server" || strings.Contains(strings.ToLower(o.ProductName), "nano server"):
		return Outcome{Fail: fmt.Errorf("%s is Nano Server, which cannot host the PTA agent", name), Details: o}
	case it == "client" || (it == "" && !strings.Contains(strings.ToLower(o.ProductName), "server")):
		return Outcome{Fail: fmt.Errorf("%s is not Windows Server", name), Details: o}
	case o.Build >= buildWS2025:
		return Outcome{
			Warn:        fmt.Errorf("%s is Windows Server 2025: the standalone agent needs 2016 or later, but Microsoft Entra Connect, which installs the agent when it enables PTA, does not support Windows Server 2025", name),
			Remediation: "Use Windows Server 2016, 2019 or 2022 if this server will run Microsoft Entra Connect; the standalone agent installer is not affected.",
			Details:     o,
		}
	case o.Build >= buildWS2016:
		return Outcome{Summary: name, Details: o}
	case o.Build >= buildWS2012R2:
		return Outcome{Warn: fmt.Errorf("%s is Windows Server 2012 R2: older documentation allows it, current documentation requires 2016 or later", name), Details: o}
	}
	return Outcome{Fail: fmt.Errorf("%s is older than Windows Server 2012 R2", name), Details: o}
}

// TLS12Check wants TLS 1.2 enabled for SCHANNEL clients and .NET strong
// cryptography in both registry views.
type TLS12Check struct{}

func (TLS12Check) Meta() Meta {
	return Meta{
		ID:          "host.tls12",
		Title:       "TLS 1.2 and .NET strong crypto",
		Description: "SCHANNEL TLS 1.2 client not disabled; SchUseStrongCrypto and SystemDefaultTlsVersions set for .NET 4 (64- and 32-bit)",
		Remediation: "Enable TLS 1.2: under SCHANNEL\\Protocols\\TLS 1.2\\Client and \\Server set Enabled=1 and DisabledByDefault=0; under " +
			"HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319 and its WOW6432Node twin set SchUseStrongCrypto=1 and SystemDefaultTlsVersions=1; then restart.",
		DocURL: docTLSEnforcement,
	}
}

func (TLS12Check) Needs() Needs { return Needs{Host: true} }

func (TLS12Check) Run(ctx context.Context, env *Env) Outcome {
	s := env.Met.Host
	if missing := unrecordedLists(s, hostfacts.EvidenceRegistry); len(missing) > 0 {
		// An absent value means "the default" only when the key was read.
		return Errored(errors.New(missing[0]), nil)
	}
	var fail, warn *multierror.Error
	details := map[string]any{}
	schannel := func(key, side string) error {
		enabled, hasEnabled := s.RegistryNumber(key, "Enabled")
		dbd, hasDBD := s.RegistryNumber(key, "DisabledByDefault")
		details["schannel_tls12_"+strings.ToLower(side)] = map[string]any{"enabled": optNum(enabled, hasEnabled), "disabled_by_default": optNum(dbd, hasDBD)}
		switch {
		case hasEnabled && enabled == 0:
			return fmt.Errorf("SCHANNEL TLS 1.2 %s is disabled (Enabled=0)", side)
		case hasDBD && dbd != 0:
			return fmt.Errorf("SCHANNEL TLS 1.2 %s is disabled by default (DisabledByDefault=%d)", side, dbd)
		}
		return nil
	}
	unreadKeys := s.WarningsAbout("registry "+hostfacts.RegTLS12Client, "registry "+hostfacts.RegTLS12Server,
		"registry "+hostfacts.RegNetFx64, "registry "+hostfacts.RegNetFx32)
	if len(unreadKeys) > 0 {
		details["warnings"] = unreadKeys
	} else {
		unreadKeys = nil
	}
	if err := schannel(hostfacts.RegTLS12Client, "Client"); err != nil {
		fail = multierror.Append(fail, err)
	}
	if err := schannel(hostfacts.RegTLS12Server, "Server"); err != nil {
		warn = multierror.Append(warn, err)
	}
	for _, nf := range []struct{ key, view string }{{hostfacts.RegNetFx64, "64-bit"}, {hostfacts.RegNetFx32, "32-bit"}} {
		view := map[string]any{}
		for _, name := range []string{"SchUseStrongCrypto", "SystemDefaultTlsVersions"} {
			v, ok := s.RegistryNumber(nf.key, name)
			view[name] = optNum(v, ok)
			if !ok || v != 1 {
				warn = multierror.Append(warn, fmt.Errorf(".NET 4 (%s) %s is %s, want 1", nf.view, name, describeNum(v, ok)))
			}
		}
		details["dotnet_"+strings.TrimSuffix(nf.view, "-bit")] = view
	}
	if fail == nil && warn == nil {
		return Outcome{Summary: "TLS 1.2 enabled; .NET strong crypto set in both registry views", Details: details, Unevaluated: unreadKeys}
	}
	return Outcome{Fail: fail.ErrorOrNil(), Warn: warn.ErrorOrNil(), Details: details, Unevaluated: unreadKeys}
}

func optNum(v uint64, ok bool) any {
	if !ok {
		return nil
	}
	return v
}

func describeNum(v uint64, ok bool) string {
	if !ok {
		return "not set"
	}
	return strconv.FormatUint(v, 10)
}

// .NET Framework 4.x Release minimums (pta-facts.md 2.4).
var dotNetReleases = []struct {
	release uint64
	name    string
}{
	{533320, "4.8.1"}, {528040, "4.8"}, {461808, "4.7.2"}, {461308, "4.7.1"}, {460798, "4.7"},
	{394802, "4.6.2"}, {394254, "4.6.1"}, {393295, "4.6"}, {379893, "4.5.2"}, {378675, "4.5.1"}, {378389, "4.5"},
}

// dotNetMinRelease is .NET Framework 4.7.2: what the private network connector
// needs and what agent bootstrap captures report. The PTA agent's own minimum
// is UNVERIFIED, so lower versions warn instead of failing.
const dotNetMinRelease = 461808

func dotNetName(release uint64) string {
	for _, r := range dotNetReleases {
		if release >= r.release {
			return r.name
		}
	}
	return "4.x older than 4.5"
}

// DotNetCheck wants .NET Framework 4.7.2 or later.
type DotNetCheck struct{}

func (DotNetCheck) Meta() Meta {
	return Meta{
		ID:          "host.dotnet",
		Title:       ".NET Framework version",
		Description: ".NET Framework 4.x installed, Release 461808 (4.7.2) or later",
		Remediation: "Install .NET Framework 4.7.2 or later (4.8 recommended).",
		DocURL:      docDotNetVersions,
	}
}

func (DotNetCheck) Needs() Needs { return Needs{Host: true} }

func (DotNetCheck) Run(ctx context.Context, env *Env) Outcome {
	s := env.Met.Host
	if missing := unrecordedLists(s, hostfacts.EvidenceRegistry); len(missing) > 0 {
		return Errored(errors.New(missing[0]), nil)
	}
	release, ok := s.RegistryNumber(hostfacts.RegNDP4, "Release")
	if !ok {
		if unreadKey := s.WarningsAbout("registry " + hostfacts.RegNDP4); len(unreadKey) > 0 {
			return Outcome{Unevaluated: unreadKey}
		}
		return Outcome{Fail: fmt.Errorf(".NET Framework 4.x is not installed (no Release value under %s)", hostfacts.RegNDP4)}
	}
	details := map[string]any{"release": release, "version": dotNetName(release), "min_release": dotNetMinRelease}
	if release < dotNetMinRelease {
		return Outcome{
			Warn:    fmt.Errorf(".NET Framework %s (Release %d) is older than 4.7.2; the agent's exact minimum is not documented", dotNetName(release), release),
			Details: details,
		}
	}
	return Outcome{Summary: fmt.Sprintf(".NET Framework %s (Release %d)", dotNetName(release), release), Details: details}
}

// TrustedRootsCheck wants the roots the agent's endpoints chain to in the
// LocalMachine\Root store: without them the agent cannot validate the
// service's certificates (pta-facts.md 7).
type TrustedRootsCheck struct{}

func (TrustedRootsCheck) Meta() Meta {
	names := make([]string, 0, len(hostfacts.RootsOfInterest))
	for _, r := range hostfacts.RootsOfInterest {
		names = append(names, r.Name)
	}
	return Meta{
		ID:          "host.trusted-roots",
		Title:       "Trusted root certificates",
		Description: "LocalMachine\\Root holds the roots the agent's endpoints chain to: " + strings.Join(names, ", "),
		Remediation: "Import the missing root certificates into Local Computer > Trusted Root Certification Authorities (certlm.msc, or " +
			"certutil -addstore Root FILE.crt); they are published at https://cacerts.digicert.com/. Windows fetches missing roots on demand " +
			"only when automatic root updates are on and ctldl.windowsupdate.com is reachable.",
		DocURL: docAzureCAs,
	}
}

// docTrustedRootsPolicy is Microsoft's page on the Automatic Root
// Certificates Update policy: DisableRootAutoUpdate=1 under
// HKLM\SOFTWARE\Policies\Microsoft\SystemCertificates\AuthRoot turns the
// automatic update of the trusted roots off; by default it is on.

// trustedRootsDetails is the evidence of host.trusted-roots.
type trustedRootsDetails struct {
	Store   string                  `json:"store"`
	Present []hostfacts.TrustedRoot `json:"present"`
	Missing []hostfacts.KnownRoot   `json:"missing"`
	// RootAutoUpdate is whether Windows may fetch a missing root on demand
	// ("on", "off", "unknown"), from the Automatic Root Certificates
	// Update policy; only when a root is missing.
	RootAutoUpdate        string   `json:"root_auto_update,omitempty"`
	DisableRootAutoUpdate *uint64  `json:"disable_root_auto_update,omitempty"`
	Warnings              []string `json:"warnings"`
}

func (TrustedRootsCheck) Needs() Needs { return Needs{Host: true} }

func (TrustedRootsCheck) Run(ctx context.Context, env *Env) Outcome {
	s := env.Met.Host
	unreadRoots := s.WarningsAbout("trusted roots")
	if s.TrustedRoots == nil {
		if len(unreadRoots) > 0 {
			return Outcome{Unevaluated: unreadRoots}
		}
		return Errored(errors.New("the host facts do not record trusted_roots (a snapshot from an older ptacheck: take a new one with 'ptacheck snapshot')"), nil)
	}
	d := trustedRootsDetails{Store: `LocalMachine\Root`, Present: []hostfacts.TrustedRoot{}, Missing: []hostfacts.KnownRoot{}, Warnings: unreadRoots}
	var fail, warn *multierror.Error
	var now time.Time
	if env.Now != nil {
		now = env.Now()
	}
	var missing *multierror.Error
	for _, k := range hostfacts.RootsOfInterest {
		r, ok := s.TrustedRoot(k.SHA1)
		if !ok {
			d.Missing = append(d.Missing, k)
			missing = multierror.Append(missing, fmt.Errorf("%s (SHA-1 %s) is not in LocalMachine\\Root", k.Name, k.SHA1))
			continue
		}
		d.Present = append(d.Present, r)
		if t, err := time.Parse(time.RFC3339, r.NotAfter); err == nil && !now.IsZero() && now.After(t) {
			warn = multierror.Append(warn, fmt.Errorf("%s (SHA-1 %s) expired on %s", k.Name, k.SHA1, t.Format("2006-01-02")))
		}
	}
	if missing == nil && warn == nil {
		return Outcome{Summary: fmt.Sprintf("%d of %d roots present in LocalMachine\\Root", len(d.Present), len(hostfacts.RootsOfInterest)), Details: d}
	}
	if missing == nil {
		return Outcome{Warn: warn.ErrorOrNil(), Details: d}
	}
	// A missing root is fetched on demand from Windows Update unless the
	// Automatic Root Certificates Update policy turns that off
	// (docTrustedRootsPolicy): it fails only then.
	p := s.AuthRootPolicy
	switch {
	case p == nil:
		d.RootAutoUpdate = "unknown"
		why := s.WarningsAbout("authroot policy")
		d.Warnings = append(d.Warnings, why...)
		if len(why) == 0 {
			why = []string{"the host facts do not record authroot_policy (a snapshot from an older ptacheck: take a new one with 'ptacheck snapshot')"}
		}
		unknown := make([]string, 0, len(why))
		for _, w := range why {
			unknown = append(unknown, "the Automatic Root Certificates Update policy ("+hostfacts.RegAuthRootPolicy+" DisableRootAutoUpdate): "+w)
		}
		return Outcome{
			Warn: multierror.Append(warn, missing.Errors...).ErrorOrNil(), Unevaluated: unknown, Details: d,
			Summary: fmt.Sprintf("%s missing from LocalMachine\\Root, and whether Windows fetches %s on demand is unknown", rootNames(d.Missing), pronoun(len(d.Missing))),
		}
	case !p.RootAutoUpdate():
		d.RootAutoUpdate, d.DisableRootAutoUpdate = "off", p.DisableRootAutoUpdate
		for _, e := range missing.Errors {
			fail = multierror.Append(fail, fmt.Errorf("%w, and Windows will not fetch it: Automatic Root Certificates Update is turned off (DisableRootAutoUpdate=%d)", e, *p.DisableRootAutoUpdate))
		}
		return Outcome{
			Fail: fail.ErrorOrNil(), Warn: warn.ErrorOrNil(), Details: d,
			Remediation: "Import the missing root certificates into Local Computer > Trusted Root Certification Authorities (certlm.msc, or certutil -addstore Root FILE.crt; " +
				"they are published at https://cacerts.digicert.com/), or turn Automatic Root Certificates Update back on (Group Policy: Computer Configuration > " +
				"Administrative Templates > System > Internet Communication Management > Internet Communication settings > Turn off Automatic Root Certificates Update; see " +
				docTrustedRootsPolicy + ").",
		}
	}
	d.RootAutoUpdate, d.DisableRootAutoUpdate = "on", p.DisableRootAutoUpdate
	for _, e := range missing.Errors {
		warn = multierror.Append(warn, fmt.Errorf("%w; Windows fetches it from Windows Update when the agent first needs it (Automatic Root Certificates Update is on), if ctldl.windowsupdate.com is reachable", e))
	}
	return Outcome{
		Warn: warn.ErrorOrNil(), Details: d,
		Remediation: "Windows adds a root of Microsoft's root program on demand when Automatic Root Certificates Update is on (the default; " + docTrustedRootsPolicy +
			") and ctldl.windowsupdate.com:80 is reachable; to depend on neither, import the missing root certificates into Local Computer > Trusted Root Certification " +
			"Authorities (certlm.msc, or certutil -addstore Root FILE.crt); they are published at https://cacerts.digicert.com/.",
	}
}

func rootNames(roots []hostfacts.KnownRoot) string {
	names := make([]string, 0, len(roots))
	for _, r := range roots {
		names = append(names, r.Name)
	}
	return strings.Join(names, " and ")
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// prefixed returns sep+s, or "" when s is empty.
func prefixed(sep, s string) string {
	if s == "" {
		return ""
	}
	return sep + s
}

func stateSuffix(state string) string {
	if state == "" {
		return ""
	}
	return ", " + state
}

// versionAtLeast compares dotted numeric versions ("1.5.2482.0").
func versionAtLeast(v, min string) bool {
	a, b := strings.Split(v, "."), strings.Split(min, ".")
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y int
		if i < len(a) {
			x, _ = strconv.Atoi(strings.TrimSpace(a[i]))
		}
		if i < len(b) {
			y, _ = strconv.Atoi(strings.TrimSpace(b[i]))
		}
		if x != y {
			return x > y
		}
	}
	return true
}
