package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// The typed calls of graph-api.md section 1. Each returns the decoded
// answer or an error from Get/List (an *Error for HTTP answers).

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ErrBadArgument is returned for an ID or name that cannot be put in a
// request (empty, not a GUID where one is needed, control characters).
var ErrBadArgument = errors.New("bad argument")

// UserPath returns the path segment that addresses a user by object ID or
// UPN (user-get.md quirks): a UPN starting with "$" is addressed as
// users('$x@y') with quotes doubled; "#" (B2B UPNs) and other reserved
// characters are percent-encoded.
func UserPath(idOrUPN string) (string, error) {
	if idOrUPN == "" || strings.ContainsFunc(idOrUPN, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", fmt.Errorf("%w: user %q", ErrBadArgument, idOrUPN)
	}
	if strings.HasPrefix(idOrUPN, "$") {
		return "/users('" + url.PathEscape(strings.ReplaceAll(idOrUPN, "'", "''")) + "')", nil
	}
	return "/users/" + url.PathEscape(idOrUPN), nil
}

func eqFilter(prop, id string) (string, error) {
	if !guidRE.MatchString(id) {
		return "", fmt.Errorf("%w: %s %q is not a GUID", ErrBadArgument, prop, id)
	}
	return "$filter=" + queryEscape(prop+" eq '"+strings.ToLower(id)+"'"), nil
}

// queryEscape escapes a query value with %20 for spaces (OData does not
// read "+" as a space everywhere).
func queryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// Organization returns the tenant's organization object (call 1).
func (c *Client) Organization(ctx context.Context) (*Organization, error) {
	orgs, err := List[Organization](ctx, c, "/v1.0/organization")
	if err != nil {
		return nil, err
	}
	if len(orgs) == 0 {
		return nil, &Error{Path: "/v1.0/organization", Status: http.StatusOK, Err: fmt.Errorf("%w: no organization in the answer", ErrMalformed)}
	}
	return &orgs[0], nil
}

// Domains lists the tenant's domains (call 2).
func (c *Client) Domains(ctx context.Context) ([]Domain, error) {
	return List[Domain](ctx, c, "/v1.0/domains")
}

// Domain reads one domain by name (call 2); IsNotFound(err) when absent.
func (c *Client) Domain(ctx context.Context, name string) (*Domain, error) {
	if name == "" || strings.ContainsAny(name, "/?#% ") {
		return nil, fmt.Errorf("%w: domain %q", ErrBadArgument, name)
	}
	var d Domain
	if err := c.Get(ctx, "/v1.0/domains/"+url.PathEscape(name), &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// User reads a user by object ID or UPN with UserSelect (call 3);
// IsNotFound(err) when there is no such user.
func (c *Client) User(ctx context.Context, idOrUPN string) (*User, error) {
	p, err := UserPath(idOrUPN)
	if err != nil {
		return nil, err
	}
	var u User
	if err := c.Get(ctx, "/v1.0"+p+"?$select="+UserSelect, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// Me is GET /v1.0/me: the signed-in user (a delegated token), with the same
// properties as User.
func (c *Client) Me(ctx context.Context) (*User, error) {
	var u User
	if err := c.Get(ctx, "/v1.0/me?$select="+UserSelect, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// RoleAssignments lists the active role assignments whose principal is
// principalID (call 4): rows for the user itself are direct assignments.
func (c *Client) RoleAssignments(ctx context.Context, principalID string) ([]RoleAssignment, error) {
	f, err := eqFilter("principalId", principalID)
	if err != nil {
		return nil, err
	}
	return List[RoleAssignment](ctx, c, "/v1.0/roleManagement/directory/roleAssignments?"+f)
}

// RoleHolders lists the active assignments of a role (template) ID with the
// principal expanded (call 5): users, groups and service principals.
func (c *Client) RoleHolders(ctx context.Context, roleDefinitionID string) ([]RoleAssignment, error) {
	f, err := eqFilter("roleDefinitionId", roleDefinitionID)
	if err != nil {
		return nil, err
	}
	return List[RoleAssignment](ctx, c, "/v1.0/roleManagement/directory/roleAssignments?"+f+"&$expand=principal")
}

// MemberOf lists the user's transitive memberships (call 6): groups,
// directory roles and administrative units.
func (c *Client) MemberOf(ctx context.Context, userID string) ([]DirectoryObject, error) {
	p, err := UserPath(userID)
	if err != nil {
		return nil, err
	}
	return List[DirectoryObject](ctx, c, "/v1.0"+p+"/transitiveMemberOf")
}

// DirectoryRoles lists the activated directory roles the user holds,
// directly or through groups (call 6 with the directoryRole cast). Compare
// RoleTemplateID, never ID. ConsistencyLevel: eventual and $count are sent
// on every page, as the docs ask for OData casts.
func (c *Client) DirectoryRoles(ctx context.Context, userID string) ([]DirectoryObject, error) {
	p, err := UserPath(userID)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set("ConsistencyLevel", "eventual")
	return list[DirectoryObject](ctx, c, "/v1.0"+p+"/transitiveMemberOf/microsoft.graph.directoryRole?$count=true", h)
}

// RoleEligibilitySchedules lists PIM eligible assignments of a principal
// (call 7).
func (c *Client) RoleEligibilitySchedules(ctx context.Context, principalID string) ([]RoleEligibilitySchedule, error) {
	f, err := eqFilter("principalId", principalID)
	if err != nil {
		return nil, err
	}
	return List[RoleEligibilitySchedule](ctx, c, "/v1.0/roleManagement/directory/roleEligibilitySchedules?"+f)
}

// RoleAssignmentScheduleInstances lists active PIM assignments (permanent
// and activated) of a principal (call 8).
func (c *Client) RoleAssignmentScheduleInstances(ctx context.Context, principalID string) ([]RoleAssignmentScheduleInstance, error) {
	f, err := eqFilter("principalId", principalID)
	if err != nil {
		return nil, err
	}
	return List[RoleAssignmentScheduleInstance](ctx, c, "/v1.0/roleManagement/directory/roleAssignmentScheduleInstances?"+f)
}

// MFARequirements reads the per-user MFA state (call 9, beta).
func (c *Client) MFARequirements(ctx context.Context, idOrUPN string) (*AuthenticationRequirements, error) {
	p, err := UserPath(idOrUPN)
	if err != nil {
		return nil, err
	}
	var r AuthenticationRequirements
	if err := c.Get(ctx, "/beta"+p+"/authentication/requirements", &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// SignInPreferences reads the user's sign-in preferences (call 10, beta).
func (c *Client) SignInPreferences(ctx context.Context, idOrUPN string) (*SignInPreferences, error) {
	p, err := UserPath(idOrUPN)
	if err != nil {
		return nil, err
	}
	var r SignInPreferences
	if err := c.Get(ctx, "/beta"+p+"/authentication/signInPreferences", &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// AuthenticationMethods lists the user's registered methods (call 11).
func (c *Client) AuthenticationMethods(ctx context.Context, idOrUPN string) ([]AuthenticationMethod, error) {
	p, err := UserPath(idOrUPN)
	if err != nil {
		return nil, err
	}
	return List[AuthenticationMethod](ctx, c, "/v1.0"+p+"/authentication/methods")
}

// RegistrationDetails reads the MFA registration report row of a user
// (call 12; report data, not real time).
func (c *Client) RegistrationDetails(ctx context.Context, userID string) (*UserRegistrationDetails, error) {
	if !guidRE.MatchString(userID) {
		return nil, fmt.Errorf("%w: user ID %q is not a GUID", ErrBadArgument, userID)
	}
	var d UserRegistrationDetails
	if err := c.Get(ctx, "/v1.0/reports/authenticationMethods/userRegistrationDetails/"+strings.ToLower(userID), &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// SecurityDefaults reads the security defaults policy (call 13).
func (c *Client) SecurityDefaults(ctx context.Context) (*SecurityDefaults, error) {
	var p SecurityDefaults
	if err := c.Get(ctx, "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy", &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// ConditionalAccessPolicies lists every CA policy (call 14). Requests are
// paced to 1 per second (Graph's per-tenant limit for CA).
func (c *Client) ConditionalAccessPolicies(ctx context.Context) ([]ConditionalAccessPolicy, error) {
	return List[ConditionalAccessPolicy](ctx, c, "/v1.0/identity/conditionalAccess/policies")
}

// AuthenticationStrengthPolicies lists built-in and custom authentication
// strengths (call 15).
func (c *Client) AuthenticationStrengthPolicies(ctx context.Context) ([]AuthenticationStrengthPolicy, error) {
	return List[AuthenticationStrengthPolicy](ctx, c, "/v1.0/policies/authenticationStrengthPolicies")
}

// PTAAgents lists the PTA agents of the tenant (call 16, beta; delegated
// tokens only).
func (c *Client) PTAAgents(ctx context.Context) ([]Agent, error) {
	return List[Agent](ctx, c, "/beta/onPremisesPublishingProfiles/authentication/agents")
}

// PTAAgentGroups lists the PTA agent groups with their agents (call 17).
func (c *Client) PTAAgentGroups(ctx context.Context) ([]AgentGroup, error) {
	return List[AgentGroup](ctx, c, "/beta/onPremisesPublishingProfiles/authentication/agentGroups?$expand=agents")
}

// PTAProfile reads the authentication publishing profile with agents and
// agent groups (call 18).
func (c *Client) PTAProfile(ctx context.Context) (*PublishingProfile, error) {
	var p PublishingProfile
	if err := c.Get(ctx, "/beta/onPremisesPublishingProfiles/authentication?$expand=agents,agentGroups", &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Admin reads the admin account: the user upn, or the signed-in user (/me)
// when upn is empty.
func (c *Client) Admin(ctx context.Context, upn string) (*User, error) {
	if upn == "" {
		return c.Me(ctx)
	}
	return c.User(ctx, upn)
}

var _ AdminSource = (*Client)(nil)
