package directory

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strconv"
)

// The options of a session: how to reach a DC (security, port, bind) and
// what to trust.

// Security is how a Session protects the LDAP connection.
type Security int

const (
	// LDAPS: TLS from the first byte (port 636; global catalog 3269). The
	// zero value, so the default is encrypted.
	LDAPS Security = iota
	// StartTLS: plain LDAP (389; GC 3268) upgraded with the StartTLS
	// extended operation before the bind.
	StartTLS
	// Plain: no encryption. Only for reporting that a DC refuses simple
	// binds without it (see Options.AllowCleartextPassword).
	Plain
)

func (s Security) String() string {
	switch s {
	case LDAPS:
		return "ldaps"
	case StartTLS:
		return "starttls"
	case Plain:
		return "plain"
	}
	return "security(" + strconv.Itoa(int(s)) + ")"
}

// Bind says how a Session authenticates. Exactly one mode must be chosen:
// User (with Password) for a simple bind, Anonymous, or CurrentUser.
type Bind struct {
	User     string // DN, UPN (user@domain) or DOMAIN\user for a simple bind
	Password string // never printed, logged or put in an error
	// Anonymous sends an anonymous simple bind (empty name and password),
	// enough for RootDSE reads.
	Anonymous bool
	// CurrentUser binds as the logged-on Windows user with GSSAPI (SSPI,
	// Kerberos) and service principal ldap/<dc host name>. Elsewhere Dial
	// fails with ErrNeedsWindows.
	CurrentUser bool
}

// identity names the bind in errors and logs, never with the password.
func (b Bind) identity() string {
	switch {
	case b.Anonymous:
		return "anonymous"
	case b.CurrentUser:
		return "the logged-on user"
	}
	return b.User
}

// String prints the identity only, so %v of a Bind or an Options never shows
// the password.
func (b Bind) String() string { return "bind as " + b.identity() }

// GoString is String, for %#v.
func (b Bind) GoString() string { return b.String() }

func (b Bind) validate() error {
	n := 0
	if b.Anonymous {
		n++
	}
	if b.CurrentUser {
		n++
	}
	if b.User != "" {
		n++
	}
	switch {
	case n == 0:
		return errors.New("bind: no identity (set User and Password, Anonymous or CurrentUser)")
	case n > 1:
		return errors.New("bind: choose one of User, Anonymous and CurrentUser")
	case b.User != "" && b.Password == "":
		// An empty password would be an "unauthenticated bind" (RFC 4513
		// 5.1.2), which some servers answer with success.
		return fmt.Errorf("bind as %s: empty password", b.User)
	case len(b.User) > 1024:
		return errors.New("bind: user name too long")
	}
	return nil
}

// Options configure Dial and DialFirst.
type Options struct {
	Dialer             ContextDialer  // nil: a net.Dialer
	RootCAs            *x509.CertPool // nil: the system roots
	InsecureSkipVerify bool           // skip certificate verification (only when asked)
	Security           Security
	// GC connects to the global-catalog ports (3269 / 3268) when the DC has
	// no explicit port: the forest-wide partial replica.
	GC   bool
	Bind Bind
	// AllowCleartextPassword lets a Plain session send a simple-bind
	// password. Off by default: if the DC accepted it, the password would
	// have crossed the network in clear. Turn it on only to report a DC's
	// refusal (LDAP result 8) on a network you trust.
	AllowCleartextPassword bool
	// MaxResponseBytes bounds the bytes read for one LDAP operation (one
	// page of a search); 0: DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// Budget, when set, bounds the bytes read by every session that shares
	// it (one run: every DC, every operation); nil: no run budget.
	Budget *Budget
}

func (o *Options) port(dc DC) int {
	if dc.Port != 0 {
		return dc.Port
	}
	switch {
	case o.GC && o.Security == LDAPS:
		return PortGCLDAPS
	case o.GC:
		return PortGC
	case o.Security == LDAPS:
		return PortLDAPS
	}
	return PortLDAP
}

func (o *Options) validate() error {
	if o.Security < LDAPS || o.Security > Plain {
		return fmt.Errorf("options: unknown security %d", o.Security)
	}
	if err := o.Bind.validate(); err != nil {
		return err
	}
	if o.Security == Plain && o.Bind.User != "" && !o.AllowCleartextPassword {
		return &OpError{Op: "bind as", Object: o.Bind.User, Err: ErrCleartextPassword}
	}
	return nil
}
