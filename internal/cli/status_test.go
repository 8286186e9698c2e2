package cli

import (
	"bytes"
	"strings"
	"testing"
)

// The status line is cut to one column less than the width (a full line
// may wrap, and \r cannot go back up), pads over what the previous draw
// left, clears with spaces: never an escape sequence.
func TestStatusLine(t *testing.T) {
	var b bytes.Buffer
	s := newStatusLine(&b, 20)
	s.set("[1/14] host.os, host.app-proxy-connector")
	s.set("[2/14] host.os")
	s.clear()
	want := "\r[1/14] host.os, ..." + "\r[2/14] host.os" + strings.Repeat(" ", 19-14) + "\r" + strings.Repeat(" ", 14) + "\r"
	if b.String() != want {
		t.Errorf("%q\nwant %q", b.String(), want)
	}
	if strings.Contains(b.String(), "\x1b") {
		t.Error("an escape sequence")
	}
}

func TestWidthFromColumns(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "COLUMNS" {
				return v
			}
			return ""
		}
	}
	var b bytes.Buffer
	for v, want := range map[string]int{"60": 60, " 200 ": 200, "": 0, "0": 0, "-5": 0, "wide": 0} {
		if got := Width(&b, env(v)); got != want {
			t.Errorf("COLUMNS=%q: %d, want %d", v, got, want)
		}
	}
	if Live(&b, env("")) {
		t.Error("a buffer is live")
	}
}
