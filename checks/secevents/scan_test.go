package secevents

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// TestIndexLT: the word-at-a-time search agrees with bytes.IndexByte at
// every length and position, near misses included.
func TestIndexLT(t *testing.T) {
	for n := 0; n < 200; n++ {
		for pos := -1; pos < n; pos++ {
			b := bytes.Repeat([]byte{'a'}, n)
			if pos >= 0 {
				b[pos] = '<'
				if pos+3 < n {
					b[pos+3] = '<'
				}
			}
			for _, c := range []byte{0x3D, 0xBC, 0x3B} { // near misses
				if pos != 0 && n > 0 {
					b[0] = c
				}
				if got, want := indexLT(b), bytes.IndexByte(b, '<'); got != want {
					t.Fatalf("n %d pos %d: %d, want %d", n, pos, got, want)
				}
			}
		}
	}
}

// TestHashSet: the account set agrees with a map, zero included, through
// growth.
func TestHashSet(t *testing.T) {
	var s hashSet
	want := map[uint64]bool{}
	x := uint64(1)
	for i := range 5000 {
		h := x % 3000 // repeats
		if i%1000 == 0 {
			h = 0
		}
		s.add(h)
		want[h] = true
		x = x*6364136223846793005 + 1442695040888963407
	}
	if s.len() != len(want) {
		t.Fatalf("len %d, want %d", s.len(), len(want))
	}
	for h := range want {
		if !s.has(h) {
			t.Fatalf("missing %d", h)
		}
	}
	if s.has(3001) || len(s.sorted()) != len(want) {
		t.Fatal("has or sorted")
	}
}

// TestSkip: what follows EventData (and the rest of an event that is not a
// logon) is skipped by markup starts only: a comment, CDATA section or
// processing instruction holding "</Event>" does not end the event, a
// nested Event element does not either, malformed markup there is passed
// over; and the result does not depend on where read blocks end.
func TestSkip(t *testing.T) {
	good := string(readSample(t, "wevtutil.xml"))
	first := good[:strings.Index(good, "\n")+1] // the agent's 0xC000006A
	tail := "<RenderingInfo><!-- </Event> --><![CDATA[</Event>]]><?pi </Event>?><Event a='1'><x/></Event><Event/><0 malformed></RenderingInfo>"
	doc := strings.Replace(first, "</EventData>", "</EventData>"+tail, 1)
	other := strings.Replace(strings.Replace(first, "<EventID>4625", "<EventID>4634", 1), "</System>", "</System>"+tail, 1)
	in := strings.Repeat(doc+other, 300)
	for _, block := range []int64{-1, 97, 1000, 4096} {
		m := newMatcher(agentOnly.Processes)
		var r io.Reader = strings.NewReader(in)
		if block > 0 {
			r = iotest.OneByteReader(r)
			if block > 1 {
				r = iotest.HalfReader(strings.NewReader(in))
			}
		}
		res := readStream(t.Context(), r, 0, -1, -1, nil, false, Filter{}, m)
		if res.err != nil || res.events != 600 || res.agg.failures != 300 || res.agg.logons != 300 {
			t.Fatalf("block %d: err %v, %d events, %+v", block, res.err, res.events, res.agg)
		}
	}
}

// TestErrorOffsetByBlocks: a syntax error is reported at the same byte
// wherever the read blocks end (text outside an element was reported where
// the block's share of the text began; FuzzFastPath found it).
func TestErrorOffsetByBlocks(t *testing.T) {
	const doc = "<Event><System/></Event> \r\n x"
	m := newMatcher(agentOnly.Processes)
	for _, r := range []io.Reader{strings.NewReader(doc), iotest.OneByteReader(strings.NewReader(doc))} {
		res := readStream(t.Context(), r, 0, -1, -1, nil, false, Filter{}, m)
		if want := "not event XML at byte 28: text outside an element"; res.err == nil || res.err.Error() != want {
			t.Fatalf("%v, want %s", res.err, want)
		}
	}
}

// TestSystemTimeHours: the kept hour changes nothing: every time reads as
// time.Parse reads it (or is refused as it is), whatever came before.
func TestSystemTimeHours(t *testing.T) {
	var hours hourCache
	for _, s := range []string{
		"2026-11-20T00:00:00.0000000Z", "2026-11-20T00:59:59.9999999Z", "2026-11-20T01:00:00.5Z",
		"2026-02-29T01:00:00.5Z", "2028-02-29T01:00:00.5Z", "2026-11-20T01:60:00.5Z", "2026-11-20T01:00:60.5Z",
		"2026-11-20T24:00:00.5Z", "2026-13-20T01:00:00.5Z", "2026-11-20T01:07:08.123Z", " 2026-11-20T01:07:08.1Z ",
		"2026-11-20T01:07:08Z", "2026-11-20T01:07:08.1234567890Z", "2026-11-2xT01:07:08.1Z", "2026-11-20T01:07:08.1+02:00",
	} {
		got, ok := parseSystemTime([]byte(s), &hours)
		alone, okAlone := parseSystemTime([]byte(s), nil)
		want, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
		if ok != okAlone || got != alone || ok != (err == nil) || ok && !got.Equal(want) {
			t.Errorf("%q: %v %v, alone %v %v, time.Parse %v %v", s, got, ok, alone, okAlone, want, err)
		}
	}
}
