// Package fastdate reads the fixed-width timestamps of logs (trace logs,
// exported Security events) without time.Parse's cost: the digits of each
// field, and the days of a month to validate the date.
package fastdate

// Digits reads b as a decimal number; false when b is empty or holds
// anything but ASCII digits.
func Digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(b) > 0
}

// DaysIn is the number of days of month (1-12) in year, leap years
// included.
func DaysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
