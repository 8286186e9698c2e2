package main

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	ber "github.com/go-asn1-ber/asn1-ber"
)

// hostileGraph answers every Graph call with an error that quotes the
// request's Authorization header, and every sign-in with one that quotes
// the posted form (the password) in error_description and in trace_id,
// which ptacheck shows: whatever ptacheck shows of a server's error must
// still not show a secret. The admin's user reads well, so that
// tenant.admin-account goes on to the password sign-in. It speaks TLS (the
// sign-in is https only); caFile is its certificate, for --ca-file.
func hostileGraph(t *testing.T) (url, caFile string) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusBadRequest)
			pw := r.PostForm.Get("password")
			json.NewEncoder(w).Encode(map[string]any{"error": "invalid_grant", "error_description": "AADSTS50126: wrong password " + pw + " for " + r.PostForm.Get("username"),
				"error_codes": []int{50126}, "trace_id": "echo " + pw})
			return
		}
		if strings.HasPrefix(r.URL.Path, "/v1.0/users/admin@contoso.com") && r.URL.Query().Get("$select") != "" {
			json.NewEncoder(w).Encode(map[string]any{"id": "6be4b305-b75e-4efc-bfcc-31bd3b53a5f8", "userPrincipalName": "admin@contoso.com",
				"accountEnabled": true, "userType": "Member", "onPremisesSyncEnabled": nil})
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": "InvalidAuthenticationToken", "message": "token rejected: " + r.Header.Get("Authorization")}})
	}))
	t.Cleanup(srv.Close)
	caFile = filepath.Join(t.TempDir(), "hostile-ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644)
	return srv.URL, caFile
}

// echoedPasswords are the admin passwords TestSecretsFromEveryInput plants
// and hostileGraph echoes: one with "]]>", one of 3 characters.
var echoedPasswords = []string{"Hu]]>tPW", "p4w"}

// assertNoEcho looks for the echoed admin passwords in the bytes and, for
// JSON and JUnit, in what a parser reads back: encoding/xml splits "]]>"
// across CDATA sections, which a byte search misses and a parser joins.
func assertNoEcho(t *testing.T, where, format string, outputs ...string) {
	t.Helper()
	for _, out := range outputs {
		texts := []string{out}
		switch format {
		case "junit":
			texts = append(texts, parsedXML(t, where, out))
		case "json":
			var v any
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Errorf("%s: not JSON: %v", where, err)
			}
			texts = append(texts, fmt.Sprint(v)) // every string as decoded
		}
		for _, text := range texts {
			for _, pw := range echoedPasswords {
				if strings.Contains(text, pw) {
					t.Errorf("%s: the admin password %q is read back:\n%s", where, pw, text)
				}
			}
		}
	}
}

// parsedXML is the text of every attribute and element of doc as an XML
// parser reads it, adjacent CDATA sections joined.
func parsedXML(t *testing.T, where, doc string) string {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(doc))
	var b, text strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Errorf("%s: not XML: %v", where, err)
			break
		}
		switch v := tok.(type) {
		case xml.StartElement:
			b.WriteString(text.String() + "\n")
			text.Reset()
			for _, a := range v.Attr {
				b.WriteString(a.Value + "\n")
			}
		case xml.CharData:
			text.Write(v)
		case xml.EndElement:
			b.WriteString(text.String() + "\n")
			text.Reset()
		}
	}
	return b.String()
}

// hostileDC is an LDAP server whose bind error quotes the bind password.
func hostileDC(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveLDAPResults(t, l, func(op *ber.Packet) (int64, string, ber.Tag, bool) {
		diag, tag := "unsupported", ber.Tag(op.Tag+1) // the response of a request
		if op.Tag == 0 && len(op.Children) >= 3 {
			diag = fmt.Sprintf("80090308: LdapErr: DSID-0C09041C, bind of %v with password %s rejected", op.Children[1].Value, op.Children[2].Data.String())
		}
		if op.Tag == 3 {
			tag = 5 // SearchResultDone
		}
		return 49, diag, tag, false
	})
	return l.Addr().String()
}

// TestSecretsFromEveryInput plants the Graph token, the LDAP bind password
// and the admin password through files and environment variables, points
// ptacheck at servers that quote them back in their errors, and looks for
// them in everything each command writes: stdout, stderr (with -v), report
// files in every format, and every file of a support bundle.
func TestSecretsFromEveryInput(t *testing.T) {
	graphURL, caFile := hostileGraph(t)
	dc, dnsAddr := hostileDC(t), nxdomainDNS(t)
	dir := t.TempDir()
	snap := filepath.Join(dir, "host.json")
	os.WriteFile(snap, []byte(`{"schema_version": "1", "os": {"product_name": "Windows Server 2022", "build": 20348, "installation_type": "Server"}, "computer_name": "PTA01", "domain": "corp.contoso.test"}`), 0o644)
	// The admin password has a "]]>" (JUnit CDATA) in one input and 3
	// characters (masked too, at any length) in the other.
	tokenFile, ldapFile, adminFile := writeTemp(t, "ghp_TOKEN123456\n"), writeTemp(t, "S3cretPW\n"), writeTemp(t, "Hu]]>tPW\n")
	// The settings the commands share come from a config file: each
	// command takes those it has flags for.
	settings := map[string]any{"host-snapshot": snap, "dns-server": dnsAddr, "probe-timeout": "500ms",
		"graph-url": graphURL, "login-url": graphURL, "ca-file": caFile, "tenant-id": "8b9c2f35-7f6d-4e8a-9d0e-2b1c3a4d5e6f",
		"dc": dc, "domain": "corp.contoso.test", "ldap-security": "plain", "ldap-user": "svc@corp.contoso.test", "admin-upn": "admin@contoso.com"}
	common := []string{"--config", configFile(t, settings), "-v"}
	files := map[string]any{"token-file": tokenFile, "ldap-password-file": ldapFile, "admin-password-file": adminFile}
	for k, v := range settings {
		files[k] = v
	}
	inputs := map[string]struct {
		env  map[string]string
		args []string
	}{
		"files":       {nil, []string{"--config", configFile(t, files)}},
		"environment": {map[string]string{"PTACHECK_GRAPH_TOKEN": "ghp_TOKEN123456", "PTACHECK_LDAP_PASSWORD": "S3cretPW", "PTACHECK_ADMIN_PASSWORD": "p4w"}, nil},
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			for _, k := range []string{"PTACHECK_GRAPH_TOKEN", "PTACHECK_LDAP_PASSWORD", "PTACHECK_ADMIN_PASSWORD", "HTTPS_PROXY", "HTTP_PROXY"} {
				t.Setenv(k, in.env[k])
			}
			// The servers did get the token, the bind password and the
			// admin password and quoted them back: the test is not vacuous.
			var quotedToken, quotedLDAP, quotedAdmin bool
			for _, phase := range []string{"register", "enable", "uninstall", "operate"} {
				for _, format := range []string{"text", "json", "junit"} {
					rf := filepath.Join(t.TempDir(), "r")
					args := append(append(append([]string{phase}, common...), in.args...), "-o", format, "--report-file", rf)
					r := runCLI(t, args...)
					data, _ := os.ReadFile(rf)
					assertNoSecret(t, phase+" -o "+format, r.stdout, r.stderr, string(data))
					assertNoEcho(t, phase+" -o "+format, format, r.stdout, string(data))
					quotedToken = quotedToken || strings.Contains(r.stdout, "Bearer [redacted]")
					quotedLDAP = quotedLDAP || strings.Contains(r.stdout, "password [redacted]")
					quotedAdmin = quotedAdmin || strings.Contains(r.stdout, "echo [redacted]")
					if os.Getenv("PTACHECK_SHOW") != "" && format == "text" && phase == "enable" {
						t.Logf("%s", r.stdout)
					}
					if r.code == 0 || r.code == 2 {
						t.Errorf("%s: exit %d against hostile servers: %s", phase, r.code, r.stderr)
					}
				}
			}
			if !quotedToken || !quotedLDAP || !quotedAdmin {
				t.Errorf("token quoted %v, bind password quoted %v, admin password quoted %v: a server's error never reached the output, so this test proves nothing for it", quotedToken, quotedLDAP, quotedAdmin)
			}
			args := append(append([]string{"signin", "--user", "alice@contoso.com"}, common...), in.args...)
			r := runCLI(t, args...)
			assertNoSecret(t, "signin", r.stdout, r.stderr)
			out := filepath.Join(t.TempDir(), "b.zip")
			args = append(append([]string{"collect", "--out", out, "--phase", "all,signin", "--user", "alice@contoso.com"}, common...), in.args...)
			r = runCLI(t, args...)
			assertNoSecret(t, "collect", r.stdout, r.stderr)
			if r.code != 0 {
				t.Fatalf("collect: exit %d: %s", r.code, r.stderr)
			}
			for entry, data := range readBundle(t, out) {
				assertNoSecret(t, "bundle "+entry, string(data))
			}
		})
	}
}

// hostileLDAPS is a DC over LDAPS that accepts anonymous binds and answers
// every other bind with AD's "data 52e" and the password it was sent, and
// every search with nothing. binds receives each bind's name.
func hostileLDAPS(t *testing.T) (addr, caFile string, binds func() []string) {
	srv := httptest.NewUnstartedServer(nil)
	srv.StartTLS() // only for its certificate, valid for 127.0.0.1
	t.Cleanup(srv.Close)
	caFile = filepath.Join(t.TempDir(), "hostile-dc-ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644)
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: srv.TLS.Certificates})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var names []string
	serveLDAPResults(t, l, func(op *ber.Packet) (int64, string, ber.Tag, bool) {
		code, diag, tag := int64(0), "", ber.Tag(op.Tag+1)
		switch {
		case op.Tag == 0 && len(op.Children) >= 3:
			name, password := fmt.Sprint(op.Children[1].Value), op.Children[2].Data.String()
			mu.Lock()
			names = append(names, name)
			mu.Unlock()
			if name != "" || password != "" {
				code, diag = 49, "80090308: LdapErr: DSID-0C09056B, comment: AcceptSecurityContext error, data 52e, v4563 (the password "+password+" is wrong)\x00"
			}
		case op.Tag == 3:
			tag = 5 // SearchResultDone, no entries
		case op.Tag == 2:
			return 0, "", 0, true // unbind
		default:
			code, diag = 53, "unwilling"
		}
		return code, diag, tag, false
	})
	return l.Addr().String(), caFile, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), names...)
	}
}

// The signin user's password (user.password) from --password-file and
// PTACHECK_USER_PASSWORD: a DC that quotes it back in its bind error does
// not get it shown in any output, report or bundle; it is sent in exactly
// one bind per run, never by collect, and never over plain LDAP or an
// unverified TLS connection, for more than one user, or from an empty file.
func TestUserPasswordNeverShown(t *testing.T) {
	addr, caFile, binds := hostileLDAPS(t)
	dnsAddr := nxdomainDNS(t)
	const secret = "S3cretPW"
	pwFile := writeTemp(t, secret+"\n")
	bindsAs := func(user string) int {
		n := 0
		for _, b := range binds() {
			if b == user {
				n++
			}
		}
		return n
	}
	common := []string{"--dc", addr, "--domain", "corp.contoso.test", "--ca-file", caFile, "--dns-server", dnsAddr, "-v",
		"--only", "user.password", "--user", "alice@contoso.com"}
	inputs := map[string]struct {
		env  string
		args []string
	}{
		"file":        {"", []string{"--password-file", pwFile}},
		"environment": {secret, nil},
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			t.Setenv("PTACHECK_USER_PASSWORD", in.env)
			for _, format := range []string{"text", "json", "junit"} {
				before := bindsAs("alice@contoso.com")
				rf := filepath.Join(t.TempDir(), "r")
				r := runCLI(t, append(append(append([]string{"signin"}, common...), in.args...), "-o", format, "--report-file", rf)...)
				data, _ := os.ReadFile(rf)
				assertNoSecret(t, "signin -o "+format, r.stdout, r.stderr, string(data))
				if r.code != 1 || !strings.Contains(r.stdout+string(data), "1326") {
					t.Fatalf("-o %s: exit %d, want 1 with 1326:\n%s%s", format, r.code, r.stdout, r.stderr)
				}
				// The DC got the password and quoted it: the test is not vacuous.
				if format == "json" && !strings.Contains(r.stdout, "the password [redacted] is wrong") {
					t.Errorf("the DC's quote of the password is not in the report, so this test proves nothing:\n%s", r.stdout)
				}
				if n := bindsAs("alice@contoso.com") - before; n != 1 {
					t.Errorf("-o %s: %d binds as the user, want exactly one", format, n)
				}
			}
		})
	}
	// --retry-timeout re-runs the checks until they pass: the password is
	// not sent again, the first answer is reported again.
	t.Setenv("PTACHECK_USER_PASSWORD", secret)
	before := bindsAs("alice@contoso.com")
	r := runCLI(t, append(append([]string{"signin"}, common...), "--retry-timeout", "2s", "--sleep", "500ms", "-o", "json")...)
	if n := bindsAs("alice@contoso.com") - before; r.code != 1 || n != 1 || !strings.Contains(r.stdout, `"repeat": true`) {
		t.Errorf("with --retry-timeout: exit %d, %d binds as the user (want 1), repeat not reported:\n%s", r.code, n, r.stdout)
	}
	// collect never tries a password, even with one in the environment.
	before = bindsAs("alice@contoso.com")
	out := filepath.Join(t.TempDir(), "b.zip")
	r = runCLI(t, "collect", "--out", out, "--phase", "signin", "--user", "alice@contoso.com", "--dc", addr, "--domain", "corp.contoso.test",
		"--ca-file", caFile, "--dns-server", dnsAddr, "--probe-timeout", "500ms")
	assertNoSecret(t, "collect", r.stdout, r.stderr)
	for entry, data := range readBundle(t, out) {
		assertNoSecret(t, "bundle "+entry, string(data))
	}
	if n := bindsAs("alice@contoso.com") - before; n != 0 {
		t.Errorf("collect sent %d binds as the user", n)
	}
	// Refusals: the usage error names the input, never the password, and
	// nothing is sent.
	before = bindsAs("alice@contoso.com")
	for _, args := range [][]string{
		{"--ldap-security", "plain"},
		{"--ldap-insecure-skip-verify"},
		{"--user", "bob@contoso.com"},
	} {
		r := runCLI(t, append(append([]string{"signin"}, common...), args...)...)
		assertNoSecret(t, strings.Join(args, " "), r.stdout, r.stderr)
		if r.code != 2 || !strings.Contains(r.stderr, "PTACHECK_USER_PASSWORD") {
			t.Errorf("%v: exit %d %s, want a usage error", args, r.code, r.stderr)
		}
	}
	t.Setenv("PTACHECK_USER_PASSWORD", "")
	if r := runCLI(t, append(append([]string{"signin"}, common...), "--password-file", writeTemp(t, "\n"))...); r.code != 2 || !strings.Contains(r.stderr, "empty") {
		t.Errorf("an empty password file: exit %d %s", r.code, r.stderr)
	}
	if n := bindsAs("alice@contoso.com") - before; n != 0 {
		t.Errorf("%d binds as the user after refusals", n)
	}
	if r := runCLI(t, "collect", "--out", out, "--password-file", pwFile); r.code != 2 {
		t.Errorf("collect --password-file: exit %d, want 2 (collect never tries a password)", r.code)
	}
}

// serveLDAPResults serves LDAP on l until the test ends: each request gets
// the LDAPResult answer gives for its operation (result code, diagnostic
// message, response tag), or the connection ends when answer says so.
func serveLDAPResults(t *testing.T, l net.Listener, answer func(op *ber.Packet) (code int64, diag string, tag ber.Tag, end bool)) {
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					p, err := ber.ReadPacket(br)
					if err != nil || len(p.Children) < 2 {
						return
					}
					code, diag, tag, end := answer(p.Children[1])
					if end {
						return
					}
					resp := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
					resp.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, p.Children[0].Value, ""))
					res := ber.Encode(ber.ClassApplication, ber.TypeConstructed, tag, nil, "")
					res.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, code, ""))
					res.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", ""))
					res.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, diag, ""))
					resp.AppendChild(res)
					if _, err := c.Write(resp.Bytes()); err != nil {
						return
					}
				}
			})
		}
	})
}
