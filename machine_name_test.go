//go:build !windows

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A fixture (or snapshot) whose host facts lack a usable computer_name
// never lets the hostname of the machine running ptacheck stand in for the
// agent server's: tenant.other-agents on the tenant's last agent is an
// error naming computer_name and --machine-name (exit 3), the same under
// any hostname; a padded name is trimmed and matches (fail, exit 1), and
// --machine-name decides when given. As root the run is repeated in a UTS
// namespace under the agent's own hostname and another one.
func TestMachineNameFromFactsOnly(t *testing.T) {
	bin := builtBinary(t)
	dir := t.TempDir()
	variant := func(name string, edit func(map[string]any)) string {
		fx := filepath.Join(dir, name)
		if err := os.CopyFS(fx, os.DirFS(filepath.Join("fixtures", "scenarios", "last-agent"))); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(fx, "host.json")
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var d map[string]any
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatal(err)
		}
		edit(d)
		data, _ = json.Marshal(d)
		os.WriteFile(p, data, 0o644)
		return fx
	}
	type run struct {
		fx     string
		extra  []string
		code   int
		status string
		want   string
	}
	unknown := "computer_name"
	runs := []run{
		{variant("absent", func(d map[string]any) { delete(d, "computer_name") }), nil, 3, "error", "the host facts have no computer_name: pass --machine-name"},
		{variant("empty", func(d map[string]any) { d["computer_name"] = "" }), nil, 3, "error", unknown},
		{variant("null", func(d map[string]any) { d["computer_name"] = nil }), nil, 3, "error", unknown},
		{variant("nul", func(d map[string]any) { d["computer_name"] = "PTA01\x00" }), nil, 3, "error", `computer_name "PTA01\x00" is not a host name`},
		{variant("padded", func(d map[string]any) { d["computer_name"] = " PTA01 " }), nil, 1, "fail", "no other active agent: after uninstalling PTA01.corp.contoso.test"},
		{filepath.Join(dir, "absent"), []string{"--machine-name", "PTA01.corp.contoso.test"}, 1, "fail", "no other active agent"},
	}
	check := func(label string, r run, code int, stdout string) {
		t.Helper()
		var rep struct {
			Checks []struct{ ID, Status, Message string }
		}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil || len(rep.Checks) != 1 {
			t.Fatalf("%s %s: report %q: %v", label, r.fx, stdout, err)
		}
		c := rep.Checks[0]
		if code != r.code || c.Status != r.status || !strings.Contains(c.Message, r.want) {
			t.Errorf("%s %s %q: exit %d, %s %q; want exit %d, %s %q", label, filepath.Base(r.fx), r.extra, code, c.Status, c.Message, r.code, r.status, r.want)
		}
	}
	for _, r := range runs {
		args := append([]string{"uninstall", "--fixture", r.fx, "--only", "tenant.other-agents", "-o", "json"}, r.extra...)
		code, stdout, _, _ := runBuilt(t, bin, args...)
		check("this host", r, code, stdout)
	}
	if os.Geteuid() != 0 {
		t.Log("not root: the hostname is not varied (machineName's own test injects it)")
		return
	}
	for _, hostname := range []string{"PTA01", "ci-runner-7"} {
		for _, r := range runs {
			args := append([]string{"--uts", "sh", "-c", `hostname "$0" && exec "$@"`, hostname, bin, "uninstall", "--fixture", r.fx, "--only", "tenant.other-agents", "-o", "json"}, r.extra...)
			cmd := exec.Command("unshare", args...)
			var out strings.Builder
			cmd.Stdout = &out
			cmd.Run()
			check("hostname "+hostname, r, cmd.ProcessState.ExitCode(), out.String())
		}
	}
}
