package secevents

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: any input must be read without panicking, within the limits;
// the shortcuts for the usual layout must find exactly what the general
// path finds; and the parallel byte ranges, for any split, exactly what one
// reader finds.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"wevtutil.xml", "viewer.xml"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint16(0))
		f.Add(b[:len(b)/2], uint16(300))
		f.Add(toUTF16(b[:2000], false, true), uint16(0))
	}
	for _, s := range []string{
		"", "<", "<Event", "<Event/>", "<Events><Event><System/></Event></Events>",
		`<e:Event xmlns:e="` + EventNS + `"><e:System><e:EventID>4625</e:EventID></e:System></e:Event>`,
		"<!-- <Event> --><Event><EventData><Data Name='ProcessName'><![CDATA[a&b]]></Data></EventData></Event>",
		"<Event><System><EventID>&#x34;625</EventID></System></Event>", "<?xml version='1.0'?><!DOCTYPE x><x/>",
	} {
		f.Add([]byte(s), uint16(7))
	}
	m := newMatcher([]string{`C:\Program Files\Microsoft Azure AD Connect Authentication Agent\AzureADConnectAuthenticationAgentService.exe`, "a&b"})
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		whole := readStream(t.Context(), bytes.NewReader(data), 0, int64(len(data)), -1, nil, false, Filter{}, m)
		a := whole.agg
		if a.agentLogons > a.logons || a.failures > a.agentLogons || a.noStatus > a.failures || whole.events < 0 ||
			a.otherProcess+a.noProcess+a.malformed+a.agentLogons+a.untimed*0 > a.logons || a.accounts > maxAccounts {
			t.Fatalf("invariants: %+v", a)
		}
		// The shortcuts change nothing: the general path alone finds the same.
		slow := readStreamWith(t.Context(), bytes.NewReader(data), 0, int64(len(data)), -1, nil, false, Filter{}, m, true)
		if got, want := summary(whole), summary(slow); got != want {
			t.Fatalf("with shortcuts:\n%s\nwithout:\n%s", got, want)
		}
		head := data[:min(len(data), SniffBytes)]
		_ = Sniff(head)
		enc, bom := detectEncoding(head)
		if enc != encUTF8 {
			return
		}
		r := bytes.NewReader(data)
		parts := readRanges(t.Context(), r, int64(bom), int64(len(data)), head[bom:], Filter{}, m, 3, int64(split)+16)
		one := readStream(t.Context(), bytes.NewReader(data[bom:]), int64(bom), int64(len(data)-bom), -1, nil, false, Filter{}, m)
		if got, want := summary(parts), summary(one); got != want {
			t.Fatalf("parts of %d bytes:\n%s\none reader:\n%s", int(split)+16, got, want)
		}
	})
}

func summary(r rangeResult) string {
	s := &Summary{}
	r.agg.fill(s)
	errText := ""
	if r.err != nil {
		errText = r.err.Error()
	}
	return fmt.Sprintf("%d %+v %q", r.events, *s, errText)
}
