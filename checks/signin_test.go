package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/ptacheck/ptacheck/checks/directory"
	"github.com/ptacheck/ptacheck/checks/graph"
	"github.com/ptacheck/ptacheck/fixtures"
)

// user.account-state against the emulated DC, whose computed attributes
// follow each user's PSO as a DC's do: the DC's computed attributes decide,
// then the user's PSO, then the domain's policy; a lockoutTime no readable
// policy bounds is a warning, never 1909.
func TestUserAccountStatePSO(t *testing.T) {
	ref := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	five, hour := 5, 60
	d := contosoDirectory()
	d.Now = ref.Format(time.RFC3339)
	d.PasswordSettings = []fixtures.DirectoryPSO{
		{Name: "short-lockout", LockoutMinutes: &five},
		{Name: "long-lockout", LockoutMinutes: &hour},
		{Name: "admins-only", LockoutMinutes: &five, Hidden: true},
	}
	d.Users = []fixtures.DirectoryUser{
		{UPN: "carol@contoso.com", LockedMinutesAgo: 10, PSO: "short-lockout"},
		{UPN: "dave@contoso.com", LockedMinutesAgo: 10, PSO: "short-lockout", OmitComputed: true},
		{UPN: "erin@contoso.com", LockedMinutesAgo: 10, PSO: "admins-only", OmitComputed: true},
		{UPN: "frank@contoso.com", LockedMinutesAgo: 10},
		{UPN: "greg@contoso.com", LockedMinutesAgo: 40, PSO: "long-lockout", OmitComputed: true},
		{UPN: "hana@contoso.com", LockedMinutesAgo: 40, OmitComputed: true},
	}
	env := adEnv(t, d, nil, fixtureBind)
	env.Now = func() time.Time { return ref }
	for _, tc := range []struct {
		user   string
		status Status
		want   string
	}{
		// The domain's lockoutDuration (30 min) would say 1909: the PSO's
		// (5 min) has ended, and the DC's computed flags say so.
		{"carol@contoso.com", StatusPass, "1 account can sign in"},
		// Without computed attributes: computed with the PSO.
		{"dave@contoso.com", StatusPass, "1 account can sign in"},
		// The PSO's attributes are not readable: "may be locked".
		{"erin@contoso.com", StatusWarn, "the user's PSO CN=admins-only,CN=Password Settings Container,CN=System,DC=corp,DC=contoso,DC=test has no readable msDS-LockoutDuration (this bind may not read the PSO's attributes)): the account may be locked (if so: 1909 ERROR_ACCOUNT_LOCKED_OUT)"},
		{"frank@contoso.com", StatusFail, "msDS-User-Account-Control-Computed has LOCKOUT (0x10)"},
		{"greg@contoso.com", StatusFail, "with msDS-LockoutDuration of the user's PSO CN=long-lockout,CN=Password Settings Container,CN=System,DC=corp,DC=contoso,DC=test 1h0m0s locked until 2026-11-25T12:20:00Z (1909 ERROR_ACCOUNT_LOCKED_OUT)"},
		// No PSO applies, no computed attributes: the domain's 30 minutes.
		{"hana@contoso.com", StatusPass, "1 account can sign in"},
	} {
		t.Run(tc.user, func(t *testing.T) {
			cfg := SigninConfig{AD: ADConfig{Domain: "corp.contoso.test"}, Users: []string{tc.user}}
			plan := []Entry{
				{Check: ADDCReachableCheck{Config: cfg.AD}, Timeout: 10 * time.Second},
				{Check: UserAccountStateCheck{Config: cfg}, Requires: []string{"ad.dc-reachable"}, Timeout: 10 * time.Second},
			}
			env := *env
			env.AD = &directory.Gatherer{Net: env.AD.(*directory.Gatherer).Net, Options: env.AD.(*directory.Gatherer).Options, LookupTimeout: time.Second, PortTimeout: time.Second}
			r := RunPlan(context.Background(), &env, plan, RunOptions{})[1]
			if r.Status != tc.status || !strings.Contains(findings(r), tc.want) {
				t.Fatalf("%s %q, want %s containing %q", r.Status, findings(r), tc.status, tc.want)
			}
			// A reason code is a promise: only established conditions
			// count (details.by_reason).
			byReason := r.Details.(map[string]any)["by_reason"].(map[string]int)
			if (len(byReason) > 0) != (tc.status == StatusFail) {
				t.Fatalf("by_reason %v in a %s", byReason, r.Status)
			}
		})
	}
}

// bindErr is a failed bind as go-ldap returns it, with AD's diagnostic.
func bindErr(subCode string) error {
	return fmt.Errorf("bind as x: %w", ldap.NewError(ldap.LDAPResultInvalidCredentials,
		errors.New("80090308: LdapErr: DSID-0C09056B, comment: AcceptSecurityContext error, data "+subCode+", v4563\x00")))
}

// The decision of user.password over every kind of answer: the bind's
// sub-codes, LogonUser's answers beside the bind's, no answer, and the
// attribute prediction agreeing or not.
func TestDecidePassword(t *testing.T) {
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	bind := func(err error) *directory.PasswordAnswer {
		return &directory.PasswordAnswer{DC: "dc1.corp.contoso.test", Security: directory.LDAPS, Sent: true, Err: err}
	}
	state := func(rs ...directory.Reason) *directory.UserState {
		st := &directory.UserState{}
		for _, r := range rs {
			st.Conditions = append(st.Conditions, directory.Condition{Reason: r, Fact: "fact of " + r.Symbol()})
		}
		return st
	}
	for _, tc := range []struct {
		name      string
		logon     *directory.LogonAnswer
		bind      *directory.PasswordAnswer
		noBind    string
		predicted *directory.UserState
		ws        []string
		repeat    bool
		status    Status
		want      []string // in the findings and message
		reason    int      // details.reason; 0: absent
	}{
		{name: "accepted", bind: bind(nil), status: StatusPass, want: []string{"the DC accepts the password of alice@contoso.com: the account can sign in now"}},
		{name: "accepted, predicted none", bind: bind(nil), predicted: state(), status: StatusPass},
		{name: "accepted, attributes say disabled", bind: bind(nil), predicted: state(directory.ReasonAccountDisabled), status: StatusWarn,
			want: []string{"predicted 1331 ERROR_ACCOUNT_DISABLED (fact of ERROR_ACCOUNT_DISABLED), the DC answers success"}},
		{name: "wrong password", bind: bind(bindErr("52e")), status: StatusFail, reason: 1326,
			want: []string{"wrong password (1326 ERROR_LOGON_FAILURE)", "counted toward the account's lockout threshold"}},
		{name: "wrong password of a disabled account", bind: bind(bindErr("52e")), predicted: state(directory.ReasonAccountDisabled), status: StatusFail, reason: 1326},
		{name: "disabled, as predicted", bind: bind(bindErr("533")), predicted: state(directory.ReasonAccountDisabled), status: StatusFail, reason: 1331,
			want: []string{"the DC refuses the sign-in: 1331 ERROR_ACCOUNT_DISABLED"}},
		{name: "attributes say enabled, the DC answers 1331", bind: bind(bindErr("533")), predicted: state(), status: StatusFail, reason: 1331,
			want: []string{"the account's attributes predicted nothing that blocks the sign-in, the DC answers 1331 ERROR_ACCOUNT_DISABLED"}},
		{name: "locked", bind: bind(bindErr("775")), status: StatusFail, reason: 1909, want: []string{"1909 ERROR_ACCOUNT_LOCKED_OUT"}},
		{name: "must change", bind: bind(bindErr("773")), status: StatusFail, reason: 1907, want: []string{"1907 ERROR_PASSWORD_MUST_CHANGE"}},
		{name: "account expired", bind: bind(bindErr("701")), status: StatusFail, reason: 1793, want: []string{"1793 ERROR_ACCOUNT_EXPIRED"}},
		{name: "password expired", bind: bind(bindErr("532")), status: StatusFail, reason: 1330, want: []string{"1330 ERROR_PASSWORD_EXPIRED"}},
		{name: "logon hours", bind: bind(bindErr("530")), status: StatusFail, reason: 1328, want: []string{"1328 ERROR_INVALID_LOGON_HOURS"}},
		{name: "no such user", bind: bind(bindErr("525")), status: StatusFail, reason: 1317, want: []string{"1317 ERROR_NO_SUCH_USER (data 525; the agent's LogonUser reports an unknown name as 1326)"}},
		{name: "undocumented sub-code", bind: bind(bindErr("568")), status: StatusFail, reason: 1384, want: []string{"1384 ERROR_TOO_MANY_CONTEXT_IDS"}},
		// A bind is a logon at the DC: its 531 says nothing of this server.
		{name: "531, this server listed", bind: bind(bindErr("531")), predicted: state(), ws: []string{"PTA1", "PTA2"}, status: StatusPass,
			want: []string{"the DC accepts the password"}},
		{name: "531, this server not listed", bind: bind(bindErr("531")), predicted: state(directory.ReasonInvalidWorkstation), ws: []string{"PTA2"}, status: StatusFail, reason: 1329,
			want: []string{"\"Log On To\" (PTA2) does not list PTA1, where the agent logs on"}},
		{name: "531, attributes not read", bind: bind(bindErr("531")), status: StatusWarn, reason: 1329, want: []string{"whether it lists the agent's server is not known"}},
		{name: "accepted, this server not listed", bind: bind(nil), predicted: state(directory.ReasonInvalidWorkstation), ws: []string{"PTA2"}, status: StatusFail, reason: 1329,
			want: []string{"the agent logs on from PTA1, which the account may not"}},
		{name: "no answer, sent", bind: bind(fmt.Errorf("bind as x: %w", context.DeadlineExceeded)), status: StatusError,
			want: []string{"could not be checked", "may have reached the DC"}},
		{name: "repeat", bind: bind(bindErr("52e")), repeat: true, status: StatusFail, reason: 1326},
		// On the agent server: LogonUser decides, the bind is shown beside.
		{name: "LogonUser and bind accept", logon: &directory.LogonAnswer{OK: true}, bind: bind(nil), status: StatusPass,
			want: []string{"LogonUser on this server accepts the password of alice@contoso.com: the account can sign in now (the bind at dc1.corp.contoso.test too)"}},
		{name: "LogonUser refuses, no bind", logon: &directory.LogonAnswer{Reason: 1326}, noBind: "LogonUser's answer ...", status: StatusFail, reason: 1326,
			want: []string{"LogonUser on this server refuses the password"}},
		{name: "LogonUser finds no DC, the bind accepts", logon: &directory.LogonAnswer{Reason: 1311}, bind: bind(nil), status: StatusFail, reason: 1311,
			want: []string{"LogonUser on this server refuses the sign-in: 1311 ERROR_NO_LOGON_SERVERS"}},
		{name: "LogonUser without answer", logon: &directory.LogonAnswer{Err: context.DeadlineExceeded}, noBind: "LogonUser got no answer", status: StatusError,
			want: []string{"LogonUser: context deadline exceeded", "may have reached the DC"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := passwordFacts{
				User:    signinUser{UPN: "alice@contoso.com", Account: "alice@contoso.com"},
				Attempt: &directory.PasswordAttempt{Account: "alice@contoso.com", At: at, Logon: tc.logon, Bind: tc.bind, NoBind: tc.noBind},
				Repeat:  tc.repeat, Machine: "PTA1", Predicted: tc.predicted, Workstations: tc.ws,
			}
			out := decidePassword(f)
			r := RunPlan(context.Background(), &Env{}, []Entry{{Check: fakeOutcome{out}, Timeout: time.Second}}, RunOptions{})[0]
			if r.Status != tc.status {
				t.Fatalf("%s %q, want %s", r.Status, findings(r), tc.status)
			}
			for _, w := range tc.want {
				if !strings.Contains(findings(r), w) {
					t.Errorf("%q does not contain %q", findings(r), w)
				}
			}
			d := out.Details.(passwordJSON)
			if got := 0; d.Reason != nil {
				got = *d.Reason
				if got != tc.reason {
					t.Errorf("details.reason %d, want %d", got, tc.reason)
				}
			} else if tc.reason != 0 && r.Status != StatusError {
				t.Errorf("details.reason absent, want %d", tc.reason)
			}
			if tc.repeat && !strings.Contains(strings.Join(d.Notes, " "), "tried once per run") {
				t.Errorf("a repeated answer does not say so: %v", d.Notes)
			}
			if d.LogonUser != nil && d.Bind != nil && d.Authority != "logon_user" && tc.logon.Err == nil {
				t.Errorf("authority %q beside LogonUser", d.Authority)
			}
		})
	}
}

// fakeOutcome is a check that returns a fixed outcome.
type fakeOutcome struct{ out Outcome }

func (fakeOutcome) Meta() Meta                          { return Meta{ID: "user.password"} }
func (f fakeOutcome) Run(context.Context, *Env) Outcome { return f.out }

// The user checks with the tenant emulator and the emulated DC together:
// a synchronised user whose on-premises UPN differs is named by both UPNs
// and looked up (and its password tried) by the on-premises one; a
// cloud-only user is left out of the AD checks; one password attempt per
// process, whatever re-runs the check.
func TestSigninWithCloudUsers(t *testing.T) {
	yes := true
	const pw = "Pa55-word"
	d := contosoDirectory()
	d.Now = "2026-11-25T12:00:00Z"
	d.Users = []fixtures.DirectoryUser{
		{UPN: "alice@contoso.com", Password: pw},
		{UPN: "bob@corp.contoso.test", Password: pw},
		{UPN: "dave@contoso.com", Password: pw, Disabled: true},
		// Locked under a PSO this bind cannot read, without computed
		// attributes: the attributes cannot establish the lockout.
		{UPN: "erin@contoso.com", Password: pw, LockedMinutesAgo: 10, PSO: "hidden", OmitComputed: true},
	}
	five := 30
	d.PasswordSettings = []fixtures.DirectoryPSO{{Name: "hidden", LockoutMinutes: &five, Hidden: true}}
	env, dc := adEnvDC(t, d, nil, fixtureBind)
	bindsAs := func(user string) int {
		n := 0
		for _, q := range dc.Requests() {
			if q.Op == "bind" && strings.EqualFold(q.Object, user) {
				n++
			}
		}
		return n
	}
	env.Tenant = tenantEnv(t, "healthy", func(spec *fixtures.Tenant) {
		spec.Users = append(spec.Users,
			fixtures.TenantUser{ID: "00000000-0000-0000-0000-00000000a11c", UserPrincipalName: "alice@contoso.com", OnPremisesSyncEnabled: &yes},
			fixtures.TenantUser{ID: "00000000-0000-0000-0000-000000000b0b", UserPrincipalName: "bob@contoso.com", OnPremisesSyncEnabled: &yes, OnPremisesUserPrincipalName: "bob@corp.contoso.test"},
			fixtures.TenantUser{ID: "00000000-0000-0000-0000-00000000ca01", UserPrincipalName: "carol@contoso.com"},
			fixtures.TenantUser{ID: "00000000-0000-0000-0000-00000000da7e", UserPrincipalName: "dave@contoso.com", OnPremisesSyncEnabled: &yes},
			fixtures.TenantUser{ID: "00000000-0000-0000-0000-00000000e41e", UserPrincipalName: "erin@contoso.com", OnPremisesSyncEnabled: &yes})
	}, "").Tenant
	run := func(users []string, password *directory.UserPassword) map[string]Result {
		t.Helper()
		cfg := SigninConfig{AD: ADConfig{Domain: "corp.contoso.test"}, Users: users, Password: password, Machine: "PTA1"}
		plan := []Entry{{Check: ADDCReachableCheck{Config: cfg.AD}, Timeout: 10 * time.Second}}
		for _, c := range []Check{UserCloudUPNCheck{cfg}, UserExistsCheck{cfg}, UserAccountStateCheck{cfg}, UserPasswordCheck{cfg}} {
			plan = append(plan, Entry{Check: c, Requires: []string{"ad.dc-reachable"}, Timeout: 10 * time.Second})
		}
		e := *env
		e.AD = &directory.Gatherer{Net: env.AD.(*directory.Gatherer).Net, Options: env.AD.(*directory.Gatherer).Options, LookupTimeout: time.Second, PortTimeout: time.Second}
		e.Tenant = &graph.Tenant{Graph: env.Tenant.Graph}
		out := map[string]Result{}
		for _, r := range RunPlan(context.Background(), &e, plan, RunOptions{}) {
			out[r.ID] = r
		}
		return out
	}
	want := func(rs map[string]Result, id string, status Status, contains ...string) {
		t.Helper()
		r := rs[id]
		if r.Status != status {
			t.Errorf("%s: %s %q, want %s", id, r.Status, findings(r), status)
		}
		for _, c := range contains {
			if !strings.Contains(findings(r), c) {
				t.Errorf("%s: %q does not contain %q", id, findings(r), c)
			}
		}
	}

	rs := run([]string{"alice@contoso.com", "bob@contoso.com", "carol@contoso.com"}, nil)
	want(rs, "user.cloud-upn", StatusFail, "bob@contoso.com signs in to Entra ID as bob@contoso.com, but the on-premises UPN is bob@corp.contoso.test",
		"carol@contoso.com is cloud-only")
	want(rs, "user.exists", StatusPass, "2 users found; 1 not signing in through PTA")
	want(rs, "user.account-state", StatusPass, "2 accounts can sign in")
	want(rs, "user.password", StatusSkip, "no password to check")

	// The password of the on-premises account, tried with its on-premises UPN.
	p := directory.NewUserPassword(pw)
	rs = run([]string{"bob@contoso.com"}, p)
	want(rs, "user.password", StatusPass, "the DC accepts the password of bob@contoso.com (on-premises bob@corp.contoso.test)")
	want(rs, "user.cloud-upn", StatusFail, "the agent is handed bob@contoso.com, which AD does not know")
	// Again in the same process (--retry-timeout, collect): the answer of
	// the one attempt, and no second bind as the user.
	rs = run([]string{"bob@contoso.com"}, p)
	want(rs, "user.password", StatusPass)
	if d := rs["user.password"].Details.(passwordJSON); !d.Repeat {
		t.Errorf("second run: not marked as a repeat: %+v", d)
	}
	if n := bindsAs("bob@corp.contoso.test"); n != 1 {
		t.Errorf("%d binds as bob@corp.contoso.test in two runs, want exactly one", n)
	}
	if n := bindsAs("bob@contoso.com"); n != 0 {
		t.Errorf("%d binds with the cloud UPN: the password goes to the on-premises account only", n)
	}
	t.Log(findings(rs["user.password"]))

	rs = run([]string{"alice@contoso.com"}, directory.NewUserPassword("wrong"))
	want(rs, "user.password", StatusFail, "wrong password (1326 ERROR_LOGON_FAILURE)")
	rs = run([]string{"dave@contoso.com"}, directory.NewUserPassword(pw))
	want(rs, "user.password", StatusFail, "1331 ERROR_ACCOUNT_DISABLED")
	want(rs, "user.account-state", StatusFail, "ACCOUNTDISABLE")
	// The attributes can only say "may be locked"; the DC says 1909: a
	// failure, and the disagreement a finding of its own.
	rs = run([]string{"erin@contoso.com"}, directory.NewUserPassword(pw))
	want(rs, "user.password", StatusFail, "1909 ERROR_ACCOUNT_LOCKED_OUT", "predicted nothing that blocks the sign-in, the DC answers 1909")
	rs = run([]string{"carol@contoso.com"}, directory.NewUserPassword(pw))
	want(rs, "user.password", StatusSkip, "carol@contoso.com is cloud-only")
	rs = run([]string{"alice@contoso.com", "bob@contoso.com"}, directory.NewUserPassword(pw))
	want(rs, "user.password", StatusError, "one user at a time")
	for _, id := range []string{"user.cloud-upn", "user.password"} {
		t.Logf("%s: %s", id, findings(rs[id]))
	}
}

// user.cloud-upn over every shape of cloud facts.
func TestDecideCloudUPN(t *testing.T) {
	yes, no := true, false
	notFound := &graph.Error{Path: "/v1.0/users/x", Status: 404, Code: "Request_ResourceNotFound"}
	forbidden := &graph.Error{Path: "/v1.0/users/x", Status: 403, Code: "Authorization_RequestDenied"}
	user := func(upn, onPrem string, sync *bool, enabled bool) *graph.CloudUserFacts {
		return &graph.CloudUserFacts{UPN: upn, User: graph.Fact[*graph.CloudUser]{V: &graph.CloudUser{ID: "1", UserPrincipalName: upn,
			AccountEnabled: &enabled, OnPremisesSyncEnabled: sync, OnPremisesUserPrincipalName: onPrem, OnPremisesSamAccountName: "sam"}}}
	}
	missing := func(upn string, by ...string) *graph.CloudUserFacts {
		f := &graph.CloudUserFacts{UPN: upn, User: graph.Fact[*graph.CloudUser]{Err: notFound}, ByOnPremises: &graph.Fact[[]graph.CloudUser]{V: []graph.CloudUser{}}}
		for _, b := range by {
			f.ByOnPremises.V = append(f.ByOnPremises.V, graph.CloudUser{UserPrincipalName: b})
		}
		return f
	}
	for _, tc := range []struct {
		name   string
		facts  *graph.CloudUserFacts
		status Status
		want   string
	}{
		{"same UPN", user("alice@contoso.com", "Alice@contoso.com", &yes, true), StatusPass, "1 user signs in with the on-premises UPN"},
		{"different UPN", user("bob@contoso.com", "bob@corp.contoso.local", &yes, true), StatusFail, "but the on-premises UPN is bob@corp.contoso.local (sAMAccountName sam, domain -)"},
		{"cloud-only", user("carol@contoso.com", "", nil, true), StatusWarn, "carol@contoso.com is cloud-only"},
		{"no longer synchronised", user("dave@contoso.com", "dave@contoso.com", &no, true), StatusWarn, "is no longer synchronised"},
		{"disabled in Entra ID", user("erin@contoso.com", "erin@contoso.com", &yes, false), StatusFail, "AADSTS50057"},
		{"an on-premises UPN given", missing("bob@corp.contoso.local", "bob@contoso.com"), StatusFail, "bob@corp.contoso.local is not a cloud UPN but the on-premises UPN of bob@contoso.com"},
		{"nowhere", missing("nobody@contoso.com"), StatusFail, "AADSTS50034"},
		{"synchronised without an on-premises UPN", user("frank@contoso.com", "", &yes, true), StatusError, "without onPremisesUserPrincipalName"},
		{"forbidden", &graph.CloudUserFacts{UPN: "x", User: graph.Fact[*graph.CloudUser]{Err: forbidden}}, StatusError, "read the users' cloud accounts"},
		{"not read", nil, StatusError, "not read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			upn := "x@contoso.com"
			if tc.facts != nil {
				upn = tc.facts.UPN
			}
			u := signinUser{UPN: upn, Account: upn, CloudAccount: tc.facts}
			if tc.facts != nil {
				u.resolve()
			}
			r := RunPlan(context.Background(), &Env{}, []Entry{{Check: fakeOutcome{decideCloudUPN([]signinUser{u})}, Timeout: time.Second}}, RunOptions{})[0]
			if r.Status != tc.status || !strings.Contains(findings(r), tc.want) {
				t.Fatalf("%s %q, want %s with %q", r.Status, findings(r), tc.status, tc.want)
			}
		})
	}
}
