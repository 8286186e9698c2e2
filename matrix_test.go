//go:build !windows

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

type matrixRow struct {
	Fixture string   `json:"fixture"`
	Phase   string   `json:"phase"`
	Exit    int      `json:"exit"`
	Failing []string `json:"failing"`
}

func loadMatrix(t *testing.T) []matrixRow {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("fixtures", "matrix.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Rows []matrixRow `json:"rows"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m.Rows
}

// The fixture matrix: the built binary over every built-in fixture in every
// phase gives the exit code and failing checks fixtures/matrix.json says.
func TestFixtureMatrix(t *testing.T) {
	bin := builtBinary(t)
	rows := loadMatrix(t)
	seen := map[string]bool{}
	for _, row := range rows {
		seen[row.Fixture] = true
	}
	for _, name := range fixtureNames(t, bin) {
		if !seen[name] {
			t.Errorf("fixture %s is missing from fixtures/matrix.json", name)
		}
	}
	for _, row := range rows {
		t.Run(row.Fixture+"/"+row.Phase, func(t *testing.T) {
			t.Parallel()
			// Only the phases that probe endpoints take --probe-timeout:
			// the environment gives it to them and the others ignore it.
			cmd := exec.Command(bin, row.Phase, "--fixture", row.Fixture, "-o", "json")
			cmd.Env = append(os.Environ(), "PTACHECK_PROBE_TIMEOUT=1s")
			var out bytes.Buffer
			cmd.Stdout = &out
			cmd.Run()
			var rep struct {
				Checks []struct{ ID, Status string }
			}
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatalf("report: %v", err)
			}
			failing := []string{}
			for _, c := range rep.Checks {
				if c.Status == "fail" {
					failing = append(failing, c.ID)
				}
			}
			if code := cmd.ProcessState.ExitCode(); code != row.Exit || !slices.Equal(failing, row.Failing) {
				t.Errorf("exit %d failing %v, want exit %d failing %v", code, failing, row.Exit, row.Failing)
			}
		})
	}
}

func fixtureNames(t *testing.T, bin string) []string {
	out, err := exec.Command(bin, "fixtures", "-o", "json").Output()
	if err != nil {
		t.Fatalf("ptacheck fixtures: %v", err)
	}
	var list struct {
		Fixtures []struct{ Name string } `json:"fixtures"`
	}
	if err := json.Unmarshal(out, &list); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range list.Fixtures {
		names = append(names, f.Name)
	}
	return names
}
