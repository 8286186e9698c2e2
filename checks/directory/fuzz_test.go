package directory

import (
	"testing"
	"time"
)

func FuzzParseFileTime(f *testing.F) {
	for _, s := range []string{"0", "9223372036854775807", "134401021138439400", "-1", "", "x", "1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ft, err := ParseFileTime(s)
		if err != nil {
			return
		}
		_ = ft.String()
		if ft.IsSet() {
			if back := FileTimeOf(ft.Time()); back != ft {
				t.Fatalf("round trip %d -> %d", ft, back)
			}
		}
	})
}

func FuzzParseInterval(f *testing.F) {
	for _, s := range []string{"-36288000000000", "0", "-9223372036854775808", "5", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		i, err := ParseInterval(s)
		if err == nil && (i.Duration < 0 || (i.Unlimited && i.Duration != 0)) {
			t.Fatalf("ParseInterval(%q) = %+v", s, i)
		}
	})
}

func FuzzParseGeneralizedTime(f *testing.F) {
	for _, s := range []string{"20261125173322.0Z", "202611251733Z", "2026112517+0100", "20261125173322.999999999999Z", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := ParseGeneralizedTime(s)
		if err == nil && tm.Location() != time.UTC {
			t.Fatalf("not UTC: %v", tm)
		}
	})
}

func FuzzLogonHours(f *testing.F) {
	f.Add(make([]byte, 21), int64(0))
	f.Add([]byte{0xff, 0x01}, int64(1764092002))
	f.Fuzz(func(t *testing.T, b []byte, unix int64) {
		h, err := ParseLogonHours(b)
		if err != nil {
			return
		}
		at := time.Unix(unix%(1<<40), 0)
		allowed := h.Allowed(at)
		if h == nil && !allowed {
			t.Fatal("nil hours deny")
		}
		if n := h.AllowedCount(); n < 0 || n > 168 || (n == 168 && !allowed) || (n == 0 && allowed) {
			t.Fatalf("count %d, allowed %v", n, allowed)
		}
		_ = h.String()
	})
}

func FuzzUAC(f *testing.F) {
	for _, s := range []string{"512", "514", "-1", "4294967295", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseUAC(s)
		if err != nil {
			return
		}
		if u.Has(UACAccountDisable) != (u&2 != 0) {
			t.Fatal("Has")
		}
		_ = u.String()
	})
}

func FuzzWorkstations(f *testing.F) {
	f.Add("PTA1,PTA2", "pta1.corp.test")
	f.Add(",,", "")
	f.Fuzz(func(t *testing.T, list, machine string) {
		ws := ParseWorkstations(list)
		for _, w := range ws {
			if w == "" {
				t.Fatal("empty entry")
			}
		}
		if len(ws) == 0 && !WorkstationAllowed(ws, machine) {
			t.Fatal("empty list restricts")
		}
	})
}

func FuzzParseDC(f *testing.F) {
	for _, s := range []string{"dc1", "dc1:636", "[::1]:3269", ":", "a..b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		dc, err := ParseDC(s)
		if err == nil && (dc.Name == "" || dc.Port < 0 || dc.Port > 65535) {
			t.Fatalf("ParseDC(%q) = %+v", s, dc)
		}
	})
}
