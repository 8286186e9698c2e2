package codes

import (
	"errors"
	"strings"
	"testing"
)

// Codes come from users: Parse must never panic, reject with a one-line
// *Error, and whatever it accepts must render back to itself.
func FuzzParseCode(f *testing.F) {
	for _, s := range []string{
		"AADSTS80001", "aadsts80001", "80001", "AADSTS8002", "1328", "0x530", "-2146892994",
		"0x8009033E", "0xC000006D", "3221225581", "'1331'", "ERROR_ACCOUNT_DISABLED", "1000000",
		"", "0x", "AADSTS", "-", "0xFFFFFFFFF", "\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse(%q): %T %v", s, err, err)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("Parse(%q): multi-line error %q", s, err)
			}
			return
		}
		switch c.Kind {
		case AADSTS:
			if c.Number < 1 || c.Number > 9_999_999 {
				t.Fatalf("Parse(%q): AADSTS %d", s, c.Number)
			}
		case Win32:
			if c.Number < -1<<31 || c.Number > 1<<31-1 {
				t.Fatalf("Parse(%q): Win32 %d", s, c.Number)
			}
		case NTSTATUS:
			if c.Number>>30 != 3 && c.Number != 0 {
				t.Fatalf("Parse(%q): NTSTATUS %#x", s, c.Number)
			}
		default:
			t.Fatalf("Parse(%q): kind %q", s, c.Kind)
		}
		back, err := Parse(c.String())
		if err != nil || back.Kind != c.Kind || back.Number != c.Number {
			t.Fatalf("Parse(%q) = %v, whose String %q reads back as %+v, %v", s, c, c.String(), back, err)
		}
		if _, err := Explain(c); err != nil && (!errors.Is(err, ErrUnknown) || strings.ContainsAny(err.Error(), "\n\r")) {
			t.Fatalf("Explain(%v): %v", c, err)
		}
	})
}
