package checks

import (
	"reflect"
	"slices"
	"testing"
)

// The fleet rule of `ptacheck summarize` before uninstalling agents from
// several servers, over agent lists (no reports read).
func TestRemovalPlanEvaluate(t *testing.T) {
	agents := func(spec ...string) []AgentInfo { // "NAME:status"
		var out []AgentInfo
		for i, s := range spec {
			for j := range len(s) {
				if s[j] == ':' {
					out = append(out, AgentInfo{ID: string(rune('a' + i)), MachineName: s[:j], Status: s[j+1:]})
				}
			}
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		plan      RemovalPlan
		status    Status
		message   string
		remaining []string
		removed   []string
	}{
		{name: "nothing removed: no finding", plan: RemovalPlan{Agents: agents("pta1:active")}},
		{name: "no agent list: error naming the servers",
			plan:   RemovalPlan{Removing: []string{"pta1", "pta2"}},
			status: StatusError,
			message: "cannot tell how many active agents the removal of pta1, pta2 leaves: no uninstall report lists the tenant's agents " +
				"(run the uninstall phase with a Graph token)",
			remaining: []string{}, removed: []string{}},
		{name: "the last active agent: fail",
			plan:   RemovalPlan{Removing: []string{"pta1"}, Agents: agents("pta1:active", "pta2:inactive"), Source: "pta1.json"},
			status: StatusFail,
			message: "uninstalling from pta1 would leave no active agent (agent list from pta1.json): Pass-through sign-ins would fail; " +
				"keep at least one agent, or switch the tenant's sign-in method first",
			remaining: []string{}, removed: []string{"pta1"}},
		{name: "an empty agent list is a list: no active agent left",
			plan:   RemovalPlan{Removing: []string{"pta1"}, Agents: []AgentInfo{}, Source: "pta1.json"},
			status: StatusFail, remaining: []string{}, removed: []string{},
			message: "uninstalling from pta1 would leave no active agent (agent list from pta1.json): Pass-through sign-ins would fail; " +
				"keep at least one agent, or switch the tenant's sign-in method first"},
		{name: "one left: warn, singular",
			plan:      RemovalPlan{Removing: []string{"pta1"}, Agents: agents("pta1:active", "pta2:active"), Source: "r.json"},
			status:    StatusWarn,
			message:   "uninstalling from pta1 would leave 1 active agent (pta2) (agent list from r.json): Microsoft recommends at least 3 for high availability",
			remaining: []string{"pta2"}, removed: []string{"pta1"}},
		{name: "two left: warn, sorted",
			plan:      RemovalPlan{Removing: []string{"pta9"}, Agents: agents("ptaz:active", "pta9:active", "ptab:active"), Source: "r.json"},
			status:    StatusWarn,
			message:   "uninstalling from pta9 would leave 2 active agents (ptab, ptaz) (agent list from r.json): Microsoft recommends at least 3 for high availability",
			remaining: []string{"ptab", "ptaz"}, removed: []string{"pta9"}},
		{name: "three left: pass",
			plan:      RemovalPlan{Removing: []string{"pta4"}, Agents: agents("pta1:active", "pta2:active", "pta3:active", "pta4:active"), Source: "r.json"},
			status:    StatusPass,
			message:   "uninstalling from pta4 would leave 3 active agents (pta1, pta2, pta3) (agent list from r.json)",
			remaining: []string{"pta1", "pta2", "pta3"}, removed: []string{"pta4"}},
		{name: "inactive agents do not count, either way",
			plan:      RemovalPlan{Removing: []string{"pta1", "old1"}, Agents: agents("pta1:active", "pta2:active", "old1:inactive", "old2:inactive"), Source: "r.json"},
			status:    StatusWarn,
			message:   "uninstalling from pta1, old1 would leave 1 active agent (pta2) (agent list from r.json): Microsoft recommends at least 3 for high availability",
			remaining: []string{"pta2"}, removed: []string{"pta1"}},
		{name: "status in any case",
			plan:   RemovalPlan{Removing: []string{"pta1"}, Agents: agents("pta1:Active", "pta2:ACTIVE"), Source: "r.json"},
			status: StatusWarn, remaining: []string{"pta2"}, removed: []string{"pta1"},
			message: "uninstalling from pta1 would leave 1 active agent (pta2) (agent list from r.json): Microsoft recommends at least 3 for high availability"},
		{name: "removing every agent at once",
			plan:   RemovalPlan{Removing: []string{"pta2", "pta1"}, Agents: agents("pta1:active", "pta2:active"), Source: "r.json"},
			status: StatusFail, remaining: []string{}, removed: []string{"pta1", "pta2"},
			message: "uninstalling from pta2, pta1 would leave no active agent (agent list from r.json): Pass-through sign-ins would fail; " +
				"keep at least one agent, or switch the tenant's sign-in method first"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.plan.Evaluate()
			if f.Status != tc.status || f.Message != tc.message {
				t.Fatalf("%q %q,\nwant %q %q", f.Status, f.Message, tc.status, tc.message)
			}
			if !reflect.DeepEqual(f.Remaining, tc.remaining) || !reflect.DeepEqual(f.Removed, tc.removed) {
				t.Fatalf("remaining %q removed %q, want %q %q", f.Remaining, f.Removed, tc.remaining, tc.removed)
			}
			// Same plan, same finding; the agent list's order does not matter.
			again := tc.plan
			again.Agents = slices.Clone(tc.plan.Agents) // nil stays nil, empty stays empty
			slices.Reverse(again.Agents)
			if g := again.Evaluate(); !reflect.DeepEqual(g, f) {
				t.Fatalf("reversed agent list: %+v, want %+v", g, f)
			}
		})
	}
}

// A server is the same machine whether a report names it short or fully
// qualified, in any case (sameMachine): a removal must not count twice.
func TestRemovalPlanMachineNames(t *testing.T) {
	plan := RemovalPlan{Removing: []string{"PTA1"}, Source: "r.json", Agents: []AgentInfo{
		{ID: "1", MachineName: "pta1.corp.contoso.test", Status: "active"},
		{ID: "2", MachineName: "pta2.corp.contoso.test", Status: "active"},
		{ID: "3", MachineName: "pta3", Status: "active"},
		{ID: "4", MachineName: "pta10.corp.contoso.test", Status: "active"},
	}}
	f := plan.Evaluate()
	if !reflect.DeepEqual(f.Removed, []string{"pta1.corp.contoso.test"}) || len(f.Remaining) != 3 || f.Status != StatusPass {
		t.Fatalf("%+v", f)
	}
}
