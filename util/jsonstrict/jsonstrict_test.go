package jsonstrict

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type doc struct {
	Name  string         `json:"name"`
	Ports []int          `json:"ports"`
	Inner map[string]any `json:"inner"`
}

func TestDecode(t *testing.T) {
	var d doc
	if err := Decode([]byte(`{"name": "a", "ports": [1, 2], "inner": {"x": {"y": 1}, "z": [{"k": 1}, {"k": 2}]}}`), &d, false); err != nil {
		t.Fatalf("valid document: %v", err)
	}
	for in, want := range map[string]string{
		``:                                     "empty file",
		`{"name": "a"`:                         "cut short",
		`{"name": "a", "name": "b"}`:           `line 1 column 15: duplicate key "name"`,
		`{"inner": {"x": 1, "x": 2}}`:          `duplicate key "x"`,
		`{"inner": {"z": [{"k": 1, "k": 2}]}}`: `duplicate key "k"`,
		`{"nmae": "a"}`:                        `unknown field "nmae"`,
		`{"name": 1}`:                          `field "name": a JSON number where a string is expected`,
		`{"ports": "80"}`:                      `field "ports": a JSON string where an array is expected`,
		`[{"name": "a"}]`:                      "the file holds a JSON array, want a JSON object",
		`{"name": "a"} x`:                      "after the JSON object",
		"{\n\"name\": \"a\",\n}":               "line 3",
	} {
		err := Decode([]byte(in), &doc{}, false)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Decode(%q) = %v, want %q", in, err, want)
			continue
		}
		if strings.Contains(err.Error(), "jsonstrict") || strings.Contains(err.Error(), "struct") || strings.Contains(err.Error(), "\n") {
			t.Errorf("Decode(%q) = %q: a Go type name or several lines", in, err)
		}
	}
	// The same key in sibling objects is fine.
	if err := Decode([]byte(`{"inner": {"a": {"k": 1}, "b": {"k": 1}}}`), &doc{}, false); err != nil {
		t.Errorf("sibling keys: %v", err)
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.json")
	os.WriteFile(p, []byte(strings.Repeat("x", 100)), 0o644)
	if _, err := ReadFile(p, 100); err != nil {
		t.Errorf("at the limit: %v", err)
	}
	if _, err := ReadFile(p, 99); err == nil || !strings.Contains(err.Error(), "more than 99 bytes") {
		t.Errorf("over the limit: %v", err)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing"), 10); err == nil || !strings.Contains(err.Error(), "no such file") || strings.Contains(err.Error(), "open ") {
		t.Errorf("missing: %v", err)
	}
	if _, err := ReadFile(dir, 10); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: %v", err)
	}
}
