package textfmt

import (
	"strings"
	"testing"
)

func TestFold(t *testing.T) {
	for _, tc := range []struct {
		name, first, rest, text string
		width                   int
		want                    string
	}{
		{"no width", "- ", "  ", "one two three", 0, "- one two three\n"},
		{"hanging indent", "- ", "  ", "one two three four", 10, "- one two\n  three\n  four\n"},
		{"a long word is not split", "", "  ", "see https://learn.microsoft.com/entra/identity", 20, "see\n  https://learn.microsoft.com/entra/identity\n"},
		{"a word that fits under the indent leaves first alone", "  PASS   id.long  ", "    ", "admin@contoso.onmicrosoft.com: cloud", 32,
			"  PASS   id.long\n    admin@contoso.onmicrosoft.com:\n    cloud\n"},
		{"colours take no room", "\x1b[31mFAIL\x1b[0m ", "     ", "aaa bbb", 12, "\x1b[31mFAIL\x1b[0m aaa bbb\n"},
		{"empty text: the prefix without trailing spaces", "  PASS   id  ", "", "", 40, "  PASS   id\n"},
	} {
		if got := Fold(tc.first, tc.rest, tc.text, tc.width); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if Visible("\x1b[32mPASS\x1b[0m é") != 6 {
		t.Errorf("Visible: %d", Visible("\x1b[32mPASS\x1b[0m é"))
	}
	for _, line := range strings.Split(Fold("", "  ", strings.Repeat("word ", 100), 30), "\n") {
		if len(line) > 30 {
			t.Errorf("%q wider than 30", line)
		}
	}
}
