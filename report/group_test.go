package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/ptacheck/ptacheck/checks"
)

// The three repetitions of issue 20 item 4, as the runner reports them.
func repeatedReport() *Report {
	chain := `token: device code request: unable to resolve an endpoint: server response error: Get "https://login.example/t/v2.0/.well-known/openid-configuration?": dial tcp 127.0.0.1:1: connect: connection refused`
	graph := func(id, op, url string) checks.Result {
		return checks.Result{ID: id, Status: checks.StatusError, Message: op + ": graph GET " + url + ": " + chain,
			Findings: []string{op + ": graph GET " + url + ": " + chain}, Remediation: "Graph could not be read; see the message, then re-run.", DocURL: "https://learn.microsoft.com/" + id}
	}
	skip := func(id string) checks.Result {
		return checks.Result{ID: id, Status: checks.StatusSkip, Message: "host facts need Windows (run on the agent server, or pass --host-snapshot FILE)"}
	}
	notRun := func(id string) checks.Result {
		return checks.Result{ID: id, Status: checks.StatusError, Message: "not run: the run deadline (--timeout) was exceeded",
			Findings: []string{"not run: the run deadline (--timeout) was exceeded"}, Remediation: "Re-run the check; raise --timeout if the run deadline cut it off.", DocURL: "https://learn.microsoft.com/" + id}
	}
	cut := func(id, what string) checks.Result {
		return checks.Result{ID: id, Status: checks.StatusError, Message: "the run deadline (--timeout) was exceeded before the check finished (and 1 more)",
			Findings:    []string{"the run deadline (--timeout) was exceeded before the check finished", "not evaluated: " + what + " (cut off)"},
			Remediation: "The check could not be evaluated; see the message, fix the cause and re-run.", DocURL: "https://learn.microsoft.com/" + id}
	}
	return &Report{Tool: "ptacheck", Version: "1.2.3", Command: "install", StartedAt: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC),
		Results: []checks.Result{
			skip("host.os"), skip("host.app-proxy-connector"), skip("host.existing-agent"), skip("host.tls12"), skip("host.dotnet"), skip("host.trusted-roots"),
			{ID: "net.outbound-ports", Status: checks.StatusPass, Message: "all 17 endpoints reachable"},
			notRun("net.tls-inspection"),
			graph("tenant.managed-domains", "list the tenant's domains", "/v1.0/domains"),
			graph("tenant.admin-account", "read the admin account (the signed-in user)", "/v1.0/me"),
			graph("tenant.agent-limit", "list the PTA agents", "/beta/onPremisesPublishingProfiles/authentication/agents"),
			cut("tenant.other-agents", "list the PTA agents"),
			cut("tenant.cloud-admin-fallback", "list the admins"),
			notRun("ad.dc-reachable"), notRun("ad.time-skew"),
			// Same status and message end, another fix: not the same block.
			{ID: "ad.forest-membership", Status: checks.StatusError, Message: "not run: the run deadline (--timeout) was exceeded", Remediation: "Another fix."},
		}}
}

// Say a thing once (issue 20 item 4): the text shows one block per cause,
// naming its checks, with one fix and no link of a single check; JSON and
// JUnit keep one result per check.
func TestTextSaysACauseOnce(t *testing.T) {
	rep := repeatedReport()
	var buf bytes.Buffer
	if err := Text(&buf, rep, Options{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, tc := range []struct {
		text string
		n    int
	}{
		{"connect: connection refused", 1},                        // the Graph chain, once
		{"host facts need Windows", 1},                            // six skips, one line
		{"not run: the run deadline (--timeout) was exceeded", 2}, // three with one fix, one with another
		{"fix: Graph could not be read", 1},
		{"fix: Re-run the check", 1},
		{"fix: Another fix.", 1},
		{"see: ", 0}, // each group's members link pages of their own; ad.forest-membership has none
		{"checks: host.os, host.app-proxy-connector, host.existing-agent, host.tls12, host.dotnet, host.trusted-roots", 1},
		{"checks: net.tls-inspection, ad.dc-reachable, ad.time-skew", 1},
		{"- tenant.managed-domains: list the tenant's domains: graph GET /v1.0/domains\n", 1},
		{"- tenant.other-agents: not evaluated: list the PTA agents (cut off)\n", 1},
		{"- tenant.cloud-admin-fallback: not evaluated: list the admins (cut off)\n", 1},
		{"SKIP   6 checks", 1},
		{"ERROR  3 checks", 2},
		{"ERROR  2 checks", 1},
	} {
		if got := strings.Count(out, tc.text); got != tc.n {
			t.Errorf("%q %d times, want %d:\n%s", tc.text, got, tc.n, out)
		}
	}
	// The blocks stand where their first check stands.
	order := []string{"SKIP   6 checks", "PASS   net.outbound-ports", "checks: net.tls-inspection", "- tenant.managed-domains", "- tenant.other-agents", "ad.forest-membership"}
	last := -1
	for _, s := range order {
		i := strings.Index(out, s)
		if i < last {
			t.Errorf("%q out of checklist order:\n%s", s, out)
		}
		last = i
	}

	var doc struct {
		Checks []struct{ ID, Message string }
	}
	buf.Reset()
	JSON(&buf, rep, Options{})
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil || len(doc.Checks) != len(rep.Results) {
		t.Errorf("JSON: %v, %d checks, want %d", err, len(doc.Checks), len(rep.Results))
	}
	buf.Reset()
	JUnit(&buf, rep, Options{})
	if err := xml.Unmarshal(buf.Bytes(), new(any)); err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		if !strings.Contains(buf.String(), `<testcase name="`+r.ID+`"`) {
			t.Errorf("JUnit: no test case of its own for %s", r.ID)
		}
	}
}

// Causes are compared at ": " boundaries, and a short common end ("connection
// refused") is not a cause two checks share.
func TestGroupResultsBoundaries(t *testing.T) {
	r := func(id, msg string) checks.Result {
		return checks.Result{ID: id, Status: checks.StatusFail, Message: msg, Remediation: "fix"}
	}
	for _, tc := range []struct {
		name   string
		in     []checks.Result
		blocks int
	}{
		{"short common end", []checks.Result{r("a.x", "dial dc1: connection refused"), r("a.y", "dial dc2: connection refused")}, 2},
		{"common end inside a segment", []checks.Result{r("a.x", "the dc1 answer was not valid at all"), r("a.y", "the dc2 answer was not valid at all")}, 2},
		{"long common end", []checks.Result{r("a.x", "read x: the server closed the connection early"), r("a.y", "read y: the server closed the connection early")}, 1},
		{"identical", []checks.Result{r("a.x", "no DC answered in time"), r("a.y", "no DC answered in time")}, 1},
		{"passes stay apart", []checks.Result{{ID: "a.x", Status: checks.StatusPass, Message: "all fine and well here"}, {ID: "a.y", Status: checks.StatusPass, Message: "all fine and well here"}}, 2},
	} {
		if got := len(groupResults(tc.in)); got != tc.blocks {
			t.Errorf("%s: %d blocks, want %d", tc.name, got, tc.blocks)
		}
	}
}

// At width 0 a table is what text/tabwriter wrote before; at a width it
// wraps its last column under itself, or stacks its rows.
func TestTableFits(t *testing.T) {
	rows := [][]string{
		{"ID", "PHASES", "DESCRIPTION"},
		{"host.os", "install", "Windows Server 2016-2022 with the Desktop Experience; not Server Core or Nano Server"},
		{"tenant.cloud-admin-fallback", "install,register,enable", "at least one cloud-only Global Administrator"},
		{"", "", "  e.g. a continuation line"},
	}
	tb := newTable(rows[0]...)
	var want bytes.Buffer
	tw := tabwriter.NewWriter(&want, 0, 4, 2, ' ', 0)
	for i, r := range rows {
		if i > 0 {
			tb.add(r...)
		}
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
	var got bytes.Buffer
	tb.write(&got, 0)
	if got.String() != want.String() {
		t.Errorf("width 0:\n%s\nwant (tabwriter):\n%s", got.String(), want.String())
	}
	for _, width := range []int{100, 60, 40} {
		got.Reset()
		tb.write(&got, width)
		for _, line := range strings.Split(strings.TrimSuffix(got.String(), "\n"), "\n") {
			if len(line) > width {
				t.Errorf("width %d: %q is %d wide:\n%s", width, line, len(line), got.String())
			}
		}
		if !strings.Contains(strings.Join(strings.Fields(got.String()), " "), "Desktop Experience; not Server Core") {
			t.Errorf("width %d: a description lost words:\n%s", width, got.String())
		}
		if width == 100 && !strings.Contains(got.String(), "\n"+strings.Repeat(" ", 54)+"Experience;") {
			t.Errorf("width 100: the last column does not hang under itself:\n%s", got.String())
		}
		if width == 40 && !strings.Contains(got.String(), "tenant.cloud-admin-fallback\n    phases install,register,enable\n") {
			t.Errorf("width 40: rows not stacked:\n%s", got.String())
		}
	}
}
