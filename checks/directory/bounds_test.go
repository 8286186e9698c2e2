package directory

import "time"

// slowBound is a time bound of the normal build, scaled under the race
// detector (x25: see race_test.go).
func slowBound(d time.Duration) time.Duration {
	if raceEnabled {
		return 25 * d
	}
	return d
}

// allocBound is an allocation bound of the normal build, scaled under the
// race detector (x1.5).
func allocBound(n uint64) uint64 {
	if raceEnabled {
		return n * 3 / 2
	}
	return n
}
