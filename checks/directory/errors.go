package directory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/go-ldap/ldap/v3"
)

// Sentinel errors, tested with errors.Is.
var (
	// ErrNoDomainControllers: the locator SRV lookup found no usable DC.
	ErrNoDomainControllers = errors.New("no domain controllers")
	// ErrConnClosed: the connection to the DC was closed (by the DC, the
	// network, or this client after its context ended).
	ErrConnClosed = errors.New("connection closed")
	// ErrResponseTooLarge: a response exceeded MaxResponseBytes.
	ErrResponseTooLarge = errors.New("response too large")
	// ErrTooManyEntries: a search returned more entries than its limit.
	ErrTooManyEntries = errors.New("too many entries")
	// ErrCleartextPassword: a simple bind with a password over plain LDAP
	// was not sent because Options.AllowCleartextPassword is off.
	ErrCleartextPassword = errors.New("refusing to send a password over plain ldap (use ldaps or starttls)")
	// ErrNeedsWindows: Bind.CurrentUser needs Windows SSPI.
	ErrNeedsWindows = errors.New("binding as the logged-on user (gssapi/sspi) needs windows")
	// ErrAbandoned marks DialFirst attempts stopped because another DC
	// answered first.
	ErrAbandoned = errors.New("abandoned: another dc answered first")
)

// OpError is the error of one step against a DC: "bind as cn=x,...: invalid
// credentials (ldap result 49): ...". Op and Object name the step; Err is the
// cause, which wraps *ldap.Error, a context error, ErrConnClosed or a network
// error so the classifiers below and errors.Is/As see through it.
type OpError struct {
	Op     string // "dial", "tls handshake", "starttls", "bind as", "search"
	Object string // address, bind identity or search base
	Err    error
}

func (e *OpError) Error() string {
	if e.Object == "" {
		return e.Op + ": " + e.Err.Error()
	}
	return e.Op + " " + e.Object + ": " + e.Err.Error()
}

func (e *OpError) Unwrap() error { return e.Err }

// ldapCause renders a go-ldap error in this package's style ("invalid
// credentials (ldap result 49): <diagnostic>") and still unwraps to the
// *ldap.Error for ldap.IsErrorWithCode.
type ldapCause struct{ err *ldap.Error }

func (c *ldapCause) Error() string {
	name, ok := ldap.LDAPResultCodeMap[c.err.ResultCode]
	if !ok {
		name = "unknown result"
	}
	var b strings.Builder
	b.WriteString(strings.ToLower(name))
	if c.err.ResultCode < ldap.ErrorNetwork {
		fmt.Fprintf(&b, " (ldap result %d)", c.err.ResultCode)
	}
	msg := ""
	if c.err.Err != nil {
		msg = strings.TrimPrefix(c.err.Err.Error(), "ldap: ")
	}
	if msg != "" {
		b.WriteString(": ")
		b.WriteString(clipLong(strings.TrimSpace(msg)))
	}
	if c.err.ResultCode == ldap.LDAPResultStrongAuthRequired {
		b.WriteString(" (" + adviceStrongAuth + ")")
	}
	return b.String()
}

func (c *ldapCause) Unwrap() error { return c.err }

const (
	adviceStrongAuth = "the dc refuses simple binds without transport encryption: use ldaps (636) or starttls (389)"
	adviceInvalid    = "check the bind user and password"
	adviceReferral   = "the dc does not hold this naming context: ask a dc of the right domain or the global catalog"
)

// Advice returns a short remediation hint for errors the classifiers
// recognise, or "".
func Advice(err error) string {
	switch {
	case IsStrongAuthRequired(err):
		return adviceStrongAuth
	case IsInvalidCredentials(err):
		return adviceInvalid
	case IsReferral(err):
		return adviceReferral
	}
	return ""
}

// IsStrongAuthRequired: the DC refused a simple bind over plain LDAP (LDAP
// result 8, strongerAuthRequired; AD "LDAP server signing requirements" or
// Samba's default).
func IsStrongAuthRequired(err error) bool {
	return ldap.IsErrorWithCode(err, ldap.LDAPResultStrongAuthRequired)
}

// IsInvalidCredentials: wrong bind name or password, or an account that may
// not bind (LDAP result 49).
func IsInvalidCredentials(err error) bool {
	return ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials)
}

// IsReferral: the DC answered with a referral (LDAP result 10).
func IsReferral(err error) bool {
	return ldap.IsErrorWithCode(err, ldap.LDAPResultReferral)
}

// IsConnClosed: the connection was closed or reset before the answer came.
func IsConnClosed(err error) bool {
	return errors.Is(err, ErrConnClosed) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) ||
		errors.Is(err, net.ErrClosed)
}

// IsTimeout: a deadline passed (the caller's context deadline, a dial or I/O
// timeout, or go-ldap's request timeout). Cancellation is not a timeout.
func IsTimeout(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// IsCanceled: the caller cancelled the context (not a deadline).
func IsCanceled(err error) bool { return errors.Is(err, context.Canceled) }

// IsRefused: nothing listens on the DC's port (TCP RST on connect).
func IsRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// clipLong bounds server-provided text kept in an error.
func clipLong(s string) string {
	const max = 512
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}

// BindReason extracts the Win32 code AD (and Samba) put in the diagnostic
// message of a failed bind, "...AcceptSecurityContext error, data 775, ...":
// 52e wrong password, 530 logon hours, 531 workstation, 532 password expired,
// 533 disabled, 701 account expired, 773 must change, 775 locked out.
func BindReason(err error) (Reason, bool) {
	var le *ldap.Error
	if !errors.As(err, &le) || le.Err == nil {
		return 0, false
	}
	msg := le.Err.Error()
	i := strings.Index(msg, ", data ")
	if i < 0 {
		return 0, false
	}
	hex := msg[i+len(", data "):]
	n := 0
	for n < len(hex) && n < 8 && strings.ContainsRune("0123456789abcdefABCDEF", rune(hex[n])) {
		n++
	}
	if n == 0 {
		return 0, false
	}
	v, perr := strconv.ParseUint(hex[:n], 16, 32)
	if perr != nil {
		return 0, false
	}
	return Reason(v), true
}
