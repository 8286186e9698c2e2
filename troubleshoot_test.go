package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ptacheck/ptacheck/checks/tracelog/tracelogtest"
)

// The counts of `ptacheck logs -o json` on a generated log equal the
// generator's ground truth, reason by reason.
func TestLogsMatchTheGroundTruth(t *testing.T) {
	path := filepath.Join(t.TempDir(), "AzureADConnectAuthenticationAgent_trace.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	truth, err := tracelogtest.Generate(f, tracelogtest.Config{Size: 3 << 20, Seed: 7})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "logs", "-o", "json", path)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var got struct {
		Kind     string `json:"kind"`
		Records  int    `json:"records"`
		Failures int    `json:"failures"`
		Reasons  []struct {
			Code       int      `json:"code"`
			Count      int      `json:"count"`
			First      string   `json:"first"`
			Last       string   `json:"last"`
			Message    string   `json:"message"`
			RequestIDs []string `json:"request_ids"`
		} `json:"reasons"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatal(err)
	}
	if got.Kind != "logs" || got.Records != truth.Records || got.Failures != truth.Failures || len(got.Reasons) != len(truth.Reasons) {
		t.Fatalf("records %d failures %d reasons %d; truth %d %d %d", got.Records, got.Failures, len(got.Reasons), truth.Records, truth.Failures, len(truth.Reasons))
	}
	for i, want := range truth.Reasons {
		g := got.Reasons[i]
		if g.Code != want.Code || g.Count != want.Count || strings.Join(g.RequestIDs, ",") != strings.Join(want.RequestIDs, ",") ||
			(!want.First.IsZero() && g.First != want.First.UTC().Format(time.RFC3339Nano)) || g.Message == "" {
			t.Errorf("reason %d: %+v, want %+v", i, g, want)
		}
	}
	// Filters: a window and a request ID.
	r = runCLI(t, "logs", "-o", "json", "--request-id", truth.Reasons[0].RequestIDs[0], path)
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Failures != 1 || got.Reasons[0].Code != truth.Reasons[0].Code {
		t.Fatalf("--request-id: %v %+v", err, got)
	}
	r = runCLI(t, "logs", "-o", "json", "--since", "2030-01-01", path)
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Failures != 0 || len(got.Reasons) != 0 {
		t.Fatalf("--since after every record: %v %+v", err, got)
	}
	r = runCLI(t, "logs", path)
	if r.code != 0 || !strings.Contains(r.stdout, "REASON") || !strings.Contains(r.stdout, "ERROR_LOGON_FAILURE") {
		t.Fatalf("text: %s", r.stdout)
	}
}

func TestTroubleshootingUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"explain"}, "name at least one code"},
		{[]string{"explain", "AADSTS99999"}, "unknown code"},
		{[]string{"explain", "hello"}, `parse code "hello"`},
		{[]string{"logs", "/no/such/trace.log"}, "no such file"},
		{[]string{"logs", "--since", "yesterday", "x"}, "--since"},
		{[]string{"logs", "--request-id", "42", "x"}, "--request-id"},
		{[]string{"dc-query", "--format", "csv"}, "want xml or xpath"},
	} {
		r := runCLI(t, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: exit %d %q, want 2 and one line with %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

func TestExplainAndDCQuery(t *testing.T) {
	r := runCLI(t, "explain", "AADSTS8002", "1328", "0xC000006D", "-o", "json")
	var got struct {
		Codes []struct {
			Code          string   `json:"code"`
			Symbol        string   `json:"symbol"`
			Note          string   `json:"note"`
			RelatedChecks []string `json:"related_checks"`
		} `json:"codes"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || len(got.Codes) != 3 {
		t.Fatalf("%v %s", err, r.stdout)
	}
	if got.Codes[0].Code != "AADSTS80002" || !strings.Contains(got.Codes[0].Note, "typo") || got.Codes[1].Symbol != "ERROR_INVALID_LOGON_HOURS" ||
		!strings.Contains(strings.Join(got.Codes[1].RelatedChecks, ","), "user.account-state") || got.Codes[2].Symbol != "STATUS_LOGON_FAILURE" {
		t.Errorf("%+v", got.Codes)
	}
	r = runCLI(t, "dc-query", "--agent-path", `D:\Agents\AzureADConnectAuthenticationAgentService.exe`)
	if r.code != 0 || !strings.Contains(r.stdout, `<Select Path="Security">*[EventData[Data[@Name='ProcessName'] and (Data='D:\Agents\AzureADConnectAuthenticationAgentService.exe')]]</Select>`) {
		t.Errorf("dc-query: %s", r.stdout)
	}
	r = runCLI(t, "dc-query", "--format", "xpath")
	if r.code != 0 || !strings.Contains(r.stdout, "AzureADConnectAuthenticationAgentService.exe' or Data='C:\\Program Files\\Microsoft AAD App Proxy Connector") {
		t.Errorf("dc-query xpath (both agents): %s", r.stdout)
	}
}
