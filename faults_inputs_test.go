//go:build !windows

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf16"
)

// Inputs within their byte caps that hold millions of tiny values (review
// 22 §4: 0.3 to 2 GB once): each ends with exit 2 naming the limit, or
// runs, with the child's peak RSS under maxChildRSSMB (runBuilt asserts it
// from the child's rusage), and before any value is decoded.
func TestInputObjectBombs(t *testing.T) {
	bin := builtBinary(t)
	dir := t.TempDir()
	// Written in pieces: a 32 MiB string built here would raise this test
	// process's peak RSS, which a vforked child's rusage starts from.
	write := func(name, prefix, unit string, n int, suffix string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriter(f)
		w.WriteString(prefix)
		for range n {
			w.WriteString(unit)
		}
		w.WriteString(suffix)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		return p
	}
	// A real report whose checks are 31 MiB of {} (under the 32 MiB cap).
	good := filepath.Join(dir, "good.json")
	if code, _, stderr, _ := runBuilt(t, bin, "uninstall", "--fixture", "healthy", "-o", "json", "--report-file", good); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rep := string(mustRead(t, good))
	i := strings.Index(rep, `"checks": [`)
	if i < 0 {
		t.Fatalf("no checks in the report: %.200s", rep)
	}
	i += len(`"checks": [`)
	repBomb := write("repbomb.json", rep[:i], "{},", (31<<20)/3, rep[i:])
	repScalars := write("repscalars.json", rep[:i], "0,", (31<<20)/2, rep[i:])
	epBomb := write("epbomb.json", `{"endpoints": [`, "{},", (4<<20)/3-10, `{}]}`)
	for _, f := range []string{"fixture.json", "host.json", "directory.json", "tenant.json"} {
		data, err := os.ReadFile(filepath.Join("fixtures", "scenarios", "healthy", f))
		if err != nil {
			t.Fatal(err)
		}
		write(filepath.Join("tbomb", f), string(data), "", 0, "")
		write(filepath.Join("dbomb", f), string(data), "", 0, "")
	}
	write(filepath.Join("tbomb", "tenant.json"), `{"users": [`, "{},", (4<<20)/3-10, `{}]}`)
	write(filepath.Join("dbomb", "directory.json"), `{"users": [`, "{},", (4<<20)/3-10, `{}]}`)
	blank := write("blank.txt", "", "\n", 16<<20, "")
	manyUsers := filepath.Join(dir, "many.txt")
	f, err := os.Create(manyUsers)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for n, size := 0, 0; size < 16<<20-32; n++ { // over a million UPNs, 16 MiB
		m, _ := fmt.Fprintf(w, "u%d@a.bc\n", n)
		size += m
	}
	w.Flush()
	f.Close()
	const objects = "more than 100,000 JSON objects and arrays in one file: at most 100,000 are read"
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"summarize report of {}", []string{"summarize", repBomb}, 2, repBomb + ": line 22 column "},
		{"summarize report of {} names the limit", []string{"summarize", repBomb}, 2, objects},
		{"summarize report of 0", []string{"summarize", repScalars}, 2, "more than 1,000,000 JSON values in one file"},
		{"--endpoints-file of {}", []string{"list", "--endpoints", "--endpoints-file", epBomb}, 2, objects},
		{"tenant.json of {}", []string{"install", "--fixture", filepath.Join(dir, "tbomb")}, 2, "tenant.json: line 1 column 300007: " + objects},
		{"directory.json of {}", []string{"install", "--fixture", filepath.Join(dir, "dbomb")}, 2, "directory.json: line 1 column 300007: " + objects},
		{"--users-file of blank lines", []string{"signin", "--fixture", "upn-mismatch", "--users-file", blank}, 2, "no user in the file"},
		{"--users-file of 2 million UPNs", []string{"signin", "--fixture", "upn-mismatch", "--users-file", manyUsers}, 2, "more than 100000 users; at most 100000 per run"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr, took := runBuilt(t, bin, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d (want %d), stderr %q, want it to hold %q", code, tc.code, stderr, tc.want)
			}
			if took > 10*time.Second {
				t.Errorf("took %s", took)
			}
		})
	}
}

// What Windows PowerShell 5.1 writes is read as its text (review 22 §5):
// Set-Content -Encoding UTF8 writes a UTF-8 byte order mark, the >
// operator UTF-16 LE with one. Reports for summarize, host snapshots,
// --config, --endpoints-file and --users-file, each in both.
func TestWindowsEncodedInputs(t *testing.T) {
	bin := builtBinary(t)
	dir := t.TempDir()
	bom8 := func(s string) []byte { return append([]byte{0xEF, 0xBB, 0xBF}, s...) }
	utf16le := func(s string) []byte {
		b := []byte{0xFF, 0xFE}
		for _, u := range utf16.Encode([]rune(s)) {
			b = append(b, byte(u), byte(u>>8))
		}
		return b
	}
	encodings := map[string]func(string) []byte{"utf8-bom": bom8, "utf16le": utf16le}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := filepath.Join(dir, "good.json")
	if code, _, stderr, _ := runBuilt(t, bin, "install", "--fixture", "healthy", "-o", "json", "--report-file", good); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	report := strings.ReplaceAll(string(mustRead(t, good)), "\n", "\r\n")
	host := strings.ReplaceAll(string(mustRead(t, filepath.Join("fixtures", "scenarios", "healthy", "host.json"))), "\n", "\r\n")
	for name, enc := range encodings {
		t.Run(name, func(t *testing.T) {
			reports := write(filepath.Join(name, "reports", "pta01.json"), enc(report))
			code, stdout, stderr, _ := runBuilt(t, bin, "summarize", "-o", "json", filepath.Dir(reports))
			if code != 0 || !strings.Contains(stdout, `"ready"`) {
				t.Errorf("summarize: exit %d, stderr %q", code, stderr)
			}
			snap := write(filepath.Join(name, "host.json"), enc(host))
			if code, _, stderr, _ := runBuilt(t, bin, "install", "--host-snapshot", snap, "--only", "host.os", "-o", "json"); code != 0 {
				t.Errorf("--host-snapshot: exit %d, stderr %q", code, stderr)
			}
			cfg := write(filepath.Join(name, "config.json"), enc("{\"only\": [\"host.os\"]}\r\n"))
			code, stdout, stderr, _ = runBuilt(t, bin, "install", "--fixture", "healthy", "--config", cfg, "-o", "json")
			var rep struct{ Checks []struct{ ID string } }
			json.Unmarshal([]byte(stdout), &rep)
			if code != 0 || len(rep.Checks) != 1 || rep.Checks[0].ID != "host.os" {
				t.Errorf("--config: exit %d, checks %+v, stderr %q", code, rep.Checks, stderr)
			}
			eps := write(filepath.Join(name, "endpoints.json"), enc(`{"endpoints": [{"host": "extra.contoso.test", "ports": [443], "protocol": "tls", "level": "required"}]}`+"\r\n"))
			if code, stdout, stderr, _ := runBuilt(t, bin, "list", "--endpoints", "--endpoints-file", eps); code != 0 || !strings.Contains(stdout, "extra.contoso.test") {
				t.Errorf("--endpoints-file: exit %d, stderr %q", code, stderr)
			}
			// Only carol is named: the fixture's bob is not diagnosed.
			users := write(filepath.Join(name, "users.txt"), enc("# who\r\ncarol@contoso.com\r\n"))
			code, stdout, stderr, _ = runBuilt(t, bin, "signin", "--fixture", "upn-mismatch", "--users-file", users, "-o", "json")
			if code == 2 || !strings.Contains(stdout, "carol@contoso.com") || strings.Contains(stdout, "bob@contoso.com") {
				t.Errorf("--users-file: exit %d, stderr %q", code, stderr)
			}
		})
	}
}

// logs never opens a FIFO, a pipe or a device named as input (review 22
// §3: it waited for a writer, deaf to the first signal): each is refused
// at once with one line, exit 2, as operate --logs refuses them; a folder's
// FIFO is passed over and the folder read.
func TestLogsInputsNeverWait(t *testing.T) {
	bin := builtBinary(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close() // held open and never written
	for _, path := range []string{fifo, "/dev/fd/3", "/dev/zero"} {
		t.Run(path, func(t *testing.T) {
			cmd := exec.Command(bin, "logs", path)
			cmd.ExtraFiles = []*os.File{r}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			guard := time.AfterFunc(10*time.Second, func() { cmd.Process.Kill() })
			defer guard.Stop()
			cmd.Run()
			assertChildRSS(t, path, cmd.ProcessState)
			want := "ptacheck: logs: " + path + ": not a regular file or folder\n"
			if code := cmd.ProcessState.ExitCode(); code != 2 || stderr.String() != want {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr.String(), want)
			}
		})
	}
	logs := filepath.Join(dir, "logs")
	os.Mkdir(logs, 0o755)
	os.WriteFile(filepath.Join(logs, "empty.log"), nil, 0o644)
	if err := syscall.Mkfifo(filepath.Join(logs, "waiting.log"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Exit 3: nothing evaluated (no trace log in the folder), and the
	// FIFO never opened.
	if code, _, stderr, took := runBuilt(t, bin, "logs", logs); code != 3 || took > 10*time.Second {
		t.Errorf("a folder with a FIFO: exit %d in %s, stderr %q", code, took, stderr)
	}
}

// summarize FOLDER never opens the folder's FIFOs (review 22 §6: it waited
// for a writer): they are passed over, named under -v, and the reports
// beside them summarized.
func TestSummarizeFolderPassesOverFIFOs(t *testing.T) {
	bin := builtBinary(t)
	dir := filepath.Join(t.TempDir(), "reports")
	os.Mkdir(dir, 0o755)
	if code, _, stderr, _ := runBuilt(t, bin, "install", "--fixture", "healthy", "-o", "json", "--report-file", filepath.Join(dir, "a.json")); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	fifo := filepath.Join(dir, "zz.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr, took := runBuilt(t, bin, "summarize", dir)
	if code != 0 || stderr != "" || took > 10*time.Second {
		t.Errorf("exit %d in %s, stderr %q", code, took, stderr)
	}
	code, _, stderr, _ = runBuilt(t, bin, "summarize", "-v", dir)
	if want := "ptacheck: summarize: " + fifo + ": not a regular file, passed over\n"; code != 0 || stderr != want {
		t.Errorf("-v: exit %d, stderr %q, want %q", code, stderr, want)
	}
}

// A private report stays private (review 22 §10): --report-file replacing
// a file of mode 600 leaves it 600.
func TestReportFileKeepsMode(t *testing.T) {
	bin := builtBinary(t)
	p := filepath.Join(t.TempDir(), "private.json")
	os.WriteFile(p, []byte("s"), 0o600)
	os.Chmod(p, 0o600)
	if code, _, stderr, _ := runBuilt(t, bin, "install", "--fixture", "healthy", "--only", "host.os", "--report-file", p); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o600 || st.Size() < 100 {
		t.Errorf("%v %v", st.Mode(), err)
	}
}
