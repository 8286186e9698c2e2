package directory

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestEvaluate(t *testing.T) {
	now := time.Date(2026, 11, 25, 17, 0, 0, 0, time.UTC) // a Wednesday
	ft := func(d time.Duration) FileTime { return FileTimeOf(now.Add(d)) }
	policy := &DomainPolicy{MaxPwdAge: Interval{Duration: 42 * 24 * time.Hour}, LockoutDuration: Interval{Duration: 30 * time.Minute}}
	forever := &DomainPolicy{MaxPwdAge: Interval{Unlimited: true}, LockoutDuration: Interval{Unlimited: true}}
	var wednesday17 LogonHours
	wednesday17.Set(3*24+17, true)
	healthy := func() *User {
		return &User{UPN: "u@x", UAC: UACNormalAccount, PwdLastSet: ft(-24 * time.Hour), HasPwdLastSet: true, AccountExpires: FileTimeNever}
	}
	cases := []struct {
		name    string
		mod     func(u *User)
		policy  *DomainPolicy
		machine string
		want    string
	}{
		{"healthy", func(*User) {}, policy, "PTA1", "[]"},
		{"disabled", func(u *User) { u.UAC |= UACAccountDisable }, policy, "", "[1331]"},
		{"locked by computed flag", func(u *User) { u.UACComputed, u.HasUACComputed = UACLockout, true }, policy, "", "[1909]"},
		{"locked within duration", func(u *User) { u.LockoutTime = ft(-10 * time.Minute) }, policy, "", "[1909]"},
		{"stale lockoutTime", func(u *User) { u.LockoutTime = ft(-31 * time.Minute) }, policy, "", "[]"},
		{"locked until unlocked", func(u *User) { u.LockoutTime = ft(-1000 * time.Hour) }, forever, "", "[1909]"},
		// Without a readable duration a lockoutTime is "may be locked"
		// (Possible, below), never 1909.
		{"lockoutTime, policy unknown", func(u *User) { u.LockoutTime = ft(-1000 * time.Hour) }, nil, "", "[]"},
		// The computed flags are the authority: a PSO lockout shorter than
		// the domain's has ended although the domain's would not have.
		{"PSO lockout ended (computed flags)", func(u *User) {
			u.LockoutTime = ft(-10 * time.Minute)
			u.UACComputed, u.HasUACComputed = 0, true
			u.ResultantPSO = "CN=short,CN=Password Settings Container,CN=System,DC=x"
		}, policy, "", "[]"},
		{"PSO lockout ended (no computed flags)", func(u *User) {
			u.LockoutTime = ft(-10 * time.Minute)
			u.ResultantPSO = "CN=short,CN=Password Settings Container,CN=System,DC=x"
			u.PSO = &PasswordSettings{LockoutDuration: Interval{Duration: 5 * time.Minute}, HasLockoutDuration: true}
		}, policy, "", "[]"},
		{"PSO lockout longer than the domain's", func(u *User) {
			u.LockoutTime = ft(-40 * time.Minute)
			u.ResultantPSO = "CN=long,CN=Password Settings Container,CN=System,DC=x"
			u.PSO = &PasswordSettings{LockoutDuration: Interval{Duration: time.Hour}, HasLockoutDuration: true}
		}, policy, "", "[1909]"},
		{"PSO unreadable", func(u *User) {
			u.LockoutTime = ft(-10 * time.Minute)
			u.ResultantPSO = "CN=short,CN=Password Settings Container,CN=System,DC=x"
			u.PSO = &PasswordSettings{}
		}, policy, "", "[]"},
		{"PSO maximum password age", func(u *User) {
			u.PwdLastSet = ft(-11 * 24 * time.Hour)
			u.ResultantPSO = "CN=ten-days,CN=Password Settings Container,CN=System,DC=x"
			u.PSO = &PasswordSettings{MaxPwdAge: Interval{Duration: 10 * 24 * time.Hour}, HasMaxPwdAge: true}
		}, policy, "", "[1330]"},
		{"computed flags without PASSWORD_EXPIRED beat the domain's maxPwdAge", func(u *User) {
			u.PwdLastSet = ft(-43 * 24 * time.Hour)
			u.UACComputed, u.HasUACComputed = 0, true
		}, policy, "", "[]"},
		{"account expired", func(u *User) { u.AccountExpires = ft(-time.Second) }, policy, "", "[1793]"},
		{"account expires later", func(u *User) { u.AccountExpires = ft(time.Hour) }, policy, "", "[]"},
		{"account expires 0 = never", func(u *User) { u.AccountExpires = 0 }, policy, "", "[]"},
		{"must change", func(u *User) {
			u.PwdLastSet = 0
			u.UACComputed, u.HasUACComputed = UACPasswordExpired, true // as AD and Samba report it
			u.PasswordExpiry, u.HasPasswordExpiry = 0, true
		}, policy, "", "[1907]"},
		{"must change ignored with DONT_EXPIRE", func(u *User) { u.PwdLastSet = 0; u.UAC |= UACDontExpirePassword }, policy, "", "[]"},
		{"password expired by age", func(u *User) { u.PwdLastSet = ft(-43 * 24 * time.Hour) }, policy, "", "[1330]"},
		{"password age, policy unknown", func(u *User) { u.PwdLastSet = ft(-43 * 24 * time.Hour) }, nil, "", "[]"},
		{"password age, never expires", func(u *User) { u.PwdLastSet = ft(-430 * 24 * time.Hour) }, forever, "", "[]"},
		{"password age, DONT_EXPIRE", func(u *User) { u.PwdLastSet = ft(-430 * 24 * time.Hour); u.UAC |= UACDontExpirePassword }, policy, "", "[]"},
		{"computed expiry (fine-grained policy) wins", func(u *User) {
			u.PwdLastSet = ft(-43 * 24 * time.Hour)
			u.PasswordExpiry, u.HasPasswordExpiry = ft(24*time.Hour), true
		}, policy, "", "[]"},
		{"computed expiry passed", func(u *User) { u.PasswordExpiry, u.HasPasswordExpiry = ft(-time.Minute), true }, policy, "", "[1330]"},
		{"computed expiry never", func(u *User) {
			u.PwdLastSet = ft(-430 * 24 * time.Hour)
			u.PasswordExpiry, u.HasPasswordExpiry = FileTimeNever, true
		}, policy, "", "[]"},
		{"computed PASSWORD_EXPIRED without policy", func(u *User) { u.UACComputed, u.HasUACComputed = UACPasswordExpired, true }, nil, "", "[1330]"},
		{"inside logon hours", func(u *User) { u.LogonHours = &wednesday17 }, policy, "", "[]"},
		{"outside logon hours", func(u *User) { h := wednesday17; h.Set(3*24+17, false); h.Set(3*24+18, true); u.LogonHours = &h }, policy, "", "[1328]"},
		{"workstation listed", func(u *User) { u.Workstations = []string{"PTA1", "PTA2"} }, policy, "pta2.corp.test", "[]"},
		{"workstation not listed", func(u *User) { u.Workstations = []string{"PTA1"} }, policy, "PTA9", "[1329]"},
		{"workstation not checked without machine", func(u *User) { u.Workstations = []string{"PTA1"} }, policy, "", "[]"},
		{"everything", func(u *User) {
			u.UAC |= UACAccountDisable
			u.LockoutTime = ft(-time.Minute)
			u.AccountExpires = ft(-time.Hour)
			u.PwdLastSet = 0
			var none LogonHours
			u.LogonHours = &none
			u.Workstations = []string{"X"}
		}, policy, "PTA1", "[1331 1909 1793 1907 1328 1329]"},
	}
	for _, c := range cases {
		u := healthy()
		c.mod(u)
		st := Evaluate(u, c.policy, now, c.machine)
		var got []int
		for _, cond := range st.Conditions {
			got = append(got, int(cond.Reason))
			if cond.Fact == "" || strings.Contains(cond.Fact, "%!") {
				t.Errorf("%s: fact %q", c.name, cond.Fact)
			}
		}
		if fmt.Sprint(got) != c.want {
			t.Errorf("%s: %v, want %s", c.name, st.Conditions, c.want)
		}
		flags := []bool{st.Disabled, st.LockedOut, st.AccountExpired, st.MustChangePassword, st.PasswordExpired, st.OutsideLogonHours, st.WorkstationDenied}
		n := 0
		for _, f := range flags {
			if f {
				n++
			}
		}
		if n != len(st.Conditions) {
			t.Errorf("%s: %d flags for %d conditions", c.name, n, len(st.Conditions))
		}
	}
	// An unknown machine is no pass on a userWorkstations list: the
	// restriction is a possible condition naming --machine-name.
	{
		u := healthy()
		u.Workstations = []string{"PTA1"}
		st := Evaluate(u, policy, now, "")
		if len(st.Possible) != 1 || st.Possible[0].Reason != ReasonInvalidWorkstation || !strings.Contains(st.Possible[0].Fact, "--machine-name") {
			t.Errorf("unknown machine with userWorkstations: possible %v", st.Possible)
		}
		if st := Evaluate(healthy(), policy, now, ""); len(st.Possible) != 0 {
			t.Errorf("unknown machine, no userWorkstations: possible %v", st.Possible)
		}
	}
	u := healthy()
	u.LockoutTime = ft(-31 * time.Minute)
	if st := Evaluate(u, policy, now, ""); len(st.Notes) != 1 || !strings.Contains(st.Notes[0], "stale") || !strings.Contains(st.Notes[0], "the domain's lockoutDuration") {
		t.Errorf("stale lockout note: %v", st.Notes)
	}
	// What cannot be established is Possible, naming why.
	for _, c := range []struct {
		name   string
		mod    func(u *User)
		policy *DomainPolicy
		want   string
	}{
		{"no policy", func(u *User) { u.LockoutTime = ft(-time.Minute) }, nil, "1909: lockoutTime is 2026-11-25T16:59:00Z and no lockout duration could be read (the domain's lockout policy could not be read): the account may be locked"},
		{"PSO without attributes", func(u *User) {
			u.LockoutTime = ft(-time.Minute)
			u.ResultantPSO = "CN=p"
			u.PSO = &PasswordSettings{}
		}, policy, "1909: lockoutTime is 2026-11-25T16:59:00Z and no lockout duration could be read (the user's PSO CN=p has no readable msDS-LockoutDuration (this bind may not read the PSO's attributes)): the account may be locked"},
		{"PSO read failed", func(u *User) {
			u.LockoutTime = ft(-time.Minute)
			u.ResultantPSO = "CN=p"
			u.PSOErr = "insufficient access"
		}, policy, "1909: lockoutTime is 2026-11-25T16:59:00Z and no lockout duration could be read (the user's PSO CN=p could not be read: insufficient access): the account may be locked"},
		{"password age without policy", func(u *User) {}, nil, "1330: password age not evaluated: pwdLastSet is 2026-11-24T17:00:00Z and the domain's password policy could not be read"},
		{"password age with an unreadable PSO", func(u *User) { u.ResultantPSO = "CN=p"; u.PSO = &PasswordSettings{} }, policy, "1330: password age not evaluated: the user's PSO CN=p has no readable msDS-MaximumPasswordAge"},
	} {
		u := healthy()
		if strings.HasPrefix(c.want, "1909") {
			u.PasswordExpiry, u.HasPasswordExpiry = ft(24*time.Hour), true // only the lockout is in question
		}
		c.mod(u)
		st := Evaluate(u, c.policy, now, "")
		var got []string
		for _, p := range st.Possible {
			got = append(got, fmt.Sprintf("%d: %s", int(p.Reason), p.Fact))
		}
		if len(st.Conditions) != 0 || strings.Join(got, "; ") != c.want {
			t.Errorf("%s: conditions %v, possible %q, want %q", c.name, st.Conditions, got, c.want)
		}
	}
	u = healthy()
	u.LockoutTime, u.UACComputed, u.HasUACComputed = ft(-10*time.Minute), 0, true
	if st := Evaluate(u, policy, now, ""); len(st.Notes) != 1 || !strings.Contains(st.Notes[0], "has ended: msDS-User-Account-Control-Computed has no LOCKOUT") {
		t.Errorf("ended lockout note: %v", st.Notes)
	}
	if ReasonAccountDisabled.String() != "1331 ERROR_ACCOUNT_DISABLED" || Reason(5).Symbol() != "WIN32_5" {
		t.Error("Reason strings")
	}
}
