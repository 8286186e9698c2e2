package hostfacts

import (
	"encoding/json"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSnapshot(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "scenarios", "app-proxy-present", "host.json"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse(good)
	if err != nil {
		t.Fatalf("fixture snapshot: %v", err)
	}
	if len(s.Services) != 2 || s.OS.Build != 20348 {
		t.Fatalf("parsed %+v", s)
	}
	if v, ok := s.RegistryNumber(RegNDP4, "release"); !ok || v != 528449 {
		t.Errorf("Release = %d, %v", v, ok)
	}
	bad := map[string]string{
		"":                                   "empty file",
		"{":                                  "cut short",
		"{\n\"schema_version\": \"1\",\n}":   "line 3",
		`{"schema_version": "2"}`:            `schema_version "2"`,
		`{"schema_version": "1", "oss": {}}`: `unknown field "oss"`,
		`{"schema_version": "1", "os": {"build": "x"}}`:                                   `field "os.build": a JSON string where an integer is expected`,
		`{"schema_version": "1", "services": [{"state": "running"}]}`:                     "services[0]: name is empty",
		`{"schema_version": "1", "services": [{"name": "A", "state": "Running"}]}`:        `services[0] (A): state "Running": want one of running, stopped`,
		`{"schema_version": "1", "services": [{"name": "A", "start_type": "automatic"}]}`: `services[0] (A): start_type "automatic": want one of auto, manual, disabled`,
		`{"schema_version": "1", "registry": {"HKCU\\x": {}}}`:                            "must start with HKLM",
		`{"schema_version": "1", "registry": {"HKLM\\x": {"v": {"a": 1}}}}`:               "number, string or array",
		`{"schema_version": "1", "registry": {"HKLM\\x": {"v": [1]}}}`:                    "non-string",
		`{"schema_version": "1"} {}`:                                                      "after the JSON object",
		`{"schema_version": "2", "schema_version": "1"}`:                                  `duplicate key "schema_version"`,
		`{"schema_version": "1", "os": {"build": 1, "build": 2}}`:                         `duplicate key "build"`,
		`[]`: "want a JSON object",
		`{"schema_version": "1", "uninstall_entries": [{"display_version": ""}]}`: "display_name is empty",
	}
	for in, want := range bad {
		_, err := Parse([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Parse(%q) = %v, want one line containing %q", in, err, want)
		}
	}
}

func TestReadFileIsBounded(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero here")
	}
	_, err := ReadFile("/dev/zero")
	if err == nil || !strings.Contains(err.Error(), "too large") || !strings.Contains(err.Error(), "1 MiB") {
		t.Fatalf("ReadFile(/dev/zero) = %v, want a size error", err)
	}
}

func TestEmptyListsAreArrays(t *testing.T) {
	s, err := Parse([]byte(`{"schema_version": "1", "os": {"product_name": "x", "build": 1, "installation_type": "Server"},
		"services": [], "uninstall_entries": [], "files": [], "registry": {}}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Services == nil || s.UninstallEntries == nil || s.Files == nil || s.Registry == nil {
		t.Errorf("nil lists after Parse: %+v", s)
	}
	if got := s.Unrecorded(evidenceLists...); len(got) != 0 {
		t.Errorf("explicit empty lists are evidence, Unrecorded = %v", got)
	}
	if got := s.ServicesMatching([]string{"x"}, nil); got == nil {
		t.Error("ServicesMatching returned nil, want []")
	}
}

// An absent or null evidence list is not evidence: Unrecorded names it,
// and written back it stays null, so a bundle's copy says no more than the
// file did.
func TestAbsentListsAreUnrecorded(t *testing.T) {
	s, err := Parse([]byte(`{"schema_version": "1", "os": {"product_name": "x", "build": 1, "installation_type": "Server"},
		"services": null, "files": ["C:\\x"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Unrecorded(EvidenceFiles, EvidenceServices, EvidenceUninstall, EvidenceRegistry); strings.Join(got, ",") != "services,uninstall_entries,registry" {
		t.Errorf("Unrecorded = %v", got)
	}
	out, _ := json.Marshal(s)
	back, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Unrecorded(evidenceLists...); strings.Join(got, ",") != "services,uninstall_entries,registry" {
		t.Errorf("after a round trip: Unrecorded = %v (%s)", got, out)
	}
}

// Windows treats registry key and value names, service names and
// uninstall keys case-insensitively: two that differ only in case are an
// input error naming both, the same error every time (never map order).
func TestNamesDifferingOnlyInCase(t *testing.T) {
	const base = `{"schema_version": "1", "os": {"product_name": "x", "build": 1, "installation_type": "Server"}, `
	for in, want := range map[string]string{
		`"registry": {"HKLM\\SOFTWARE\\A": {}, "HKLM\\software\\a": {}, "HKLM\\B": {}}}`:                                 `registry keys "HKLM\\SOFTWARE\\A" and "HKLM\\software\\a" differ only in case`,
		`"registry": {"HKLM\\A": {"Release": 1, "release": 2, "Zeta": 1, "ZETA": 2}}}`:                                   `registry HKLM\A: value names "Release" and "release" differ only in case`,
		`"services": [{"name": "WAPCSvc"}, {"name": "wapcsvc"}]}`:                                                        `services "WAPCSvc" and "wapcsvc" differ only in case`,
		`"uninstall_entries": [{"display_name": "a", "key": "HKLM\\U\\x"}, {"display_name": "b", "key": "HKLM\\u\\X"}]}`: `uninstall_entries keys`,
	} {
		for range 20 {
			_, err := Parse([]byte(base + in))
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "Windows treats them as one name") {
				t.Fatalf("Parse(%s) = %v, want %q", in, err, want)
			}
		}
	}
}

// authroot_policy: absent is not recorded; the value must be named (null
// when not set); it survives a round trip.
func TestAuthRootPolicy(t *testing.T) {
	const base = `{"schema_version": "1", "os": {"product_name": "x", "build": 1, "installation_type": "Server"}`
	for in, want := range map[string]string{
		base + `}`: "absent",
		base + `, "authroot_policy": {"disable_root_auto_update": null}}`: "on",
		base + `, "authroot_policy": {"disable_root_auto_update": 0}}`:    "on",
		base + `, "authroot_policy": {"disable_root_auto_update": 1}}`:    "off",
	} {
		s, err := Parse([]byte(in))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		got := "absent"
		if p := s.AuthRootPolicy; p != nil && p.RootAutoUpdate() {
			got = "on"
		} else if p != nil {
			got = "off"
		}
		if got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
		out, _ := json.Marshal(s)
		if back, err := Parse(out); err != nil || (back.AuthRootPolicy == nil) != (s.AuthRootPolicy == nil) {
			t.Errorf("round trip of %s: %s, %v", in, out, err)
		}
	}
	for in, want := range map[string]string{
		base + `, "authroot_policy": {}}`:                                "disable_root_auto_update is missing",
		base + `, "authroot_policy": {"disable_root_auto_update": "1"}}`: "a JSON string where",
		base + `, "authroot_policy": {"disable_root_auto_update": -1}}`:  "authroot_policy",
		base + `, "authroot_policy": {"disableRootAutoUpdate": 1}}`:      "unknown field",
	} {
		if _, err := Parse([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%s) = %v, want %q", in, err, want)
		}
	}
}

// A snapshot with every field added to schema version 1: it parses, and
// writing it back gives the same JSON (lists as arrays, tri-states kept).
func TestParseSnapshotNewFields(t *testing.T) {
	in := `{
  "schema_version": "1",
  "os": {"product_name": "Windows Server 2022 Datacenter", "build": 20348, "installation_type": "Server"},
  "services": [{"name": "ADSync", "display_name": "Microsoft Azure AD Sync", "state": "running", "start_type": "auto", "delayed_auto_start": true, "binary_path": "C:\\x.exe"}],
  "uninstall_entries": [],
  "files": [],
  "registry": {},
  "agent_proxy": {"source": "agent config", "file": "C:\\a.config", "enabled": true, "use_default_credentials": false,
    "proxy_address": "http://proxy:8080", "bypass_on_local": true, "bypass": ["contoso\\.com$"], "auto_detect": null, "use_system_default": false},
  "trusted_roots": [{"subject": "DigiCert Global Root G2", "sha1": "df3c24f9bfd666761b268073fe06d1cc8d4f82a4", "not_after": "2038-01-15T12:00:00Z"}],
  "warnings": ["service WAPCSvc: QueryServiceConfig2 level 3 (delayed auto-start): invalid level (error 124)"]
}`
	s, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if svc, ok := s.Service(SvcADSync); !ok || !svc.DelayedAutoStart {
		t.Errorf("ADSync: %+v", svc)
	}
	if p := s.AgentProxy; p == nil || p.AutoDetect != nil || p.UseSystemDefault == nil || *p.UseSystemDefault || p.Describe() != `agent config (C:\a.config)` {
		t.Errorf("agent_proxy: %+v", p)
	}
	if r, ok := s.TrustedRoot(strings.ToUpper(RootsOfInterest[0].SHA1)); !ok || r.Subject != "DigiCert Global Root G2" {
		t.Errorf("trusted root: %+v", r)
	}
	if _, ok := s.TrustedRoot(RootsOfInterest[1].SHA1); ok {
		t.Error("DigiCert Global Root CA found, but the snapshot does not list it")
	}
	if w := s.WarningsAbout("service wapcsvc"); len(w) != 1 {
		t.Errorf("WarningsAbout(service wapcsvc) = %q", w)
	}
	if w := s.WarningsAbout("service WAPC", "uninstall"); len(w) != 0 {
		t.Errorf("a subject matched a longer one: %q", w)
	}
	var back, orig any
	out, _ := json.Marshal(s)
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal([]byte(in), &orig)
	if a, b := canonical(t, back), canonical(t, orig); a != b {
		t.Errorf("round trip changed the snapshot:\n got %s\nwant %s", a, b)
	}

	bad := map[string]string{
		`{"schema_version": "1", "trusted_roots": [{"subject": "x", "sha1": "xyz"}]}`:                                              "trusted_roots[0]: sha1",
		`{"schema_version": "1", "agent_proxy": {"source": "registry"}}`:                                                           `agent_proxy.source "registry"`,
		`{"schema_version": "1", "agent_proxy": {"source": "machine.config", "proxy_address": "http://u:p@proxy:1"}}`:              "credentials are never part of a snapshot",
		`{"schema_version": "1", "agent_proxy": {"source": "machine.config", "proxyaddress": "http://proxy:1"}}`:                   `unknown field "proxyaddress"`,
		`{"schema_version": "1", "warnings": [" "]}`:                                                                               "warnings[0] is empty",
		`{"schema_version": "1", "trusted_roots": [{"subject": "x", "sha1": "df3c24f9bfd666761b268073fe06d1cc8d4f82a4", "x": 1}]}`: "unknown field",
	}
	for in, want := range bad {
		_, err := Parse([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want %q", in, err, want)
		}
	}
}

// trusted_roots absent means "not recorded", [] means "none present": the
// two must survive a parse and a write.
func TestTrustedRootsAbsentVersusEmpty(t *testing.T) {
	const base = `{"schema_version": "1", "os": {"product_name": "x", "build": 1, "installation_type": "Server"}`
	absent, err := Parse([]byte(base + `}`))
	if err != nil {
		t.Fatal(err)
	}
	empty, err := Parse([]byte(base + `, "trusted_roots": []}`))
	if err != nil {
		t.Fatal(err)
	}
	if absent.TrustedRoots != nil || empty.TrustedRoots == nil {
		t.Fatalf("absent=%v empty=%v", absent.TrustedRoots, empty.TrustedRoots)
	}
	a, _ := json.Marshal(absent)
	e, _ := json.Marshal(empty)
	if strings.Contains(string(a), "trusted_roots") || !strings.Contains(string(e), `"trusted_roots":[]`) {
		t.Errorf("written: absent %s, empty %s", a, e)
	}
	// An absent agent_proxy is not recorded and stays absent when written
	// (its null would say "no <defaultProxy> in either file").
	if !strings.Contains(string(a), `"warnings":[]`) || strings.Contains(string(a), `"agent_proxy"`) {
		t.Errorf("warnings must be [] and agent_proxy left out when absent: %s", a)
	}
}

// agent_proxy: absent is not recorded, null is evidence ("neither file has
// <defaultProxy>"); both survive a write and a parse.
func TestAgentProxyAbsentVersusNull(t *testing.T) {
	const base = `{"schema_version": "1", "os": {"product_name": "x", "build": 1, "installation_type": "Server"}`
	for _, tc := range []struct {
		json       string
		unrecorded bool
	}{
		{base + `}`, true},
		{base + `, "agent_proxy": null}`, false},
		{base + `, "agent_proxy": {"source": "machine.config", "enabled": false}}`, false},
	} {
		s, err := Parse([]byte(tc.json))
		if err != nil {
			t.Fatal(err)
		}
		for round := range 2 {
			if got := len(s.Unrecorded(EvidenceAgentProxy)) > 0; got != tc.unrecorded {
				t.Errorf("%s (round %d): unrecorded %v, want %v", tc.json, round, got, tc.unrecorded)
			}
			data, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			if s, err = Parse(data); err != nil {
				t.Fatalf("%s: %v", data, err)
			}
		}
	}
}

// The live reader's rule: a configuration file that exists but cannot be
// read or parsed leaves agent_proxy unrecorded, with a warning; files that
// do not exist are evidence of no <defaultProxy>.
func TestRecordAgentProxy(t *testing.T) {
	const af, mf = `C:\agent.config`, `C:\machine.config`
	proxy := []byte(`<configuration><system.net><defaultProxy><proxy proxyaddress="http://p:8080"/></defaultProxy></system.net></configuration>`)
	for _, tc := range []struct {
		name           string
		agent, machine ConfigRead
		unrecorded     bool
		address        string
	}{
		{"neither file", ConfigRead{File: af, Err: fs.ErrNotExist}, ConfigRead{File: mf}, false, ""},
		{"machine.config", ConfigRead{File: af}, ConfigRead{File: mf, Data: proxy}, false, "http://p:8080"},
		{"agent file unreadable", ConfigRead{File: af, Err: errors.New("access denied")}, ConfigRead{File: mf}, true, ""},
		{"machine.config unreadable", ConfigRead{File: af, Data: proxy}, ConfigRead{File: mf, Err: errors.New("sharing violation")}, true, ""},
		{"agent file not XML", ConfigRead{File: af, Data: []byte("<configuration>")}, ConfigRead{File: mf, Data: proxy}, true, ""},
	} {
		s := &Snapshot{}
		s.recordAgentProxy(tc.agent, tc.machine)
		if got := len(s.Unrecorded(EvidenceAgentProxy)) > 0; got != tc.unrecorded {
			t.Errorf("%s: unrecorded %v, want %v (%+v)", tc.name, got, tc.unrecorded, s.AgentProxy)
		}
		switch {
		case tc.unrecorded && (s.AgentProxy != nil || len(s.Warnings) == 0):
			t.Errorf("%s: %+v, warnings %q", tc.name, s.AgentProxy, s.Warnings)
		case tc.address == "" && !tc.unrecorded && s.AgentProxy != nil:
			t.Errorf("%s: %+v", tc.name, s.AgentProxy)
		case tc.address != "" && (s.AgentProxy == nil || s.AgentProxy.ProxyAddress != tc.address):
			t.Errorf("%s: %+v", tc.name, s.AgentProxy)
		}
	}
}

func TestMatchRoot(t *testing.T) {
	for i, file := range []string{"DigiCert_Global_Root_G2.pem", "DigiCert_Global_Root_CA.pem"} {
		data, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		block, _ := pem.Decode(data)
		if block == nil {
			t.Fatalf("%s: no PEM block", file)
		}
		r, ok := MatchRoot(block.Bytes)
		k := RootsOfInterest[i]
		if !ok || r.SHA1 != k.SHA1 || r.Subject != k.Name || !strings.HasPrefix(r.NotAfter, "20") {
			t.Errorf("%s: %+v, %v; want %s %s", file, r, ok, k.Name, k.SHA1)
		}
	}
	if _, ok := MatchRoot([]byte("not a certificate")); ok {
		t.Error("MatchRoot accepted garbage")
	}
}

func canonical(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v) // maps marshal with sorted keys
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
