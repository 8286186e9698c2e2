package tracelog

import (
	"bytes"
	"fmt"
	"testing"
)

// FuzzParse: any input, whatever bytes and line lengths, must parse without
// panicking and keep the invariants; and the parallel scanner, for any
// split, must find exactly what the sequential parser finds.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		documented, pasted, filterLog, "", "\n", "\r\n", "A.exe Error: 0 : ", "    DateTime=",
		documented[:80], documented[:len(documented)-10],
		"A.exe Error: 0 : Passthrough Authentication request failed. RequestId: 'df63f4a4-68b9-44ae-8d81-6ad2d844d84e'. Reason: '-2146892994'.\n DateTime=2024-01-01T00:00:00Z",
		"A\xff.exe Information: 0 : \xfe\xff\n\tThreadId=\xff\n",
	} {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		opts := Options{MaxLineBytes: minMaxLineBytes}
		var recs []Record
		st, err := Parse(bytes.NewReader(data), opts, func(r Record) error {
			recs = append(recs, r)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if st.Bytes != int64(len(data)) || st.Records != len(recs) || int64(st.Records) > st.Lines ||
			st.Failures > st.Records || st.Untimed > st.Failures || st.Unparsed > st.Records-st.Failures ||
			int64(st.Orphans) > st.Lines || int64(st.LongLines) > st.Lines {
			t.Fatalf("invariants: %+v", st)
		}
		want := map[int]int{}
		for _, r := range recs {
			if r.Failure {
				want[r.Reason]++
				if len(r.RequestID) != 36 {
					t.Fatalf("request id %q", r.RequestID)
				}
			}
			if r.Level == "" || r.Source == "" || !r.HasTime && !r.Time.IsZero() {
				t.Fatalf("record %+v", r)
			}
		}

		// The same bytes scanned in parts of split+1 bytes, then whole.
		for _, n := range []int64{int64(split) + 1, int64(len(data)) + 1} {
			var results []unitResult
			for start := int64(0); ; start += n {
				end := min(start+n, int64(len(data)))
				fr := fileResult{agg: newAggregator(Filter{})}
				if err := scanRange(t.Context(), bytes.NewReader(data), start, end, int64(len(data)), opts, &fr); err != nil {
					t.Fatal(err)
				}
				results = append(results, unitResult{cont: start > 0, files: []fileResult{fr}})
				if end >= int64(len(data)) {
					break
				}
			}
			s := merge(Filter{}, 0, nil, results)
			got := map[int]int{}
			for _, r := range s.Reasons {
				got[r.Code] = r.Count
			}
			if s.Records != st.Records || s.Failures != st.Failures || s.Untimed != st.Untimed || s.Unparsed != st.Unparsed ||
				s.Orphans != st.Orphans || s.LongLines != st.LongLines || fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("parts of %d bytes: %+v\nsequential: %+v %v", n, s, st, want)
			}
		}
	})
}
