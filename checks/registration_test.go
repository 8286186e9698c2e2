package checks

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/ptacheck/ptacheck/checks/checkstest"
	"github.com/ptacheck/ptacheck/checks/graph"
	"github.com/ptacheck/ptacheck/checks/hostfacts"
	"github.com/ptacheck/ptacheck/fixtures"
)

const (
	contosoTenant = "84841066-274d-4ec0-a5c1-276be684bdd3"
	otherTenant   = "6b1e3f5a-9c2d-4e8f-a7b6-0d1c2e3f4a5b"
	thisAgentID   = "4567eab3-c982-4c71-b8bf-dbfa6b8be9a0"
)

// registeredSnapshot is a server whose agent was installed and registered
// to tenant: both services running and starting automatically, the agent's
// key with its agent ID and tenant.
func registeredSnapshot(tenant string) *hostfacts.Snapshot {
	s := healthySnapshot()
	s.ComputerName = "PTA04"
	s.Services = []hostfacts.Service{
		{Name: hostfacts.SvcPTAAgent, DisplayName: "Microsoft Azure AD Connect Authentication Agent", State: "running", StartType: "auto"},
		{Name: hostfacts.SvcPTAUpdater, DisplayName: "Microsoft Azure AD Connect Agent Updater", State: "running", StartType: "auto", DelayedAutoStart: true},
	}
	s.UninstallEntries = []hostfacts.UninstallEntry{
		{DisplayName: "Microsoft Azure AD Connect Authentication Agent", DisplayVersion: "1.5.2482.0"},
		{DisplayName: "Microsoft Azure AD Connect Agent Updater", DisplayVersion: "1.5.2482.0"},
	}
	s.Files = []string{}
	s.Registry[hostfacts.RegAgent] = map[string]any{"InstanceID": thisAgentID, "TenantID": tenant}
	return s
}

func TestAgentRunning(t *testing.T) {
	edit := func(f func(*hostfacts.Snapshot)) *hostfacts.Snapshot {
		s := registeredSnapshot(contosoTenant)
		f(s)
		return s
	}
	tests := []struct {
		name   string
		snap   *hostfacts.Snapshot
		status Status
		want   string
	}{
		{"running, automatic", registeredSnapshot(contosoTenant), StatusPass,
			"AzureADConnectAuthenticationAgent running, starts automatically; AzureADConnectAgentUpdater running, starts automatically (delayed)"},
		{"stopped", edit(func(s *hostfacts.Snapshot) { s.Services[0].State = "stopped" }), StatusFail, "service AzureADConnectAuthenticationAgent is stopped, not running"},
		{"start pending", edit(func(s *hostfacts.Snapshot) { s.Services[0].State = "start-pending" }), StatusFail, "is start-pending, not running"},
		{"manual start", edit(func(s *hostfacts.Snapshot) { s.Services[0].StartType = "manual" }), StatusFail, "starts manually: it does not start again after a reboot"},
		{"disabled", edit(func(s *hostfacts.Snapshot) { s.Services[0].State, s.Services[0].StartType = "stopped", "disabled" }), StatusFail, "is disabled: it cannot start"},
		{"not installed", edit(func(s *hostfacts.Snapshot) {
			s.Services, s.UninstallEntries = []hostfacts.Service{}, []hostfacts.UninstallEntry{}
		}), StatusFail,
			"the PTA agent service AzureADConnectAuthenticationAgent is not installed"},
		{"program without service", edit(func(s *hostfacts.Snapshot) { s.Services = []hostfacts.Service{} }), StatusFail,
			`though the program "Microsoft Azure AD Connect Authentication Agent" is: repair or reinstall`},
		{"found by display name", edit(func(s *hostfacts.Snapshot) { s.Services[0].Name = "AADConnectAuthAgent" }), StatusPass, "AADConnectAuthAgent running"},
		{"updater stopped", edit(func(s *hostfacts.Snapshot) { s.Services[1].State = "stopped" }), StatusWarn,
			"service AzureADConnectAgentUpdater is stopped, not running; the agent is not updated automatically"},
		{"updater missing", edit(func(s *hostfacts.Snapshot) { s.Services = s.Services[:1] }), StatusWarn, "the Agent Updater service (AzureADConnectAgentUpdater) is not installed"},
		{"updater manual", edit(func(s *hostfacts.Snapshot) { s.Services[1].StartType = "manual" }), StatusWarn, "AzureADConnectAgentUpdater starts manually"},
		// A field the facts lack is an error naming it, never a pass.
		{"no start type", edit(func(s *hostfacts.Snapshot) { s.Services[0].StartType = "" }), StatusError,
			"not evaluated: the host facts carry no services[].start_type for AzureADConnectAuthenticationAgent"},
		{"no state", edit(func(s *hostfacts.Snapshot) { s.Services[0].State = "" }), StatusError, "services[].state for AzureADConnectAuthenticationAgent"},
		{"updater without start type", edit(func(s *hostfacts.Snapshot) { s.Services[1].StartType = "" }), StatusError, "services[].start_type for AzureADConnectAgentUpdater"},
		// The reader's own words when it could not read the configuration.
		{"configuration unreadable", edit(func(s *hostfacts.Snapshot) {
			s.Services[0].StartType = ""
			s.Warnings = append(s.Warnings, "service AzureADConnectAuthenticationAgent: QueryServiceConfig: access denied")
		}), StatusError, "not evaluated: service AzureADConnectAuthenticationAgent: QueryServiceConfig: access denied"},
		// A definite failure stands with what could not be read.
		{"stopped, start type unknown", edit(func(s *hostfacts.Snapshot) { s.Services[0].State, s.Services[0].StartType = "stopped", "" }), StatusFail, "not evaluated: the host facts carry no services[].start_type"},
		{"service manager unreadable", edit(func(s *hostfacts.Snapshot) {
			s.Services = []hostfacts.Service{}
			s.Warnings = append(s.Warnings, "service manager: open: access denied")
		}), StatusError, "not evaluated: service manager: open: access denied"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCheck(t, AgentRunningCheck{}, tc.snap)
			if r.Status != tc.status || !strings.Contains(findings(r), tc.want) {
				t.Fatalf("%s %q, want %s containing %q", r.Status, findings(r), tc.status, tc.want)
			}
		})
	}
	// A snapshot without the services list is not evidence of anything.
	s, err := hostfacts.Parse([]byte(`{"schema_version":"1","os":{"product_name":"Windows Server 2022","build":20348,"installation_type":"Server"},"registry":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	if r := runCheck(t, AgentRunningCheck{}, s); r.Status != StatusError || !strings.Contains(findings(r), `has no "services"`) {
		t.Fatalf("no services list: %s %q", r.Status, findings(r))
	}
}

func TestAgentRegistered(t *testing.T) {
	edit := func(f func(*hostfacts.Snapshot)) *hostfacts.Snapshot {
		s := registeredSnapshot(contosoTenant)
		f(s)
		return s
	}
	key := func(s *hostfacts.Snapshot) map[string]any { return s.Registry[hostfacts.RegAgent] }
	tests := []struct {
		name   string
		tenant string
		snap   *hostfacts.Snapshot
		status Status
		want   string
	}{
		{"registered to this tenant", contosoTenant, registeredSnapshot(contosoTenant), StatusPass,
			"registered: agent ID " + thisAgentID + ", tenant " + contosoTenant + " (--tenant-id)"},
		{"GUIDs compare without case or braces", contosoTenant, registeredSnapshot("{" + strings.ToUpper(contosoTenant) + "}"), StatusPass, "tenant " + contosoTenant},
		{"no tenant to compare with", "", registeredSnapshot(otherTenant), StatusPass, "not compared with the intended tenant: pass --tenant-id"},
		{"another tenant", contosoTenant, registeredSnapshot(otherTenant), StatusFail,
			"is registered to tenant " + otherTenant + ", not to " + contosoTenant + " (--tenant-id)"},
		{"installed, not registered", contosoTenant, edit(func(s *hostfacts.Snapshot) { delete(s.Registry, hostfacts.RegAgent) }), StatusFail,
			"does not exist: the agent is not registered"},
		{"nothing installed", contosoTenant, healthySnapshot(), StatusFail, "no PTA agent is installed and the agent's registry key"},
		{"no agent ID", contosoTenant, edit(func(s *hostfacts.Snapshot) { delete(key(s), "InstanceID") }), StatusFail, "holds no agent ID"},
		{"empty agent ID", contosoTenant, edit(func(s *hostfacts.Snapshot) { key(s)["InstanceID"] = "" }), StatusFail, "holds no agent ID"},
		{"agent ID under another *Instance* name", contosoTenant, edit(func(s *hostfacts.Snapshot) {
			delete(key(s), "InstanceID")
			key(s)["AgentInstanceId"] = thisAgentID
		}), StatusPass, "agent ID " + thisAgentID},
		{"agent ID not a GUID", contosoTenant, edit(func(s *hostfacts.Snapshot) { key(s)["InstanceID"] = "agent-7" }), StatusWarn, `the agent ID "agent-7" is not a GUID`},
		// TenantID is known only from unofficial sources: its absence
		// leaves the tenant unknown (error), it does not fail.
		{"no TenantID", contosoTenant, edit(func(s *hostfacts.Snapshot) { delete(key(s), "TenantID") }), StatusError, "has no TenantID value"},
		{"TenantID not a GUID", contosoTenant, edit(func(s *hostfacts.Snapshot) { key(s)["TenantID"] = "contoso" }), StatusFail, `TenantID "contoso" is not a tenant ID`},
		{"key unreadable", contosoTenant, edit(func(s *hostfacts.Snapshot) {
			delete(s.Registry, hostfacts.RegAgent)
			s.Warnings = append(s.Warnings, "registry "+hostfacts.RegAgent+": open: access denied")
		}), StatusError, "not evaluated: registry " + hostfacts.RegAgent + ": open: access denied"},
		{"a value unreadable", contosoTenant, edit(func(s *hostfacts.Snapshot) {
			delete(key(s), "TenantID")
			s.Warnings = append(s.Warnings, "registry "+hostfacts.RegAgent+": read value TenantID: access denied")
		}), StatusError, "read value TenantID: access denied"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCheck(t, AgentRegisteredCheck{TenantID: tc.tenant}, tc.snap)
			if r.Status != tc.status || !strings.Contains(findings(r), tc.want) {
				t.Fatalf("%s %q, want %s containing %q", r.Status, findings(r), tc.status, tc.want)
			}
		})
	}
	s, err := hostfacts.Parse([]byte(`{"schema_version":"1","os":{"product_name":"Windows Server 2022","build":20348,"installation_type":"Server"},"services":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	if r := runCheck(t, AgentRegisteredCheck{TenantID: contosoTenant}, s); r.Status != StatusError || !strings.Contains(findings(r), `has no "registry"`) {
		t.Fatalf("no registry: %s %q", r.Status, findings(r))
	}
}

// jwtFor is an access token shaped like Microsoft's (unsigned here: the
// check reads tid, it authorises nothing with it).
func jwtFor(tenant string) string {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	return enc(`{"typ":"JWT","alg":"RS256"}`) + "." + enc(`{"aud":"https://graph.microsoft.com","tid":"`+tenant+`"}`) + "." + enc("sig")
}

// Without --tenant-id, the Graph token's tid is the tenant compared with;
// a token that names none leaves the comparison out (said in the message),
// and one cut off by the deadline leaves the verdict open.
func TestAgentRegisteredTokenTenant(t *testing.T) {
	withToken := func(tok func(context.Context) (string, error)) *Env {
		return &Env{
			Host:   hostfacts.Static{S: registeredSnapshot(otherTenant)},
			Tenant: &graph.Tenant{Graph: &graph.Client{Token: tok}},
		}
	}
	static := func(s string) func(context.Context) (string, error) {
		return func(context.Context) (string, error) { return s, nil }
	}
	for _, tc := range []struct {
		name   string
		env    *Env
		status Status
		want   string
	}{
		{"token of another tenant", withToken(static(jwtFor(contosoTenant))), StatusFail,
			"registered to tenant " + otherTenant + ", not to " + contosoTenant + " (the Graph token's tid)"},
		{"token of the agent's tenant", withToken(static(jwtFor(otherTenant))), StatusPass, "(the Graph token's tid)"},
		{"opaque token", withToken(static("opaque")), StatusPass, "not compared with the intended tenant: the Graph token names no tenant (the token is not a JWT"},
		{"sign-in cut off", withToken(func(context.Context) (string, error) { return "", context.DeadlineExceeded }), StatusError,
			"not evaluated: the tenant of the Graph token (cut off)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := AgentRegisteredCheck{}
			r := toResult(c.Meta(), runWithNeeds(context.Background(), tc.env, c), 0)
			if r.Status != tc.status || !strings.Contains(findings(r), tc.want) {
				t.Fatalf("%s %q, want %s containing %q", r.Status, findings(r), tc.status, tc.want)
			}
		})
	}
}

// tenant.this-agent-active against the tenant emulator: the agent list is
// read over HTTPS as Graph serves it.
func TestThisAgentActive(t *testing.T) {
	addPTA04 := func(status string) func(*fixtures.Tenant) {
		return func(spec *fixtures.Tenant) {
			spec.Agents = append(spec.Agents, fixtures.TenantAgent{ID: thisAgentID, MachineName: "PTA04.corp.contoso.test", ExternalIP: "203.0.113.14", Status: status})
		}
	}
	host := func(s *hostfacts.Snapshot) hostfacts.Source { return hostfacts.Static{S: s} }
	cfg := TenantConfig{MachineName: "PTA04.corp.contoso.test"}
	for _, tc := range []struct {
		name   string
		edit   func(*fixtures.Tenant)
		cfg    TenantConfig
		host   hostfacts.Source
		status Status
		want   string
	}{
		{"listed and active", addPTA04("active"), cfg, host(registeredSnapshot(contosoTenant)), StatusPass,
			"listed and active: PTA04.corp.contoso.test (active, 203.0.113.14)"},
		{"status as the docs samples write it", addPTA04("Active"), cfg, nil, StatusPass, "listed and active"},
		{"short name", addPTA04("active"), TenantConfig{MachineName: "pta04"}, nil, StatusPass, "listed and active"},
		{"inactive", addPTA04("inactive"), cfg, host(registeredSnapshot(contosoTenant)), StatusFail, "listed but inactive (PTA04.corp.contoso.test (inactive, 203.0.113.14))"},
		{"absent", nil, cfg, host(registeredSnapshot(otherTenant)), StatusFail,
			"this server, PTA04.corp.contoso.test (agent ID " + thisAgentID + "), is not among the tenant's PTA agents (it lists PTA01.corp.contoso.test, PTA02.corp.contoso.test, PTA03.corp.contoso.test)"},
		{"empty list", func(spec *fixtures.Tenant) { spec.Agents = nil }, cfg, nil, StatusFail, "the list is empty"},
		// Matched by agent ID under another name (a renamed server).
		{"by agent ID", func(spec *fixtures.Tenant) {
			spec.Agents = append(spec.Agents, fixtures.TenantAgent{ID: thisAgentID, MachineName: "OLDNAME.corp.contoso.test", Status: "active"})
		}, cfg, host(registeredSnapshot(contosoTenant)), StatusPass, "listed and active: OLDNAME.corp.contoso.test"},
		// The agent ID decides over a stale entry with the same name.
		{"reinstalled: old entry inactive", func(spec *fixtures.Tenant) {
			addPTA04("active")(spec)
			spec.Agents = append(spec.Agents, fixtures.TenantAgent{ID: "5678fbc4-d093-4d82-c9c0-ecfb7c9cf0b1", MachineName: "PTA04.corp.contoso.test", Status: "inactive"})
		}, cfg, nil, StatusPass, "an older inactive entry of this server remains"},
		{"reinstalled: matched by ID, the old entry noted", func(spec *fixtures.Tenant) {
			addPTA04("active")(spec)
			spec.Agents = append(spec.Agents, fixtures.TenantAgent{ID: "5678fbc4-d093-4d82-c9c0-ecfb7c9cf0b1", MachineName: "PTA04.corp.contoso.test", Status: "inactive"})
		}, cfg, host(registeredSnapshot(contosoTenant)), StatusPass,
			"listed and active: PTA04.corp.contoso.test (active, 203.0.113.14); another entry with this server's name remains: PTA04.corp.contoso.test (inactive, no IP)"},
		{"ID unknown to the list", func(spec *fixtures.Tenant) {
			spec.Agents = append(spec.Agents, fixtures.TenantAgent{ID: "5678fbc4-d093-4d82-c9c0-ecfb7c9cf0b1", MachineName: "PTA04.corp.contoso.test", Status: "active"})
		}, cfg, host(registeredSnapshot(contosoTenant)), StatusPass, "the list shows no agent with this server's agent ID"},
		{"the agent ID alone", addPTA04("active"), TenantConfig{}, host(registeredSnapshot(contosoTenant)), StatusPass, "listed and active"},
		{"no name, no ID", addPTA04("active"), TenantConfig{}, nil, StatusError, "machine name is unknown: pass --machine-name"},
		{"status unknown", addPTA04("degraded"), cfg, nil, StatusError, `answered status "degraded", neither active nor inactive`},
		{"an unnamed agent may be this server", func(spec *fixtures.Tenant) {
			spec.Agents = append(spec.Agents, fixtures.TenantAgent{ID: "5678fbc4-d093-4d82-c9c0-ecfb7c9cf0b1", MachineName: " ", Status: "active"})
		}, cfg, nil, StatusError, "answered an empty machineName: it may be this server"},
		{"host facts unreadable", addPTA04("active"), cfg, checkstest.Host{Err: errors.New("access denied")}, StatusPass, "listed and active"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := tenantEnv(t, "healthy", tc.edit, "")
			env.Host = tc.host
			r := runTenant(t, env, ThisAgentActiveCheck{Config: tc.cfg, TenantID: contosoTenant})
			if r.Status != tc.status || !strings.Contains(findings(r), tc.want) {
				t.Fatalf("%s %q, want %s containing %q", r.Status, findings(r), tc.status, tc.want)
			}
		})
	}
	// The remediation of an inactive agent names this tenant's bootstrap
	// endpoint and the network path.
	env := tenantEnv(t, "healthy", addPTA04("inactive"), "")
	r := runTenant(t, env, ThisAgentActiveCheck{Config: cfg, TenantID: contosoTenant})
	for _, want := range []string{contosoTenant + ".pta.bootstrap.his.msappproxy.net:443", "*.servicebus.windows.net", "host.agent-running", "net.outbound-ports"} {
		if !strings.Contains(r.Remediation, want) {
			t.Errorf("remediation lacks %q: %s", want, r.Remediation)
		}
	}
	if r := runTenant(t, &Env{}, ThisAgentActiveCheck{Config: TenantConfig{NoTokenReason: "no Microsoft Graph token: pass --token-file"}}); r.Status != StatusSkip {
		t.Errorf("without a token: %s %q", r.Status, r.Message)
	}
}

// The verify checks run in verify and operate, nowhere else.
func TestVerifyPlan(t *testing.T) {
	ids := func(p Phase) string {
		var out []string
		for _, e := range Plan(p, Config{}) {
			out = append(out, e.ID())
		}
		return strings.Join(out, " ")
	}
	if got := ids(PhaseVerify); got != "host.agent-running host.agent-registered tenant.this-agent-active" {
		t.Errorf("verify: %s", got)
	}
	for _, p := range allPhases {
		has := strings.Contains(ids(p), "host.agent-running")
		if has != (p == PhaseVerify || p == PhaseOperate) {
			t.Errorf("%s: host.agent-running planned = %v", p, has)
		}
	}
}

// The fixtures' phase names are the checks' phases (fixtures does not
// import checks).
func TestFixturePhasesArePhases(t *testing.T) {
	var want []string
	for _, p := range allPhases {
		want = append(want, string(p))
	}
	if strings.Join(fixtures.Phases, " ") != strings.Join(want, " ") {
		t.Fatalf("fixtures.Phases %v, checks.Phases %v", fixtures.Phases, want)
	}
}

// A fixture is one server at one moment: its host, directory and tenant
// tell the same story. Before install and enable this server runs no agent
// and the tenant does not list it; before register the agent is installed,
// not registered, not listed; from verify on it is installed and
// registered, and the tenant lists it (by name and agent ID) exactly when
// it registered to this tenant; a stopped agent is never listed active.
func TestFixturesTrueToTheirMoment(t *testing.T) {
	for _, name := range fixtures.Names() {
		t.Run(name, func(t *testing.T) {
			sc, err := fixtures.Load(name)
			if err != nil {
				t.Fatal(err)
			}
			s, err := hostfacts.Parse(sc.Host)
			if err != nil {
				t.Fatal(err)
			}
			if sc.Tenant == nil || sc.Directory == nil || sc.Network == nil {
				t.Fatal("a built-in fixture emulates the host, network, directory and tenant")
			}
			tenant := sc.Network.TenantID
			if !strings.EqualFold(sc.Tenant.TenantID, tenant) {
				t.Errorf("tenant.json is tenant %s, fixture.json's network %s", sc.Tenant.TenantID, tenant)
			}
			machine := s.ComputerName + "." + sc.Directory.Domain
			a := detectAgent(s)
			var listed []fixtures.TenantAgent
			for _, ag := range sc.Tenant.Agents {
				if sameMachine(ag.MachineName, machine) {
					listed = append(listed, ag)
				}
			}
			switch sc.Phase {
			case "install", "enable":
				if a.Installed || a.RegistryKey != "" || len(listed) > 0 {
					t.Errorf("%s is before any agent on %s: installed %v, registry key %q, listed %v", sc.Phase, machine, a.Installed, a.RegistryKey, listed)
				}
			case "register":
				if !a.Installed || a.AgentID != "" || len(listed) > 0 {
					t.Errorf("register: the agent is installed, not registered, not listed: installed %v, agent ID %q, listed %v", a.Installed, a.AgentID, listed)
				}
			default:
				if !a.Installed || a.AgentID == "" || a.TenantID == "" || a.UpdaterService == nil {
					t.Fatalf("%s: the agent and its Updater are installed and registered: installed %v, agent ID %q, tenant %q", sc.Phase, a.Installed, a.AgentID, a.TenantID)
				}
				switch {
				case !strings.EqualFold(a.TenantID, tenant) && len(listed) > 0:
					t.Errorf("registered to tenant %s, yet this tenant (%s) lists %v", a.TenantID, tenant, listed)
				case strings.EqualFold(a.TenantID, tenant) && (len(listed) != 1 || !strings.EqualFold(listed[0].ID, a.AgentID)):
					t.Errorf("registered to this tenant with agent ID %s: the tenant lists %v", a.AgentID, listed)
				case len(listed) == 1 && a.Service.State != "running" && strings.EqualFold(listed[0].Status, "active"):
					t.Errorf("the agent is %s, yet listed active", a.Service.State)
				}
			}
		})
	}
}
