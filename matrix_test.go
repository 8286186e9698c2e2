//go:build !windows

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

type matrixRow struct {
	Fixture string   `json:"fixture"`
	Phase   string   `json:"phase"`
	Exit    int      `json:"exit"`
	Failing []string `json:"failing"`
	// ItsPhase marks the row of the phase the fixture's moment is for.
	ItsPhase bool `json:"its_phase"`
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
	// Each fixture's own row is the phase `ptacheck fixtures` names for it,
	// and every phase has a ready and a not-ready fixture of its own.
	its := map[string]string{}
	ready, notReady := map[string]bool{}, map[string]bool{}
	for _, row := range rows {
		if !row.ItsPhase {
			continue
		}
		if p, dup := its[row.Fixture]; dup {
			t.Errorf("fixture %s: its_phase on %s and %s", row.Fixture, p, row.Phase)
		}
		its[row.Fixture] = row.Phase
		ready[row.Phase] = ready[row.Phase] || row.Exit == 0
		notReady[row.Phase] = notReady[row.Phase] || row.Exit == 1
	}
	for name, phase := range fixturePhases(t, bin) {
		switch {
		case phase == "":
			t.Errorf("fixture %s names no phase", name)
		case its[name] != phase:
			t.Errorf("fixture %s is for %s, the matrix's its_phase row is %q", name, phase, its[name])
		}
	}
	for _, p := range []string{"install", "register", "verify", "enable", "uninstall", "signin", "operate"} {
		if !ready[p] || !notReady[p] {
			t.Errorf("phase %s: a ready fixture of its own %v, a not-ready one %v", p, ready[p], notReady[p])
		}
	}
	for _, row := range rows {
		t.Run(row.Fixture+"/"+row.Phase, func(t *testing.T) {
			t.Parallel()
			// Only the phases that probe endpoints take --probe-timeout:
			// the environment gives it to them and the others ignore it.
			cmd := exec.Command(bin, row.Phase, "--fixture", row.Fixture, "-o", "json")
			// 5 s: an emulated endpoint that answers never misses it on a
			// loaded CI machine (1 s did); only dropped ports wait it out.
			cmd.Env = append(os.Environ(), "PTACHECK_PROBE_TIMEOUT=5s")
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

// fixturePhases maps each built-in fixture to the phase `ptacheck
// fixtures` says it is for.
func fixturePhases(t *testing.T, bin string) map[string]string {
	out, err := exec.Command(bin, "fixtures", "-o", "json").Output()
	if err != nil {
		t.Fatalf("ptacheck fixtures: %v", err)
	}
	var list struct {
		Fixtures []struct{ Name, Phase string } `json:"fixtures"`
	}
	if err := json.Unmarshal(out, &list); err != nil {
		t.Fatal(err)
	}
	phases := map[string]string{}
	for _, f := range list.Fixtures {
		phases[f.Name] = f.Phase
	}
	return phases
}

// `ptacheck fixtures` shows the phase each fixture is for, between its
// name and its description.
func TestFixturesListShowsPhase(t *testing.T) {
	r := runCLI(t, "fixtures")
	for _, want := range []string{`(?m)^registered +verify +PTA04 just after a successful registration`, `(?m)^last-agent +uninstall +This server`} {
		if !regexp.MustCompile(want).MatchString(r.stdout) {
			t.Errorf("no %s in:\n%s", want, r.stdout)
		}
	}
}
