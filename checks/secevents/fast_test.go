package secevents

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/ptacheck/ptacheck/checks/secevents/seceventstest"
)

// chunkReader returns at most n bytes a read: events then straddle the
// parser's buffer, where the fast path must leave them to the full parser.
type chunkReader struct {
	r io.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }

// agree reads doc with the fast path and with the full parser alone (the
// reference), all in the buffer at once and in reads of chunk bytes: each
// time both must find the same. It returns how many events the fast path read
// when it had the whole document.
func agree(t testing.TB, doc []byte, chunk int) int {
	t.Helper()
	m := newMatcher([]string{seceventstest.AgentExe, `C:\Windows\System32\svchost.exe`, "a&b"})
	read := func(r io.Reader, slow bool) rangeResult {
		return readStreamWith(t.Context(), r, 0, int64(len(doc)), -1, nil, false, Filter{}, m, slow)
	}
	fast := read(bytes.NewReader(doc), false)
	want := summary(read(bytes.NewReader(doc), true))
	if got := summary(fast); got != want {
		t.Fatalf("fast path:\n%s\nfull parser:\n%s", got, want)
	}
	got := summary(read(&chunkReader{bytes.NewReader(doc), chunk}, false))
	if want := summary(read(&chunkReader{bytes.NewReader(doc), chunk}, true)); got != want {
		t.Fatalf("in reads of %d bytes, fast path:\n%s\nfull parser:\n%s", chunk, got, want)
	}
	return fast.fast
}

// fastCases are events as the exporters write them, changed in the ways
// the fast path must leave to the full parser (taken false) or may read
// itself (taken true); stops: the change is malformed XML, which stops the
// file (after the event before it). base is the agent's 4625 of
// wevtutil.xml, other a 4634.
var fastCases = []struct {
	name, base, old, new string
	taken, stops         bool
}{
	{"as written", "base", "", "", true, false},
	{"not a logon", "other", "", "", true, false},
	{"CDATA in a value", "base", ">alice<", "><![CDATA[alice]]><", false, false},
	{"comment in EventData", "base", "<Data Name='IpPort'>", "<!-- c --><Data Name='IpPort'>", false, false},
	{"comment where the rest is skipped", "base", "</EventData>", "</EventData><!-- </Event> -->", false, false},
	{"comment in a skipped event", "other", "</EventData>", "</EventData><!-- </Event> -->", false, false},
	{"processing instruction", "base", "</EventData>", "</EventData><?pi </Event>?>", false, false},
	{"entity in EventID", "base", "<EventID>4625", "<EventID>&#52;625", false, false},
	{"entity in a value", "base", ">alice<", ">al&#105;ce&amp;<", true, false},
	{"line break between elements", "base", "<System><Provider", "<System>\r\n<Provider", false, false},
	{"line break in EventData", "base", "<Data Name='IpPort'>", "\n<Data Name='IpPort'>", false, false},
	{"space in an end tag", "base", "</EventID>", "</EventID >", false, false},
	{"space before />", "base", "'/><EventID>", "' /><EventID>", false, false},
	{"space in the event's end tag", "base", "</Event>", "</Event >", false, false},
	{"attributes in another order", "base", "Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}'", "Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}' Name='Microsoft-Windows-Security-Auditing'", true, false},
	{"double quotes", "base", "Name='ProcessName'", `Name="ProcessName"`, true, false},
	{"Qualifiers", "base", "<EventID>4625", "<EventID Qualifiers='0'>4625", false, false},
	{"Qualifiers, not a logon", "other", "<EventID>4634", "<EventID Qualifiers='0'>4634", false, false},
	{"prefixes", "prefixed", "", "", false, false},
	{"namespace on System", "base", "<System>", "<System xmlns='urn:x'>", false, false},
	{"namespace on a child", "base", "<Channel>", "<Channel xmlns='urn:x'>", false, false},
	{"namespace on Provider", "base", "<Provider ", "<Provider xmlns='urn:x' ", false, false},
	{"nested Event where the rest is skipped", "base", "</EventData>", "</EventData><x><Event/></x>", false, false},
	{"nested Event in a skipped event", "other", "</System>", "</System><Event></Event>", false, false},
	{"repeated TimeCreated", "base", "<EventRecordID>", "<TimeCreated SystemTime='2020-01-01T00:00:00Z'/><EventRecordID>", false, false},
	{"repeated EventID", "base", "<Version>", "<EventID>4625</EventID><Version>", false, false},
	{"EventID 04625", "base", "<EventID>4625", "<EventID>04625", true, false},
	{"EventID 4625 with spaces", "base", "<EventID>4625", "<EventID> 4625", false, false},
	{"another provider", "base", "Name='Microsoft-Windows-Security-Auditing'", "Name='Other'", true, false},
	{"a Data item not closed", "base", "<Data Name='IpPort'>-</Data>", "<Data Name='IpPort'>-</Dat>", false, true},
	{"'<' in a Data name", "base", "<Data Name='IpPort'>", "<Data Name='Ip<Port'>", false, true},
	{"another element in EventData", "base", "<Data Name='IpPort'>", "<Binary>00</Binary><Data Name='IpPort'>", false, false},
	{"repeated Data item", "base", "<Data Name='IpPort'>", "<Data Name='Status'>0x0</Data><Data Name='IpPort'>", true, false},
	{"more than 256 Data items", "base", "<EventData>", "<EventData>" + strings.Repeat("<Data Name='x'/>", 257), true, false},
	{"five attributes", "base", "<Execution ", "<Execution a='1' b='2' c='3' ", false, false},
	{"repeated attribute", "base", "<Execution ", "<Execution ThreadID='1' ", false, true},
	{"empty EventData", "base", "<EventData>", "<EventData/><x>", false, false},
	{"event not ended", "base", "</Event>", "", false, false},
	{"a System tag longer than 64 KiB", "base", "<Execution ", "<Execution a='" + strings.Repeat("x", 70<<10) + "' ", false, true},
	{"a Data tag longer than 64 KiB", "base", "<Data Name='IpPort'>", "<Data Name='" + strings.Repeat("x", 70<<10) + "'>", false, true},
	{"a Data value longer than 64 KiB", "base", ">alice<", ">" + strings.Repeat("x", 70<<10) + "<", true, false},
}

func fastCaseDoc(t testing.TB, base, old, new string) []byte {
	good := string(readSample(t, "wevtutil.xml"))
	lines := strings.SplitAfter(good, "\n")
	ev := map[string]string{"base": lines[0], "other": lines[5]}
	ev["prefixed"] = strings.NewReplacer("</", "</e:", "<", "<e:", "xmlns=", "xmlns:e=").Replace(lines[0])
	e := ev[base]
	if old != "" && !strings.Contains(e, old) {
		t.Fatalf("%q not in the %s event", old, base)
	}
	if old != "" {
		e = strings.Replace(e, old, new, 1)
	}
	return []byte(lines[1] + e + lines[2])
}

// TestFastPathFallbacks: each way an event can differ from what the
// exporters write is either read by the fast path exactly as the full
// parser reads it, or left to the full parser; and the events around it
// are read by the fast path again.
func TestFastPathFallbacks(t *testing.T) {
	for _, tc := range fastCases {
		t.Run(tc.name, func(t *testing.T) {
			doc := fastCaseDoc(t, tc.base, tc.old, tc.new)
			want := 2
			switch {
			case tc.stops:
				want = 1
			case tc.taken:
				want = 3
			}
			for _, chunk := range []int{1, 7, 300, 1 << 20} {
				if chunk < 300 && len(doc) > 16<<10 {
					continue // incomplete markup is read again at each read: quadratic in reads this small
				}
				if got := agree(t, doc, chunk); got != want && tc.name != "event not ended" {
					t.Fatalf("the fast path read %d events, want %d", got, want)
				}
			}
		})
	}
}

// TestFastPathGenerated: the generator's events of both shapes are all
// read by the fast path, with the same result as the full parser.
func TestFastPathGenerated(t *testing.T) {
	for _, shape := range []seceventstest.Shape{seceventstest.Wevtutil, seceventstest.Viewer} {
		var buf bytes.Buffer
		// Within one read block: no event straddles two.
		truth, err := seceventstest.Generate(&buf, seceventstest.Config{Size: 128 << 10, Seed: 7, Shape: shape, Users: 50})
		if err != nil {
			t.Fatal(err)
		}
		// (The generator's rare comment follows an event's end tag: it
		// leaves no event to the full parser.)
		if got := agree(t, buf.Bytes(), 4096); got != truth.Events {
			t.Fatalf("shape %d: the fast path read %d of %d events", shape, got, truth.Events)
		}
	}
}

// FuzzFastPath: the fast path and the full parser find the same in any
// input, read in one piece or in chunks. The seeds are events as the
// exporters write them and the changes of fastCases.
func FuzzFastPath(f *testing.F) {
	for _, tc := range fastCases {
		doc := fastCaseDoc(f, tc.base, tc.old, tc.new)
		f.Add(doc, uint16(min(100+len(doc)/16, 65535))) // reads of 100 bytes or a 16th of the document
	}
	for _, shape := range []seceventstest.Shape{seceventstest.Wevtutil, seceventstest.Viewer} {
		var buf bytes.Buffer
		if _, err := seceventstest.Generate(&buf, seceventstest.Config{Size: 8 << 10, Seed: 3, Shape: shape, Users: 5}); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes(), uint16(1000))
	}
	f.Fuzz(func(t *testing.T, doc []byte, chunk uint16) {
		// At most 64 reads: incomplete markup is read again at each read,
		// which is quadratic in reads much smaller than the markup.
		agree(t, doc, max(int(chunk)+1, len(doc)/64))
	})
}
