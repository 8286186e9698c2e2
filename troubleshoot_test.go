package main

import (
	"encoding/json"
	"fmt"
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

// TestLogsFolderFilter: a folder like /tmp holds Samba logs, build logs and
// source files besides an agent trace log and exported Security events:
// only the latter two are read, the rest is counted and named under -v.
func TestLogsFolderFilter(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	trace := "AzureADConnectAuthenticationAgentService.exe Error: 0 : Passthrough Authentication request failed. RequestId: 'df63f4a4-68b9-44ae-8d81-6ad2d844d84e'. Reason: '1326'.\r\n    ThreadId=5\r\n    DateTime=2026-11-24T08:00:00.0000000Z\r\n"
	write("pta/trace.log", trace)
	write("samba/log.smbd", "[2026/11/24 08:00:00.123456,  0] ../../source3/smbd/server.c:1734(main)\n  smbd version 4.19.5 started.\n")
	write("build/pip.log", "Collecting setuptools\nERROR: 0 : pip failed\n")
	write("src/x_test.go", "package x\n")
	sec, err := os.ReadFile(filepath.Join("checks", "secevents", "testdata", "wevtutil.xml"))
	if err != nil {
		t.Fatal(err)
	}
	write("export/security.xml", string(sec))

	r := runCLI(t, "logs", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "1 trace file read, 1 record, 1 failed sign-in") ||
		!strings.Contains(r.stdout, "3 files in the folders passed over: neither agent trace logs nor Security events (-v names them)") ||
		strings.Contains(r.stdout, "log.smbd") || !strings.Contains(r.stdout, "Security events: 1 file read, 6 events; the agent's logons: 3 failed, 1 succeeded") ||
		!strings.Contains(r.stdout, "0xC000006A STATUS_WRONG_PASSWORD") || !strings.Contains(r.stdout, "1 logon of another process ignored") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, "logs", "-v", dir)
	for _, name := range []string{"samba/log.smbd", "build/pip.log", "src/x_test.go"} {
		if !strings.Contains(r.stdout, "passed over "+filepath.Join(dir, filepath.FromSlash(name))) {
			t.Errorf("-v does not name %s:\n%s", name, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "passed over "+filepath.Join(dir, "export")) {
		t.Errorf("the Security events are named as passed over:\n%s", r.stdout)
	}

	// JSON: the Security part in the trace-log reasons shape, code in hex.
	r = runCLI(t, "logs", "-o", "json", dir)
	var got struct {
		Failures   int      `json:"failures"`
		PassedOver []string `json:"passed_over"`
		Security   struct {
			Logons       int `json:"logons"`
			OtherProcess int `json:"other_process"`
			Failures     int `json:"failures"`
			Reasons      []struct {
				Code     string `json:"code"`
				Count    int    `json:"count"`
				Accounts int    `json:"accounts"`
				First    string `json:"first"`
				Symbol   string `json:"symbol"`
				Message  string `json:"message"`
			} `json:"reasons"`
			Successes struct {
				Count    int `json:"count"`
				Accounts int `json:"accounts"`
			} `json:"successes"`
		} `json:"security_events"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatal(err, r.stdout)
	}
	sr := got.Security
	if got.Failures != 1 || len(got.PassedOver) != 3 || sr.Logons != 5 || sr.OtherProcess != 1 || sr.Failures != 3 || len(sr.Reasons) != 2 ||
		sr.Reasons[0].Code != "0xC000006A" || sr.Reasons[0].Count != 2 || sr.Reasons[0].Accounts != 1 || sr.Reasons[0].First != "2026-11-24T08:15:02.1234567Z" ||
		sr.Reasons[0].Symbol != "STATUS_WRONG_PASSWORD" || sr.Reasons[0].Message == "" || sr.Reasons[1].Code != "0xC0000234" || sr.Successes.Count != 1 {
		t.Fatalf("%+v", got)
	}

	// An explicit file is read whatever it looks like, the XML as Security
	// events; an .evtx is refused with how to export XML.
	r = runCLI(t, "logs", filepath.Join(dir, "samba", "log.smbd"), filepath.Join(dir, "export", "security.xml"))
	if r.code != 0 || !strings.Contains(r.stdout, "1 trace file read, 0 records") || !strings.Contains(r.stdout, "the agent's logons: 3 failed") {
		t.Fatalf("explicit files: %s%s", r.stdout, r.stderr)
	}
	evtx := write("Security.evtx", "ElfFile\x00....")
	r = runCLI(t, "logs", evtx)
	if r.code != 2 || !strings.Contains(r.stderr, "wevtutil qe FILE.evtx /lf:true /f:xml") {
		t.Fatalf(".evtx: exit %d %s", r.code, r.stderr)
	}
}

// TestLogsWindowMessage: with a filter that selects no failure, the output
// says how many the filter left out.
func TestLogsWindowMessage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trace.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	truth, err := tracelogtest.Generate(f, tracelogtest.Config{Size: 1 << 20, Seed: 3})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	timed := truth.Failures - truth.Untimed
	r := runCLI(t, "logs", "--since", "2030-01-01", path)
	want := fmt.Sprintf("no failed Pass-through Authentication request in that window (%s outside it)", commas(timed))
	if r.code != 0 || !strings.Contains(r.stdout, want) {
		t.Fatalf("want %q in\n%s", want, r.stdout)
	}
	r = runCLI(t, "logs", "--request-id", "00000000-0000-0000-0000-000000000000", path)
	want = fmt.Sprintf("no failed Pass-through Authentication request with that request ID (%s with other IDs)", commas(truth.Failures))
	if r.code != 0 || !strings.Contains(r.stdout, want) {
		t.Fatalf("want %q in\n%s", want, r.stdout)
	}
	r = runCLI(t, "logs", path)
	if !strings.Contains(r.stdout, "REASON") || strings.Contains(r.stdout, "outside") {
		t.Fatalf("no filter:\n%s", r.stdout)
	}
}

func commas(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
