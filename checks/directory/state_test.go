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
		{"lockoutTime, policy unknown", func(u *User) { u.LockoutTime = ft(-1000 * time.Hour) }, nil, "", "[1909]"},
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
	u := healthy()
	u.LockoutTime = ft(-31 * time.Minute)
	if st := Evaluate(u, policy, now, ""); len(st.Notes) != 1 || !strings.Contains(st.Notes[0], "stale") {
		t.Errorf("stale lockout note: %v", st.Notes)
	}
	if ReasonAccountDisabled.String() != "1331 ERROR_ACCOUNT_DISABLED" || Reason(5).Symbol() != "WIN32_5" {
		t.Error("Reason strings")
	}
}
