package main

import (
	"os"
	"testing"
)

// builtDir is the temporary folder of the binary builtBinary built (empty
// when no test needed it).
var builtDir string

// TestMain removes what the whole run shared when it ends: the built binary
// and its folder (a /tmp/ptacheck-bin* per run was left behind).
func TestMain(m *testing.M) {
	code := m.Run()
	if builtDir != "" {
		os.RemoveAll(builtDir)
	}
	os.Exit(code)
}
