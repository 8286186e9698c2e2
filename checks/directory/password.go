package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// A user's password, checked as the PTA agent checks it: the agent calls
// LogonUser, which asks a DC of the user's domain; from any other machine the
// nearest equivalent is one LDAP simple bind as the user, over TLS, whose
// failure carries AD's sub-code ("AcceptSecurityContext error, data 52e"):
// the Win32 error LogonUser returns, in hex.

// ReasonNoSuchUser is AD's bind sub-code 525: no account has this name.
// LogonUser itself reports an unknown name as 1326 (it does not tell unknown
// names from wrong passwords).
const ReasonNoSuchUser Reason = 1317

// bindReasons are the bind sub-codes AD documents for a simple bind that
// names an account, and the Win32 reason each is: the sub-code is that
// reason in hexadecimal.
var bindReasons = map[uint32]Reason{
	0x525: ReasonNoSuchUser,
	0x52e: ReasonLogonFailure,
	0x530: ReasonInvalidLogonHours,
	0x531: ReasonInvalidWorkstation,
	0x532: ReasonPasswordExpired,
	0x533: ReasonAccountDisabled,
	0x701: ReasonAccountExpired,
	0x773: ReasonPasswordMustChange,
	0x775: ReasonAccountLockedOut,
}

// LogonReason maps AD's bind sub-code to the Win32 reason the agent's
// LogonUser reports for the same account: known is false for a sub-code
// outside the documented set (the code is then still the Win32 value).
func LogonReason(subCode uint32) (r Reason, known bool) {
	r, known = bindReasons[subCode]
	if !known {
		r = Reason(subCode)
	}
	return r, known
}

// BindSubCode extracts AD's sub-code from a failed simple bind: result 49
// (invalidCredentials) whose diagnostic message holds "data NNN" in hex, as
// AD and Samba write it: "80090308: LdapErr: DSID-0C09042A, comment:
// AcceptSecurityContext error, data 52e, v3839" (AD ends the message with a
// NUL byte).
func BindSubCode(err error) (uint32, bool) {
	if !IsInvalidCredentials(err) {
		return 0, false
	}
	r, ok := BindReason(err)
	return uint32(r), ok
}

// Errors of CheckPassword's refusals.
var (
	// ErrUnverifiedPassword: a user's password is sent only to a DC whose
	// certificate is verified.
	ErrUnverifiedPassword = errors.New("refusing to send a user's password to a dc whose certificate is not verified")
	// ErrLogonNeedsWindows: LogonUser is a Windows API.
	ErrLogonNeedsWindows = errors.New("logonuser needs windows")
)

// PasswordAnswer is what one password check found.
type PasswordAnswer struct {
	DC       string   // the DC the bind went to
	Security Security // ldaps or starttls
	// Sent: the bind was written to the DC, so it may count toward the
	// account's lockout threshold, answered or not.
	Sent bool
	// Connect is the time to reach the DC (TCP, TLS, an anonymous bind);
	// Latency the password bind's.
	Connect, Latency time.Duration
	// Err is nil when the DC accepted the password; else the bind's error
	// (BindSubCode reads AD's answer from it) or why no bind was sent.
	Err error
	// Attempts are the DCs tried to find one that answers (anonymous
	// connects, which name no account).
	Attempts []Attempt
}

// CheckPassword checks user's password with exactly one simple bind. It
// connects to the DCs as DialFirst does but binds anonymously there (an
// anonymous bind names no account), and then, on the first DC that
// answered, sends the one bind as user on that connection. It never retries
// and never tries another DC once the bind is sent: a wrong password counts
// toward the account's lockout threshold.
//
// The password is sent only over TLS (LDAPS or StartTLS) to a DC whose
// certificate is verified: Plain and InsecureSkipVerify are refused. opts.Bind
// is ignored.
func CheckPassword(ctx context.Context, dcs []DC, opts Options, user, password string) PasswordAnswer {
	a := PasswordAnswer{Security: opts.Security}
	switch {
	case opts.Security == Plain:
		a.Err = &OpError{Op: "bind as", Object: user, Err: ErrCleartextPassword}
		return a
	case opts.InsecureSkipVerify:
		a.Err = &OpError{Op: "bind as", Object: user, Err: ErrUnverifiedPassword}
		return a
	}
	if err := (Bind{User: user, Password: password}).validate(); err != nil {
		a.Err = err
		return a
	}
	opts.Bind = Bind{Anonymous: true}
	start := time.Now()
	s, attempts, err := DialFirst(ctx, dcs, opts)
	a.Attempts = attempts
	a.Connect = time.Since(start)
	if err != nil {
		a.Err = err
		return a
	}
	defer s.Close()
	a.DC = s.DC.String()
	a.Latency, a.Sent, a.Err = s.passwordBind(ctx, user, password)
	return a
}

// passwordBind sends one simple bind as user on the session. sent reports
// whether the request was handed to the connection.
func (s *Session) passwordBind(ctx context.Context, user, password string) (d time.Duration, sent bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err = s.do(ctx, Op{Kind: "bind", Object: user}, func() (int, error) {
		sent = true
		_, err := s.conn.SimpleBind(&ldap.SimpleBindRequest{Username: user, Password: password})
		return 0, err
	})
	return d, sent, err
}

// LogonNetwork validates user's password on this host as the PTA agent does:
// LogonUserW(user, NULL, password, LOGON32_LOGON_NETWORK,
// LOGON32_PROVIDER_DEFAULT). ok is true when Windows accepted it; otherwise
// reason is the Win32 error LogonUser set. err is set when no answer came
// (ctx ended: the call may still be counted by the DC) or on systems other
// than Windows (ErrLogonNeedsWindows).
func LogonNetwork(ctx context.Context, user, password string) (ok bool, reason Reason, err error) {
	if strings.ContainsRune(user, 0) || strings.ContainsRune(password, 0) || user == "" || password == "" {
		return false, 0, fmt.Errorf("logonuser: %w", ErrBadName)
	}
	type answer struct {
		reason Reason
		err    error
	}
	done := make(chan answer, 1)
	go func() {
		r, err := logonUser(user, password)
		done <- answer{r, err}
	}()
	select {
	case a := <-done:
		if a.err != nil {
			return false, 0, a.err
		}
		return a.reason == 0, a.reason, nil
	case <-ctx.Done():
		return false, 0, fmt.Errorf("logonuser %s: %w (the call may still reach the dc)", user, ctx.Err())
	}
}

// ErrBadName: an empty name or password, or one with a NUL character.
var ErrBadName = errors.New("empty or malformed name or password")
