package checks

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ptacheck/ptacheck/checks/directory"
)

// Verdicts of user.exists and user.account-state over directory facts, no
// DC: the users' lookup is answered from a UserFacts value, as the
// directory client's once-per-run table would hold it after a lookup.

var factsNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) // a Wednesday

// factsDirectory answers the users' lookup from facts; any other read
// fails the test (the checks under test must not need a DC).
type factsDirectory struct {
	t     *testing.T
	users *directory.UserFacts
}

func (d *factsDirectory) Gather(context.Context, string, []string) *directory.Facts {
	d.t.Fatal("the check gathered the directory facts: it must decide from the users' facts")
	return nil
}

func (d *factsDirectory) Users(context.Context, string, []string, []string) *directory.UserFacts {
	return d.users
}

func (d *factsDirectory) TryPassword(context.Context, *directory.Facts, string, *directory.UserPassword) (*directory.PasswordAttempt, bool) {
	d.t.Fatal("the check tried a password")
	return nil, false
}

// factsEnv returns an Env whose directory answers any users' lookup with u
// and whose clock reads factsNow.
func factsEnv(t *testing.T, u *directory.UserFacts) *Env {
	return &Env{AD: &factsDirectory{t: t, users: u}, Now: func() time.Time { return factsNow }}
}

// runFacts runs one check as the runner does and returns its result.
func runFacts(t *testing.T, env *Env, c Check) Result {
	t.Helper()
	return RunPlan(context.Background(), env, []Entry{{Check: c, Timeout: 10 * time.Second}}, RunOptions{})[0]
}

var factsAD = ADConfig{Domain: "corp.contoso.test"}

func factsUser(upn string) *directory.User {
	return &directory.User{DN: "CN=" + strings.Split(upn, "@")[0] + ",CN=Users,DC=corp,DC=contoso,DC=test", UPN: upn,
		UAC: directory.UACNormalAccount, HasUACComputed: true, HasPwdLastSet: true,
		PwdLastSet: directory.FileTimeOf(factsNow.Add(-24 * time.Hour)), HasPasswordExpiry: true, PasswordExpiry: directory.FileTimeNever}
}

func found(users ...*directory.User) map[string]*directory.User {
	m := map[string]*directory.User{}
	for _, u := range users {
		m[strings.ToLower(u.UPN)] = u
	}
	return m
}

func TestUserExistsVerdicts(t *testing.T) {
	many := make([]string, 53)
	for i := range many {
		many[i] = fmt.Sprintf("u%02d@contoso.com", i)
	}
	for _, tc := range []struct {
		name     string
		cfg      SigninConfig
		facts    *directory.UserFacts
		noAD     bool
		status   Status
		message  string
		findings []string // nil: not compared
	}{
		{name: "no user given", cfg: SigninConfig{AD: factsAD}, status: StatusSkip,
			message: "no user to diagnose: pass --user UPN or --users-file FILE"},
		{name: "no domain", cfg: SigninConfig{Users: []string{"a@contoso.com"}}, status: StatusSkip, message: errNoDomain.Error()},
		{name: "no credentials for a bind", status: StatusSkip, message: "no credentials to bind for reading the users' accounts",
			cfg: SigninConfig{AD: ADConfig{Domain: "corp.contoso.test", NoBindReason: "no credentials to bind for reading the forest"}, Users: []string{"a@contoso.com"}}},
		{name: "no directory client", noAD: true, cfg: SigninConfig{AD: factsAD, Users: []string{"a@contoso.com"}}, status: StatusError,
			message: "no directory client in this run"},
		{name: "lookup failed as a whole", cfg: SigninConfig{AD: factsAD, Users: []string{"a@contoso.com"}}, status: StatusError,
			facts:   &directory.UserFacts{Found: found(), Other: map[string]string{}, Missing: []string{}, Err: errors.New("no domain controller (see ad.dc-reachable)")},
			message: "read the users' accounts: no domain controller (see ad.dc-reachable)"},
		{name: "lookup cut off", cfg: SigninConfig{AD: factsAD, Users: []string{"a@contoso.com"}}, status: StatusError,
			facts:   &directory.UserFacts{Found: found(), Other: map[string]string{}, Missing: []string{}, Err: fmt.Errorf("search: %w", context.DeadlineExceeded)},
			message: "the users' accounts (cut off)"},
		{name: "every user found", cfg: SigninConfig{AD: factsAD, Users: []string{"a@contoso.com", "b@contoso.com"}}, status: StatusPass,
			facts:   &directory.UserFacts{Found: found(factsUser("a@contoso.com"), factsUser("b@contoso.com")), Other: map[string]string{}, Missing: []string{}},
			message: "2 users found", findings: []string{}},
		{name: "one user found", cfg: SigninConfig{AD: factsAD, Users: []string{"a@contoso.com"}}, status: StatusPass,
			facts:   &directory.UserFacts{Found: found(factsUser("a@contoso.com")), Other: map[string]string{}, Missing: []string{}},
			message: "1 user found"},
		{name: "found in other domains of the forest, sorted", cfg: SigninConfig{AD: factsAD, Users: []string{"a@contoso.com", "z@contoso.com", "y@contoso.com"}},
			facts: &directory.UserFacts{Found: found(factsUser("a@contoso.com")), Missing: []string{}, Other: map[string]string{
				"z@contoso.com": "CN=z,CN=Users,DC=emea,DC=corp,DC=contoso,DC=test",
				"y@contoso.com": "CN=y,CN=Users,DC=apac,DC=corp,DC=contoso,DC=test"}},
			status:  StatusPass,
			message: "3 users found (2 in other domains of the forest: y@contoso.com (apac.corp.contoso.test), z@contoso.com (emea.corp.contoso.test))"},
		{name: "missing users fail with AADSTS80004", cfg: SigninConfig{AD: factsAD, Users: []string{"a@contoso.com", "b@contoso.com", "c@contoso.com"}},
			facts:   &directory.UserFacts{Found: found(factsUser("a@contoso.com")), Other: map[string]string{}, Missing: []string{"b@contoso.com", "c@contoso.com"}},
			status:  StatusFail,
			message: "2 of 3 users not found in the forest (AADSTS80004)",
			findings: []string{
				"no account with UPN b@contoso.com in forest of corp.contoso.test (AADSTS80004)",
				"no account with UPN c@contoso.com in forest of corp.contoso.test (AADSTS80004)"}},
		{name: "a partial lookup error warns beside the verdict", cfg: SigninConfig{AD: factsAD, Users: []string{"a@contoso.com", "b@contoso.com"}},
			facts:   &directory.UserFacts{Found: found(factsUser("a@contoso.com")), Other: map[string]string{}, Missing: []string{"b@contoso.com"}, Err: errors.New("global catalog: connection refused")},
			status:  StatusFail,
			message: "1 of 2 users not found in the forest (AADSTS80004)",
			findings: []string{"no account with UPN b@contoso.com in forest of corp.contoso.test (AADSTS80004)",
				"warning: global catalog: connection refused"}},
		{name: "a partial lookup error with everyone found warns", cfg: SigninConfig{AD: factsAD, Users: []string{"a@contoso.com"}},
			facts:   &directory.UserFacts{Found: found(factsUser("a@contoso.com")), Other: map[string]string{}, Missing: []string{}, Err: errors.New("global catalog: connection refused")},
			status:  StatusWarn,
			message: "1 user found", findings: []string{"global catalog: connection refused"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := &Env{Now: func() time.Time { return factsNow }}
			if tc.facts != nil {
				env = factsEnv(t, tc.facts)
			} else if !tc.noAD {
				env.AD = &factsDirectory{t: t} // never asked: the check decides before looking up
			}
			r := runFacts(t, env, UserExistsCheck{Config: tc.cfg})
			if r.Status != tc.status || !strings.Contains(r.Message, tc.message) {
				t.Fatalf("%s %q, want %s containing %q", r.Status, r.Message, tc.status, tc.message)
			}
			if tc.findings != nil && !reflect.DeepEqual(r.Findings, tc.findings) && !(len(r.Findings) == 0 && len(tc.findings) == 0) {
				t.Fatalf("findings %q, want %q", r.Findings, tc.findings)
			}
			// Same facts, same verdict (map order must not show).
			if tc.facts != nil {
				again := runFacts(t, factsEnv(t, tc.facts), UserExistsCheck{Config: tc.cfg})
				if again.Status != r.Status || again.Message != r.Message || !reflect.DeepEqual(again.Findings, r.Findings) {
					t.Fatalf("second run: %s %q %q, first %s %q %q", again.Status, again.Message, again.Findings, r.Status, r.Message, r.Findings)
				}
			}
		})
	}

	t.Run("more than 50 missing: 50 listed and a count", func(t *testing.T) {
		cfg := SigninConfig{AD: factsAD, Users: many}
		r := runFacts(t, factsEnv(t, &directory.UserFacts{Found: found(), Other: map[string]string{}, Missing: many}), UserExistsCheck{Config: cfg})
		if r.Status != StatusFail || len(r.Findings) != maxListedUsers+1 || r.Findings[maxListedUsers] != "and 3 more users not found" {
			t.Fatalf("%s, %d findings, last %q", r.Status, len(r.Findings), r.Findings[len(r.Findings)-1])
		}
		d := r.Details.(map[string]any)
		if d["found"] != 0 || len(d["missing"].([]string)) != 53 {
			t.Fatalf("details %v", d)
		}
	})
}

func TestUserAccountStateVerdicts(t *testing.T) {
	locked := factsUser("locked@contoso.com")
	locked.UACComputed = directory.UACLockout
	locked.LockoutTime = directory.FileTimeOf(factsNow.Add(-5 * time.Minute))
	disabled := factsUser("disabled@contoso.com")
	disabled.UAC |= directory.UACAccountDisable
	expired := factsUser("expired@contoso.com")
	expired.AccountExpires = directory.FileTimeOf(factsNow.Add(-time.Hour))
	mustChange := factsUser("change@contoso.com")
	mustChange.PwdLastSet = 0
	pwdExpired := factsUser("pwdexpired@contoso.com")
	pwdExpired.PasswordExpiry = directory.FileTimeOf(factsNow.Add(-time.Minute))
	var mondays directory.LogonHours
	for h := 8; h < 17; h++ {
		mondays.Set(1*24+h, true)
	}
	hours := factsUser("hours@contoso.com")
	hours.LogonHours = &mondays
	ws := factsUser("ws@contoso.com")
	ws.Workstations = []string{"PTA1", "PTA2"}
	twice := factsUser("twice@contoso.com")
	twice.UAC |= directory.UACAccountDisable
	twice.AccountExpires = directory.FileTimeOf(factsNow.Add(-time.Hour))
	// No computed attributes and no readable policy: a lockoutTime that
	// nothing bounds is "may be locked", a warning, never 1909.
	unsure := factsUser("unsure@contoso.com")
	unsure.HasUACComputed, unsure.HasPasswordExpiry, unsure.PasswordExpiry = false, false, 0
	unsure.LockoutTime = directory.FileTimeOf(factsNow.Add(-5 * time.Minute))
	ok1, ok2 := factsUser("ok1@contoso.com"), factsUser("ok2@contoso.com")
	policy := &directory.DomainPolicy{MaxPwdAge: directory.Interval{Duration: 42 * 24 * time.Hour}, LockoutDuration: directory.Interval{Duration: 30 * time.Minute}}

	for _, tc := range []struct {
		name     string
		users    []*directory.User
		machine  string
		policy   *directory.DomainPolicy
		status   Status
		message  string
		findings []string
		reasons  map[string]int
	}{
		{name: "everyone can sign in", users: []*directory.User{ok1, ok2}, policy: policy, status: StatusPass,
			message: "2 accounts can sign in as far as AD says", findings: []string{}, reasons: map[string]int{}},
		{name: "disabled", users: []*directory.User{disabled}, policy: policy, status: StatusFail,
			message:  "1 of 1 accounts cannot sign in now (1331 ERROR_ACCOUNT_DISABLED: 1)",
			findings: []string{"disabled@contoso.com: userAccountControl has ACCOUNTDISABLE (0x2) (1331 ERROR_ACCOUNT_DISABLED)"},
			reasons:  map[string]int{"1331 ERROR_ACCOUNT_DISABLED": 1}},
		{name: "locked out, as the DC computes it", users: []*directory.User{locked}, policy: policy, status: StatusFail,
			message: "(1909 ERROR_ACCOUNT_LOCKED_OUT: 1)", reasons: map[string]int{"1909 ERROR_ACCOUNT_LOCKED_OUT": 1}},
		{name: "account expired", users: []*directory.User{expired}, policy: policy, status: StatusFail,
			findings: []string{"expired@contoso.com: accountExpires is 2026-11-25T11:00:00Z (1793 ERROR_ACCOUNT_EXPIRED)"},
			reasons:  map[string]int{"1793 ERROR_ACCOUNT_EXPIRED": 1}},
		{name: "must change password", users: []*directory.User{mustChange}, policy: policy, status: StatusFail,
			findings: []string{"change@contoso.com: pwdLastSet is 0 (must change password at next logon) (1907 ERROR_PASSWORD_MUST_CHANGE)"},
			reasons:  map[string]int{"1907 ERROR_PASSWORD_MUST_CHANGE": 1}},
		{name: "password expired", users: []*directory.User{pwdExpired}, policy: policy, status: StatusFail,
			findings: []string{"pwdexpired@contoso.com: msDS-UserPasswordExpiryTimeComputed is 2026-11-25T11:59:00Z (1330 ERROR_PASSWORD_EXPIRED)"},
			reasons:  map[string]int{"1330 ERROR_PASSWORD_EXPIRED": 1}},
		{name: "outside its logon hours now", users: []*directory.User{hours}, policy: policy, status: StatusFail,
			message: "(1328 ERROR_INVALID_LOGON_HOURS: 1)", reasons: map[string]int{"1328 ERROR_INVALID_LOGON_HOURS": 1}},
		{name: "workstations without this server", users: []*directory.User{ws}, machine: "PTA3", policy: policy, status: StatusFail,
			findings: []string{"ws@contoso.com: userWorkstations (PTA1,PTA2) does not list PTA3 (1329 ERROR_INVALID_WORKSTATION)"},
			reasons:  map[string]int{"1329 ERROR_INVALID_WORKSTATION": 1}},
		{name: "workstations, this server's name unknown: a warning, never a pass", users: []*directory.User{ws}, machine: "", policy: policy, status: StatusWarn,
			findings: []string{"ws@contoso.com: userWorkstations (PTA1,PTA2) restricts where the account logs on, and this server's name is unknown (pass --machine-name) (if so: 1329 ERROR_INVALID_WORKSTATION)"},
			reasons:  map[string]int{}},
		{name: "workstations with this server", users: []*directory.User{ws}, machine: "pta2", policy: policy, status: StatusPass,
			message: "1 account can sign in as far as AD says", reasons: map[string]int{}},
		{name: "two conditions of one user, in the fixed order", users: []*directory.User{twice}, policy: policy, status: StatusFail,
			message:  "1 of 1 accounts cannot sign in now (1331 ERROR_ACCOUNT_DISABLED: 1, 1793 ERROR_ACCOUNT_EXPIRED: 1)",
			findings: []string{"twice@contoso.com: userAccountControl has ACCOUNTDISABLE (0x2) (1331 ERROR_ACCOUNT_DISABLED); accountExpires is 2026-11-25T11:00:00Z (1793 ERROR_ACCOUNT_EXPIRED)"}},
		{name: "blocked and fine users: only the blocked listed, counted of all", users: []*directory.User{ok1, disabled, ok2, expired}, policy: policy, status: StatusFail,
			message: "2 of 4 accounts cannot sign in now (1331 ERROR_ACCOUNT_DISABLED: 1, 1793 ERROR_ACCOUNT_EXPIRED: 1)"},
		{name: "a lockout nothing bounds warns, no reason code", users: []*directory.User{unsure}, policy: nil, status: StatusWarn,
			message: "1 of 1 accounts may not sign in: the policy that decides could not be read", reasons: map[string]int{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := SigninConfig{AD: factsAD, Machine: tc.machine}
			for _, u := range tc.users {
				cfg.Users = append(cfg.Users, u.UPN)
			}
			facts := &directory.UserFacts{Found: found(tc.users...), Other: map[string]string{}, Missing: []string{}, Policy: tc.policy}
			r := runFacts(t, factsEnv(t, facts), UserAccountStateCheck{Config: cfg})
			if r.Status != tc.status || !strings.Contains(r.Message, tc.message) {
				t.Fatalf("%s %q, want %s containing %q", r.Status, r.Message, tc.status, tc.message)
			}
			if tc.findings != nil && !reflect.DeepEqual(r.Findings, tc.findings) && !(len(r.Findings) == 0 && len(tc.findings) == 0) {
				t.Fatalf("findings %q,\nwant %q", r.Findings, tc.findings)
			}
			d := r.Details.(map[string]any)
			if tc.reasons != nil && !reflect.DeepEqual(d["by_reason"], tc.reasons) {
				t.Fatalf("by_reason %v, want %v", d["by_reason"], tc.reasons)
			}
			if states := d["users"].([]userStateJSON); len(states) != len(tc.users) {
				t.Fatalf("%d users in the details, want %d", len(states), len(tc.users))
			}
			if d["evaluated_at"] != "2026-11-25T12:00:00Z" {
				t.Fatalf("evaluated_at %v: the check must use the run's clock", d["evaluated_at"])
			}
		})
	}

	t.Run("users of other domains or not found are not evaluated", func(t *testing.T) {
		cfg := SigninConfig{AD: factsAD, Users: []string{"gone@contoso.com", "far@contoso.com"}}
		facts := &directory.UserFacts{Found: found(), Other: map[string]string{"far@contoso.com": "CN=far,DC=emea,DC=corp,DC=contoso,DC=test"}, Missing: []string{"gone@contoso.com"}}
		r := runFacts(t, factsEnv(t, facts), UserAccountStateCheck{Config: cfg})
		if r.Status != StatusSkip || r.Message != "no user of this domain to evaluate (see user.exists)" {
			t.Fatalf("%s %q", r.Status, r.Message)
		}
	})

	t.Run("without the domain policy the details say so", func(t *testing.T) {
		cfg := SigninConfig{AD: factsAD, Users: []string{ok1.UPN}}
		r := runFacts(t, factsEnv(t, &directory.UserFacts{Found: found(ok1), Other: map[string]string{}, Missing: []string{}}), UserAccountStateCheck{Config: cfg})
		note, _ := r.Details.(map[string]any)["note"].(string)
		if r.Status != StatusPass || !strings.Contains(note, "policy could not be read") {
			t.Fatalf("%s, note %q", r.Status, note)
		}
	})

	t.Run("more than 50 blocked: 50 listed and a count", func(t *testing.T) {
		var users []*directory.User
		cfg := SigninConfig{AD: factsAD}
		for i := range 52 {
			u := factsUser(fmt.Sprintf("d%02d@contoso.com", i))
			u.UAC |= directory.UACAccountDisable
			users = append(users, u)
			cfg.Users = append(cfg.Users, u.UPN)
		}
		r := runFacts(t, factsEnv(t, &directory.UserFacts{Found: found(users...), Other: map[string]string{}, Missing: []string{}, Policy: policy}), UserAccountStateCheck{Config: cfg})
		if r.Status != StatusFail || len(r.Findings) != maxListedUsers+1 ||
			r.Findings[maxListedUsers] != "and 2 more users whose accounts cannot sign in (every user is in the details)" ||
			!strings.Contains(r.Message, "52 of 52 accounts cannot sign in now (1331 ERROR_ACCOUNT_DISABLED: 52)") {
			t.Fatalf("%s %q, %d findings", r.Status, r.Message, len(r.Findings))
		}
	})
}
