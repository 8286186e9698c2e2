package secevents

import (
	"bytes"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/ptacheck/ptacheck/util/fastdate"
)

// Values of an event: entity and character references decoded, and the
// numbers and times the reader keeps.

// decoded returns the value with its character references resolved; ok
// is false for an unknown or malformed reference (and for a value that
// was cut).
func decoded(v *value, scratch []byte) ([]byte, bool) {
	if v.cut {
		return nil, false
	}
	if bytes.IndexByte(v.b, '&') < 0 {
		return v.b, true
	}
	out := scratch[:0]
	b := v.b
	for len(b) > 0 {
		i := bytes.IndexByte(b, '&')
		if i < 0 {
			out = append(out, b...)
			break
		}
		out = append(out, b[:i]...)
		b = b[i:]
		j := bytes.IndexByte(b, ';')
		if j < 0 {
			return nil, false
		}
		ref := b[1:j]
		b = b[j+1:]
		switch string(ref) {
		case "amp":
			out = append(out, '&')
		case "lt":
			out = append(out, '<')
		case "gt":
			out = append(out, '>')
		case "quot":
			out = append(out, '"')
		case "apos":
			out = append(out, '\'')
		default:
			if len(ref) < 2 || ref[0] != '#' {
				return nil, false
			}
			var r uint64
			var err error
			if ref[1] == 'x' {
				r, err = strconv.ParseUint(string(ref[2:]), 16, 32)
			} else {
				r, err = strconv.ParseUint(string(ref[1:]), 10, 32)
			}
			if err != nil || r == 0 || r > 0x10FFFF || r >= 0xD800 && r < 0xE000 {
				return nil, false
			}
			out = appendRune(out, rune(r))
		}
	}
	return out, true
}

func appendRune(b []byte, r rune) []byte { return utf8.AppendRune(b, r) }

type escaper struct{}

// AppendBytes appends b with & and < escaped.
func (escaper) AppendBytes(dst, b []byte) []byte {
	for _, c := range b {
		switch c {
		case '&':
			dst = append(dst, "&amp;"...)
		case '<':
			dst = append(dst, "&lt;"...)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// parseHex32 reads 0x-prefixed hexadecimal (a HexInt32 field such as
// Status), surrounding white space allowed.
func parseHex32(b []byte) (uint32, bool) {
	b = bytes.TrimSpace(b)
	if len(b) < 3 || b[0] != '0' || b[1] != 'x' && b[1] != 'X' {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[2:]), 16, 32)
	return uint32(v), err == nil
}

// parseEventID reads the EventID element's text.
func parseEventID(b []byte) (int, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || len(b) > 5 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n <= 65535
}

// parseSystemTime reads TimeCreated/@SystemTime: an ISO 8601 UTC time,
// 2015-09-08T22:54:54.962511700Z in the documented samples. The common
// shape (fraction of 1 to 9 digits, Z) is read by hand; others go to
// time.Parse (RFC 3339).
//
// hours keeps the last hour read (consecutive events mostly share it, and
// time.Date is most of the cost); nil: none kept.
func parseSystemTime(b []byte, hours *hourCache) (time.Time, bool) {
	b = bytes.TrimSpace(b)
	if len(b) >= 21 && len(b) <= 30 && b[4] == '-' && b[7] == '-' && b[10] == 'T' && b[13] == ':' && b[16] == ':' && b[19] == '.' && b[len(b)-1] == 'Z' {
		minute, ok5 := fastdate.Digits(b[14:16])
		sec, ok6 := fastdate.Digits(b[17:19])
		frac := b[20 : len(b)-1]
		ns, ok7 := fastdate.Digits(frac)
		hour, ok := hours.hour(b[:13])
		if ok && ok5 && ok6 && ok7 && minute < 60 && sec < 60 {
			for range 9 - len(frac) {
				ns *= 10
			}
			return hour.Add(time.Duration(minute)*time.Minute + time.Duration(sec)*time.Second + time.Duration(ns)), true
		}
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// hourCache is the start of the last hour parseSystemTime read.
type hourCache struct {
	key   [13]byte // YYYY-MM-DDTHH
	start time.Time
	set   bool
}

// hour reads YYYY-MM-DDTHH (b, 13 bytes) as the start of that hour (UTC).
func (c *hourCache) hour(b []byte) (time.Time, bool) {
	if c != nil && c.set && string(b) == string(c.key[:]) {
		return c.start, true
	}
	year, ok1 := fastdate.Digits(b[0:4])
	month, ok2 := fastdate.Digits(b[5:7])
	day, ok3 := fastdate.Digits(b[8:10])
	hour, ok4 := fastdate.Digits(b[11:13])
	if !ok1 || !ok2 || !ok3 || !ok4 || month < 1 || month > 12 || day < 1 || day > fastdate.DaysIn(month, year) || hour >= 24 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, 0, 0, 0, time.UTC)
	if c != nil {
		copy(c.key[:], b)
		c.start, c.set = t, true
	}
	return t, true
}
