package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Conditional Access policy states (META enum).
const (
	CAStateEnabled    = "enabled"
	CAStateDisabled   = "disabled"
	CAStateReportOnly = "enabledForReportingButNotEnforced"
)

// ConditionalAccessPolicy is an item of GET /v1.0/identity/conditionalAccess/policies.
type ConditionalAccessPolicy struct {
	ID            string         `json:"id"`
	DisplayName   string         `json:"displayName"`
	State         string         `json:"state"`
	Conditions    *CAConditions  `json:"conditions"`
	GrantControls *GrantControls `json:"grantControls"`
}

// requiredFields: a policy's state decides whether it is enforced, and an
// absent conditions or grantControls member cannot be told from "none".
func (*ConditionalAccessPolicy) requiredFields() []field {
	return []field{{name: "id"}, {name: "state"}, {name: "conditions", nullable: true}, {name: "grantControls", nullable: true}}
}

// CAConditions are the conditions of a policy. Conditions ptacheck cannot
// evaluate offline are kept raw and only tested for presence.
type CAConditions struct {
	Users                      *CAUsers        `json:"users"`
	Applications               *CAApplications `json:"applications"`
	ClientAppTypes             []string        `json:"clientAppTypes"`
	Platforms                  *CAPlatforms    `json:"platforms"`
	Locations                  *CALocations    `json:"locations"`
	SignInRiskLevels           []string        `json:"signInRiskLevels"`
	UserRiskLevels             []string        `json:"userRiskLevels"`
	ServicePrincipalRiskLevels []string        `json:"servicePrincipalRiskLevels"`
	InsiderRiskLevels          json.RawMessage `json:"insiderRiskLevels"`
	Devices                    json.RawMessage `json:"devices"`
	ClientApplications         json.RawMessage `json:"clientApplications"`
	AuthenticationFlows        json.RawMessage `json:"authenticationFlows"`
}

// CAUsers is conditionalAccessUsers.
type CAUsers struct {
	IncludeUsers                 []string        `json:"includeUsers"` // IDs, All, None, GuestsOrExternalUsers
	ExcludeUsers                 []string        `json:"excludeUsers"`
	IncludeGroups                []string        `json:"includeGroups"`
	ExcludeGroups                []string        `json:"excludeGroups"`
	IncludeRoles                 []string        `json:"includeRoles"` // role template IDs
	ExcludeRoles                 []string        `json:"excludeRoles"`
	IncludeGuestsOrExternalUsers json.RawMessage `json:"includeGuestsOrExternalUsers"`
	ExcludeGuestsOrExternalUsers json.RawMessage `json:"excludeGuestsOrExternalUsers"`
}

// CAApplications is conditionalAccessApplications.
type CAApplications struct {
	IncludeApplications                         []string `json:"includeApplications"` // app IDs, All, None, Office365, MicrosoftAdminPortals
	ExcludeApplications                         []string `json:"excludeApplications"`
	IncludeUserActions                          []string `json:"includeUserActions"`
	IncludeAuthenticationContextClassReferences []string `json:"includeAuthenticationContextClassReferences"`
}

// CAPlatforms is conditionalAccessPlatforms.
type CAPlatforms struct {
	IncludePlatforms []string `json:"includePlatforms"`
	ExcludePlatforms []string `json:"excludePlatforms"`
}

// CALocations is conditionalAccessLocations.
type CALocations struct {
	IncludeLocations []string `json:"includeLocations"`
	ExcludeLocations []string `json:"excludeLocations"`
}

// GrantControls is conditionalAccessGrantControls.
type GrantControls struct {
	Operator                    string                        `json:"operator"` // AND or OR
	BuiltInControls             []string                      `json:"builtInControls"`
	CustomAuthenticationFactors []string                      `json:"customAuthenticationFactors"`
	TermsOfUse                  []string                      `json:"termsOfUse"`
	AuthenticationStrength      *AuthenticationStrengthPolicy `json:"authenticationStrength"`
}

// Tri is a three-valued answer.
type Tri uint8

// Tri values, ordered: No < Maybe < Yes.
const (
	No Tri = iota
	Maybe
	Yes
)

func (t Tri) String() string {
	switch t {
	case No:
		return "no"
	case Maybe:
		return "maybe"
	case Yes:
		return "yes"
	}
	return fmt.Sprintf("Tri(%d)", uint8(t))
}

// Eval is a Tri with the reasons that led to it, in evaluation order.
type Eval struct {
	Value   Tri
	Reasons []string
}

func (e *Eval) note(format string, args ...any) {
	e.Reasons = append(e.Reasons, fmt.Sprintf(format, args...))
}

// lower caps e at t (No < Maybe < Yes).
func (e *Eval) lower(t Tri, format string, args ...any) {
	if t < e.Value {
		e.Value = t
	}
	e.note(format, args...)
}

// Subject is who signs in, as far as CA scoping needs it.
type Subject struct {
	UserID          string
	Guest           bool     // userType Guest
	RoleTemplateIDs []string // active (not merely eligible) directory roles
	GroupIDs        []string // transitive group memberships
	RolesUnknown    bool     // roles could not be read: role conditions give Maybe
	GroupsUnknown   bool     // groups could not be read: group conditions give Maybe
}

// Enforced reports state "enabled".
func (p ConditionalAccessPolicy) Enforced() bool { return strings.EqualFold(p.State, CAStateEnabled) }

// ReportOnly reports state "enabledForReportingButNotEnforced".
func (p ConditionalAccessPolicy) ReportOnly() bool {
	return strings.EqualFold(p.State, CAStateReportOnly)
}

// Blocks reports a grant of "block": whoever is in scope cannot sign in.
func (p ConditionalAccessPolicy) Blocks() bool {
	return p.GrantControls != nil && containsFold(p.GrantControls.BuiltInControls, "block")
}

// Applies evaluates whether the policy's scope covers s signing in to an
// unspecified app, following graph-api.md section 4: users, groups and
// roles are included, exclusions win, "All" applications applies while an
// app list or any condition ptacheck cannot evaluate offline (locations,
// platforms, risk, device filters, flows) gives Maybe. The policy state is
// not considered (see Enforced, ReportOnly).
func (p ConditionalAccessPolicy) Applies(s Subject) Eval {
	e := Eval{Value: Yes}
	if p.Conditions == nil || p.Conditions.Users == nil {
		e.lower(Maybe, "the policy has no user conditions in the answer")
		return e
	}
	u := p.Conditions.Users
	// Exclusions win.
	switch {
	case s.UserID != "" && containsFold(u.ExcludeUsers, s.UserID):
		e.lower(No, "the user is excluded by ID")
		return e
	case s.Guest && containsFold(u.ExcludeUsers, "GuestsOrExternalUsers"):
		e.lower(No, "guests and external users are excluded")
		return e
	}
	if r := intersectFold(u.ExcludeRoles, s.RoleTemplateIDs); r != "" {
		e.lower(No, "the user is excluded through the role %s", RoleName(r))
		return e
	}
	if g := intersectFold(u.ExcludeGroups, s.GroupIDs); g != "" {
		e.lower(No, "the user is excluded through the group %s", g)
		return e
	}
	var unsureExcl []string
	if s.RolesUnknown && len(u.ExcludeRoles) > 0 {
		unsureExcl = append(unsureExcl, "roles")
	}
	if s.GroupsUnknown && len(u.ExcludeGroups) > 0 {
		unsureExcl = append(unsureExcl, "groups")
	}
	if s.Guest && present(u.ExcludeGuestsOrExternalUsers) {
		unsureExcl = append(unsureExcl, "guest or external user types")
	}
	// Inclusion.
	switch r, g := intersectFold(u.IncludeRoles, s.RoleTemplateIDs), intersectFold(u.IncludeGroups, s.GroupIDs); {
	case containsFold(u.IncludeUsers, "All"):
		e.note("includes all users")
	case s.UserID != "" && containsFold(u.IncludeUsers, s.UserID):
		e.note("includes the user by ID")
	case s.Guest && containsFold(u.IncludeUsers, "GuestsOrExternalUsers"):
		e.note("includes guests and external users")
	case r != "":
		e.note("includes the role %s", RoleName(r))
	case g != "":
		e.note("includes the group %s", g)
	case s.Guest && present(u.IncludeGuestsOrExternalUsers):
		e.lower(Maybe, "includes some guest or external user types")
	case s.RolesUnknown && len(u.IncludeRoles) > 0:
		e.lower(Maybe, "includes roles, and the user's roles are unknown")
	case s.GroupsUnknown && len(u.IncludeGroups) > 0:
		e.lower(Maybe, "includes groups, and the user's groups are unknown")
	default:
		e.lower(No, "the user is not in the included users, groups or roles")
		return e
	}
	if len(unsureExcl) > 0 {
		e.lower(Maybe, "excludes %s, and the user's are unknown", strings.Join(unsureExcl, " and "))
	}
	p.Conditions.appliesApps(&e)
	if e.Value != No {
		p.Conditions.appliesOther(&e)
	}
	return e
}

func (c *CAConditions) appliesApps(e *Eval) {
	a := c.Applications
	switch {
	case a == nil:
		e.lower(Maybe, "the policy has no application conditions in the answer")
	case containsFold(a.IncludeApplications, "All") && len(a.ExcludeApplications) > 0:
		e.lower(Maybe, "targets all applications except %d (which apps agent registration signs in to is UNVERIFIED)", len(a.ExcludeApplications))
	case containsFold(a.IncludeApplications, "All"):
		e.note("targets all applications")
	case len(a.IncludeApplications) == 0 || containsFold(a.IncludeApplications, "None"):
		switch {
		case len(a.IncludeUserActions) > 0:
			e.lower(No, "targets user actions (%s), not application sign-ins", strings.Join(a.IncludeUserActions, ", "))
		case len(a.IncludeAuthenticationContextClassReferences) > 0:
			e.lower(No, "targets authentication contexts, not application sign-ins")
		default:
			e.lower(No, "targets no application")
		}
	default:
		e.lower(Maybe, "targets specific applications (%s; which apps agent registration signs in to is UNVERIFIED)", strings.Join(a.IncludeApplications, ", "))
	}
}

func (c *CAConditions) appliesOther(e *Eval) {
	if t := c.ClientAppTypes; len(t) > 0 && !containsFold(t, "all") {
		switch {
		case containsFold(t, "mobileAppsAndDesktopClients"):
			e.note("client apps include mobile apps and desktop clients")
		case containsFold(t, "browser"):
			e.lower(Maybe, "client apps: %s only", strings.Join(t, ", "))
		default:
			e.lower(No, "client apps: %s only (legacy authentication)", strings.Join(t, ", "))
			return
		}
	}
	if p := c.Platforms; p != nil && (len(p.IncludePlatforms) > 0 || len(p.ExcludePlatforms) > 0) &&
		!(containsFold(p.IncludePlatforms, "all") && len(p.ExcludePlatforms) == 0) {
		e.lower(Maybe, "depends on the device platform")
	}
	if l := c.Locations; l != nil && (len(l.IncludeLocations) > 0 || len(l.ExcludeLocations) > 0) &&
		!(containsFold(l.IncludeLocations, "All") && len(l.ExcludeLocations) == 0) {
		e.lower(Maybe, "depends on the network location")
	}
	if len(c.SignInRiskLevels) > 0 || len(c.UserRiskLevels) > 0 || present(c.InsiderRiskLevels) {
		e.lower(Maybe, "depends on sign-in, user or insider risk")
	}
	if present(c.Devices) {
		e.lower(Maybe, "depends on a device filter")
	}
	if present(c.AuthenticationFlows) {
		e.lower(Maybe, "depends on the authentication flow")
	}
	if present(c.ClientApplications) {
		e.lower(Maybe, "also conditions on client applications (workload identities)")
	}
}

// RequiresMFA evaluates whether the grant controls demand multifactor
// authentication: "mfa" in builtInControls, or an authentication strength
// whose requirementsSatisfied is "mfa" (built-in strengths 2-4, custom ones
// looked up in strengths by ID). With operator OR and another control, MFA
// may be avoided (Maybe). The docs say the strength "might be missing" when
// a policy is read, so an absent strength is noted, and a grant that lists
// no control at all gives Maybe. A "block" grant is reported by Blocks.
func (p ConditionalAccessPolicy) RequiresMFA(strengths map[string]AuthenticationStrengthPolicy) Eval {
	e := Eval{Value: Yes}
	g := p.GrantControls
	if g == nil {
		e.lower(No, "no grant controls")
		return e
	}
	if p.Blocks() {
		e.lower(No, "blocks access (no MFA prompt: the sign-in is refused)")
		return e
	}
	mfa := containsFold(g.BuiltInControls, "mfa")
	strength := No
	var sp AuthenticationStrengthPolicy // the strength, completed from strengths
	if s := g.AuthenticationStrength; s != nil {
		sp = *s
		if k, ok := strengths[strings.ToLower(s.ID)]; ok {
			if sp.DisplayName == "" {
				sp.DisplayName = k.DisplayName
			}
			if sp.RequirementsSatisfied == "" {
				sp.RequirementsSatisfied = k.RequirementsSatisfied
			}
		}
		strength = strengthMFA(sp)
	}
	var others []string
	for _, c := range g.BuiltInControls {
		if !strings.EqualFold(c, "mfa") {
			others = append(others, c)
		}
	}
	others = append(others, g.TermsOfUse...)
	others = append(others, g.CustomAuthenticationFactors...)
	if g.AuthenticationStrength != nil && strength == No {
		others = append(others, "authentication strength "+strengthName(sp))
	}
	or := strings.EqualFold(g.Operator, "OR")
	switch {
	case mfa || strength == Yes:
		if mfa {
			e.note("grant requires mfa")
		}
		if strength == Yes {
			e.note("grant requires the authentication strength %s (satisfies mfa)", strengthName(sp))
		}
		if or && len(others) > 0 {
			e.lower(Maybe, "operator OR: another control (%s) may satisfy the policy instead", strings.Join(others, ", "))
		}
	case strength == Maybe:
		e.lower(Maybe, "grant requires the authentication strength %s, whose requirements are unknown", strengthName(sp))
	case len(g.BuiltInControls) == 0 && g.AuthenticationStrength == nil && len(g.TermsOfUse) == 0 && len(g.CustomAuthenticationFactors) == 0:
		e.lower(Maybe, "grant controls list nothing: an authentication strength may have been left out of the answer")
	default:
		e.lower(No, "grant controls (%s) do not include mfa", strings.Join(others, ", "))
		if g.AuthenticationStrength == nil {
			e.note("no authentication strength in the answer (the docs say it might be missing when a policy is read)")
		}
	}
	return e
}

// strengthMFA: requirementsSatisfied decides; without it the built-in IDs
// are known to satisfy mfa and anything else is unknown.
func strengthMFA(s AuthenticationStrengthPolicy) Tri {
	req := s.RequirementsSatisfied
	switch {
	case req != "":
		if strings.EqualFold(req, "mfa") {
			return Yes
		}
		return No
	case strings.EqualFold(s.ID, StrengthMFA), strings.EqualFold(s.ID, StrengthPasswordlessMFA), strings.EqualFold(s.ID, StrengthPhishingResistant):
		return Yes
	}
	return Maybe
}

func strengthName(s AuthenticationStrengthPolicy) string {
	if s.DisplayName != "" {
		return fmt.Sprintf("%q", s.DisplayName)
	}
	return s.ID
}

// StrengthIndex indexes authentication strengths (call 15) by lower-case
// ID for RequiresMFA.
func StrengthIndex(ps []AuthenticationStrengthPolicy) map[string]AuthenticationStrengthPolicy {
	m := make(map[string]AuthenticationStrengthPolicy, len(ps))
	for _, p := range ps {
		m[strings.ToLower(p.ID)] = p
	}
	return m
}

var roleNames = map[string]string{
	RoleGlobalAdministrator:         "Global Administrator",
	RoleHybridIdentityAdministrator: "Hybrid Identity Administrator",
	RoleGlobalReader:                "Global Reader",
	RolePrivilegedRoleAdministrator: "Privileged Role Administrator",
}

// RoleName names a role template ID ("Global Administrator"), or returns
// the ID when it is not one ptacheck knows.
func RoleName(templateID string) string {
	if n, ok := roleNames[strings.ToLower(templateID)]; ok {
		return n
	}
	return templateID
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

// intersectFold returns the first element of a also in b.
func intersectFold(a, b []string) string {
	for _, x := range a {
		if containsFold(b, x) {
			return x
		}
	}
	return ""
}

// present reports a raw JSON member that is there and not null, {} or [].
func present(raw json.RawMessage) bool {
	r := bytes.TrimSpace(raw)
	return len(r) > 0 && !bytes.Equal(r, []byte("null")) && !bytes.Equal(r, []byte("{}")) && !bytes.Equal(r, []byte("[]")) && !bytes.Equal(r, []byte(`""`))
}
