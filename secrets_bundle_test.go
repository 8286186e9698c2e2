//go:build !windows

package main

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// bundleSecretLogs writes trace logs that hide secrets where a chunked or
// byte-level redaction misses them: a line of 3 MiB with the password
// straddling the 1 MiB redaction chunk and a proxy credential straddling
// 2 MiB; the same in a deflated and in a stored .zip archive. It returns
// the folder and the long line (to check what the bundle kept of it).
func bundleSecretLogs(t *testing.T, password string) (string, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "Trace")
	os.MkdirAll(dir, 0o755)
	head := "AzureADConnectAuthenticationAgentService.exe Information: 0 : "
	long := head + strings.Repeat("a", (1<<20)-len(head)-4) + password + strings.Repeat("b", (1<<20)-len(password)-10) +
		"http://bob:" + "HunterPW" + "@proxy:8080 " + strings.Repeat("c", 1<<20) + "\r\n    DateTime=2024-01-01T00:00:00Z\r\n"
	os.WriteFile(filepath.Join(dir, "long_trace.log"), []byte(long), 0o644)
	for _, z := range []struct {
		name   string
		method uint16
	}{{"deflated.zip", zip.Deflate}, {"stored.zip", zip.Store}} {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, e := range []string{"AzureADConnectAuthenticationAgent_1.log", "AzureADConnectAuthenticationAgent_2.log"} {
			w, _ := zw.CreateHeader(&zip.FileHeader{Name: e, Method: z.method})
			w.Write([]byte(head + "password " + password + " token ghp_TOKEN123456\r\n" + long))
		}
		zw.Close()
		os.WriteFile(filepath.Join(dir, z.name), buf.Bytes(), 0o644)
	}
	return dir, long
}

// The secrets test's bundle cases, on the built binary: the password that
// straddles the 1 MiB chunk of a long line, a deflated and a stored .zip
// trace log. No secret in any entry, nor in any entry of a re-packed
// archive; the archives stay valid zips (their CRCs checked on reading);
// the long line is kept apart from the masks. Time and peak RSS measured.
func TestSecretsInBundledLogs(t *testing.T) {
	bin := builtBinary(t)
	const password = "S3cretPW"
	logs, long := bundleSecretLogs(t, password)
	token := writeTemp(t, "ghp_TOKEN123456\n")
	adminPW := writeTemp(t, password+"\n")
	out := filepath.Join(t.TempDir(), "b.zip")
	code, stdout, stderr, took := runBuilt(t, bin, "collect", "--out", out, "--fixture", "healthy", "--logs", logs,
		"--token-file", token, "--admin-upn", "admin@contoso.com", "--admin-password-file", adminPW)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	if took > 20*time.Second {
		t.Errorf("took %s", took)
	}
	assertNoSecret(t, "collect output", stdout, stderr)
	entries := readBundle(t, out)
	m := checkManifest(t, entries)
	archives := 0
	for name, data := range entries {
		assertNoSecret(t, "bundle "+name, string(data))
		if !strings.HasSuffix(name, ".zip") {
			continue
		}
		archives++
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("%s is not a valid zip: %v", name, err)
		}
		if len(zr.File) != 2 {
			t.Errorf("%s: %d entries, want 2", name, len(zr.File))
		}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			inner, err := io.ReadAll(rc)
			if err != nil {
				t.Fatalf("%s!/%s: %v", name, f.Name, err)
			}
			assertNoSecret(t, name+"!/"+f.Name, string(inner))
			if !strings.Contains(string(inner), "password [redacted] token [redacted]") {
				t.Errorf("%s!/%s: not the redacted log", name, f.Name)
			}
		}
	}
	if archives != 2 {
		t.Errorf("%d re-packed archives in the bundle, want 2", archives)
	}
	want := strings.NewReplacer(password, "[redacted]", "bob:HunterPW@", "[redacted]@").Replace(long)
	var got string
	for name, data := range entries {
		if strings.HasSuffix(name, "long_trace.log") {
			got = string(data)
		}
	}
	if got != want {
		t.Errorf("the long line: %d bytes in the bundle, want %d redacted", len(got), len(want))
	}
	for _, f := range m.Files {
		if strings.HasSuffix(f.Name, ".zip") && !strings.Contains(f.Description, "re-packed entry by entry") {
			t.Errorf("%s: %q", f.Name, f.Description)
		}
	}
}
