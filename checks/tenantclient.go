package checks

import (
	"context"
	"strings"

	"github.com/ptacheck/ptacheck/checks/graph"
)

// TenantClient reads the tenant through Microsoft Graph (checks/graph, GET
// only) for the tenant.* checks, each call once per run: several checks
// need the admin's roles or the agent list, and Graph throttles.
type TenantClient struct {
	Graph *graph.Client
	// SignIn and AdminPassword enable the resource-owner password probe of
	// tenant.admin-account (--admin-password-file); Scopes are the ones it
	// asks for.
	SignIn        graph.SignIn
	AdminPassword string
	Scopes        []string

	calls memoTable
}

// Admin returns the admin account: the UPN given, or the signed-in user.
func (c *TenantClient) Admin(ctx context.Context, upn string) (*graph.User, error) {
	return memo(ctx, &c.calls, "user:"+upn, func(ctx context.Context) (*graph.User, error) {
		if upn == "" {
			return c.Graph.Me(ctx)
		}
		return c.Graph.User(ctx, upn)
	})
}

// Agents lists the PTA agents of the tenant.
func (c *TenantClient) Agents(ctx context.Context) ([]graph.Agent, error) {
	return memo(ctx, &c.calls, "agents", c.Graph.PTAAgents)
}

// TokenTenant returns the tenant the run's Graph token was issued in (its
// tid claim). The token source signs in once per run and is shared with
// the Graph calls, so asking it costs no second sign-in.
func (c *TenantClient) TokenTenant(ctx context.Context) (string, error) {
	tok, err := c.Graph.Token(ctx)
	if err != nil {
		return "", err
	}
	return graph.TenantOfToken(tok)
}

// Domains lists the tenant's domains.
func (c *TenantClient) Domains(ctx context.Context) ([]graph.Domain, error) {
	return memo(ctx, &c.calls, "domains", c.Graph.Domains)
}

// ManagedDomains returns the tenant's verified, managed domains other than
// the initial *.onmicrosoft.com one: the UPN suffixes whose users sign in
// through PTA, which the agent's forest must serve.
func (c *TenantClient) ManagedDomains(ctx context.Context) ([]string, error) {
	ds, err := c.Domains(ctx)
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
func (c *TenantClient) SyncedUsers(ctx context.Context, domain string) (int, error) {
	return memo(ctx, &c.calls, "synced:"+strings.ToLower(domain), func(ctx context.Context) (int, error) { return c.Graph.SyncedUserCount(ctx, domain) })
}

func (c *TenantClient) roleAssignments(ctx context.Context, id string) ([]graph.RoleAssignment, error) {
	return memo(ctx, &c.calls, "roles:"+id, func(ctx context.Context) ([]graph.RoleAssignment, error) { return c.Graph.RoleAssignments(ctx, id) })
}

func (c *TenantClient) roleInstances(ctx context.Context, id string) ([]graph.RoleAssignmentScheduleInstance, error) {
	return memo(ctx, &c.calls, "pim:"+id, func(ctx context.Context) ([]graph.RoleAssignmentScheduleInstance, error) {
		return c.Graph.RoleAssignmentScheduleInstances(ctx, id)
	})
}

func (c *TenantClient) eligibility(ctx context.Context, id string) ([]graph.RoleEligibilitySchedule, error) {
	return memo(ctx, &c.calls, "eligible:"+id, func(ctx context.Context) ([]graph.RoleEligibilitySchedule, error) {
		return c.Graph.RoleEligibilitySchedules(ctx, id)
	})
}

func (c *TenantClient) memberOf(ctx context.Context, id string) ([]graph.DirectoryObject, error) {
	return memo(ctx, &c.calls, "memberof:"+id, func(ctx context.Context) ([]graph.DirectoryObject, error) { return c.Graph.MemberOf(ctx, id) })
}

func (c *TenantClient) directoryRoles(ctx context.Context, id string) ([]graph.DirectoryObject, error) {
	return memo(ctx, &c.calls, "dirroles:"+id, func(ctx context.Context) ([]graph.DirectoryObject, error) { return c.Graph.DirectoryRoles(ctx, id) })
}

func (c *TenantClient) mfaState(ctx context.Context, id string) (*graph.AuthenticationRequirements, error) {
	return memo(ctx, &c.calls, "mfa:"+id, func(ctx context.Context) (*graph.AuthenticationRequirements, error) {
		return c.Graph.MFARequirements(ctx, id)
	})
}

func (c *TenantClient) securityDefaults(ctx context.Context) (*graph.SecurityDefaults, error) {
	return memo(ctx, &c.calls, "securitydefaults", c.Graph.SecurityDefaults)
}

func (c *TenantClient) caPolicies(ctx context.Context) ([]graph.ConditionalAccessPolicy, error) {
	return memo(ctx, &c.calls, "ca", c.Graph.ConditionalAccessPolicies)
}

func (c *TenantClient) strengths(ctx context.Context) ([]graph.AuthenticationStrengthPolicy, error) {
	return memo(ctx, &c.calls, "strengths", c.Graph.AuthenticationStrengthPolicies)
}

func (c *TenantClient) roleHolders(ctx context.Context, role string) ([]graph.RoleAssignment, error) {
	return memo(ctx, &c.calls, "holders:"+role, func(ctx context.Context) ([]graph.RoleAssignment, error) { return c.Graph.RoleHolders(ctx, role) })
}

func (c *TenantClient) user(ctx context.Context, id string) (*graph.User, error) {
	return memo(ctx, &c.calls, "user:"+id, func(ctx context.Context) (*graph.User, error) { return c.Graph.User(ctx, id) })
}

func (c *TenantClient) passwordSignIn(ctx context.Context, upn string) (*graph.PasswordResult, error) {
	return memo(ctx, &c.calls, "ropc:"+upn, func(ctx context.Context) (*graph.PasswordResult, error) {
		scopes := c.Scopes
		if len(scopes) == 0 {
			scopes = graph.Scopes(c.Graph.BaseURL, graph.CallUser)
		}
		return graph.PasswordSignIn(ctx, c.SignIn, upn, c.AdminPassword, scopes)
	})
}

// tenantSource is the TenantClient as a graph.AdminSource: the admin
// gatherer reads through the run's once-per-call cache.
type tenantSource struct{ c *TenantClient }

var _ graph.AdminSource = tenantSource{}

func (s tenantSource) Admin(ctx context.Context, upn string) (*graph.User, error) {
	return s.c.Admin(ctx, upn)
}

func (s tenantSource) RoleAssignments(ctx context.Context, id string) ([]graph.RoleAssignment, error) {
	return s.c.roleAssignments(ctx, id)
}

func (s tenantSource) RoleAssignmentScheduleInstances(ctx context.Context, id string) ([]graph.RoleAssignmentScheduleInstance, error) {
	return s.c.roleInstances(ctx, id)
}

func (s tenantSource) RoleEligibilitySchedules(ctx context.Context, id string) ([]graph.RoleEligibilitySchedule, error) {
	return s.c.eligibility(ctx, id)
}

func (s tenantSource) DirectoryRoles(ctx context.Context, id string) ([]graph.DirectoryObject, error) {
	return s.c.directoryRoles(ctx, id)
}

func (s tenantSource) MemberOf(ctx context.Context, id string) ([]graph.DirectoryObject, error) {
	return s.c.memberOf(ctx, id)
}

func (s tenantSource) RoleHolders(ctx context.Context, role string) ([]graph.RoleAssignment, error) {
	return s.c.roleHolders(ctx, role)
}

func (s tenantSource) MFARequirements(ctx context.Context, id string) (*graph.AuthenticationRequirements, error) {
	return s.c.mfaState(ctx, id)
}

func (s tenantSource) SecurityDefaults(ctx context.Context) (*graph.SecurityDefaults, error) {
	return s.c.securityDefaults(ctx)
}

func (s tenantSource) ConditionalAccessPolicies(ctx context.Context) ([]graph.ConditionalAccessPolicy, error) {
	return s.c.caPolicies(ctx)
}

func (s tenantSource) AuthenticationStrengthPolicies(ctx context.Context) ([]graph.AuthenticationStrengthPolicy, error) {
	return s.c.strengths(ctx)
}

// cloudUser reads the cloud user who signs in with upn, once per run.
func (c *TenantClient) cloudUser(ctx context.Context, upn string) (*graph.CloudUser, error) {
	return memo(ctx, &c.calls, "clouduser:"+strings.ToLower(upn), func(ctx context.Context) (*graph.CloudUser, error) { return c.Graph.CloudUser(ctx, upn) })
}

func (c *TenantClient) cloudUsersByOnPremises(ctx context.Context, upn string) ([]graph.CloudUser, error) {
	return memo(ctx, &c.calls, "onpremupn:"+strings.ToLower(upn), func(ctx context.Context) ([]graph.CloudUser, error) {
		return c.Graph.CloudUsersByOnPremisesUPN(ctx, upn)
	})
}

// cloudSource is the TenantClient as a graph.CloudUserSource.
type cloudSource struct{ c *TenantClient }

var _ graph.CloudUserSource = cloudSource{}

func (s cloudSource) CloudUser(ctx context.Context, upn string) (*graph.CloudUser, error) {
	return s.c.cloudUser(ctx, upn)
}

func (s cloudSource) CloudUsersByOnPremisesUPN(ctx context.Context, upn string) ([]graph.CloudUser, error) {
	return s.c.cloudUsersByOnPremises(ctx, upn)
}
