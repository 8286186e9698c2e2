package main

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/ptacheck/ptacheck"

// deps lists the module's packages pkg depends on (itself included), as the
// build for goos sees them: go list sees exactly what the build sees.
func deps(t *testing.T, pkg, goos string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", pkg)
	cmd.Env = append(cmd.Environ(), "GOOS="+goos)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	var own []string
	for _, d := range strings.Fields(string(out)) {
		if d == mod || strings.HasPrefix(d, mod+"/") {
			own = append(own, d)
		}
	}
	return own
}

func list(t *testing.T, pattern string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", pattern).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pattern, err)
	}
	return strings.Fields(string(out))
}

// The layers stand in a line, never a cycle:
//
//	main -> internal/setup -> checks, fixtures;  main -> report, internal/cli
//	report -> checks;  checks -> its leaf client packages;  util at the bottom
//
// "Checks decide, clients gather": the client packages under checks/ are
// leaves that never import checks, report or fixtures; only tests import
// checks/checkstest; the command layer (internal/) is imported by main
// alone, and internal/cli by nothing of the layers below it.
func TestLayers(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	var leaves []string
	for _, p := range list(t, "./checks/...") {
		if p != mod+"/checks" && p != mod+"/checks/checkstest" {
			leaves = append(leaves, p)
		}
	}
	if len(leaves) < 2 {
		t.Fatalf("found only %v under checks/", leaves)
	}
	upper := []string{mod + "/checks", mod + "/report", mod + "/fixtures", mod + "/checks/checkstest", mod + "/internal/"}
	rules := map[string][]string{
		mod + "/util/...":       {mod + "/checks", mod + "/report", mod + "/fixtures", mod + "/internal/"},
		mod + "/internal/cli":   {mod + "/checks", mod + "/report", mod + "/fixtures", mod + "/internal/setup"},
		mod + "/internal/setup": {mod + "/report"},
		mod + "/checks":         {mod + "/report", mod + "/fixtures", mod + "/internal/", mod + "/checks/checkstest"},
		mod + "/report":         {mod + "/fixtures", mod + "/internal/"},
		mod + "/fixtures":       {mod + "/checks", mod + "/report", mod + "/internal/"},
	}
	for _, leaf := range leaves {
		rules[leaf] = upper
	}
	for pattern, forbidden := range rules {
		pkgs := []string{pattern}
		if strings.HasSuffix(pattern, "/...") {
			pkgs = list(t, "./"+strings.TrimPrefix(pattern, mod+"/"))
		}
		for _, pkg := range pkgs {
			for _, goos := range []string{"linux", "windows"} {
				for _, d := range deps(t, pkg, goos) {
					for _, f := range forbidden {
						if d != pkg && (d == f || strings.HasSuffix(f, "/") && strings.HasPrefix(d, f)) {
							t.Errorf("%s (GOOS=%s) imports %s: the layers forbid it", pkg, goos, d)
						}
					}
				}
			}
		}
	}
	// Nothing but tests imports checkstest.
	for _, d := range deps(t, ".", "linux") {
		if d == mod+"/checks/checkstest" {
			t.Error("the binary links checks/checkstest")
		}
	}
}
