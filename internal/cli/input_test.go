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
