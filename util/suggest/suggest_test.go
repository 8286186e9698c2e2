package suggest

import "testing"

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"abc", "", 3},
		{"install", "install", 0},
		{"instal", "install", 1},
		{"fixtrue", "fixture", 1}, // a swap is one edit
		{"ca", "abc", 3},          // optimal string alignment: no edit of a swapped pair
		{"Install", "install", 0}, // case folded
		{"kitten", "sitting", 3},
		{"host.oss", "host.os", 1},
		{"ümlaut", "umlaut", 1}, // runes, not bytes
	} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := Distance(tc.b, tc.a); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (symmetric)", tc.b, tc.a, got, tc.want)
		}
	}
}

func TestClosest(t *testing.T) {
	commands := []string{"install", "register", "enable", "uninstall", "signin", "operate", "list", "snapshot", "explain", "logs"}
	for _, tc := range []struct {
		s     string
		valid []string
		want  string
	}{
		{"instal", commands, "install"},
		{"regsiter", commands, "register"},
		{"unistall", commands, "uninstall"},
		{"lsit", commands, "list"},
		{"log", commands, "logs"},
		{"inst", commands, "install"},    // the one name it starts
		{"xyz", commands, ""},            // nothing near
		{"install", commands, ""},        // valid already
		{"Install", commands, "install"}, // only the case differs
		{"Only", []string{"only", "skip"}, "only"},
		{"", commands, ""},             // nothing typed
		{"a", []string{"b", "c"}, "b"}, // a tie: the first in the list
		{"ab", []string{"xb", "ax"}, "xb"},
		{"en", commands, ""}, // too short to be a prefix hint
		{"china2", []string{"public", "usgov"}, ""},
		{"pubic", []string{"public", "usgov"}, "public"},
		{"jsn", []string{"text", "json", "junit", "prometheus"}, "json"},
		{"xml", []string{"text", "json", "junit", "prometheus"}, ""},
	} {
		if got := Closest(tc.s, tc.valid); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.s, got, tc.want)
		}
	}
	if got := DidYouMean("fixtrue", []string{"fixture", "only"}, "--"); got != "did you mean --fixture?" {
		t.Errorf("DidYouMean = %q", got)
	}
	if got := DidYouMean("zzzzzz", []string{"fixture"}, "--"); got != "" {
		t.Errorf("DidYouMean far = %q", got)
	}
}
