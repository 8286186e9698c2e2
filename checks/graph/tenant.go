package graph

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/ptacheck/ptacheck/util/memo"
)

// FetchTimeout bounds one shared Graph read of a run (with its retries): it
// ends before the deadline of the checks that wait for it.
const FetchTimeout = 60 * time.Second

// Tenant reads the tenant through Client for the tenant.* checks, each read
// once per run: several checks need the admin's roles or the agent list,
// and Graph throttles. It is an AdminSource.
type Tenant struct {
	Graph *Client
	// SignIn and AdminPassword enable the resource-owner password probe of
	// tenant.admin-account (--admin-password-file); Scopes are the ones it
	// asks for.
	SignIn        SignIn
	AdminPassword string
	Scopes        []string

	reads memo.Table
}

var _ AdminSource = (*Tenant)(nil)

func readOnce[T any](ctx context.Context, t *Tenant, key string, fetch func(context.Context) (T, error)) (T, error) {
	return memo.Do(ctx, &t.reads, key, FetchTimeout, fetch)
}

// Admin returns the admin account: the UPN given, or the signed-in user.
func (t *Tenant) Admin(ctx context.Context, upn string) (*User, error) {
	return readOnce(ctx, t, "user:"+upn, func(ctx context.Context) (*User, error) {
		if upn == "" {
			return t.Graph.Me(ctx)
		}
		return t.Graph.User(ctx, upn)
	})
}

// Agents lists the PTA agents of the tenant.
func (t *Tenant) Agents(ctx context.Context) ([]Agent, error) {
	return readOnce(ctx, t, "agents", t.Graph.PTAAgents)
}

// TokenTenant returns the tenant the run's Graph token was issued in (its
// tid claim). The token source signs in once per run and is shared with
// the Graph reads, so asking it costs no second sign-in.
func (t *Tenant) TokenTenant(ctx context.Context) (string, error) {
	if t.Graph == nil || t.Graph.Token == nil {
		return "", errors.New("no token source")
	}
	tok, err := t.Graph.Token(ctx)
	if err != nil {
		return "", err
	}
	return TenantOfToken(tok)
}

// Domains lists the tenant's domains.
func (t *Tenant) Domains(ctx context.Context) ([]Domain, error) {
	return readOnce(ctx, t, "domains", t.Graph.Domains)
}

// ManagedDomains returns the tenant's verified, managed domains other than
// the initial *.onmicrosoft.com one: the UPN suffixes whose users sign in
// through PTA, which the agent's forest must serve.
func (t *Tenant) ManagedDomains(ctx context.Context) ([]string, error) {
	ds, err := t.Domains(ctx)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, d := range ds {
		if d.IsVerified && !d.IsInitial && d.Managed() {
			out = append(out, d.ID)
		}
	}
	return out, nil
}

// SyncedUsers counts the tenant's users synchronised from on-premises AD
// whose UPN ends with @domain.
func (t *Tenant) SyncedUsers(ctx context.Context, domain string) (int, error) {
	return readOnce(ctx, t, "synced:"+strings.ToLower(domain), func(ctx context.Context) (int, error) { return t.Graph.SyncedUserCount(ctx, domain) })
}

// RoleAssignments lists the tenant-wide and scoped role assignments of id.
func (t *Tenant) RoleAssignments(ctx context.Context, id string) ([]RoleAssignment, error) {
	return readOnce(ctx, t, "roles:"+id, func(ctx context.Context) ([]RoleAssignment, error) { return t.Graph.RoleAssignments(ctx, id) })
}

// RoleAssignmentScheduleInstances lists id's PIM assignments.
func (t *Tenant) RoleAssignmentScheduleInstances(ctx context.Context, id string) ([]RoleAssignmentScheduleInstance, error) {
	return readOnce(ctx, t, "pim:"+id, func(ctx context.Context) ([]RoleAssignmentScheduleInstance, error) {
		return t.Graph.RoleAssignmentScheduleInstances(ctx, id)
	})
}

// RoleEligibilitySchedules lists the roles id is eligible for (PIM).
func (t *Tenant) RoleEligibilitySchedules(ctx context.Context, id string) ([]RoleEligibilitySchedule, error) {
	return readOnce(ctx, t, "eligible:"+id, func(ctx context.Context) ([]RoleEligibilitySchedule, error) {
		return t.Graph.RoleEligibilitySchedules(ctx, id)
	})
}

// MemberOf lists id's transitive memberships.
func (t *Tenant) MemberOf(ctx context.Context, id string) ([]DirectoryObject, error) {
	return readOnce(ctx, t, "memberof:"+id, func(ctx context.Context) ([]DirectoryObject, error) { return t.Graph.MemberOf(ctx, id) })
}

// DirectoryRoles lists id's directory roles (transitively).
func (t *Tenant) DirectoryRoles(ctx context.Context, id string) ([]DirectoryObject, error) {
	return readOnce(ctx, t, "dirroles:"+id, func(ctx context.Context) ([]DirectoryObject, error) { return t.Graph.DirectoryRoles(ctx, id) })
}

// MFARequirements reads id's per-user MFA state.
func (t *Tenant) MFARequirements(ctx context.Context, id string) (*AuthenticationRequirements, error) {
	return readOnce(ctx, t, "mfa:"+id, func(ctx context.Context) (*AuthenticationRequirements, error) {
		return t.Graph.MFARequirements(ctx, id)
	})
}

// SecurityDefaults reads the tenant's security defaults.
func (t *Tenant) SecurityDefaults(ctx context.Context) (*SecurityDefaults, error) {
	return readOnce(ctx, t, "securitydefaults", t.Graph.SecurityDefaults)
}

// ConditionalAccessPolicies lists the tenant's Conditional Access policies.
func (t *Tenant) ConditionalAccessPolicies(ctx context.Context) ([]ConditionalAccessPolicy, error) {
	return readOnce(ctx, t, "ca", t.Graph.ConditionalAccessPolicies)
}

// AuthenticationStrengthPolicies lists the tenant's authentication strengths.
func (t *Tenant) AuthenticationStrengthPolicies(ctx context.Context) ([]AuthenticationStrengthPolicy, error) {
	return readOnce(ctx, t, "strengths", t.Graph.AuthenticationStrengthPolicies)
}

// RoleHolders lists the holders of role.
func (t *Tenant) RoleHolders(ctx context.Context, role string) ([]RoleAssignment, error) {
	return readOnce(ctx, t, "holders:"+role, func(ctx context.Context) ([]RoleAssignment, error) { return t.Graph.RoleHolders(ctx, role) })
}

// User reads a user by ID or UPN.
func (t *Tenant) User(ctx context.Context, id string) (*User, error) {
	return readOnce(ctx, t, "user:"+id, func(ctx context.Context) (*User, error) { return t.Graph.User(ctx, id) })
}

// PasswordSignIn tries a password sign-in as upn with AdminPassword.
func (t *Tenant) PasswordSignIn(ctx context.Context, upn string) (*PasswordResult, error) {
	return readOnce(ctx, t, "ropc:"+upn, func(ctx context.Context) (*PasswordResult, error) {
		scopes := t.Scopes
		if len(scopes) == 0 {
			scopes = Scopes(t.Graph.BaseURL, CallUser)
		}
		return PasswordSignIn(ctx, t.SignIn, upn, t.AdminPassword, scopes)
	})
}

// CloudUser reads the cloud user who signs in with upn.
func (t *Tenant) CloudUser(ctx context.Context, upn string) (*CloudUser, error) {
	return readOnce(ctx, t, "clouduser:"+strings.ToLower(upn), func(ctx context.Context) (*CloudUser, error) { return t.Graph.CloudUser(ctx, upn) })
}

// CloudUsersByOnPremisesUPN lists the cloud users whose on-premises UPN is
// upn.
func (t *Tenant) CloudUsersByOnPremisesUPN(ctx context.Context, upn string) ([]CloudUser, error) {
	return readOnce(ctx, t, "onpremupn:"+strings.ToLower(upn), func(ctx context.Context) ([]CloudUser, error) {
		return t.Graph.CloudUsersByOnPremisesUPN(ctx, upn)
	})
}

var _ CloudUserSource = (*Tenant)(nil)
