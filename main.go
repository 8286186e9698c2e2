// Command ptacheck checks that a server and a tenant are ready before an
// Azure AD / Microsoft Entra Pass-through Authentication agent is installed,
// registered, enabled or uninstalled, and exits with a code scripts gate on
// (exitCodes below: 0 ready, 1 not ready, 2 usage or input error, 3
// inconclusive, 130/143 interrupted by SIGINT/SIGTERM, the partial report
// still written).
//
// It is read-only: it never writes to the host, the directory or the tenant,
// only the report files the user asks for.
//
// The root package is the command table, run and one thin file per command
// group; internal/setup turns flags into inputs and builds the clients,
// internal/cli holds the streams, the terminal and the report files.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/checks/hostfacts"
	"github.com/ptacheck/ptacheck/internal/cli"
	"github.com/ptacheck/ptacheck/internal/setup"
	"github.com/ptacheck/ptacheck/report"
	"github.com/ptacheck/ptacheck/util/suggest"
)

// exitCodes are the codes scripts gate on, the same for every output
// format; the help prints this table.
var exitCodes = []struct {
	code    string
	meaning string
}{
	{fmt.Sprint(report.ExitReady), "ready: nothing failed (warnings allowed unless --strict)"},
	{fmt.Sprint(report.ExitNotReady), "not ready: at least one check failed (with --strict, or a warning)"},
	{fmt.Sprint(report.ExitUsage), "usage or input error (one line on stderr)"},
	{fmt.Sprint(report.ExitInconclusive), "inconclusive: nothing failed, but nothing was evaluated or a check could not be evaluated"},
	{fmt.Sprint(report.ExitInterrupted), fmt.Sprintf("interrupted by SIGINT (Ctrl-C); %d by SIGTERM; the partial report is still written", report.ExitTerminated)},
}

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal winds the run down: it stops within a second
		// and writes its partial report. A second one ends the process.
		s := <-sigs
		name, code := signalExit(s)
		cancel(checks.Interrupted(name, code))
		s = <-sigs
		_, code = signalExit(s)
		os.Exit(code)
	}()
	code := runMain(ctx, os.Args[1:], os.Stdout, os.Stderr, &setup.World{
		Host: hostfacts.Cached(hostfacts.Live()), Getenv: os.Getenv, Stdin: os.Stdin,
		NewHost: func() hostfacts.Source { return hostfacts.Cached(hostfacts.Live()) },
	})
	os.Exit(code)
}

func signalExit(s os.Signal) (string, int) {
	if s == syscall.SIGTERM {
		return "SIGTERM", report.ExitTerminated
	}
	return "SIGINT", report.ExitInterrupted
}

// command is one entry of the command table: the flag groups it takes, and
// the function that runs it, returning an exit code.
type command struct {
	setup.Command
	summary  string
	args     string // positional arguments, for the usage line
	maxArgs  int    // -1: any number
	run      func(ctx context.Context, inv *setup.Invocation) (int, error)
	examples string
}

// The flag groups of the commands, beside the Output group every command
// but security-query takes.
var (
	phaseGroups     = []setup.Group{setup.SelectionGroup, setup.GateGroup, setup.ReportGroup}
	networkGroups   = []setup.Group{setup.CloudGroup, setup.CatalogueGroup, setup.DNSGroup, setup.ProbeGroup, setup.TrustGroup}
	directoryGroups = []setup.Group{setup.DirectoryGroup, setup.ForestGroup}
	tenantGroups    = []setup.Group{setup.TenantGroup, setup.AdminGroup}
	textJSON        = []string{"text", "json"}
)

func phaseCommand(p checks.Phase, own []setup.Group, shared []setup.Group, summary, examples string) *command {
	return &command{
		Command: setup.Command{Name: string(p), Formats: report.Names(), Own: own, Shared: slices.Concat(phaseGroups, shared)},
		summary: summary, examples: examples,
		run: func(ctx context.Context, inv *setup.Invocation) (int, error) { return runPhase(ctx, p, inv) },
	}
}

// commands is the command table, in the order --help lists them.
var commands = []*command{
	phaseCommand(checks.PhaseInstall, []setup.Group{setup.AgentGroup}, slices.Concat(networkGroups, directoryGroups, tenantGroups),
		"checklist before installing an agent on this server", `
  ptacheck install                                   # on the server, before installing
  ptacheck install --fixture healthy                 # an emulated environment, anywhere
  ptacheck install --host-snapshot host.json         # facts captured with 'ptacheck snapshot'
  ptacheck install --ignore-failures host.app-proxy-connector   # accept one known finding`),
	phaseCommand(checks.PhaseRegister, []setup.Group{setup.AgentGroup}, slices.Concat(networkGroups, directoryGroups, tenantGroups),
		"checklist before registering the installed agent with the tenant", `
  ptacheck register --tenant-id "$TENANT_ID"          # on the server, after installing
  ptacheck register --tenant-id "$TENANT_ID" -o json --report-file pta.json
  ptacheck register --fixture two-agents              # an emulated environment, anywhere`),
	phaseCommand(checks.PhaseVerify, []setup.Group{setup.MachineGroup}, []setup.Group{setup.CloudGroup, setup.TrustGroup, setup.TenantGroup},
		"checklist after installing and registering the agent: it runs and the tenant lists it active", `
  ptacheck verify --tenant-id "$TENANT_ID"            # on the server, after RegisterConnector.ps1
  ptacheck verify --retry-timeout 5m --sleep 30s      # wait for the agent to come up and show as active
  ptacheck verify --fixture agent-stopped             # an emulated registered server whose agent is stopped`),
	phaseCommand(checks.PhaseEnable, nil, slices.Concat(networkGroups, tenantGroups),
		"checklist before enabling PTA on the tenant", `
  ptacheck enable --tenant-id "$TENANT_ID"
  ptacheck enable --only net.outbound-ports --probe-timeout 2s
  ptacheck enable --report-file r.xml --report-format junit   # text on screen, JUnit for CI`),
	phaseCommand(checks.PhaseUninstall, []setup.Group{setup.MachineGroup}, []setup.Group{setup.CloudGroup, setup.TrustGroup, setup.TenantGroup},
		"checklist before uninstalling the agent from this server", `
  ptacheck uninstall                                 # on the server, before uninstalling
  ptacheck uninstall --host-snapshot host.json       # facts captured with 'ptacheck snapshot'
  ptacheck uninstall --fixture last-agent -o json    # an emulated environment, anywhere`),
	phaseCommand(checks.PhaseSignin, []setup.Group{setup.UsersGroup, setup.PasswordGroup, setup.MachineGroup}, []setup.Group{setup.CloudGroup, setup.DNSGroup, setup.TrustGroup, setup.DirectoryGroup, setup.TenantGroup},
		"diagnose why users' sign-ins fail, from their AD accounts", `
  ptacheck signin --user alice@contoso.com --user bob@contoso.com
  ptacheck signin --users-file users.txt -o json --report-file signin.json
  ptacheck signin --domain corp.contoso.com --ldap-user svc@corp.contoso.com --user alice@contoso.com   # not on the agent server
  ptacheck signin --user alice@contoso.com --password-file pw.txt   # one real sign-in (counts toward lockout if wrong)`),
	phaseCommand(checks.PhaseOperate, []setup.Group{setup.LogsGroup, setup.MachineGroup}, slices.Concat(networkGroups, []setup.Group{setup.DirectoryGroup, setup.TenantGroup}),
		"health check of a running setup: this agent, endpoints, DCs, active agents, recent failed sign-ins", `
  ptacheck operate                                     # on the agent server, on a schedule
  ptacheck operate --logs C:\Temp\Trace --failure-threshold 50 -o json
  ptacheck operate -o prometheus --report-file ptacheck.prom   # for a textfile collector`),
	{
		Command: setup.Command{Name: "list", Formats: textJSON, Own: []setup.Group{setup.EndpointsGroup}, Shared: []setup.Group{setup.CloudGroup, setup.CatalogueGroup}},
		summary: "print every check (--endpoints: the endpoint catalogue)", run: runList, examples: `
  ptacheck list
  ptacheck list -o json
  ptacheck list --endpoints --cloud usgov --tenant-id "$TENANT_ID" -o json`,
	},
	{
		Command: setup.Command{Name: "snapshot", Formats: []string{"json", "text"}, Own: []setup.Group{setup.SnapshotFileGroup}},
		summary: "write this Windows host's facts as JSON (for --host-snapshot)", run: runSnapshot, examples: `
  ptacheck snapshot --report-file host.json          # on the agent server (the JSON on screen too)
  ptacheck snapshot > host.json                      # the same (PowerShell 5.1's > writes UTF-16: read too)
  ptacheck install --host-snapshot host.json         # then on any system`,
	},
	{
		Command: setup.Command{Name: "explain", Formats: textJSON, NoConfig: true, NumericArgs: true},
		summary: "explain AADSTS, Win32 (trace-log Reason) and NTSTATUS codes", args: " CODE...", maxArgs: -1, run: runExplain, examples: `
  ptacheck explain AADSTS80001          # a sign-in error
  ptacheck explain 1328 1909 0x530      # Reason codes from the agent's trace log
  ptacheck explain -2146892994          # a negative Reason (an HRESULT), as 'ptacheck logs' prints it
  ptacheck explain -o json AADSTS8002   # the documented typo of 80002`,
	},
	{
		Command: setup.Command{Name: "logs", Formats: textJSON, Own: []setup.Group{setup.TraceLogsGroup}},
		summary: "summarise failed sign-ins in agent trace logs by Reason, and the agent's logons in exported Security events", args: " [PATH...]", maxArgs: -1, run: runLogs, examples: `
  ptacheck logs                                        # this host's agent trace folders
  ptacheck logs --since 24h C:\Temp\trace.zip
  ptacheck logs -o json --request-id df63f4a4-68b9-44ae-8d81-6ad2d844d84e trace/
  ptacheck logs security.xml    # wevtutil qe Security /q:"$(ptacheck security-query --format xpath)" /f:xml > security.xml`,
	},
	{
		Command: setup.Command{Name: "security-query", Aliases: []string{"dc-query"}, Own: []setup.Group{setup.DCQueryGroup}},
		summary: "print the Security-log query for the agent's logons on its server (Event Viewer, wevtutil)", run: runDCQuery, examples: `
  ptacheck security-query > pta-logons.xml             # Event Viewer > Create Custom View > XML
  wevtutil qe Security /rd:true /c:20 /f:text /q:"$(ptacheck security-query --format xpath)"`,
	},
	{
		Command: setup.Command{Name: "collect", Formats: textJSON, Own: []setup.Group{setup.BundleGroup},
			Shared: slices.Concat([]setup.Group{setup.SelectionGroup, setup.AgentGroup}, networkGroups, directoryGroups, tenantGroups,
				[]setup.Group{setup.MachineGroup, setup.UsersGroup, setup.LogsGroup})},
		summary: "write a support bundle: phase reports, host facts, trace logs, event logs (secrets redacted)", run: runCollect, examples: `
  ptacheck collect --out pta-support.zip                        # on the agent server: operate report, logs, events
  ptacheck collect --out pta.zip --phase all --max-log-bytes 0  # every checklist phase, no trace-log copies
  ptacheck collect --out pta.zip --phase signin --user alice@contoso.com`,
	},
	{
		Command: setup.Command{Name: "summarize", Formats: []string{"text", "json", "csv"}, Own: []setup.Group{setup.FleetGroup}},
		summary: "merge many JSON reports into one fleet table (text, json, csv); warns on planned removals", args: " REPORT.json|FOLDER...", maxArgs: -1, run: runSummarize, examples: `
  ptacheck summarize reports/                          # every *.json report in the folder
  ptacheck summarize -o csv reports/*.json > fleet.csv
  ptacheck summarize --strict uninstall-*.json         # before removing agents from several servers`,
	},
	{
		Command: setup.Command{Name: "fixtures", Formats: textJSON, NoConfig: true},
		summary: "list the built-in fixture environments, one line each", run: runFixtures, examples: `
  ptacheck fixtures
  ptacheck fixtures -o json
  ptacheck install --fixture wrong-forest`,
	},
	{
		Command: setup.Command{Name: "version", Formats: textJSON, NoConfig: true},
		summary: "print the version", run: runVersion, examples: `
  ptacheck version
  ptacheck --version
  ptacheck version -o json`,
	},
}

// registry knows every command's flags.
var registry = func() *setup.Registry {
	var cmds []setup.Command
	for _, c := range commands {
		cmds = append(cmds, c.Command)
	}
	return setup.NewRegistry(cmds...)
}()

func lookupCommand(name string) *command {
	for _, c := range commands {
		if c.Name == name || slices.Contains(c.Aliases, name) {
			return c
		}
	}
	return nil
}

// unknownCommand is the error for a command name no command answers to:
// the nearest one, or the list.
func unknownCommand(prefix, name string) error {
	if hint := suggest.DidYouMean(name, registry.CommandNames(), ""); hint != "" {
		return cli.Usagef("%sunknown command %q: %s (run 'ptacheck --help' for the commands)", prefix, name, hint)
	}
	return cli.Usagef("%sunknown command %q (want %s); run 'ptacheck --help'", prefix, name, commandNames())
}

func commandNames() string {
	var names []string
	for _, c := range commands {
		names = append(names, c.Name)
	}
	return cli.OrList(names)
}

// runMain is the whole program; main only wires the process to it, and
// tests call it with their own world.
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer, sys *setup.World) int {
	// Progress, the -v probe log and warnings come from several goroutines:
	// one lock keeps their lines whole. Messages fold to its width.
	locked := cli.Lock(stderr)
	locked.Width = cli.Width(locked, sys.Getenv)
	stderr = locked
	world := *sys
	world.Stdout, world.Stderr = stdout, stderr
	// --version is the version command, as users of other tools expect.
	if i := slices.Index(args, "--version"); i >= 0 && !slices.Contains(args[:i], "--") {
		args = slices.Concat(args[:i], []string{"version"}, args[i+1:])
	}
	name, help, err := findCommand(args)
	switch {
	case err != nil:
		return fail(stderr, err)
	case name == "" && help:
		printUsage(stdout)
		return report.ExitReady
	case name == "" && len(args) == 0:
		// ptacheck alone: the commands, one line each, on stderr; still
		// a usage error for a script (exit 2).
		fmt.Fprintln(stderr, "ptacheck: no command given: ptacheck <command> [flags]")
		printCommands(stderr)
		fmt.Fprintln(stderr, "\nRun 'ptacheck <command> --help' for a command's flags and examples, 'ptacheck --help' for more.")
		return report.ExitUsage
	case name == "":
		return fail(stderr, cli.Usagef("no command given (want %s); run 'ptacheck --help'", commandNames()))
	}
	cmd := lookupCommand(name)
	if cmd == nil {
		return fail(stderr, unknownCommand("", name))
	}
	if help {
		printCommandUsage(stdout, cmd)
		return report.ExitReady
	}
	flags, rest, origins, err := registry.Parse(ctx, cmd.Command, args, world.Getenv)
	if errors.Is(err, setup.ErrHelp) {
		printCommandUsage(stdout, cmd)
		return report.ExitReady
	}
	if err != nil {
		return failOrInterrupted(ctx, stderr, err)
	}
	if flags.Output.Verbose {
		for _, s := range origins {
			fmt.Fprintf(stderr, "ptacheck: %s\n", s)
		}
	}
	// rest[0] is the command itself (flags may come before it).
	positional := rest[1:]
	if cmd.maxArgs >= 0 && len(positional) > cmd.maxArgs {
		return fail(stderr, cli.Usagef("unexpected argument %q after %s", positional[cmd.maxArgs], cmd.Name))
	}
	code, err := cmd.run(ctx, &setup.Invocation{Flags: flags, Args: positional, World: world,
		Release: setup.Release{Version: version, Commit: commit, Date: date}})
	if err != nil {
		return failOrInterrupted(ctx, stderr, err)
	}
	return code
}

// fail prints the one line of a usage or input error and returns exit 2.
func fail(stderr io.Writer, err error) int {
	cli.Fail(stderr, err)
	return report.ExitUsage
}

// failOrInterrupted reports an error that ended a command before it had a
// report to write: exit 2, or 130/143 when a signal arrived meanwhile (it
// ended a read of an input, or the input error comes after it: the signal
// is what the caller asked for).
func failOrInterrupted(ctx context.Context, stderr io.Writer, err error) int {
	if code, stopped := checks.InterruptExit(ctx); stopped {
		cli.Fail(stderr, err)
		return code
	}
	return fail(stderr, err)
}

// findCommand returns the first positional argument: the command. Flags may
// come before it, so it skips them and the values of flags that take one
// (any command's). help is true when -h/--help or "help" was given.
func findCommand(args []string) (name string, help bool, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			if i+1 < len(args) {
				return args[i+1], help, nil
			}
			return "", help, nil
		case a == "-h" || a == "--help":
			help = true
		case strings.HasPrefix(a, "-") && len(a) > 1:
			if !strings.Contains(a, "=") && registry.TakesValue(a) {
				i++
			}
		case a == "help":
			if i+1 < len(args) {
				if c := lookupCommand(args[i+1]); c != nil {
					return c.Name, true, nil
				}
				return "", true, unknownCommand("help: ", args[i+1])
			}
			return "", true, nil
		default:
			return a, help, nil
		}
	}
	return "", help, nil
}

const usageHead = `ptacheck checks a server and a tenant before a Pass-through Authentication
(PTA) agent is installed, registered, enabled or uninstalled. It is read-only.

Usage:
  ptacheck <command> [flags]
  ptacheck <command> --help       the command's flags and examples
`

// reference says where the reference is, true for someone who has only the
// binary: the docs travel with the source, not with the executable.
const reference = "Reference: docs/flags.md (every flag) and the rest of docs/ in the ptacheck source\n(module github.com/ptacheck/ptacheck)."

// helpWidth is the width help is wrapped to: the terminal's, at most 100.
func helpWidth(w io.Writer) int {
	if n := cli.Width(w, os.Getenv); n > 0 {
		return min(n, 100)
	}
	return 100
}

func printExitCodes(w io.Writer) {
	fmt.Fprintln(w, "Exit codes (the same for every output format):")
	for _, e := range exitCodes {
		fmt.Fprintf(w, "  %-3s %s\n", e.code, e.meaning)
	}
}

// printCommands prints the command table, one line each.
func printCommands(w io.Writer) {
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-14s  %s\n", c.Name, c.summary)
	}
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, usageHead)
	printCommands(w)
	fmt.Fprintln(w)
	printExitCodes(w)
	fmt.Fprint(w, `
Examples:
  ptacheck install                                   # on the server, before installing
  ptacheck install --fixture healthy                 # an emulated environment, anywhere
  ptacheck uninstall -o json --report-file pta.json  # gate a script on the exit code
  ptacheck explain AADSTS80001                       # what a sign-in error means

Check IDs: 'ptacheck list'. Fixtures: 'ptacheck fixtures'.
`)
	fmt.Fprintln(w, reference)
}

// printCommandUsage prints a command's help: its own flags first, then the
// groups it shares with other commands, the common flags last, then its
// examples.
func printCommandUsage(w io.Writer, c *command) {
	fmt.Fprintf(w, "ptacheck %s: %s\n\nUsage:\n  ptacheck %s [flags]%s\n", c.Name, c.summary, c.Name, c.args)
	if len(c.Aliases) > 0 {
		fmt.Fprintf(w, "\nAlso answers to: %s (its former name).\n", strings.Join(c.Aliases, ", "))
	}
	for _, s := range c.Help(helpWidth(w)) {
		fmt.Fprintf(w, "\n%s:\n%s", s.Title, s.Usages)
	}
	fmt.Fprintln(w)
	if _, ok := checks.ParsePhase(c.Name); ok {
		printExitCodes(w)
		fmt.Fprint(w, "\nCheck IDs: 'ptacheck list'. ")
	}
	fmt.Fprintln(w, reference)
	if c.examples != "" {
		fmt.Fprintf(w, "\nExamples:%s\n", c.examples)
	}
}
