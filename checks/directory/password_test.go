package directory

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/go-ldap/ldap/v3"
)

// The diagnostic messages of failed simple binds, as DCs write them: the
// "data" sub-code is the Win32 error LogonUser reports, in hex. The DSID and
// version parts differ by build; AD ends the message with a NUL byte. The
// Samba lines are what Samba 4.17 answered in TestSambaPasswordCheck.
func TestBindSubCode(t *testing.T) {
	for _, c := range []struct {
		msg   string
		code  int // result code
		want  uint32
		known bool
	}{
		// Windows Server 2008 R2, 2012 R2, 2016, 2019 and later (8009030C:
		// SEC_E_LOGON_DENIED), 2003.
		{"80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 52e, v1db1\x00", 49, 0x52e, true},
		{"80090308: LdapErr: DSID-0C0903C5, comment: AcceptSecurityContext error, data 775, v2580\x00", 49, 0x775, true},
		{"80090308: LdapErr: DSID-0C09042F, comment: AcceptSecurityContext error, data 773, v3839\x00", 49, 0x773, true},
		{"8009030C: LdapErr: DSID-0C0906B5, comment: AcceptSecurityContext error, data 533, v4563\x00", 49, 0x533, true},
		{"80090308: LdapErr: DSID-0C090334, comment: AcceptSecurityContext error, data 525, vece\x00", 49, 0x525, true},
		{"80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 701, v4f7c\x00", 49, 0x701, true},
		{"80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 532, v4f7c", 49, 0x532, true},
		{"80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 530, v4f7c", 49, 0x530, true},
		{"80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 531, v4f7c", 49, 0x531, true},
		// Samba 4.17 (ldapsrv_bind_error_msg: "data %x" of the squashed
		// NTSTATUS as a WERROR).
		{"80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 52e, v1db1", 49, 0x52e, true},
		// A sub-code outside the documented set: still the Win32 value.
		{"80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 568, v4f7c", 49, 0x568, false},
		// No sub-code: another server, or another result.
		{"Invalid credentials", 49, 0, false},
		{"80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data , v4f7c", 49, 0, false},
		{"BindSimple: Transport encryption required.", 8, 0, false},
		{"80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52e, v4f7c", 53, 0, false},
	} {
		le := ldap.NewError(uint16(c.code), errors.New(c.msg)).(*ldap.Error)
		err := &OpError{Op: "bind as", Object: "alice@contoso.com", Err: &ldapCause{err: le}}
		got, ok := BindSubCode(err)
		if !ok {
			if c.want != 0 {
				t.Errorf("%q: no sub-code, want %x", c.msg, c.want)
			}
			continue
		}
		if got != c.want {
			t.Errorf("%q: sub-code %x, want %x", c.msg, got, c.want)
		}
		r, known := LogonReason(got)
		if known != c.known || uint32(r) != c.want {
			t.Errorf("%q: reason %v known=%v", c.msg, r, known)
		}
	}
}

// The documented sub-codes and the reasons the agent logs.
func TestLogonReasonTable(t *testing.T) {
	for code, want := range map[uint32]Reason{
		0x525: 1317, 0x52e: 1326, 0x530: 1328, 0x531: 1329, 0x532: 1330,
		0x533: 1331, 0x701: 1793, 0x773: 1907, 0x775: 1909,
	} {
		r, known := LogonReason(code)
		if !known || r != want || r.Symbol() == "" || r.Symbol()[:6] != "ERROR_" {
			t.Errorf("LogonReason(%x) = %v (%s), %v; want %d", code, r, r.Symbol(), known, want)
		}
	}
}

// CheckPassword refuses before it connects: over plain LDAP, to a DC whose
// certificate is not verified, without a name or a password.
func TestCheckPasswordRefuses(t *testing.T) {
	dcs := []DC{{Name: "dc1.corp.contoso.test", Addrs: []string{"127.0.0.1"}, Port: 1}}
	for name, c := range map[string]struct {
		opts       Options
		user, pass string
		want       error
	}{
		"plain":    {Options{Security: Plain, AllowCleartextPassword: true}, "alice@contoso.com", "pw", ErrCleartextPassword},
		"insecure": {Options{InsecureSkipVerify: true}, "alice@contoso.com", "pw", ErrUnverifiedPassword},
	} {
		a := CheckPassword(context.Background(), dcs, c.opts, c.user, c.pass)
		if !errors.Is(a.Err, c.want) || a.Sent || len(a.Attempts) != 0 {
			t.Errorf("%s: %+v, want %v and nothing sent", name, a, c.want)
		}
	}
	for _, c := range [][2]string{{"alice@contoso.com", ""}, {"", "pw"}} {
		if a := CheckPassword(context.Background(), dcs, Options{}, c[0], c[1]); a.Err == nil || a.Sent || len(a.Attempts) != 0 {
			t.Errorf("user %q password %q: %+v", c[0], c[1], a)
		}
	}
}

func TestLogonNetworkElsewhere(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("LogonUser runs on Windows")
	}
	ok, _, err := LogonNetwork(context.Background(), "alice@contoso.com", "pw")
	if ok || err == nil {
		t.Fatalf("LogonNetwork: %v, %v", ok, err)
	}
	if _, _, err := LogonNetwork(context.Background(), "alice@contoso.com", "a\x00b"); !errors.Is(err, ErrBadName) {
		t.Fatalf("NUL in a password: %v", err)
	}
}
