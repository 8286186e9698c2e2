package graph

import (
	"context"
	"strings"
)

// Fact is one gathered fact: the value read, or why it could not be read.
type Fact[T any] struct {
	V   T
	Err error
}

// read runs f and keeps its answer or its error.
func read[T any](ctx context.Context, f func(context.Context) (T, error)) Fact[T] {
	v, err := f(ctx)
	return Fact[T]{V: v, Err: err}
}

// AdminSource is what the admin gatherer reads: a *Client, or a cache in
// front of one that shares answers between checks.
type AdminSource interface {
	Admin(ctx context.Context, upn string) (*User, error) // "" = the signed-in user
	RoleAssignments(ctx context.Context, principalID string) ([]RoleAssignment, error)
	RoleAssignmentScheduleInstances(ctx context.Context, principalID string) ([]RoleAssignmentScheduleInstance, error)
	RoleEligibilitySchedules(ctx context.Context, principalID string) ([]RoleEligibilitySchedule, error)
	DirectoryRoles(ctx context.Context, userID string) ([]DirectoryObject, error)
	MemberOf(ctx context.Context, userID string) ([]DirectoryObject, error)
	RoleHolders(ctx context.Context, roleDefinitionID string) ([]RoleAssignment, error)
	MFARequirements(ctx context.Context, userID string) (*AuthenticationRequirements, error)
	SecurityDefaults(ctx context.Context) (*SecurityDefaults, error)
	ConditionalAccessPolicies(ctx context.Context) ([]ConditionalAccessPolicy, error)
	AuthenticationStrengthPolicies(ctx context.Context) ([]AuthenticationStrengthPolicy, error)
}

// AdminRoles are the roles that may install, register and enable agents:
// Global Administrator, and Hybrid Identity Administrator (the role the
// current quick start, troubleshooting and security deep-dive pages name).
var AdminRoles = []string{RoleGlobalAdministrator, RoleHybridIdentityAdministrator}

// AdminFacts is everything tenant.admin-account decides on, each fact with
// the error that kept it from being read. Gathering never decides: the
// check does.
type AdminFacts struct {
	User Fact[*User]
	// Direct active assignments (call 4), PIM instances (call 8, needs
	// Entra ID P2: an error there is not a verdict), eligibilities (call
	// 7), directory roles held directly or through groups (call 6 cast)
	// and the user's transitive groups (call 6).
	Assignments    Fact[[]RoleAssignment]
	Instances      Fact[[]RoleAssignmentScheduleInstance]
	Eligible       Fact[[]RoleEligibilitySchedule]
	DirectoryRoles Fact[[]DirectoryObject]
	Groups         Fact[[]DirectoryObject]
	// Holders of an admin role (call 5, principals expanded), read only for
	// a role the user holds but not directly: they name the group.
	Holders map[string]Fact[[]RoleAssignment]

	MFA              Fact[*AuthenticationRequirements]
	SecurityDefaults Fact[*SecurityDefaults]
	Policies         Fact[[]ConditionalAccessPolicy]
	Strengths        Fact[[]AuthenticationStrengthPolicy]
}

// GatherAdmin reads the admin account (upn, or the signed-in user when
// empty) and every fact tenant.admin-account needs about it. When the user
// cannot be read, nothing else is.
func GatherAdmin(ctx context.Context, src AdminSource, upn string) *AdminFacts {
	f := &AdminFacts{User: read(ctx, func(ctx context.Context) (*User, error) { return src.Admin(ctx, upn) })}
	if f.User.Err != nil {
		return f
	}
	id := f.User.V.ID
	byID := func(call func(context.Context, string) ([]RoleAssignment, error)) func(context.Context) ([]RoleAssignment, error) {
		return func(ctx context.Context) ([]RoleAssignment, error) { return call(ctx, id) }
	}
	f.Assignments = read(ctx, byID(src.RoleAssignments))
	f.Instances = read(ctx, func(ctx context.Context) ([]RoleAssignmentScheduleInstance, error) {
		return src.RoleAssignmentScheduleInstances(ctx, id)
	})
	f.Eligible = read(ctx, func(ctx context.Context) ([]RoleEligibilitySchedule, error) {
		return src.RoleEligibilitySchedules(ctx, id)
	})
	f.DirectoryRoles = read(ctx, func(ctx context.Context) ([]DirectoryObject, error) { return src.DirectoryRoles(ctx, id) })
	f.Groups = read(ctx, func(ctx context.Context) ([]DirectoryObject, error) { return src.MemberOf(ctx, id) })
	f.Holders = map[string]Fact[[]RoleAssignment]{}
	for _, role := range AdminRoles {
		if f.heldIndirectly(role) {
			f.Holders[role] = read(ctx, func(ctx context.Context) ([]RoleAssignment, error) { return src.RoleHolders(ctx, role) })
		}
	}
	f.MFA = read(ctx, func(ctx context.Context) (*AuthenticationRequirements, error) { return src.MFARequirements(ctx, id) })
	f.SecurityDefaults = read(ctx, src.SecurityDefaults)
	f.Policies = read(ctx, src.ConditionalAccessPolicies)
	f.Strengths = read(ctx, src.AuthenticationStrengthPolicies)
	return f
}

// heldIndirectly reports a role the directory roles or PIM instances show
// for the user with no direct tenant-wide assignment of it.
func (f *AdminFacts) heldIndirectly(role string) bool {
	for _, a := range f.Assignments.V {
		if strings.EqualFold(a.RoleDefinitionID, role) && a.TenantWide() {
			return false
		}
	}
	for _, r := range f.DirectoryRoles.V {
		if strings.EqualFold(r.RoleTemplateID, role) {
			return true
		}
	}
	for _, i := range f.Instances.V {
		if strings.EqualFold(i.RoleDefinitionID, role) && !strings.EqualFold(i.MemberType, "Direct") {
			return true
		}
	}
	return false
}
