package setup

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A password file loses its one trailing line break and nothing else.
func TestSecretText(t *testing.T) {
	for in, want := range map[string]string{
		"pw":         "pw",
		"pw\n":       "pw",
		"pw\r\n":     "pw",
		"pw\n\n":     "pw\n",
		" pw \t\r\n": " pw \t",
		"pw\r":       "pw\r",
		"\n":         "",
	} {
		if got := secretText([]byte(in)); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// What Windows PowerShell 5.1 writes with "p@ss w0rd" > file (UTF-16 LE,
// a BOM, CR LF) is the password p@ss w0rd.
func TestPasswordFileFromPowerShell(t *testing.T) {
	p := filepath.Join(t.TempDir(), "pw.txt")
	data := []byte{0xFF, 0xFE}
	for _, r := range "p@ss w0rd\u00e9\r\n" {
		data = append(data, byte(r), byte(r>>8))
	}
	os.WriteFile(p, data, 0o600)
	a := AdminFlags{UPN: "admin@contoso.com", PassFile: p}
	in, err := a.Validate(context.Background(), func(string) string { return "" })
	if err != nil || in.password != "p@ss w0rd\u00e9" {
		t.Errorf("%q %v", in.password, err)
	}
}

// --users-file: blank lines and comments are skipped, UPNs deduplicated
// with --user, and the cap counted as the file is read.
func TestUsersFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "users.txt")
	os.WriteFile(p, []byte("\xef\xbb\xbf# team\r\n\r\nbob@contoso.com\r\n  carol@contoso.com  \n\n\nBOB@contoso.com\n"), 0o600)
	u := UsersFlags{Users: []string{"alice@contoso.com,bob@contoso.com"}, File: p}
	got, err := u.Validate(context.Background())
	if err != nil || strings.Join(got, " ") != "alice@contoso.com bob@contoso.com carol@contoso.com" {
		t.Errorf("%v %v", got, err)
	}
	var b strings.Builder
	for i := range maxUsers + 1 {
		fmt.Fprintf(&b, "u%d@contoso.com\n\n", i)
	}
	os.WriteFile(p, []byte(b.String()), 0o600)
	if _, err := (&UsersFlags{File: p}).Validate(context.Background()); err == nil || !strings.Contains(err.Error(), "more than 100000 users; at most 100000 per run") {
		t.Errorf("over the cap: %v", err)
	}
	os.WriteFile(p, []byte(b.String()[:strings.Index(b.String(), fmt.Sprintf("u%d@", maxUsers))]), 0o600)
	if got, err := (&UsersFlags{File: p}).Validate(context.Background()); err != nil || len(got) != maxUsers {
		t.Errorf("at the cap: %d users, %v", len(got), err)
	}
}
