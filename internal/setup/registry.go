// Package setup turns a command line into what a run needs: flag groups as
// typed structs, each registered whole by the commands that use it and
// validated into immutable Inputs, and Build, the one place clients are
// built (for the real world and for fixtures). It imports checks and
// fixtures; the root package imports it; internal/cli is below it.
package setup

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/ptacheck/ptacheck/internal/cli"
	"github.com/ptacheck/ptacheck/util/suggest"
)

// Group names a set of flags that belong together. A command registers the
// groups it uses, whole; a flag of a group it does not register is a usage
// error that names the commands that take it.
type Group int

// The flag groups. The first ones are shared by several commands; the last
// ones belong to one command each.
const (
	OutputGroup       Group = iota // -o, --no-color, -v: every command but security-query
	ConfigGroup                    // --config: the commands with settings worth a file
	ReportGroup                    // --report-file, --report-format
	SelectionGroup                 // --skip, --only, --ignore-failures, --timeout, --fixture, --host-snapshot
	GateGroup                      // --strict, --retry-timeout, --sleep
	AgentGroup                     // --agent-version, --installer
	CloudGroup                     // --cloud, --tenant-id
	CatalogueGroup                 // --legacy, --endpoints-file
	DNSGroup                       // --dns-server
	ProbeGroup                     // --probe-timeout, --proxy
	TrustGroup                     // --ca-file
	DirectoryGroup                 // --domain, --dc, --ldap-*
	ForestGroup                    // --upn-suffix
	TenantGroup                    // --token-file, --device-code, --login-url, --graph-url, --client-id
	AdminGroup                     // --admin-upn, --admin-password-file, --require-global-admin
	MachineGroup                   // --machine-name
	UsersGroup                     // --user, --users-file
	PasswordGroup                  // signin --password-file
	LogsGroup                      // --logs, --failure-threshold, --failure-window
	EndpointsGroup                 // list --endpoints
	SnapshotFileGroup              // snapshot --report-file
	TraceLogsGroup                 // logs --since, --until, --request-id, --timeout
	DCQueryGroup                   // security-query --format, --agent-path
	BundleGroup                    // collect --out, --phase, --max-log-bytes
	FleetGroup                     // summarize --strict
)

// section is the heading a shared group is listed under in a command's help.
var section = map[Group]string{
	OutputGroup: "Common flags", ConfigGroup: "Common flags", ReportGroup: "Report flags", SelectionGroup: "Selection flags", GateGroup: "Selection flags",
	CloudGroup: "Network flags", CatalogueGroup: "Network flags", DNSGroup: "Network flags", ProbeGroup: "Network flags",
	TrustGroup:     "Network flags",
	DirectoryGroup: "Directory flags", ForestGroup: "Directory flags",
	TenantGroup: "Tenant flags", AdminGroup: "Tenant flags", MachineGroup: "Tenant flags",
	AgentGroup: "Agent flags", UsersGroup: "Signin flags", LogsGroup: "Trace-log flags",
}

// registrar is what every flag group is: it adds its flags to a set.
type registrar interface{ Register(fs *pflag.FlagSet) }

// Flags holds every group's flags; a command's FlagSet fills only the
// groups it registers, and the others keep their zero values.
type Flags struct {
	Output       OutputFlags
	Config       ConfigFlags
	Report       ReportFlags
	Selection    SelectionFlags
	Gate         GateFlags
	Agent        AgentFlags
	Cloud        CloudFlags
	Catalogue    CatalogueFlags
	DNS          DNSFlags
	Probe        ProbeFlags
	Trust        TrustFlags
	Directory    DirectoryFlags
	Forest       ForestFlags
	Tenant       TenantFlags
	Admin        AdminFlags
	Machine      MachineFlags
	Users        UsersFlags
	Password     PasswordFlags
	Logs         LogsFlags
	Endpoints    EndpointsFlags
	SnapshotFile SnapshotFlags
	TraceLogs    TraceLogsFlags
	DCQuery      DCQueryFlags
	Bundle       BundleFlags
	Fleet        FleetFlags

	groups []Group // registered, in help order
}

func (f *Flags) group(g Group) registrar {
	return [...]registrar{
		OutputGroup: &f.Output, ConfigGroup: &f.Config, ReportGroup: &f.Report, SelectionGroup: &f.Selection, GateGroup: &f.Gate, AgentGroup: &f.Agent,
		CloudGroup: &f.Cloud, CatalogueGroup: &f.Catalogue, DNSGroup: &f.DNS, ProbeGroup: &f.Probe, TrustGroup: &f.Trust, DirectoryGroup: &f.Directory,
		ForestGroup: &f.Forest, TenantGroup: &f.Tenant, AdminGroup: &f.Admin, MachineGroup: &f.Machine, UsersGroup: &f.Users, PasswordGroup: &f.Password,
		LogsGroup: &f.Logs, EndpointsGroup: &f.Endpoints, SnapshotFileGroup: &f.SnapshotFile, TraceLogsGroup: &f.TraceLogs,
		DCQueryGroup: &f.DCQuery, BundleGroup: &f.Bundle, FleetGroup: &f.Fleet,
	}[g]
}

// Has reports whether the command registered group g.
func (f *Flags) Has(g Group) bool { return slices.Contains(f.groups, g) }

// Command is what the registry knows of a command: its name, the -o
// formats it offers, its own flag groups (listed first in its help) and the
// shared groups it uses.
type Command struct {
	Name    string
	Aliases []string // other names it answers to (dc-query for security-query)
	Formats []string // the -o formats, first the default; nil: no Output group
	// NoConfig: the command takes no --config and reads no config file
	// (explain, fixtures, version: nothing of theirs is worth a setting).
	NoConfig bool
	Own      []Group
	Shared   []Group
	// NumericArgs: arguments that are negative numbers are positional
	// (explain -2146892994), not shorthand flags.
	NumericArgs bool
}

// outputGroups are the common groups the command takes.
func (c Command) outputGroups() []Group {
	if c.Formats == nil {
		return nil
	}
	if c.NoConfig {
		return []Group{OutputGroup}
	}
	return []Group{OutputGroup, ConfigGroup}
}

func (c Command) groups() []Group { return slices.Concat(c.Own, c.Shared, c.outputGroups()) }

// FlagSet builds the command's flag set over a new Flags.
func (c Command) FlagSet() (*pflag.FlagSet, *Flags) {
	f := &Flags{}
	f.Output.formats = c.Formats
	fs := pflag.NewFlagSet(c.Name, pflag.ContinueOnError)
	fs.SetInterspersed(true)
	fs.SortFlags = false
	fs.Usage = func() {}
	fs.SetOutput(discard{})
	for _, g := range c.groups() {
		f.group(g).Register(fs)
		f.groups = append(f.groups, g)
	}
	return fs, f
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// Registry knows every command's flags: which commands take a flag (for the
// error when another command is given it, and for the config file's keys)
// and which flags take a value (to find the command among the arguments).
type Registry struct {
	cmds   []Command
	takers map[string][]string // flag name -> the commands that take it, in table order
	value  map[string]bool     // "--name" or "-x" -> takes a value
	short  map[string]string   // shorthand -> name
}

// NewRegistry builds the registry of a command table.
func NewRegistry(cmds ...Command) *Registry {
	r := &Registry{cmds: cmds, takers: map[string][]string{}, value: map[string]bool{}, short: map[string]string{}}
	for _, c := range cmds {
		fs, _ := c.FlagSet()
		fs.VisitAll(func(fl *pflag.Flag) {
			if !slices.Contains(r.takers[fl.Name], c.Name) {
				r.takers[fl.Name] = append(r.takers[fl.Name], c.Name)
			}
			if fl.Shorthand != "" {
				r.short[fl.Shorthand] = fl.Name
			}
			if fl.NoOptDefVal == "" {
				r.value["--"+fl.Name] = true
				if fl.Shorthand != "" {
					r.value["-"+fl.Shorthand] = true
				}
			}
		})
	}
	return r
}

// Lookup returns the command named name (or one of its aliases).
func (r *Registry) Lookup(name string) (Command, bool) {
	for _, c := range r.cmds {
		if c.Name == name || slices.Contains(c.Aliases, name) {
			return c, true
		}
	}
	return Command{}, false
}

// TakesValue reports whether the argument is a flag (of any command) that
// takes a value.
func (r *Registry) TakesValue(arg string) bool { return r.value[arg] }

// Takers returns the commands that take the flag name.
func (r *Registry) Takers(name string) []string { return r.takers[name] }

// Known reports whether any command takes the flag name.
func (r *Registry) Known(name string) bool { return len(r.takers[name]) > 0 }

// ErrHelp is returned by Parse for -h and --help.
var ErrHelp = pflag.ErrHelp

// Parse parses the command's arguments and fills the flags the command line
// left unset from the environment and the config file. It returns the
// flags, the positional arguments (the command's name first) and, for -v,
// where each default came from.
func (r *Registry) Parse(ctx context.Context, c Command, args []string, getenv func(string) string) (*Flags, []string, []string, error) {
	fs, f := c.FlagSet()
	if c.NumericArgs {
		args = hideNumbers(fs, args)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil, nil, nil, ErrHelp
		}
		return nil, nil, nil, r.parseError(c, fs, err)
	}
	f.Selection.ignoreGiven = fs.Changed("ignore-failures")
	origins, err := applyDefaults(ctx, fs, f.Has(ConfigGroup), f.Config.File, getenv, r.names())
	if err != nil {
		return nil, nil, nil, err
	}
	f.Cloud.set = fs.Changed("cloud")
	rest := fs.Args()
	if c.NumericArgs {
		for i, a := range rest {
			rest[i] = strings.TrimPrefix(a, numberMark)
		}
	}
	return f, rest, origins, nil
}

// numberMark marks a negative number as an argument for pflag, which reads
// "-2" as a shorthand. No argument of a command line can hold a NUL byte,
// so the mark is never the user's.
const numberMark = "\x00"

var negativeNumber = regexp.MustCompile(`^-[0-9]+$`)

// hideNumbers marks the negative numbers among args (explain -2146892994:
// an HRESULT as the trace log prints it) so that pflag takes them as
// arguments; the value of a flag that takes one stays as it is.
func hideNumbers(fs *pflag.FlagSet, args []string) []string {
	out := slices.Clone(args)
	for i := 0; i < len(out); i++ {
		a := out[i]
		switch {
		case a == "--":
			return out
		case negativeNumber.MatchString(a):
			out[i] = numberMark + a
		case strings.HasPrefix(a, "-") && !strings.Contains(a, "=") && takesValue(fs, a):
			i++ // its value
		}
	}
	return out
}

// takesValue reports whether a flag argument (--name or -x) of fs takes a
// value as the next argument.
func takesValue(fs *pflag.FlagSet, arg string) bool {
	var f *pflag.Flag
	if name, ok := strings.CutPrefix(arg, "--"); ok {
		f = fs.Lookup(name)
	} else if len(arg) == 2 {
		f = fs.ShorthandLookup(arg[1:])
	}
	return f != nil && f.NoOptDefVal == ""
}

// parseError words a pflag error: a flag of other commands says which, a
// mistyped one the nearest the command takes.
func (r *Registry) parseError(c Command, fs *pflag.FlagSet, err error) error {
	help := fmt.Sprintf("(run 'ptacheck %s --help')", c.Name)
	var ne *pflag.NotExistError
	if !errors.As(err, &ne) {
		return cli.Usagef("%s: %v %s", c.Name, err, help)
	}
	name := ne.GetSpecifiedName()
	typed := "--" + name
	if short := ne.GetSpecifiedShortnames(); short != "" {
		typed = "-" + short
		if long, ok := r.short[name]; ok {
			name = long // -o: the flag's name
		} else {
			// -fixture: a long flag with one dash.
			name = short
		}
	}
	if takers := r.takers[name]; len(takers) > 0 && !slices.Contains(takers, c.Name) {
		return cli.Usagef("%s: --%s does not apply to %s: it is a flag of %s %s", c.Name, name, c.Name, cli.OrList(takers), help)
	}
	var own []string
	fs.VisitAll(func(f *pflag.Flag) { own = append(own, f.Name) })
	if fs.Lookup(name) != nil {
		return cli.Usagef("%s: unknown flag %s: did you mean --%s? %s", c.Name, typed, name, help)
	}
	if hint := suggest.DidYouMean(name, own, "--"); hint != "" {
		return cli.Usagef("%s: unknown flag %s: %s %s", c.Name, typed, hint, help)
	}
	// The nearest flag is another command's.
	if near := suggest.Closest(name, r.names()); near != "" {
		return cli.Usagef("%s: unknown flag %s: did you mean --%s? (a flag of %s; run 'ptacheck %s --help')", c.Name, typed, near, cli.OrList(r.takers[near]), c.Name)
	}
	return cli.Usagef("%s: unknown flag %s %s", c.Name, typed, help)
}

// names are every command's flag names, in table order.
func (r *Registry) names() []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range r.cmds {
		fs, _ := c.FlagSet()
		fs.VisitAll(func(f *pflag.Flag) {
			if !seen[f.Name] {
				seen[f.Name] = true
				out = append(out, f.Name)
			}
		})
	}
	return out
}

// CommandNames returns the names of the commands and their aliases, in table
// order: what a mistyped command is compared with.
func (r *Registry) CommandNames() []string {
	var out []string
	for _, c := range r.cmds {
		out = append(out, c.Name)
		out = append(out, c.Aliases...)
	}
	return out
}
