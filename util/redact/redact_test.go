package redact

import (
	"encoding/json"
	"encoding/xml"
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

// Secrets of any length are masked: a 3-character password is printed
// nowhere (it used to be ignored under 4 bytes).
func TestShortSecrets(t *testing.T) {
	t.Cleanup(Reset)
	Secret("p4w")
	Secret("x")
	Secret("  ")
	if got := String("wrong password p4w for x@contoso.com"); strings.Contains(got, "p4w") || strings.Contains(got, "x") {
		t.Errorf("String: %q", got)
	}
	// Markup leaves them to the field-level pass: "x" is in the markup.
	doc := []byte(`<x a="p4w">p4w</x>`)
	if got := string(Markup(doc)); got != string(doc) {
		t.Errorf("Markup touched a short secret: %q", got)
	}
}

// JSON masks string values (any length), never keys or markup, and the
// document stays valid.
func TestJSON(t *testing.T) {
	t.Cleanup(Reset)
	Secret("tat")           // inside the key "status"
	Secret(`a"b`)           // a quote, escaped in JSON
	Secret("Hunter]]>PW22") // long: Markup too
	in := []byte(`{"status": "pass", "message": "bind with tat failed", "list": ["a\"b", "ok"], "n": 1, "long": "x Hunter]]>PW22 y"}`)
	out := JSON(in)
	var v map[string]any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	if v["status"] != "pass" || v["message"] != "bind with "+Mask+" failed" || v["list"].([]any)[0] != Mask || v["long"] != "x "+Mask+" y" {
		t.Errorf("%s", out)
	}
}

// A secret with "]]>" is masked in the form encoding/xml gives it in CDATA.
func TestCDATAForm(t *testing.T) {
	t.Cleanup(Reset)
	Secret("pa]]>ss99")
	var b strings.Builder
	xml.NewEncoder(&b).Encode(struct {
		XMLName xml.Name `xml:"x"`
		Body    string   `xml:",cdata"`
	}{Body: "pw pa]]>ss99 end"})
	if got := string(Markup([]byte(b.String()))); strings.Contains(got, "ss99") {
		t.Errorf("%s -> %s", b.String(), got)
	}
}
