package checks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ptacheck/ptacheck/checks/graph"
)

// The Conditional Access part of tenant.admin-account: which enabled or
// report-only policies may demand MFA from the admin, or block it.

// conditionalAccess evaluates every enabled or report-only policy for the
// admin. A policy whose state is not one Graph documents cannot be passed
// over: it is not read.
func (a *adminDecision) conditionalAccess(f *graph.AdminFacts, u *graph.User) {
	if f.Policies.Err != nil {
		a.unread("Conditional Access policies: %v", f.Policies.Err)
		return
	}
	subject := graph.Subject{UserID: u.ID, Guest: strings.EqualFold(u.UserType, "Guest")}
	if f.DirectoryRoles.Err == nil {
		for _, r := range f.DirectoryRoles.V {
			subject.RoleTemplateIDs = append(subject.RoleTemplateIDs, r.RoleTemplateID)
		}
	} else {
		subject.RolesUnknown = true
	}
	if f.Assignments.Err == nil {
		for _, r := range f.Assignments.V {
			if r.TenantWide() && !slices.ContainsFunc(subject.RoleTemplateIDs, func(x string) bool { return strings.EqualFold(x, r.RoleDefinitionID) }) {
				subject.RoleTemplateIDs = append(subject.RoleTemplateIDs, r.RoleDefinitionID)
			}
		}
	}
	if f.Groups.Err == nil {
		for _, g := range f.Groups.V {
			if g.IsType(graph.ODataTypeGroup) {
				subject.GroupIDs = append(subject.GroupIDs, g.ID)
			}
		}
	} else {
		subject.GroupsUnknown = true
	}
	// Without the strengths list, the built-in strengths are still known
	// by ID; a custom one gives "maybe".
	index := graph.StrengthIndex(f.Strengths.V)
	for _, p := range f.Policies.V {
		switch {
		case p.Enforced(), p.ReportOnly():
		case strings.EqualFold(p.State, graph.CAStateDisabled):
			continue
		default:
			a.unread("Conditional Access policy %q (%s): GET /v1.0/identity/conditionalAccess/policies answered state %q, not enabled, disabled or enabledForReportingButNotEnforced", p.DisplayName, p.ID, p.State)
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
		cf := caFinding{ID: p.ID, Name: p.DisplayName, State: p.State, Applies: triWord(applies.Value), MFA: triWord(mfa.Value), Reasons: append(append([]string{}, applies.Reasons...), mfa.Reasons...)}
		a.d.Policies = append(a.d.Policies, cf)
		what := "requires MFA"
		if blocks {
			what = "blocks the sign-in"
		}
		label := fmt.Sprintf("Conditional Access policy %q (%s)", p.DisplayName, p.ID)
		switch {
		case p.ReportOnly():
			a.warnf("%s %s for %s, in report-only mode (not enforced)", label, what, a.name)
		case applies.Value == graph.Yes && (mfa.Value == graph.Yes || blocks):
			a.failf("%s %s for %s (%s)", label, what, a.name, strings.Join(cf.Reasons, "; "))
		default:
			a.warnf("%s may %s for %s (%s)", label, strings.Replace(what, "requires", "require", 1), a.name, strings.Join(cf.Reasons, "; "))
		}
	}
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
