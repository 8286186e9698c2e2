package directory

import (
	"fmt"
	"strings"
	"time"
)

// Reason is the Win32 error a LogonUser call (the PTA agent's "Reason" in
// its trace log) returns for an account condition
// (shared/reference/error-codes.md sections 2 and 4).
type Reason int

// Reasons an account's attributes can explain.
const (
	ReasonInvalidLogonHours  Reason = 1328 // ERROR_INVALID_LOGON_HOURS
	ReasonInvalidWorkstation Reason = 1329 // ERROR_INVALID_WORKSTATION
	ReasonPasswordExpired    Reason = 1330 // ERROR_PASSWORD_EXPIRED
	ReasonAccountDisabled    Reason = 1331 // ERROR_ACCOUNT_DISABLED
	ReasonAccountExpired     Reason = 1793 // ERROR_ACCOUNT_EXPIRED
	ReasonPasswordMustChange Reason = 1907 // ERROR_PASSWORD_MUST_CHANGE
	ReasonAccountLockedOut   Reason = 1909 // ERROR_ACCOUNT_LOCKED_OUT
	ReasonLogonFailure       Reason = 1326 // ERROR_LOGON_FAILURE (wrong password or unknown user; bind diagnostics only)
)

var reasonSymbols = map[Reason]string{
	ReasonInvalidLogonHours:  "ERROR_INVALID_LOGON_HOURS",
	ReasonInvalidWorkstation: "ERROR_INVALID_WORKSTATION",
	ReasonPasswordExpired:    "ERROR_PASSWORD_EXPIRED",
	ReasonAccountDisabled:    "ERROR_ACCOUNT_DISABLED",
	ReasonAccountExpired:     "ERROR_ACCOUNT_EXPIRED",
	ReasonPasswordMustChange: "ERROR_PASSWORD_MUST_CHANGE",
	ReasonAccountLockedOut:   "ERROR_ACCOUNT_LOCKED_OUT",
	ReasonLogonFailure:       "ERROR_LOGON_FAILURE",
}

// Symbol returns the Win32 symbol, e.g. "ERROR_ACCOUNT_DISABLED".
func (r Reason) Symbol() string {
	if s, ok := reasonSymbols[r]; ok {
		return s
	}
	return fmt.Sprintf("WIN32_%d", int(r))
}

func (r Reason) String() string { return fmt.Sprintf("%d %s", int(r), r.Symbol()) }

// Condition is one fact about an account that would make a logon fail.
type Condition struct {
	Reason Reason
	Fact   string // the attribute evidence, e.g. "userAccountControl has ACCOUNTDISABLE (0x2)"
}

// UserState is the evaluation of a User's attributes at one instant. It
// holds facts; the checks decide what to make of them.
type UserState struct {
	Disabled           bool
	LockedOut          bool
	AccountExpired     bool
	PasswordExpired    bool
	MustChangePassword bool
	OutsideLogonHours  bool
	WorkstationDenied  bool
	// Conditions lists the true facts above in this fixed order: disabled,
	// locked out, account expired, must change password, password expired,
	// outside logon hours, workstation denied.
	Conditions []Condition
	// Notes are facts that do not block logon but explain the evaluation
	// (a stale lockoutTime, an unknown policy).
	Notes []string
}

// Evaluate evaluates u at now (any zone; AD times are UTC). policy may be
// nil when the domain policy could not be read: lockout then relies on the
// DC's computed flag or treats a set lockoutTime as locked, and password age
// on msDS-UserPasswordExpiryTimeComputed only. machine is the computer the
// logon comes from (the PTA agent's server, NetBIOS or DNS name); "" skips
// the userWorkstations test.
//
// The DC computes msDS-User-Account-Control-Computed at its own clock; when
// now differs from the DC's time, the attribute-based tests (lockoutTime +
// lockoutDuration, expiry times) are what follow now.
func Evaluate(u *User, policy *DomainPolicy, now time.Time, machine string) UserState {
	var st UserState
	add := func(r Reason, format string, args ...any) {
		st.Conditions = append(st.Conditions, Condition{Reason: r, Fact: fmt.Sprintf(format, args...)})
	}
	now = now.UTC()
	stamp := func(f FileTime) string { return f.Time().Format(time.RFC3339) }

	if u.UAC.Has(UACAccountDisable) {
		st.Disabled = true
		add(ReasonAccountDisabled, "userAccountControl has ACCOUNTDISABLE (0x2)")
	}

	switch {
	case u.HasUACComputed && u.UACComputed.Has(UACLockout):
		st.LockedOut = true
		add(ReasonAccountLockedOut, "msDS-User-Account-Control-Computed has LOCKOUT (0x10); lockoutTime %s", u.LockoutTime)
	case u.LockoutTime.IsSet() && policy == nil:
		st.LockedOut = true
		add(ReasonAccountLockedOut, "lockoutTime is %s and the lockout duration is unknown", stamp(u.LockoutTime))
	case u.LockoutTime.IsSet() && policy.LockoutDuration.Unlimited:
		st.LockedOut = true
		add(ReasonAccountLockedOut, "lockoutTime is %s and lockoutDuration is unlimited (until an administrator unlocks)", stamp(u.LockoutTime))
	case u.LockoutTime.IsSet():
		until := u.LockoutTime.Time().Add(policy.LockoutDuration.Duration)
		if now.Before(until) {
			st.LockedOut = true
			add(ReasonAccountLockedOut, "lockoutTime is %s; with lockoutDuration %s locked until %s", stamp(u.LockoutTime), policy.LockoutDuration, until.Format(time.RFC3339))
		} else {
			st.Notes = append(st.Notes, fmt.Sprintf("lockoutTime %s is stale: the lockout ended at %s", stamp(u.LockoutTime), until.Format(time.RFC3339)))
		}
	}

	if u.AccountExpires.IsSet() && !now.Before(u.AccountExpires.Time()) {
		st.AccountExpired = true
		add(ReasonAccountExpired, "accountExpires is %s", stamp(u.AccountExpires))
	}

	dontExpire := u.UAC.Has(UACDontExpirePassword)
	switch {
	case u.HasPwdLastSet && u.PwdLastSet == 0 && !dontExpire:
		// AD also sets PASSWORD_EXPIRED in the computed flags and 0 in
		// msDS-UserPasswordExpiryTimeComputed here; the logon fails with
		// "must change", not "expired".
		st.MustChangePassword = true
		add(ReasonPasswordMustChange, "pwdLastSet is 0 (must change password at next logon)")
	case dontExpire:
	case u.HasPasswordExpiry && u.PasswordExpiry.IsSet():
		if !now.Before(u.PasswordExpiry.Time()) {
			st.PasswordExpired = true
			add(ReasonPasswordExpired, "msDS-UserPasswordExpiryTimeComputed is %s", stamp(u.PasswordExpiry))
		}
	case u.HasPasswordExpiry && u.PasswordExpiry == FileTimeNever:
	case u.PwdLastSet.IsSet() && policy != nil && !policy.MaxPwdAge.Unlimited:
		expiry := u.PwdLastSet.Time().Add(policy.MaxPwdAge.Duration)
		if !now.Before(expiry) {
			st.PasswordExpired = true
			add(ReasonPasswordExpired, "pwdLastSet %s + maxPwdAge %s = %s", stamp(u.PwdLastSet), policy.MaxPwdAge, expiry.Format(time.RFC3339))
		}
	case u.HasUACComputed && u.UACComputed.Has(UACPasswordExpired):
		st.PasswordExpired = true
		add(ReasonPasswordExpired, "msDS-User-Account-Control-Computed has PASSWORD_EXPIRED (0x800000)")
	}
	if policy == nil && !u.HasPasswordExpiry && u.PwdLastSet.IsSet() && !dontExpire {
		st.Notes = append(st.Notes, "password age not evaluated: domain policy unknown")
	}

	if u.LogonHours != nil && !u.LogonHours.Allowed(now) {
		st.OutsideLogonHours = true
		add(ReasonInvalidLogonHours, "logonHours does not allow %s %02d:00 UTC (allowed: %s)", now.Weekday().String()[:3], now.Hour(), u.LogonHours)
	}

	if machine != "" && !WorkstationAllowed(u.Workstations, machine) {
		st.WorkstationDenied = true
		add(ReasonInvalidWorkstation, "userWorkstations (%s) does not list %s", clipN(strings.Join(u.Workstations, ","), 200), machine)
	}
	return st
}
