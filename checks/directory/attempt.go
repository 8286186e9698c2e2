package directory

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// The one attempt of a user's password a process makes (signin
// --password-file): LogonUser on this host, then, unless the DC already
// judged the account, one simple bind.

// UserPassword is the password `signin --password-file` checks. It is
// handed out at most once per account per process, whatever re-runs the
// checks (--retry-timeout, the phases of collect): every failed attempt
// counts toward the account's lockout threshold, so the answer of the first
// attempt is kept and reported again. It never prints its secret.
type UserPassword struct {
	secret string
	mu     sync.Mutex
	tried  map[string]*PasswordAttempt
}

// NewUserPassword holds secret (register it with redact first).
func NewUserPassword(secret string) *UserPassword { return &UserPassword{secret: secret} }

func (p *UserPassword) String() string   { return "(a password, not shown)" }
func (p *UserPassword) GoString() string { return p.String() }

// MarshalJSON never writes the secret.
func (p *UserPassword) MarshalJSON() ([]byte, error) { return []byte(`"(not shown)"`), nil }

// PasswordAttempt is the one attempt of a password for an account.
type PasswordAttempt struct {
	Account string
	At      time.Time
	// Logon is LogonUser's answer on this host (Windows, live runs).
	Logon *LogonAnswer
	// Bind is the simple bind's answer; nil when none was sent (NoBind
	// says why).
	Bind   *PasswordAnswer
	NoBind string
}

// LogonAnswer is what LogonUser (LOGON32_LOGON_NETWORK) answered.
type LogonAnswer struct {
	OK     bool
	Reason Reason // when !OK and Err is nil
	Err    error  // no answer
}

// accountReasons are LogonUser answers that come from the DC's check of
// the account: after one of them a second attempt (the bind) could count
// toward the lockout threshold again, so none is sent.
var accountReasons = map[Reason]bool{
	ReasonNoSuchUser: true, 1323: true, ReasonLogonFailure: true, 1327: true,
	ReasonInvalidLogonHours: true, ReasonInvalidWorkstation: true, ReasonPasswordExpired: true,
	ReasonAccountDisabled: true, ReasonAccountExpired: true, ReasonPasswordMustChange: true,
	ReasonAccountLockedOut: true,
}

// TryPassword tries p for account, once per process: the first call signs
// in (LogonUser on this host when the client has it, then, unless that
// answer came from the DC's check of the account, one simple bind at the
// first of f's DCs that answers); every later call returns the same
// attempt with repeat set.
func (c *Gatherer) TryPassword(ctx context.Context, f *Facts, account string, p *UserPassword) (a *PasswordAttempt, repeat bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := strings.ToLower(account)
	if a := p.tried[key]; a != nil {
		return a, true
	}
	a = &PasswordAttempt{Account: account, At: time.Now()}
	if p.tried == nil {
		p.tried = map[string]*PasswordAttempt{}
	}
	p.tried[key] = a
	if c.Logon != nil {
		ok, r, err := c.Logon(ctx, account, p.secret)
		a.Logon = &LogonAnswer{OK: ok, Reason: r, Err: err}
		switch {
		case err != nil:
			a.NoBind = "LogonUser got no answer, and may have reached the DC: a second attempt could count toward the lockout threshold again"
		case !ok && accountReasons[r]:
			a.NoBind = fmt.Sprintf("LogonUser's answer (%v) is the DC's check of the account: a second attempt could count toward the lockout threshold again", r)
		}
		if a.NoBind != "" {
			return a, false
		}
	}
	ans := CheckPassword(ctx, f.DCs, c.Options, account, p.secret)
	a.Bind = &ans
	return a, false
}
