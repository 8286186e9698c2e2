//go:build !race

package graph

// raceEnabled: see race_test.go.
const raceEnabled = false
