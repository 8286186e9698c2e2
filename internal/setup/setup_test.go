package setup

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"reflect"
	"regexp"
	"slices"
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
		{"enable", []string{"enable", "--no-such-flag"}, "enable: unknown flag --no-such-flag (run 'ptacheck enable --help')"},
		// Suggestions: the command's own flag first, else another command's.
		{"install", []string{"install", "--fixtrue", "healthy"}, "install: unknown flag --fixtrue: did you mean --fixture? (run 'ptacheck install --help')"},
		{"install", []string{"install", "--tenantid=x"}, "install: unknown flag --tenantid: did you mean --tenant-id?"},
		{"install", []string{"install", "-fixture", "healthy"}, "install: unknown flag -fixture: did you mean --fixture?"},
		{"enable", []string{"enable", "--upn-sufix", "x"}, "enable: unknown flag --upn-sufix: did you mean --upn-suffix? (a flag of install; run 'ptacheck enable --help')"},
		{"signin", []string{"signin", "--usr", "a@b.c"}, "signin: unknown flag --usr: did you mean --user?"},
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
	shared := []Group{OutputGroup, ConfigGroup, ReportGroup, SelectionGroup, GateGroup, AgentGroup, CloudGroup, CatalogueGroup, DNSGroup,
		ProbeGroup, DirectoryGroup, ForestGroup, TenantGroup, AdminGroup, MachineGroup, UsersGroup, LogsGroup, EndpointsGroup, BundleGroup}
	c := Command{Name: "all", Formats: []string{"text"}, Shared: shared[2:]}
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

// Help names every value the same way and renders switches without a
// value: the usage is ptacheck's, not pflag's "[=true|false]" or "string".
func TestHelpNamesValues(t *testing.T) {
	c := Command{Name: "all", Formats: []string{"text", "json"}, Shared: []Group{ReportGroup, SelectionGroup, GateGroup, AgentGroup, CloudGroup,
		CatalogueGroup, DNSGroup, ProbeGroup, TrustGroup, DirectoryGroup, ForestGroup, TenantGroup, AdminGroup, MachineGroup, UsersGroup,
		PasswordGroup, LogsGroup, EndpointsGroup, BundleGroup}}
	var all strings.Builder
	for _, s := range c.Help(100) {
		all.WriteString(s.Usages)
	}
	for _, g := range []Group{TraceLogsGroup, DCQueryGroup, SnapshotFileGroup, FleetGroup} {
		for _, s := range (Command{Name: "own", Own: []Group{g}}).Help(100) {
			all.WriteString(s.Usages)
		}
	}
	help := all.String()
	for _, bad := range []string{"[=", "true|false", " VALUE "} {
		if strings.Contains(help, bad) {
			t.Errorf("help shows %q:\n%s", bad, help)
		}
	}
	// The value after a flag's name is upper case: FILE, ID,..., HOST[:PORT].
	for _, m := range regexp.MustCompile(`(?m)^(?:  -[a-z], |      )--[a-z-]+ (\S+)`).FindAllStringSubmatch(help, -1) {
		if v := strings.TrimSuffix(m[1], ".zip"); v != strings.ToUpper(v) {
			t.Errorf("value named %q, not in upper case: %s", m[1], m[0])
		}
	}
	for _, want := range []string{
		"      --skip ID,...", "      --timeout DURATION", "      --report-file FILE", "      --dc HOST[:PORT]",
		"      --tenant-id GUID", "      --client-id GUID", "      --request-id GUID", "      --proxy URL", "      --login-url URL",
		"  -o, --output FORMAT", "      --report-format FORMAT", "      --format FORMAT", "      --cloud CLOUD",
		"      --failure-threshold N", "      --max-log-bytes BYTES", "      --strict  ", "  -v, --verbose  ", "  -h, --help  ",
		"(default: 2m)", "(default: 24h)", "(default: text)",
	} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %q:\n%s", want, help)
		}
	}
	for _, line := range strings.Split(help, "\n") {
		if len(line) > 100 {
			t.Errorf("line longer than 100 columns: %q", line)
		}
	}
	// Every flag that takes a value names it in its usage (a back-quoted
	// word), so no name falls back to a type.
	fs, _ := c.FlagSet()
	for _, g := range []Group{TraceLogsGroup, DCQueryGroup, SnapshotFileGroup, FleetGroup} {
		own, _ := (Command{Name: "own", Own: []Group{g}}).FlagSet()
		own.VisitAll(func(f *pflag.Flag) {
			if fs.Lookup(f.Name) == nil {
				fs.AddFlag(f)
			}
		})
	}
	fs.VisitAll(func(f *pflag.Flag) {
		if t0 := f.Value.Type(); t0 != "bool" && t0 != "duration" && !strings.Contains(f.Usage, "`") {
			t.Errorf("--%s: its usage names no value (`NAME`)", f.Name)
		}
	})
}

// explain -2146892994: a negative number is an argument, not -2 and the
// rest as shorthands; the value of a flag stays a value.
func TestNegativeNumbersAreArguments(t *testing.T) {
	r := NewRegistry(Command{Name: "explain", Formats: []string{"text", "json"}, NumericArgs: true},
		Command{Name: "list", Formats: []string{"text", "json"}})
	explain, _ := r.Lookup("explain")
	for _, tc := range []struct {
		args []string
		rest []string
		out  string
	}{
		{[]string{"explain", "-2146892994"}, []string{"explain", "-2146892994"}, "text"},
		{[]string{"explain", "-o", "json", "-1", "1326", "-v"}, []string{"explain", "-1", "1326"}, "json"},
		{[]string{"explain", "--", "-5"}, []string{"explain", "-5"}, "text"},
		{[]string{"-o", "json", "explain", "AADSTS80001", "-2146893044"}, []string{"explain", "AADSTS80001", "-2146893044"}, "json"},
	} {
		f, rest, _, err := r.Parse(context.Background(), explain, tc.args, noEnv)
		if err != nil || !reflect.DeepEqual(rest, tc.rest) || f.Output.Format != tc.out {
			t.Errorf("%q: %v %q %v, want %q", tc.args, f, rest, err, tc.rest)
		}
	}
	list, _ := r.Lookup("list")
	if _, _, _, err := r.Parse(context.Background(), list, []string{"list", "-2"}, noEnv); err == nil {
		t.Error("list -2: a command without numeric arguments still reads -2 as a flag")
	}
	if _, _, _, err := r.Parse(context.Background(), explain, []string{"explain", "--config", "x"}, noEnv); err == nil {
		t.Error("explain --config: explain takes no config file")
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

// fakeJWT is an unsigned token whose payload carries claims: the shape of
// an Entra access token, for the tid claim only.
func fakeJWT(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc([]byte(claims)) + ".c2ln"
}

// Without --tenant-id the tenant ID comes from the token's tid claim, and
// the run says so; a token of another tenant than --tenant-id is an error
// that names both.
func TestTenantIDFromTheToken(t *testing.T) {
	const tid = "84841066-274d-4ec0-a5c1-276be684bdd3"
	r := NewRegistry(Command{Name: "enable", Formats: []string{"text"}, Shared: []Group{SelectionGroup, CloudGroup, TenantGroup}})
	enable, _ := r.Lookup("enable")
	validate := func(token string, args ...string) (Inputs, error) {
		env := func(k string) string { return map[string]string{"PTACHECK_GRAPH_TOKEN": token}[k] }
		f, _, _, err := r.Parse(context.Background(), enable, append([]string{"enable"}, args...), env)
		if err != nil {
			t.Fatal(err)
		}
		return ValidatePhase(context.Background(), checks.PhaseEnable, f, World{Host: hostfacts.None{}, Getenv: env})
	}
	in, err := validate(fakeJWT(`{"tid":"` + strings.ToUpper(tid) + `","upn":"admin@contoso.com"}`))
	if err != nil || in.config.TenantID != tid || !slices.Contains(in.Notes, "tenant ID from the token: "+tid) || in.config.TenantIDFrom != "the Graph token's tid" {
		t.Errorf("no --tenant-id: tenant %q from %q, notes %q, %v", in.config.TenantID, in.config.TenantIDFrom, in.Notes, err)
	}
	in, err = validate(fakeJWT(`{"tid":"`+tid+`"}`), "--tenant-id", "{"+strings.ToUpper(tid)+"}")
	if err != nil || in.config.TenantID != tid || len(in.Notes) != 0 || in.config.TenantIDFrom != "" {
		t.Errorf("the same tenant: %q from %q, %q %v", in.config.TenantID, in.config.TenantIDFrom, in.Notes, err)
	}
	const other = "11111111-2222-3333-4444-555555555555"
	_, err = validate(fakeJWT(`{"tid":"`+tid+`"}`), "--tenant-id", other)
	if err == nil || !strings.Contains(err.Error(), other) || !strings.Contains(err.Error(), tid) {
		t.Errorf("another tenant: %v", err)
	}
	// An opaque token (not a JWT) or one without tid: nothing is taken.
	for _, tok := range []string{"opaque-token", fakeJWT(`{"upn":"a@b.c"}`), fakeJWT(`{"tid":"not-a-guid"}`)} {
		if in, err := validate(tok); err != nil || in.config.TenantID != "" || len(in.Notes) != 0 {
			t.Errorf("%s: %q %q %v", tok, in.config.TenantID, in.Notes, err)
		}
	}
	// A fixture brings its own tenant: the token is not read for it.
	if in, err := validate(fakeJWT(`{"tid":"`+other+`"}`), "--fixture", "healthy", "--tenant-id", tid); err != nil || in.config.TenantID != tid {
		t.Errorf("fixture: %q %v", in.config.TenantID, err)
	}
}

// The sign-in asks for the scopes of the selected checks (--only, less
// --skip) and happens only when one of them needs Graph to decide.
func TestScopesFollowTheSelection(t *testing.T) {
	const graphURL = "https://graph.microsoft.com"
	signin := []checks.Phase{checks.PhaseSignin}
	for _, tc := range []struct {
		name   string
		phases []checks.Phase
		sel    Selection
		signIn bool
		scopes bool
	}{
		{"signin", signin, Selection{}, true, true},
		{"signin --skip user.cloud-upn", signin, Selection{Skip: map[string]bool{"user.cloud-upn": true}}, false, true},
		{"signin --only user.exists", signin, Selection{Only: map[string]bool{"user.exists": true}}, false, true},
		{"signin --only user.cloud-upn", signin, Selection{Only: map[string]bool{"user.cloud-upn": true}}, true, true},
		{"enable", []checks.Phase{checks.PhaseEnable}, Selection{}, true, true},
		{"enable --skip every tenant check", []checks.Phase{checks.PhaseEnable},
			Selection{Skip: map[string]bool{"tenant.managed-domains": true, "tenant.admin-account": true, "tenant.active-agents": true}}, false, false},
	} {
		scopes, signIn := scopes(graphURL, tc.phases, tc.sel)
		if signIn != tc.signIn || (len(scopes) > 0) != tc.scopes {
			t.Errorf("%s: scopes %v, sign-in %v; want scopes %v, sign-in %v", tc.name, scopes, signIn, tc.scopes, tc.signIn)
		}
	}
}

// machineName takes this server's name from the host facts, trimmed and
// checked; only on the live Windows host (thisHost) may the hostname of the
// machine running ptacheck stand in. Everywhere else a missing or unusable
// computer_name is unknown, with a reason naming computer_name and
// --machine-name, whatever the hostname is.
func TestMachineNameNeverTakesAnotherBoxsName(t *testing.T) {
	snap := func(name, domain string) *hostfacts.Snapshot {
		return &hostfacts.Snapshot{ComputerName: name, Domain: domain}
	}
	for _, hostname := range []string{"PTA01", "ci-runner-7"} {
		host := func() (string, error) { return hostname, nil }
		for _, tc := range []struct {
			name     string
			facts    *hostfacts.Snapshot
			thisHost bool
			want     string // "" = unknown
			why      string
		}{
			{"snapshot with a name", snap("PTA01", "corp.contoso.test"), false, "PTA01.corp.contoso.test", ""},
			{"padded name", snap(" PTA01 ", " corp.contoso.test "), false, "PTA01.corp.contoso.test", ""},
			{"FQDN kept", snap("pta01.corp.contoso.test.", ""), false, "pta01.corp.contoso.test", ""},
			{"name, AD domain", snap("PTA01", ""), false, "PTA01", ""},
			{"no computer_name", snap("", "corp.contoso.test"), false, "", "the host facts have no computer_name: pass --machine-name"},
			{"blank computer_name", snap("   ", "corp.contoso.test"), false, "", "the host facts have no computer_name: pass --machine-name"},
			{"NUL in computer_name", snap("PTA01\x00", "corp.contoso.test"), false, "", `computer_name "PTA01\x00" is not a host name: pass --machine-name`},
			{"space inside", snap("PTA 01", ""), false, "", "is not a host name"},
			{"bad domain", snap("PTA01", "corp\x00"), false, "", "domain \"corp\\x00\" is not a DNS name"},
			{"no facts, not this host", nil, false, "", "no host facts name this server"},
			{"no facts, live Windows", nil, true, hostname, ""},
			{"live Windows, no name in facts", snap("", "corp.contoso.test"), true, hostname + ".corp.contoso.test", ""},
		} {
			got, why := machineName(tc.facts, "", tc.thisHost, host)
			if got != tc.want || (tc.why == "") != (why == "") || !strings.Contains(why, tc.why) {
				t.Errorf("hostname %s, %s: machineName = %q, %q; want %q, %q", hostname, tc.name, got, why, tc.want, tc.why)
			}
		}
	}
	if got, _ := machineName(snap("PTA01", ""), "ad.contoso.test", false, nil); got != "PTA01.ad.contoso.test" {
		t.Errorf("AD domain default: %q", got)
	}
	for _, bad := range []string{"PTA 01", "PTA01\x00", "a..b"} {
		if _, err := (&MachineFlags{Name: bad}).Validate(); !errors.As(err, new(cli.UsageError)) {
			t.Errorf("--machine-name %q: %v, want a usage error", bad, err)
		}
	}
	if got, err := (&MachineFlags{Name: " PTA01.corp.contoso.test. "}).Validate(); err != nil || got != "PTA01.corp.contoso.test" {
		t.Errorf("--machine-name padded: %q, %v", got, err)
	}
}
