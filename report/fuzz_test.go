package report

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseReport feeds summarize's report reader: it rejects or reads,
// never panics. Seeds are the golden reports of every fixture.
func FuzzParseReport(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "fixtures", "golden", "healthy*.json"))
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"schema_version": "1", "tool": "ptacheck", "command": "uninstall", "verdict": "ready", "exit_code": 0, "checks": [{"id": "tenant.other-agents", "details": {"agents": null}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseReport(data)
		if err == nil && (r.Phase == "" || r.Verdict == "") {
			t.Fatalf("accepted a report without phase or verdict: %+v", r)
		}
	})
}
