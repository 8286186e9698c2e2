package checks

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ptacheck/ptacheck/checks/directory"
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
			env.AD = &directory.Gatherer{Net: env.AD.Net, Options: env.AD.Options, LookupTimeout: time.Second, PortTimeout: time.Second}
			r := Run(context.Background(), &env, plan, RunOptions{})[1]
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
