package main

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ptacheck/ptacheck/checks/tracelog/tracelogtest"
)

// readBundle opens a bundle and returns its entries by name.
func readBundle(t *testing.T, path string) map[string][]byte {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("open bundle: %v", err)
	}
	defer zr.Close()
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := out[f.Name]; dup {
			t.Errorf("entry %s twice", f.Name)
		}
		out[f.Name] = data
	}
	return out
}

type bundleManifest struct {
	Kind  string `json:"kind"`
	Files []struct {
		Name         string `json:"name"`
		Description  string `json:"description"`
		Bytes        int64  `json:"bytes"`
		SHA256       string `json:"sha256"`
		PersonalData string `json:"personal_data"`
		Source       string `json:"source"`
		Truncated    bool   `json:"truncated"`
	} `json:"files"`
	NotCollected []struct {
		Item   string `json:"item"`
		Reason string `json:"reason"`
	} `json:"not_collected"`
}

// checkManifest asserts the manifest lists exactly the bundle's other
// entries with their sizes and hashes.
func checkManifest(t *testing.T, entries map[string][]byte) bundleManifest {
	t.Helper()
	var m bundleManifest
	if err := json.Unmarshal(entries["MANIFEST.json"], &m); err != nil {
		t.Fatalf("MANIFEST.json: %v", err)
	}
	listed := map[string]bool{}
	for _, f := range m.Files {
		listed[f.Name] = true
		data, ok := entries[f.Name]
		if !ok {
			t.Errorf("manifest lists %s, which is not in the bundle", f.Name)
			continue
		}
		sum := sha256.Sum256(data)
		if int64(len(data)) != f.Bytes || hex.EncodeToString(sum[:]) != f.SHA256 {
			t.Errorf("%s: manifest says %d bytes %s, the entry has %d bytes %x", f.Name, f.Bytes, f.SHA256, len(data), sum)
		}
	}
	for name := range entries {
		if name != "MANIFEST.json" && !listed[name] {
			t.Errorf("%s is in the bundle but not in the manifest", name)
		}
	}
	return m
}

func TestCollectBundle(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "Trace")
	os.MkdirAll(logs, 0o755)
	f, _ := os.Create(filepath.Join(logs, "AzureADConnectAuthenticationAgent_trace.log"))
	truth, err := tracelogtest.Generate(f, tracelogtest.Config{Size: 1 << 20, Seed: 3})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	// A second, older log that holds secrets and a proxy credential: the
	// bundle copies it, redacted.
	leaky := filepath.Join(logs, "old_trace.log")
	os.WriteFile(leaky, []byte("AzureADConnectAuthenticationAgentService.exe Information: 0 : proxy http://alice:S3cretPW@10.0.0.1:8080 token ghp_TOKEN123456\r\n    DateTime=2024-01-01T00:00:00Z\r\n"), 0o644)
	os.Chtimes(leaky, truthTime, truthTime)
	token := writeTemp(t, "ghp_TOKEN123456")
	out := filepath.Join(dir, "bundle.zip")
	r := runCLI(t, "collect", "--out", out, "--fixture", "healthy", "--phase", "all", "--logs", logs, "--token-file", token, "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	assertNoSecret(t, "collect output", r.stdout, r.stderr)
	var printed struct {
		Kind   string `json:"kind"`
		Phases []struct {
			Phase, Verdict string
		} `json:"phases"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &printed); err != nil || printed.Kind != "collect" || len(printed.Phases) != 6 {
		t.Fatalf("collect -o json: %v %s", err, r.stdout)
	}
	st, err := os.Stat(out)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("bundle: %v, mode %v; want 0600 (it holds personal data)", err, st.Mode())
	}
	entries := readBundle(t, out)
	m := checkManifest(t, entries)
	for _, p := range []string{"install", "register", "enable", "uninstall", "operate"} {
		// The bundle's report is the phase's own.
		rep := parseJSON(t, string(entries["reports/"+p+".json"]))
		direct := parseJSON(t, runCLI(t, p, "--fixture", "healthy", "-o", "json").stdout)
		if rep.Verdict != direct.Verdict || rep.Fixture != "healthy" || len(rep.Checks) != len(direct.Checks) {
			t.Errorf("reports/%s.json: verdict %q fixture %q %d checks; ptacheck %s says %q with %d checks", p, rep.Verdict, rep.Fixture, len(rep.Checks), p, direct.Verdict, len(direct.Checks))
		}
		if !strings.Contains(string(entries["reports/"+p+".txt"]), "ptacheck "+p+":") {
			t.Errorf("reports/%s.txt: %s", p, entries["reports/"+p+".txt"])
		}
	}
	for _, name := range []string{"host/snapshot.json", "logs/summary.json", "security-log-query.xml", "ptacheck.txt", "PERSONAL-DATA.txt", "logs/001-AzureADConnectAuthenticationAgent_trace.log", "logs/002-old_trace.log"} {
		if _, ok := entries[name]; !ok {
			t.Errorf("bundle lacks %s", name)
		}
	}
	// The summary counts the generated failures (plus none in the leaky log).
	var sum struct {
		Failures int `json:"failures"`
	}
	if err := json.Unmarshal(entries["logs/summary.json"], &sum); err != nil || sum.Failures != truth.Failures {
		t.Errorf("logs/summary.json: %v failures %d, truth %d", err, sum.Failures, truth.Failures)
	}
	// Secrets: nowhere, though the copied log held them; the rest of it is kept.
	for name, data := range entries {
		assertNoSecret(t, "bundle "+name, string(data))
	}
	if !strings.Contains(string(entries["logs/002-old_trace.log"]), "@10.0.0.1:8080 token [redacted]") {
		t.Errorf("redacted log: %q", entries["logs/002-old_trace.log"])
	}
	// Personal data: every report and log is named in the note.
	note := string(entries["PERSONAL-DATA.txt"])
	for _, f := range m.Files {
		if f.PersonalData != "" && !strings.Contains(note, f.Name) {
			t.Errorf("PERSONAL-DATA.txt does not name %s", f.Name)
		}
		if strings.HasPrefix(f.Name, "logs/0") && (f.PersonalData == "" || f.Source == "") {
			t.Errorf("%s: personal data %q source %q", f.Name, f.PersonalData, f.Source)
		}
	}
	// Event logs exist only on Windows: not collected, with the reason.
	found := false
	for _, nc := range m.NotCollected {
		found = found || strings.HasPrefix(nc.Item, "events/")
	}
	if !found {
		t.Errorf("not_collected does not mention the event logs: %+v", m.NotCollected)
	}
}

var truthTime = mustTime("2020-01-01T00:00:00Z")

func TestCollectLogBudget(t *testing.T) {
	dir := t.TempDir()
	for i, name := range []string{"a.log", "b.log", "c.log"} {
		p := filepath.Join(dir, name)
		f, _ := os.Create(p)
		tracelogtest.Generate(f, tracelogtest.Config{Size: 64 << 10, Seed: uint64(i)})
		f.Close()
		ts := truthTime.AddDate(0, 0, i) // c.log is the newest
		os.Chtimes(p, ts, ts)
	}
	out := filepath.Join(t.TempDir(), "b.zip")
	r := runCLI(t, "collect", "--out", out, "--fixture", "healthy", "--logs", dir, "--max-log-bytes", "100000")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	entries := readBundle(t, out)
	m := checkManifest(t, entries)
	var copied []string
	var total int64
	for _, f := range m.Files {
		if strings.HasPrefix(f.Name, "logs/0") {
			copied = append(copied, f.Name)
			total += f.Bytes
		}
	}
	if strings.Join(copied, ",") != "logs/001-c.log,logs/002-b.log" || total > 100000 {
		t.Fatalf("copied %v (%d bytes); want the newest first within 100000 bytes", copied, total)
	}
	var left bool
	for _, nc := range m.NotCollected {
		left = left || (strings.HasSuffix(nc.Item, "a.log") && strings.Contains(nc.Reason, "--max-log-bytes"))
	}
	if !left || !anyTruncated(m) {
		t.Fatalf("a.log should be left out and b.log truncated: %+v", m)
	}
	if !strings.Contains(r.stdout, "not collected") {
		t.Errorf("text output does not say what was left out:\n%s", r.stdout)
	}
}

func anyTruncated(m bundleManifest) bool {
	for _, f := range m.Files {
		if f.Truncated {
			return true
		}
	}
	return false
}

func TestCollectUsage(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"collect"}, "--out FILE.zip"},
		{[]string{"collect", "--out", filepath.Join(dir, "b.tar")}, "zip"},
		{[]string{"collect", "--out", filepath.Join(dir, "b.zip"), "--phase", "bogus"}, "--phase"},
		{[]string{"collect", "--out", filepath.Join(dir, "b.zip"), "--phase", "signin", "--fixture", "healthy"}, "--user"},
		{[]string{"collect", "--out", filepath.Join(dir, "no", "such", "b.zip"), "--fixture", "healthy"}, "--out"},
		{[]string{"collect", "--out", filepath.Join(dir, "b.zip"), "--logs", filepath.Join(dir, "missing")}, "--logs"},
		{[]string{"collect", "--out", filepath.Join(dir, "b.zip"), "--report-file", "x"}, "--report-file does not apply to collect"},
	} {
		r := runCLI(t, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a failed collect left files behind: %v", entries)
	}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}
