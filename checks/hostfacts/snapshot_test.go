package hostfacts

import (
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
		`{"schema_version": "1", "os": {"build": "x"}}`:                     `field "os.build": a JSON string where an integer is expected`,
		`{"schema_version": "1", "services": [{"state": "running"}]}`:       "services[0]: name is empty",
		`{"schema_version": "1", "registry": {"HKCU\\x": {}}}`:              "must start with HKLM",
		`{"schema_version": "1", "registry": {"HKLM\\x": {"v": {"a": 1}}}}`: "number, string or array",
		`{"schema_version": "1", "registry": {"HKLM\\x": {"v": [1]}}}`:      "non-string",
		`{"schema_version": "1"} {}`:                                        "after the JSON object",
		`{"schema_version": "2", "schema_version": "1"}`:                    `duplicate key "schema_version"`,
		`{"schema_version": "1", "os": {"build": 1, "build": 2}}`:           `duplicate key "build"`,
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
	s, err := Parse([]byte(`{"schema_version": "1", "os": {"product_name": "x", "build": 1, "installation_type": "Server"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Services == nil || s.UninstallEntries == nil || s.Files == nil || s.Registry == nil {
		t.Errorf("nil lists after Parse: %+v", s)
	}
	if got := s.ServicesMatching([]string{"x"}, nil); got == nil {
		t.Error("ServicesMatching returned nil, want []")
	}
}
