package redact

import (
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	Secret("ghp_TOKEN123456")
	Secret("eyJ0eXAiOiJKV1Qi.payload.sig")
	for _, tc := range []struct{ in, leak string }{
		{"proxy http://ghp_TOKEN123456@127.0.0.20:3128 refused", "ghp_TOKEN123456"},
		{"https://alice:S3cretPW@proxy:8080", "S3cretPW"},
		{"socks5://alice:S3cretPW@proxy:1080", "S3cretPW"},
		{`parse "http://alice:S3cr%zzetPW@127.0.0.20:3128": invalid URL escape "%zz"`, "S3cr%zzetPW"},
		{"Authorization: Bearer eyJ0eXAiOiJKV1Qi.payload.sig", "eyJ0eXAiOiJKV1Qi"},
		{"token ghp_TOKEN123456 in text", "ghp_TOKEN123456"},
	} {
		got := String(tc.in)
		if strings.Contains(got, tc.leak) {
			t.Errorf("String(%q) = %q: leaks %q", tc.in, got, tc.leak)
		}
		if !strings.Contains(got, Mask) {
			t.Errorf("String(%q) = %q: no mask", tc.in, got)
		}
	}
	// Ordinary text, UPNs and e-mail addresses stay as they are.
	for _, keep := range []string{"admin@contoso.onmicrosoft.com cannot sign in", "login.microsoftonline.com:443 ok", "http://127.0.0.1:3128"} {
		if got := String(keep); got != keep {
			t.Errorf("String(%q) = %q, want it unchanged", keep, got)
		}
	}
}

func TestURL(t *testing.T) {
	for in, want := range map[string]string{
		"http=bob:HunterPW@10.0.0.1:8080;https=10.0.0.2:8443": "http=" + Mask + "@10.0.0.1:8080;https=10.0.0.2:8443",
		"bob:HunterPW@proxy:3128":                             Mask + "@proxy:3128",
		"http://bob@proxy:3128":                               "http://" + Mask + "@proxy:3128",
		"proxy.contoso.com:8080":                              "proxy.contoso.com:8080",
	} {
		if got := URL(in); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
}
