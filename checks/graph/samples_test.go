package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func readSample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "samples", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeSample[T any](t *testing.T, name string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(readSample(t, name), &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

type collection[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"@odata.nextLink"`
}

// TestSamplesDecode decodes every Graph doc sample with the client's types
// and checks the fields the checks rely on.
func TestSamplesDecode(t *testing.T) {
	covered := map[string]bool{}
	sample := func(name string) string { covered[name] = true; return name }

	orgs := decodeSample[collection[Organization]](t, sample("organization-list.json"))
	if len(orgs.Value) != 1 || orgs.Value[0].ID != "84841066-274d-4ec0-a5c1-276be684bdd3" || orgs.Value[0].OnPremisesSyncEnabled != nil ||
		len(orgs.Value[0].VerifiedDomains) != 1 || orgs.Value[0].VerifiedDomains[0].Type != "Managed" || !orgs.Value[0].VerifiedDomains[0].IsInitial {
		t.Errorf("organization-list: %+v", orgs)
	}
	org := decodeSample[Organization](t, sample("organization-get.json"))
	if org.ID != "84841066-274d-4ec0-a5c1-276be684bdd3" || org.VerifiedDomains[0].Name != "Contoso.com" {
		t.Errorf("organization-get: %+v", org)
	}

	doms := decodeSample[collection[Domain]](t, sample("domains-list.json"))
	if len(doms.Value) != 1 || doms.Value[0].ID != "contoso.com" || doms.Value[0].Managed() || doms.Value[0].Federated() {
		t.Errorf("domains-list (placeholder authenticationType): %+v", doms)
	}
	dom := decodeSample[Domain](t, sample("domain-get.json"))
	if !dom.Managed() || dom.Federated() || !dom.IsVerified || !dom.IsInitial {
		t.Errorf("domain-get: %+v", dom)
	}

	u := decodeSample[User](t, sample("user-get.json"))
	if u.ID != "87d349ed-44d7-43e1-9a83-5f2406dee5bd" || u.UserPrincipalName != "AdeleV@contoso.com" || u.AccountEnabled != nil || u.Sync() != SyncNever {
		t.Errorf("user-get: %+v", u)
	}
	us := decodeSample[User](t, sample("user-get-select.json"))
	if us.DisplayName != "Adele Vance" || us.ID != "" {
		t.Errorf("user-get-select: %+v", us)
	}

	ras := decodeSample[collection[RoleAssignment]](t, sample("roleassignments-list-filter-principalid.json"))
	if len(ras.Value) != 2 || ras.Value[0].RoleDefinitionID != RoleGlobalAdministrator || !ras.Value[0].TenantWide() ||
		ras.Value[1].RoleDefinitionID != RoleGlobalReader || ras.Value[0].Principal != nil {
		t.Errorf("roleassignments: %+v", ras)
	}

	mo := decodeSample[collection[DirectoryObject]](t, sample("user-transitivememberof-list.json"))
	if len(mo.Value) != 1 || !mo.Value[0].IsType(ODataTypeGroup) || mo.Value[0].IsType(ODataTypeDirectoryRole) ||
		mo.Value[0].SecurityEnabled == nil || !*mo.Value[0].SecurityEnabled {
		t.Errorf("transitiveMemberOf: %+v", mo)
	}

	el := decodeSample[collection[RoleEligibilitySchedule]](t, sample("pim-roleeligibilityschedules-list.json"))
	if len(el.Value) != 1 || el.Value[0].Status != "Provisioned" || el.Value[0].MemberType != "Direct" || el.Value[0].ScheduleInfo == nil ||
		el.Value[0].ScheduleInfo.Expiration.Type != "afterDateTime" ||
		!el.Value[0].ScheduleInfo.Expiration.EndDateTime.Equal(time.Date(2024, 4, 10, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("eligibility: %+v", el)
	}

	ai := decodeSample[collection[RoleAssignmentScheduleInstance]](t, sample("pim-roleassignmentscheduleinstances-list.json"))
	if len(ai.Value) != 2 || ai.Value[0].AssignmentType != "Assigned" || ai.Value[0].Activated() || ai.Value[0].EndDateTime != nil ||
		ai.Value[0].RoleDefinitionID != RoleGlobalAdministrator {
		t.Errorf("assignment instances: %+v", ai)
	}

	req := decodeSample[AuthenticationRequirements](t, sample("authentication-requirements-get.json"))
	if req.PerUserMFAState != PerUserMFAEnforced {
		t.Errorf("requirements: %+v", req)
	}
	pref := decodeSample[SignInPreferences](t, sample("authentication-signinpreferences-get.json"))
	if pref.UserPreferredMethodForSecondaryAuthentication != "push" || pref.IsSystemPreferredAuthenticationMethodEnabled == nil || *pref.IsSystemPreferredAuthenticationMethodEnabled {
		t.Errorf("signInPreferences: %+v", pref)
	}
	ms := decodeSample[collection[AuthenticationMethod]](t, sample("authentication-methods-list.json"))
	if len(ms.Value) != 2 || ms.Value[0].Kind() != "fido2" || ms.Value[1].Kind() != "windowsHelloForBusiness" {
		t.Errorf("methods: %+v", ms)
	}

	// Doc quirk: the single entity is wrapped in "value".
	rd := decodeSample[UserRegistrationDetails](t, sample("userregistrationdetails-get.json"))
	if rd.ID != "86462606-fde0-4fc4-9e0c-a20eb73e54c6" || !rd.IsMFARegistered || !rd.IsMFACapable || rd.IsAdmin ||
		!slices.Equal(rd.MethodsRegistered, []string{"microsoftAuthenticatorPush", "softwareOneTimePasscode"}) || rd.DefaultMFAMethod != "microsoftAuthenticatorPush" {
		t.Errorf("registration details (wrapped): %+v", rd)
	}
	var plain UserRegistrationDetails
	if err := json.Unmarshal([]byte(`{"id":"x","isMfaRegistered":true,"methodsRegistered":["fido2"],"value":"ignored"}`), &plain); err != nil ||
		plain.ID != "x" || !plain.IsMFARegistered {
		t.Errorf("registration details (unwrapped): %+v %v", plain, err)
	}

	sd := decodeSample[SecurityDefaults](t, sample("securitydefaults-get.json"))
	if !sd.IsEnabled || sd.ID != SecurityDefaultsPolicyID {
		t.Errorf("security defaults: %+v", sd)
	}

	ca := decodeSample[collection[ConditionalAccessPolicy]](t, sample("ca-policies-list.json"))
	if len(ca.Value) != 2 || ca.Value[0].Enforced() || !ca.Value[0].Blocks() || ca.Value[1].Blocks() ||
		ca.Value[1].RequiresMFA(nil).Value != Yes || ca.Value[1].Applies(Subject{UserID: "u"}).Value != No {
		t.Errorf("ca policies: %+v", ca)
	}

	agents := decodeSample[collection[Agent]](t, sample("pta-agents-list.json"))
	if len(agents.Value) != 1 || !agents.Value[0].Active() || agents.Value[0].MachineName != "server1.local1.contoso.com" ||
		agents.Value[0].AgentGroups[0].DisplayName != "Group 1" {
		t.Errorf("agents: %+v", agents)
	}
	agent := decodeSample[Agent](t, sample("pta-agent-get.json"))
	if !agent.Active() || agent.ExternalIP != "153.69.23.122" {
		t.Errorf("agent: %+v", agent)
	}
	prof := decodeSample[PublishingProfile](t, sample("onpremisespublishingprofile-get.json"))
	if len(prof.Agents) != 1 || !prof.Agents[0].Active() || len(prof.AgentGroups) != 1 || len(prof.AgentGroups[0].Agents) != 1 ||
		prof.HybridAgentUpdaterConfiguration == nil || prof.HybridAgentUpdaterConfiguration.DeferUpdateDateTime != "2018-08-12T12:00" ||
		prof.HybridAgentUpdaterConfiguration.UpdateWindow.UpdateWindowEndTime != "23:59:00.0000000" {
		t.Errorf("profile: %+v", prof)
	}

	// Error bodies go through the same path as a real answer.
	for name, want := range map[string]struct {
		status    int
		code      string
		requestID string
	}{
		"graph-error-example.json":                   {400, "invalidRange", "request-id"},
		"error-403-authorization-requestdenied.json": {403, "Authorization_RequestDenied", "<guid>"},
		"throttling-429.json":                        {429, "TooManyRequests", "94fb3b52-452a-4535-a601-69e0a90e3aa2"},
	} {
		resp := &http.Response{StatusCode: want.status, Header: http.Header{"Content-Type": {"application/json"}}}
		e := newError("/v1.0/users/x", resp, readSample(t, sample(name)), "")
		if e.Code != want.code || e.RequestID != want.requestID || e.Err != nil || e.Message == "" {
			t.Errorf("%s: %+v", name, e)
		}
	}

	// Token endpoint samples.
	te := parseTokenError(400, readSample(t, sample("token-error-sample.json")))
	if te.Err != nil || te.OAuthError != "invalid_scope" || !te.Has(70011) || te.TraceID != "0000aaaa-11bb-cccc-dd33-eeeeee333333" {
		t.Errorf("token error: %+v", te)
	}
	var ok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal(readSample(t, sample("devicecode-token-success.json")), &ok); err != nil || ok.AccessToken == "" || ok.ExpiresIn != 3599 {
		t.Errorf("device code success: %+v %v", ok, err)
	}

	// The paging sample is a fragment, not a document: rejected cleanly.
	frag := readSample(t, sample("paging-nextlink-fragment.json"))
	var page collection[Agent]
	if err := json.Unmarshal(frag, &page); err == nil {
		t.Error("paging fragment decoded; it is not valid JSON")
	}
	n := 0
	_, err := decodePage(context.Background(), bytes.NewReader(frag), pageLimits{pageItems: 10, items: 10, seen: &n}, func(Agent) error { return nil })
	if err == nil || !errors.Is(err, ErrMalformed) {
		t.Errorf("paging fragment through the page decoder: %v", err)
	}

	entries, _ := os.ReadDir(filepath.Join("testdata", "samples"))
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") && !covered[e.Name()] {
			t.Errorf("sample %s is not decoded by any test", e.Name())
		}
	}
}
