package tracelog

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// The entry of the troubleshooting page (TS), with a real time.
const documented = "AzureADConnectAuthenticationAgentService.exe Error: 0 : Passthrough Authentication request failed. RequestId: 'df63f4a4-68b9-44ae-8d81-6ad2d844d84e'. Reason: '1328'.\r\n" +
	"    ThreadId=5\r\n" +
	"    DateTime=2024-05-01T10:11:12.1234567Z\r\n"

// The pasted support-wiki sample (pta-facts.md 3.2): every line indented, the
// previous record's DateTime before the first header.
const pasted = "    DateTime=2016-11-30T21:13:29.5003217Z\n" +
	"    ApplicationProxyConnectorService.exe Error: 0 : Passthrough Authentication request failed. RequestId: '0e7e8418-4ab4-40c6-82cc-4396e804deee'. Reason: '1331'.\n" +
	"    ThreadId=7\n" +
	"    DateTime=2016-11-30T21:55:49.6054337Z\n"

func parseAll(t *testing.T, in string, opts Options) ([]Record, Stats) {
	t.Helper()
	var recs []Record
	st, err := Parse(strings.NewReader(in), opts, func(r Record) error {
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if st.Records != len(recs) {
		t.Fatalf("Stats.Records %d, %d records emitted", st.Records, len(recs))
	}
	if st.Bytes != int64(len(in)) {
		t.Fatalf("Stats.Bytes %d, input %d", st.Bytes, len(in))
	}
	return recs, st
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseDocumentedEntry(t *testing.T) {
	recs, st := parseAll(t, documented, Options{})
	want := Record{
		Line:      1,
		Source:    "AzureADConnectAuthenticationAgentService.exe",
		Level:     "Error",
		Message:   "Passthrough Authentication request failed. RequestId: 'df63f4a4-68b9-44ae-8d81-6ad2d844d84e'. Reason: '1328'.",
		Failure:   true,
		RequestID: "df63f4a4-68b9-44ae-8d81-6ad2d844d84e",
		Reason:    1328,
		ThreadID:  "5",
		Time:      mustTime("2024-05-01T10:11:12.1234567Z"),
		HasTime:   true,
	}
	if len(recs) != 1 || recs[0] != want {
		t.Fatalf("got %+v\nwant %+v", recs, want)
	}
	if st != (Stats{Bytes: int64(len(documented)), Lines: 3, Records: 1, Failures: 1}) {
		t.Fatalf("stats %+v", st)
	}
}

func TestParsePastedSample(t *testing.T) {
	recs, st := parseAll(t, pasted, Options{})
	if st.Orphans != 1 || st.Records != 1 || st.Failures != 1 || st.Untimed != 0 {
		t.Fatalf("stats %+v", st)
	}
	r := recs[0]
	// The orphan DateTime belongs to nothing; the record keeps its own.
	if r.Source != "ApplicationProxyConnectorService.exe" || r.Reason != 1331 || r.ThreadID != "7" || r.Line != 2 ||
		!r.HasTime || !r.Time.Equal(mustTime("2016-11-30T21:55:49.6054337Z")) {
		t.Fatalf("record %+v", r)
	}
}

func TestParseLineEndings(t *testing.T) {
	lf := strings.ReplaceAll(documented, "\r\n", "\n")
	mixed := strings.Replace(documented, "\r\n", "\n", 1)
	for name, in := range map[string]string{"crlf": documented, "lf": lf, "mixed": mixed, "no final newline": strings.TrimSuffix(lf, "\n")} {
		recs, _ := parseAll(t, in, Options{})
		if len(recs) != 1 || recs[0].ThreadID != "5" || !recs[0].HasTime || strings.HasSuffix(recs[0].Message, "\r") {
			t.Errorf("%s: %+v", name, recs)
		}
	}
}

func TestParseQuirks(t *testing.T) {
	const fail = "Passthrough Authentication request failed. RequestId: 'df63f4a4-68b9-44ae-8d81-6ad2d844d84e'. Reason: '%s'."
	failLine := func(reason string) string { return "A.exe Error: 0 : " + strings.Replace(fail, "%s", reason, 1) + "\n" }
	for _, tc := range []struct {
		name  string
		in    string
		stats Stats // Bytes is filled in
		check func(t *testing.T, recs []Record)
	}{
		{"orphan footers only", "    ThreadId=1\n    DateTime=2024-01-01T00:00:00.0000000Z\n", Stats{Lines: 2, Orphans: 2}, nil},
		{"empty", "", Stats{}, nil},
		{"blank lines", "\n\r\n  \n", Stats{Lines: 3, Orphans: 3}, nil},
		{"no DateTime", failLine("1326") + "    ThreadId=3\n", Stats{Lines: 2, Records: 1, Failures: 1, Untimed: 1},
			func(t *testing.T, r []Record) {
				if r[0].HasTime || !r[0].Time.IsZero() || r[0].ThreadID != "3" {
					t.Errorf("%+v", r[0])
				}
			}},
		{"no footer at all", failLine("1326") + failLine("1330"), Stats{Lines: 2, Records: 2, Failures: 2, Untimed: 2},
			func(t *testing.T, r []Record) {
				if r[0].Reason != 1326 || r[1].Reason != 1330 {
					t.Errorf("%+v", r)
				}
			}},
		{"negative reason", failLine("-2146892994"), Stats{Lines: 1, Records: 1, Failures: 1, Untimed: 1},
			func(t *testing.T, r []Record) {
				if r[0].Reason != -2146892994 {
					t.Errorf("%+v", r[0])
				}
			}},
		{"reason limits", failLine("-2147483648") + failLine("2147483647"), Stats{Lines: 2, Records: 2, Failures: 2, Untimed: 2}, nil},
		{"reason out of int32", failLine("2147483648") + failLine("-2147483649") + failLine("99999999999999999999999"),
			Stats{Lines: 3, Records: 3, Unparsed: 3}, nil},
		{"reason empty", failLine(""), Stats{Lines: 1, Records: 1, Unparsed: 1}, nil},
		{"bad guid", "A.exe Error: 0 : Passthrough Authentication request failed. RequestId: 'zz63f4a4-68b9-44ae-8d81-6ad2d844d84e'. Reason: '1'.\n",
			Stats{Lines: 1, Records: 1, Unparsed: 1}, nil},
		{"short guid", "A.exe Error: 0 : Passthrough Authentication request failed. RequestId: 'df63f4a4'. Reason: '1'.\n",
			Stats{Lines: 1, Records: 1, Unparsed: 1}, nil},
		{"upper-case guid", "A.exe Error: 0 : Passthrough Authentication request failed. RequestId: 'DF63F4A4-68B9-44AE-8D81-6AD2D844D84E'. Reason: '1'.\n",
			Stats{Lines: 1, Records: 1, Failures: 1, Untimed: 1}, nil},
		{"failure text after a prefix", "A.exe Warning: 0 : retry: Passthrough Authentication request failed. RequestId: 'df63f4a4-68b9-44ae-8d81-6ad2d844d84e'. Reason: '1909'.\n",
			Stats{Lines: 1, Records: 1, Failures: 1, Untimed: 1},
			func(t *testing.T, r []Record) {
				if r[0].Reason != 1909 || r[0].Level != "Warning" {
					t.Errorf("%+v", r[0])
				}
			}},
		{"other request failed", "A.exe Warning: 0 : Bootstrap request failed with status code 503.\n", Stats{Lines: 1, Records: 1, Unparsed: 1}, nil},
		{"failure text in a continuation line", "A.exe Information: 0 : dump follows\n" + strings.Replace(fail, "%s", "1", 1) + "\n",
			Stats{Lines: 2, Records: 1}, nil},
		{"first DateTime wins", failLine("1326") + "  DateTime=2024-01-01T00:00:00.0000000Z\n  DateTime=2025-01-01T00:00:00.0000000Z\n",
			Stats{Lines: 3, Records: 1, Failures: 1},
			func(t *testing.T, r []Record) {
				if !r[0].Time.Equal(mustTime("2024-01-01T00:00:00Z")) {
					t.Errorf("%v", r[0].Time)
				}
			}},
		{"unparseable first DateTime", failLine("1326") + "  DateTime=2024-01-01T00\n  DateTime=2025-01-01T00:00:00.0000000Z\n",
			Stats{Lines: 3, Records: 1, Failures: 1, Untimed: 1}, nil},
		{"other DateTime forms", "A.exe Error: 0 : x\n DateTime=2024-02-29T23:59:59Z\nA.exe Error: 0 : y\n DateTime=2024-01-01T01:00:00.5+01:00\nA.exe Error: 0 : z\n DateTime=2023-02-29T00:00:00.0000000Z\n",
			Stats{Lines: 6, Records: 3},
			func(t *testing.T, r []Record) {
				if !r[0].HasTime || !r[1].HasTime || !r[1].Time.Equal(mustTime("2024-01-01T00:00:00.5Z")) || r[1].Time.Location() != time.UTC || r[2].HasTime {
					t.Errorf("%+v", r)
				}
			}},
		{"footer order and keys", "A.exe Information: 4 : m\n\tProcessId=12\n\tLogicalOperationStack=\n\tThreadId=9 \n\tDateTime=2024-01-01T00:00:00.0000000Z\n\tTimestamp=123\n\tCallstack=   at X()\n   at Y()\n",
			Stats{Lines: 8, Records: 1},
			func(t *testing.T, r []Record) {
				if r[0].ID != 4 || r[0].ThreadID != "9" || !r[0].HasTime {
					t.Errorf("%+v", r[0])
				}
			}},
		{"stack trace continuation", "A.exe Error: 0 : System.Net.WebException: The remote server returned an error: (503).\n   at System.Net.HttpWebRequest.GetResponse()\n   at Foo.Bar() in C:\\src\\x.cs:line 42\n",
			Stats{Lines: 3, Records: 1}, nil},
		{"any source", "my-service.exe Verbose: 0 : a\nC:\\x\\y.exe Information: 0 : b\nw3wp Critical: 1 : c\nX Start: 0 : d\nX Stop: 0 : e\nX Suspend: 0 : f\nX Resume: 0 : g\nX Transfer: 0 : h\n",
			Stats{Lines: 8, Records: 8},
			func(t *testing.T, r []Record) {
				if r[1].Source != `C:\x\y.exe` || r[2].Level != "Critical" || r[2].ID != 1 || r[7].Level != "Transfer" {
					t.Errorf("%+v", r)
				}
			}},
		{"header spacing", "A.exe\tError:\t-7\t:\tmsg\nA.exe   Error:   3   :msg2\nA.exe Error: 0 : \nA.exe Error: 0 :\n",
			Stats{Lines: 4, Records: 4},
			func(t *testing.T, r []Record) {
				if r[0].ID != -7 || r[0].Message != "msg" || r[1].Message != "msg2" || r[2].Message != "" || r[3].Message != "" {
					t.Errorf("%+v", r)
				}
			}},
		{"not headers", "Error: 0 : no source\nA.exe error: 0 : lower-case level\nA.exe Error 0 : no colon\nA.exe Error: x : bad id\nA.exe Error: 0 missing colon\nA.exe Debug: 0 : unknown level\nA.exe Error:0 : no space\nA.exe\n",
			Stats{Lines: 8, Orphans: 8}, nil},
		{"footer-looking header is a footer", "DateTime=x Error: 0 : m\n", Stats{Lines: 1, Orphans: 1}, nil},
		{"non-UTF-8", "A\xff.exe Information: 0 : M\xfcller\xe9 \xff\xfe\n  ThreadId=\xff\n", Stats{Lines: 2, Records: 1},
			func(t *testing.T, r []Record) {
				if r[0].Source != "A\uFFFD.exe" || r[0].Message != "M\uFFFDller\uFFFD \uFFFD" || r[0].ThreadID != "\uFFFD" {
					t.Errorf("%q %q %q", r[0].Source, r[0].Message, r[0].ThreadID)
				}
			}},
		{"truncated in the header", failLine("1326") + "    DateTime=2024-01-01T00:00:00.0000000Z\nA.exe Error: 0 : Passthrough Authentication request failed. RequestId: 'df63f4a4-68b9",
			Stats{Lines: 3, Records: 2, Failures: 1, Unparsed: 1}, nil},
		{"truncated in the DateTime", failLine("1326") + "    ThreadId=5\r\n    DateTime=2024-01-01T00:0",
			Stats{Lines: 3, Records: 1, Failures: 1, Untimed: 1}, nil},
		{"truncated after the DateTime value", failLine("1326") + "    DateTime=2024-01-01T00:00:00.0000000Z",
			Stats{Lines: 2, Records: 1, Failures: 1}, nil},
		{"CR inside a line", "A.exe Error: 0 : a\rb\n", Stats{Lines: 1, Records: 1},
			func(t *testing.T, r []Record) {
				if r[0].Message != "a\rb" {
					t.Errorf("%q", r[0].Message)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, st := parseAll(t, tc.in, Options{})
			tc.stats.Bytes = int64(len(tc.in))
			if st != tc.stats {
				t.Fatalf("stats %+v\nwant  %+v", st, tc.stats)
			}
			if tc.check != nil {
				tc.check(t, recs)
			}
		})
	}
}

func TestParseLongLines(t *testing.T) {
	const max = 160
	hdr := "A.exe Information: 0 : "
	long := hdr + strings.Repeat("x", 300)
	in := long + "\r\n" +
		"    DateTime=2024-01-01T00:00:00.0000000Z\r\n" +
		strings.Repeat("y", 250) + "\n" + // over-long continuation
		"A.exe Error: 0 : Passthrough Authentication request failed. RequestId: 'df63f4a4-68b9-44ae-8d81-6ad2d844d84e'. Reason: '5'." + strings.Repeat(" ", 60) + "\n" +
		strings.Repeat("z", max) + "\r\n" + // exactly max: not long
		strings.Repeat("z", max+1) + "\r\n" + // max+1: long
		strings.Repeat("w", 1000) // long final line without a newline
	recs, st := parseAll(t, in, Options{MaxLineBytes: max})
	want := Stats{Bytes: int64(len(in)), Lines: 7, Records: 2, Failures: 1, Untimed: 1, LongLines: 5}
	if st != want {
		t.Fatalf("stats %+v\nwant  %+v", st, want)
	}
	if !recs[0].Truncated || recs[0].Message != long[len(hdr):max] || !recs[0].HasTime {
		t.Errorf("long header: %+v", recs[0])
	}
	// The failure line is longer than max, but the documented text fits.
	if !recs[1].Truncated || !recs[1].Failure || recs[1].Reason != 5 {
		t.Errorf("long failure: %+v", recs[1])
	}
}

// TestLineReader compares the bounded reader with a naive split over random
// inputs, read in small and odd-sized pieces so lines straddle refills.
func TestLineReader(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 300; iter++ {
		max := minMaxLineBytes + rng.IntN(200)
		var b bytes.Buffer
		for n := rng.IntN(60); n > 0; n-- {
			l := rng.IntN(3 * max)
			if rng.IntN(4) == 0 {
				l = max - 1 + rng.IntN(4) // around the limit
			}
			b.WriteString(strings.Repeat("a", l))
			switch rng.IntN(3) {
			case 0:
				b.WriteString("\r\n")
			case 1:
				b.WriteString("\n")
			default:
				b.WriteString("\r\r\n")
			}
		}
		if rng.IntN(2) == 0 {
			b.WriteString(strings.Repeat("b", rng.IntN(3*max)))
		}
		data := b.Bytes()
		type line struct {
			text string
			off  int64
			long bool
		}
		var want []line
		off := 0
		for off < len(data) {
			end := bytes.IndexByte(data[off:], '\n')
			next := off + end + 1
			if end < 0 {
				end, next = len(data)-off, len(data)
			}
			s := data[off : off+end]
			s = bytes.TrimSuffix(s, []byte("\r"))
			long := len(s) > max
			if long {
				s = s[:max]
			}
			want = append(want, line{string(s), int64(off), long})
			off = next
		}
		var r io.Reader = bytes.NewReader(data)
		switch iter % 3 {
		case 0:
			r = iotest.OneByteReader(r)
		case 1:
			r = iotest.HalfReader(r)
		}
		lr := newLineReader(t.Context(), r, max, 0, int64(iter%2*len(data)))
		for i := 0; ; i++ {
			s, off, long, err := lr.next()
			if err == io.EOF {
				if i != len(want) {
					t.Fatalf("iter %d: %d lines, want %d", iter, i, len(want))
				}
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if i >= len(want) || string(s) != want[i].text || off != want[i].off || long != want[i].long {
				t.Fatalf("iter %d line %d: %q at %d long %v, want %+v", iter, i, s, off, long, want[min(i, len(want)-1)])
			}
		}
		if lr.off != int64(len(data)) {
			t.Fatalf("iter %d: offset %d at the end, want %d", iter, lr.off, len(data))
		}
	}
}

func TestParseCallbackError(t *testing.T) {
	stop := errors.New("enough")
	n := 0
	_, err := Parse(strings.NewReader(documented+documented+documented), Options{}, func(Record) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if err != stop || n != 2 {
		t.Fatalf("err %v after %d records", err, n)
	}
}

func TestParseReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	r := io.MultiReader(strings.NewReader(documented), iotest.ErrReader(boom))
	st, err := Parse(r, Options{}, func(Record) error { return nil })
	if !errors.Is(err, boom) || err.Error() != "read trace log: disk on fire" {
		t.Fatalf("err %v", err)
	}
	if st.Lines != 3 || st.Bytes != int64(len(documented)) {
		t.Fatalf("stats so far %+v", st)
	}
}

func TestMaxLineOption(t *testing.T) {
	for _, tc := range []struct{ in, want int }{{0, DefaultMaxLineBytes}, {-1, DefaultMaxLineBytes}, {1, minMaxLineBytes}, {1000, 1000}} {
		if got := (Options{MaxLineBytes: tc.in}).maxLine(); got != tc.want {
			t.Errorf("MaxLineBytes %d: %d, want %d", tc.in, got, tc.want)
		}
	}
}
