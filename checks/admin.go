package checks

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ptacheck/ptacheck/checks/codes"
	"github.com/ptacheck/ptacheck/checks/graph"
)

// tenant.admin-account: the admin who installs, registers or enables. The
// facts are gathered by graph.GatherAdmin; this file decides on them.

// AdminAccountCheck verifies the admin account that installs, registers or
// enables the agent: the troubleshooting guide's "token or account
// authorization errors". It gathers the facts (graph.GatherAdmin) and
// decides on them (decideAdmin).
type AdminAccountCheck struct{ Config TenantConfig }

func (AdminAccountCheck) Meta() Meta {
	return Meta{
		ID:    "tenant.admin-account",
		Title: "Admin account fit to register agents",
		Description: "the admin (--admin-upn, or the signed-in user) exists, is enabled, a member, cloud-only, holds Hybrid Identity Administrator or Global Administrator " +
			"assigned directly (not through a group) and active, and is not subject to MFA (per-user MFA, security defaults, Conditional Access; --admin-password-file tries a password sign-in)",
		Remediation: "Use a cloud-only Hybrid Identity Administrator (or Global Administrator) account, with the role assigned directly to the user and active, for installing, registering and enabling; " +
			"\"there is a known issue with MFA-enabled Hybrid Identity Administrator accounts; turn off MFA temporarily (only to complete the operations)\".",
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

func (c AdminAccountCheck) Needs() Needs {
	return Needs{Tenant: &c.Config, Graph: []graph.Call{graph.CallUser, graph.CallRoleAssignments, graph.CallRoleAssignmentsPIM, graph.CallRoleEligibility, graph.CallMemberOf, graph.CallMFARequirements, graph.CallSecurityDefaults, graph.CallConditionalAccess, graph.CallAuthStrengths}}
}

func (c AdminAccountCheck) Run(ctx context.Context, env *Env) Outcome {
	t := env.Met.Tenant
	facts := graph.GatherAdmin(ctx, t, c.Config.AdminUPN)
	var pw *graph.Fact[*graph.PasswordResult]
	if t.AdminPassword != "" && facts.User.Err == nil {
		r, err := t.PasswordSignIn(ctx, facts.User.V.UserPrincipalName)
		pw = &graph.Fact[*graph.PasswordResult]{V: r, Err: err}
	}
	return decideAdmin(facts, pw, c.Config)
}

// adminDecision collects the findings of tenant.admin-account.
type adminDecision struct {
	name       string
	d          *adminDetails
	fail, warn []error
}

func (a *adminDecision) failf(format string, args ...any) {
	a.fail = append(a.fail, fmt.Errorf(format, args...))
}

func (a *adminDecision) warnf(format string, args ...any) {
	a.warn = append(a.warn, fmt.Errorf(format, args...))
}

// unread records a fact that could not be read or has a value ptacheck
// does not know: the check cannot pass on it.
func (a *adminDecision) unread(format string, args ...any) {
	a.d.Unread = append(a.d.Unread, fmt.Sprintf(format, args...))
}

// decideAdmin decides tenant.admin-account on gathered facts. Every fact
// a verdict reads must have been read and hold a known value; otherwise the
// check cannot pass (it errors, naming the call and the field, unless a
// definite failure was found).
func decideAdmin(f *graph.AdminFacts, pw *graph.Fact[*graph.PasswordResult], cfg TenantConfig) Outcome {
	who := cfg.AdminUPN
	if who == "" {
		who = "the signed-in user"
	}
	if graph.IsNotFound(f.User.Err) {
		return Outcome{Fail: fmt.Errorf("no user %s in the tenant", who), Remediation: "Check --admin-upn: the admin must be a user of this tenant (its home tenant)."}
	}
	if f.User.Err != nil {
		return graphOutcome("read the admin account ("+who+")", f.User.Err)
	}
	u := f.User.V
	a := &adminDecision{name: u.UserPrincipalName, d: &adminDetails{User: u, Sync: string(u.Sync()), Roles: []string{}, Eligible: []string{}, Policies: []caFinding{}, Unread: []string{}}}

	// The account itself (GET /v1.0/users/{id}: accountEnabled, userType
	// and onPremisesSyncEnabled are required members of the answer).
	switch {
	case u.AccountEnabled == nil:
		a.unread("whether %s is enabled: GET /v1.0/users answered no accountEnabled", a.name)
	case !*u.AccountEnabled:
		a.failf("%s is disabled", a.name)
	}
	switch {
	case strings.EqualFold(u.UserType, "Member"):
	case strings.EqualFold(u.UserType, "Guest"):
		a.failf("%s is a guest: agents are registered in the admin's home tenant, so the admin must be a member", a.name)
	default:
		a.unread("whether %s is a member: GET /v1.0/users answered userType %q, neither Member nor Guest", a.name, u.UserType)
	}
	switch u.Sync() {
	case graph.SyncActive:
		a.failf("%s is synchronised from on-premises AD (onPremisesSyncEnabled true): use a cloud-only admin, which does not depend on the agents it registers", a.name)
	case graph.SyncFormerly:
		a.warnf("%s was synchronised from on-premises AD (onPremisesSyncEnabled false): make sure it is now a cloud-only account", a.name)
	}

	active := a.roles(f, cfg)
	a.mfa(f, active)
	a.conditionalAccess(f, u)
	if pw != nil {
		a.password(pw)
	}

	out := Outcome{Fail: errorList(a.fail), Warn: errorList(a.warn), Details: a.d, Unevaluated: a.d.Unread}
	if out.Fail == nil && out.Warn == nil && len(a.d.Unread) == 0 {
		out.Summary = fmt.Sprintf("%s: cloud-only, %s, no MFA requirement found", a.name, strings.Join(a.d.Roles, ", "))
	}
	return out
}

// roleHold is how the admin holds one role.
type roleHold struct {
	direct, indirect, activated bool
}

// roles decides the role requirement: Hybrid Identity Administrator or
// Global Administrator (Global Administrator only with
// --require-global-admin) assigned directly to the user and active. A role
// held only through a group fails, naming the group: Microsoft Entra
// Connect's prerequisites say these roles "can't be granted through group
// membership". It returns the role template IDs the admin holds actively
// (any way), or nil when they could not be read.
// heldRoles reads how the admin holds each role: directly or through a
// group (assignments, PIM instances, directory roles).
func (a *adminDecision) heldRoles(f *graph.AdminFacts) map[string]*roleHold {
	held := map[string]*roleHold{}
	get := func(role string) *roleHold {
		role = strings.ToLower(role)
		if held[role] == nil {
			held[role] = &roleHold{}
		}
		return held[role]
	}
	for _, r := range f.Assignments.V {
		if r.TenantWide() {
			get(r.RoleDefinitionID).direct = true
		}
	}
	// PIM needs Entra ID P2: without it these reads fail, and the direct
	// assignments above still decide.
	if f.Instances.Err == nil {
		for _, i := range f.Instances.V {
			if i.DirectoryScopeID != graph.DirectoryScopeTenant {
				continue
			}
			h := get(i.RoleDefinitionID)
			if strings.EqualFold(i.MemberType, "Direct") {
				h.direct = true
				h.activated = h.activated || i.Activated()
			} else {
				h.indirect = true
			}
		}
	}
	if f.DirectoryRoles.Err == nil {
		for _, r := range f.DirectoryRoles.V {
			if r.RoleTemplateID == "" {
				a.unread("a directory role of the admin (GET /v1.0/users/{id}/transitiveMemberOf/microsoft.graph.directoryRole) has no roleTemplateId")
				continue
			}
			get(r.RoleTemplateID).indirect = true
		}
	}
	return held
}

// describeRoles records the admin roles held and eligible in the details,
// and returns the role template IDs the admin holds actively (any way).
func (a *adminDecision) describeRoles(f *graph.AdminFacts, held map[string]*roleHold) map[string]bool {
	active := map[string]bool{}
	for role, h := range held {
		if h.direct || h.indirect {
			active[role] = true
		}
	}
	for _, role := range graph.AdminRoles {
		h := held[role]
		if h == nil || !(h.direct || h.indirect) {
			continue
		}
		how := "direct"
		if !h.direct {
			how = "through a group"
		}
		if h.activated {
			how += ", activated in PIM"
		}
		a.d.Roles = append(a.d.Roles, graph.RoleName(role)+" ("+how+")")
	}
	if f.Eligible.Err == nil {
		for _, e := range f.Eligible.V {
			if slices.Contains(graph.AdminRoles, strings.ToLower(e.RoleDefinitionID)) {
				a.d.Eligible = append(a.d.Eligible, graph.RoleName(e.RoleDefinitionID))
			}
		}
	}
	return active
}

func (a *adminDecision) roles(f *graph.AdminFacts, cfg TenantConfig) map[string]bool {
	if f.Assignments.Err != nil {
		a.unread("the admin's role assignments: %v", f.Assignments.Err)
		return nil
	}
	held := a.heldRoles(f)
	active := a.describeRoles(f, held)
	wanted := graph.AdminRoles
	if cfg.RequireGlobalAdmin {
		wanted = []string{graph.RoleGlobalAdministrator}
	}
	for _, role := range wanted {
		if h := held[role]; h != nil && h.direct {
			return active
		}
	}
	for _, role := range wanted {
		if h := held[role]; h != nil && h.indirect {
			a.failf("%s holds %s only through %s: the role must be assigned directly to the user (Microsoft Entra Connect prerequisites: it \"can't be granted through group membership\")",
				a.name, graph.RoleName(role), a.groupsHolding(f, role))
			return active
		}
	}
	switch h := held[graph.RoleHybridIdentityAdministrator]; {
	case cfg.RequireGlobalAdmin && h != nil && h.direct:
		a.failf("%s holds Hybrid Identity Administrator but not Global Administrator, which --require-global-admin asks for (2017-era agents needed it)", a.name)
	case len(a.d.Eligible) > 0:
		a.failf("%s is only eligible for %s (PIM), not active: activate the role before installing or registering", a.name, strings.Join(a.d.Eligible, ", "))
	default:
		if f.Eligible.Err != nil {
			a.unread("the admin's eligible roles: %v", f.Eligible.Err)
		}
		if cfg.RequireGlobalAdmin {
			a.failf("%s does not hold Global Administrator, which --require-global-admin asks for", a.name)
		} else {
			a.failf("%s holds neither Hybrid Identity Administrator nor Global Administrator", a.name)
		}
	}
	return active
}

// groupsHolding names the groups of the admin that hold role: the role's
// holders (principals expanded) that are groups the admin belongs to.
func (a *adminDecision) groupsHolding(f *graph.AdminFacts, role string) string {
	h, ok := f.Holders[role]
	switch {
	case !ok:
		return "a group"
	case h.Err != nil:
		return "a group (its holders could not be read: " + h.Err.Error() + ")"
	case f.Groups.Err != nil:
		return "a group (the admin's groups could not be read: " + f.Groups.Err.Error() + ")"
	}
	member := map[string]bool{}
	for _, g := range f.Groups.V {
		member[strings.ToLower(g.ID)] = true
	}
	var names []string
	for _, r := range h.V {
		if r.TenantWide() && r.Principal != nil && r.Principal.IsType(graph.ODataTypeGroup) && member[strings.ToLower(r.PrincipalID)] {
			names = append(names, fmt.Sprintf("%q (%s)", r.Principal.DisplayName, r.PrincipalID))
		}
	}
	sort.Strings(names)
	switch len(names) {
	case 0:
		return "a group (not among the role's tenant-wide holders)"
	case 1:
		return "the group " + names[0]
	}
	return "the groups " + strings.Join(names, ", ")
}

// securityDefaultsMFARoles are the roles security defaults require MFA for
// at every sign-in (security-defaults.md, "Require administrators to do
// multifactor authentication"); Hybrid Identity Administrator is not one.
var securityDefaultsMFARoles = map[string]string{
	graph.RoleGlobalAdministrator:          "Global Administrator",
	"9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
	"c4e39bd9-1100-46d3-8c65-fb160da0071f": "Authentication Administrator",
	"b0f54661-2d74-4c50-afa3-1ec803f12efe": "Billing Administrator",
	"158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
	"b1be1c3e-b65d-4f19-8427-f6fa0d97feb9": "Conditional Access Administrator",
	"29232cdf-9323-42fd-ade2-1d097af3e4de": "Exchange Administrator",
	"729827e3-9c14-49f7-bb1b-9608f156bbb8": "Helpdesk Administrator",
	"966707d0-3269-4727-9be2-8c3a10f19b9d": "Password Administrator",
	"7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
	graph.RolePrivilegedRoleAdministrator:  "Privileged Role Administrator",
	"194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
	"f28a1f50-f6e7-4571-818b-6a12f2af6b6c": "SharePoint Administrator",
	"69091246-20e8-4a56-aa4d-066075b2a7a8": "Teams Administrator",
	"fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
	"0526716b-113d-4c15-b2c8-68e3c22b9f80": "Authentication Policy Administrator",
	"45d8d3c5-c802-45c6-b32a-1d70b5e1e86e": "Identity Governance Administrator",
}

// mfa decides per-user MFA and security defaults; active are the admin's
// active roles (nil: unknown).
func (a *adminDecision) mfa(f *graph.AdminFacts, active map[string]bool) {
	if f.MFA.Err != nil {
		a.unread("the per-user MFA state: %v", f.MFA.Err)
	} else {
		a.d.PerUserMFA = f.MFA.V.PerUserMFAState
		switch strings.ToLower(f.MFA.V.PerUserMFAState) {
		case graph.PerUserMFADisabled:
		case graph.PerUserMFAEnforced:
			a.failf("%s has per-user MFA enforced: the registration wizard cannot complete an MFA prompt (turn it off for the operation)", a.name)
		case graph.PerUserMFAEnabled:
			a.failf("%s has per-user MFA enabled: it becomes enforced at the next sign-in", a.name)
		default:
			a.unread("the per-user MFA state: GET /beta/users/{id}/authentication/requirements answered perUserMfaState %q, not disabled, enabled or enforced", f.MFA.V.PerUserMFAState)
		}
	}
	if f.SecurityDefaults.Err != nil {
		a.unread("security defaults: %v", f.SecurityDefaults.Err)
		return
	}
	on := f.SecurityDefaults.V.IsEnabled
	a.d.SecurityDef = &on
	if !on {
		return
	}
	var roles []string
	for id, name := range securityDefaultsMFARoles {
		if active[id] {
			roles = append(roles, name)
		}
	}
	sort.Strings(roles)
	switch {
	case len(roles) > 0:
		a.failf("security defaults are on: %s (%s) must complete MFA at every sign-in", a.name, strings.Join(roles, ", "))
	case active == nil:
		a.unread("whether security defaults demand MFA at every sign-in of %s: its roles could not be read", a.name)
	default:
		a.warnf("security defaults are on: %s must register for MFA and may be prompted when necessary", a.name)
	}
}

func (a *adminDecision) password(pw *graph.Fact[*graph.PasswordResult]) {
	res, err := pw.V, pw.Err
	switch {
	case err != nil:
		a.unread("a password sign-in as %s: %v", a.name, err)
	case res.Outcome == graph.PasswordOK:
		a.d.PasswordSig = "a password sign-in succeeded without MFA"
	case res.Outcome == graph.PasswordMFARequired || res.Outcome == graph.PasswordMFARegistrationRequired:
		a.d.PasswordSig = string(res.Outcome)
		a.failf("a password sign-in as %s answered %s: MFA is required, the very failure the registration wizard hits", a.name, signInCodes(res))
	case res.Outcome == graph.PasswordBlockedByCA || res.Outcome == graph.PasswordBlockedBySecurityDefaults:
		a.d.PasswordSig = string(res.Outcome)
		a.failf("a password sign-in as %s was blocked (%s): %s", a.name, signInCodes(res), res.Outcome)
	case res.Outcome == graph.PasswordInvalidCredentials:
		a.unread("a password sign-in as %s: the password given with --admin-password-file was refused (%s)", a.name, signInCodes(res))
	default:
		a.d.PasswordSig = string(res.Outcome)
		a.warnf("a password sign-in as %s failed: %s (%s)", a.name, res.Outcome, signInCodes(res))
	}
}

// aadstsName is the code's name in the table of codes ("" when unknown).
func aadstsName(code int) string {
	e, ok := codes.Lookup(codes.Code{Kind: codes.AADSTS, Number: int64(code)})
	if !ok {
		return ""
	}
	return e.Symbol
}

// signInCodes names the AADSTS codes of a sign-in answer, with its trace
// ID (what Microsoft support asks for with the code).
func signInCodes(r *graph.PasswordResult) string {
	if r.Error == nil || len(r.Error.Codes) == 0 {
		return "no AADSTS code"
	}
	var s []string
	for _, code := range r.Error.Codes {
		s = append(s, strings.TrimSpace(fmt.Sprintf("AADSTS%d %s", code, aadstsName(code))))
	}
	out := strings.Join(s, ", ")
	if r.Error.TraceID != "" {
		out += " [trace " + r.Error.TraceID + "]"
	}
	return out
}

type caFinding struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	State   string   `json:"state"`
	Applies string   `json:"applies"`
	MFA     string   `json:"requires_mfa"`
	Reasons []string `json:"reasons"`
}
