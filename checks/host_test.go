package checks

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/ptacheck/ptacheck/checks/hostfacts"
	"strings"
	"testing"
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
	}
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
	return toResult(c.Meta(), c.Run(context.Background(), env), 0)
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
		}), StatusWarn, "2012 R2"},
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
	for _, c := range []Check{AppProxyConnectorAbsentCheck{}, ExistingAgentCheck{Phase: PhaseInstall}, OSVersionCheck{}, TLS12Check{}, DotNetCheck{}} {
		for _, tc := range []struct {
			err  error
			want Status
		}{{hostfacts.ErrUnsupportedOS, StatusSkip}, {hostfacts.ErrNoHostFacts, StatusSkip}, {errors.New("access denied"), StatusError}} {
			env := &Env{Host: errHost{tc.err}}
			r := toResult(c.Meta(), c.Run(context.Background(), env), 0)
			if r.Status != tc.want {
				t.Errorf("%s with %v: %s, want %s", c.Meta().ID, tc.err, r.Status, tc.want)
			}
		}
	}
	// The live host on this OS: skip outside Windows, never fail.
	r := toResult(OSVersionCheck{}.Meta(), OSVersionCheck{}.Run(context.Background(), &Env{Host: hostfacts.Cached(hostfacts.Live())}), 0)
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
