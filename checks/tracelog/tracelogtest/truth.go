package tracelogtest

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/ptacheck/ptacheck/checks/tracelog"
)

// FromSummary puts an unfiltered tracelog.Summary in the shape of a Truth.
func FromSummary(s *tracelog.Summary) Truth {
	t := Truth{
		Bytes:     s.Bytes,
		Records:   s.Records,
		Failures:  s.Failures,
		Untimed:   s.Untimed,
		Unparsed:  s.Unparsed,
		Orphans:   s.Orphans,
		LongLines: s.LongLines,
	}
	for _, r := range s.Reasons {
		t.Reasons = append(t.Reasons, Reason{Code: r.Code, Count: r.Count, First: r.First, Last: r.Last, RequestIDs: r.RequestIDs})
	}
	return t
}

// Diff compares two truths by their JSON form (times as RFC 3339 text, so
// time zones and monotonic readings cannot make equal values differ) and
// describes the first difference, or returns nil.
func Diff(got, want Truth) error {
	g, err := json.Marshal(got)
	if err != nil {
		return err
	}
	w, err := json.Marshal(want)
	if err != nil {
		return err
	}
	if bytes.Equal(g, w) {
		return nil
	}
	i := 0
	for i < len(g) && i < len(w) && g[i] == w[i] {
		i++
	}
	from := max(0, i-60)
	return fmt.Errorf("differs from the ground truth at byte %d of the JSON: got %s, want %s", i, g[from:min(len(g), i+60)], w[from:min(len(w), i+60)])
}
