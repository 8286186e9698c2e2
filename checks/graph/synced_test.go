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

// SyncedUserCount against the tenant emulator, which refuses endsWith
// without ConsistencyLevel and $count as Graph does: the count of a domain
// with synchronised users, of one with cloud users only, of one with none.
func TestSyncedUserCount(t *testing.T) {
	yes := true
	spec := &fixtures.Tenant{TenantID: "84841066-274d-4ec0-a5c1-276be684bdd3",
		Domains: []fixtures.TenantDomain{{Name: "contoso.com", AuthenticationType: "Managed", IsVerified: true}},
		Users: []fixtures.TenantUser{
			{ID: "00000000-0000-0000-0000-000000000001", UserPrincipalName: "alice@contoso.com", OnPremisesSyncEnabled: &yes},
			{ID: "00000000-0000-0000-0000-000000000002", UserPrincipalName: "bob@Contoso.com", OnPremisesSyncEnabled: &yes},
			{ID: "00000000-0000-0000-0000-000000000003", UserPrincipalName: "carol@cloud.contoso.com"},
		}}
	rt := start(t, spec)
	c := clientFor(t, rt)
	for domain, want := range map[string]int{"contoso.com": 2, "CONTOSO.COM": 2, "cloud.contoso.com": 0, "fabrikam.com": 0} {
		n, err := c.SyncedUserCount(ctxFor(t, 5*time.Second), domain)
		if err != nil || n != want {
			t.Errorf("%s: %d, %v; want %d", domain, n, err, want)
		}
	}
	var sent []fixtures.TenantRequest
	for _, r := range rt.Requests() {
		if r.Path == "/v1.0/users" {
			sent = append(sent, r)
		}
	}
	if len(sent) != 4 || !strings.Contains(sent[0].RawQuery, "$count=true&$top=1&$select=id") {
		t.Fatalf("requests %+v", sent)
	}
	if _, err := c.SyncedUserCount(ctxFor(t, time.Second), "bad'domain"); !errors.Is(err, graph.ErrBadArgument) {
		t.Errorf("a quote in the domain: %v", err)
	}
	if call, ok := graph.CallForPath("/v1.0/users?$filter=x"); !ok || call.Permission() != "User.Read.All" {
		t.Errorf("permission of the users list: %v %v", call, ok)
	}
}

// An answer that ignored the advanced query (no @odata.count), or that
// contradicts itself, is an error, never a count of zero; so is a refusal.
func TestSyncedUserCountEvidence(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"no @odata.count", `{"value": []}`, 200, "no @odata.count"},
		{"no value", `{"@odata.count": 0}`, 200, `no "value" array`},
		{"a negative count", `{"@odata.count": -1, "value": []}`, 200, "@odata.count -1"},
		{"zero with users", `{"@odata.count": 0, "value": [{"id": "x"}]}`, 200, "@odata.count 0 with 1 users"},
		{"403", `{"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges to complete the operation."}}`, 403, "User.Read.All"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("ConsistencyLevel") != "eventual" {
					t.Errorf("no ConsistencyLevel header")
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			tok, _ := graph.StaticToken("tok")
			c := &graph.Client{BaseURL: srv.URL, Token: tok, MaxRetries: -1}
			n, err := c.SyncedUserCount(ctxFor(t, 5*time.Second), "contoso.com")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%d, %v; want an error containing %q", n, err, tc.want)
			}
		})
	}
}
