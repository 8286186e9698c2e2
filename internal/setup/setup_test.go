package setup

import (
	"context"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/checks/hostfacts"
	"github.com/ptacheck/ptacheck/internal/cli"
)

var testCommands = []Command{
	{Name: "install", Formats: []string{"text", "json"}, Own: []Group{AgentGroup}, Shared: []Group{SelectionGroup, GateGroup, ReportGroup, CloudGroup, DirectoryGroup, ForestGroup, TenantGroup, AdminGroup}},
	{Name: "enable", Formats: []string{"text", "json"}, Shared: []Group{SelectionGroup, CloudGroup, TenantGroup}},
	{Name: "signin", Formats: []string{"text", "json"}, Own: []Group{UsersGroup}, Shared: []Group{SelectionGroup, DirectoryGroup}},
	{Name: "dc-query", Own: []Group{DCQueryGroup}},
}

func noEnv(string) string { return "" }

func TestParseNamesTheCommandsThatTakeAFlag(t *testing.T) {
	r := NewRegistry(testCommands...)
	enable, _ := r.Lookup("enable")
	for _, tc := range []struct {
		cmd  string
		args []string
		want string
	}{
		{"enable", []string{"enable", "--upn-suffix", "x"}, "enable: --upn-suffix does not apply to enable: it is a flag of install (run 'ptacheck enable --help')"},
		{"enable", []string{"enable", "--ldap-user=u"}, "--ldap-user does not apply to enable: it is a flag of install or signin"},
		{"dc-query", []string{"dc-query", "-o", "json"}, "--output does not apply to dc-query: it is a flag of install, enable or signin"},
		{"enable", []string{"enable", "--no-such-flag"}, "enable: unknown flag: --no-such-flag (run 'ptacheck enable --help')"},
	} {
		c, _ := r.Lookup(tc.cmd)
		_, _, _, err := r.Parse(context.Background(), c, tc.args, noEnv)
		var ue cli.UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want a usage error %q", tc.args, err, tc.want)
		}
	}
	if _, _, _, err := r.Parse(context.Background(), enable, []string{"enable", "--help"}, noEnv); !errors.Is(err, ErrHelp) {
		t.Errorf("--help: %v", err)
	}
	f, rest, _, err := r.Parse(context.Background(), enable, []string{"--tenant-id", "84841066-274d-4ec0-a5c1-276be684bdd3", "enable"}, noEnv)
	if err != nil || f.Cloud.TenantID == "" || !reflect.DeepEqual(rest, []string{"enable"}) {
		t.Errorf("a flag before the command: %+v %v %v", f, rest, err)
	}
	if !r.TakesValue("--tenant-id") || r.TakesValue("--strict") || !r.TakesValue("-o") {
		t.Error("TakesValue")
	}
	if got := r.Takers("upn-suffix"); !reflect.DeepEqual(got, []string{"install"}) {
		t.Errorf("Takers(upn-suffix) = %v", got)
	}
}

// A setting of another command in the environment or the config file is
// ignored: one file serves every command.
func TestDefaultsForOtherCommandsAreIgnored(t *testing.T) {
	r := NewRegistry(testCommands...)
	cfg := writeFile(t, `{"upn-suffix": "contoso.com", "tenant-id": "84841066-274d-4ec0-a5c1-276be684bdd3"}`)
	env := map[string]string{"PTACHECK_LDAP_USER": "svc@corp.contoso.test", "PTACHECK_CONFIG": cfg}
	enable, _ := r.Lookup("enable")
	f, _, origins, err := r.Parse(context.Background(), enable, []string{"enable"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if f.Directory.LDAPUser != "" || len(f.Forest.UPNSuffixes) != 0 || f.Cloud.TenantID == "" {
		t.Errorf("flags: %+v %+v %+v", f.Directory, f.Forest, f.Cloud)
	}
	if len(origins) != 1 || !strings.Contains(origins[0], "--tenant-id from") {
		t.Errorf("origins %v", origins)
	}
	if _, _, _, err := r.Parse(context.Background(), enable, []string{"enable"}, func(k string) string {
		return map[string]string{"PTACHECK_CONFIG": writeFile(t, `{"no-such-setting": 1}`)}[k]
	}); err == nil || !strings.Contains(err.Error(), `unknown setting "no-such-setting"`) {
		t.Errorf("a setting no command takes: %v", err)
	}
}

func TestHelpListsOwnFlagsFirstThenGroups(t *testing.T) {
	install, _ := NewRegistry(testCommands...).Lookup("install")
	var titles []string
	for _, s := range install.Help(100) {
		titles = append(titles, s.Title)
	}
	want := []string{"Flags", "Selection flags", "Report flags", "Network flags", "Directory flags", "Tenant flags", "Common flags"}
	if !reflect.DeepEqual(titles, want) {
		t.Errorf("sections %v, want %v", titles, want)
	}
	h := install.Help(100)
	if !strings.Contains(h[0].Usages, "--agent-version") || strings.Contains(h[0].Usages, "--skip") {
		t.Errorf("own flags:\n%s", h[0].Usages)
	}
	if last := h[len(h)-1].Usages; !strings.Contains(last, "--output") || !strings.Contains(last, "-h, --help") {
		t.Errorf("common flags:\n%s", last)
	}
}

// Every group registers on a fresh flag set without clashing: a command may
// take any combination of groups (the own groups that reuse a name, such as
// logs --timeout, are never combined with the shared group of that name).
func TestGroupsCombine(t *testing.T) {
	shared := []Group{OutputGroup, ReportGroup, SelectionGroup, GateGroup, AgentGroup, CloudGroup, CatalogueGroup, DNSGroup,
		ProbeGroup, DirectoryGroup, ForestGroup, TenantGroup, AdminGroup, MachineGroup, UsersGroup, LogsGroup, EndpointsGroup, BundleGroup}
	c := Command{Name: "all", Formats: []string{"text"}, Shared: shared[1:]}
	fs, f := c.FlagSet()
	if len(f.groups) != len(shared) {
		t.Errorf("%d groups registered, want %d", len(f.groups), len(shared))
	}
	n := 0
	fs.VisitAll(func(*pflag.Flag) { n++ })
	if n < 40 {
		t.Errorf("only %d flags", n)
	}
}

// Build never changes its inputs: a retry or a collect's next phase builds
// again from the same ones and gets the same run. (wire used to write the
// fixture's domain and tenant back into the validated inputs.)
func TestBuildLeavesTheInputsAsTheyWere(t *testing.T) {
	r := NewRegistry(Command{Name: "install", Formats: []string{"text"}, Own: []Group{AgentGroup},
		Shared: []Group{SelectionGroup, CloudGroup, CatalogueGroup, DNSGroup, ProbeGroup, DirectoryGroup, ForestGroup, TenantGroup, AdminGroup, MachineGroup}})
	c, _ := r.Lookup("install")
	f, _, _, err := r.Parse(context.Background(), c, []string{"install", "--fixture", "healthy"}, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	w := World{Host: hostfacts.None{}, Getenv: noEnv, Stderr: &strings.Builder{}}
	in, err := ValidatePhase(context.Background(), checks.PhaseInstall, f, w)
	if err != nil {
		t.Fatal(err)
	}
	before := in
	var first checks.Config
	for i := range 2 {
		cfg, env, stop, err := Build(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		stop()
		if env.Tenant == nil || env.AD == nil || env.Net == nil {
			t.Fatalf("build %d: clients missing: %+v", i, env)
		}
		if cfg.AD.Domain == "" || cfg.TenantID == "" {
			t.Fatalf("build %d: the fixture's domain and tenant are not in the config: %+v", i, cfg.AD)
		}
		if i == 0 {
			first = cfg
		} else if cfg.AD.Domain != first.AD.Domain || cfg.TenantID != first.TenantID || cfg.Machine != first.Machine {
			t.Errorf("a second build differs: %+v vs %+v", cfg, first)
		}
	}
	if in.directory.cfg.Domain != "" || in.config.TenantID != "" || before.directory.cfg.Domain != in.directory.cfg.Domain {
		t.Errorf("Build wrote into its inputs: domain %q, tenant %q", in.directory.cfg.Domain, in.config.TenantID)
	}
}

// A command that does not take a group leaves its inputs at their zero
// values: nothing of it is validated (PTACHECK_ADMIN_PASSWORD without
// --admin-upn is an error only where the admin flags apply).
func TestUnregisteredGroupsAreNotValidated(t *testing.T) {
	r := NewRegistry(testCommands...)
	env := func(k string) string { return map[string]string{"PTACHECK_ADMIN_PASSWORD": "hunter22"}[k] }
	signin, _ := r.Lookup("signin")
	f, _, _, err := r.Parse(context.Background(), signin, []string{"signin", "--user", "alice@contoso.com", "--fixture", "healthy"}, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ValidatePhase(context.Background(), checks.PhaseSignin, f, World{Host: hostfacts.None{}, Getenv: env}); err != nil {
		t.Errorf("signin takes no admin flags: %v", err)
	}
	install, _ := r.Lookup("install")
	f, _, _, _ = r.Parse(context.Background(), install, []string{"install", "--fixture", "healthy"}, noEnv)
	if _, err := ValidatePhase(context.Background(), checks.PhaseInstall, f, World{Host: hostfacts.None{}, Getenv: env}); err == nil || !strings.Contains(err.Error(), "--admin-upn") {
		t.Errorf("install: %v", err)
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := t.TempDir() + "/f.json"
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
