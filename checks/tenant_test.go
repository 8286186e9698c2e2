package checks

import (
	"context"
	"errors"
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
	return &Env{Tenant: &graph.Tenant{
		Graph:         &graph.Client{BaseURL: rt.GraphURL, HTTP: rt.HTTPClient(), Token: tok},
		SignIn:        graph.SignIn{LoginURL: rt.LoginURL, Tenant: rt.TenantID, HTTP: rt.HTTPClient()},
		AdminPassword: password,
	}}
}

func runTenant(t *testing.T, env *Env, c Check) Result {
	t.Helper()
	return RunPlan(context.Background(), env, []Entry{{Check: c, Timeout: 30 * time.Second}}, RunOptions{})[0]
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
	// A cloud-only Hybrid Identity Administrator, direct and active: the
	// role the current quick start and troubleshooting pages name.
	r := runTenant(t, tenantEnv(t, "healthy", hia, ""), AdminAccountCheck{})
	if r.Status != StatusPass || !strings.Contains(r.Message, "cloud-only, Hybrid Identity Administrator (direct), no MFA requirement found") {
		t.Fatalf("HIA only: %s %s", r.Status, findings(r))
	}
	r = runTenant(t, tenantEnv(t, "healthy", hia, ""), AdminAccountCheck{Config: TenantConfig{RequireGlobalAdmin: true}})
	if r.Status != StatusFail || !strings.Contains(findings(r), "--require-global-admin") {
		t.Fatalf("HIA with --require-global-admin: %s %s", r.Status, findings(r))
	}
	none := func(spec *fixtures.Tenant) { spec.RoleAssignments = nil }
	r = runTenant(t, tenantEnv(t, "healthy", none, ""), AdminAccountCheck{})
	if r.Status != StatusFail || !strings.Contains(findings(r), "neither Hybrid Identity Administrator nor Global Administrator") {
		t.Fatalf("no role: %s %s", r.Status, findings(r))
	}
	sd := func(spec *fixtures.Tenant) { spec.SecurityDefaults = true }
	r = runTenant(t, tenantEnv(t, "healthy", sd, ""), AdminAccountCheck{})
	if r.Status != StatusFail || !strings.Contains(findings(r), "security defaults are on: admin@contoso.onmicrosoft.com (Global Administrator) must complete MFA at every sign-in") {
		t.Fatalf("security defaults: %s %s", r.Status, findings(r))
	}
	// Security defaults demand MFA at every sign-in of the roles their page
	// lists; Hybrid Identity Administrator is not one: "when necessary".
	r = runTenant(t, tenantEnv(t, "healthy", func(spec *fixtures.Tenant) { hia(spec); sd(spec) }, ""), AdminAccountCheck{})
	if r.Status != StatusWarn || !strings.Contains(findings(r), "may be prompted when necessary") {
		t.Fatalf("security defaults, HIA: %s %s", r.Status, findings(r))
	}
}

// A role held only through a group fails and names the group (Entra
// Connect prerequisites: assigned directly), with or without
// --require-global-admin, for either role.
func TestAdminRoleThroughGroup(t *testing.T) {
	const groupID = "5f1c7a52-3c0e-4b8e-9a43-7d2e6b1f0c9a"
	viaGroup := func(role string) func(*fixtures.Tenant) {
		return func(spec *fixtures.Tenant) {
			spec.Groups = append(spec.Groups, fixtures.TenantGroup{ID: groupID, DisplayName: "PTA Admins", IsAssignableToRole: true, Members: []string{spec.Users[0].ID}})
			spec.RoleAssignments = []fixtures.TenantRole{{PrincipalID: groupID, RoleTemplateID: role}}
		}
	}
	for _, tc := range []struct {
		role string
		cfg  TenantConfig
		want string
	}{
		{graph.RoleGlobalAdministrator, TenantConfig{}, `holds Global Administrator only through the group "PTA Admins" (` + groupID + `): the role must be assigned directly to the user`},
		{graph.RoleHybridIdentityAdministrator, TenantConfig{}, `holds Hybrid Identity Administrator only through the group "PTA Admins"`},
		{graph.RoleGlobalAdministrator, TenantConfig{RequireGlobalAdmin: true}, `holds Global Administrator only through the group "PTA Admins"`},
	} {
		r := runTenant(t, tenantEnv(t, "healthy", viaGroup(tc.role), ""), AdminAccountCheck{Config: tc.cfg})
		if r.Status != StatusFail || !strings.Contains(findings(r), tc.want) {
			t.Errorf("%s %+v: %s %s", graph.RoleName(tc.role), tc.cfg, r.Status, findings(r))
		}
	}
	// The fixture scenario says the same.
	r := runTenant(t, tenantEnv(t, "group-role-admin", nil, ""), AdminAccountCheck{})
	if r.Status != StatusFail || !strings.Contains(findings(r), `only through the group "PTA Admins"`) {
		t.Errorf("group-role-admin: %s %s", r.Status, findings(r))
	}
	r = runTenant(t, tenantEnv(t, "hia-admin", nil, ""), AdminAccountCheck{})
	if r.Status != StatusPass {
		t.Errorf("hia-admin: %s %s", r.Status, findings(r))
	}
}

// Graph answers that hold no evidence: {} for the per-user MFA state or
// the security defaults, an unknown value, duplicate keys, object bombs.
// The check never passes on them: it errors, naming the call and the field.
func TestAdminAccountNeedsEvidence(t *testing.T) {
	const mfaPath = "/beta/users/6be4b305-b75e-4efc-bfcc-31bd3b53a5f8/authentication/requirements"
	const sdPath = "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy"
	fault := func(path, body string) func(*fixtures.Tenant) {
		return func(spec *fixtures.Tenant) {
			spec.Faults = append(spec.Faults, fixtures.TenantFault{Path: path, Body: body})
		}
	}
	for _, tc := range []struct {
		name string
		edit func(*fixtures.Tenant)
		want string
	}{
		{"{} for the per-user MFA state", fault(mfaPath, fixtures.FaultBodyEmptyObject),
			"not evaluated: the per-user MFA state: graph GET " + mfaPath + ": 200 ok: malformed response: a field the checks read is missing: perUserMfaState is not in the answer"},
		{"{} for the security defaults", fault(sdPath, fixtures.FaultBodyEmptyObject),
			"not evaluated: security defaults: graph GET " + sdPath + ": 200 ok: malformed response: a field the checks read is missing: isEnabled is not in the answer"},
		{"duplicate keys in the security defaults", fault(sdPath, fixtures.FaultBodyDuplicateKeys), `duplicate key "@odata.context"`},
		{"an object bomb for the CA policies", fault("/v1.0/identity/conditionalAccess/policies", fixtures.FaultBodyObjectBomb), "item 1: malformed response: a field the checks read is missing: id is not in the answer"},
		{"a nested bomb for the MFA state", fault(mfaPath, fixtures.FaultBodyNestedBomb), "more than 100000 objects and arrays in one answer"},
		{"{} for the user", fault("/v1.0/me", fixtures.FaultBodyEmptyObject), "read the admin account (the signed-in user): graph GET /v1.0/me: 200 ok: malformed response: a field the checks read is missing: id is not in the answer"},
		{"duplicate keys in the MFA state", func(spec *fixtures.Tenant) {
			spec.Faults = append(spec.Faults, fixtures.TenantFault{Path: mfaPath, Body: fixtures.FaultBodyDuplicateKeys})
		}, `duplicate key "perUserMfaState"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runTenant(t, tenantEnv(t, "healthy", tc.edit, ""), AdminAccountCheck{})
			if r.Status != StatusError || !strings.Contains(findings(r), tc.want) {
				t.Fatalf("%s %q, want error containing %q", r.Status, findings(r), tc.want)
			}
		})
	}
}

// decideAdmin on facts that carry values ptacheck does not know: each is a
// fact not read, so the check errors (or fails on a definite finding).
func TestDecideAdminUnknownValues(t *testing.T) {
	yes, no := true, false
	base := func() *graph.AdminFacts {
		return &graph.AdminFacts{
			User:             graph.Fact[*graph.User]{V: &graph.User{ID: "u1", UserPrincipalName: "admin@contoso.com", UserType: "Member", AccountEnabled: &yes}},
			Assignments:      graph.Fact[[]graph.RoleAssignment]{V: []graph.RoleAssignment{{PrincipalID: "u1", RoleDefinitionID: graph.RoleHybridIdentityAdministrator, DirectoryScopeID: "/"}}},
			MFA:              graph.Fact[*graph.AuthenticationRequirements]{V: &graph.AuthenticationRequirements{PerUserMFAState: "disabled"}},
			SecurityDefaults: graph.Fact[*graph.SecurityDefaults]{V: &graph.SecurityDefaults{IsEnabled: false}},
		}
	}
	out := decideAdmin(base(), nil, TenantConfig{})
	if r := toResult(AdminAccountCheck{}.Meta(), out, 0); r.Status != StatusPass {
		t.Fatalf("base facts: %s %v", r.Status, r.Findings)
	}
	for _, tc := range []struct {
		name   string
		edit   func(*graph.AdminFacts)
		status Status
		want   string
	}{
		{"per-user MFA state unknown", func(f *graph.AdminFacts) { f.MFA.V.PerUserMFAState = "sometimes" }, StatusError,
			`GET /beta/users/{id}/authentication/requirements answered perUserMfaState "sometimes"`},
		{"userType unknown", func(f *graph.AdminFacts) { f.User.V.UserType = "" }, StatusError, `answered userType "", neither Member nor Guest`},
		{"CA state unknown", func(f *graph.AdminFacts) {
			f.Policies.V = []graph.ConditionalAccessPolicy{{ID: "p1", DisplayName: "MFA", State: "enabledSometimes"}}
		}, StatusError, `answered state "enabledSometimes"`},
		{"roles not read", func(f *graph.AdminFacts) { f.Assignments = graph.Fact[[]graph.RoleAssignment]{Err: errors.New("403")} }, StatusError,
			"the admin's role assignments: 403"},
		{"security defaults on, roles not read", func(f *graph.AdminFacts) {
			f.Assignments = graph.Fact[[]graph.RoleAssignment]{Err: errors.New("403")}
			f.SecurityDefaults.V.IsEnabled = true
		}, StatusError, "its roles could not be read"},
		{"disabled, and MFA unknown: the definite failure stands", func(f *graph.AdminFacts) {
			f.User.V.AccountEnabled = &no
			f.MFA.V.PerUserMFAState = "?"
		}, StatusFail, "not evaluated: the per-user MFA state"},
		{"synchronised", func(f *graph.AdminFacts) { f.User.V.OnPremisesSyncEnabled = &yes }, StatusFail, "onPremisesSyncEnabled true"},
		{"an immutable ID alone is cloud-only", func(f *graph.AdminFacts) { f.User.V.OnPremisesImmutableID = "abc=" }, StatusPass, ""},
	} {
		f := base()
		tc.edit(f)
		r := toResult(AdminAccountCheck{}.Meta(), decideAdmin(f, nil, TenantConfig{}), 0)
		if r.Status != tc.status || !strings.Contains(strings.Join(r.Findings, " | "), tc.want) {
			t.Errorf("%s: %s %q, want %s containing %q", tc.name, r.Status, r.Findings, tc.status, tc.want)
		}
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
		{"healthy", AgentLimitCheck{Config: TenantConfig{AgentLimit: 3}}, StatusFail, "the tenant has 3 active agents, its limit is 3"},
		// Microsoft gives the limit, not whether inactive agents count
		// toward it: a limit reached only through them warns.
		{"no-active-agent", AgentLimitCheck{Config: TenantConfig{AgentLimit: 3}}, StatusWarn, "the tenant lists 3 agents, 3 of them not active, against its limit of 3"},
		{"no-active-agent", AgentLimitCheck{Config: TenantConfig{AgentLimit: 2}}, StatusWarn, "Microsoft does not say whether agents that are not active count"},
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
	forgetAD(env)
	rs = runAD(t, env, cfg)
	if rs[1].Status != StatusPass || !strings.Contains(rs[1].Message, "cloud-only, not served by PTA: contoso.net") {
		t.Fatalf("cloud-only domain: %s %q", rs[1].Status, findings(rs[1]))
	}
	yes := true
	env.Tenant = tenantEnv(t, "healthy", func(spec *fixtures.Tenant) {
		cloudDomain(spec)
		spec.Users = append(spec.Users, fixtures.TenantUser{ID: "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d", UserPrincipalName: "dave@contoso.net", OnPremisesSyncEnabled: &yes})
	}, "").Tenant
	forgetAD(env)
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
	forgetAD(env)
	rs = runAD(t, env, cfg)
	if rs[1].Status != StatusWarn || !strings.Contains(findings(rs[1]), "could not tell whether contoso.net has synchronised users") ||
		!strings.Contains(findings(rs[1]), "User.Read.All") || strings.Contains(findings(rs[1]), "could not tell whether corp.contoso.test") {
		t.Fatalf("count refused: %s %q", rs[1].Status, findings(rs[1]))
	}
	t.Log(findings(rs[1]))
}

// The other tenant checks hold the same line: an agent status Graph does
// not document, an answer without the fields read, duplicate keys or an
// object bomb make the check error, naming the call and the field, never
// pass.
func TestTenantChecksNeedEvidence(t *testing.T) {
	cfg := TenantConfig{MachineName: "PTA01.corp.contoso.test"}
	degraded := func(spec *fixtures.Tenant) {
		spec.Agents[1].Status = "degraded"
		spec.Agents[2].Status = "inactive"
	}
	fault := func(path, body string) func(*fixtures.Tenant) {
		return func(spec *fixtures.Tenant) {
			spec.Faults = append(spec.Faults, fixtures.TenantFault{Path: path, Body: body})
		}
	}
	const agents = "/beta/onPremisesPublishingProfiles/authentication/agents"
	for _, tc := range []struct {
		name  string
		edit  func(*fixtures.Tenant)
		check Check
		want  string
	}{
		{"unknown status, active-agents", degraded, ActiveAgentsCheck{Config: cfg}, `answered status "degraded", neither active nor inactive`},
		{"unknown status, other-agents", degraded, OtherAgentsCheck{Config: cfg}, `PTA agent PTA02.corp.contoso.test (2345c891-a760-4a5f-96d6-b9d84f69c78e): GET ` + agents + ` answered status "degraded"`},
		{"{} for the agents", fault(agents, fixtures.FaultBodyEmptyObject), ActiveAgentsCheck{Config: cfg}, `graph GET ` + agents + `: 200 ok: malformed response: no "value" array`},
		{"duplicate keys in the agents", fault(agents, fixtures.FaultBodyDuplicateKeys), OtherAgentsCheck{Config: cfg}, `duplicate key "@odata.context"`},
		{"object bomb for the agents", fault(agents, fixtures.FaultBodyObjectBomb), AgentLimitCheck{Config: cfg}, "item 1: malformed response: a field the checks read is missing: machineName is not in the answer"},
		{"{} for the domains", fault("/v1.0/domains", fixtures.FaultBodyEmptyObject), ManagedDomainsCheck{}, `no "value" array`},
		{"duplicate keys in the domains", fault("/v1.0/domains", fixtures.FaultBodyDuplicateKeys), ManagedDomainsCheck{}, `duplicate key "@odata.context"`},
		{"{} for a role holder", fault("/v1.0/users/6be4b305-b75e-4efc-bfcc-31bd3b53a5f8", fixtures.FaultBodyEmptyObject), CloudAdminFallbackCheck{}, "id is not in the answer"},
		{"nested bomb for the role holders", fault("/v1.0/roleManagement/directory/roleAssignments", fixtures.FaultBodyNestedBomb), CloudAdminFallbackCheck{}, "more than 100000 objects and arrays"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runTenant(t, tenantEnv(t, "healthy", tc.edit, ""), tc.check)
			if r.Status != StatusError || !strings.Contains(findings(r), tc.want) {
				t.Fatalf("%s %q, want error containing %q", r.Status, findings(r), tc.want)
			}
		})
	}
	// Three known active agents decide without the unknown one.
	r := runTenant(t, tenantEnv(t, "healthy", func(spec *fixtures.Tenant) {
		spec.Agents = append(spec.Agents, fixtures.TenantAgent{ID: "4567eab3-c982-4c71-b8bf-dbfa6b8be9a0", MachineName: "PTA04.corp.contoso.test", Status: "degraded"})
	}, ""), ActiveAgentsCheck{Config: cfg})
	if r.Status != StatusPass {
		t.Errorf("3 active and 1 unknown: %s %s", r.Status, findings(r))
	}
}

// AADSTS codes are named once, by the table of codes (checks/codes): the
// sign-in client carries the numbers only.
func TestAADSTSNamesComeFromTheCodes(t *testing.T) {
	r := &graph.PasswordResult{Error: &graph.SignInError{Codes: []int{graph.AADSTSMFARequired}, TraceID: "t1"}}
	if got := signInCodes(r); got != "AADSTS50076 UserStrongAuthClientAuthNRequired [trace t1]" {
		t.Errorf("signInCodes = %q", got)
	}
	if got := aadstsName(65001); got != "" {
		t.Errorf("a code the table does not know has the name %q", got)
	}
}
