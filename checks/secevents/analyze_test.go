package secevents

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/ptacheck/ptacheck/checks/secevents/seceventstest"
)

var agentOnly = Options{Processes: []string{seceventstest.AgentExe}}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// wantSample is what both sample files (the same six events in
// wevtutil's and Event Viewer's shape) hold.
func checkSample(t *testing.T, s *Summary) {
	t.Helper()
	got := fmt.Sprintf("events %d logons %d other %d noproc %d malformed %d untimed %d outside %d truncated %d failures %d nostatus %d",
		s.Events, s.Logons, s.OtherProcess, s.NoProcess, s.Malformed, s.Untimed, s.Outside, s.Truncated, s.Failures, s.NoStatus)
	if want := "events 6 logons 5 other 1 noproc 0 malformed 0 untimed 0 outside 0 truncated 0 failures 3 nostatus 0"; got != want {
		t.Errorf("counts:\n%s\nwant\n%s", got, want)
	}
	want := []Reason{
		{Code: 0xC000006A, Tally: Tally{Count: 2, First: mustTime("2026-11-24T08:15:02.1234567Z"), Last: mustTime("2026-11-24T09:40:11.5Z"), Accounts: 1}},
		{Code: 0xC0000234, Tally: Tally{Count: 1, First: mustTime("2026-11-24T10:00:00Z"), Last: mustTime("2026-11-24T10:00:00Z"), Accounts: 1}},
	}
	if fmt.Sprint(s.Reasons) != fmt.Sprint(want) {
		t.Errorf("reasons\n%v\nwant\n%v", s.Reasons, want)
	}
	if w := (Tally{Count: 1, First: mustTime("2026-11-24T10:05:00.25Z"), Last: mustTime("2026-11-24T10:05:00.25Z"), Accounts: 1}); s.Successes != w {
		t.Errorf("successes %+v, want %+v", s.Successes, w)
	}
	for _, f := range s.Files {
		if f.Skipped != "" || f.Truncated || f.Events != 6 || f.Logons != 4 {
			t.Errorf("file %+v", f)
		}
	}
}

func analyzeBytes(t *testing.T, name string, data []byte, f Filter, opts Options) *Summary {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Analyze(t.Context(), []string{path}, f, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSamples(t *testing.T) {
	for _, name := range []string{"wevtutil.xml", "viewer.xml"} {
		t.Run(name, func(t *testing.T) {
			data := readSample(t, name)
			if k := Sniff(data); k != KindXML {
				t.Fatalf("sniff: %v", k)
			}
			checkSample(t, analyzeBytes(t, name, data, Filter{}, agentOnly))
			// LF instead of CRLF, and a UTF-8 byte order mark
			lf := bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
			checkSample(t, analyzeBytes(t, name, append([]byte("\xEF\xBB\xBF"), lf...), Filter{}, agentOnly))
			// UTF-16, as PowerShell 5.1's > and Event Viewer write it
			for _, be := range []bool{false, true} {
				for _, bom := range []bool{true, false} {
					checkSample(t, analyzeBytes(t, name, toUTF16(data, be, bom), Filter{}, agentOnly))
				}
			}
		})
	}
}

func toUTF16(b []byte, be, bom bool) []byte {
	u := utf16.Encode([]rune(string(b)))
	if bom {
		u = append([]uint16{0xFEFF}, u...)
	}
	out := make([]byte, 0, 2*len(u))
	for _, c := range u {
		if be {
			out = append(out, byte(c>>8), byte(c))
		} else {
			out = append(out, byte(c), byte(c>>8))
		}
	}
	return out
}

func TestFilterWindow(t *testing.T) {
	data := readSample(t, "wevtutil.xml")
	s := analyzeBytes(t, "w.xml", data, Filter{Since: mustTime("2026-11-24T09:00:00Z"), Until: mustTime("2026-11-24T10:05:00Z")}, agentOnly)
	// alice at 08:15 is before, carol's success at 10:05:00.25 after.
	if s.Outside != 2 || s.Failures != 2 || s.Successes.Count != 0 || len(s.Reasons) != 2 || s.Reasons[0].Count != 1 {
		t.Fatalf("%+v", s)
	}
}

func TestOtherProcesses(t *testing.T) {
	data := readSample(t, "wevtutil.xml")
	s := analyzeBytes(t, "w.xml", data, Filter{}, Options{Processes: []string{`C:\Windows\System32\winlogon.exe`}})
	if s.OtherProcess != 4 || s.Failures != 1 || s.Reasons[0].Code != 0xC0000234 {
		t.Fatalf("%+v", s)
	}
	if _, err := Analyze(t.Context(), nil, Filter{}, Options{}); err != ErrNoProcesses {
		t.Fatalf("no processes: %v", err)
	}
}

// TestNamespaces: prefixed names, a namespace declared on a root, an Event
// in another namespace (not an event), no namespace at all, an entity
// reference in a value, a comment, CDATA, a processing instruction.
func TestNamespaces(t *testing.T) {
	const agent = `C:\Program Files\Microsoft Azure AD Connect Authentication Agent\AzureADConnectAuthenticationAgentService.exe`
	ev := func(open, prefix, body string) string {
		return fmt.Sprintf(`%s<%sSystem><%sProvider Name="Microsoft-Windows-Security-Auditing"/><%sEventID>4625</%sEventID><%sTimeCreated SystemTime="2026-11-24T08:00:00Z"/></%sSystem><%sEventData>%s</%sEventData></%sEvent>`,
			open, prefix, prefix, prefix, prefix, prefix, prefix, prefix, body, prefix, prefix)
	}
	data := func(p, user string) string {
		return fmt.Sprintf(`<%sData Name="TargetUserName">%s</%sData><%sData Name="TargetDomainName">C</%sData><%sData Name="Status">0xC000006D</%sData><%sData Name="SubStatus">0xC0000064</%sData><%sData Name="ProcessName">%s</%sData>`,
			p, user, p, p, p, p, p, p, p, p, agent, p)
	}
	doc := `<?xml version="1.0"?>` + "\n" +
		`<ev:Events xmlns:ev="` + EventNS + `">` + "\n" +
		ev(`<ev:Event>`, "ev:", data("ev:", "o&amp;brien")) + "\n" +
		ev(`<e:Event xmlns:e="`+EventNS+`">`, "e:", data("e:", "<![CDATA[x&y]]>")) + "\n" +
		`<!-- a comment with <Event> in it -->` + "\n" +
		ev(`<Event xmlns="urn:other">`, "", data("", "z")) + "\n" +
		ev(`<Event>`, "", data("", "plain")) + "\n" +
		`<?pi data?>` +
		`</ev:Events>`
	s := analyzeBytes(t, "ns.xml", []byte(doc), Filter{}, agentOnly)
	if s.Events != 3 || s.Failures != 3 || len(s.Reasons) != 1 || s.Reasons[0].Code != 0xC0000064 || s.Reasons[0].Accounts != 3 || s.Files[0].Skipped != "" {
		t.Fatalf("%+v %+v", s, s.Files)
	}
}

func TestTruncated(t *testing.T) {
	data := readSample(t, "viewer.xml")
	cut := data[:bytes.Index(data, []byte("winlogon"))]
	s := analyzeBytes(t, "cut.xml", cut, Filter{}, agentOnly)
	if !s.Files[0].Truncated || s.Truncated != 1 || s.Files[0].Skipped != "" || s.Events != 5 || s.Failures != 3 || s.Successes.Count != 1 {
		t.Fatalf("%+v %+v", s, s.Files)
	}
	// Cut between events: the root never closes.
	cut = data[:bytes.LastIndex(data, []byte("</Events>"))]
	s = analyzeBytes(t, "cut2.xml", cut, Filter{}, agentOnly)
	if !s.Files[0].Truncated || s.Truncated != 0 || s.Events != 6 {
		t.Fatalf("%+v %+v", s, s.Files)
	}
	// wevtutil's shape cut in a tag
	w := readSample(t, "wevtutil.xml")
	s = analyzeBytes(t, "cut3.xml", w[:len(w)-20], Filter{}, agentOnly)
	if !s.Files[0].Truncated || s.Truncated != 1 || s.Events != 6 || s.Logons != 5 {
		t.Fatalf("%+v %+v", s, s.Files)
	}
}

func TestMalformed(t *testing.T) {
	good := string(readSample(t, "wevtutil.xml"))
	first := good[:strings.Index(good, "\n")+1]
	for _, tc := range []struct{ name, doc, want string }{
		{"mismatched", first + "<Event><System></Event>", "end tag </Event> does not match <System>"},
		{"doctype", `<!DOCTYPE x [<!ENTITY a "b">]>` + first, "DOCTYPE"},
		{"undeclared prefix", first + "<x:Event/>", "undeclared namespace prefix"},
		{"text", first + "hello", "text outside an element"},
		{"lt in attribute", first + "<Event a='<'/>", "'<' in an attribute value"},
		{"repeated attribute", first + "<Event a='1' a='2'/>", "attribute a repeated"},
		{"unquoted", first + "<Event a=1/>", "unquoted attribute value"},
		{"deep", first + strings.Repeat("<a>", 70), "nested deeper than 64"},
		{"attributes", first + "<Event" + strings.Repeat(" a", 1)[:0] + manyAttrs(65) + "/>", "more than 64 attributes"},
		{"long markup", first + "<!--" + strings.Repeat("x", 70<<10) + "-->", "markup longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := analyzeBytes(t, "bad.xml", []byte(tc.doc), Filter{}, agentOnly)
			f := s.Files[0]
			if !strings.Contains(f.Skipped, tc.want) || !strings.HasPrefix(f.Skipped, "read stopped: not event XML at byte ") {
				t.Fatalf("skipped %q, want %q", f.Skipped, tc.want)
			}
			// What came before the error is counted.
			if tc.name != "doctype" && s.Failures != 1 {
				t.Fatalf("%+v", s)
			}
		})
	}
}

func manyAttrs(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, " a%d='x'", i)
	}
	return b.String()
}

// TestEventLimits: over-limit events are counted as malformed, cut values
// never match, events without ProcessName are counted apart.
func TestEventLimits(t *testing.T) {
	good := string(readSample(t, "wevtutil.xml"))
	first := good[:strings.Index(good, "\n")+1]
	many := strings.Replace(first, "<EventData>", "<EventData>"+strings.Repeat("<Data Name='x'>1</Data>", 256), 1)
	repeated := strings.Replace(first, "<EventData>", "<EventData><Data Name='Status'>0x0</Data>", 1)
	noProc := strings.Replace(first, "Data Name='ProcessName'", "Data Name='CallerProcess'", 1)
	longProc := strings.Replace(first, `C:\Program Files`, strings.Repeat("x", 3000), 1)
	noStatus := strings.Replace(strings.Replace(first, "0xc000006d", "bad", 1), "0xc000006a", "0x0", 1)
	untimed := strings.Replace(first, "2026-11-24T08:15:02.1234567Z", "yesterday", 1)
	s := analyzeBytes(t, "lim.xml", []byte(many+repeated+noProc+longProc+noStatus+untimed), Filter{}, agentOnly)
	if s.Events != 6 || s.Malformed != 2 || s.NoProcess != 1 || s.OtherProcess != 1 || s.Failures != 2 || s.NoStatus != 1 || s.Untimed != 1 || !s.Reasons[0].First.IsZero() {
		t.Fatalf("%+v", s)
	}
	// With a time window an untimed event cannot be placed in it.
	s = analyzeBytes(t, "lim.xml", []byte(untimed), Filter{Since: mustTime("2020-01-01T00:00:00Z")}, agentOnly)
	if s.Untimed != 1 || s.Failures != 0 {
		t.Fatalf("%+v", s)
	}
}

func TestSniff(t *testing.T) {
	viewer := readSample(t, "viewer.xml")
	for _, tc := range []struct {
		name string
		head []byte
		want Kind
	}{
		{"viewer", viewer, KindXML},
		{"viewer utf-16", toUTF16(viewer, false, true), KindXML},
		{"viewer utf-16be no bom", toUTF16(viewer, true, false), KindXML},
		{"wevtutil", readSample(t, "wevtutil.xml"), KindXML},
		{"no namespace", []byte("<Events><Event><System><EventID>4625</EventID></System></Event></Events>"), KindXML},
		{"evtx", []byte("ElfFile\x00\x00\x00\x00"), KindEVTX},
		{"samba log", []byte("[2026/11/24 08:00:00.123456,  0] ../../source3/smbd/server.c:1734(main)\n  smbd version 4.19 started.\n"), KindOther},
		{"other xml", []byte(`<?xml version="1.0"?><project><event>4625</event></project>`), KindOther},
		{"go file", []byte("package x\n\nconst s = `<Event xmlns='" + EventNS + "'>`\n"), KindOther},
		{"empty", nil, KindOther},
	} {
		if got := Sniff(tc.head); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestFolders: in folders only event XML is read, .evtx is listed with
// the hint, other files are counted as ignored.
func TestFolders(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("sec/a.xml", readSample(t, "wevtutil.xml"))
	write("sec/b.txt", toUTF16(readSample(t, "viewer.xml"), false, true))
	write("Security.evtx", []byte("ElfFile\x00rest"))
	write("log.smbd", []byte("[2026/11/24] smbd started\n"))
	write("trace.log", []byte("AzureADConnectAuthenticationAgentService.exe Error: 0 : x\n"))
	s, err := Analyze(t.Context(), []string{dir}, Filter{}, agentOnly)
	if err != nil {
		t.Fatal(err)
	}
	if s.Ignored != 2 || len(s.Files) != 3 || s.Failures != 6 || !strings.Contains(s.Files[0].Skipped, "wevtutil qe FILE.evtx /lf:true") {
		t.Fatalf("%+v %+v", s, s.Files)
	}
	// An explicit .evtx is listed as skipped too.
	s, err = Analyze(t.Context(), []string{filepath.Join(dir, "Security.evtx")}, Filter{}, agentOnly)
	if err != nil || s.Files[0].Skipped != EVTXHint {
		t.Fatalf("%v %+v", err, s)
	}
	if _, err := Analyze(t.Context(), []string{filepath.Join(dir, "missing")}, Filter{}, agentOnly); err == nil {
		t.Fatal("a missing input must be an error")
	}
}

// TestGroundTruth: generated files of both shapes, split into parts of
// many sizes and read by several workers, give exactly the generator's
// truth, and the same Summary every time.
func TestGroundTruth(t *testing.T) {
	for _, shape := range []seceventstest.Shape{seceventstest.Wevtutil, seceventstest.Viewer} {
		var buf bytes.Buffer
		truth, err := seceventstest.Generate(&buf, seceventstest.Config{Size: 3 << 20, Seed: uint64(shape) + 3, Shape: shape, Users: 300})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "gen.xml")
		if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		var first string
		for _, v := range []struct {
			split   int64
			workers int
		}{{0, 1}, {0, 2}, {64 << 10, 3}, {100_003, 2}, {7_001, 4}, {1 << 20, 1}} {
			opts := agentOnly
			opts.Workers, opts.splitBytes = v.workers, v.split
			s, err := Analyze(t.Context(), []string{path}, Filter{}, opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := seceventstest.Diff(toResult(s), truth); err != nil {
				t.Fatalf("shape %d split %d workers %d: %v", shape, v.split, v.workers, err)
			}
			got := fmt.Sprintf("%+v", s)
			if first == "" {
				first = got
			} else if got != first {
				t.Fatalf("shape %d split %d workers %d: differs\n%s\n%s", shape, v.split, v.workers, got, first)
			}
		}
	}
}

// TestSplitFallback: an Event start tag inside a comment misleads a byte
// range's realignment; the file is then read in one piece, with the same
// result as a single reader.
func TestSplitFallback(t *testing.T) {
	w := readSample(t, "wevtutil.xml")
	var doc bytes.Buffer
	for i := range 200 {
		doc.Write(w)
		if i%7 == 0 {
			doc.WriteString("<!-- <Event xmlns='x'><System> -->\n")
		}
	}
	path := filepath.Join(t.TempDir(), "c.xml")
	if err := os.WriteFile(path, doc.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	var want string
	for _, split := range []int64{0, 977, 5000, 33_333} {
		opts := agentOnly
		opts.Workers, opts.splitBytes = 3, split
		s, err := Analyze(t.Context(), []string{path}, Filter{}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if s.Events != 1200 || s.Failures != 600 {
			t.Fatalf("split %d: %+v", split, s)
		}
		if got := fmt.Sprintf("%+v", s); want == "" {
			want = got
		} else if got != want {
			t.Fatalf("split %d differs:\n%s\n%s", split, got, want)
		}
	}
}

// endless is a reader that never ends: events, forever.
type endless struct {
	ev  []byte
	off int
}

func (e *endless) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], e.ev[e.off:])
		n += c
		e.off = (e.off + c) % len(e.ev)
	}
	return n, nil
}

// TestCancel: a read stops within 100 ms of the context's end.
func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan rangeResult)
	go func() {
		done <- readStream(ctx, &endless{ev: readSample(t, "wevtutil.xml")}, 0, -1, -1, nil, false, Filter{}, newMatcher(agentOnly.Processes))
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	start := time.Now()
	select {
	case res := <-done:
		if res.err != context.Canceled || res.events == 0 {
			t.Fatalf("err %v after %d events", res.err, res.events)
		}
		if d := time.Since(start); d > slowBound(100*time.Millisecond) {
			t.Fatalf("stopped %v after the cancel", d)
		}
	case <-time.After(slowBound(2 * time.Second)):
		t.Fatal("the read did not stop")
	}
	// Analyze returns the context's error.
	ctx, cancel = context.WithCancel(t.Context())
	cancel()
	if _, err := Analyze(ctx, []string{filepath.Join("testdata", "viewer.xml")}, Filter{}, agentOnly); err == nil {
		t.Fatal("want an error after the cancel")
	}
}

// toResult converts a Summary for seceventstest.Diff.
func toResult(s *Summary) seceventstest.Result {
	r := seceventstest.Result{
		Events: s.Events, Logons: s.Logons, OtherProcess: s.OtherProcess, Untimed: s.Untimed, Failures: s.Failures,
		NoProcess: s.NoProcess, Malformed: s.Malformed, NoStatus: s.NoStatus,
		Successes: seceventstest.Count{Count: s.Successes.Count, Accounts: s.Successes.Accounts, First: s.Successes.First, Last: s.Successes.Last},
		Reasons:   map[string]seceventstest.Count{},
	}
	for _, x := range s.Reasons {
		r.Reasons[fmt.Sprintf("0x%08X", x.Code)] = seceventstest.Count{Count: x.Count, Accounts: x.Accounts, First: x.First, Last: x.Last}
	}
	for _, f := range s.Files {
		if f.Skipped != "" || f.Truncated {
			r.Problems = append(r.Problems, fmt.Sprintf("%s: skipped %q, truncated %v", f.Path, f.Skipped, f.Truncated))
		}
	}
	return r
}
