package hostsfile

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	data := "\xef\xbb\xbf# Copyright (c) 1993-2009 Microsoft Corp.\r\n" +
		"#\t127.0.0.1       localhost\r\n" +
		"127.0.0.9\tLogin.MicrosoftOnline.com.   # pinned\r\n" +
		"10.1.2.3 proxy proxy.corp.test\n" +
		"10.1.2.4 proxy\n" +
		"10.1.2.3 proxy\n" +
		"::ffff:10.9.9.9 mapped.test\n" +
		"fe80::1%eth0 linklocal.test\n" +
		"not-an-address bogus.test\n" +
		"10.0.0.1\n"
	f := Parse(`C:\Windows\System32\drivers\etc\hosts`, []byte(data))
	for name, want := range map[string][]string{
		"login.microsoftonline.com":  {"127.0.0.9"},
		"LOGIN.microsoftonline.com.": {"127.0.0.9"},
		"proxy":                      {"10.1.2.3", "10.1.2.4"},
		"proxy.corp.test":            {"10.1.2.3"},
		"mapped.test":                {"10.9.9.9"},
		"linklocal.test":             {"fe80::1%eth0"},
		"localhost":                  nil, // commented out, as on Windows
		"bogus.test":                 nil,
	} {
		if got := f.Lookup(name); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	if !f.Gave("proxy", []string{"10.1.2.4", "10.1.2.3"}) || f.Gave("proxy", []string{"10.1.2.3", "10.7.7.7"}) || f.Gave("other.test", []string{"10.1.2.3"}) || f.Gave("proxy", nil) {
		t.Error("Gave: an answer was attributed wrongly")
	}
	if !f.Gave("mapped.test", []string{"::ffff:10.9.9.9"}) {
		t.Error("Gave: an IPv4-mapped answer was not matched")
	}
	var nilFile *File
	if nilFile.Lookup("x") != nil || nilFile.Gave("x", []string{"1.2.3.4"}) {
		t.Error("a nil File names something")
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "hosts")
	if err := os.WriteFile(p, []byte("127.0.0.1 localhost\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFile(p)
	if err != nil || f.Path != p || !slices.Equal(f.Lookup("localhost"), []string{"127.0.0.1"}) {
		t.Fatalf("%v %v", f, err)
	}
	if _, err := ReadFile(filepath.Join(dir, "absent")); err == nil {
		t.Error("an absent file read")
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, []byte(strings.Repeat("#", MaxSize+1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(big); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("an oversized file: %v", err)
	}
}
