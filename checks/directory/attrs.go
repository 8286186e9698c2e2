package directory

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// FileTime is an AD timestamp attribute (pwdLastSet, lockoutTime,
// accountExpires, msDS-UserPasswordExpiryTimeComputed): a count of 100-ns
// intervals since 1601-01-01 00:00 UTC, as a Windows FILETIME.
type FileTime int64

// FileTimeNever is 0x7FFFFFFFFFFFFFFF, which accountExpires and
// msDS-UserPasswordExpiryTimeComputed use for "never".
const FileTimeNever FileTime = math.MaxInt64

// fileTimeUnixOffset is the number of 100-ns intervals from 1601-01-01 to
// 1970-01-01.
const fileTimeUnixOffset = 116444736000000000

// ParseFileTime parses the decimal form LDAP returns. Negative values are
// not timestamps and are rejected.
func ParseFileTime(s string) (FileTime, error) {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("filetime %q: not a 64-bit integer", clip(s))
	}
	if v < 0 {
		return 0, fmt.Errorf("filetime %q: negative", clip(s))
	}
	return FileTime(v), nil
}

// IsSet reports whether f is a real point in time: neither 0 nor
// FileTimeNever, which AD uses for "not set" and "never".
func (f FileTime) IsSet() bool { return f > 0 && f != FileTimeNever }

// Time returns f in UTC; the zero time.Time when f is not set.
func (f FileTime) Time() time.Time {
	if !f.IsSet() {
		return time.Time{}
	}
	v := int64(f)
	sec := v/1e7 - fileTimeUnixOffset/1e7
	return time.Unix(sec, (v%1e7)*100).UTC()
}

// FileTimeOf converts t to a FileTime (for tests and fixtures). Times before
// 1601 give 0.
func FileTimeOf(t time.Time) FileTime {
	sec := t.Unix() + fileTimeUnixOffset/1e7
	if sec < 0 {
		return 0
	}
	const maxSec = math.MaxInt64 / 10_000_000
	frac := int64(t.Nanosecond()) / 100
	if sec > maxSec || sec*10_000_000 > math.MaxInt64-frac {
		return FileTimeNever
	}
	return FileTime(sec*10_000_000 + frac)
}

// String formats f as RFC 3339, "not set" or "never".
func (f FileTime) String() string {
	switch {
	case f == 0:
		return "not set"
	case f == FileTimeNever:
		return "never"
	case f < 0:
		return fmt.Sprintf("invalid (%d)", int64(f))
	}
	return f.Time().Format(time.RFC3339)
}

// Interval is an AD time-span attribute of the domain object (maxPwdAge,
// lockoutDuration, lockOutObservationWindow). AD stores these as negative
// counts of 100-ns intervals; 0 and -2^63 mean "no limit" (passwords never
// expire; an account stays locked until an administrator unlocks it).
type Interval struct {
	Duration  time.Duration // absolute length; 0 when Unlimited
	Unlimited bool
}

// ParseInterval parses the decimal form LDAP returns. Positive values (not
// what AD writes, but some tools do) are taken by absolute value. Spans
// longer than time.Duration can hold (about 292 years) count as unlimited.
func ParseInterval(s string) (Interval, error) {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return Interval{}, fmt.Errorf("interval %q: not a 64-bit integer", clip(s))
	}
	if v == 0 || v == math.MinInt64 {
		return Interval{Unlimited: true}, nil
	}
	if v < 0 {
		v = -v
	}
	if v > math.MaxInt64/100 {
		return Interval{Unlimited: true}, nil
	}
	return Interval{Duration: time.Duration(v * 100)}, nil
}

// String formats i as a duration or "unlimited".
func (i Interval) String() string {
	if i.Unlimited {
		return "unlimited"
	}
	return i.Duration.String()
}

// ParseGeneralizedTime parses an LDAP GeneralizedTime (RFC 4517 3.3.13) such
// as AD's rootDSE currentTime "20261125173322.0Z": YYYYMMDDHH[MM[SS]], an
// optional fraction after '.' or ',', then 'Z' or a +hh[mm] / -hh[mm]
// offset. The result is in UTC.
func ParseGeneralizedTime(s string) (time.Time, error) {
	bad := func(why string) (time.Time, error) {
		return time.Time{}, fmt.Errorf("generalized time %q: %s", clip(s), why)
	}
	digits := 0
	for digits < len(s) && s[digits] >= '0' && s[digits] <= '9' {
		digits++
	}
	if digits != 10 && digits != 12 && digits != 14 {
		return bad("want YYYYMMDDHH[MM[SS]]")
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range s[i : i+n] {
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day, hour := num(0, 4), num(4, 2), num(6, 2), num(8, 2)
	minute, sec := 0, 0
	if digits >= 12 {
		minute = num(10, 2)
	}
	if digits == 14 {
		sec = num(12, 2)
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(time.Month(month), year) || hour > 23 || minute > 59 || sec > 60 {
		return bad("field out of range")
	}
	frac, rest, why := generalizedFraction(s[digits:], digits)
	if why != "" {
		return bad(why)
	}
	offset, why := generalizedZone(rest)
	if why != "" {
		return bad(why)
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC).Add(frac).Add(-offset)
	return t, nil
}

// generalizedFraction reads an optional fraction of the last unit given
// (RFC 4517: hours, minutes or seconds, by digits) and returns the rest.
func generalizedFraction(rest string, digits int) (time.Duration, string, string) {
	if rest == "" || (rest[0] != '.' && rest[0] != ',') {
		return 0, rest, ""
	}
	n := 1
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	if n == 1 {
		return 0, rest, "empty fraction"
	}
	f, err := strconv.ParseFloat("0."+rest[1:min(n, 19)], 64)
	if err != nil {
		return 0, rest, "fraction"
	}
	unit := time.Second
	switch digits {
	case 10:
		unit = time.Hour
	case 12:
		unit = time.Minute
	}
	return time.Duration(f * float64(unit)), rest[n:], ""
}

// generalizedZone reads the time zone: Z or an offset (+HH or +HHMM).
func generalizedZone(rest string) (time.Duration, string) {
	switch {
	case rest == "Z":
		return 0, ""
	case len(rest) == 3 || len(rest) == 5:
		if rest[0] != '+' && rest[0] != '-' {
			return 0, "want Z or an offset"
		}
		for _, c := range rest[1:] {
			if c < '0' || c > '9' {
				return 0, "offset"
			}
		}
		oh, om := int(rest[1]-'0')*10+int(rest[2]-'0'), 0
		if len(rest) == 5 {
			om = int(rest[3]-'0')*10 + int(rest[4]-'0')
		}
		if oh > 23 || om > 59 {
			return 0, "offset out of range"
		}
		offset := time.Duration(oh)*time.Hour + time.Duration(om)*time.Minute
		if rest[0] == '-' {
			offset = -offset
		}
		return offset, ""
	case rest == "":
		return 0, "no time zone (local time is ambiguous)"
	}
	return 0, "trailing data"
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// LogonHours is the 21-byte logonHours attribute: one bit per hour of the
// week in UTC, starting Sunday 00:00; a set bit allows logon.
//
// Bit order (determined empirically against Samba 4.17, see
// TestSambaLogonHoursBitOrder): hour-of-week h = weekday*24 + hour is bit
// (h % 8) of byte h / 8, counting from the least significant bit. So byte 0
// bit 0 (0x01) is Sunday 00:00-00:59 UTC and byte 0 bit 7 (0x80) is Sunday
// 07:00-07:59 UTC. This matches Samba's logon_hours_ok (source4/auth/sam.c)
// and MS-SAMR 2.2.6.5 (SAMPR_LOGON_HOURS, "units per week" 168).
type LogonHours [21]byte

// AllHours allows every hour (the same as an absent attribute).
var AllHours = LogonHours{
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
}

// ErrLogonHoursLength is returned for a logonHours value that is not 21 bytes.
var ErrLogonHoursLength = errors.New("logonHours: want 21 bytes")

// ParseLogonHours parses the raw attribute. An empty value means "no
// restriction" and gives nil.
func ParseLogonHours(b []byte) (*LogonHours, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if len(b) != len(LogonHours{}) {
		return nil, fmt.Errorf("%w, got %d", ErrLogonHoursLength, len(b))
	}
	var h LogonHours
	copy(h[:], b)
	return &h, nil
}

// hourOfWeek returns the bit index of t's UTC hour.
func hourOfWeek(t time.Time) int {
	t = t.UTC()
	return int(t.Weekday())*24 + t.Hour()
}

// Allowed reports whether logon is allowed at t (any time zone; the
// attribute is in UTC). A nil *LogonHours allows every hour.
func (h *LogonHours) Allowed(t time.Time) bool {
	if h == nil {
		return true
	}
	return h.AllowedHour(hourOfWeek(t))
}

// AllowedHour reports whether hour-of-week i (0 = Sunday 00:00 UTC, 167 =
// Saturday 23:00 UTC) allows logon. Out-of-range hours wrap.
func (h *LogonHours) AllowedHour(i int) bool {
	if h == nil {
		return true
	}
	i = ((i % 168) + 168) % 168
	return h[i/8]&(1<<(i%8)) != 0
}

// Set allows (or denies) logon in hour-of-week i.
func (h *LogonHours) Set(i int, allowed bool) {
	i = ((i % 168) + 168) % 168
	if allowed {
		h[i/8] |= 1 << (i % 8)
	} else {
		h[i/8] &^= 1 << (i % 8)
	}
}

// AllowedCount is the number of hours per week that allow logon.
func (h *LogonHours) AllowedCount() int {
	if h == nil {
		return 168
	}
	n := 0
	for i := range 168 {
		if h.AllowedHour(i) {
			n++
		}
	}
	return n
}

// String summarises the allowed hours as UTC ranges, e.g.
// "Mon 08:00-17:00, Tue 08:00-17:00 UTC", "all hours" or "no hours".
func (h *LogonHours) String() string {
	switch h.AllowedCount() {
	case 168:
		return "all hours"
	case 0:
		return "no hours"
	}
	var parts []string
	for i := 0; i < 168; {
		if !h.AllowedHour(i) {
			i++
			continue
		}
		j := i
		for j < 168 && h.AllowedHour(j) && (j == i || j%24 != 0) {
			j++
		}
		parts = append(parts, fmt.Sprintf("%s %02d:00-%02d:00", time.Weekday(i / 24).String()[:3], i%24, (j-1)%24+1))
		i = j
	}
	return strings.Join(parts, ", ") + " UTC"
}

// ParseWorkstations splits userWorkstations, a comma-separated list of
// NetBIOS (or DNS) computer names. Empty entries are dropped; an empty list
// means no restriction.
func ParseWorkstations(s string) []string {
	var out []string
	for _, w := range strings.Split(s, ",") {
		if w = strings.TrimSpace(w); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// WorkstationAllowed reports whether machine may log on under the
// userWorkstations list ws (empty: any machine). machine may be a NetBIOS
// name or a DNS name; a DNS name also matches an entry equal to its first
// label, since AD lists NetBIOS names. Comparison ignores case.
func WorkstationAllowed(ws []string, machine string) bool {
	if len(ws) == 0 {
		return true
	}
	machine = strings.TrimSuffix(strings.TrimSpace(machine), ".")
	short, _, _ := strings.Cut(machine, ".")
	for _, w := range ws {
		w = strings.TrimSuffix(w, ".")
		if strings.EqualFold(w, machine) || strings.EqualFold(w, short) {
			return true
		}
		if first, _, ok := strings.Cut(w, "."); ok && strings.EqualFold(first, short) {
			return true
		}
	}
	return false
}

// UAC holds userAccountControl or msDS-User-Account-Control-Computed flags.
type UAC uint32

// userAccountControl flags (KB 305144; shared/reference/error-codes.md 4).
const (
	UACScript                  UAC = 0x1
	UACAccountDisable          UAC = 0x2
	UACHomedirRequired         UAC = 0x8
	UACLockout                 UAC = 0x10
	UACPasswdNotReqd           UAC = 0x20
	UACPasswdCantChange        UAC = 0x40
	UACEncryptedTextPwdAllowed UAC = 0x80
	UACTempDuplicateAccount    UAC = 0x100
	UACNormalAccount           UAC = 0x200
	UACInterdomainTrustAccount UAC = 0x800
	UACWorkstationTrustAccount UAC = 0x1000
	UACServerTrustAccount      UAC = 0x2000
	UACDontExpirePassword      UAC = 0x10000
	UACMNSLogonAccount         UAC = 0x20000
	UACSmartcardRequired       UAC = 0x40000
	UACTrustedForDelegation    UAC = 0x80000
	UACNotDelegated            UAC = 0x100000
	UACUseDESKeyOnly           UAC = 0x200000
	UACDontReqPreauth          UAC = 0x400000
	UACPasswordExpired         UAC = 0x800000
	UACTrustedToAuthForDeleg   UAC = 0x1000000
	UACPartialSecretsAccount   UAC = 0x4000000
	UACUseAESKeys              UAC = 0x8000000
)

var uacNames = []struct {
	f    UAC
	name string
}{
	{UACScript, "SCRIPT"}, {UACAccountDisable, "ACCOUNTDISABLE"}, {UACHomedirRequired, "HOMEDIR_REQUIRED"},
	{UACLockout, "LOCKOUT"}, {UACPasswdNotReqd, "PASSWD_NOTREQD"}, {UACPasswdCantChange, "PASSWD_CANT_CHANGE"},
	{UACEncryptedTextPwdAllowed, "ENCRYPTED_TEXT_PWD_ALLOWED"}, {UACTempDuplicateAccount, "TEMP_DUPLICATE_ACCOUNT"},
	{UACNormalAccount, "NORMAL_ACCOUNT"}, {UACInterdomainTrustAccount, "INTERDOMAIN_TRUST_ACCOUNT"},
	{UACWorkstationTrustAccount, "WORKSTATION_TRUST_ACCOUNT"}, {UACServerTrustAccount, "SERVER_TRUST_ACCOUNT"},
	{UACDontExpirePassword, "DONT_EXPIRE_PASSWORD"}, {UACMNSLogonAccount, "MNS_LOGON_ACCOUNT"},
	{UACSmartcardRequired, "SMARTCARD_REQUIRED"}, {UACTrustedForDelegation, "TRUSTED_FOR_DELEGATION"},
	{UACNotDelegated, "NOT_DELEGATED"}, {UACUseDESKeyOnly, "USE_DES_KEY_ONLY"},
	{UACDontReqPreauth, "DONT_REQ_PREAUTH"}, {UACPasswordExpired, "PASSWORD_EXPIRED"},
	{UACTrustedToAuthForDeleg, "TRUSTED_TO_AUTH_FOR_DELEGATION"}, {UACPartialSecretsAccount, "PARTIAL_SECRETS_ACCOUNT"},
	{UACUseAESKeys, "USE_AES_KEYS"},
}

// ParseUAC parses the decimal attribute value. AD returns the 32-bit value
// signed, so negative values down to -2^31 are accepted and reinterpreted.
func ParseUAC(s string) (UAC, error) {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || v < math.MinInt32 || v > math.MaxUint32 {
		return 0, fmt.Errorf("userAccountControl %q: not a 32-bit integer", clip(s))
	}
	return UAC(uint32(v)), nil
}

// Has reports whether every bit of flag is set.
func (u UAC) Has(flag UAC) bool { return u&flag == flag }

// String lists the flag names, e.g. "ACCOUNTDISABLE|NORMAL_ACCOUNT", with
// unknown bits in hex.
func (u UAC) String() string {
	if u == 0 {
		return "0"
	}
	var parts []string
	rest := u
	for _, n := range uacNames {
		if u&n.f != 0 {
			parts = append(parts, n.name)
			rest &^= n.f
		}
	}
	if rest != 0 {
		parts = append(parts, fmt.Sprintf("0x%x", uint32(rest)))
	}
	return strings.Join(parts, "|")
}

// clip shortens attacker-controlled text quoted in errors.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
