package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/go-multierror"

	"github.com/ptacheck/ptacheck/checks/hostfacts"
)

// The PTA agent on this server and an App Proxy connector beside it:
// host.existing-agent and host.app-proxy-connector.

// Documentation the host checks point to.
// coexistVersion is the first PTA agent version that may share a server with
// an App Proxy / private network connector (pta-facts.md 2.3).
const coexistVersion = "1.5.193.0"

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
