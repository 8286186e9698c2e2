package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/checks/hostfacts"
	"github.com/ptacheck/ptacheck/checks/netprobe"
	"github.com/ptacheck/ptacheck/internal/setup"
)

type cliResult struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, args ...string) cliResult {
	t.Helper()
	return runCLICtx(t, context.Background(), args...)
}

func runCLICtx(t *testing.T, ctx context.Context, args ...string) cliResult {
	t.Helper()
	var out, errb bytes.Buffer
	code := runMain(ctx, args, &out, &errb, testSystem())
	return cliResult{code, out.String(), errb.String()}
}

// testSystem is the real world for in-process CLI tests, but for COLUMNS:
// a width set in the shell running the tests does not fold their output.
func testSystem() *setup.World {
	return &setup.World{Host: hostfacts.Cached(hostfacts.Live()), Getenv: func(k string) string {
		if k == "COLUMNS" {
			return ""
		}
		return os.Getenv(k)
	}, Stdin: strings.NewReader("")}
}

type jsonReport struct {
	Verdict  string         `json:"verdict"`
	ExitCode int            `json:"exit_code"`
	Fixture  string         `json:"fixture"`
	Summary  map[string]int `json:"summary"`
	Checks   []struct {
		ID       string          `json:"id"`
		Status   string          `json:"status"`
		Message  string          `json:"message"`
		Findings []string        `json:"findings"`
		Details  json.RawMessage `json:"details"`
	} `json:"checks"`
	Interrupted bool `json:"interrupted"`
}

func parseJSON(t *testing.T, s string) jsonReport {
	t.Helper()
	var r jsonReport
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, s)
	}
	return r
}

func (r jsonReport) status(id string) string {
	for _, c := range r.Checks {
		if c.ID == id {
			return c.Status
		}
	}
	return "absent"
}

func TestFixturesExitCodes(t *testing.T) {
	// Proxy variables of the machine running the tests must not leak into
	// an emulated network.
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1")
	for _, tc := range []struct {
		fixture string
		code    int
		failing string
		want    string
	}{
		{"healthy", 0, "", "READY: 14 passed"},
		{"app-proxy-present", 1, "host.app-proxy-connector", "service WAPCSvc"},
		{"ports-blocked", 1, "net.outbound-ports", "login.microsoftonline.com:443 (required): filtered"},
		{"tls-inspected", 1, "net.tls-inspection", "Contoso Firewall TLS Inspection CA"},
		{"proxy-auth-required", 1, "net.outbound-ports", "requires authentication, which the agent cannot do"},
		{"wrong-forest", 1, "ad.forest-membership", "UPN suffix contoso.com is neither a domain of forest corp.fabrikam.test"},
		{"upn-suffix-missing", 1, "ad.forest-membership", "UPN suffix contoso.net"},
		{"clock-skew", 1, "ad.time-skew", "7m0s ahead of dc1.corp.contoso.test"},
		{"mfa-admin", 1, "tenant.admin-account", "per-user MFA enforced"},
		{"ca-mfa-admin", 1, "tenant.admin-account", `"Require MFA for Global Administrators"`},
		{"synced-admin", 1, "tenant.admin-account", "synchronised from on-premises AD"},
		{"eligible-only-admin", 1, "tenant.admin-account", "only eligible for Global Administrator"},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			// In parallel, with 5 s to answer: an emulated endpoint that
			// answers never misses it on a loaded CI machine (1 s did);
			// only ports-blocked waits it out.
			t.Parallel()
			r := runCLI(t, "install", "--fixture", tc.fixture, "--probe-timeout", "5s")
			if r.code != tc.code || !strings.Contains(r.stdout, tc.want) {
				t.Fatalf("exit %d, want %d; stdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, "fixture mode") {
				t.Errorf("fixture mode not announced on stderr: %q", r.stderr)
			}
			for _, format := range []string{"json", "junit"} {
				fr := runCLI(t, "install", "--fixture", tc.fixture, "--probe-timeout", "5s", "-o", format)
				if fr.code != tc.code {
					t.Errorf("-o %s: exit %d, want %d", format, fr.code, tc.code)
				}
				if format == "json" {
					j := parseJSON(t, fr.stdout)
					if j.ExitCode != tc.code || j.Fixture != tc.fixture {
						t.Errorf("json exit_code %d fixture %q", j.ExitCode, j.Fixture)
					}
					if tc.failing != "" && j.status(tc.failing) != "fail" {
						t.Errorf("json: %s is %s", tc.failing, j.status(tc.failing))
					}
				} else if err := xml.Unmarshal([]byte(fr.stdout), new(struct{})); err != nil {
					t.Errorf("junit does not parse: %v", err)
				} else if !strings.Contains(fr.stdout, `name="exit_code" value="`+string(rune('0'+tc.code))+`"`) {
					t.Errorf("junit does not carry exit code %d", tc.code)
				}
			}
		})
	}
}

// The phases whose verdict the tenant decides, per fixture: healthy (a new
// server, PTA04) passes install, enable and uninstall (it runs no agent:
// all three remain); the agent fixtures fail or warn as named.
func TestTenantFixturesPerPhase(t *testing.T) {
	for _, tc := range []struct {
		phase, fixture string
		code           int
		id, status     string
	}{
		{"enable", "healthy", 0, "tenant.active-agents", "pass"},
		{"uninstall", "healthy", 0, "tenant.other-agents", "pass"},
		{"uninstall", "in-service", 0, "tenant.other-agents", "warn"},
		{"verify", "registered", 0, "tenant.this-agent-active", "pass"},
		{"verify", "agent-stopped", 1, "tenant.this-agent-active", "fail"},
		{"verify", "registered-other-tenant", 1, "host.agent-registered", "fail"},
		{"operate", "agent-inactive", 1, "tenant.this-agent-active", "fail"},
		{"enable", "no-active-agent", 1, "tenant.active-agents", "fail"},
		{"uninstall", "last-agent", 1, "tenant.other-agents", "fail"},
		{"uninstall", "two-agents", 0, "tenant.other-agents", "warn"},
	} {
		r := runCLI(t, tc.phase, "--fixture", tc.fixture, "-o", "json")
		j := parseJSON(t, r.stdout)
		if r.code != tc.code || j.status(tc.id) != tc.status {
			t.Errorf("%s --fixture %s: exit %d, %s %s; want %d, %s", tc.phase, tc.fixture, r.code, tc.id, j.status(tc.id), tc.code, tc.status)
		}
	}
}

// host.agent-registered names where the tenant it compares with came
// from: the fixture's own, unless --tenant-id names another, which then
// decides (the agent of registered is this fixture tenant's).
func TestVerifyNamesTheExpectedTenant(t *testing.T) {
	const other = "6b1e3f5a-9c2d-4e8f-a7b6-0d1c2e3f4a5b"
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 0, "(the fixture's tenant)"},
		{[]string{"--tenant-id", other}, 1, "not to " + other + " (--tenant-id)"},
	} {
		r := runCLI(t, append([]string{"verify", "--fixture", "registered", "--only", "host.agent-registered", "-o", "json"}, tc.args...)...)
		j := parseJSON(t, r.stdout)
		if r.code != tc.code || len(j.Checks) != 1 || !strings.Contains(j.Checks[0].Message, tc.want) {
			t.Errorf("verify %v: exit %d %+v, want exit %d naming %q", tc.args, r.code, j.Checks, tc.code, tc.want)
		}
	}
}

func TestPortsBlockedNamesEachEndpoint(t *testing.T) {
	r := runCLI(t, "install", "--fixture", "ports-blocked", "--only", "net.outbound-ports", "--probe-timeout", "500ms", "-o", "json")
	j := parseJSON(t, r.stdout)
	if r.code != 1 || len(j.Checks) != 1 {
		t.Fatalf("exit %d, checks %d", r.code, len(j.Checks))
	}
	var d struct {
		Endpoints []checks.EndpointResult `json:"endpoints"`
	}
	if err := json.Unmarshal(j.Checks[0].Details, &d); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range d.Endpoints {
		got[e.Addr()] = e.Outcome
	}
	const reg = "84841066-274d-4ec0-a5c1-276be684bdd3.registration.msappproxy.net"
	for addr, want := range map[string]string{
		"login.microsoftonline.com:443": netprobe.OutcomeFiltered,
		reg + ":443":                    netprobe.OutcomeFiltered,
		"login.windows.net:443":         netprobe.OutcomeRefused,
		"crl3.digicert.com:80":          netprobe.OutcomeRefused,
		"ocsp.digicert.com:80":          netprobe.OutcomeRefused,
		"crl.microsoft.com:80":          netprobe.OutcomeOK,
	} {
		if got[addr] != want {
			t.Errorf("%s: %q, want %q", addr, got[addr], want)
		}
	}
	// JUnit: each endpoint is a testcase of its own under the check, failed
	// exactly when it is required and unreachable.
	r = runCLI(t, "install", "--fixture", "ports-blocked", "--only", "net.outbound-ports", "--probe-timeout", "500ms", "-o", "junit")
	var x struct {
		Suites []struct {
			Cases []struct {
				Name      string    `xml:"name,attr"`
				Classname string    `xml:"classname,attr"`
				Failure   *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(r.stdout), &x); err != nil || len(x.Suites) != 1 {
		t.Fatalf("junit: %v\n%s", err, r.stdout)
	}
	cases := map[string]bool{}
	for _, c := range x.Suites[0].Cases {
		if c.Classname == "ptacheck.net.outbound-ports" {
			cases[c.Name] = c.Failure != nil
		}
	}
	for _, e := range d.Endpoints {
		failed, ok := cases[e.Addr()]
		if want := e.Outcome != netprobe.OutcomeOK && e.Level == checks.LevelRequired; !ok || failed != want {
			t.Errorf("junit testcase %s: present %v failed %v; endpoint %s %s", e.Addr(), ok, failed, e.Level, e.Outcome)
		}
	}
}

func TestReportFile(t *testing.T) {
	for _, format := range []string{"text", "json", "junit"} {
		path := filepath.Join(t.TempDir(), "report")
		r := runCLI(t, "install", "--fixture", "app-proxy-present", "-o", format, "--report-file", path, "--no-color")
		data, err := os.ReadFile(path)
		if err != nil || r.code != 1 {
			t.Fatalf("%s: exit %d, %v, %s", format, r.code, err, r.stderr)
		}
		if string(data) != r.stdout {
			t.Errorf("%s: report file differs from stdout", format)
		}
	}
	r := runCLI(t, "install", "--fixture", "healthy", "--report-file", filepath.Join(t.TempDir(), "no", "such", "dir", "r.json"))
	if r.code != 2 || !strings.Contains(r.stderr, "--report-file") {
		t.Errorf("unwritable report file: %+v", r)
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	malformed := filepath.Join(dir, "bad.json")
	os.WriteFile(malformed, []byte(`{"schema_version": "1", "os": {`), 0o644)
	badFixture := filepath.Join(dir, "fx")
	os.Mkdir(badFixture, 0o755)
	os.WriteFile(filepath.Join(badFixture, "fixture.json"), []byte(`{"network": {"rules": [{"host": "a", "behavior": "explode"}]}}`), 0o644)
	caseSlip := filepath.Join(dir, "case.json")
	os.WriteFile(caseSlip, []byte(`{"Only": ["host.os"]}`), 0o644)
	noUsers := filepath.Join(dir, "nobody.txt")
	os.WriteFile(noUsers, []byte("\n# nobody\n  \n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"install", "--no-such-flag"}, "unknown flag --no-such-flag"},
		{[]string{"reinstall"}, `unknown command "reinstall"`},
		{[]string{"-v"}, "no command given"},
		{[]string{"install", "extra"}, `unexpected argument "extra"`},
		{[]string{"install", "--skip", "host.nope"}, `--skip: unknown check ID "host.nope"`},
		{[]string{"install", "--only", "net.nope"}, `--only: unknown check ID "net.nope"`},
		{[]string{"install", "--ignore-failures", "all,host.os"}, `"all" cannot be combined`},
		{[]string{"uninstall", "--only", "net.outbound-ports"}, "selects no check of the uninstall phase"},
		{[]string{"install", "--host-snapshot", malformed}, "cut short"},
		{[]string{"install", "--host-snapshot", filepath.Join(dir, "missing.json")}, "no such file"},
		{[]string{"install", "-o", "yaml"}, `unknown output format "yaml"`},
		{[]string{"install", "--tenant-id", "contoso.com"}, "--tenant-id"},
		{[]string{"install", "--cloud", "china"}, "not verified"},
		{[]string{"install", "--cloud", "mars"}, "want public or usgov"},
		{[]string{"install", "--proxy", "http://u:hunter2@proxy:3128"}, "credentials in the proxy URL are not accepted"},
		{[]string{"install", "--probe-timeout", "0s"}, "must be positive"},
		{[]string{"install", "--fixture", "no-such-fixture"}, `unknown fixture "no-such-fixture"`},
		{[]string{"install", "--fixture", badFixture}, `unknown behavior "explode"`},
		{[]string{"install", "--dns-server", "a b"}, "--dns-server"},
		{[]string{"install", "--endpoints-file", malformed}, "--endpoints-file"},
		{[]string{"list", "-o", "junit"}, "want text or json"},
		{[]string{"list", "--proxy", "none"}, "--proxy does not apply to list: it is a flag of install, register, enable, operate or collect"},
		{[]string{"enable", "--upn-suffix", "x"}, "--upn-suffix does not apply to enable: it is a flag of install, register or collect"},
		{[]string{"enable", "--ldap-user", "u"}, "--ldap-user does not apply to enable: it is a flag of install, register, signin, operate or collect"},
		{[]string{"dc-query", "-o", "json"}, "--output does not apply to security-query"},
		{[]string{"install", "--dns-server", "999.1.1.1"}, "--dns-server"},
		{[]string{"install", "--dns-server", ""}, "--dns-server"},
		{[]string{"install", "--agent-version", "latest"}, "--agent-version"},
		{[]string{"install", "--report-format", "junit"}, "--report-format needs --report-file"},
		{[]string{"install", "--fixture", "healthy", "--report-file", "r.xml", "--report-format", "yaml"}, "--report-format"},
		{[]string{"install", "--fixture", "healthy", "--host-snapshot", malformed}, "cannot be combined"},
		{[]string{"version", "-o", "xml"}, "want text or json"},
		{[]string{"snapshot", "--fixture", "healthy"}, "--fixture does not apply to snapshot"},
		// A users file that names nobody is an input error in fixture mode
		// too: never the fixture's own users in its place.
		{[]string{"signin", "--fixture", "upn-mismatch", "--users-file", noUsers}, "--users-file " + noUsers + ": no user in the file"},
		{[]string{"signin", "--users-file", noUsers}, "no user in the file"},
		{[]string{"signin", "--fixture", "upn-mismatch", "--user", ","}, "--user: no UPN given"},
		// A config key that differs only in case is the slip to name.
		{[]string{"install", "--config", caseSlip}, `unknown setting "Only": did you mean only?`},
		// A fixture path that exists but is no folder says so.
		{[]string{"install", "--fixture", malformed}, "fixture directory " + malformed + ": not a directory (a file)"},
		// An accepted finding of a check the phase does not run is a typo
		// or the wrong phase: named, with the phase's checks.
		{[]string{"install", "--ignore-failures", "tenant.other-agents"}, "--ignore-failures tenant.other-agents: the install phase does not run this check (its checks: host.os,"},
		{[]string{"uninstall", "--ignore-failures", "tenant.other-agent"}, "did you mean tenant.other-agents?"},
	} {
		r := runCLI(t, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want 2 and %q", tc.args, r.code, r.stderr, r.stdout, tc.want)
		}
		// Exactly one line, and nothing before it (no banner, no usage).
		if strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "ptacheck: ") {
			t.Errorf("%v: want exactly one 'ptacheck: ...' line on stderr, got %q", tc.args, r.stderr)
		}
		if strings.Contains(r.stderr, "hunter2") {
			t.Errorf("%v: a secret reached stderr", tc.args)
		}
	}
}

func TestSelectionFlags(t *testing.T) {
	r := runCLI(t, "install", "--fixture", "app-proxy-present", "--skip", "host.app-proxy-connector", "-o", "json")
	j := parseJSON(t, r.stdout)
	if r.code != 0 || j.status("host.app-proxy-connector") != "skip" {
		t.Errorf("--skip: exit %d, status %s", r.code, j.status("host.app-proxy-connector"))
	}

	r = runCLI(t, "install", "--fixture", "app-proxy-present", "--only", "host.app-proxy-connector,HOST.OS", "-o", "json")
	j = parseJSON(t, r.stdout)
	if r.code != 1 || len(j.Checks) != 2 || j.Checks[0].ID != "host.os" || j.Checks[1].ID != "host.app-proxy-connector" {
		t.Errorf("--only: exit %d, checks %+v (checklist order, not flag order)", r.code, j.Checks)
	}

	r = runCLI(t, "install", "--fixture", "app-proxy-present", "--ignore-failures", "host.app-proxy-connector", "-o", "json")
	j = parseJSON(t, r.stdout)
	if r.code != 0 || j.status("host.app-proxy-connector") != "warn" || !strings.Contains(j.Checks[1].Message, "failure ignored") {
		t.Errorf("--ignore-failures: exit %d, %+v", r.code, j.Checks[1])
	}

	// A demoted failure is accepted, --strict or not; other warnings are not.
	r = runCLI(t, "install", "--fixture", "app-proxy-present", "--ignore-failures", "all", "--strict", "--tenant-id", "84841066-274d-4ec0-a5c1-276be684bdd3")
	if r.code != 0 {
		t.Errorf("--strict with only a demoted failure: exit %d\n%s", r.code, r.stdout)
	}
	// The same host without a tenant ID: the untested *.msappproxy.net warns.
	dir := t.TempDir()
	host, _ := os.ReadFile(filepath.Join("fixtures", "scenarios", "app-proxy-present", "host.json"))
	os.WriteFile(filepath.Join(dir, "host.json"), host, 0o644)
	os.WriteFile(filepath.Join(dir, "fixture.json"), []byte(`{"network": {}}`), 0o644)
	r = runCLI(t, "install", "--fixture", dir, "--ignore-failures", "all", "--strict")
	if r.code != 1 || !strings.Contains(r.stdout, "--strict makes warnings fail") || !strings.Contains(r.stdout, "was not tested: pass --tenant-id") {
		t.Errorf("--strict with another warning: exit %d\n%s", r.code, r.stdout)
	}

	r = runCLI(t, "install", "--fixture", "healthy", "--strict")
	if r.code != 0 {
		t.Errorf("--strict without warnings: exit %d", r.code)
	}
}

func TestHostSnapshotFlag(t *testing.T) {
	snap, err := os.ReadFile(filepath.Join("fixtures", "scenarios", "app-proxy-present", "host.json"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "host.json")
	os.WriteFile(path, snap, 0o644)
	// Host checks only: no network traffic leaves the machine.
	r := runCLI(t, "install", "--host-snapshot", path, "--only", "host.os,host.app-proxy-connector,host.existing-agent,host.tls12,host.dotnet")
	if r.code != 1 || !strings.Contains(r.stdout, "FAIL   host.app-proxy-connector") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, "uninstall", "--host-snapshot", path)
	if r.code != 0 || !strings.Contains(r.stdout, "nothing to uninstall") {
		t.Fatalf("uninstall: exit %d\n%s", r.code, r.stdout)
	}
}

func TestLiveHostOutsideWindowsSkips(t *testing.T) {
	if _, err := hostfacts.Live().Snapshot(context.Background()); err == nil {
		t.Skip("running on Windows: the live host answers")
	}
	r := runCLI(t, "install", "--only", "host.os,host.dotnet", "-o", "json")
	j := parseJSON(t, r.stdout)
	// Skipped, never failed; and a run that evaluated nothing is inconclusive.
	if r.code != 3 || j.status("host.os") != "skip" || !strings.Contains(j.Checks[0].Message, "need Windows") {
		t.Fatalf("exit %d %+v", r.code, j)
	}
	r = runCLI(t, "snapshot")
	if r.code != 2 || !strings.Contains(r.stderr, "snapshot needs Windows") {
		t.Fatalf("snapshot: %+v", r)
	}
}

func TestInterruptedWritesPartialReport(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	path := filepath.Join(t.TempDir(), "r.json")
	r := runCLICtx(t, ctx, "install", "--fixture", "healthy", "-o", "json", "--report-file", path)
	data, err := os.ReadFile(path)
	if r.code != 130 || err != nil {
		t.Fatalf("exit %d, %v", r.code, err)
	}
	j := parseJSON(t, string(data))
	if !j.Interrupted || j.ExitCode != 130 || j.Summary["error"] == 0 {
		t.Errorf("partial report = %+v", j)
	}
}

// A check cut off by the run deadline keeps its definite failures (refused
// ports): exit 1, listing what was not evaluated. With nothing definite it
// is an error (exit 3), never a failure blamed on the probe timeout.
func TestRunDeadline(t *testing.T) {
	r := runCLI(t, "enable", "--fixture", "ports-blocked", "--timeout", "300ms", "--probe-timeout", "10s", "-o", "json")
	j := parseJSON(t, r.stdout)
	got := strings.Join(j.Checks[0].Findings, "|")
	if r.code != 1 || j.status("net.outbound-ports") != "fail" || !strings.Contains(got, "login.windows.net:443 (required): refused") ||
		!strings.Contains(got, "not evaluated: ") || strings.Contains(got, "within 10s") {
		t.Fatalf("exit %d %+v", r.code, j.Checks[0])
	}
	r = runCLI(t, "enable", "--fixture", "ports-blocked", "--only", "net.outbound-ports", "--timeout", "300ms", "--probe-timeout", "2562047h", "-o", "json",
		"--endpoints-file", writeTemp(t, `{"endpoints": [{"host": "login.microsoftonline.com", "ports": [443], "protocol": "tls", "level": "required"}]}`))
	j = parseJSON(t, r.stdout)
	if j.status("net.outbound-ports") != "fail" || strings.Contains(strings.Join(j.Checks[0].Findings, "|"), "2562047h") {
		t.Fatalf("a huge --probe-timeout: exit %d %+v", r.code, j.Checks[0])
	}
}

// configFile writes settings several commands share as a --config file:
// each command takes the settings it has flags for and ignores the others
// (on the command line, a flag of another command is a usage error).
func configFile(t *testing.T, settings map[string]any) string {
	t.Helper()
	data, err := json.Marshal(settings)
	if err != nil {
		t.Fatal(err)
	}
	return writeTemp(t, string(data))
}

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f.json")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A run that evaluated nothing is not "ready".
func TestNothingEvaluatedIsInconclusive(t *testing.T) {
	snap := writeTemp(t, `{"schema_version": "1", "os": {"product_name": "Windows Server 2022", "build": 20348, "installation_type": "Server"}}`)
	for _, args := range [][]string{
		{"install", "--host-snapshot", snap, "--only", "host.os", "--skip", "host.os"},
		{"enable", "--fixture", "healthy", "--only", "net.tls-inspection", "--skip", "net.tls-inspection"},
	} {
		r := runCLI(t, append(args, "-o", "json")...)
		j := parseJSON(t, r.stdout)
		if r.code != 3 || j.Verdict != "inconclusive" {
			t.Errorf("%v: exit %d verdict %s", args, r.code, j.Verdict)
		}
		if !strings.Contains(r.stdout, `"why": "no check was evaluated: every selected check was skipped"`) {
			t.Errorf("%v: the report does not say why:\n%s", args, r.stdout)
		}
	}
}

// --ignore-failures X --strict accepts exactly that finding and stays
// strict on the rest.
func TestIgnoreFailuresWithStrict(t *testing.T) {
	r := runCLI(t, "install", "--fixture", "app-proxy-present", "--ignore-failures", "host.app-proxy-connector", "--strict", "--tenant-id", "84841066-274d-4ec0-a5c1-276be684bdd3", "-o", "json")
	j := parseJSON(t, r.stdout)
	if r.code != 0 || j.status("host.app-proxy-connector") != "warn" || j.Summary["ignored"] != 1 {
		t.Fatalf("one accepted finding under --strict: exit %d %+v", r.code, j)
	}
	r = runCLI(t, "install", "--fixture", "app-proxy-present", "--ignore-failures", "host.app-proxy-connector", "--strict", "-o", "junit",
		"--endpoints-file", writeTemp(t, `{"endpoints": [{"host": "opt.test", "ports": [443], "protocol": "tls", "level": "optional"}]}`))
	if r.code != 0 && !strings.Contains(r.stdout, `type="warn-strict"`) {
		t.Fatalf("a strict warning must be a JUnit failure: exit %d\n%s", r.code, r.stdout)
	}
}

// A fixture without a network section emulates a healthy network: a run
// that says "emulated" never probes the real one.
func TestFixtureWithoutNetworkIsEmulated(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "fixture.json"), []byte(`{"description": "host only"}`), 0o644)
	r := runCLI(t, "enable", "--fixture", dir, "--tenant-id", "84841066-274d-4ec0-a5c1-276be684bdd3", "-o", "json")
	j := parseJSON(t, r.stdout)
	if r.code != 0 || j.status("net.outbound-ports") != "pass" || !strings.Contains(string(j.Checks[0].Details), `"dns_servers": [`+"\n"+`          "127.0.0.1:`) {
		t.Fatalf("exit %d %+v\n%s", r.code, j.Checks, r.stderr)
	}
	os.WriteFile(filepath.Join(dir, "fixture.json"), []byte(`{"network": {"tenant_id": "contoso.com"}}`), 0o644)
	r = runCLI(t, "enable", "--fixture", dir)
	if r.code != 2 || !strings.Contains(r.stderr, "tenant_id") {
		t.Fatalf("a bad tenant_id: exit %d %q", r.code, r.stderr)
	}
}

// Formats are chosen once and written many times: text on stdout, JUnit in
// the report file, from one run.
func TestReportFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.xml")
	r := runCLI(t, "install", "--fixture", "app-proxy-present", "-o", "text", "--report-file", path, "--report-format", "junit")
	data, err := os.ReadFile(path)
	if r.code != 1 || err != nil || !strings.HasPrefix(r.stdout, "ptacheck install:") || !strings.Contains(string(data), "<testsuites") {
		t.Fatalf("exit %d %v\n%s\n%s", r.code, err, r.stdout, data)
	}
	r = runCLI(t, "install", "--fixture", "app-proxy-present", "--report-file", "-", "--report-format", "json")
	if r.code != 1 || !strings.HasPrefix(r.stdout, "{") || strings.Count(r.stdout, `"schema_version"`) != 1 {
		t.Fatalf("--report-file -: exit %d\n%s", r.code, r.stdout)
	}
}

func TestFixtureDirectory(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "fixture.json"), []byte(`{"description": "mine", "network": {"rules": [{"host": "login.windows.net", "ports": [443], "behavior": "refuse"}]}}`), 0o644)
	r := runCLI(t, "enable", "--fixture", dir, "-o", "json")
	j := parseJSON(t, r.stdout)
	if r.code != 1 || !strings.Contains(strings.Join(j.Checks[0].Findings, "\n"), "login.windows.net:443 (required): refused") {
		t.Fatalf("exit %d %+v", r.code, j.Checks)
	}
	// No host.json: host checks skip with the reason.
	r = runCLI(t, "install", "--fixture", dir, "--only", "host.os", "-o", "json")
	j = parseJSON(t, r.stdout)
	if j.status("host.os") != "skip" || !strings.Contains(j.Checks[0].Message, "host.json") {
		t.Fatalf("%+v", j.Checks)
	}
}

func TestListVersionHelp(t *testing.T) {
	r := runCLI(t, "list")
	for _, id := range checks.KnownIDs() {
		if !strings.Contains(r.stdout, id) {
			t.Errorf("list lacks %s", id)
		}
	}
	r = runCLI(t, "list", "-o", "json")
	var list struct {
		Kind   string `json:"kind"`
		Checks []struct {
			ID     string   `json:"id"`
			Phases []string `json:"phases"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || list.Kind != "checks" || len(list.Checks) != len(checks.KnownIDs()) {
		t.Errorf("list -o json: %v %+v", err, list)
	}
	r = runCLI(t, "list", "--endpoints", "--tenant-id", "84841066-274d-4ec0-a5c1-276be684bdd3")
	if r.code != 0 || !strings.Contains(r.stdout, "10100-10120") || !strings.Contains(r.stdout, "not directly testable") {
		t.Errorf("list --endpoints:\n%s", r.stdout)
	}
	r = runCLI(t, "list", "--endpoints", "--cloud", "usgov", "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, "login.microsoftonline.us") {
		t.Errorf("list --endpoints usgov: %d", r.code)
	}
	r = runCLI(t, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "ptacheck ") {
		t.Errorf("version: %+v", r)
	}
	if v := runCLI(t, "--version"); v.code != 0 || v.stdout != r.stdout {
		t.Errorf("--version: %+v", v)
	}
	r = runCLI(t, "version", "-o", "json")
	var b struct {
		Tool, Version string
	}
	if err := json.Unmarshal([]byte(r.stdout), &b); err != nil || b.Tool != "ptacheck" || b.Version == "" {
		t.Errorf("version -o json: %v %q", err, r.stdout)
	}
	// list and list --endpoints have the same top-level shape.
	var kinds []string
	for _, args := range [][]string{{"list", "-o", "json"}, {"list", "--endpoints", "-o", "json"}} {
		var top struct {
			SchemaVersion string `json:"schema_version"`
			Kind          string `json:"kind"`
		}
		r := runCLI(t, args...)
		if err := json.Unmarshal([]byte(r.stdout), &top); err != nil || top.SchemaVersion == "" {
			t.Errorf("%v: %v", args, err)
		}
		kinds = append(kinds, top.Kind)
	}
	if strings.Join(kinds, ",") != "checks,endpoints" {
		t.Errorf("kinds = %v", kinds)
	}
	// The concrete tenant host, also from a GUID in braces.
	r = runCLI(t, "list", "--endpoints", "--tenant-id", "{84841066-274D-4EC0-A5C1-276BE684BDD3}")
	if r.code != 0 || !strings.Contains(r.stdout, "84841066-274d-4ec0-a5c1-276be684bdd3.registration.msappproxy.net") {
		t.Errorf("list --endpoints --tenant-id:\n%s", r.stdout)
	}
	r = runCLI(t, "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "Exit codes") || !strings.Contains(r.stdout, "security-query  ") {
		t.Errorf("--help: %+v", r)
	}
	r = runCLI(t, "install", "-h")
	if r.code != 0 || !strings.Contains(r.stdout, "Usage:") {
		t.Errorf("install -h: %d", r.code)
	}
}
