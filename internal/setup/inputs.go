package setup

import (
	"context"
	"crypto/x509"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/checks/directory"
	"github.com/ptacheck/ptacheck/checks/graph"
	"github.com/ptacheck/ptacheck/checks/hostfacts"
	"github.com/ptacheck/ptacheck/checks/tracelog"
	"github.com/ptacheck/ptacheck/internal/cli"
	"github.com/ptacheck/ptacheck/util/redact"
	"github.com/ptacheck/ptacheck/util/suggest"
)

// Inputs are a checklist run's validated flags, and where its facts come
// from. They are values: nothing changes them after validation, so a retry
// or a collect builds again from the same ones.
type Inputs struct {
	Phase checks.Phase
	// Format is -o; Report is --report-file; Verbose and NoColor shape
	// the text output.
	Format    string
	Report    ReportFile
	Verbose   bool
	NoColor   bool
	Selection Selection
	Gate      Gate
	// Notes are printed on stderr before the run starts; Warnings too,
	// as warnings.
	Notes    []string
	Warnings []string

	// scopePhases are the phases whose Graph scopes the sign-in asks for
	// (collect: all of its phases).
	scopePhases []checks.Phase
	config      checks.Config // what the flags fix of the checks' parameters
	dnsServers  []string
	proxy       proxyChoice
	cloudGiven  bool           // --cloud was given: a fixture's cloud does not apply
	roots       *x509.CertPool // the system roots plus --ca-file; nil: the system's
	directory   Directory
	tenant      Tenant
	admin       Admin
	machine     string
	src         sources
	world       World
}

// Fixture is the name of the fixture the run emulates ("": none).
func (in Inputs) Fixture() string {
	if in.src.scenario == nil {
		return ""
	}
	return in.src.scenario.Name
}

// HostSource is where the host facts come from.
func (in Inputs) HostSource() hostfacts.Source { return in.src.host }

// Reread returns the same inputs with the live host read afresh, for a
// retry: a fixture or a snapshot file stays as it is.
func (in Inputs) Reread() Inputs {
	if in.src.live && in.world.NewHost != nil {
		in.src.host = in.world.NewHost()
	}
	return in
}

// ValidatePhase checks every flag of a phase's run before anything starts.
func ValidatePhase(ctx context.Context, phase checks.Phase, f *Flags, w World) (Inputs, error) {
	ins, err := validatePhases(ctx, []checks.Phase{phase}, f, w)
	if err != nil {
		return Inputs{}, err
	}
	return ins[0], nil
}

// ValidateCollect checks the flags of every phase of a collect. The phases
// share one tenant sign-in, which asks for the scopes of all of them.
func ValidateCollect(ctx context.Context, phases []checks.Phase, f *Flags, w World) ([]Inputs, error) {
	return validatePhases(ctx, phases, f, w)
}

func validatePhases(ctx context.Context, phases []checks.Phase, f *Flags, w World) ([]Inputs, error) {
	base, err := validateShared(ctx, f, w)
	if err != nil {
		return nil, err
	}
	base.scopePhases = phases
	var ins []Inputs
	for _, p := range phases {
		in := base
		in.Phase = p
		if p == checks.PhaseSignin {
			if in.config.Users, err = signinUsers(ctx, f, in.src); err != nil {
				return nil, err
			}
			if f.Has(PasswordGroup) {
				if err := f.Password.validate(ctx, &in); err != nil {
					return nil, err
				}
			}
		}
		if p == checks.PhaseOperate {
			if in.config.Logs, err = f.Logs.Validate(); err != nil {
				return nil, err
			}
		}
		if len(checks.SelectEntries(checks.Plan(p, checks.Config{}), in.Selection.Only)) == 0 {
			return nil, cli.Usagef("--only selects no check of the %s phase (see 'ptacheck list')", p)
		}
		ins = append(ins, in)
	}
	if f.Selection.ignoreGiven {
		if err := ignoredRun(phases, base.Selection.Ignore); err != nil {
			return nil, err
		}
	}
	// collect copies the trace logs whichever phases it runs.
	for _, p := range f.Logs.Paths {
		if _, err := os.Stat(p); err != nil {
			return nil, cli.Usagef("--logs %v", cli.PathErr(err))
		}
	}
	return ins, nil
}

// ignoredRun refuses an --ignore-failures ID (given on the command line)
// that none of the phases runs: accepting it silently lets a typo in the
// phase, or a finding of another phase, look accepted. A default from the
// environment or a config file may serve every phase and is not refused.
func ignoredRun(phases []checks.Phase, ignore map[string]bool) error {
	var ids, names []string
	for _, p := range phases {
		names = append(names, string(p))
		for _, e := range checks.Plan(p, checks.Config{}) {
			if !slices.Contains(ids, e.ID()) {
				ids = append(ids, e.ID())
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(ignore)) {
		if id == "all" || slices.Contains(ids, id) {
			continue
		}
		where := "the " + strings.Join(names, ", ") + " phase"
		if len(names) > 1 {
			where += "s"
		}
		if hint := suggest.DidYouMean(id, ids, ""); hint != "" {
			return cli.Usagef("--ignore-failures %s: %s does not run this check: %s", id, where, hint)
		}
		return cli.Usagef("--ignore-failures %s: %s does not run this check (its checks: %s)", id, where, strings.Join(ids, ", "))
	}
	return nil
}

// validateShared validates the groups the command registered, in the order
// a user reads them; the others keep their zero values.
func validateShared(ctx context.Context, f *Flags, w World) (Inputs, error) {
	in := Inputs{world: w, Verbose: f.Output.Verbose, NoColor: f.Output.NoColor}
	var err error
	if in.Format, err = f.Output.Validate(); err != nil {
		return in, err
	}
	if f.Has(ReportGroup) {
		if in.Report, err = f.Report.Validate(in.Format, f.Output.formats); err != nil {
			return in, err
		}
	}
	if in.Selection, err = f.Selection.Validate(); err != nil {
		return in, err
	}
	if f.Has(GateGroup) {
		if in.Gate, err = f.Gate.Validate(); err != nil {
			return in, err
		}
	}
	if err := validateNetwork(ctx, &in, f); err != nil {
		return in, err
	}
	if in.config.AgentVersion, err = f.Agent.Validate(); err != nil {
		return in, err
	}
	if err := validateDirectory(ctx, &in, f); err != nil {
		return in, err
	}
	if err := validateTenant(ctx, &in, f); err != nil {
		return in, err
	}
	if in.machine, err = f.Machine.Validate(); err != nil {
		return in, err
	}
	in.src, err = f.Selection.sources(ctx, w)
	return in, err
}

func validateNetwork(ctx context.Context, in *Inputs, f *Flags) error {
	var err error
	if f.Has(ProbeGroup) {
		if in.config.ProbeTimeout, in.proxy, err = f.Probe.Validate(); err != nil {
			return err
		}
	}
	if in.config.Cloud, in.config.TenantID, err = f.Cloud.Validate(); err != nil {
		return err
	}
	in.cloudGiven = f.Cloud.set
	in.config.Legacy = f.Catalogue.Legacy
	if in.config.ExtraEndpoints, err = f.Catalogue.Validate(ctx); err != nil {
		return err
	}
	if in.dnsServers, err = f.DNS.Validate(); err != nil {
		return err
	}
	in.roots, err = f.Trust.Validate(ctx)
	return err
}

func validateDirectory(ctx context.Context, in *Inputs, f *Flags) error {
	var err error
	if f.Has(DirectoryGroup) {
		if in.directory, err = f.Directory.Validate(ctx, in.world.Getenv); err != nil {
			return err
		}
		in.Warnings = append(in.Warnings, in.directory.warnings...)
	}
	in.directory.cfg.UPNSuffixes, err = f.Forest.Validate()
	return err
}

func validateTenant(ctx context.Context, in *Inputs, f *Flags) error {
	var err error
	if f.Has(TenantGroup) {
		if in.tenant, err = f.Tenant.Validate(ctx, in.config.Cloud, in.world.Getenv); err != nil {
			return err
		}
		if f.Selection.Fixture == "" {
			if err := tenantFromToken(in); err != nil {
				return err
			}
		}
	}
	if f.Has(AdminGroup) {
		if in.admin, err = f.Admin.Validate(ctx, in.world.Getenv); err != nil {
			return err
		}
	}
	return nil
}

// tenantFromToken takes the tenant ID from the given token's tid claim
// when --tenant-id is absent, and says so; a token of another tenant than
// --tenant-id names is an error naming both. A device-code sign-in has no
// token yet: it signs in to --tenant-id's tenant, or the user's.
func tenantFromToken(in *Inputs) error {
	if in.tenant.token == nil {
		return nil
	}
	tok, err := in.tenant.token(context.Background())
	if err != nil {
		return nil
	}
	raw, err := graph.TenantOfToken(tok)
	if err != nil {
		return nil // opaque, or no GUID in tid: leave it to Graph
	}
	tid, err := checks.ParseTenantID(raw)
	if err != nil {
		return nil
	}
	switch {
	case in.config.TenantID == "":
		in.config.TenantID, in.config.TenantIDFrom = tid, "the Graph token's tid"
		in.Notes = append(in.Notes, "tenant ID from the token: "+tid)
	case !strings.EqualFold(in.config.TenantID, tid):
		return cli.Usagef("--tenant-id %s: the Graph token was issued for tenant %s: use a token of that tenant, or its ID", in.config.TenantID, tid)
	}
	return nil
}

// signinUsers are the users a signin run diagnoses: --user and
// --users-file, or else the users its fixture names (signin_users).
func signinUsers(ctx context.Context, f *Flags, src sources) ([]string, error) {
	users, err := f.Users.Validate(ctx)
	switch {
	case err != nil:
		return nil, err
	case len(users) > 0:
		return users, nil
	case src.scenario != nil && len(src.scenario.SigninUsers) > 0:
		return src.scenario.SigninUsers, nil
	}
	return nil, cli.Usagef("signin: name the users to diagnose with --user UPN or --users-file FILE")
}

// AgentFlags give the version of the agent about to be installed.
type AgentFlags struct {
	Version   string
	Installer string
}

func (a *AgentFlags) Register(fs *pflag.FlagSet) {
	fs.StringVar(&a.Version, "agent-version", "", "the `VERSION` of the PTA agent about to be installed (e.g. 1.5.2482.0): 1.5.193.0 and later may share a server with an App Proxy connector; a newer one upgrades an installed agent")
	fs.StringVar(&a.Installer, "installer", "", "(Windows) read the agent version from this installer `FILE` (AADConnectAuthAgentSetup.exe)")
}

var versionRE = regexp.MustCompile(`^[0-9]{1,5}(\.[0-9]{1,5}){1,3}$`)

// Validate takes the version from --agent-version or the installer's
// version resource.
func (a *AgentFlags) Validate() (string, error) {
	switch {
	case a.Version != "" && a.Installer != "":
		return "", cli.Usagef("--agent-version and --installer both give the agent version: pass one")
	case a.Installer != "":
		v, err := hostfacts.FileVersion(a.Installer)
		if err != nil {
			return "", cli.Usagef("--installer: %v", err)
		}
		return v, nil
	case a.Version != "" && !versionRE.MatchString(a.Version):
		return "", cli.Usagef("--agent-version %q: want a version such as 1.5.2482.0", a.Version)
	}
	return a.Version, nil
}

// LogsFlags say which trace logs operate reads (and collect copies).
type LogsFlags struct {
	Paths     []string
	Threshold int
	Window    time.Duration
}

func (l *LogsFlags) Register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&l.Paths, "logs", nil, "read the agent trace logs at this `PATH` (file, folder or .zip; repeatable; default: this host's agent trace folders)")
	fs.IntVar(&l.Threshold, "failure-threshold", 100, "logs.recent-failures warns above `N` failed sign-ins in the window (0: any failure warns)")
	fs.DurationVar(&l.Window, "failure-window", 24*time.Hour, "logs.recent-failures: how far back from now")
}

// Validate checks the threshold (0 or more) and the window (positive) and
// that the paths exist; without any paths, the host's agent trace folders
// that exist.
func (l *LogsFlags) Validate() (checks.LogsConfig, error) {
	threshold := l.Threshold
	cfg := checks.LogsConfig{Paths: l.Paths, Window: l.Window, Threshold: &threshold}
	if l.Threshold < 0 {
		return cfg, cli.Usagef("--failure-threshold %d: want 0 or more (0: any failed sign-in warns)", l.Threshold)
	}
	if l.Window <= 0 {
		return cfg, cli.Usagef("--failure-window %s: want a positive duration, e.g. 24h or 30m", l.Window)
	}
	for _, p := range l.Paths {
		if _, err := os.Stat(p); err != nil {
			return cfg, cli.Usagef("--logs %v", cli.PathErr(err))
		}
	}
	if len(l.Paths) == 0 {
		cfg.Paths = cli.ExistingPaths(tracelog.DefaultPaths())
	}
	return cfg, nil
}

// PasswordFlags are signin's own: the one user's password user.password
// tries (collect never tries a password).
type PasswordFlags struct{ File string }

func (p *PasswordFlags) Register(fs *pflag.FlagSet) {
	fs.StringVar(&p.File, "password-file", "", "sign in once as the one --user with the password in this `FILE` (or PTACHECK_USER_PASSWORD), as the agent's LogonUser does: "+
		"user.password answers with the agent's Win32 reason. A wrong password counts toward the account's lockout: it is tried once, never retried")
}

// validate reads the password user.password tries for the one signin user:
// from --password-file or PTACHECK_USER_PASSWORD, never a flag. It is
// checked for exactly one user, and never over plain LDAP or to a DC whose
// certificate is not verified.
func (p *PasswordFlags) validate(ctx context.Context, in *Inputs) error {
	from, password := "PTACHECK_USER_PASSWORD", in.world.Getenv("PTACHECK_USER_PASSWORD")
	if p.File != "" {
		data, err := cli.ReadFile(ctx, p.File, maxSecretFile)
		if err != nil {
			return cli.Usagef("--password-file %v", err)
		}
		from, password = "--password-file", secretText(data)
		if password == "" {
			return cli.Usagef("--password-file %s: the file is empty", p.File)
		}
	}
	if password == "" {
		return nil
	}
	redact.Secret(password)
	switch {
	case len(in.config.Users) != 1:
		return cli.Usagef("%s: a password is checked for exactly one --user, not %d (one password tried against several accounts is a password spray)", from, len(in.config.Users))
	case in.directory.options.Security == directory.Plain:
		return cli.Usagef("%s: a user's password is never sent over plain LDAP: use --ldap-security ldaps or starttls", from)
	case in.directory.options.InsecureSkipVerify:
		return cli.Usagef("%s: a user's password is sent only to a DC whose certificate is verified: drop --ldap-insecure-skip-verify (--ca-file adds a root)", from)
	}
	in.config.Password = directory.NewUserPassword(password)
	in.Notes = append(in.Notes, "user.password signs in once as "+in.config.Users[0]+": a wrong password counts toward the account's lockout threshold, and is not retried")
	return nil
}

// secretText is a password file's text: the file as it is but for its one
// trailing line break (LF or CR LF, as an editor or PowerShell's
// Set-Content leaves it). A byte order mark and UTF-16 are handled by the
// reader (cli.ReadFile); every other character is the password's.
func secretText(data []byte) string {
	s := string(data)
	if t, ok := strings.CutSuffix(s, "\n"); ok {
		s = strings.TrimSuffix(t, "\r")
	}
	return s
}
