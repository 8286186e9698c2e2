package graph

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCallsAndScopes(t *testing.T) {
	for p, want := range map[string]Call{
		"/v1.0/organization": CallOrganization,
		"/v1.0/organization/84841066-274d-4ec0-a5c1-276be684bdd3": CallOrganization,
		"/v1.0/domains":                  CallDomains,
		"/v1.0/domains/contoso.com":      CallDomains,
		"/v1.0/users/x@y.com?$select=id": CallUser,
		"/v1.0/users('$x@y.com')":        CallUser,
		"/V1.0/USERS/x":                  "",
		"/v1.0/USERS/x":                  CallUser,
		"/v1.0/users/x/transitiveMemberOf/microsoft.graph.directoryRole": CallMemberOf,
		"/beta/users('$x')/authentication/requirements":                  CallMFARequirements,
		"/beta/users/x/authentication/signInPreferences":                 CallSignInPreferences,
		"/v1.0/users/x/authentication/methods":                           CallAuthMethods,
		"/v1.0/roleManagement/directory/roleAssignments?$filter=x":       CallRoleAssignments,
		"/v1.0/roleManagement/directory/roleEligibilitySchedules":        CallRoleEligibility,
		"/v1.0/roleManagement/directory/roleAssignmentScheduleInstances": CallRoleAssignmentsPIM,
		"/v1.0/reports/authenticationMethods/userRegistrationDetails/x":  CallRegistrationDetails,
		"/v1.0/policies/identitySecurityDefaultsEnforcementPolicy":       CallSecurityDefaults,
		"/v1.0/identity/conditionalAccess/policies":                      CallConditionalAccess,
		"/v1.0/policies/authenticationStrengthPolicies":                  CallAuthStrengths,
		"/beta/onPremisesPublishingProfiles/authentication/agents":       CallPTAAgents,
		"/beta/onPremisesPublishingProfiles/authentication":              CallPTAAgents,
		"/beta/onPremisesPublishingProfiles/applicationProxy/connectors": "",
		"/v1.0/me":             "",
		"/v2.0/organization":   "",
		"/v1.0/users/x/photos": "",
	} {
		got, ok := CallForPath(p)
		if got != want || ok != (want != "") {
			t.Errorf("CallForPath(%s) = %q %v, want %q", p, got, ok, want)
		}
	}
	all := AllCalls()
	if len(all) != 15 || all[0] != CallOrganization || all[len(all)-1] != CallPTAAgents {
		t.Errorf("AllCalls %v", all)
	}
	for _, c := range all {
		if c.Permission() == "" {
			t.Errorf("%s has no permission", c)
		}
	}
	got := Scopes(CloudUSGov.GraphURL+"/", CallUser, CallMemberOf, CallPTAAgents, CallConditionalAccess, CallSecurityDefaults, Call("nope"))
	want := []string{"https://graph.microsoft.us/Policy.Read.All", "https://graph.microsoft.us/Policy.Read.HybridAuthentication", "https://graph.microsoft.us/User.Read.All"}
	if !slices.Equal(got, want) {
		t.Errorf("Scopes = %v", got)
	}
	// The section 7 set of graph-api.md, with nothing more.
	allScopes := Scopes("https://graph.microsoft.com", all...)
	section7 := []string{"AuditLog.Read.All", "Domain.Read.All", "Organization.Read.All", "Policy.Read.All", "Policy.Read.HybridAuthentication",
		"RoleAssignmentSchedule.Read.Directory", "RoleEligibilitySchedule.Read.Directory", "RoleManagement.Read.Directory",
		"User.Read.All", "UserAuthenticationMethod.Read.All"}
	for i, s := range section7 {
		section7[i] = "https://graph.microsoft.com/" + s
	}
	if !slices.Equal(allScopes, section7) {
		t.Errorf("all scopes %v", allScopes)
	}
	// The strengths call names its least permission; with Policy.Read.All
	// asked for anyway (CA, security defaults) it is not asked twice.
	if p := CallAuthStrengths.Permission(); p != "Policy.Read.AuthenticationMethod" {
		t.Errorf("strengths permission %s", p)
	}
	if got := Scopes("https://graph.microsoft.com", CallAuthStrengths); !slices.Equal(got, []string{"https://graph.microsoft.com/Policy.Read.AuthenticationMethod"}) {
		t.Errorf("strengths alone: %v", got)
	}
}

func TestUserPath(t *testing.T) {
	for in, want := range map[string]string{
		"6be4b305-b75e-4efc-bfcc-31bd3b53a5f8":  "/users/6be4b305-b75e-4efc-bfcc-31bd3b53a5f8",
		"admin@contoso.com":                     "/users/admin@contoso.com",
		"$admin@contoso.com":                    "/users('$admin@contoso.com')",
		"$o'hara@contoso.com":                   "/users('$o%27%27hara@contoso.com')",
		"jo_contoso.com#EXT#@x.onmicrosoft.com": "/users/jo_contoso.com%23EXT%23@x.onmicrosoft.com",
		"a b?c/d@x.com":                         "/users/a%20b%3Fc%2Fd@x.com",
	} {
		got, err := UserPath(in)
		if err != nil || got != want {
			t.Errorf("UserPath(%q) = %q %v, want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "a\tb", "a\x7fb"} {
		if _, err := UserPath(bad); !errors.Is(err, ErrBadArgument) {
			t.Errorf("UserPath(%q): %v", bad, err)
		}
	}
}

func TestTokenSources(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	src, err := TokenFromFile(write("ok", "\n  eyJ.abc.def \r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := src(context.Background()); tok != "eyJ.abc.def" || err != nil {
		t.Errorf("%q %v", tok, err)
	}
	if src, err := TokenFromFile(write("bearer", "Bearer eyJ.x")); err != nil {
		t.Error(err)
	} else if tok, _ := src(context.Background()); tok != "eyJ.x" {
		t.Errorf("%q", tok)
	}
	for name, content := range map[string]string{"empty": "", "blank": " \n\t", "two": "a b", "big": strings.Repeat("x", MaxTokenFileBytes+1)} {
		_, err := TokenFromFile(write(name, content))
		if err == nil || strings.Contains(err.Error(), "xxxx") {
			t.Errorf("%s: %v", name, err)
		}
		if (name == "empty" || name == "blank") && !errors.Is(err, ErrEmptyToken) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := TokenFromFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file accepted")
	}
	if _, err := StaticToken("  "); !errors.Is(err, ErrEmptyToken) {
		t.Error(err)
	}
	if src, err := StaticToken(" tok\n"); err != nil {
		t.Error(err)
	} else if tok, _ := src(context.Background()); tok != "tok" {
		t.Errorf("%q", tok)
	}
	if pw, err := PasswordFromFile(write("pw", " p@ss w0rd \n")); err != nil || pw != " p@ss w0rd " {
		t.Errorf("%q %v", pw, err)
	}
	if pw, err := PasswordFromFile(write("pwcrlf", "secret\r\n")); err != nil || pw != "secret" {
		t.Errorf("%q %v", pw, err)
	}
	if _, err := PasswordFromFile(write("pwempty", "\n")); err == nil {
		t.Error("empty password accepted")
	}
	tk := Token{AccessToken: "SECRET", Username: "admin@contoso.com", ExpiresOn: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	for _, s := range []string{fmt.Sprint(tk), fmt.Sprintf("%v %+v %#v %s", tk, tk, tk, &tk)} {
		if strings.Contains(s, "SECRET") || !strings.Contains(s, "admin@contoso.com") {
			t.Errorf("token printed as %q", s)
		}
	}
}

func TestClouds(t *testing.T) {
	c, err := CloudByName("USGov")
	if err != nil || c.LoginURL != "https://login.microsoftonline.us" || c.GraphURL != "https://graph.microsoft.us" {
		t.Errorf("%+v %v", c, err)
	}
	if c, _ := CloudByName("public"); c != CloudPublic || c.LoginURL != "https://login.microsoftonline.com" || c.GraphURL != "https://graph.microsoft.com" {
		t.Errorf("%+v", c)
	}
	if _, err := CloudByName("mars"); err == nil || !strings.Contains(err.Error(), "public, usgov") {
		t.Error(err)
	}
}

func TestAuthority(t *testing.T) {
	for _, tc := range []struct {
		login, tenant, want string
	}{
		{"https://login.microsoftonline.com", "84841066-274d-4ec0-a5c1-276be684bdd3", "https://login.microsoftonline.com/84841066-274d-4ec0-a5c1-276be684bdd3"},
		{"https://login.microsoftonline.us/", "contoso.onmicrosoft.us", "https://login.microsoftonline.us/contoso.onmicrosoft.us"},
		{"https://127.0.0.1:8443", "organizations", "https://127.0.0.1:8443/organizations"},
		{"http://login.microsoftonline.com", "x", ""},
		{"https://login.microsoftonline.com/common", "x", ""},
		{"https://login.microsoftonline.com", "", ""},
		{"https://login.microsoftonline.com", "a/b", ""},
		{"https://login.microsoftonline.com?x=1", "a", ""},
	} {
		got, err := SignIn{LoginURL: tc.login, Tenant: tc.tenant}.Authority()
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("%s %s: %q %v", tc.login, tc.tenant, got, err)
		}
	}
}

// tokenServer answers the token endpoint with fn and records the forms.
func tokenServer(t *testing.T, fn func(w http.ResponseWriter, form url.Values)) (*httptest.Server, *[]url.Values) {
	var forms []url.Values
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/84841066-274d-4ec0-a5c1-276be684bdd3/oauth2/v2.0/token" {
			t.Errorf("%s %s", r.Method, r.URL)
		}
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		forms = append(forms, r.PostForm)
		fn(w, r.PostForm)
	}))
	t.Cleanup(srv.Close)
	return srv, &forms
}

func TestPasswordSignIn(t *testing.T) {
	const password = "Corr3ct-Horse!"
	scopes := []string{"https://graph.microsoft.com/User.Read"}
	for _, tc := range []struct {
		name    string
		status  int
		body    string
		outcome PasswordOutcome
		codes   []int
		wantErr error
	}{
		{"success", 200, `{"token_type":"Bearer","access_token":"at","expires_in":3599}`, PasswordOK, nil, nil},
		{"mfa required", 400, `{"error":"invalid_grant","error_description":"AADSTS50076: MFA ` + password + `","error_codes":[50076],"suberror":"basic_action","trace_id":"t1","correlation_id":"c1"}`, PasswordMFARequired, []int{50076}, nil},
		{"mfa as interaction_required", 400, `{"error":"interaction_required","error_codes":[50079]}`, PasswordMFARegistrationRequired, []int{50079}, nil},
		{"CA block", 400, `{"error":"invalid_grant","error_codes":[53003]}`, PasswordBlockedByCA, []int{53003}, nil},
		{"bad password", 400, `{"error":"invalid_grant","error_codes":[50126]}`, PasswordInvalidCredentials, []int{50126}, nil},
		{"disabled", 400, `{"error":"invalid_grant","error_codes":[50057]}`, PasswordAccountDisabled, []int{50057}, nil},
		{"security defaults", 400, `{"error":"invalid_grant","error_codes":[530035]}`, PasswordBlockedBySecurityDefaults, []int{530035}, nil},
		{"several codes: first known decides", 400, `{"error":"invalid_grant","error_codes":[1234,50079,50076]}`, PasswordMFARequired, []int{1234, 50079, 50076}, nil},
		{"unknown code", 401, `{"error":"invalid_client","error_codes":[7000218]}`, PasswordOther, []int{7000218}, nil},
		{"HTML", 500, `<html>oops</html>`, "", nil, ErrMalformed},
		{"200 without token", 200, `{}`, "", nil, ErrMalformed},
		{"huge", 400, `{"error":"x","pad":"` + strings.Repeat("a", 2<<20) + `"}`, "", nil, ErrBodyTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, forms := tokenServer(t, func(w http.ResponseWriter, _ url.Values) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			})
			s := SignIn{LoginURL: srv.URL, Tenant: "84841066-274d-4ec0-a5c1-276be684bdd3", HTTP: srv.Client(), MaxBodyBytes: 1 << 20}
			r, err := PasswordSignIn(testCtx(t, 10*time.Second), s, "admin@contoso.com", password, scopes)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || r != nil {
					t.Fatalf("%+v %v", r, err)
				}
			} else if err != nil || r.Outcome != tc.outcome || (r.Error == nil) != (tc.codes == nil) ||
				(r.Error != nil && !slices.Equal(r.Error.Codes, tc.codes)) {
				t.Fatalf("%+v %v", r, err)
			}
			if r != nil && r.Error != nil {
				if !r.Has(tc.codes[0]) || strings.Contains(r.Error.Error(), password) || !strings.Contains(r.Error.Error(), fmt.Sprint(tc.codes[0])) {
					t.Errorf("error %v", r.Error)
				}
			}
			if err != nil && strings.Contains(err.Error(), password) {
				t.Errorf("password in %v", err)
			}
			f := (*forms)[0]
			if f.Get("grant_type") != "password" || f.Get("username") != "admin@contoso.com" || f.Get("password") != password ||
				f.Get("client_id") != DefaultClientID || f.Get("scope") != scopes[0] {
				t.Errorf("form %v", f)
			}
		})
	}
	t.Run("refused before sending", func(t *testing.T) {
		srv, forms := tokenServer(t, func(w http.ResponseWriter, _ url.Values) {})
		for _, s := range []SignIn{
			{LoginURL: srv.URL, Tenant: "common"}, {LoginURL: srv.URL, Tenant: "consumers"}, {LoginURL: "http://x", Tenant: "t"},
		} {
			if _, err := PasswordSignIn(context.Background(), s, "a@b", password, scopes); err == nil {
				t.Errorf("%+v accepted", s)
			}
		}
		s := SignIn{LoginURL: srv.URL, Tenant: "84841066-274d-4ec0-a5c1-276be684bdd3", HTTP: srv.Client()}
		if _, err := PasswordSignIn(context.Background(), s, "a@b", "", scopes); err == nil {
			t.Error("empty password accepted")
		}
		if _, err := PasswordSignIn(context.Background(), s, "a@b", password, nil); err == nil {
			t.Error("no scopes accepted")
		}
		if len(*forms) != 0 {
			t.Error("a refused sign-in was sent")
		}
	})
	t.Run("redirect is not followed with the password", func(t *testing.T) {
		other, forms := tokenServer(t, func(w http.ResponseWriter, _ url.Values) {})
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
		}))
		t.Cleanup(srv.Close)
		s := SignIn{LoginURL: srv.URL, Tenant: "84841066-274d-4ec0-a5c1-276be684bdd3", HTTP: srv.Client()}
		_, err := PasswordSignIn(testCtx(t, 5*time.Second), s, "a@b", password, scopes)
		if err == nil || len(*forms) != 0 || strings.Contains(err.Error(), password) {
			t.Errorf("%v, %d forms elsewhere", err, len(*forms))
		}
	})
	t.Run("slow login host ends at the deadline", func(t *testing.T) {
		srv, _ := tokenServer(t, func(w http.ResponseWriter, _ url.Values) { time.Sleep(2 * time.Second) })
		s := SignIn{LoginURL: srv.URL, Tenant: "84841066-274d-4ec0-a5c1-276be684bdd3", HTTP: srv.Client()}
		start := time.Now()
		_, err := PasswordSignIn(testCtx(t, 200*time.Millisecond), s, "a@b", password, scopes)
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second || strings.Contains(err.Error(), password) {
			t.Errorf("%v after %s", err, time.Since(start))
		}
	})
}

func TestCappedBody(t *testing.T) {
	for _, tc := range []struct {
		size, limit int
		tooLarge    bool
	}{{10, 10, false}, {11, 10, true}, {0, 10, false}, {5000, 100, true}} {
		c := &cappedBody{rc: io.NopCloser(strings.NewReader(strings.Repeat("x", tc.size))), left: int64(tc.limit)}
		b, err := io.ReadAll(c)
		if errors.Is(err, ErrBodyTooLarge) != tc.tooLarge || (!tc.tooLarge && len(b) != tc.size) || len(b) > tc.limit {
			t.Errorf("%+v: %d bytes, %v", tc, len(b), err)
		}
	}
}

// TenantOfToken reads tid from a JWT's payload (the shape Microsoft's
// access tokens have: header.payload.signature, base64url without
// padding), and refuses what is not one.
func TestTenantOfToken(t *testing.T) {
	jwtWith := func(payload string) string {
		enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
		return enc(`{"typ":"JWT","alg":"RS256","kid":"x"}`) + "." + enc(payload) + "." + enc("not a real signature")
	}
	for _, tc := range []struct {
		name, token, want, err string
	}{
		{"delegated token", jwtWith(`{"aud":"https://graph.microsoft.com","tid":"84841066-274D-4EC0-A5C1-276BE684BDD3","upn":"admin@contoso.com"}`), "84841066-274d-4ec0-a5c1-276be684bdd3", ""},
		{"no tid", jwtWith(`{"aud":"https://graph.microsoft.com"}`), "", "no tid claim"},
		{"tid not a GUID", jwtWith(`{"tid":"contoso.com"}`), "", `tid claim "contoso.com" is not a tenant ID`},
		{"tid a number", jwtWith(`{"tid":42}`), "", "tid claim is not a string"},
		{"opaque token", "fixture-token-84841066-274d-4ec0-a5c1-276be684bdd3", "", "not a JWT"},
		{"payload not JSON", "eyJhbGciOiJub25lIn0.bm90IGpzb24.", "", "not a JWT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := TenantOfToken(tc.token)
			if got != tc.want || (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("%q, %v; want %q, error containing %q", got, err, tc.want, tc.err)
			}
		})
	}
}
