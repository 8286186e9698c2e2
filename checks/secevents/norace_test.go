//go:build !race

package secevents

// raceEnabled: see race_test.go.
const raceEnabled = false
