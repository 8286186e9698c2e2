package directory

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

func TestFileTime(t *testing.T) {
	for _, c := range []struct {
		in   string
		set  bool
		want string
	}{
		{"0", false, "not set"},
		{"9223372036854775807", false, "never"},
		{"116444736000000000", true, "1970-01-01T00:00:00Z"},
		{"134401021138439400", true, "2026-11-25T17:41:53Z"},
		{" 1 ", true, "1601-01-01T00:00:00Z"},
	} {
		f, err := ParseFileTime(c.in)
		if err != nil || f.IsSet() != c.set || f.String() != c.want {
			t.Errorf("ParseFileTime(%q) = %v (set %v), %v; want %s", c.in, f, f.IsSet(), err, c.want)
		}
	}
	for _, bad := range []string{"", "-1", "x", "9223372036854775808", "1.5"} {
		if _, err := ParseFileTime(bad); err == nil {
			t.Errorf("ParseFileTime(%q) accepted", bad)
		}
	}
	at := time.Date(2026, 11, 25, 17, 33, 22, 123456700, time.UTC)
	if got := FileTimeOf(at).Time(); !got.Equal(at) {
		t.Errorf("round trip %v -> %v", at, got)
	}
	if FileTimeOf(time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC)) != 0 {
		t.Error("time before 1601 not 0")
	}
}

func TestInterval(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Interval
	}{
		{"-36288000000000", Interval{Duration: 42 * 24 * time.Hour}},
		{"-18000000000", Interval{Duration: 30 * time.Minute}},
		{"18000000000", Interval{Duration: 30 * time.Minute}},
		{"0", Interval{Unlimited: true}},
		{"-9223372036854775808", Interval{Unlimited: true}},
		{"-9223372036854775807", Interval{Unlimited: true}}, // beyond time.Duration
	} {
		got, err := ParseInterval(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseInterval(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	if _, err := ParseInterval("forever"); err == nil {
		t.Error("ParseInterval(forever) accepted")
	}
	if s := (Interval{Unlimited: true}).String(); s != "unlimited" {
		t.Error(s)
	}
}

func TestGeneralizedTime(t *testing.T) {
	ok := map[string]string{
		"20261125173322.0Z":                   "2026-11-25T17:33:22Z",
		"20261125173322Z":                     "2026-11-25T17:33:22Z",
		"20261125173322.5Z":                   "2026-11-25T17:33:22.5Z",
		"202611251733Z":                       "2026-11-25T17:33:00Z",
		"2026112517Z":                         "2026-11-25T17:00:00Z",
		"2026112517.5Z":                       "2026-11-25T17:30:00Z",
		"20261125173322+0100":                 "2026-11-25T16:33:22Z",
		"20261125173322-05":                   "2026-11-25T22:33:22Z",
		"20240229000000,25Z":                  "2024-02-29T00:00:00.25Z",
		"20261231235960Z":                     "2027-01-01T00:00:00Z", // leap second, normalised
		"20261125173322.1234567890123456789Z": "2026-11-25T17:33:22.123456789Z",
	}
	for in, want := range ok {
		got, err := ParseGeneralizedTime(in)
		if err != nil || got.Format(time.RFC3339Nano) != want {
			t.Errorf("ParseGeneralizedTime(%q) = %v, %v; want %s", in, got.Format(time.RFC3339Nano), err, want)
		}
	}
	for _, bad := range []string{"", "2026", "20261125173322", "20261325173322Z", "20250229000000Z", "20261125173322.Z",
		"20261125173322X", "20261125173322+2400", "20261125173322+01:00", "20261125173322Zjunk", "2026112517332Z"} {
		if _, err := ParseGeneralizedTime(bad); err == nil {
			t.Errorf("ParseGeneralizedTime(%q) accepted", bad)
		}
	}
}

func TestLogonHours(t *testing.T) {
	if h, err := ParseLogonHours(nil); h != nil || err != nil {
		t.Fatal("empty logonHours is not 'no restriction'")
	}
	if _, err := ParseLogonHours(make([]byte, 20)); !errors.Is(err, ErrLogonHoursLength) {
		t.Fatalf("20 bytes: %v", err)
	}
	// Byte 0 bit 0 is Sunday 00:00 UTC; byte 0 bit 7 Sunday 07:00; byte 3
	// bit 0 Monday 00:00 (hour 24).
	raw := make([]byte, 21)
	raw[0] = 0x81
	raw[3] = 0x01
	h, err := ParseLogonHours(raw)
	if err != nil {
		t.Fatal(err)
	}
	sunday := time.Date(2026, 11, 22, 0, 30, 0, 0, time.UTC)
	for _, c := range []struct {
		at   time.Time
		want bool
	}{
		{sunday, true},
		{sunday.Add(time.Hour), false},
		{sunday.Add(7 * time.Hour), true},
		{sunday.Add(24 * time.Hour), true},
		{sunday.Add(25 * time.Hour), false},
		// Time zones do not matter: the attribute is UTC.
		{sunday.Add(7 * time.Hour).In(time.FixedZone("UTC+9", 9*3600)), true},
	} {
		if got := h.Allowed(c.at); got != c.want {
			t.Errorf("Allowed(%s) = %v", c.at.Format(time.RFC3339), got)
		}
	}
	if h.AllowedCount() != 3 || h.String() != "Sun 00:00-01:00, Sun 07:00-08:00, Mon 00:00-01:00 UTC" {
		t.Errorf("count %d, %q", h.AllowedCount(), h.String())
	}
	var all = AllHours
	var none LogonHours
	if all.String() != "all hours" || none.String() != "no hours" || (*LogonHours)(nil).String() != "all hours" {
		t.Error("String of all/no hours")
	}
	var w LogonHours
	for d := 1; d <= 5; d++ {
		for hr := 8; hr < 17; hr++ {
			w.Set(d*24+hr, true)
		}
	}
	w.Set(-1, true) // wraps to Saturday 23:00
	if !w.AllowedHour(167) || w.String() != "Mon 08:00-17:00, Tue 08:00-17:00, Wed 08:00-17:00, Thu 08:00-17:00, Fri 08:00-17:00, Sat 23:00-24:00 UTC" {
		t.Errorf("%q", w.String())
	}
}

func TestWorkstations(t *testing.T) {
	ws := ParseWorkstations(" PTA1, ,pta2.corp.contoso.test,")
	if fmt.Sprint(ws) != "[PTA1 pta2.corp.contoso.test]" {
		t.Fatalf("%q", ws)
	}
	for m, want := range map[string]bool{"pta1": true, "PTA1.corp.contoso.test": true, "pta2": true, "PTA2.other.test": true, "pta3": false, "": false} {
		if got := WorkstationAllowed(ws, m); got != want {
			t.Errorf("WorkstationAllowed(%q) = %v", m, got)
		}
	}
	if !WorkstationAllowed(nil, "anything") {
		t.Error("empty list restricts")
	}
}

func TestUAC(t *testing.T) {
	for in, want := range map[string]string{
		"512":         "NORMAL_ACCOUNT",
		"514":         "ACCOUNTDISABLE|NORMAL_ACCOUNT",
		"66048":       "NORMAL_ACCOUNT|DONT_EXPIRE_PASSWORD",
		"8388608":     "PASSWORD_EXPIRED",
		"0":           "0",
		"-2147483648": "0x80000000",
		"4294967295":  "SCRIPT|ACCOUNTDISABLE|HOMEDIR_REQUIRED|LOCKOUT|PASSWD_NOTREQD|PASSWD_CANT_CHANGE|ENCRYPTED_TEXT_PWD_ALLOWED|TEMP_DUPLICATE_ACCOUNT|NORMAL_ACCOUNT|INTERDOMAIN_TRUST_ACCOUNT|WORKSTATION_TRUST_ACCOUNT|SERVER_TRUST_ACCOUNT|DONT_EXPIRE_PASSWORD|MNS_LOGON_ACCOUNT|SMARTCARD_REQUIRED|TRUSTED_FOR_DELEGATION|NOT_DELEGATED|USE_DES_KEY_ONLY|DONT_REQ_PREAUTH|PASSWORD_EXPIRED|TRUSTED_TO_AUTH_FOR_DELEGATION|PARTIAL_SECRETS_ACCOUNT|USE_AES_KEYS|0xf200c404",
	} {
		u, err := ParseUAC(in)
		if err != nil || u.String() != want {
			t.Errorf("ParseUAC(%s) = %v, %v; want %s", in, u, err, want)
		}
	}
	for _, bad := range []string{"", "4294967296", "-2147483649", "0x200"} {
		if _, err := ParseUAC(bad); err == nil {
			t.Errorf("ParseUAC(%q) accepted", bad)
		}
	}
	if !UAC(514).Has(UACAccountDisable) || UAC(512).Has(UACAccountDisable) {
		t.Error("Has")
	}
}

func TestParseDC(t *testing.T) {
	for in, want := range map[string]string{
		"dc1.corp.contoso.test":     "dc1.corp.contoso.test",
		"DC1.Corp.Contoso.Test.":    "dc1.corp.contoso.test",
		"dc1.corp.contoso.test:636": "dc1.corp.contoso.test:636",
		"127.0.0.1":                 "127.0.0.1",
		"[::1]:3269":                "[::1]:3269",
		"::1":                       "::1",
	} {
		dc, err := ParseDC(in)
		if err != nil || dc.String() != want {
			t.Errorf("ParseDC(%q) = %v, %v; want %s", in, dc, err, want)
		}
	}
	for _, bad := range []string{"", "dc1:0", "dc1:70000", "dc1:x", ":636", "a..b", "ldap://dc1", "dc 1"} {
		if dc, err := ParseDC(bad); err == nil {
			t.Errorf("ParseDC(%q) = %v, want an error", bad, dc)
		}
	}
}

type fakeResolver struct {
	srv   map[string][]*net.SRV
	hosts map[string][]string
}

func (f fakeResolver) LookupSRV(_ context.Context, name string) ([]*net.SRV, error) {
	if r, ok := f.srv[name]; ok {
		return r, nil
	}
	return nil, errors.New("nxdomain")
}

func (f fakeResolver) LookupHost(_ context.Context, host string) ([]string, error) {
	if r, ok := f.hosts[host]; ok {
		return r, nil
	}
	return nil, errors.New("nxdomain")
}

func TestLocate(t *testing.T) {
	r := fakeResolver{
		srv: map[string][]*net.SRV{
			"_ldap._tcp.dc._msdcs.corp.test": {
				{Target: "dc3.corp.test.", Port: 389, Priority: 0, Weight: 50},
				{Target: "dc2.corp.test.", Port: 389, Priority: 10, Weight: 100},
				{Target: "DC1.corp.test.", Port: 389, Priority: 0, Weight: 100},
				{Target: "dc4.corp.test.", Port: 389, Priority: 0, Weight: 50},
				{Target: "dc1.corp.test.", Port: 389, Priority: 0, Weight: 100}, // duplicate
			},
			"_ldap._tcp.dc._msdcs.empty.test": {{Target: ".", Port: 0}},
			"_gc._tcp.corp.test":              {{Target: "dc1.corp.test.", Port: 3268}},
		},
		hosts: map[string][]string{"dc1.corp.test": {"127.0.0.1"}, "dc2.corp.test": {"127.0.0.2"}, "dc3.corp.test": {"127.0.0.3"}},
	}
	dcs, err := Locate(context.Background(), r, "corp.test.")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range dcs {
		got = append(got, fmt.Sprintf("%s/%v/%v", d.Name, d.Addrs, d.ResolveErr != nil))
	}
	want := "[dc1.corp.test/[127.0.0.1]/false dc3.corp.test/[127.0.0.3]/false dc4.corp.test/[]/true dc2.corp.test/[127.0.0.2]/false]"
	if fmt.Sprint(got) != want {
		t.Fatalf("Locate = %v\nwant %s", got, want)
	}
	// A DC that does not resolve fails Dial with the lookup error.
	if _, err := Dial(context.Background(), dcs[2], anon); err == nil || !strings.HasPrefix(err.Error(), "lookup host dc4.corp.test: nxdomain") {
		t.Fatalf("Dial of an unresolved DC: %v", err)
	}
	if _, err := Locate(context.Background(), r, "empty.test"); !errors.Is(err, ErrNoDomainControllers) {
		t.Fatalf("Locate with a '.' target: %v", err)
	}
	if _, err := Locate(context.Background(), r, "nosuch.test"); err == nil || err.Error() != "lookup srv _ldap._tcp.dc._msdcs.nosuch.test: nxdomain" {
		t.Fatalf("Locate of a missing domain: %v", err)
	}
	gcs, err := LocateGC(context.Background(), r, "corp.test")
	if err != nil || len(gcs) != 1 || gcs[0].SRVPort != 3268 {
		t.Fatalf("LocateGC: %+v, %v", gcs, err)
	}
	if _, err := Locate(context.Background(), r, ""); err == nil {
		t.Fatal("Locate of an empty domain")
	}
}

func TestDomainOfDN(t *testing.T) {
	for in, want := range map[string]string{
		"CN=x,CN=Users,DC=corp,DC=contoso,DC=test": "corp.contoso.test",
		"CN=a\\,b,OU=x,dc=EMEA,dc=corp":            "emea.corp",
		"CN=x":                                     "",
		"not a dn":                                 "",
	} {
		if got := DomainOfDN(in); got != want {
			t.Errorf("DomainOfDN(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBindReason(t *testing.T) {
	mk := func(msg string) error {
		return &OpError{Op: "bind as", Object: "u", Err: &ldapCause{err: ldap.NewError(49, errors.New(msg)).(*ldap.Error)}}
	}
	for msg, want := range map[string]Reason{
		"80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 775, v1db1": ReasonAccountLockedOut,
		"80090308: LdapErr: DSID-0C09030B, comment: AcceptSecurityContext error, data 530, v893":  0x530,
		"no data here": 0,
		", data zz":    0,
	} {
		got, ok := BindReason(mk(msg))
		if got != want || ok != (want != 0) {
			t.Errorf("BindReason(%q) = %v, %v", msg, got, ok)
		}
	}
	if _, ok := BindReason(errors.New(", data 775")); ok {
		t.Error("BindReason of a non-LDAP error")
	}
	if ReasonAccountLockedOut != 0x775 || ReasonPasswordMustChange != 0x773 {
		t.Error("reason codes are the hex data codes AD puts in bind errors")
	}
}

func TestErrorClassifiers(t *testing.T) {
	timeout := &OpError{Op: "search", Object: "", Err: context.DeadlineExceeded}
	cancel := &OpError{Op: "search", Object: "", Err: context.Canceled}
	closed := &OpError{Op: "search", Err: fmt.Errorf("%w: eof", ErrConnClosed)}
	if !IsTimeout(timeout) || IsCanceled(timeout) || IsTimeout(cancel) || !IsCanceled(cancel) || !IsConnClosed(closed) || IsTimeout(closed) {
		t.Error("classifiers disagree")
	}
	if IsTimeout(nil) || Advice(errors.New("x")) != "" {
		t.Error("nil / unknown")
	}
	if math.MaxInt64 != int64(FileTimeNever) {
		t.Error("FileTimeNever")
	}
}
