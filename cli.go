package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/fixtures"
	"github.com/ptacheck/ptacheck/report"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

const usageText = `ptacheck checks a server and a tenant before a Pass-through Authentication
(PTA) agent is installed, registered, enabled or uninstalled. It is read-only.

Usage:
  ptacheck <command> [flags]

Phases (run the checklist for the step you are about to take):
  install     before installing an agent on this server
  register    before registering the installed agent with the tenant
  enable      before enabling PTA on the tenant
  uninstall   before uninstalling the agent from this server

Other commands:
  list        print every check: ID, phases, description (--endpoints: the endpoint catalogue)
  snapshot    write this Windows host's facts as JSON (for --host-snapshot)
  version     print the version

Exit codes (the same for every output format):
  0   ready: nothing failed (warnings allowed unless --strict)
  1   not ready: at least one check failed
  2   usage or input error (unknown flag, phase or check ID; unreadable or malformed file)
  3   inconclusive: nothing failed, but a check could not be evaluated
  130 interrupted (Ctrl-C); the partial report is still written

Examples:
  ptacheck install                                   # on the server, before installing
  ptacheck install --fixture healthy                 # an emulated environment, anywhere
  ptacheck register --tenant-id <guid> -o json --report-file pta.json
  ptacheck enable --only net.outbound-ports --probe-timeout 2s
  ptacheck install --host-snapshot host.json         # evaluate facts captured with 'ptacheck snapshot'
  ptacheck install --ignore-failures host.app-proxy-connector   # agent >= 1.5.193.0 may coexist

Flags:
`

// options are the parsed flags.
type options struct {
	output        string
	reportFile    string
	skip          []string
	only          []string
	ignore        []string
	strict        bool
	timeout       time.Duration
	probeTimeout  time.Duration
	fixture       string
	hostSnapshot  string
	noColor       bool
	verbose       bool
	cloud         string
	tenantID      string
	dnsServers    []string
	proxy         string
	legacy        bool
	endpointsFile string
	endpoints     bool
}

func newFlagSet(o *options) *pflag.FlagSet {
	fs := pflag.NewFlagSet("ptacheck", pflag.ContinueOnError)
	fs.SetInterspersed(true)
	fs.SortFlags = false
	fs.StringVarP(&o.output, "output", "o", "text", "report format: "+strings.Join(report.Names(), ", "))
	fs.StringVar(&o.reportFile, "report-file", "", "also write the report (in the --output format) to `FILE`")
	fs.StringSliceVar(&o.skip, "skip", nil, "do not run these check `IDs` (reported as skip)")
	fs.StringSliceVar(&o.only, "only", nil, "run only these check `IDs`")
	fs.StringSliceVar(&o.ignore, "ignore-failures", nil, "demote failures of these check `IDs` (or all) to warnings")
	fs.BoolVar(&o.strict, "strict", false, "warnings fail the run (exit 1)")
	fs.DurationVar(&o.timeout, "timeout", checks.DefaultRunTimeout, "deadline for the whole run")
	fs.DurationVar(&o.probeTimeout, "probe-timeout", checks.DefaultProbeTimeout, "deadline for one network probe (DNS + TCP + TLS of one endpoint)")
	fs.StringVar(&o.cloud, "cloud", "public", "endpoint set: public or usgov")
	fs.StringVar(&o.tenantID, "tenant-id", "", "directory (tenant) `GUID`: also probe the tenant-specific hosts")
	fs.StringSliceVar(&o.dnsServers, "dns-server", nil, "resolve through this `HOST[:PORT]` instead of the system resolvers (repeatable)")
	fs.StringVar(&o.proxy, "proxy", "", "probe through this proxy: an http:// `URL`, \"winhttp\" (the host's WinHTTP setting) or \"none\"; default: HTTPS_PROXY/HTTP_PROXY/NO_PROXY")
	fs.BoolVar(&o.legacy, "legacy", false, "also probe the legacy ports of pre-2018 agents (5671, 9090, 9091, 9350, 9352, 10100-10120)")
	fs.StringVar(&o.endpointsFile, "endpoints-file", "", "add the endpoints of this JSON `FILE` to the catalogue")
	fs.StringVar(&o.fixture, "fixture", "", "run against an emulated environment: an embedded `NAME` ("+strings.Join(fixtures.Names(), ", ")+") or a directory")
	fs.StringVar(&o.hostSnapshot, "host-snapshot", "", "evaluate the host facts in this `FILE` (from 'ptacheck snapshot') instead of the live host")
	fs.BoolVar(&o.endpoints, "endpoints", false, "list: print the endpoint catalogue instead of the checks")
	fs.BoolVar(&o.noColor, "no-color", false, "no colours in text output (NO_COLOR is honoured too)")
	fs.BoolVarP(&o.verbose, "verbose", "v", false, "progress and details on stderr, durations and evidence in text output")
	return fs
}

// usageError is a one-line usage or input error: exit 2. Other errors that
// stop a run before a report exists (a fixture that cannot start, stdout
// closed) exit 2 as well: no verdict was reached.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// run is the whole program; main only wires the process to it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, env *checks.Env) int {
	var o options
	fs := newFlagSet(&o)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			printUsage(stdout, fs)
			return report.ExitReady
		}
		fmt.Fprintf(stderr, "ptacheck: %v\nRun 'ptacheck --help' for usage.\n", err)
		return report.ExitUsage
	}
	rest := fs.Args()
	if len(rest) == 0 {
		printUsage(stderr, fs)
		fmt.Fprintln(stderr, "\nptacheck: no command given")
		return report.ExitUsage
	}
	cmd := rest[0]
	if len(rest) > 1 {
		return fail(stderr, usagef("unexpected argument %q after %s", rest[1], cmd))
	}
	var err error
	code := report.ExitReady
	switch cmd {
	case "help":
		printUsage(stdout, fs)
	case "version":
		fmt.Fprintf(stdout, "ptacheck %s\n", version)
	case "list":
		err = runList(stdout, &o)
	case "snapshot":
		err = runSnapshot(ctx, stdout, &o, env)
	default:
		phase, ok := checks.ParsePhase(cmd)
		if !ok {
			return fail(stderr, usagef("unknown command %q (want install, register, enable, uninstall, list, snapshot or version)", cmd))
		}
		code, err = runPhase(ctx, phase, stdout, stderr, &o, env)
	}
	if err != nil {
		return fail(stderr, err)
	}
	return code
}

func fail(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "ptacheck: %s\n", oneLine(err.Error()))
	return report.ExitUsage
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func printUsage(w io.Writer, fs *pflag.FlagSet) {
	fmt.Fprint(w, usageText)
	fmt.Fprint(w, fs.FlagUsagesWrapped(100))
	fmt.Fprintln(w, "\nCheck IDs: run 'ptacheck list'. Documentation: README.md.")
}

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// planConfig validates the flags that shape the plan.
func planConfig(o *options) (checks.Config, error) {
	var cfg checks.Config
	cloud, err := checks.ParseCloud(o.cloud)
	if err != nil {
		return cfg, usageError{err.Error()}
	}
	cfg.Cloud = cloud
	if o.tenantID != "" && !guidRE.MatchString(o.tenantID) {
		return cfg, usagef("--tenant-id %q: want the directory (tenant) ID, a GUID such as 84841066-274d-4ec0-a5c1-276be684bdd3", o.tenantID)
	}
	cfg.TenantID = strings.ToLower(o.tenantID)
	if o.probeTimeout <= 0 {
		return cfg, usagef("--probe-timeout %s: must be positive", o.probeTimeout)
	}
	if o.timeout <= 0 {
		return cfg, usagef("--timeout %s: must be positive", o.timeout)
	}
	cfg.ProbeTimeout = o.probeTimeout
	cfg.Legacy = o.legacy
	if o.endpointsFile != "" {
		data, err := os.ReadFile(o.endpointsFile)
		if err != nil {
			return cfg, usagef("--endpoints-file: %v", err)
		}
		cfg.ExtraEndpoints, err = checks.ParseEndpointsFile(data)
		if err != nil {
			return cfg, usagef("--endpoints-file %s: %v", o.endpointsFile, err)
		}
	}
	return cfg, nil
}

func runList(stdout io.Writer, o *options) error {
	if o.output != "text" && o.output != "json" {
		return usagef("list: --output %q: want text or json", o.output)
	}
	cfg, err := planConfig(o)
	if err != nil {
		return err
	}
	if o.endpoints {
		return listEndpoints(stdout, o, cfg)
	}
	type item struct {
		ID          string         `json:"id"`
		Title       string         `json:"title"`
		Phases      []checks.Phase `json:"phases"`
		Requires    []string       `json:"requires"`
		Description string         `json:"description"`
		DocURL      string         `json:"doc_url"`
	}
	var items []item
	for _, e := range checks.Catalog(cfg) {
		m := e.Check.Meta()
		items = append(items, item{m.ID, m.Title, e.Phases, append([]string{}, e.Requires...), m.Description, m.DocURL})
	}
	if o.output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(items)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPHASES\tDESCRIPTION")
	for _, it := range items {
		var ph []string
		for _, p := range it.Phases {
			ph = append(ph, string(p))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", it.ID, strings.Join(ph, ","), it.Description)
	}
	return tw.Flush()
}

func listEndpoints(stdout io.Writer, o *options, cfg checks.Config) error {
	entries := append(append([]checks.Endpoint{}, checks.CatalogueEndpoints(cfg.Cloud)...), cfg.ExtraEndpoints...)
	set := checks.Expand(cfg.Cloud, entries, cfg.TenantID, true)
	if o.output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Cloud       checks.Cloud       `json:"cloud"`
			Description string             `json:"description"`
			Catalogue   []checks.Endpoint  `json:"catalogue"`
			Expanded    checks.EndpointSet `json:"expanded"`
		}{cfg.Cloud, checks.CloudDescription(cfg.Cloud), entries, set})
	}
	fmt.Fprintf(stdout, "Endpoint catalogue: %s (%s)\n\n", cfg.Cloud, checks.CloudDescription(cfg.Cloud))
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LEVEL\tHOST\tPORTS\tPROBE\tTESTED AS\tPURPOSE")
	for _, e := range entries {
		tested := "itself"
		switch {
		case strings.HasPrefix(e.Host, "*.") && len(e.TestWith) > 0:
			tested = strings.Join(e.TestWith, ", ")
		case strings.HasPrefix(e.Host, "*."):
			tested = "not directly testable"
		}
		if strings.Contains(tested, "{tenant}") || strings.Contains(e.Host, "{tenant}") {
			if cfg.TenantID == "" {
				tested += " (needs --tenant-id)"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Level, e.Host, portList(e.Ports), e.Protocol, tested, e.Purpose)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nLegacy entries are probed only with --legacy. TLS issuers expected: %s.\n", strings.Join(checks.TrustedIssuers(), ", "))
	return nil
}

// portList renders ports compactly: 10100-10120 for runs.
func portList(ports []int) string {
	var parts []string
	for i := 0; i < len(ports); {
		j := i
		for j+1 < len(ports) && ports[j+1] == ports[j]+1 {
			j++
		}
		if j-i >= 2 {
			parts = append(parts, fmt.Sprintf("%d-%d", ports[i], ports[j]))
		} else {
			for k := i; k <= j; k++ {
				parts = append(parts, fmt.Sprint(ports[k]))
			}
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

func runSnapshot(ctx context.Context, stdout io.Writer, o *options, env *checks.Env) error {
	if o.hostSnapshot != "" || o.fixture != "" {
		return usagef("snapshot reads the live Windows host; --host-snapshot and --fixture do not apply")
	}
	s, err := env.Host.Snapshot(ctx)
	if errors.Is(err, checks.ErrUnsupportedOS) {
		return usagef("snapshot needs Windows: run it on the agent server, then pass the file to --host-snapshot on any system")
	}
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if o.reportFile != "" {
		if err := os.WriteFile(o.reportFile, data, 0o644); err != nil {
			return usagef("--report-file: %v", err)
		}
	}
	_, err = stdout.Write(data)
	return err
}
