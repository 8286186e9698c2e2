package fastdate

import (
	"testing"
	"time"
)

func TestDigits(t *testing.T) {
	for in, want := range map[string]int{"0": 0, "2026": 2026, "0099": 99} {
		if n, ok := Digits([]byte(in)); !ok || n != want {
			t.Errorf("Digits(%q) = %d, %v; want %d", in, n, ok, want)
		}
	}
	for _, in := range []string{"", "12a", "-1", " 1", "１"} {
		if _, ok := Digits([]byte(in)); ok {
			t.Errorf("Digits(%q) accepted", in)
		}
	}
}

// DaysIn agrees with the time package over four centuries.
func TestDaysIn(t *testing.T) {
	for year := 1900; year <= 2300; year++ {
		for m := 1; m <= 12; m++ {
			want := time.Date(year, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
			if got := DaysIn(m, year); got != want {
				t.Fatalf("DaysIn(%d, %d) = %d, want %d", m, year, got, want)
			}
		}
	}
}
