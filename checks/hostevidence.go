package checks

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/ptacheck/ptacheck/checks/hostfacts"
)

// What the host checks share: how the host reader's gaps become the
// checks' unevaluated parts, and the wording of host facts.

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

// registerCommand is how the quick start registers an installed agent.
const registerCommand = `RegisterConnector.ps1 -modulePath "C:\Program Files\Microsoft Azure AD Connect Authentication Agent\Modules\" ` +
	`-moduleName "PassthroughAuthPSModule" -Authenticationmode Credentials -Usercredentials $cred -Feature PassthroughAuthentication`
