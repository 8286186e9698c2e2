package checks

// tenant.this-agent-active, the verify phase's look from the tenant's side
// (registration.go has the host's): does the tenant's agent list show this
// server, active?

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/ptacheck/ptacheck/checks/graph"
	"github.com/ptacheck/ptacheck/checks/hostfacts"
)

const docAgentStatus = docTroubleshoot + "#check-status-of-the-feature-and-authentication-agents"

// ThisAgentActiveCheck wants this server in the tenant's list of PTA
// agents, with status active: what the admin center's Pass-through
// authentication pane shows (the quick start's "Step 3: Test the
// feature"; the troubleshooting page: the agents' status "shows Active,
// and not Inactive").
type ThisAgentActiveCheck struct {
	Config TenantConfig
	// TenantID names the tenant in the bootstrap endpoint of the
	// remediation; "" leaves a placeholder.
	TenantID string
}

func (ThisAgentActiveCheck) Meta() Meta {
	return Meta{
		ID:    "tenant.this-agent-active",
		Title: "This server's agent active in the tenant",
		Description: "this server (by machine name, and by agent ID where the agent list shows it) is in the tenant's PTA agent list " +
			"(Graph beta onPremisesPublishingProfiles/authentication/agents) with status active",
		Remediation: "Register the agent on this server with a Hybrid Identity Administrator of this tenant (" + registerCommand +
			"), then check the Pass-through authentication pane of the Microsoft Entra admin center.",
		DocURL: docAgentStatus,
	}
}

// thisAgentDetails is the evidence of tenant.this-agent-active.
type thisAgentDetails struct {
	Machine string       `json:"this_machine"`
	AgentID string       `json:"this_agent_id,omitempty"` // from the host's registry key
	Matched []agentMatch `json:"matched"`
	Agents  []AgentInfo  `json:"agents"`
	// Note says what the match could not use (an unreadable host).
	Note string `json:"note,omitempty"`
}

// agentMatch is an agent of the list that is this server, and how it
// was matched ("agent ID", "machine name" or both).
type agentMatch struct {
	AgentInfo
	By []string `json:"matched_by"`
}

func (c ThisAgentActiveCheck) Needs() Needs {
	return Needs{Tenant: &c.Config, Graph: []graph.Call{graph.CallPTAAgents}}
}

func (c ThisAgentActiveCheck) Run(ctx context.Context, env *Env) Outcome {
	agents, err := env.Met.Tenant.Agents(ctx)
	if err != nil {
		return graphOutcome("list the PTA agents", err)
	}
	agentID, note := hostAgentID(ctx, env)
	return c.decide(agents, agentID, note)
}

// hostAgentID reads this server's agent ID from the host facts, when they
// can be read; otherwise it says why not (the match then uses the name).
func hostAgentID(ctx context.Context, env *Env) (string, string) {
	if env.Host == nil {
		return "", ""
	}
	s, err := env.Host.Snapshot(ctx)
	switch {
	case errors.Is(err, hostfacts.ErrUnsupportedOS) || errors.Is(err, hostfacts.ErrNoHostFacts) || (err == nil && s == nil):
		return "", ""
	case err != nil:
		return "", "this server's agent ID is unknown (host facts: " + err.Error() + "): matched by machine name only"
	}
	return strings.Trim(detectAgent(s).AgentID, "{}"), ""
}

// decide decides tenant.this-agent-active on the agent list.
func (c ThisAgentActiveCheck) decide(agents []graph.Agent, agentID, note string) Outcome {
	machine := c.Config.MachineName
	d := thisAgentDetails{Machine: machine, AgentID: agentID, Matched: []agentMatch{}, Agents: describeAgents(agents, machine).Agents, Note: note}
	if machine == "" && agentID == "" {
		return Outcome{Err: machineUnknown(c.Config), Details: d}
	}
	m := matchThisServer(agents, machine, agentID)
	for _, a := range m.matched {
		am := agentMatch{AgentInfo: AgentInfo{a.ID, a.MachineName, strings.ToLower(a.Status), a.ExternalIP, true}}
		if agentID != "" && strings.EqualFold(a.ID, agentID) {
			am.By = append(am.By, "agent ID")
		}
		if machine != "" && sameMachine(a.MachineName, machine) {
			am.By = append(am.By, "machine name")
		}
		d.Matched = append(d.Matched, am)
	}
	if len(m.matched) == 0 {
		return c.absent(agents, d)
	}
	return c.listed(m, d)
}

// thisServerMatch is this server's entries in the agent list.
type thisServerMatch struct {
	agentID      string
	byID, byName []graph.Agent
	// matched are the entries that decide: those with this server's agent
	// ID, else those with its name.
	matched []graph.Agent
}

func matchThisServer(agents []graph.Agent, machine, agentID string) thisServerMatch {
	m := thisServerMatch{agentID: agentID}
	for _, a := range agents {
		if agentID != "" && strings.EqualFold(a.ID, agentID) {
			m.byID = append(m.byID, a)
		}
		if machine != "" && sameMachine(a.MachineName, machine) {
			m.byName = append(m.byName, a)
		}
	}
	// The agent ID is exact; a name can have old entries (an agent
	// reinstalled on the same server registers anew).
	m.matched = m.byID
	if len(m.matched) == 0 {
		m.matched = m.byName
	}
	sort.SliceStable(m.matched, func(i, j int) bool { return strings.ToLower(m.matched[i].ID) < strings.ToLower(m.matched[j].ID) })
	return m
}

// who names this server in a finding.
func (d thisAgentDetails) who() string {
	switch {
	case d.Machine == "":
		return "agent ID " + d.AgentID
	case d.AgentID != "":
		return d.Machine + " (agent ID " + d.AgentID + ")"
	}
	return d.Machine
}

// tenant names the tenant in the remediation's endpoint names.
func (c ThisAgentActiveCheck) tenant() string {
	if c.TenantID == "" {
		return "<tenant-id>"
	}
	return c.TenantID
}

// absent decides when no entry of the list is this server: it fails,
// unless an entry without a name may be it.
func (c ThisAgentActiveCheck) absent(agents []graph.Agent, d thisAgentDetails) Outcome {
	var unnamed []string
	for _, a := range agents {
		if strings.TrimSpace(a.MachineName) == "" {
			unnamed = append(unnamed, fmt.Sprintf("PTA agent %s: GET /beta/onPremisesPublishingProfiles/authentication/agents answered an empty machineName: it may be this server", a.ID))
		}
	}
	sort.Strings(unnamed)
	if len(unnamed) > 0 {
		return Outcome{Unevaluated: unnamed, Details: d}
	}
	listed := "the list is empty"
	if len(agents) > 0 {
		var names []string
		for _, a := range d.Agents {
			names = append(names, a.MachineName)
		}
		listed = "it lists " + strings.Join(names, ", ")
	}
	return Outcome{
		Fail: fmt.Errorf("this server, %s, is not among the tenant's PTA agents (%s): the agent is not registered to this tenant", d.who(), listed),
		Remediation: "Check host.agent-registered (which tenant the agent registered to), then register the agent with a Hybrid Identity Administrator of this tenant (" +
			registerCommand + "); registration reaches " + c.tenant() + ".registration.msappproxy.net:443 (ptacheck register probes it: net.outbound-ports). " +
			"An agent that stayed inactive for 10 days has been dropped from the list and must be registered again.",
		Details: d,
	}
}

// notes are what a pass says beside the match: how it was matched, and
// the other entries of this server that remain.
func (m thisServerMatch) notes() []string {
	var notes []string
	if m.agentID != "" && len(m.byID) == 0 {
		notes = append(notes, "the list shows no agent with this server's agent ID "+m.agentID+" (whether Graph's agent id is the registry's agent ID is not documented): matched by machine name")
	}
	if len(m.byID) > 0 {
		// Entries with this server's name but another ID: an earlier
		// registration of the server, shown for what it is.
		var others []string
		for _, a := range m.byName {
			if !strings.EqualFold(a.ID, m.agentID) {
				others = append(others, agentLine(a))
			}
		}
		sort.Strings(others)
		if len(others) > 0 {
			notes = append(notes, "another entry with this server's name remains: "+strings.Join(others, ", "))
		}
	}
	return notes
}

// listed decides on this server's entries: one active passes, a status
// neither active nor inactive is unknown, inactive fails.
func (c ThisAgentActiveCheck) listed(m thisServerMatch, d thisAgentDetails) Outcome {
	var active, inactive, unknown []string
	for _, a := range m.matched {
		switch {
		case a.Active():
			active = append(active, agentLine(a))
		case strings.EqualFold(a.Status, "inactive"):
			inactive = append(inactive, agentLine(a))
		default:
			unknown = append(unknown, fmt.Sprintf("PTA agent %s (%s): GET /beta/onPremisesPublishingProfiles/authentication/agents answered status %q, neither active nor inactive", a.MachineName, a.ID, a.Status))
		}
	}
	if len(active) > 0 {
		summary := "listed and active: " + strings.Join(active, ", ")
		notes := m.notes()
		if len(inactive) > 0 {
			notes = append(notes, "an older inactive entry of this server remains ("+strings.Join(inactive, ", ")+"); inactive agents leave the list after 10 days")
		}
		if len(notes) > 0 {
			summary += "; " + strings.Join(notes, "; ")
		}
		return Outcome{Summary: summary, Details: d}
	}
	if len(unknown) > 0 {
		return Outcome{Unevaluated: unknown, Details: d}
	}
	return Outcome{
		Fail: fmt.Errorf("this server's agent is listed but inactive (%s): Microsoft Entra ID has not heard from it recently", strings.Join(inactive, ", ")),
		Remediation: "An agent shows Inactive when its service does not reach Microsoft Entra ID: check that the service runs (host.agent-running); that this server reaches " +
			"*.msappproxy.net and *.servicebus.windows.net on 443, directly or through the proxy in the agent's AzureADConnectAuthenticationAgentService.exe.config " +
			"(ptacheck operate probes them: net.outbound-ports; the FAQ: an agent installed behind a proxy it was not configured for \"still shows up as Inactive\"), and the bootstrap endpoint " +
			c.tenant() + ".pta.bootstrap.his.msappproxy.net:443 (an unofficial name), which the agent calls every 10 minutes; read the agent's Admin log " +
			"(Applications and Services Logs\\Microsoft\\AzureAdConnect\\AuthenticationAgent\\Admin), fix, and re-run after 10 minutes. " +
			"An agent inactive for 10 days is dropped from the list.",
		Details: d,
	}
}
