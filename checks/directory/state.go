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
	ReasonNoSuchUser:         "ERROR_NO_SUCH_USER",
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
	// Possible lists conditions the attributes allow but cannot establish:
	// a lockoutTime with no readable lockout duration ("may be locked"), a
	// password whose age no readable policy bounds.
	Possible []Condition
	// Notes are facts that do not block logon but explain the evaluation
	// (a lockout that ended, which policy was used).
	Notes []string
}

// Evaluate evaluates u at now (any zone; AD times are UTC). machine is the
// computer the logon comes from (the PTA agent's server, NetBIOS or DNS
// name); "" (unknown) makes a userWorkstations list a possible condition.
//
// The DC's computed attributes are the authority, because they account for
// fine-grained password policies (PSOs) as the logon does:
// msDS-User-Account-Control-Computed (LOCKOUT, PASSWORD_EXPIRED) and
// msDS-UserPasswordExpiryTimeComputed. Only without them does Evaluate
// compute, with the user's resultant PSO (User.PSO) first and the domain
// policy after (policy; nil when it could not be read). A lockoutTime no
// readable policy bounds is Possible, never a condition.
//
// The computed flags are as of the DC's clock; the expiry time is compared
// with now.
func Evaluate(u *User, policy *DomainPolicy, now time.Time, machine string) UserState {
	var st UserState
	add := func(r Reason, format string, args ...any) {
		st.Conditions = append(st.Conditions, Condition{Reason: r, Fact: fmt.Sprintf(format, args...)})
	}
	maybe := func(r Reason, format string, args ...any) {
		st.Possible = append(st.Possible, Condition{Reason: r, Fact: fmt.Sprintf(format, args...)})
	}
	now = now.UTC()
	stamp := func(f FileTime) string { return f.Time().Format(time.RFC3339) }

	if u.UAC.Has(UACAccountDisable) {
		st.Disabled = true
		add(ReasonAccountDisabled, "userAccountControl has ACCOUNTDISABLE (0x2)")
	}

	evaluateLockout(u, policy, now, &st, add, maybe)

	if u.AccountExpires.IsSet() && !now.Before(u.AccountExpires.Time()) {
		st.AccountExpired = true
		add(ReasonAccountExpired, "accountExpires is %s", stamp(u.AccountExpires))
	}

	evaluatePasswordAge(u, policy, now, &st, add, maybe)

	if u.LogonHours != nil && !u.LogonHours.Allowed(now) {
		st.OutsideLogonHours = true
		add(ReasonInvalidLogonHours, "logonHours does not allow %s %02d:00 UTC (allowed: %s)", now.Weekday().String()[:3], now.Hour(), u.LogonHours)
	}

	switch {
	case machine != "" && !WorkstationAllowed(u.Workstations, machine):
		st.WorkstationDenied = true
		add(ReasonInvalidWorkstation, "userWorkstations (%s) does not list %s", clipN(strings.Join(u.Workstations, ","), 200), machine)
	case machine == "" && len(u.Workstations) > 0:
		// The list restricts where the account logs on, and this
		// server's name is unknown: it may not be listed.
		maybe(ReasonInvalidWorkstation, "userWorkstations (%s) restricts where the account logs on, and this server's name is unknown (pass --machine-name)", clipN(strings.Join(u.Workstations, ","), 200))
	}
	return st
}

type factFunc func(r Reason, format string, args ...any)

// lockoutSource is the lockout duration that applies to u, and where it
// comes from; ok is false when none can be read.
func lockoutSource(u *User, policy *DomainPolicy) (d Interval, source string, ok bool, why string) {
	switch {
	case u.PSO != nil && u.PSO.HasLockoutDuration:
		return u.PSO.LockoutDuration, "msDS-LockoutDuration of the user's PSO " + u.ResultantPSO, true, ""
	case u.ResultantPSO != "" && u.PSOErr != "":
		return Interval{}, "", false, "the user's PSO " + u.ResultantPSO + " could not be read: " + u.PSOErr
	case u.ResultantPSO != "":
		return Interval{}, "", false, "the user's PSO " + u.ResultantPSO + " has no readable msDS-LockoutDuration (this bind may not read the PSO's attributes)"
	case policy != nil:
		return policy.LockoutDuration, "the domain's lockoutDuration (no PSO applies: no msDS-ResultantPSO)", true, ""
	}
	return Interval{}, "", false, "the domain's lockout policy could not be read"
}

func evaluateLockout(u *User, policy *DomainPolicy, now time.Time, st *UserState, add, maybe factFunc) {
	stamp := func(f FileTime) string { return f.Time().Format(time.RFC3339) }
	if u.HasUACComputed {
		if u.UACComputed.Has(UACLockout) {
			st.LockedOut = true
			if u.LockoutTime.IsSet() {
				add(ReasonAccountLockedOut, "msDS-User-Account-Control-Computed has LOCKOUT (0x10); lockoutTime %s", stamp(u.LockoutTime))
			} else {
				add(ReasonAccountLockedOut, "msDS-User-Account-Control-Computed has LOCKOUT (0x10)")
			}
		} else if u.LockoutTime.IsSet() {
			st.Notes = append(st.Notes, fmt.Sprintf("lockoutTime %s has ended: msDS-User-Account-Control-Computed has no LOCKOUT (the DC applies the user's PSO or the domain's lockoutDuration)", stamp(u.LockoutTime)))
		}
		return
	}
	if !u.LockoutTime.IsSet() {
		return
	}
	d, source, ok, why := lockoutSource(u, policy)
	switch {
	case !ok:
		maybe(ReasonAccountLockedOut, "lockoutTime is %s and no lockout duration could be read (%s): the account may be locked", stamp(u.LockoutTime), why)
	case d.Unlimited:
		st.LockedOut = true
		add(ReasonAccountLockedOut, "lockoutTime is %s and %s is unlimited (until an administrator unlocks)", stamp(u.LockoutTime), source)
	default:
		until := u.LockoutTime.Time().Add(d.Duration)
		if now.Before(until) {
			st.LockedOut = true
			add(ReasonAccountLockedOut, "lockoutTime is %s; with %s %s locked until %s", stamp(u.LockoutTime), source, d, until.Format(time.RFC3339))
		} else {
			st.Notes = append(st.Notes, fmt.Sprintf("lockoutTime %s is stale: with %s %s the lockout ended at %s", stamp(u.LockoutTime), source, d, until.Format(time.RFC3339)))
		}
	}
}

func evaluatePasswordAge(u *User, policy *DomainPolicy, now time.Time, st *UserState, add, maybe factFunc) {
	stamp := func(f FileTime) string { return f.Time().Format(time.RFC3339) }
	dontExpire := u.UAC.Has(UACDontExpirePassword)
	expiredBy := func(age Interval, source string) {
		if age.Unlimited || !u.PwdLastSet.IsSet() {
			return
		}
		expiry := u.PwdLastSet.Time().Add(age.Duration)
		if !now.Before(expiry) {
			st.PasswordExpired = true
			add(ReasonPasswordExpired, "pwdLastSet %s + %s %s = %s", stamp(u.PwdLastSet), source, age, expiry.Format(time.RFC3339))
		}
	}
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
	case u.HasUACComputed:
		if u.UACComputed.Has(UACPasswordExpired) {
			st.PasswordExpired = true
			add(ReasonPasswordExpired, "msDS-User-Account-Control-Computed has PASSWORD_EXPIRED (0x800000)")
		}
	case !u.PwdLastSet.IsSet():
	case u.PSO != nil && u.PSO.HasMaxPwdAge:
		expiredBy(u.PSO.MaxPwdAge, "msDS-MaximumPasswordAge of the user's PSO "+u.ResultantPSO)
	case u.ResultantPSO != "":
		maybe(ReasonPasswordExpired, "password age not evaluated: the user's PSO %s has no readable msDS-MaximumPasswordAge%s", u.ResultantPSO, psoWhy(u))
	case policy != nil:
		expiredBy(policy.MaxPwdAge, "the domain's maxPwdAge")
	default:
		maybe(ReasonPasswordExpired, "password age not evaluated: pwdLastSet is %s and the domain's password policy could not be read", stamp(u.PwdLastSet))
	}
}

func psoWhy(u *User) string {
	if u.PSOErr != "" {
		return " (" + u.PSOErr + ")"
	}
	return ""
}
