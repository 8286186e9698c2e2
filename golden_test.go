package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/ptacheck/ptacheck/fixtures"
)

var update = flag.Bool("update", false, "rewrite the golden reports")

var (
	loopbackPort = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	tookMessage  = regexp.MustCompile(` in [0-9.]+ ?(ns|µs|ms|s)\b`)
	searchTook   = regexp.MustCompile(`search [0-9.]+ ms`)
)

// normalize zeroes what differs between runs of the same fixture: the
// clock, durations and the random ports of the loopback servers.
func normalize(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			switch {
			case k == "started_at" || k == "current_time" || k == "dc_time" || k == "local_time":
				v[k] = "2026-01-01T00:00:00Z"
			case k == "skew_seconds":
				v[k] = 0
			case len(k) > 3 && k[len(k)-3:] == "_ms":
				v[k] = 0
			default:
				v[k] = normalize(e)
			}
		}
		return v
	case []any:
		for i, e := range v {
			v[i] = normalize(e)
		}
		return v
	case string:
		v = searchTook.ReplaceAllString(loopbackPort.ReplaceAllString(v, "127.0.0.1:PORT"), "search 0 ms")
		return tookMessage.ReplaceAllString(v, " in 0ms")
	}
	return v
}

// probingPhases are the phases that probe endpoints (--probe-timeout).
var probingPhases = []string{"install", "register", "enable", "operate"}

// Every built-in fixture has a golden JSON report, in the phase its moment
// is for: the same fixture gives the same report, and a change to what a
// fixture reports is reviewed as a diff. Rewrite with:
// go test -run TestFixtureGoldenReports -update .
func TestFixtureGoldenReports(t *testing.T) {
	want := map[string]bool{}
	for _, name := range fixtures.Names() {
		sc, err := fixtures.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		phase := sc.Phase
		want[name+"."+phase+".json"] = true
		t.Run(name, func(t *testing.T) {
			args := []string{phase, "--fixture", name, "-o", "json"}
			if slices.Contains(probingPhases, phase) {
				// Only the phases that probe take the flag. 8 s, not 1 s:
				// an emulated endpoint that answers must never miss the
				// deadline on a loaded 2-core CI machine (the report would
				// then differ by load, not by code); only the fixture whose
				// ports drop SYNs waits it out, once.
				args = append(args, "--probe-timeout", "8s")
			}
			r := runCLI(t, args...)
			var doc any
			if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
				t.Fatalf("exit %d: %v\n%s", r.code, err, r.stderr)
			}
			got, _ := json.MarshalIndent(normalize(doc), "", "  ")
			got = append(got, '\n')
			path := filepath.Join("fixtures", "golden", name+"."+phase+".json")
			if *update {
				os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (rewrite with -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden report (review, then rewrite with -update); got:\n%s", path, got)
			}
		})
	}
	// No golden report of a fixture or phase that is gone.
	files, _ := filepath.Glob(filepath.Join("fixtures", "golden", "*.json"))
	for _, f := range files {
		if !want[filepath.Base(f)] {
			if *update {
				os.Remove(f)
				continue
			}
			t.Errorf("%s is no fixture's golden report (rewrite with -update removes it)", f)
		}
	}
}
