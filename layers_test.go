package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The layout is "checks decide, clients gather": the client packages under
// checks/ are leaves that never import checks, report or fixtures, and only
// tests import checks/checkstest. go list sees exactly what the build sees.
func TestLeafPackagesImportNoUpperLayer(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	const mod = "github.com/ptacheck/ptacheck"
	out, err := exec.Command("go", "list", "./checks/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var leaves []string
	for _, p := range strings.Fields(string(out)) {
		if p != mod+"/checks" && p != mod+"/checks/checkstest" {
			leaves = append(leaves, p)
		}
	}
	if len(leaves) < 2 {
		t.Fatalf("found only %v under checks/", leaves)
	}
	forbidden := map[string]bool{mod + "/checks": true, mod + "/report": true, mod + "/fixtures": true, mod + "/checks/checkstest": true}
	for _, leaf := range leaves {
		for _, goos := range []string{"linux", "windows"} {
			cmd := exec.Command("go", "list", "-deps", leaf)
			cmd.Env = append(cmd.Environ(), "GOOS="+goos)
			deps, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v", leaf, err)
			}
			for _, d := range strings.Fields(string(deps)) {
				if forbidden[d] {
					t.Errorf("%s (GOOS=%s) imports %s: leaf client packages must not", leaf, goos, d)
				}
			}
		}
	}
	// Nothing but tests imports checkstest.
	deps, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(deps), mod+"/checks/checkstest") {
		t.Error("the binary links checks/checkstest")
	}
}
