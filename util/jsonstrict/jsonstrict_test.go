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

// Windows PowerShell 5.1 writes UTF-8 with a BOM and UTF-16 LE with one
// (the > operator): both read as the same text; nothing else is changed.
func TestReadTextEncodings(t *testing.T) {
	text := "{\"name\": \"é 名\"}\r\n"
	utf16 := func(bigEndian bool) []byte {
		var b []byte
		if bigEndian {
			b = []byte{0xFE, 0xFF}
		} else {
			b = []byte{0xFF, 0xFE}
		}
		for _, r := range text {
			hi, lo := byte(r>>8), byte(r)
			if bigEndian {
				b = append(b, hi, lo)
			} else {
				b = append(b, lo, hi)
			}
		}
		return b
	}
	for name, in := range map[string][]byte{
		"plain":    []byte(text),
		"utf8-bom": append([]byte{0xEF, 0xBB, 0xBF}, text...),
		"utf16le":  utf16(false),
		"utf16be":  utf16(true),
	} {
		got, err := ReadText(strings.NewReader(string(in)), 1<<10)
		if err != nil || string(got) != text {
			t.Errorf("%s: %q, %v; want %q", name, got, err, text)
		}
		var d doc
		if err := Decode(got, &d, false); err != nil || d.Name != "é 名" {
			t.Errorf("%s: decode: %+v, %v", name, d, err)
		}
	}
	// Only a leading BOM goes: a BOM inside, and trailing bytes, stay.
	if got, _ := ReadText(strings.NewReader("a\ufeffb\n"), 100); string(got) != "a\ufeffb\n" {
		t.Errorf("inner BOM: %q", got)
	}
	// The limit counts the text: a UTF-16 file of a text within the limit
	// is read, a longer one is refused naming the limit.
	if _, err := ReadText(strings.NewReader(string(utf16(false))), int64(len(text))); err != nil {
		t.Errorf("UTF-16 within the limit: %v", err)
	}
	if _, err := ReadText(strings.NewReader(string(utf16(false))), int64(len(text))-1); err == nil || !strings.Contains(err.Error(), "file too large") {
		t.Errorf("UTF-16 over the limit: %v", err)
	}
	if _, err := ReadText(strings.NewReader("\xef\xbb\xbf12345"), 5); err != nil {
		t.Errorf("a BOM does not count toward the limit: %v", err)
	}
	if _, err := ReadText(strings.NewReader("123456"), 5); err == nil {
		t.Error("6 bytes read under a 5-byte limit")
	}
}

// An input of millions of tiny values is refused by the token pass, before
// any of it is decoded, naming the limit.
func TestValueCaps(t *testing.T) {
	objects := `{"ports": [` + strings.Repeat(`{},`, MaxContainers) + `{}]}`
	scalars := `{"ports": [` + strings.Repeat(`0,`, MaxValues) + `0]}`
	for in, want := range map[string]string{
		objects: "more than 100,000 JSON objects and arrays in one file: at most 100,000 are read",
		scalars: "more than 1,000,000 JSON values in one file: at most 1,000,000 are read",
	} {
		var d doc
		err := Decode([]byte(in), &d, false)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "line 1 column ") {
			t.Errorf("got %v, want %q", err, want)
		}
		if d.Ports != nil {
			t.Error("decoded before the caps were checked")
		}
		if err := NoDuplicates([]byte(in)); err == nil {
			t.Error("NoDuplicates: no error")
		}
	}
	// At the caps exactly: read (keys are not values).
	atCap := `{"inner": {"z": [` + strings.Repeat(`[],`, MaxContainers-4) + `[]]}}` // 3 + (MaxContainers-3)
	if err := NoDuplicates([]byte(atCap)); err != nil {
		t.Errorf("at the cap: %v", err)
	}
}

// A syntax error that is an encoding says so, rather than naming a stray
// 'ï' or a NUL.
func TestEncodingErrorsNamed(t *testing.T) {
	var d doc
	for in, want := range map[string]string{
		"{\"name\": \xef\xbb\xbf\"a\"}":              "column 11: a byte order mark inside the file",
		"\xef\xbb\xbf\xef\xbb\xbf{}":                 "line 1 column 2: a byte order mark inside the file",
		"{\x00\"\x00n\x00\"\x00:\x00 \x001\x00}\x00": "NUL bytes: UTF-16 without a byte order mark?",
	} {
		data, err := ReadText(strings.NewReader(in), 1<<10)
		if err != nil {
			t.Fatal(err)
		}
		if err := Decode(data, &d, false); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}
