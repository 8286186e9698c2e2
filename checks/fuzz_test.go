package checks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ptacheck/ptacheck/checks/hostfacts"
)

// Input files come from users: whatever they hold, parsing must not panic
// and a rejection must be one line (it becomes the exit-2 message).

func FuzzParseSnapshot(f *testing.F) {
	for _, name := range []string{"healthy", "app-proxy-present"} {
		if b, err := os.ReadFile(filepath.Join("..", "fixtures", "scenarios", name, "host.json")); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"schema_version": "1", "registry": {"HKLM\\x": {"v": [1, "a"]}}}`))
	f.Add([]byte("{\n\"schema_version\": \"1\",\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := hostfacts.Parse(data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error: %q", err)
			}
			return
		}
		// A snapshot that parses can be evaluated by every host check.
		env := &Env{Host: hostfacts.Static{S: s}}
		for _, c := range []Check{AppProxyConnectorAbsentCheck{}, ExistingAgentCheck{Phase: PhaseUninstall}, OSVersionCheck{}, TLS12Check{}, DotNetCheck{}} {
			runWithNeeds(t.Context(), env, c)
		}
	})
}

func FuzzParseEndpointsFile(f *testing.F) {
	f.Add([]byte(`{"endpoints": [{"host": "a.test", "ports": [443], "protocol": "tls", "level": "required"}]}`))
	f.Add([]byte(`{"endpoints": [{"host": "*.a.test", "ports": [1], "protocol": "tcp", "level": "legacy", "test_with": ["{tenant}.a.test"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		eps, err := ParseEndpointsFile(data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error: %q", err)
			}
			return
		}
		Expand(CloudPublic, eps, "84841066-274d-4ec0-a5c1-276be684bdd3", true)
	})
}
