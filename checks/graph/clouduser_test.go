package graph_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ptacheck/ptacheck/checks/graph"
	"github.com/ptacheck/ptacheck/fixtures"
)

// GatherCloudUser against the tenant emulator: a synchronised user whose
// on-premises UPN is the cloud UPN, one whose on-premises UPN differs, a
// cloud-only user, one no longer synchronised; a name no cloud user has is
// looked up as an on-premises UPN.
func TestGatherCloudUser(t *testing.T) {
	yes, no := true, false
	spec := &fixtures.Tenant{TenantID: "84841066-274d-4ec0-a5c1-276be684bdd3",
		Users: []fixtures.TenantUser{
			{ID: "00000000-0000-0000-0000-000000000001", UserPrincipalName: "alice@contoso.com", OnPremisesSyncEnabled: &yes, OnPremisesDomainName: "corp.contoso.com"},
			{ID: "00000000-0000-0000-0000-000000000002", UserPrincipalName: "bob@contoso.com", OnPremisesSyncEnabled: &yes,
				OnPremisesUserPrincipalName: "bob@corp.contoso.local", OnPremisesSamAccountName: "bob.b", OnPremisesDomainName: "corp.contoso.local"},
			{ID: "00000000-0000-0000-0000-000000000003", UserPrincipalName: "carol@contoso.com"},
			{ID: "00000000-0000-0000-0000-000000000004", UserPrincipalName: "dave@contoso.com", OnPremisesSyncEnabled: &no},
		}}
	rt := start(t, spec)
	c := clientFor(t, rt)
	for _, tc := range []struct {
		upn, cloud, onPrem, sam string
		sync                    graph.SyncState
		byOnPrem                []string // nil: not read
	}{
		{"alice@contoso.com", "alice@contoso.com", "alice@contoso.com", "alice", graph.SyncActive, nil},
		{"BOB@contoso.com", "bob@contoso.com", "bob@corp.contoso.local", "bob.b", graph.SyncActive, nil},
		{"carol@contoso.com", "carol@contoso.com", "", "", graph.SyncNever, nil},
		{"dave@contoso.com", "dave@contoso.com", "dave@contoso.com", "dave", graph.SyncFormerly, nil},
		{"bob@corp.contoso.local", "", "", "", "", []string{"bob@contoso.com"}},
		{"nobody@contoso.com", "", "", "", "", []string{}},
	} {
		f := graph.GatherCloudUser(ctxFor(t, 5*time.Second), c, tc.upn)
		if tc.cloud == "" {
			if !graph.IsNotFound(f.User.Err) || f.ByOnPremises == nil || f.ByOnPremises.Err != nil {
				t.Errorf("%s: %+v", tc.upn, f)
				continue
			}
			got := []string{}
			for _, u := range f.ByOnPremises.V {
				got = append(got, u.UserPrincipalName)
			}
			if strings.Join(got, ",") != strings.Join(tc.byOnPrem, ",") {
				t.Errorf("%s: by on-premises UPN %v, want %v", tc.upn, got, tc.byOnPrem)
			}
			continue
		}
		u := f.User.V
		if f.User.Err != nil || f.ByOnPremises != nil || u.UserPrincipalName != tc.cloud || u.OnPremisesUserPrincipalName != tc.onPrem ||
			u.OnPremisesSamAccountName != tc.sam || u.Sync() != tc.sync || u.AccountEnabled == nil || !*u.AccountEnabled {
			t.Errorf("%s: %+v (err %v)", tc.upn, u, f.User.Err)
		}
	}
	var queries []string
	for _, r := range rt.Requests() {
		if strings.HasPrefix(r.Path, "/v1.0/users") {
			queries = append(queries, r.Path+"?"+r.RawQuery)
		}
	}
	if len(queries) != 8 || !strings.Contains(queries[0], "$select=id,userPrincipalName,accountEnabled,userType,onPremisesSyncEnabled,onPremisesUserPrincipalName,onPremisesSamAccountName,onPremisesDomainName") {
		t.Fatalf("requests %q", queries)
	}
	for _, q := range queries {
		if call, ok := graph.CallForPath(q); !ok || call.Permission() != "User.Read.All" {
			t.Errorf("%s: permission %v %v", q, call, ok)
		}
	}
}

// An answer without a field the verdict reads is an error naming it, never
// a cloud user without an on-premises name; null is evidence where it means
// "never synchronised".
func TestCloudUserEvidence(t *testing.T) {
	full := `"id":"1","userPrincipalName":"alice@contoso.com","accountEnabled":true,"userType":"Member","onPremisesSyncEnabled":true,` +
		`"onPremisesUserPrincipalName":"alice@corp.contoso.local","onPremisesSamAccountName":"alice","onPremisesDomainName":"corp.contoso.local"`
	for _, tc := range []struct {
		name, body, want string
	}{
		{"complete", "{" + full + "}", ""},
		{"cloud-only nulls", `{"id":"1","userPrincipalName":"a@contoso.com","accountEnabled":true,"onPremisesSyncEnabled":null,"onPremisesUserPrincipalName":null,"onPremisesSamAccountName":null,"onPremisesDomainName":null}`, ""},
		{"no on-premises UPN", `{"id":"1","userPrincipalName":"a@contoso.com","accountEnabled":true,"onPremisesSyncEnabled":true,"onPremisesSamAccountName":null,"onPremisesDomainName":null}`, "onPremisesUserPrincipalName is not in the answer"},
		{"no sync state", `{"id":"1","userPrincipalName":"a@contoso.com","accountEnabled":true,"onPremisesUserPrincipalName":null,"onPremisesSamAccountName":null,"onPremisesDomainName":null}`, "onPremisesSyncEnabled is not in the answer"},
		{"accountEnabled null", `{"id":"1","userPrincipalName":"a@contoso.com","accountEnabled":null,"onPremisesSyncEnabled":null,"onPremisesUserPrincipalName":null,"onPremisesSamAccountName":null,"onPremisesDomainName":null}`, "accountEnabled is null"},
		{"duplicate key", "{" + full + `,"OnPremisesUserPrincipalName":"alice@contoso.com"}`, "duplicate key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			tok, _ := graph.StaticToken("tok")
			c := &graph.Client{BaseURL: srv.URL, Token: tok, MaxRetries: -1}
			u, err := c.CloudUser(ctxFor(t, 5*time.Second), "alice@contoso.com")
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("%v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, graph.ErrMalformed)):
				t.Fatalf("%+v, %v; want an error containing %q", u, err, tc.want)
			}
		})
	}
	if _, err := (&graph.Client{}).CloudUsersByOnPremisesUPN(ctxFor(t, time.Second), "a\nb@contoso.com"); !errors.Is(err, graph.ErrBadArgument) {
		t.Errorf("a control character in the UPN: %v", err)
	}
}
