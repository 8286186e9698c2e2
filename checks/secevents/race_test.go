//go:build race

package secevents

// raceEnabled: this test binary runs under the race detector, which slows
// code 5 to 25 times (measured: 0.2 s -> 5 s for graph's 2.8M-object
// decode). The tests' time bounds are set for the normal build; slowBound
// scales them for this one, so they still catch an unbounded reader (orders
// of magnitude) without failing on the detector.
const raceEnabled = true
