package checks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/ptacheck/ptacheck/checks/graph"
	"github.com/ptacheck/ptacheck/util/textfmt"
)

const (
	docTroubleshootAuth = "https://learn.microsoft.com/entra/identity/hybrid/connect/tshoot-connect-pass-through-authentication"
	docHA               = "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-pta-quick-start#step-4-ensure-high-availability"
	docCloudAdmin       = "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-pta-quick-start#step-1-check-the-prerequisites"
)

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
	// AgentLimit is the per-tenant limit of agents (40, the current docs).
	AgentLimit int
}

// Tenant limits and recommendations (pta-facts.md 4).
const (
	defaultAgentLimit  = 40
	recommendedAgents  = 3
	tenantCheckTimeout = 60 * time.Second
)

func tenantReady(env *Env, cfg TenantConfig) *Outcome {
	if cfg.NoTokenReason != "" {
		out := Skipped("%s", cfg.NoTokenReason)
		return &out
	}
	if env.Tenant == nil {
		out := Errored(errors.New("no Graph client in this run"), nil)
		return &out
	}
	return nil
}

// graphOutcome turns a Graph error into the check's result: a missing
// permission or a broken answer means the check could not be evaluated.
func graphOutcome(what string, err error) Outcome {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return Outcome{Unevaluated: []string{what + " (cut off)"}}
	}
	out := Outcome{Err: fmt.Errorf("%s: %w", what, err)}
	switch {
	case graph.IsUnauthorized(err):
		out.Remediation = "The Graph token was refused: sign in again (device code) or pass a fresh token with --token-file or PTACHECK_GRAPH_TOKEN."
	case graph.IsForbidden(err):
		out.Remediation = "The signed-in account lacks a permission this read needs (named above): sign in as an account with Global Reader, or grant the delegated permission with admin consent."
	default:
		out.Remediation = "Graph could not be read; see the message, then re-run."
	}
	return out
}

// AdminAccountCheck verifies the admin account that installs, registers or
// enables the agent: the troubleshooting guide's "token or account
// authorization errors".
type AdminAccountCheck struct{ Config TenantConfig }

func (AdminAccountCheck) Meta() Meta {
	return Meta{
		ID:    "tenant.admin-account",
		Title: "Admin account fit to register agents",
		Description: "the admin (--admin-upn, or the signed-in user) exists, is enabled, a member, cloud-only, holds Global Administrator (or Hybrid Identity Administrator) " +
			"directly and active, and is not subject to MFA (per-user MFA, security defaults, Conditional Access; --admin-password-file tries a password sign-in)",
		Remediation: "Use a cloud-only Global Administrator (or Hybrid Identity Administrator) account, assigned directly and active, for installing, registering and enabling; " +
			"\"there is a known issue with MFA-enabled ... accounts; turn off MFA temporarily (only to complete the operations)\".",
		DocURL: docTroubleshootAuth,
	}
}

// adminDetails is the evidence of tenant.admin-account.
type adminDetails struct {
	User        *graph.User `json:"user"`
	Sync        string      `json:"sync"`
	Roles       []string    `json:"roles"`
	Eligible    []string    `json:"eligible_roles"`
	PerUserMFA  string      `json:"per_user_mfa,omitempty"`
	SecurityDef *bool       `json:"security_defaults,omitempty"`
	Policies    []caFinding `json:"conditional_access"`
	PasswordSig string      `json:"password_sign_in,omitempty"`
	Unread      []string    `json:"not_read"`
}

type caFinding struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	State   string   `json:"state"`
	Applies string   `json:"applies"`
	MFA     string   `json:"requires_mfa"`
	Reasons []string `json:"reasons"`
}

func (c AdminAccountCheck) Run(ctx context.Context, env *Env) Outcome {
	if out := tenantReady(env, c.Config); out != nil {
		return *out
	}
	t := env.Tenant
	who := c.Config.AdminUPN
	if who == "" {
		who = "the signed-in user"
	}
	u, err := t.Admin(ctx, c.Config.AdminUPN)
	if graph.IsNotFound(err) {
		return Outcome{Fail: fmt.Errorf("no user %s in the tenant", c.Config.AdminUPN), Remediation: "Check --admin-upn: the admin must be a user of this tenant (its home tenant)."}
	}
	if err != nil {
		return graphOutcome("read the admin account ("+who+")", err)
	}
	d := &adminDetails{User: u, Sync: string(u.Sync()), Roles: []string{}, Eligible: []string{}, Policies: []caFinding{}, Unread: []string{}}
	var fail, warn *multierror.Error
	name := u.UserPrincipalName

	// The account itself.
	if u.AccountEnabled != nil && !*u.AccountEnabled {
		fail = multierror.Append(fail, fmt.Errorf("%s is disabled", name))
	}
	if strings.EqualFold(u.UserType, "Guest") {
		fail = multierror.Append(fail, fmt.Errorf("%s is a guest: agents are registered in the admin's home tenant, so the admin must be a member", name))
	}
	switch u.Sync() {
	case graph.SyncActive, graph.SyncLinked:
		fail = multierror.Append(fail, fmt.Errorf("%s is synchronised from on-premises AD (onPremisesSyncEnabled %v, immutable ID set): use a cloud-only admin, which does not depend on the agents it registers",
			name, u.OnPremisesSyncEnabled != nil && *u.OnPremisesSyncEnabled))
	case graph.SyncFormerly:
		warn = multierror.Append(warn, fmt.Errorf("%s was synchronised from on-premises AD (onPremisesSyncEnabled false): make sure it is now a cloud-only account", name))
	}

	// Roles.
	isGA, roleFail, roleWarn := c.roles(ctx, t, u, d)
	fail = appendErr(fail, roleFail)
	warn = appendErr(warn, roleWarn)

	// MFA, from each independent signal.
	mfaFail, mfaWarn := c.mfa(ctx, t, u, d, isGA)
	fail = appendErr(fail, mfaFail)
	warn = appendErr(warn, mfaWarn)

	out := Outcome{Fail: fail.ErrorOrNil(), Warn: warn.ErrorOrNil(), Details: d}
	if out.Fail == nil && out.Warn == nil {
		out.Summary = fmt.Sprintf("%s: cloud-only, %s, no MFA requirement found", name, strings.Join(d.Roles, ", "))
	}
	out.Unevaluated = append(out.Unevaluated, d.Unread...)
	return out
}

func appendErr(m *multierror.Error, errs []error) *multierror.Error {
	for _, e := range errs {
		m = multierror.Append(m, e)
	}
	return m
}

type heldRole struct {
	direct, viaGroup, activated bool
}

// roles decides the role requirement: Global Administrator (or Hybrid
// Identity Administrator) assigned directly and active.
func (c AdminAccountCheck) roles(ctx context.Context, t *TenantClient, u *graph.User, d *adminDetails) (isGA bool, fail, warn []error) {
	held := map[string]*heldRole{}
	get := func(role string) *heldRole {
		if held[role] == nil {
			held[role] = &heldRole{}
		}
		return held[role]
	}
	assignments, err := t.roleAssignments(ctx, u.ID)
	if err != nil {
		d.Unread = append(d.Unread, "the admin's role assignments: "+err.Error())
		return false, nil, nil
	}
	for _, a := range assignments {
		if a.TenantWide() {
			get(a.RoleDefinitionID).direct = true
		}
	}
	if instances, err := t.roleInstances(ctx, u.ID); err == nil {
		for _, i := range instances {
			if i.DirectoryScopeID != "" && i.DirectoryScopeID != graph.DirectoryScopeTenant {
				continue
			}
			r := get(i.RoleDefinitionID)
			if strings.EqualFold(i.MemberType, "Group") {
				r.viaGroup = true
			} else {
				r.direct = true
			}
			r.activated = r.activated || i.Activated()
		}
	}
	if roles, err := t.directoryRoles(ctx, u.ID); err == nil {
		for _, r := range roles {
			if h := get(r.RoleTemplateID); !h.direct {
				h.viaGroup = true
			}
		}
	}
	for _, role := range []string{graph.RoleGlobalAdministrator, graph.RoleHybridIdentityAdministrator} {
		if h := held[role]; h != nil && (h.direct || h.viaGroup) {
			how := "direct"
			if !h.direct {
				how = "through a group"
			}
			if h.activated {
				how += ", activated in PIM"
			}
			d.Roles = append(d.Roles, graph.RoleName(role)+" ("+how+")")
		}
	}
	eligible, eerr := t.eligibility(ctx, u.ID)
	for _, e := range eligible {
		if e.RoleDefinitionID == graph.RoleGlobalAdministrator || e.RoleDefinitionID == graph.RoleHybridIdentityAdministrator {
			d.Eligible = append(d.Eligible, graph.RoleName(e.RoleDefinitionID))
		}
	}
	ga, hia := held[graph.RoleGlobalAdministrator], held[graph.RoleHybridIdentityAdministrator]
	switch {
	case ga != nil && ga.direct:
		return true, nil, nil
	case ga != nil && ga.viaGroup:
		return true, nil, []error{fmt.Errorf("%s holds Global Administrator only through a group: Microsoft Entra Connect requires the role assigned directly to the user (unverified for the standalone installer)", u.UserPrincipalName)}
	case hia != nil && c.Config.RequireGlobalAdmin:
		return false, []error{fmt.Errorf("%s holds Hybrid Identity Administrator but not Global Administrator, which --require-global-admin asks for (2017-era agents needed it)", u.UserPrincipalName)}, nil
	case hia != nil:
		return false, nil, []error{fmt.Errorf("%s holds Hybrid Identity Administrator but not Global Administrator: current agents accept it; 2017-era agents needed Global Administrator (--require-global-admin makes this a failure)", u.UserPrincipalName)}
	case len(d.Eligible) > 0:
		return false, []error{fmt.Errorf("%s is only eligible for %s (PIM), not active: activate the role before installing or registering", u.UserPrincipalName, strings.Join(d.Eligible, ", "))}, nil
	}
	if eerr != nil {
		d.Unread = append(d.Unread, "the admin's eligible roles: "+eerr.Error())
	}
	return false, []error{fmt.Errorf("%s holds neither Global Administrator nor Hybrid Identity Administrator", u.UserPrincipalName)}, nil
}

// mfa lists every reason the admin would be asked for MFA: per-user MFA,
// security defaults, Conditional Access, and (with a password) the answer
// of a password sign-in itself.
func (c AdminAccountCheck) mfa(ctx context.Context, t *TenantClient, u *graph.User, d *adminDetails, isGA bool) (fail, warn []error) {
	name := u.UserPrincipalName
	if req, err := t.mfaState(ctx, u.ID); err != nil {
		d.Unread = append(d.Unread, "the per-user MFA state: "+err.Error())
	} else {
		d.PerUserMFA = req.PerUserMFAState
		switch strings.ToLower(req.PerUserMFAState) {
		case graph.PerUserMFAEnforced:
			fail = append(fail, fmt.Errorf("%s has per-user MFA enforced: the registration wizard cannot complete an MFA prompt (turn it off for the operation)", name))
		case graph.PerUserMFAEnabled:
			fail = append(fail, fmt.Errorf("%s has per-user MFA enabled: it becomes enforced at the next sign-in", name))
		}
	}
	if sd, err := t.securityDefaults(ctx); err != nil {
		d.Unread = append(d.Unread, "security defaults: "+err.Error())
	} else {
		d.SecurityDef = &sd.IsEnabled
		if sd.IsEnabled && isGA {
			fail = append(fail, fmt.Errorf("security defaults are on: Global Administrators must complete MFA at every sign-in"))
		} else if sd.IsEnabled {
			warn = append(warn, fmt.Errorf("security defaults are on: %s must register for MFA and may be prompted when necessary", name))
		}
	}
	cf, cw := c.conditionalAccess(ctx, t, u, d)
	fail, warn = append(fail, cf...), append(warn, cw...)
	if t.AdminPassword != "" {
		res, err := t.passwordSignIn(ctx, name)
		switch {
		case err != nil:
			d.Unread = append(d.Unread, "a password sign-in as "+name+": "+err.Error())
		case res.Outcome == graph.PasswordOK:
			d.PasswordSig = "a password sign-in succeeded without MFA"
		case res.Outcome == graph.PasswordMFARequired || res.Outcome == graph.PasswordMFARegistrationRequired:
			d.PasswordSig = string(res.Outcome)
			fail = append(fail, fmt.Errorf("a password sign-in as %s answered %s: MFA is required, the very failure the registration wizard hits", name, signInCodes(res)))
		case res.Outcome == graph.PasswordBlockedByCA || res.Outcome == graph.PasswordBlockedBySecurityDefaults:
			d.PasswordSig = string(res.Outcome)
			fail = append(fail, fmt.Errorf("a password sign-in as %s was blocked (%s): %s", name, signInCodes(res), res.Outcome))
		case res.Outcome == graph.PasswordInvalidCredentials:
			d.Unread = append(d.Unread, "a password sign-in as "+name+": the password given with --admin-password-file was refused ("+signInCodes(res)+")")
		default:
			d.PasswordSig = string(res.Outcome)
			warn = append(warn, fmt.Errorf("a password sign-in as %s failed: %s (%s)", name, res.Outcome, signInCodes(res)))
		}
	}
	return fail, warn
}

func signInCodes(r *graph.PasswordResult) string {
	if r.Error == nil || len(r.Error.Codes) == 0 {
		return "no AADSTS code"
	}
	var s []string
	for _, code := range r.Error.Codes {
		s = append(s, fmt.Sprintf("AADSTS%d %s", code, graph.AADSTSName(code)))
	}
	return strings.Join(s, ", ")
}

func (c AdminAccountCheck) conditionalAccess(ctx context.Context, t *TenantClient, u *graph.User, d *adminDetails) (fail, warn []error) {
	policies, err := t.caPolicies(ctx)
	if err != nil {
		d.Unread = append(d.Unread, "Conditional Access policies: "+err.Error())
		return nil, nil
	}
	subject := graph.Subject{UserID: u.ID, Guest: strings.EqualFold(u.UserType, "Guest")}
	if roles, err := t.directoryRoles(ctx, u.ID); err == nil {
		for _, r := range roles {
			subject.RoleTemplateIDs = append(subject.RoleTemplateIDs, r.RoleTemplateID)
		}
	} else {
		subject.RolesUnknown = true
	}
	if as, err := t.roleAssignments(ctx, u.ID); err == nil {
		for _, a := range as {
			if a.TenantWide() && !slices.Contains(subject.RoleTemplateIDs, a.RoleDefinitionID) {
				subject.RoleTemplateIDs = append(subject.RoleTemplateIDs, a.RoleDefinitionID)
			}
		}
	}
	if groups, err := t.memberOf(ctx, u.ID); err == nil {
		for _, g := range groups {
			if g.IsType(graph.ODataTypeGroup) {
				subject.GroupIDs = append(subject.GroupIDs, g.ID)
			}
		}
	} else {
		subject.GroupsUnknown = true
	}
	strengths, _ := t.strengths(ctx)
	index := graph.StrengthIndex(strengths)
	for _, p := range policies {
		if !p.Enforced() && !p.ReportOnly() {
			continue
		}
		applies := p.Applies(subject)
		if applies.Value == graph.No {
			continue
		}
		mfa := p.RequiresMFA(index)
		blocks := p.Blocks()
		if mfa.Value == graph.No && !blocks {
			continue
		}
		f := caFinding{ID: p.ID, Name: p.DisplayName, State: p.State, Applies: triWord(applies.Value), MFA: triWord(mfa.Value), Reasons: append(append([]string{}, applies.Reasons...), mfa.Reasons...)}
		d.Policies = append(d.Policies, f)
		what := "requires MFA"
		if blocks {
			what = "blocks the sign-in"
		}
		label := fmt.Sprintf("Conditional Access policy %q (%s)", p.DisplayName, p.ID)
		switch {
		case p.ReportOnly():
			warn = append(warn, fmt.Errorf("%s %s for %s, in report-only mode (not enforced)", label, what, u.UserPrincipalName))
		case applies.Value == graph.Yes && (mfa.Value == graph.Yes || blocks):
			fail = append(fail, fmt.Errorf("%s %s for %s (%s)", label, what, u.UserPrincipalName, strings.Join(f.Reasons, "; ")))
		default:
			warn = append(warn, fmt.Errorf("%s may %s for %s (%s)", label, strings.Replace(what, "requires", "require", 1), u.UserPrincipalName, strings.Join(f.Reasons, "; ")))
		}
	}
	return fail, warn
}

func triWord(t graph.Tri) string {
	switch t {
	case graph.Yes:
		return "yes"
	case graph.Maybe:
		return "maybe"
	}
	return "no"
}

// agentLine describes an agent for findings.
func agentLine(a graph.Agent) string {
	return fmt.Sprintf("%s (%s, %s)", a.MachineName, strings.ToLower(a.Status), orNone(a.ExternalIP))
}

func orNone(s string) string {
	if s == "" {
		return "no IP"
	}
	return s
}

type agentDetails struct {
	Agents  []agentInfoT `json:"agents"`
	Active  int          `json:"active"`
	Machine string       `json:"this_machine,omitempty"`
	Remain  int          `json:"active_remaining,omitempty"`
}

type agentInfoT struct {
	ID          string `json:"id"`
	MachineName string `json:"machine_name"`
	Status      string `json:"status"`
	ExternalIP  string `json:"external_ip"`
	ThisServer  bool   `json:"this_server,omitempty"`
}

func describeAgents(agents []graph.Agent, machine string) agentDetails {
	d := agentDetails{Agents: []agentInfoT{}, Machine: machine}
	sorted := append([]graph.Agent{}, agents...)
	sort.SliceStable(sorted, func(i, j int) bool {
		return strings.ToLower(sorted[i].MachineName) < strings.ToLower(sorted[j].MachineName)
	})
	for _, a := range sorted {
		d.Agents = append(d.Agents, agentInfoT{a.ID, a.MachineName, strings.ToLower(a.Status), a.ExternalIP, machine != "" && sameMachine(a.MachineName, machine)})
		if a.Active() {
			d.Active++
		}
	}
	return d
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

func (c ActiveAgentsCheck) Run(ctx context.Context, env *Env) Outcome {
	if out := tenantReady(env, c.Config); out != nil {
		return *out
	}
	agents, err := env.Tenant.Agents(ctx)
	if err != nil {
		return graphOutcome("list the PTA agents", err)
	}
	d := describeAgents(agents, "")
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

func (c OtherAgentsCheck) Run(ctx context.Context, env *Env) Outcome {
	if out := tenantReady(env, c.Config); out != nil {
		return *out
	}
	agents, err := env.Tenant.Agents(ctx)
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
		return Outcome{Err: errors.New("this server's machine name is unknown: pass --machine-name with the name the agent registered"), Details: d}
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
		Description: "the tenant is below its limit of PTA agents (40; inactive agents count until they are dropped after 10 days)",
		Remediation: "Uninstall agents that are no longer used (inactive agents leave the list after 10 days) before installing another.",
		DocURL:      docHA,
	}
}

func (c AgentLimitCheck) Run(ctx context.Context, env *Env) Outcome {
	if out := tenantReady(env, c.Config); out != nil {
		return *out
	}
	limit := c.Config.AgentLimit
	if limit <= 0 {
		limit = defaultAgentLimit
	}
	agents, err := env.Tenant.Agents(ctx)
	if err != nil {
		return graphOutcome("list the PTA agents", err)
	}
	d := describeAgents(agents, "")
	n := len(agents)
	switch {
	case n >= limit:
		return Outcome{Fail: fmt.Errorf("the tenant has %d agents, its limit is %d: another cannot be registered", n, limit), Details: d}
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

func (c CloudAdminFallbackCheck) Run(ctx context.Context, env *Env) Outcome {
	if out := tenantReady(env, c.Config); out != nil {
		return *out
	}
	t := env.Tenant
	var found []string
	seen := map[string]bool{}
	for _, role := range []string{graph.RoleGlobalAdministrator, graph.RoleHybridIdentityAdministrator} {
		holders, err := t.roleHolders(ctx, role)
		if err != nil {
			return graphOutcome("list the "+graph.RoleName(role)+"s", err)
		}
		for _, h := range holders {
			if h.Principal != nil && !h.Principal.IsType(graph.ODataTypeUser) || seen[h.PrincipalID] || !h.TenantWide() {
				continue
			}
			seen[h.PrincipalID] = true
			u, err := t.user(ctx, h.PrincipalID)
			if err != nil {
				return graphOutcome("read a "+graph.RoleName(role), err)
			}
			if u.Sync() == graph.SyncNever && (u.AccountEnabled == nil || *u.AccountEnabled) && !strings.EqualFold(u.UserType, "Guest") {
				found = append(found, u.UserPrincipalName+" ("+graph.RoleName(role)+")")
			}
		}
	}
	sort.Strings(found)
	details := map[string]any{"cloud_only_admins": append([]string{}, found...)}
	if len(found) == 0 {
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

func (c ManagedDomainsCheck) Run(ctx context.Context, env *Env) Outcome {
	if out := tenantReady(env, c.Config); out != nil {
		return *out
	}
	all, err := env.Tenant.Domains(ctx)
	if err != nil {
		return graphOutcome("list the tenant's domains", err)
	}
	managed, _ := env.Tenant.ManagedDomains(ctx)
	var federated, unverified []string
	for _, d := range all {
		switch {
		case !d.IsVerified:
			unverified = append(unverified, d.ID)
		case d.Federated():
			federated = append(federated, d.ID)
		}
	}
	details := map[string]any{"managed": managed, "federated": orEmpty(federated), "unverified": orEmpty(unverified)}
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
