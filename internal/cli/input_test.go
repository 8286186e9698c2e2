package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ptacheck/ptacheck/util/jsonstrict"
)

var errStop = errors.New("stopped by the test")

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "in")
	os.WriteFile(p, []byte("12345"), 0o600)
	ctx := context.Background()
	if data, err := ReadFile(ctx, p, 5); err != nil || string(data) != "12345" {
		t.Fatalf("%q %v", data, err)
	}
	if _, err := ReadFile(ctx, p, 4); !errors.Is(err, jsonstrict.ErrTooLarge) {
		t.Errorf("over the limit: %v", err)
	}
	if _, err := ReadFile(ctx, dir, 4); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: %v", err)
	}
	if _, err := ReadFile(ctx, filepath.Join(dir, "none"), 4); err == nil || !strings.HasPrefix(err.Error(), filepath.Join(dir, "none")+": ") {
		t.Errorf("missing: %v", err)
	}
	done, cancel := context.WithCancelCause(ctx)
	cancel(errStop)
	if _, err := ReadFile(done, p, 5); !errors.Is(err, errStop) {
		t.Errorf("ended context: %v", err)
	}
}

// The one input reader understands what Windows PowerShell 5.1 writes: a
// UTF-8 byte order mark (Set-Content -Encoding UTF8) and UTF-16 LE with a
// BOM (the > operator); a secret keeps every other byte.
func TestReadFileWindowsEncodings(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	for name, in := range map[string]string{
		"utf8-bom": "\xef\xbb\xbfS3cr\xc3\xa9t \r\n",
		"utf16le":  "\xff\xfeS\x003\x00c\x00r\x00\xe9\x00t\x00 \x00\r\x00\n\x00",
		"utf16be":  "\xfe\xff\x00S\x003\x00c\x00r\x00\xe9\x00t\x00 \x00\r\x00\n",
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(in), 0o600)
		if data, err := ReadFile(ctx, p, 64); err != nil || string(data) != "S3cr\u00e9t \r\n" {
			t.Errorf("%s: %q %v", name, data, err)
		}
	}
}
