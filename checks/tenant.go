package checks

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ptacheck/ptacheck/checks/graph"
	"github.com/ptacheck/ptacheck/util/textfmt"
)

// Tenant limits and recommendations (pta-facts.md 4).
const (
	defaultAgentLimit  = 40
	recommendedAgents  = 3
	tenantCheckTimeout = 60 * time.Second
)

// unknownAgents names the agents whose evidence a count of active agents
// cannot use: a status Graph does not document (active, inactive), or,
// when this server's machine is named, an active agent without a machine
// name (it could be this server).
func unknownAgents(agents []graph.Agent, machine string) []string {
	var out []string
	for _, a := range agents {
		switch {
		case !a.Active() && !strings.EqualFold(a.Status, "inactive"):
			out = append(out, fmt.Sprintf("PTA agent %s (%s): GET /beta/onPremisesPublishingProfiles/authentication/agents answered status %q, neither active nor inactive", orNone(a.MachineName), a.ID, a.Status))
		case machine != "" && a.Active() && strings.TrimSpace(a.MachineName) == "":
			out = append(out, fmt.Sprintf("PTA agent %s: GET /beta/onPremisesPublishingProfiles/authentication/agents answered an empty machineName: it may be this server", a.ID))
		}
	}
	sort.Strings(out)
	return out
}

func orNone(s string) string {
	if s == "" {
		return "no IP"
	}
	return s
}

// ActiveAgentsCheck: enabling PTA needs at least one active agent.
type ActiveAgentsCheck struct{ Config TenantConfig }

func (ActiveAgentsCheck) Meta() Meta {
	return Meta{
		ID:          "tenant.active-agents",
		Title:       "An active PTA agent",
		Description: "at least one Pass-through Authentication agent of the tenant is active (Graph beta onPremisesPublishingProfiles/authentication/agents)",
		Remediation: "Install and register an agent before enabling PTA: \"you need to have at least one active Authentication Agent to enable Pass-through Authentication on your tenant\"; three or more for high availability.",
		DocURL:      docTroubleshootAuth,
	}
}

func (c ActiveAgentsCheck) Needs() Needs {
	return Needs{Tenant: &c.Config, Graph: []graph.Call{graph.CallPTAAgents}}
}

func (c ActiveAgentsCheck) Run(ctx context.Context, env *Env) Outcome {
	t := env.Met.Tenant
	agents, err := t.Agents(ctx)
	if err != nil {
		return graphOutcome("list the PTA agents", err)
	}
	d := describeAgents(agents, "")
	// An agent whose status is neither active nor inactive may be either:
	// only three known active agents make the verdict without it.
	if unknown := unknownAgents(agents, ""); len(unknown) > 0 && d.Active < recommendedAgents {
		return Outcome{Unevaluated: unknown, Details: d}
	}
	if d.Active == 0 {
		return Outcome{Fail: fmt.Errorf("no active PTA agent (%s registered): enabling PTA would fail", textfmt.Plural(len(agents), "agent", "agents")), Details: d}
	}
	out := Outcome{Summary: fmt.Sprintf("%s active of %d", textfmt.Plural(d.Active, "agent", "agents"), len(agents)), Details: d}
	if d.Active < recommendedAgents {
		out.Warn = fmt.Errorf("only %s active: Microsoft recommends at least %d for high availability", textfmt.Plural(d.Active, "agent is", "agents are"), recommendedAgents)
		out.Remediation = "Install more agents on other servers of the forest (at least three in production)."
		out.Summary = ""
	}
	return out
}

// OtherAgentsCheck: before uninstalling this server's agent, others must
// stay active, or users cannot sign in.
type OtherAgentsCheck struct{ Config TenantConfig }

func (OtherAgentsCheck) Meta() Meta {
	return Meta{
		ID:    "tenant.other-agents",
		Title: "Other active agents remain",
		Description: "at least one active PTA agent other than this server (matched by machine name) remains after uninstalling; fewer than " +
			"3 warns (the HA recommendation); every agent is listed with status and IP",
		Remediation: "\"Users will not be able to sign in unless you have other Pass-through Authentication agents installed on other servers\": " +
			"install and register another agent first (three or more for high availability).",
		DocURL: docHA,
	}
}

func (c OtherAgentsCheck) Needs() Needs {
	return Needs{Tenant: &c.Config, Graph: []graph.Call{graph.CallPTAAgents}}
}

func (c OtherAgentsCheck) Run(ctx context.Context, env *Env) Outcome {
	t := env.Met.Tenant
	agents, err := t.Agents(ctx)
	if err != nil {
		return graphOutcome("list the PTA agents", err)
	}
	d := describeAgents(agents, c.Config.MachineName)
	var lines []string
	for _, a := range agents {
		if a.Active() && !(c.Config.MachineName != "" && sameMachine(a.MachineName, c.Config.MachineName)) {
			d.Remain++
			lines = append(lines, agentLine(a))
		}
	}
	sort.Strings(lines)
	if c.Config.MachineName == "" {
		return Outcome{Err: machineUnknown(c.Config), Details: d}
	}
	if unknown := unknownAgents(agents, c.Config.MachineName); len(unknown) > 0 && d.Remain < recommendedAgents {
		return Outcome{Unevaluated: unknown, Details: d}
	}
	switch {
	case d.Remain == 0:
		return Outcome{
			Fail:    fmt.Errorf("no other active agent: after uninstalling %s no agent validates passwords and every PTA sign-in fails (AADSTS80001 \"no Authentication Agent available\")", c.Config.MachineName),
			Details: d,
		}
	case d.Remain < recommendedAgents:
		return Outcome{
			Warn:        fmt.Errorf("only %s would remain (%s): Microsoft recommends at least %d", textfmt.Plural(d.Remain, "active agent", "active agents"), strings.Join(lines, ", "), recommendedAgents),
			Remediation: "Install another agent before uninstalling this one, to keep three or more for high availability.",
			Details:     d,
		}
	}
	return Outcome{Summary: fmt.Sprintf("%s would remain: %s", textfmt.Plural(d.Remain, "active agent", "active agents"), strings.Join(lines, ", ")), Details: d}
}

// AgentLimitCheck: a tenant holds at most 40 agents.
type AgentLimitCheck struct{ Config TenantConfig }

func (AgentLimitCheck) Meta() Meta {
	return Meta{
		ID:          "tenant.agent-limit",
		Title:       "Room for another agent",
		Description: "the tenant is below its limit of PTA agents (40); a limit reached only by counting inactive agents warns, since Microsoft does not say whether they count (they leave the list after 10 days)",
		Remediation: "Uninstall agents that are no longer used (inactive agents leave the list after 10 days) before installing another.",
		DocURL:      docHA,
	}
}

func (c AgentLimitCheck) Needs() Needs {
	return Needs{Tenant: &c.Config, Graph: []graph.Call{graph.CallPTAAgents}}
}

func (c AgentLimitCheck) Run(ctx context.Context, env *Env) Outcome {
	t := env.Met.Tenant
	limit := c.Config.AgentLimit
	if limit <= 0 {
		limit = defaultAgentLimit
	}
	agents, err := t.Agents(ctx)
	if err != nil {
		return graphOutcome("list the PTA agents", err)
	}
	d := describeAgents(agents, "")
	n, active := len(agents), 0
	for _, a := range agents {
		if a.Active() {
			active++
		}
	}
	// The quick start and the FAQ give "a system limit of 40
	// Authentication Agents per tenant" and say inactive agents leave the
	// list after 10 days, but not whether they count until then: only
	// active agents prove the limit reached.
	switch {
	case active >= limit:
		return Outcome{Fail: fmt.Errorf("the tenant has %d active agents, its limit is %d: another cannot be registered", active, limit), Details: d}
	case n >= limit:
		return Outcome{Warn: fmt.Errorf("the tenant lists %d agents, %d of them not active, against its limit of %d: Microsoft does not say whether agents that are not active count; inactive ones leave the list after 10 days", n, n-active, limit), Details: d}
	case n >= limit-max(1, limit/10):
		return Outcome{Warn: fmt.Errorf("the tenant has %d agents, close to its limit of %d", n, limit), Details: d}
	}
	return Outcome{Summary: fmt.Sprintf("%d of %d agents used", n, limit), Details: d}
}

// CloudAdminFallbackCheck: a cloud-only admin must exist before agents are
// removed, or a broken on-premises side locks every admin out.
type CloudAdminFallbackCheck struct{ Config TenantConfig }

func (CloudAdminFallbackCheck) Meta() Meta {
	return Meta{
		ID:          "tenant.cloud-admin-fallback",
		Title:       "A cloud-only admin to fall back on",
		Description: "an enabled, cloud-only Global Administrator or Hybrid Identity Administrator exists (it signs in without the agents)",
		Remediation: "Create a cloud-only Global Administrator (or Hybrid Identity Administrator) before removing agents: \"critical to ensure that you don't get locked out\".",
		DocURL:      docCloudAdmin,
	}
}

func (c CloudAdminFallbackCheck) Needs() Needs {
	return Needs{Tenant: &c.Config, Graph: []graph.Call{graph.CallRoleAssignments, graph.CallUser}}
}

func (c CloudAdminFallbackCheck) Run(ctx context.Context, env *Env) Outcome {
	t := env.Met.Tenant
	var found, unknown []string
	seen := map[string]bool{}
	for _, role := range graph.AdminRoles {
		holders, err := t.RoleHolders(ctx, role)
		if err != nil {
			return graphOutcome("list the "+graph.RoleName(role)+"s", err)
		}
		for _, h := range holders {
			if h.Principal != nil && !h.Principal.IsType(graph.ODataTypeUser) || seen[h.PrincipalID] || !h.TenantWide() {
				continue
			}
			seen[h.PrincipalID] = true
			u, err := t.User(ctx, h.PrincipalID)
			if err != nil {
				return graphOutcome("read a "+graph.RoleName(role), err)
			}
			switch {
			case u.Sync() != graph.SyncNever || u.AccountEnabled == nil || !*u.AccountEnabled || strings.EqualFold(u.UserType, "Guest"):
			case !strings.EqualFold(u.UserType, "Member"):
				unknown = append(unknown, fmt.Sprintf("%s (%s): GET /v1.0/users answered userType %q, neither Member nor Guest", u.UserPrincipalName, graph.RoleName(role), u.UserType))
			default:
				found = append(found, u.UserPrincipalName+" ("+graph.RoleName(role)+")")
			}
		}
	}
	sort.Strings(found)
	details := map[string]any{"cloud_only_admins": append([]string{}, found...)}
	if len(found) == 0 {
		if len(unknown) > 0 {
			return Outcome{Unevaluated: unknown, Details: details}
		}
		return Outcome{Fail: errors.New("no enabled, cloud-only Global Administrator or Hybrid Identity Administrator: if the agents or on-premises AD fail, no admin can sign in"), Details: details}
	}
	return Outcome{Summary: textfmt.Plural(len(found), "cloud-only admin", "cloud-only admins") + ": " + strings.Join(found, ", "), Details: details}
}

// ManagedDomainsCheck lists the verified managed domains: PTA validates the
// passwords of their users, and ad.forest-membership checks that this
// server's forest serves them.
type ManagedDomainsCheck struct{ Config TenantConfig }

func (ManagedDomainsCheck) Meta() Meta {
	return Meta{
		ID:          "tenant.managed-domains",
		Title:       "Managed domains PTA serves",
		Description: "the tenant's verified managed domains (PTA covers only managed domains; federated ones sign in elsewhere); ad.forest-membership checks them as UPN suffixes",
		Remediation: "Verify the domains your users sign in with, as managed domains, before enabling PTA.",
		DocURL:      docForest,
	}
}

func (c ManagedDomainsCheck) Needs() Needs {
	return Needs{Tenant: &c.Config, Graph: []graph.Call{graph.CallDomains}}
}

func (c ManagedDomainsCheck) Run(ctx context.Context, env *Env) Outcome {
	t := env.Met.Tenant
	all, err := t.Domains(ctx)
	if err != nil {
		return graphOutcome("list the tenant's domains", err)
	}
	managed, _ := env.Tenant.ManagedDomains(ctx)
	var federated, unverified, unknown []string
	for _, d := range all {
		switch {
		case !d.IsVerified:
			unverified = append(unverified, d.ID)
		case d.Federated():
			federated = append(federated, d.ID)
		case !d.Managed():
			unknown = append(unknown, fmt.Sprintf("domain %s: GET /v1.0/domains answered authenticationType %q, neither Managed nor Federated", d.ID, d.AuthenticationType))
		}
	}
	details := map[string]any{"managed": managed, "federated": orEmpty(federated), "unverified": orEmpty(unverified)}
	if len(unknown) > 0 {
		return Outcome{Unevaluated: unknown, Details: details}
	}
	if len(managed) == 0 {
		return Outcome{Warn: errors.New("no verified managed domain besides the initial onmicrosoft.com one: PTA would serve no synchronised user"), Details: details}
	}
	s := "managed: " + strings.Join(managed, ", ")
	if len(federated) > 0 {
		s += "; federated (not PTA): " + strings.Join(federated, ", ")
	}
	return Outcome{Summary: s, Details: details}
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
