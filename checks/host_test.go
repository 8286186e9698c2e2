package checks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ptacheck/ptacheck/checks/hostfacts"
)

func healthySnapshot() *hostfacts.Snapshot {
	return &hostfacts.Snapshot{
		SchemaVersion: "1",
		OS:            hostfacts.OSInfo{ProductName: "Windows Server 2022 Datacenter", Build: 20348, InstallationType: "Server"},
		Registry: map[string]map[string]any{
			hostfacts.RegNDP4:        {"Release": json.Number("528040")},
			hostfacts.RegTLS12Client: {"Enabled": json.Number("1"), "DisabledByDefault": json.Number("0")},
			hostfacts.RegNetFx64:     {"SchUseStrongCrypto": json.Number("1"), "SystemDefaultTlsVersions": json.Number("1")},
			hostfacts.RegNetFx32:     {"SchUseStrongCrypto": json.Number("1"), "SystemDefaultTlsVersions": json.Number("1")},
		},
		TrustedRoots: []hostfacts.TrustedRoot{
			{Subject: "DigiCert Global Root G2", SHA1: hostfacts.RootsOfInterest[0].SHA1, NotAfter: "2038-01-15T12:00:00Z"},
			{Subject: "DigiCert Global Root CA", SHA1: hostfacts.RootsOfInterest[1].SHA1, NotAfter: "2031-11-10T00:00:00Z"},
		},
		Warnings: []string{},
	}
}

func withWarnings(s *hostfacts.Snapshot, w ...string) *hostfacts.Snapshot {
	s.Warnings = append(s.Warnings, w...)
	return s
}

func withEntraConnect(s *hostfacts.Snapshot) *hostfacts.Snapshot {
	s.Services = append(s.Services, hostfacts.Service{Name: hostfacts.SvcADSync, DisplayName: "Microsoft Azure AD Sync", State: "running"})
	return s
}

func withAgent(s *hostfacts.Snapshot, version string) *hostfacts.Snapshot {
	s.Services = append(s.Services, hostfacts.Service{Name: hostfacts.SvcPTAAgent, DisplayName: "Microsoft Azure AD Connect Authentication Agent", State: "running"})
	s.UninstallEntries = append(s.UninstallEntries, hostfacts.UninstallEntry{DisplayName: "Microsoft Azure AD Connect Authentication Agent", DisplayVersion: version})
	return s
}

func withUpdater(s *hostfacts.Snapshot) *hostfacts.Snapshot {
	s.Services = append(s.Services, hostfacts.Service{Name: hostfacts.SvcPTAUpdater, DisplayName: "Microsoft Azure AD Connect Agent Updater", State: "stopped"})
	s.UninstallEntries = append(s.UninstallEntries, hostfacts.UninstallEntry{DisplayName: "Microsoft Azure AD Connect Agent Updater", DisplayVersion: "1.5.2482.0"})
	return s
}

func withAppProxy(s *hostfacts.Snapshot) *hostfacts.Snapshot {
	s.Services = append(s.Services, hostfacts.Service{Name: "WAPCSvc", DisplayName: "Microsoft AAD Application Proxy Connector", State: "running"})
	return s
}

func runCheck(t *testing.T, c Check, s *hostfacts.Snapshot) Result {
	t.Helper()
	env := &Env{Host: hostfacts.Static{S: s}}
	return toResult(c.Meta(), runWithNeeds(context.Background(), env, c), 0)
}

func TestHostChecks(t *testing.T) {
	mod := func(f func(*hostfacts.Snapshot)) *hostfacts.Snapshot { s := healthySnapshot(); f(s); return s }
	tests := []struct {
		name   string
		check  Check
		snap   *hostfacts.Snapshot
		status Status
		want   string // substring of message or findings
	}{
		{"no connector", AppProxyConnectorAbsentCheck{}, healthySnapshot(), StatusPass, "no Application Proxy"},
		{"connector service", AppProxyConnectorAbsentCheck{}, withAppProxy(healthySnapshot()), StatusFail, "service WAPCSvc"},
		{"connector message notes coexistence", AppProxyConnectorAbsentCheck{}, withAppProxy(healthySnapshot()), StatusFail, "1.5.193.0 and later may coexist"},
		{"updater only", AppProxyConnectorAbsentCheck{}, mod(func(s *hostfacts.Snapshot) {
			s.Services = []hostfacts.Service{{Name: "WAPCUpdaterSvc", State: "stopped"}}
		}), StatusFail, "WAPCUpdaterSvc"},
		{"private network connector by display name", AppProxyConnectorAbsentCheck{}, mod(func(s *hostfacts.Snapshot) {
			s.Services = []hostfacts.Service{{Name: "SomeNewName", DisplayName: "Microsoft Entra private network connector"}}
		}), StatusFail, "SomeNewName"},
		{"uninstall entry, any case", AppProxyConnectorAbsentCheck{}, mod(func(s *hostfacts.Snapshot) {
			s.UninstallEntries = []hostfacts.UninstallEntry{{DisplayName: "MICROSOFT AZURE AD APPLICATION PROXY CONNECTOR", DisplayVersion: "1.5.3437.0"}}
		}), StatusFail, "1.5.3437.0"},
		{"leftover folder", AppProxyConnectorAbsentCheck{}, mod(func(s *hostfacts.Snapshot) {
			s.Files = []string{`C:\Program Files\Microsoft Entra private network connector`}
		}), StatusFail, "leftover"},
		{"registry key", AppProxyConnectorAbsentCheck{}, mod(func(s *hostfacts.Snapshot) {
			s.Registry[`hklm\software\microsoft\microsoft azure ad app proxy connector`] = map[string]any{}
		}), StatusFail, "registry key"},
		{"register: installed new agent coexists", AppProxyConnectorAbsentCheck{Phase: PhaseRegister}, withAgent(withAppProxy(healthySnapshot()), "1.5.2482.0"), StatusPass, "the installed agent is 1.5.2482.0, and agents 1.5.193.0 and later may coexist"},
		{"register: old agent does not", AppProxyConnectorAbsentCheck{Phase: PhaseRegister}, withAgent(withAppProxy(healthySnapshot()), "1.5.58.0"), StatusFail, "older than 1.5.193.0"},
		{"install: --agent-version new", AppProxyConnectorAbsentCheck{Phase: PhaseInstall, AgentVersion: "1.5.2482.0"}, withAppProxy(healthySnapshot()), StatusPass, "the agent to install (--agent-version) is 1.5.2482.0"},
		{"install: --agent-version old", AppProxyConnectorAbsentCheck{Phase: PhaseInstall, AgentVersion: "1.5.58.0"}, withAppProxy(healthySnapshot()), StatusFail, "is 1.5.58.0, older than 1.5.193.0"},
		{"install: version unknown", AppProxyConnectorAbsentCheck{Phase: PhaseInstall}, withAppProxy(healthySnapshot()), StatusFail, "the version to install is unknown"},
		{"connector program without version", AppProxyConnectorAbsentCheck{}, mod(func(s *hostfacts.Snapshot) {
			s.UninstallEntries = []hostfacts.UninstallEntry{{DisplayName: "Microsoft Entra private network connector"}}
		}), StatusFail, `program "Microsoft Entra private network connector" is installed`},

		{"install: none", ExistingAgentCheck{Phase: PhaseInstall}, healthySnapshot(), StatusPass, "no PTA agent installed"},
		{"install: one exists", ExistingAgentCheck{Phase: PhaseInstall}, withAgent(healthySnapshot(), "1.5.2482.0"), StatusFail, "1.5.2482.0 (service AzureADConnectAuthenticationAgent, running) is already installed"},
		{"install: leftovers", ExistingAgentCheck{Phase: PhaseInstall}, mod(func(s *hostfacts.Snapshot) {
			s.Files = []string{hostfacts.PTAAgentPaths[1]}
		}), StatusWarn, "remnants"},
		{"install: in-place upgrade", ExistingAgentCheck{Phase: PhaseInstall, AgentVersion: "1.5.3000.0"}, withAgent(healthySnapshot(), "1.5.2482.0"), StatusWarn, "installing 1.5.3000.0 upgrades it in place"},
		{"install: same version", ExistingAgentCheck{Phase: PhaseInstall, AgentVersion: "1.5.2482.0"}, withAgent(healthySnapshot(), "1.5.2482.0"), StatusFail, "1.5.2482.0 is not newer"},
		{"install: older version", ExistingAgentCheck{Phase: PhaseInstall, AgentVersion: "1.5.1007.0"}, withAgent(healthySnapshot(), "1.5.2482.0"), StatusFail, "is not newer"},
		{"install: updater leftover", ExistingAgentCheck{Phase: PhaseInstall}, withUpdater(healthySnapshot()), StatusWarn, "an Agent Updater remains (service AzureADConnectAgentUpdater, stopped"},
		{"uninstall: updater named", ExistingAgentCheck{Phase: PhaseUninstall}, withUpdater(withAgent(healthySnapshot(), "1.5.2482.0")), StatusPass, "uninstall its Agent Updater (service AzureADConnectAgentUpdater"},
		{"uninstall: updater only", ExistingAgentCheck{Phase: PhaseUninstall}, withUpdater(healthySnapshot()), StatusWarn, "its Agent Updater remains"},
		{"register: none", ExistingAgentCheck{Phase: PhaseRegister}, healthySnapshot(), StatusFail, "no PTA agent is installed"},
		{"register: installed", ExistingAgentCheck{Phase: PhaseRegister}, withAgent(healthySnapshot(), "1.5.2482.0"), StatusPass, "not yet registered"},
		{"register: already registered", ExistingAgentCheck{Phase: PhaseRegister}, func() *hostfacts.Snapshot {
			s := withAgent(healthySnapshot(), "1.5.2482.0")
			s.Registry[hostfacts.RegAgent] = map[string]any{"InstanceID": "0a1b2c3d-0000-4000-8000-000000000001"}
			return s
		}(), StatusWarn, "already registered"},
		{"uninstall: identifies", ExistingAgentCheck{Phase: PhaseUninstall}, func() *hostfacts.Snapshot {
			s := withAgent(healthySnapshot(), "1.5.2482.0")
			s.Registry[hostfacts.RegAgent] = map[string]any{"InstanceID": "0a1b2c3d-0000-4000-8000-000000000001", "TenantID": "84841066-274d-4ec0-a5c1-276be684bdd3"}
			return s
		}(), StatusPass, "agent ID 0a1b2c3d-0000-4000-8000-000000000001 tenant 84841066"},
		{"uninstall: none", ExistingAgentCheck{Phase: PhaseUninstall}, healthySnapshot(), StatusWarn, "nothing to uninstall"},

		{"2022", OSVersionCheck{}, healthySnapshot(), StatusPass, "build 20348"},
		{"2016", OSVersionCheck{}, mod(func(s *hostfacts.Snapshot) {
			s.OS = hostfacts.OSInfo{ProductName: "Windows Server 2016 Standard", Build: 14393, InstallationType: "Server"}
		}), StatusPass, "14393"},
		{"2012 R2", OSVersionCheck{}, mod(func(s *hostfacts.Snapshot) {
			s.OS = hostfacts.OSInfo{ProductName: "Windows Server 2012 R2 Standard", Build: 9600, InstallationType: "Server"}
		}), StatusWarn, "2012 R2: the PTA FAQ still allows it, but the quick start requires Windows Server 2016 or later"},
		{"2008 R2", OSVersionCheck{}, mod(func(s *hostfacts.Snapshot) {
			s.OS = hostfacts.OSInfo{ProductName: "Windows Server 2008 R2 Standard", Build: 7601, InstallationType: "Server"}
		}), StatusFail, "older"},
		{"2025", OSVersionCheck{}, mod(func(s *hostfacts.Snapshot) {
			s.OS = hostfacts.OSInfo{ProductName: "Windows Server 2025 Datacenter", Build: 26100, InstallationType: "Server"}
		}), StatusWarn, "Entra Connect"},
		{"nano server", OSVersionCheck{}, mod(func(s *hostfacts.Snapshot) { s.OS.InstallationType = "Nano Server" }), StatusFail, "Nano Server"},
		{"server core", OSVersionCheck{}, mod(func(s *hostfacts.Snapshot) { s.OS.InstallationType = "Server Core" }), StatusFail, "Server Core"},
		{"client", OSVersionCheck{}, mod(func(s *hostfacts.Snapshot) {
			s.OS = hostfacts.OSInfo{ProductName: "Windows 10 Enterprise", Build: 19045, InstallationType: "Client"}
		}), StatusFail, "not Windows Server"},
		{"no os facts", OSVersionCheck{}, mod(func(s *hostfacts.Snapshot) { s.OS = hostfacts.OSInfo{} }), StatusError, "no OS version"},

		{"tls ok", TLS12Check{}, healthySnapshot(), StatusPass, "TLS 1.2 enabled"},
		{"tls keys absent: defaults", TLS12Check{}, mod(func(s *hostfacts.Snapshot) { delete(s.Registry, hostfacts.RegTLS12Client) }), StatusPass, ""},
		{"tls client disabled", TLS12Check{}, mod(func(s *hostfacts.Snapshot) { s.Registry[hostfacts.RegTLS12Client]["Enabled"] = json.Number("0") }), StatusFail, "Client is disabled"},
		{"tls client disabled by default", TLS12Check{}, mod(func(s *hostfacts.Snapshot) {
			s.Registry[hostfacts.RegTLS12Client]["DisabledByDefault"] = json.Number("1")
		}), StatusFail, "disabled by default"},
		{"tls server disabled warns", TLS12Check{}, mod(func(s *hostfacts.Snapshot) {
			s.Registry[hostfacts.RegTLS12Server] = map[string]any{"Enabled": json.Number("0")}
		}), StatusWarn, "Server is disabled"},
		{"strong crypto missing in 32-bit view", TLS12Check{}, mod(func(s *hostfacts.Snapshot) { delete(s.Registry, hostfacts.RegNetFx32) }), StatusWarn, "(32-bit) SchUseStrongCrypto is not set"},

		{".NET 4.8", DotNetCheck{}, healthySnapshot(), StatusPass, "4.8 (Release 528040)"},
		{".NET 4.6.2", DotNetCheck{}, mod(func(s *hostfacts.Snapshot) { s.Registry[hostfacts.RegNDP4]["Release"] = json.Number("394802") }), StatusWarn, "4.6.2"},
		{".NET missing", DotNetCheck{}, mod(func(s *hostfacts.Snapshot) { delete(s.Registry, hostfacts.RegNDP4) }), StatusFail, "not installed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCheck(t, tt.check, tt.snap)
			text := r.Message + " | " + strings.Join(r.Findings, " | ")
			if r.Status != tt.status || !strings.Contains(text, tt.want) {
				t.Fatalf("%s: got %s %q, want %s containing %q", tt.check.Meta().ID, r.Status, text, tt.status, tt.want)
			}
		})
	}
}

type errHost struct{ err error }

func (h errHost) Snapshot(context.Context) (*hostfacts.Snapshot, error) { return nil, h.err }

func TestHostChecksWithoutHostFacts(t *testing.T) {
	for _, c := range []Check{AppProxyConnectorAbsentCheck{}, ExistingAgentCheck{Phase: PhaseInstall}, OSVersionCheck{}, TLS12Check{}, DotNetCheck{}, TrustedRootsCheck{}} {
		for _, tc := range []struct {
			err  error
			want Status
		}{{hostfacts.ErrUnsupportedOS, StatusSkip}, {hostfacts.ErrNoHostFacts, StatusSkip}, {errors.New("access denied"), StatusError}} {
			env := &Env{Host: errHost{tc.err}}
			r := toResult(c.Meta(), runWithNeeds(context.Background(), env, c), 0)
			if r.Status != tc.want {
				t.Errorf("%s with %v: %s, want %s", c.Meta().ID, tc.err, r.Status, tc.want)
			}
		}
	}
	// The live host on this OS: skip outside Windows, never fail.
	r := toResult(OSVersionCheck{}.Meta(), runWithNeeds(context.Background(), &Env{Host: hostfacts.Cached(hostfacts.Live())}, OSVersionCheck{}), 0)
	if r.Status == StatusFail {
		t.Fatalf("live host check failed: %+v", r)
	}
}

func TestVersionAtLeast(t *testing.T) {
	for _, tc := range []struct {
		v, min string
		want   bool
	}{{"1.5.193.0", "1.5.193.0", true}, {"1.5.2482.0", "1.5.193.0", true}, {"1.5.58.0", "1.5.193.0", false}, {"1.6", "1.5.193.0", true}, {"1.5", "1.5.193.0", false}} {
		if got := versionAtLeast(tc.v, tc.min); got != tc.want {
			t.Errorf("versionAtLeast(%s, %s) = %v", tc.v, tc.min, got)
		}
	}
}

// The remediation always matches the verdict: a pass has none; a failure
// for an old agent says to install a current one, not to pass a flag.
func TestAppProxyRemediationMatchesVerdict(t *testing.T) {
	pass := runCheck(t, AppProxyConnectorAbsentCheck{Phase: PhaseInstall, AgentVersion: "1.5.2482.0"}, withAppProxy(healthySnapshot()))
	if pass.Status != StatusPass || pass.Remediation != "" {
		t.Errorf("pass with a remediation: %+v", pass)
	}
	old := runCheck(t, AppProxyConnectorAbsentCheck{Phase: PhaseInstall, AgentVersion: "1.5.58.0"}, withAppProxy(healthySnapshot()))
	if old.Status != StatusFail || !strings.HasPrefix(old.Remediation, "Install a current agent") {
		t.Errorf("old agent: %+v", old)
	}
	unknown := runCheck(t, AppProxyConnectorAbsentCheck{Phase: PhaseInstall}, withAppProxy(healthySnapshot()))
	if unknown.Status != StatusFail || !strings.Contains(unknown.Remediation, "--agent-version") {
		t.Errorf("unknown version: %+v", unknown)
	}
}

// What the reader could not read: a check that could have found something
// there cannot pass (status error, exit 3), a check that fails anyway still
// fails and lists it, and a failure to read one found service's optional
// configuration is shown in the details without changing the verdict.
func TestHostChecksWithReadWarnings(t *testing.T) {
	const (
		scm      = "service manager: open: access is denied (error 5)"
		uninst   = `uninstall: open HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall: access is denied (error 5)`
		wapcCfg  = "service WAPCSvc: QueryServiceConfig2 level 3 (delayed auto-start): invalid level (error 124)"
		agentCfg = "service AzureADConnectAuthenticationAgent: QueryServiceConfig: access is denied (error 5)"
		agentKey = "registry " + hostfacts.RegAgent + ": open: access is denied (error 5)"
		ndpKey   = "registry " + hostfacts.RegNDP4 + ": open: access is denied (error 5)"
		tlsKey   = "registry " + hostfacts.RegTLS12Client + ": open: access is denied (error 5)"
		osRead   = `os: open HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion: access is denied (error 5)`
		rootsErr = `trusted roots: open LocalMachine\Root: access is denied (error 5)`
	)
	tests := []struct {
		name     string
		check    Check
		snap     *hostfacts.Snapshot
		status   Status
		want     string // in message or findings
		inDetail string // in the JSON details
	}{
		{"connector: SCM unreadable, nothing else found", AppProxyConnectorAbsentCheck{}, withWarnings(healthySnapshot(), scm), StatusError, "not evaluated: " + scm, scm},
		{"connector: uninstall unreadable", AppProxyConnectorAbsentCheck{}, withWarnings(healthySnapshot(), uninst), StatusError, "not evaluated: uninstall", "uninstall"},
		{"connector: found anyway, fails and lists the gap", AppProxyConnectorAbsentCheck{}, withWarnings(withAppProxy(healthySnapshot()), uninst), StatusFail, "not evaluated: uninstall", ""},
		{"connector: its config unreadable, still fails on presence", AppProxyConnectorAbsentCheck{}, withWarnings(withAppProxy(healthySnapshot()), wapcCfg), StatusFail, "service WAPCSvc", "QueryServiceConfig2 level 3"},
		{"connector: unrelated warning ignored", AppProxyConnectorAbsentCheck{}, withWarnings(healthySnapshot(), ndpKey, agentKey), StatusPass, "no Application Proxy", ""},
		{"agent install: SCM unreadable", ExistingAgentCheck{Phase: PhaseInstall}, withWarnings(healthySnapshot(), scm), StatusError, "not evaluated: " + scm, scm},
		{"agent register: key unreadable, cannot tell registered", ExistingAgentCheck{Phase: PhaseRegister}, withWarnings(withAgent(healthySnapshot(), "1.5.2482.0"), agentKey), StatusError, "not evaluated: registry", ""},
		{"agent register: service config unreadable, verdict stands", ExistingAgentCheck{Phase: PhaseRegister}, withWarnings(withAgent(healthySnapshot(), "1.5.2482.0"), agentCfg), StatusPass, "not yet registered", "QueryServiceConfig: access is denied"},
		{"agent install: present anyway", ExistingAgentCheck{Phase: PhaseInstall}, withWarnings(withAgent(healthySnapshot(), "1.5.2482.0"), uninst), StatusFail, "not evaluated: uninstall", ""},
		{".NET: key unreadable is not 'not installed'", DotNetCheck{}, func() *hostfacts.Snapshot {
			s := withWarnings(healthySnapshot(), ndpKey)
			delete(s.Registry, hostfacts.RegNDP4)
			return s
		}(), StatusError, "not evaluated: " + ndpKey, ""},
		{"tls: client key unreadable", TLS12Check{}, func() *hostfacts.Snapshot {
			s := withWarnings(healthySnapshot(), tlsKey)
			delete(s.Registry, hostfacts.RegTLS12Client)
			return s
		}(), StatusError, "not evaluated: " + tlsKey, "Client: open: access is denied"},
		{"os: installation type unknown", OSVersionCheck{}, func() *hostfacts.Snapshot {
			s := withWarnings(healthySnapshot(), osRead)
			s.OS = hostfacts.OSInfo{Build: 20348}
			return s
		}(), StatusError, "not evaluated: os", ""},
		{"roots: store unreadable", TrustedRootsCheck{}, func() *hostfacts.Snapshot {
			s := withWarnings(healthySnapshot(), rootsErr)
			s.TrustedRoots = nil
			return s
		}(), StatusError, "not evaluated: " + rootsErr, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCheck(t, tt.check, tt.snap)
			text := r.Message + " | " + strings.Join(r.Findings, " | ")
			if r.Status != tt.status || !strings.Contains(text, tt.want) {
				t.Fatalf("got %s %q, want %s containing %q", r.Status, text, tt.status, tt.want)
			}
			d, _ := json.Marshal(r.Details)
			if !strings.Contains(string(d), tt.inDetail) {
				t.Errorf("details %s do not contain %q", d, tt.inDetail)
			}
		})
	}
}

func TestEntraConnectAtUninstall(t *testing.T) {
	r := runCheck(t, ExistingAgentCheck{Phase: PhaseUninstall}, withEntraConnect(withAgent(healthySnapshot(), "1.5.2482.0")))
	if r.Status != StatusWarn || !strings.Contains(strings.Join(r.Findings, "|"), "this server runs Microsoft Entra Connect (service ADSync, running)") ||
		!strings.Contains(r.Remediation, "at least one other agent") || !strings.HasPrefix(r.Message, "installed: PTA agent 1.5.2482.0") {
		t.Errorf("uninstall with Entra Connect: %+v", r)
	}
	d, _ := json.Marshal(r.Details)
	if !strings.Contains(string(d), `"entra_connect_service":{"name":"ADSync"`) {
		t.Errorf("details: %s", d)
	}
	// Without Entra Connect the same host passes; at install Entra Connect
	// changes nothing.
	if r := runCheck(t, ExistingAgentCheck{Phase: PhaseUninstall}, withAgent(healthySnapshot(), "1.5.2482.0")); r.Status != StatusPass {
		t.Errorf("uninstall without Entra Connect: %+v", r)
	}
	if r := runCheck(t, ExistingAgentCheck{Phase: PhaseInstall}, withEntraConnect(healthySnapshot())); r.Status != StatusPass {
		t.Errorf("install beside Entra Connect: %+v", r)
	}
}

func TestTrustedRootsCheck(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) }
	run := func(s *hostfacts.Snapshot, now func() time.Time) Result {
		c := TrustedRootsCheck{}
		return toResult(c.Meta(), runWithNeeds(context.Background(), &Env{Host: hostfacts.Static{S: s}, Now: now}, c), 0)
	}
	if r := run(healthySnapshot(), now); r.Status != StatusPass || r.Message != `2 of 2 roots present in LocalMachine\Root` {
		t.Errorf("both present: %+v", r)
	}
	// A missing root: the Automatic Root Certificates Update policy
	// decides. Off: fail; on (absent or 0): warn; unknown: error.
	u64 := func(v uint64) *uint64 { return &v }
	const caMissing = `DigiCert Global Root CA (SHA-1 a8985d3a65e5e5c4b2d7d66d40c6dd2fb19c5436) is not in LocalMachine\Root`
	for _, tc := range []struct {
		name     string
		policy   *hostfacts.AuthRootPolicy
		warnings []string
		status   Status
		finding  string
		auto     string
	}{
		{"policy off", &hostfacts.AuthRootPolicy{DisableRootAutoUpdate: u64(1)}, nil, StatusFail,
			caMissing + ", and Windows will not fetch it: Automatic Root Certificates Update is turned off (DisableRootAutoUpdate=1)", `"root_auto_update":"off","disable_root_auto_update":1`},
		{"policy not configured", &hostfacts.AuthRootPolicy{}, nil, StatusWarn,
			caMissing + "; Windows fetches it from Windows Update when the agent first needs it (Automatic Root Certificates Update is on), if ctldl.windowsupdate.com is reachable", `"root_auto_update":"on"`},
		{"policy 0", &hostfacts.AuthRootPolicy{DisableRootAutoUpdate: u64(0)}, nil, StatusWarn, caMissing + "; Windows fetches it", `"root_auto_update":"on","disable_root_auto_update":0`},
		{"policy not recorded", nil, nil, StatusError, "not evaluated: the Automatic Root Certificates Update policy (" + hostfacts.RegAuthRootPolicy + " DisableRootAutoUpdate): the host facts do not record authroot_policy", `"root_auto_update":"unknown"`},
		{"policy unreadable", nil, []string{"authroot policy: open " + hostfacts.RegAuthRootPolicy + ": access is denied (error 5)"}, StatusError, "access is denied (error 5)", `"root_auto_update":"unknown"`},
	} {
		s := healthySnapshot()
		s.TrustedRoots = s.TrustedRoots[:1]
		s.AuthRootPolicy = tc.policy
		s.Warnings = tc.warnings
		r := run(s, now)
		d, _ := json.Marshal(r.Details)
		if r.Status != tc.status || !strings.Contains(r.Findings[0], tc.finding) || !strings.Contains(string(d), tc.auto) {
			t.Errorf("%s: %s %q\n%s", tc.name, r.Status, r.Findings, d)
		}
		if tc.status == StatusError && (!strings.Contains(strings.Join(r.Findings, "|"), caMissing) ||
			r.Message != "DigiCert Global Root CA missing from LocalMachine\\Root, and whether Windows fetches it on demand is unknown") {
			t.Errorf("%s: the missing root is not named: %q %q", tc.name, r.Message, r.Findings)
		}
		if len(tc.warnings) > 0 && !strings.Contains(string(d), "access is denied (error 5)") {
			t.Errorf("%s: the details do not carry the reader's warning: %s", tc.name, d)
		}
		if tc.status == StatusFail && !strings.Contains(r.Remediation, "Turn off Automatic Root Certificates Update") {
			t.Errorf("%s: remediation %q", tc.name, r.Remediation)
		}
	}
	none := healthySnapshot()
	none.TrustedRoots = []hostfacts.TrustedRoot{}
	none.AuthRootPolicy = &hostfacts.AuthRootPolicy{DisableRootAutoUpdate: u64(1)}
	if r := run(none, now); r.Status != StatusFail || len(r.Findings) != 2 || !strings.Contains(r.Findings[0], "DigiCert Global Root G2") {
		t.Errorf("none present: %+v", r)
	}
	d, _ := json.Marshal(run(none, now).Details)
	if !strings.Contains(string(d), `"present":[]`) || !strings.Contains(string(d), `"missing":[{"name":"DigiCert Global Root G2"`) {
		t.Errorf("details: %s", d)
	}
	// Not recorded (an older snapshot): an error naming the field, never a
	// pass or a skip a gate would take as ready.
	old := healthySnapshot()
	old.TrustedRoots = nil
	if r := run(old, now); r.Status != StatusError || !strings.Contains(r.Message, "do not record trusted_roots") {
		t.Errorf("not recorded: %+v", r)
	}
	// Expired: warns, naming the root.
	later := func() time.Time { return time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC) }
	if r := run(healthySnapshot(), later); r.Status != StatusWarn || !strings.Contains(strings.Join(r.Findings, "|"), "DigiCert Global Root CA (SHA-1 a8985d3a65e5e5c4b2d7d66d40c6dd2fb19c5436) expired on 2031-11-10") {
		t.Errorf("expired: %+v", r)
	}
}

// Lists in host check details are always arrays: a null is only allowed for
// a scalar that was not set (a registry value, a tri-state).
func TestHostDetailsHaveNoNullLists(t *testing.T) {
	snaps := map[string]*hostfacts.Snapshot{
		"healthy":   healthySnapshot(),
		"agent":     withUpdater(withAgent(healthySnapshot(), "1.5.2482.0")),
		"connector": withWarnings(withAppProxy(healthySnapshot()), "service WAPCSvc: QueryServiceConfig2 level 3 (delayed auto-start): invalid level (error 124)"),
		"bare":      {SchemaVersion: "1", OS: hostfacts.OSInfo{ProductName: "Windows Server 2022", Build: 20348, InstallationType: "Server"}, TrustedRoots: []hostfacts.TrustedRoot{}},
	}
	scalarOK := map[string]bool{"enabled": true, "disabled_by_default": true, "SchUseStrongCrypto": true, "SystemDefaultTlsVersions": true}
	var walk func(t *testing.T, path string, v any)
	walk = func(t *testing.T, path string, v any) {
		switch v := v.(type) {
		case nil:
			key := path[strings.LastIndex(path, ".")+1:]
			if !scalarOK[key] {
				t.Errorf("%s is null", path)
			}
		case map[string]any:
			for k, e := range v {
				walk(t, path+"."+k, e)
			}
		case []any:
			for i, e := range v {
				walk(t, fmt.Sprintf("%s[%d]", path, i), e)
			}
		}
	}
	for name, s := range snaps {
		for _, c := range []Check{AppProxyConnectorAbsentCheck{}, ExistingAgentCheck{Phase: PhaseInstall}, ExistingAgentCheck{Phase: PhaseUninstall},
			OSVersionCheck{}, TLS12Check{}, DotNetCheck{}, TrustedRootsCheck{}} {
			r := runCheck(t, c, s)
			data, err := json.Marshal(r.Details)
			if err != nil {
				t.Fatal(err)
			}
			var v any
			if err := json.Unmarshal(data, &v); err != nil {
				t.Fatal(err)
			}
			if v == nil {
				continue // no details: the report writes {}
			}
			walk(t, name+":"+c.Meta().ID, v)
		}
	}
}

// A snapshot that lacks a list a host check reads (absent or null) cannot
// pass that check, nor fail it on "nothing found": the check errors, naming
// the field. An explicit empty list is evidence and decides as before.
func TestHostChecksNeedTheirEvidence(t *testing.T) {
	const os = `"os": {"product_name": "Windows Server 2022 Datacenter", "build": 20348, "installation_type": "Server"}`
	const lists = `"services": [], "uninstall_entries": [], "files": [], "registry": {}`
	parse := func(fields string) *hostfacts.Snapshot {
		t.Helper()
		s, err := hostfacts.Parse([]byte(`{"schema_version": "1", ` + fields + `, "trusted_roots": []}`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	complete := parse(os + ", " + lists)
	for _, c := range []Check{AppProxyConnectorAbsentCheck{Phase: PhaseInstall}, ExistingAgentCheck{Phase: PhaseInstall}} {
		if r := runCheck(t, c, complete); r.Status != StatusPass {
			t.Errorf("%s with explicit empty lists: %s %q", r.ID, r.Status, r.Findings)
		}
	}
	for _, field := range []string{"services", "uninstall_entries", "files", "registry"} {
		for _, how := range []string{"absent", "null"} {
			fields := os
			for _, f := range []string{"services", "uninstall_entries", "files", "registry"} {
				switch {
				case f != field:
					fields += fmt.Sprintf(`, %q: %s`, f, map[bool]string{true: "{}", false: "[]"}[f == "registry"])
				case how == "null":
					fields += fmt.Sprintf(`, %q: null`, f)
				}
			}
			s := parse(fields)
			for _, c := range []Check{
				AppProxyConnectorAbsentCheck{Phase: PhaseInstall},
				ExistingAgentCheck{Phase: PhaseInstall}, ExistingAgentCheck{Phase: PhaseRegister}, ExistingAgentCheck{Phase: PhaseUninstall},
			} {
				r := runCheck(t, c, s)
				if r.Status != StatusError || !strings.Contains(strings.Join(r.Findings, "|"), fmt.Sprintf("has no %q", field)) {
					t.Errorf("%s (%s) without %s (%s): %s %q", r.ID, c.(interface{ Meta() Meta }).Meta().ID, field, how, r.Status, r.Findings)
				}
			}
		}
	}
	// What the snapshot does show still decides: an agent listed among the
	// services fails install, whatever else is missing.
	s := parse(os + `, "services": [{"name": "AzureADConnectAuthenticationAgent", "display_name": "Microsoft Azure AD Connect Authentication Agent"}]`)
	if r := runCheck(t, ExistingAgentCheck{Phase: PhaseInstall}, s); r.Status != StatusFail || !strings.Contains(strings.Join(r.Findings, "|"), `not evaluated: the host snapshot has no "uninstall_entries"`) {
		t.Errorf("agent service without the other lists: %s %q", r.Status, r.Findings)
	}
	// The registry checks: without the registry, no default is evidence.
	noRegistry := parse(os + `, "services": [], "uninstall_entries": [], "files": []`)
	for _, c := range []Check{TLS12Check{}, DotNetCheck{}} {
		if r := runCheck(t, c, noRegistry); r.Status != StatusError || !strings.Contains(r.Message, `has no "registry"`) {
			t.Errorf("%s without the registry: %s %q", r.ID, r.Status, r.Message)
		}
	}
	// host.os: without installation_type Server Core cannot be told apart;
	// without a build the version is unknown; a definite answer stands.
	for _, tc := range []struct {
		os     string
		status Status
		want   string
	}{
		{`"os": {"product_name": "Windows Server 2022 Datacenter", "build": 20348}`, StatusError, "no os.installation_type"},
		{`"os": {"product_name": "Windows Server 2022 Datacenter", "installation_type": "Server"}`, StatusError, "no os.build"},
		{`"os": {"product_name": "Windows Server 2022 Datacenter Server Core", "build": 20348}`, StatusFail, "Server Core"},
		{`"os": {"product_name": "Windows 11 Pro", "installation_type": "Client"}`, StatusFail, "is not Windows Server"},
		{`"os": {}`, StatusError, "no OS version"},
	} {
		r := runCheck(t, OSVersionCheck{}, parse(tc.os+", "+lists))
		if r.Status != tc.status || !strings.Contains(r.Message, tc.want) {
			t.Errorf("%s: %s %q, want %s %q", tc.os, r.Status, r.Message, tc.status, tc.want)
		}
	}
}
