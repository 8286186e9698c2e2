package checks

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/ptacheck/ptacheck/checks/graph"
)

// AgentList is the tenant's agents as the agent checks (tenant.active-agents,
// tenant.other-agents, tenant.agent-limit) give them in their details; a
// report read back (summarize) gives the list by this type, whichever check
// carried it.
type AgentList struct {
	Agents  []AgentInfo `json:"agents"`
	Active  int         `json:"active"`
	Machine string      `json:"this_machine,omitempty"` // this server, as its agent registered it
	Remain  int         `json:"active_remaining,omitempty"`
}

// AgentInfo is one agent of the tenant.
type AgentInfo struct {
	ID          string `json:"id"`
	MachineName string `json:"machine_name"`
	Status      string `json:"status"`
	ExternalIP  string `json:"external_ip"`
	ThisServer  bool   `json:"this_server,omitempty"`
}

// RemovalPlan is the fleet rule before uninstalling agents from several
// servers: the removals together must leave active agents behind.
type RemovalPlan struct {
	Removing []string    // the servers with an uninstall report
	Agents   []AgentInfo // the tenant's agents, from the newest report that listed them
	Source   string      // the report the agent list came from
}

// RemovalFinding is the verdict on a plan.
type RemovalFinding struct {
	Status    Status   `json:"status"` // pass, warn, fail, or error when no report listed the agents
	Message   string   `json:"message"`
	Remaining []string `json:"remaining"` // active agents left after the removals
	Removed   []string `json:"removed"`   // active agents the plan removes
}

// Evaluate applies the rule: no active agent left fails (PTA sign-ins would
// stop), fewer than three warns (Microsoft recommends three for high
// availability), otherwise pass. Without an agent list there is no verdict.
func (p RemovalPlan) Evaluate() RemovalFinding {
	f := RemovalFinding{Remaining: []string{}, Removed: []string{}}
	if len(p.Removing) == 0 {
		return RemovalFinding{}
	}
	if p.Agents == nil {
		f.Status = StatusError
		f.Message = fmt.Sprintf("cannot tell how many active agents the removal of %s leaves: no uninstall report lists the tenant's agents (run the uninstall phase with a Graph token)", strings.Join(p.Removing, ", "))
		return f
	}
	for _, a := range p.Agents {
		if !strings.EqualFold(a.Status, "active") {
			continue
		}
		removed := false
		for _, r := range p.Removing {
			removed = removed || sameMachine(a.MachineName, r)
		}
		if removed {
			f.Removed = append(f.Removed, a.MachineName)
		} else {
			f.Remaining = append(f.Remaining, a.MachineName)
		}
	}
	sort.Strings(f.Remaining)
	sort.Strings(f.Removed)
	n := len(f.Remaining)
	left := "no active agent"
	if n > 0 {
		left = fmt.Sprintf("%d active %s (%s)", n, map[bool]string{true: "agent", false: "agents"}[n == 1], strings.Join(f.Remaining, ", "))
	}
	what := fmt.Sprintf("uninstalling from %s would leave %s (agent list from %s)", strings.Join(p.Removing, ", "), left, p.Source)
	switch {
	case n == 0:
		f.Status, f.Message = StatusFail, what+": Pass-through sign-ins would fail; keep at least one agent, or switch the tenant's sign-in method first"
	case n < 3:
		f.Status, f.Message = StatusWarn, what+": Microsoft recommends at least 3 for high availability"
	default:
		f.Status, f.Message = StatusPass, what
	}
	return f
}

// sameMachine matches an agent's registered machine name with this server:
// the FQDN, or the short name when either side has no domain.
func sameMachine(agent, machine string) bool {
	a, m := strings.ToLower(strings.TrimSuffix(agent, ".")), strings.ToLower(strings.TrimSuffix(machine, "."))
	if a == m {
		return true
	}
	short := func(s string) string { h, _, _ := strings.Cut(s, "."); return h }
	return (!strings.Contains(a, ".") || !strings.Contains(m, ".")) && short(a) == short(m)
}

// agentLine describes an agent for findings.
func agentLine(a graph.Agent) string {
	return fmt.Sprintf("%s (%s, %s)", a.MachineName, strings.ToLower(a.Status), orNone(a.ExternalIP))
}

func describeAgents(agents []graph.Agent, machine string) AgentList {
	d := AgentList{Agents: []AgentInfo{}, Machine: machine}
	sorted := append([]graph.Agent{}, agents...)
	sort.SliceStable(sorted, func(i, j int) bool {
		return strings.ToLower(sorted[i].MachineName) < strings.ToLower(sorted[j].MachineName)
	})
	for _, a := range sorted {
		d.Agents = append(d.Agents, AgentInfo{a.ID, a.MachineName, strings.ToLower(a.Status), a.ExternalIP, machine != "" && sameMachine(a.MachineName, machine)})
		if a.Active() {
			d.Active++
		}
	}
	return d
}

// machineUnknown is the error of a check that needs this server's name
// and has none: it says why (cfg.MachineUnknown) and how to give it.
func machineUnknown(cfg TenantConfig) error {
	if cfg.MachineUnknown != "" {
		return errors.New("this server's machine name is unknown: " + cfg.MachineUnknown)
	}
	return errors.New("this server's machine name is unknown: pass --machine-name with the name the agent registered")
}
