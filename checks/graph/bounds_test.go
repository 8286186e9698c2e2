package graph

import "time"

// slowBound is a time bound of the normal build, scaled under the race
// detector (x25: see race_test.go).
func slowBound(d time.Duration) time.Duration {
	if raceEnabled {
		return 25 * d
	}
	return d
}
