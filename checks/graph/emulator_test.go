package graph_test

// These tests run the real client, MSAL included, against the loopback
// tenant emulator of package fixtures. Only this external test package
// imports fixtures; package graph itself stays a leaf.

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ptacheck/ptacheck/checks/graph"
	"github.com/ptacheck/ptacheck/fixtures"
)

const draftDir = "../../fixtures/scenarios"

func loadSpec(t *testing.T, name string) *fixtures.Tenant {
	t.Helper()
	spec, err := fixtures.LoadTenant(os.DirFS(draftDir), name)
	if err != nil || spec == nil {
		t.Fatalf("%s: %v", name, err)
	}
	return spec
}

func start(t *testing.T, spec *fixtures.Tenant) *fixtures.RunningTenant {
	t.Helper()
	rt, err := fixtures.StartTenant(context.Background(), spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if v := rt.Violations(); len(v) > 0 {
			t.Errorf("non-GET requests reached Graph: %+v", v)
		}
		rt.Close()
	})
	return rt
}

func clientFor(t *testing.T, rt *fixtures.RunningTenant) *graph.Client {
	t.Helper()
	tok, err := graph.StaticToken(rt.Token)
	if err != nil {
		t.Fatal(err)
	}
	return &graph.Client{BaseURL: rt.GraphURL, HTTP: rt.HTTPClient(), Token: tok, BackoffBase: 50 * time.Millisecond}
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func activeAgents(as []graph.Agent) []string {
	var out []string
	for _, a := range as {
		if a.Active() {
			out = append(out, a.MachineName)
		}
	}
	return out
}

func roleIDs[T any](items []T, id func(T) string) []string {
	var out []string
	for _, x := range items {
		out = append(out, id(x))
	}
	return out
}

// TestEmulatorServesEveryCall runs every typed call against each draft
// tenant and compares the answers with the spec.
func TestEmulatorServesEveryCall(t *testing.T) {
	ga := []string{graph.RoleGlobalAdministrator}
	for _, tc := range []struct {
		scenario       string
		mfaState       string
		sync           graph.SyncState
		activeRoles    []string // directory roles of the admin
		eligibleRoles  []string
		caMFA          graph.Tri // strongest CA MFA requirement for the admin
		activeAgents   []string
		agentsInactive int
	}{
		{"healthy", "disabled", graph.SyncNever, ga, nil, graph.No, []string{"PTA01.corp.contoso.test", "PTA02.corp.contoso.test", "PTA03.corp.contoso.test"}, 0},
		{"mfa-admin", "enforced", graph.SyncNever, ga, nil, graph.No, []string{"PTA01.corp.contoso.test", "PTA02.corp.contoso.test", "PTA03.corp.contoso.test"}, 0},
		{"ca-mfa-admin", "disabled", graph.SyncNever, ga, nil, graph.Yes, []string{"PTA01.corp.contoso.test", "PTA02.corp.contoso.test", "PTA03.corp.contoso.test"}, 0},
		{"synced-admin", "disabled", graph.SyncActive, ga, nil, graph.No, []string{"PTA01.corp.contoso.test", "PTA02.corp.contoso.test", "PTA03.corp.contoso.test"}, 0},
		{"eligible-only-admin", "disabled", graph.SyncNever, nil, ga, graph.No, []string{"PTA01.corp.contoso.test", "PTA02.corp.contoso.test", "PTA03.corp.contoso.test"}, 0},
		{"no-active-agent", "disabled", graph.SyncNever, ga, nil, graph.No, nil, 3},
		{"last-agent", "disabled", graph.SyncNever, ga, nil, graph.No, []string{"PTA01.corp.contoso.test"}, 1},
		{"two-agents", "disabled", graph.SyncNever, ga, nil, graph.No, []string{"PTA01.corp.contoso.test", "PTA02.corp.contoso.test"}, 0},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			spec := loadSpec(t, tc.scenario)
			rt := start(t, spec)
			c := clientFor(t, rt)
			ctx := ctxFor(t, 30*time.Second)
			const upn = "admin@contoso.onmicrosoft.com"

			org, err := c.Organization(ctx)
			if err != nil || org.ID != spec.TenantID || len(org.VerifiedDomains) != 3 || org.VerifiedDomains[0].Name != "contoso.onmicrosoft.com" ||
				!org.VerifiedDomains[0].IsInitial || (org.OnPremisesSyncEnabled != nil) != (tc.sync == graph.SyncActive) {
				t.Errorf("organization %+v %v", org, err)
			}
			doms, err := c.Domains(ctx)
			if err != nil || len(doms) != 3 || !doms[0].Managed() || !doms[1].Managed() || !doms[2].Federated() || !doms[1].IsDefault {
				t.Errorf("domains %+v %v", doms, err)
			}
			if d, err := c.Domain(ctx, "FED.contoso.test"); err != nil || !d.Federated() || d.ID != "fed.contoso.test" {
				t.Errorf("domain %+v %v", d, err)
			}
			if _, err := c.Domain(ctx, "nope.test"); !graph.IsNotFound(err) {
				t.Errorf("missing domain: %v", err)
			}

			u, err := c.User(ctx, upn)
			if err != nil || u.ID != spec.Users[0].ID || u.UserType != "Member" || u.AccountEnabled == nil || !*u.AccountEnabled || u.Sync() != tc.sync {
				t.Fatalf("user %+v %v", u, err)
			}
			if tc.sync == graph.SyncActive && (u.OnPremisesImmutableID == "" || u.OnPremisesDomainName != "corp.contoso.test") {
				t.Errorf("synced user %+v", u)
			}
			if _, err := c.User(ctx, "nobody@contoso.onmicrosoft.com"); !graph.IsNotFound(err) {
				t.Errorf("missing user: %v", err)
			}

			ras, err := c.RoleAssignments(ctx, u.ID)
			if got := roleIDs(ras, func(a graph.RoleAssignment) string { return a.RoleDefinitionID }); err != nil || !slices.Equal(got, tc.activeRoles) {
				t.Errorf("role assignments %v %v", got, err)
			}
			holders, err := c.RoleHolders(ctx, graph.RoleGlobalAdministrator)
			if err != nil || len(holders) != 1 || holders[0].Principal == nil || !holders[0].Principal.IsType(graph.ODataTypeUser) {
				t.Errorf("GA holders %+v %v", holders, err)
			} else if (holders[0].PrincipalID == u.ID) != (tc.activeRoles != nil) {
				t.Errorf("GA holder %s", holders[0].Principal.UserPrincipalName)
			}
			dr, err := c.DirectoryRoles(ctx, u.ID)
			if got := roleIDs(dr, func(o graph.DirectoryObject) string { return o.RoleTemplateID }); err != nil || !slices.Equal(got, tc.activeRoles) {
				t.Errorf("directory roles %v %v", got, err)
			}
			for _, r := range dr {
				if r.ID == r.RoleTemplateID || !r.IsType(graph.ODataTypeDirectoryRole) {
					t.Errorf("directoryRole %+v: id must be tenant-specific", r)
				}
			}
			if mo, err := c.MemberOf(ctx, u.ID); err != nil || len(mo) != len(tc.activeRoles) {
				t.Errorf("memberOf %+v %v", mo, err)
			}
			el, err := c.RoleEligibilitySchedules(ctx, u.ID)
			if got := roleIDs(el, func(s graph.RoleEligibilitySchedule) string { return s.RoleDefinitionID }); err != nil || !slices.Equal(got, tc.eligibleRoles) {
				t.Errorf("eligible %v %v", got, err)
			}
			inst, err := c.RoleAssignmentScheduleInstances(ctx, u.ID)
			if got := roleIDs(inst, func(s graph.RoleAssignmentScheduleInstance) string { return s.RoleDefinitionID }); err != nil || !slices.Equal(got, tc.activeRoles) {
				t.Errorf("active instances %v %v", got, err)
			}
			for _, i := range inst {
				if i.AssignmentType != "Assigned" || i.MemberType != "Direct" || i.Activated() {
					t.Errorf("instance %+v", i)
				}
			}

			req, err := c.MFARequirements(ctx, upn)
			if err != nil || req.PerUserMFAState != tc.mfaState {
				t.Errorf("per-user MFA %+v %v", req, err)
			}
			if _, err := c.SignInPreferences(ctx, u.ID); err != nil {
				t.Error(err)
			}
			ms, err := c.AuthenticationMethods(ctx, u.ID)
			if err != nil || len(ms) != len(spec.Users[0].AuthenticationMethods) || ms[0].Kind() != "password" {
				t.Errorf("methods %+v %v", ms, err)
			}
			rd, err := c.RegistrationDetails(ctx, u.ID)
			if err != nil || rd.ID != u.ID || rd.IsMFARegistered != (len(ms) > 1) || rd.IsAdmin != (tc.activeRoles != nil) {
				t.Errorf("registration %+v %v", rd, err)
			}
			sd, err := c.SecurityDefaults(ctx)
			if err != nil || sd.IsEnabled || sd.ID != graph.SecurityDefaultsPolicyID {
				t.Errorf("security defaults %+v %v", sd, err)
			}
			strengths, err := c.AuthenticationStrengthPolicies(ctx)
			if err != nil || len(strengths) != 3 {
				t.Errorf("strengths %+v %v", strengths, err)
			}
			ps, err := c.ConditionalAccessPolicies(ctx)
			if err != nil || len(ps) != len(spec.ConditionalAccessPolicies) {
				t.Fatalf("CA %+v %v", ps, err)
			}
			subject := graph.Subject{UserID: u.ID, RoleTemplateIDs: roleIDs(dr, func(o graph.DirectoryObject) string { return o.RoleTemplateID })}
			caMFA := graph.No
			for _, p := range ps {
				if !p.Enforced() {
					continue
				}
				if a, m := p.Applies(subject), p.RequiresMFA(graph.StrengthIndex(strengths)); a.Value != graph.No && m.Value != graph.No {
					caMFA = max(caMFA, min(a.Value, m.Value))
				}
			}
			if caMFA != tc.caMFA {
				t.Errorf("CA MFA for the admin: %s, want %s", caMFA, tc.caMFA)
			}

			agents, err := c.PTAAgents(ctx)
			if err != nil || !slices.Equal(activeAgents(agents), tc.activeAgents) || len(agents)-len(tc.activeAgents) != tc.agentsInactive {
				t.Errorf("agents %+v %v", agents, err)
			}
			groups, err := c.PTAAgentGroups(ctx)
			if err != nil || len(groups) != 1 || len(groups[0].Agents) != len(agents) || groups[0].PublishingType != "authentication" {
				t.Errorf("agent groups %+v %v", groups, err)
			}
			prof, err := c.PTAProfile(ctx)
			if err != nil || len(prof.Agents) != len(agents) || len(prof.AgentGroups) != 1 || prof.ID != "authentication" {
				t.Errorf("profile %+v %v", prof, err)
			}

			paged := false
			for _, r := range rt.Requests() {
				if r.Method != http.MethodGet || r.Status == 0 {
					t.Errorf("request %+v", r)
				}
				if r.Status >= 500 || r.Status == http.StatusBadRequest || r.Status == http.StatusUnauthorized {
					t.Errorf("emulator refused %+v", r)
				}
				paged = paged || strings.Contains(r.RawQuery, "$skiptoken=")
			}
			if !paged {
				t.Error("no request followed a nextLink")
			}
		})
	}
}

func TestEmulatorDeviceCodeSignIn(t *testing.T) {
	spec := loadSpec(t, "healthy")
	spec.DeviceCodePending = 2
	rt := start(t, spec)
	scopes := graph.Scopes(rt.GraphURL, graph.CallUser, graph.CallPTAAgents)
	for _, tenant := range []string{spec.TenantID, "contoso.onmicrosoft.com"} {
		t.Run(tenant, func(t *testing.T) {
			var prompt bytes.Buffer
			src, err := graph.NewDeviceCodeSource(graph.SignIn{LoginURL: rt.LoginURL, Tenant: tenant, HTTP: rt.HTTPClient()}, scopes, &prompt)
			if err != nil {
				t.Fatal(err)
			}
			ctx := ctxFor(t, 20*time.Second)
			tok, err := src.Acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(tok.AccessToken, "fixture-access-") || tok.Username != "admin@contoso.onmicrosoft.com" || time.Until(tok.ExpiresOn) < 50*time.Minute {
				t.Errorf("token %v", tok)
			}
			if !strings.Contains(prompt.String(), "FIXTURE1") {
				t.Errorf("prompt %q", prompt.String())
			}
			again, err := src.Token(ctx)
			if err != nil || again != tok.AccessToken {
				t.Errorf("second Token: %v", err)
			}
			c := &graph.Client{BaseURL: rt.GraphURL, HTTP: rt.HTTPClient(), Token: src.Token}
			if org, err := c.Organization(ctx); err != nil || org.ID != spec.TenantID {
				t.Errorf("organization with the device-code token: %+v %v", org, err)
			}
		})
	}
	var grants []string
	for _, r := range rt.Requests() {
		if r.Server != "login" {
			continue
		}
		if r.Path == "/common/discovery/instance" {
			t.Error("instance discovery ran against a loopback authority")
		}
		if strings.HasSuffix(r.Path, "/devicecode") {
			for _, s := range scopes {
				if !strings.Contains(r.Scope, s) {
					t.Errorf("device code scope %q lacks %s", r.Scope, s)
				}
			}
			if strings.Contains(r.Scope, "Directory.") || strings.Contains(r.Scope, ".default") {
				t.Errorf("scope %q asks for more than needed", r.Scope)
			}
		}
		if r.GrantType != "" {
			grants = append(grants, r.GrantType)
		}
	}
	dc := "device_code" // MSAL Go's form of urn:ietf:params:oauth:grant-type:device_code
	if want := []string{dc, dc, dc, dc, dc, dc}; !slices.Equal(grants, want) {
		t.Errorf("grants %v, want 2 pending polls and a success per sign-in", grants)
	}
}

func TestEmulatorDeviceCodeErrors(t *testing.T) {
	spec := loadSpec(t, "healthy")
	disabled := false
	spec.Users[0].AccountEnabled = &disabled
	rt := start(t, spec)
	src, err := graph.NewDeviceCodeSource(graph.SignIn{LoginURL: rt.LoginURL, Tenant: spec.TenantID, HTTP: rt.HTTPClient()},
		graph.Scopes(rt.GraphURL, graph.CallUser), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.Token(ctxFor(t, 20*time.Second))
	var se *graph.SignInError
	if !errors.As(err, &se) || !se.Has(graph.AADSTSUserDisabled) || se.OAuthError != "invalid_grant" {
		t.Errorf("err %v", err)
	}
	// Unknown tenant: the discovery fails with AADSTS90002, no panic.
	src, err = graph.NewDeviceCodeSource(graph.SignIn{LoginURL: rt.LoginURL, Tenant: "other.example", HTTP: rt.HTTPClient()},
		graph.Scopes(rt.GraphURL, graph.CallUser), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Token(ctxFor(t, 20*time.Second)); err == nil || !strings.Contains(err.Error(), "90002") {
		t.Errorf("err %v", err)
	}
}

func TestEmulatorPasswordSignIn(t *testing.T) {
	scopes := graph.Scopes("https://graph.microsoft.com", graph.CallUser)
	for _, tc := range []struct {
		scenario, user string
		outcome        graph.PasswordOutcome
		code           int
	}{
		{"mfa-admin", "admin@contoso.onmicrosoft.com", graph.PasswordMFARequired, graph.AADSTSMFARequired},
		{"ca-mfa-admin", "ADMIN@contoso.onmicrosoft.com", graph.PasswordMFARequired, graph.AADSTSMFARequired},
		{"healthy", "admin@contoso.onmicrosoft.com", graph.PasswordOK, 0},
		{"healthy", "ghost@contoso.onmicrosoft.com", graph.PasswordUserNotFound, graph.AADSTSUserNotFound},
	} {
		t.Run(tc.scenario+"/"+tc.user, func(t *testing.T) {
			spec := loadSpec(t, tc.scenario)
			rt := start(t, spec)
			s := graph.SignIn{LoginURL: rt.LoginURL, Tenant: spec.TenantID, HTTP: rt.HTTPClient()}
			r, err := graph.PasswordSignIn(ctxFor(t, 10*time.Second), s, tc.user, "Fixture-Passw0rd!", scopes)
			if err != nil || r.Outcome != tc.outcome || (tc.code != 0) != (r.Error != nil) || (tc.code != 0 && !r.Has(tc.code)) {
				t.Fatalf("%+v %v", r, err)
			}
			for _, q := range rt.Requests() {
				if q.GrantType == "password" && q.Username != tc.user {
					t.Errorf("recorded %+v", q)
				}
			}
		})
	}
}

// TestEmulatorFaultsAndThrottling drives the client through the
// emulator's faults: retries with fractional Retry-After, capped bodies,
// endless bodies and the CA rate limit.
func TestEmulatorFaultsAndThrottling(t *testing.T) {
	spec := loadSpec(t, "healthy")
	spec.PageSize = 1
	spec.ThrottleConditionalAccess = true
	spec.ConditionalAccessPolicies = append(spec.ConditionalAccessPolicies, spec.ConditionalAccessPolicies[0], spec.ConditionalAccessPolicies[0])
	spec.Faults = []fixtures.TenantFault{
		{Path: "/v1.0/organization", Status: 429, RetryAfter: "0.2", Times: 1},
		{Path: "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy", Status: 503, Times: 1},
		{Path: "/v1.0/domains", Body: fixtures.FaultBodyHuge},
		{Path: "/beta/onPremisesPublishingProfiles/*", Body: fixtures.FaultBodyEndless},
		{Path: "/v1.0/policies/authenticationStrengthPolicies", Body: fixtures.FaultBodyTruncated},
		{Path: "/v1.0/users/*", Status: 403},
	}
	rt := start(t, spec)
	c := clientFor(t, rt)
	ctx := ctxFor(t, 30*time.Second)
	start := time.Now()
	if _, err := c.Organization(ctx); err != nil || time.Since(start) < 200*time.Millisecond {
		t.Errorf("organization after a 429: %v after %s", err, time.Since(start))
	}
	if _, err := c.SecurityDefaults(ctx); err != nil {
		t.Errorf("security defaults after a 503: %v", err)
	}
	if _, err := c.Domains(ctx); !errors.Is(err, graph.ErrBodyTooLarge) {
		t.Errorf("huge body: %v", err)
	}
	if _, err := c.AuthenticationStrengthPolicies(ctx); !errors.Is(err, graph.ErrMalformed) {
		t.Errorf("truncated body: %v", err)
	}
	if _, err := c.User(ctx, "admin@contoso.onmicrosoft.com"); !graph.IsForbidden(err) || !strings.Contains(err.Error(), "User.Read.All") {
		t.Errorf("403: %v", err)
	}
	c.MaxBodyBytes = 64 << 20 // the endless body must end with the deadline, not the cap
	slow := ctxFor(t, 500*time.Millisecond)
	start = time.Now()
	if _, err := c.PTAAgents(slow); err == nil || time.Since(start) > 3*time.Second {
		t.Errorf("endless body: %v after %s", err, time.Since(start))
	}
	c.MaxBodyBytes = 0
	// Three CA pages at 1 request/s: the client paces, the emulator never
	// has to throttle.
	ps, err := c.ConditionalAccessPolicies(ctx)
	if err != nil || len(ps) != 3 {
		t.Errorf("CA: %d policies, %v", len(ps), err)
	}
	for _, r := range rt.Requests() {
		if strings.Contains(r.Path, "conditionalAccess") && r.Status != http.StatusOK {
			t.Errorf("CA request %+v", r)
		}
	}
}
