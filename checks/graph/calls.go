package graph

import (
	"sort"
	"strings"
)

// Call names one kind of Graph request ptacheck makes (graph-api.md
// section 1). It maps a request path to the least delegated permission, for
// the scopes to request and for 401/403 messages.
type Call string

// The calls, numbered as the rows of graph-api.md section 1.
const (
	CallOrganization        Call = "organization"                     // 1
	CallDomains             Call = "domains"                          // 2
	CallUser                Call = "user"                             // 3
	CallRoleAssignments     Call = "roleAssignments"                  // 4, 5
	CallMemberOf            Call = "transitiveMemberOf"               // 6
	CallRoleEligibility     Call = "roleEligibilitySchedules"         // 7
	CallRoleAssignmentsPIM  Call = "roleAssignmentScheduleInstances"  // 8
	CallMFARequirements     Call = "authentication/requirements"      // 9 (beta)
	CallSignInPreferences   Call = "authentication/signInPreferences" // 10 (beta)
	CallAuthMethods         Call = "authentication/methods"           // 11
	CallRegistrationDetails Call = "userRegistrationDetails"          // 12
	CallSecurityDefaults    Call = "securityDefaults"                 // 13
	CallConditionalAccess   Call = "conditionalAccess"                // 14
	CallAuthStrengths       Call = "authenticationStrengthPolicies"   // 15
	CallPTAAgents           Call = "ptaAgents"                        // 16, 17, 18 (beta)
)

// rbacReaders are the roles that can read directory role assignments.
const rbacReaders = "Directory Readers, Global Reader or Privileged Role Administrator"

type callInfo struct {
	call Call
	// pattern matches the request path without query: segments separated
	// by "/", "*" matches one segment, a final "**" matches the rest (also
	// nothing). "{v}" is v1.0 or beta. Matching ignores case.
	pattern    string
	permission string // least delegated permission
	roles      string // directory roles the signed-in user needs (hint)
}

// calls is the path -> permission table (graph-api.md sections 1, 3-5).
// More specific patterns come first.
var calls = []callInfo{
	{CallOrganization, "{v}/organization/**", "Organization.Read.All", ""},
	{CallDomains, "{v}/domains/**", "Domain.Read.All", ""},
	{CallMemberOf, "{v}/users/*/transitiveMemberOf/**", "User.Read.All", "Directory Readers or Global Reader"},
	{CallMFARequirements, "{v}/users/*/authentication/requirements", "Policy.Read.All", "Global Reader or Authentication Policy Administrator"},
	{CallSignInPreferences, "{v}/users/*/authentication/signInPreferences", "Policy.Read.All", "Global Reader or Authentication Policy Administrator"},
	{CallAuthMethods, "{v}/users/*/authentication/methods/**", "UserAuthenticationMethod.Read.All", "Global Reader or Authentication Administrator"},
	{CallUser, "{v}/users/*", "User.Read.All", ""},
	{CallUser, "{v}/users", "User.Read.All", ""}, // the synchronised users of a domain (SyncedUserCount)
	{CallRoleAssignments, "{v}/roleManagement/directory/roleAssignments/**", "RoleManagement.Read.Directory", rbacReaders},
	{CallRoleEligibility, "{v}/roleManagement/directory/roleEligibilitySchedules/**", "RoleEligibilitySchedule.Read.Directory", "Global Reader, Security Reader or Privileged Role Administrator"},
	{CallRoleEligibility, "{v}/roleManagement/directory/roleEligibilityScheduleInstances/**", "RoleEligibilitySchedule.Read.Directory", "Global Reader, Security Reader or Privileged Role Administrator"},
	{CallRoleAssignmentsPIM, "{v}/roleManagement/directory/roleAssignmentScheduleInstances/**", "RoleAssignmentSchedule.Read.Directory", "Global Reader, Security Reader or Privileged Role Administrator"},
	{CallRegistrationDetails, "{v}/reports/authenticationMethods/userRegistrationDetails/**", "AuditLog.Read.All", "Reports Reader, Security Reader or Global Reader"},
	{CallSecurityDefaults, "{v}/policies/identitySecurityDefaultsEnforcementPolicy", "Policy.Read.All", "Global Reader or Security Reader"},
	{CallConditionalAccess, "{v}/identity/conditionalAccess/**", "Policy.Read.All", "Global Reader, Security Reader or Conditional Access Administrator"},
	// authenticationstrengthroot-list-policies: least privileged
	// Policy.Read.AuthenticationMethod (Policy.Read.All also works).
	{CallAuthStrengths, "{v}/policies/authenticationStrengthPolicies/**", "Policy.Read.AuthenticationMethod", "Conditional Access Administrator, Security Administrator, Security Reader or Global Reader"},
	{CallPTAAgents, "{v}/onPremisesPublishingProfiles/authentication/**", "Policy.Read.HybridAuthentication", "Hybrid Identity Administrator or Global Administrator (UNVERIFIED)"},
}

func (c Call) info() (callInfo, bool) {
	for _, ci := range calls {
		if ci.call == c {
			return ci, true
		}
	}
	return callInfo{}, false
}

// Permission is the least delegated permission for the call, e.g.
// "User.Read.All"; "" for an unknown call.
func (c Call) Permission() string {
	ci, _ := c.info()
	return ci.permission
}

func (c Call) roles() string {
	ci, _ := c.info()
	return ci.roles
}

// AllCalls lists every call, in the order of graph-api.md section 1.
func AllCalls() []Call {
	var out []Call
	seen := map[Call]bool{}
	for _, ci := range calls {
		if !seen[ci.call] {
			seen[ci.call] = true
			out = append(out, ci.call)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return callOrder[out[i]] < callOrder[out[j]] })
	return out
}

var callOrder = map[Call]int{
	CallOrganization: 1, CallDomains: 2, CallUser: 3, CallRoleAssignments: 4, CallMemberOf: 6,
	CallRoleEligibility: 7, CallRoleAssignmentsPIM: 8, CallMFARequirements: 9, CallSignInPreferences: 10,
	CallAuthMethods: 11, CallRegistrationDetails: 12, CallSecurityDefaults: 13, CallConditionalAccess: 14,
	CallAuthStrengths: 15, CallPTAAgents: 16,
}

// coveredBy names a permission that includes another: a sign-in that asks
// for the wider one anyway need not ask (and have consented) the narrower.
var coveredBy = map[string]string{"Policy.Read.AuthenticationMethod": "Policy.Read.All"}

// Scopes returns the delegated scopes (full URIs on graphURL, the cloud's
// Graph root such as https://graph.microsoft.us) for the given calls,
// deduplicated and sorted; a permission another requested one includes is
// left out. MSAL adds openid, profile and offline_access.
func Scopes(graphURL string, cs ...Call) []string {
	root := strings.TrimSuffix(graphURL, "/")
	perms := map[string]bool{}
	for _, c := range cs {
		if p := c.Permission(); p != "" {
			perms[p] = true
		}
	}
	set := map[string]bool{}
	for p := range perms {
		if !perms[coveredBy[p]] {
			set[root+"/"+p] = true
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// CallForPath finds the call a request path (query allowed) belongs to.
func CallForPath(path string) (Call, bool) {
	segs := splitPath(pathOnly(path))
	for _, ci := range calls {
		if matchSegments(splitPath(ci.pattern), segs) {
			return ci.call, true
		}
	}
	return "", false
}

// splitPath splits a path into segments; the key form users('$x@y') counts
// as the two segments users and '$x@y'.
func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	var out []string
	for _, s := range strings.Split(p, "/") {
		if i := strings.Index(s, "('"); i > 0 && strings.HasSuffix(s, "')") {
			out = append(out, s[:i], s[i+1:])
			continue
		}
		out = append(out, s)
	}
	return out
}

func matchSegments(pat, segs []string) bool {
	for i, p := range pat {
		if p == "**" {
			return true
		}
		if i >= len(segs) {
			return false
		}
		s := segs[i]
		switch {
		case p == "*":
		case p == "{v}":
			if s != "v1.0" && !strings.EqualFold(s, "beta") {
				return false
			}
		case !strings.EqualFold(p, s):
			return false
		}
	}
	return len(pat) == len(segs)
}
