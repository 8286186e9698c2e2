package checks

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ptacheck/ptacheck/checks/checkstest"
	"github.com/ptacheck/ptacheck/checks/graph"
	"github.com/ptacheck/ptacheck/fixtures"
)

// tenantEnv starts the tenant emulator for a scenario and returns an Env
// whose Graph client reads it. Every test asserts afterwards that only GET
// requests reached Graph.
func tenantEnv(t *testing.T, scenario string, edit func(*fixtures.Tenant), password string) *Env {
	t.Helper()
	rt := checkstest.StartTenant(t, scenario, edit)
	t.Cleanup(func() {
		for _, v := range rt.Violations() {
			t.Errorf("a non-GET request reached Graph: %s %s", v.Method, v.Path)
		}
	})
	tok, _ := graph.StaticToken(rt.Token)
	return &Env{Tenant: &TenantClient{
		Graph:         &graph.Client{BaseURL: rt.GraphURL, HTTP: rt.HTTPClient(), Token: tok},
		SignIn:        graph.SignIn{LoginURL: rt.LoginURL, Tenant: rt.TenantID, HTTP: rt.HTTPClient()},
		AdminPassword: password,
	}}
}

func runTenant(t *testing.T, env *Env, c Check) Result {
	t.Helper()
	return Run(context.Background(), env, []Entry{{Check: c, Timeout: 30 * time.Second}}, RunOptions{})[0]
}

const admin = "admin@contoso.onmicrosoft.com"

func TestAdminAccount(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		cfg      TenantConfig
		password string
		status   Status
		want     []string
	}{
		{"healthy", TenantConfig{}, "", StatusPass, []string{"cloud-only, Global Administrator (direct), no MFA requirement found"}},
		{"healthy", TenantConfig{AdminUPN: admin}, "pw", StatusPass, nil},
		{"mfa-admin", TenantConfig{AdminUPN: admin}, "", StatusFail, []string{"per-user MFA enforced"}},
		{"mfa-admin", TenantConfig{AdminUPN: admin}, "pw", StatusFail, []string{"per-user MFA enforced", "a password sign-in as admin@contoso.onmicrosoft.com answered AADSTS50076"}},
		{"ca-mfa-admin", TenantConfig{}, "", StatusFail, []string{`Conditional Access policy "Require MFA for Global Administrators" (c558e346-969d-40a7-a64e-2df6c2c88490) requires MFA`}},
		{"synced-admin", TenantConfig{}, "", StatusFail, []string{"synchronised from on-premises AD"}},
		{"eligible-only-admin", TenantConfig{}, "", StatusFail, []string{"only eligible for Global Administrator (PIM), not active"}},
		{"healthy", TenantConfig{AdminUPN: "nobody@contoso.onmicrosoft.com"}, "", StatusFail, []string{"no user nobody@contoso.onmicrosoft.com in the tenant"}},
	} {
		t.Run(tc.scenario+"/"+tc.cfg.AdminUPN+"/"+tc.password, func(t *testing.T) {
			r := runTenant(t, tenantEnv(t, tc.scenario, nil, tc.password), AdminAccountCheck{Config: tc.cfg})
			text := findings(r)
			if r.Status != tc.status {
				t.Fatalf("%s, want %s: %s", r.Status, tc.status, text)
			}
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("%q lacks %q", text, w)
				}
			}
		})
	}
}

func TestAdminAccountRoles(t *testing.T) {
	hia := func(spec *fixtures.Tenant) {
		for i := range spec.RoleAssignments {
			spec.RoleAssignments[i].RoleTemplateID = graph.RoleHybridIdentityAdministrator
		}
	}
	r := runTenant(t, tenantEnv(t, "healthy", hia, ""), AdminAccountCheck{})
	if r.Status != StatusWarn || !strings.Contains(findings(r), "Hybrid Identity Administrator but not Global Administrator: current agents accept it") {
		t.Fatalf("HIA only: %s %s", r.Status, findings(r))
	}
	r = runTenant(t, tenantEnv(t, "healthy", hia, ""), AdminAccountCheck{Config: TenantConfig{RequireGlobalAdmin: true}})
	if r.Status != StatusFail || !strings.Contains(findings(r), "--require-global-admin") {
		t.Fatalf("HIA with --require-global-admin: %s %s", r.Status, findings(r))
	}
	none := func(spec *fixtures.Tenant) { spec.RoleAssignments = nil }
	r = runTenant(t, tenantEnv(t, "healthy", none, ""), AdminAccountCheck{})
	if r.Status != StatusFail || !strings.Contains(findings(r), "neither Global Administrator nor Hybrid Identity Administrator") {
		t.Fatalf("no role: %s %s", r.Status, findings(r))
	}
	sd := func(spec *fixtures.Tenant) { spec.SecurityDefaults = true }
	r = runTenant(t, tenantEnv(t, "healthy", sd, ""), AdminAccountCheck{})
	if r.Status != StatusFail || !strings.Contains(findings(r), "security defaults are on: Global Administrators must complete MFA") {
		t.Fatalf("security defaults: %s %s", r.Status, findings(r))
	}
}

// A permission the signed-in account lacks: the part it blocks is not
// evaluated (an error, never a pass), and the message names the permission.
func TestAdminAccountMissingPermission(t *testing.T) {
	deny := func(spec *fixtures.Tenant) {
		spec.Faults = append(spec.Faults, fixtures.TenantFault{Path: "/v1.0/identity/conditionalAccess/policies", Status: http.StatusForbidden})
	}
	r := runTenant(t, tenantEnv(t, "healthy", deny, ""), AdminAccountCheck{})
	if r.Status != StatusError || !strings.Contains(findings(r), "Policy.Read.All") {
		t.Fatalf("%s %s", r.Status, findings(r))
	}
}

func TestAgentChecks(t *testing.T) {
	cfg := TenantConfig{MachineName: "PTA01.corp.contoso.test"}
	for _, tc := range []struct {
		scenario string
		check    Check
		status   Status
		want     string
	}{
		{"healthy", ActiveAgentsCheck{Config: cfg}, StatusPass, "3 agents active of 3"},
		{"no-active-agent", ActiveAgentsCheck{Config: cfg}, StatusFail, "no active PTA agent"},
		{"two-agents", ActiveAgentsCheck{Config: cfg}, StatusWarn, "only 2 agents are active"},
		{"healthy", OtherAgentsCheck{Config: cfg}, StatusWarn, "only 2 active agents would remain (PTA02.corp.contoso.test (active, 203.0.113.12), PTA03"},
		{"two-agents", OtherAgentsCheck{Config: cfg}, StatusWarn, "only 1 active agent would remain"},
		{"last-agent", OtherAgentsCheck{Config: cfg}, StatusFail, "no other active agent: after uninstalling PTA01.corp.contoso.test"},
		// The short name matches the registered FQDN.
		{"last-agent", OtherAgentsCheck{Config: TenantConfig{MachineName: "pta01"}}, StatusFail, "no other active agent"},
		{"healthy", AgentLimitCheck{Config: cfg}, StatusPass, "3 of 40 agents used"},
		{"healthy", AgentLimitCheck{Config: TenantConfig{AgentLimit: 3}}, StatusFail, "its limit is 3"},
		{"healthy", AgentLimitCheck{Config: TenantConfig{AgentLimit: 4}}, StatusWarn, "close to its limit of 4"},
		{"healthy", CloudAdminFallbackCheck{}, StatusPass, "admin@contoso.onmicrosoft.com (Global Administrator)"},
		{"synced-admin", CloudAdminFallbackCheck{}, StatusFail, "no enabled, cloud-only Global Administrator"},
		{"healthy", ManagedDomainsCheck{}, StatusPass, "managed: corp.contoso.test; federated (not PTA): fed.contoso.test"},
	} {
		t.Run(tc.scenario+"/"+tc.check.Meta().ID, func(t *testing.T) {
			r := runTenant(t, tenantEnv(t, tc.scenario, nil, ""), tc.check)
			if r.Status != tc.status || !strings.Contains(findings(r), tc.want) {
				t.Fatalf("%s %q, want %s containing %q", r.Status, findings(r), tc.status, tc.want)
			}
		})
	}
}

func TestTenantChecksWithoutToken(t *testing.T) {
	cfg := TenantConfig{NoTokenReason: "no Microsoft Graph token: pass --token-file"}
	for _, c := range []Check{AdminAccountCheck{Config: cfg}, ActiveAgentsCheck{Config: cfg}, OtherAgentsCheck{Config: cfg}, ManagedDomainsCheck{Config: cfg}} {
		r := runTenant(t, &Env{}, c)
		if r.Status != StatusSkip || !strings.Contains(r.Message, "--token-file") {
			t.Errorf("%s: %s %q", c.Meta().ID, r.Status, r.Message)
		}
	}
}

// ad.forest-membership checks the tenant's verified managed domains that
// have synchronised users when no suffix is given: a managed domain of
// cloud-only users is listed and does not affect the verdict (the PTA quick
// start: PTA does not affect cloud-only users); one with synchronised users
// must be served.
func TestForestUsesTenantDomains(t *testing.T) {
	env := adEnv(t, contosoDirectory(), nil, fixtureBind)
	env.Tenant = tenantEnv(t, "healthy", nil, "").Tenant
	cfg := ADConfig{Domain: "corp.contoso.test", TenantDomains: true}
	rs := runAD(t, env, cfg)
	if rs[1].Status != StatusPass || !strings.Contains(rs[1].Message, "serves corp.contoso.test (domain)") {
		t.Fatalf("%s %q", rs[1].Status, findings(rs[1]))
	}
	cloudDomain := func(spec *fixtures.Tenant) {
		spec.Domains = append(spec.Domains, fixtures.TenantDomain{Name: "contoso.net", AuthenticationType: "Managed", IsVerified: true})
		spec.Users = append(spec.Users, fixtures.TenantUser{ID: "0f7c6f3e-1d2b-4c8a-9e5f-3a2b1c0d9e8f", UserPrincipalName: "carol@contoso.net"})
	}
	env.Tenant = tenantEnv(t, "healthy", cloudDomain, "").Tenant
	env.AD.gathered = memoTable{}
	rs = runAD(t, env, cfg)
	if rs[1].Status != StatusPass || !strings.Contains(rs[1].Message, "cloud-only, not served by PTA: contoso.net") {
		t.Fatalf("cloud-only domain: %s %q", rs[1].Status, findings(rs[1]))
	}
	yes := true
	env.Tenant = tenantEnv(t, "healthy", func(spec *fixtures.Tenant) {
		cloudDomain(spec)
		spec.Users = append(spec.Users, fixtures.TenantUser{ID: "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d", UserPrincipalName: "dave@contoso.net", OnPremisesSyncEnabled: &yes})
	}, "").Tenant
	env.AD.gathered = memoTable{}
	rs = runAD(t, env, cfg)
	if rs[1].Status != StatusFail || !strings.Contains(findings(rs[1]), "UPN suffix contoso.net is neither a domain of forest corp.contoso.test") {
		t.Fatalf("synchronised users in another forest: %s %q", rs[1].Status, findings(rs[1]))
	}
	// The count cannot be read (no User.Read.All): a warning naming the
	// domain, never a failure on a guess.
	env.Tenant = tenantEnv(t, "healthy", func(spec *fixtures.Tenant) {
		cloudDomain(spec)
		spec.Faults = append(spec.Faults, fixtures.TenantFault{Path: "/v1.0/users", Status: 403})
	}, "").Tenant
	env.AD.gathered = memoTable{}
	rs = runAD(t, env, cfg)
	if rs[1].Status != StatusWarn || !strings.Contains(findings(rs[1]), "could not tell whether contoso.net has synchronised users") ||
		!strings.Contains(findings(rs[1]), "User.Read.All") || strings.Contains(findings(rs[1]), "could not tell whether corp.contoso.test") {
		t.Fatalf("count refused: %s %q", rs[1].Status, findings(rs[1]))
	}
	t.Log(findings(rs[1]))
}
