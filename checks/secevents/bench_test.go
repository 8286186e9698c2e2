package secevents

import (
	"bytes"
	"testing"

	"github.com/ptacheck/ptacheck/checks/secevents/seceventstest"
)

// BenchmarkReadStream: one reader over 32 MiB of generated events of each
// shape, in memory (the parser alone: no file, no parallel ranges).
func BenchmarkReadStream(b *testing.B) {
	for _, shape := range []struct {
		name  string
		shape seceventstest.Shape
	}{{"wevtutil", seceventstest.Wevtutil}, {"viewer", seceventstest.Viewer}} {
		var buf bytes.Buffer
		if _, err := seceventstest.Generate(&buf, seceventstest.Config{Size: 32 << 20, Seed: 1, Shape: shape.shape}); err != nil {
			b.Fatal(err)
		}
		data := buf.Bytes()
		m := newMatcher(agentOnly.Processes)
		b.Run(shape.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				res := readStream(b.Context(), bytes.NewReader(data), 0, int64(len(data)), -1, nil, false, Filter{}, m)
				if res.err != nil {
					b.Fatal(res.err)
				}
			}
		})
	}
}
