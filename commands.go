package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/internal/redact"
	"github.com/ptacheck/ptacheck/internal/textfmt"
	"github.com/ptacheck/ptacheck/report"
)

// invocation is one parsed command line and the world it runs in.
type invocation struct {
	cmd    *command
	o      *options
	args   []string // positional arguments after the command
	stdout io.Writer
	stderr io.Writer
	sys    *system
}

// command is one entry of the command table: its own flags (on top of the
// shared ones) and the function that runs it, returning an exit code.
type command struct {
	name     string
	summary  string
	args     string // positional arguments, for the usage line
	maxArgs  int    // -1: any number
	flags    func(fs *pflag.FlagSet, o *options)
	run      func(ctx context.Context, inv *invocation) (int, error)
	examples string
}

// phaseFlags are the flags of a checklist run.
func phaseFlags(fs *pflag.FlagSet, o *options) {
	addCommon(fs, o, strings.Join(report.Names(), ", "))
	addRun(fs, o)
	addAgent(fs, o)
	addProbe(fs, o)
	addCatalogue(fs, o)
	addDirectory(fs, o)
	addTenant(fs, o)
}

func phaseCommand(p checks.Phase, summary, examples string) *command {
	return &command{
		name: string(p), summary: summary, flags: phaseFlags, examples: examples,
		run: func(ctx context.Context, inv *invocation) (int, error) { return runPhase(ctx, p, inv) },
	}
}

// withFlags adds command-specific flags to a command's flag set.
func withFlags(c *command, extra func(fs *pflag.FlagSet, o *options)) *command {
	base := c.flags
	c.flags = func(fs *pflag.FlagSet, o *options) { base(fs, o); extra(fs, o) }
	return c
}

// commands is the command table, in the order --help lists them.
var commands = []*command{
	phaseCommand(checks.PhaseInstall, "checklist before installing an agent on this server", `
  ptacheck install                                   # on the server, before installing
  ptacheck install --fixture healthy                 # an emulated environment, anywhere
  ptacheck install --host-snapshot host.json         # facts captured with 'ptacheck snapshot'
  ptacheck install --ignore-failures host.app-proxy-connector   # accept one known finding`),
	phaseCommand(checks.PhaseRegister, "checklist before registering the installed agent with the tenant", `
  ptacheck register --tenant-id <guid> -o json --report-file pta.json`),
	phaseCommand(checks.PhaseVerify, "right after the installer and the registration: the agent runs and the tenant lists it active", `
  ptacheck verify --tenant-id <guid>                  # on the server, after RegisterConnector.ps1
  ptacheck verify --retry-timeout 5m --sleep 30s      # wait for the agent to come up and show as active
  ptacheck verify --fixture agent-stopped             # an emulated registered server whose agent is stopped`),
	phaseCommand(checks.PhaseEnable, "checklist before enabling PTA on the tenant", `
  ptacheck enable --only net.outbound-ports --probe-timeout 2s
  ptacheck enable -o text --report-file r.xml --report-format junit   # text on screen, JUnit for CI`),
	phaseCommand(checks.PhaseUninstall, "checklist before uninstalling the agent from this server", `
  ptacheck uninstall --host-snapshot host.json`),
	withFlags(phaseCommand(checks.PhaseSignin, "diagnose why users' sign-ins fail, from their AD accounts", `
  ptacheck signin --user alice@contoso.com --user bob@contoso.com
  ptacheck signin --users-file users.txt -o json --report-file signin.json
  ptacheck signin --domain corp.contoso.com --ldap-user svc@corp.contoso.com --user alice@contoso.com   # not on the agent server
  ptacheck signin --user alice@contoso.com --password-file pw.txt   # one real sign-in (counts toward lockout if wrong)`),
		func(fs *pflag.FlagSet, o *options) {
			fs.StringArrayVar(&o.users, "user", nil, "diagnose this user `UPN` (repeatable, or comma-separated)")
			fs.StringVar(&o.usersFile, "users-file", "", "diagnose the UPNs in this `FILE`, one per line (# comments)")
			fs.StringVar(&o.passwordFile, "password-file", "", "sign in once as the one --user with the password in this `FILE` (or PTACHECK_USER_PASSWORD), as the agent's LogonUser does: "+
				"user.password answers with the agent's Win32 reason. A wrong password counts toward the account's lockout: it is tried once, never retried")
		}),
	withFlags(phaseCommand(checks.PhaseOperate, "health check of a running setup: endpoints, DCs, active agents, recent failed sign-ins", `
  ptacheck operate                                     # on the agent server, on a schedule
  ptacheck operate --logs C:\Temp\Trace --failure-threshold 50 -o json`),
		func(fs *pflag.FlagSet, o *options) {
			fs.StringArrayVar(&o.logPaths, "logs", nil, "read the agent trace logs at this `PATH` (file, folder or .zip; repeatable; default: this host's agent trace folders)")
			fs.IntVar(&o.failureThreshold, "failure-threshold", 100, "logs.recent-failures warns above this many failed sign-ins in the window")
			fs.DurationVar(&o.failureWindow, "failure-window", 24*time.Hour, "logs.recent-failures: how far back from now")
		}),
	{
		name: "list", summary: "print every check (--endpoints: the endpoint catalogue)",
		flags: func(fs *pflag.FlagSet, o *options) {
			addCommon(fs, o, "text, json")
			addCatalogue(fs, o)
			fs.BoolVar(&o.endpoints, "endpoints", false, "print the endpoint catalogue instead of the checks")
		},
		run: runList,
		examples: `
  ptacheck list
  ptacheck list --endpoints --cloud usgov --tenant-id <guid> -o json`,
	},
	{
		name: "snapshot", summary: "write this Windows host's facts as JSON (for --host-snapshot)",
		flags: func(fs *pflag.FlagSet, o *options) {
			addCommon(fs, o, "json")
			fs.StringVar(&o.reportFile, "report-file", "", "also write the snapshot to `FILE`")
			// Accepted only to say clearly that they do not apply.
			fs.StringVar(&o.fixture, "fixture", "", "not applicable: snapshot reads the live host")
			fs.StringVar(&o.hostSnapshot, "host-snapshot", "", "not applicable: snapshot reads the live host")
			_ = fs.MarkHidden("fixture")
			_ = fs.MarkHidden("host-snapshot")
		},
		run: runSnapshot,
		examples: `
  ptacheck snapshot > host.json                      # on the agent server
  ptacheck install --host-snapshot host.json         # then on any system`,
	},
	{
		name: "explain", summary: "explain AADSTS, Win32 (trace-log Reason) and NTSTATUS codes", args: " CODE...", maxArgs: -1,
		flags: func(fs *pflag.FlagSet, o *options) { addCommon(fs, o, "text, json") },
		run:   runExplain,
		examples: `
  ptacheck explain AADSTS80001          # a sign-in error
  ptacheck explain 1328 1909 0x530      # Reason codes from the agent's trace log
  ptacheck explain -o json AADSTS8002   # the documented typo of 80002`,
	},
	{
		name: "logs", summary: "summarise failed sign-ins in agent trace logs by Reason, and the agent's logons in exported Security events", args: " [PATH...]", maxArgs: -1,
		flags: func(fs *pflag.FlagSet, o *options) {
			addCommon(fs, o, "text, json")
			fs.StringVar(&o.since, "since", "", "only failures at or after this `TIME` (2026-11-25T08:00:00Z, 2026-11-25, or a duration back from now such as 24h)")
			fs.StringVar(&o.until, "until", "", "only failures before this `TIME`")
			fs.StringVar(&o.requestID, "request-id", "", "only this request `ID` (from the trace log or the sign-in log; Security events carry none)")
			fs.StringVar(&o.agentPath, "agent-path", "", "in Security events, count the logons of this agent executable `PATH` (default: the executables dc-query names)")
			fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "deadline for reading the logs")
		},
		run: runLogs,
		examples: `
  ptacheck logs                                        # this host's agent trace folders
  ptacheck logs --since 24h C:\Temp\trace.zip
  ptacheck logs -o json --request-id df63f4a4-68b9-44ae-8d81-6ad2d844d84e trace/
  ptacheck logs security.xml    # wevtutil qe Security /q:"$(ptacheck dc-query --format xpath)" /f:xml > security.xml`,
	},
	{
		name: "dc-query", summary: "print the Security-log query for the agent's logons (Event Viewer, wevtutil)",
		flags: func(fs *pflag.FlagSet, o *options) {
			fs.StringVar(&o.format, "format", "xml", "xml (a QueryList for Event Viewer's custom view) or xpath (for wevtutil qe Security /q:...)")
			fs.StringVar(&o.agentPath, "agent-path", "", "the agent executable's `PATH` (default: the installed agent, or both known paths)")
		},
		run: runDCQuery,
		examples: `
  ptacheck dc-query > pta-logons.xml                   # Event Viewer > Create Custom View > XML
  wevtutil qe Security /rd:true /c:20 /f:text /q:"$(ptacheck dc-query --format xpath)"`,
	},
	{
		name: "collect", summary: "write a support bundle: phase reports, host facts, trace logs, event logs (secrets redacted)",
		flags: func(fs *pflag.FlagSet, o *options) {
			addCommon(fs, o, "text, json")
			fs.StringVar(&o.bundleOut, "out", "", "write the bundle to this `FILE.zip` (required; replaced atomically, readable only by you)")
			fs.StringArrayVar(&o.collectPhases, "phase", nil, "run this checklist `PHASE` into the bundle (repeatable or comma-separated: install, register, verify, enable, uninstall, operate, signin, or all; default: operate)")
			fs.StringArrayVar(&o.logPaths, "logs", nil, "take the trace logs from this `PATH` (file, folder or .zip; repeatable; default: this host's agent trace folders)")
			fs.Int64Var(&o.maxLogBytes, "max-log-bytes", 256<<20, "copy at most this many bytes of trace logs, newest files first (0: none; the summary still covers all)")
			addSelection(fs, o)
			addAgent(fs, o)
			addProbe(fs, o)
			addCatalogue(fs, o)
			addDirectory(fs, o)
			addTenant(fs, o)
			fs.StringArrayVar(&o.users, "user", nil, "with --phase signin: diagnose this user `UPN` (repeatable)")
			fs.StringVar(&o.usersFile, "users-file", "", "with --phase signin: diagnose the UPNs in this `FILE`")
			fs.IntVar(&o.failureThreshold, "failure-threshold", 100, "operate phase: logs.recent-failures warns above this many failed sign-ins in the window")
			fs.DurationVar(&o.failureWindow, "failure-window", 24*time.Hour, "operate phase: how far back logs.recent-failures looks")
		},
		run: runCollect,
		examples: `
  ptacheck collect --out pta-support.zip                        # on the agent server: operate report, logs, events
  ptacheck collect --out pta.zip --phase all --max-log-bytes 0  # every checklist phase, no trace-log copies
  ptacheck collect --out pta.zip --phase signin --user alice@contoso.com`,
	},
	{
		name: "summarize", summary: "merge many JSON reports into one fleet table (text, json, csv); warns on planned removals", args: " REPORT.json|FOLDER...", maxArgs: -1,
		flags: func(fs *pflag.FlagSet, o *options) {
			addCommon(fs, o, "text, json, csv")
			fs.BoolVar(&o.strict, "strict", false, "planned removals that leave fewer than 3 active agents fail (exit 1)")
		},
		run: runSummarize,
		examples: `
  ptacheck summarize reports/                          # every *.json report in the folder
  ptacheck summarize -o csv reports/*.json > fleet.csv
  ptacheck summarize --strict uninstall-*.json         # before removing agents from several servers`,
	},
	{
		name: "fixtures", summary: "list the built-in fixture environments, one line each",
		flags: func(fs *pflag.FlagSet, o *options) { addCommon(fs, o, "text, json") },
		run:   runFixtures,
		examples: `
  ptacheck fixtures
  ptacheck install --fixture wrong-forest`,
	},
	{
		name: "version", summary: "print the version",
		flags: func(fs *pflag.FlagSet, o *options) { addCommon(fs, o, "text, json") },
		run:   runVersion,
	},
}

func lookupCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

func commandNames() string {
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	return orList(names)
}

// run is the whole program; main only wires the process to it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, sys *system) int {
	// Progress, the -v probe log and warnings come from several goroutines:
	// one lock keeps their lines whole.
	stderr = &lockedWriter{w: stderr}
	// --version is the version command, as users of other tools expect.
	if i := slices.Index(args, "--version"); i >= 0 && !slices.Contains(args[:i], "--") {
		args = append(append([]string{}, args[:i]...), append([]string{"version"}, args[i+1:]...)...)
	}
	name, help, err := findCommand(args)
	if err != nil {
		return fail(stderr, err)
	}
	if name == "" {
		if help {
			printUsage(stdout)
			return report.ExitReady
		}
		return fail(stderr, usagef("no command given (want %s); run 'ptacheck --help'", commandNames()))
	}
	cmd := lookupCommand(name)
	if cmd == nil {
		return fail(stderr, usagef("unknown command %q (want %s); run 'ptacheck --help'", name, commandNames()))
	}
	o := &options{}
	fs := newFlagSet(cmd.name)
	cmd.flags(fs, o)
	if help {
		printCommandUsage(stdout, cmd, fs)
		return report.ExitReady
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			printCommandUsage(stdout, cmd, fs)
			return report.ExitReady
		}
		return fail(stderr, usagef("%s: %v (run 'ptacheck %s --help')", cmd.name, err, cmd.name))
	}
	origins, err := applyDefaults(ctx, fs, o.configFile, sys.Getenv)
	if err != nil {
		return failOrInterrupted(ctx, stderr, err)
	}
	o.cloudSet = fs.Changed("cloud")
	if o.verbose {
		for _, s := range origins {
			fmt.Fprintf(stderr, "ptacheck: %s\n", s)
		}
	}
	rest := fs.Args()
	// rest[0] is the command itself (flags may come before it).
	positional := rest[1:]
	if cmd.maxArgs >= 0 && len(positional) > cmd.maxArgs {
		return fail(stderr, usagef("unexpected argument %q after %s", positional[cmd.maxArgs], cmd.name))
	}
	inv := &invocation{cmd: cmd, o: o, args: positional, stdout: stdout, stderr: stderr, sys: sys}
	code, err := cmd.run(ctx, inv)
	if err != nil {
		return failOrInterrupted(ctx, stderr, err)
	}
	return code
}

// failOrInterrupted reports an error that ended a command before it had a
// report to write: exit 2, or 130/143 when a signal arrived meanwhile (it
// ended a read of an input, or the input error comes after it: the signal
// is what the caller asked for).
func failOrInterrupted(ctx context.Context, stderr io.Writer, err error) int {
	if code, stopped := checks.InterruptExit(ctx); stopped {
		fmt.Fprintf(stderr, "ptacheck: %s\n", textfmt.OneLine(textfmt.Sanitize(redact.String(err.Error()))))
		return code
	}
	return fail(stderr, err)
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// findCommand returns the first positional argument: the command. Flags may
// come before it, so it skips them and the values of flags that take one
// (any command's). help is true when -h/--help or "help" was given.
func findCommand(args []string) (name string, help bool, err error) {
	takesValue := map[string]bool{}
	for _, c := range commands {
		fs := newFlagSet(c.name)
		c.flags(fs, &options{})
		fs.VisitAll(func(f *pflag.Flag) {
			if f.NoOptDefVal == "" {
				takesValue["--"+f.Name] = true
				if f.Shorthand != "" {
					takesValue["-"+f.Shorthand] = true
				}
			}
		})
	}
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
			if !strings.Contains(a, "=") && takesValue[a] {
				i++
			}
		case a == "help":
			help = true
			if i+1 < len(args) {
				if c := lookupCommand(args[i+1]); c != nil {
					return c.name, true, nil
				}
				return "", true, usagef("help: unknown command %q (want %s)", args[i+1], commandNames())
			}
			return "", true, nil
		default:
			return a, help, nil
		}
	}
	return "", help, nil
}

// fail prints the one line of a usage or input error and returns exit 2.
// Every secret the run read is masked, whatever the error says.
func fail(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "ptacheck: %s\n", textfmt.OneLine(textfmt.Sanitize(redact.String(err.Error()))))
	return report.ExitUsage
}

const usageHead = `ptacheck checks a server and a tenant before a Pass-through Authentication
(PTA) agent is installed, registered, enabled or uninstalled. It is read-only.

Usage:
  ptacheck <command> [flags]
  ptacheck <command> --help       the command's flags and examples
`

const exitCodesText = `Exit codes (the same for every output format):
  0   ready: nothing failed (warnings allowed unless --strict)
  1   not ready: at least one check failed (with --strict, or a warning)
  2   usage or input error (one line on stderr)
  3   inconclusive: nothing failed, but nothing was evaluated or a check could not be
  130 interrupted by SIGINT (Ctrl-C); 143 by SIGTERM; the partial report is still written
`

func printUsage(w io.Writer) {
	fmt.Fprint(w, usageHead)
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s  %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, exitCodesText)
	fmt.Fprint(w, `
Examples:
  ptacheck install                                   # on the server, before installing
  ptacheck install --fixture healthy                 # an emulated environment, anywhere
  ptacheck uninstall -o json --report-file pta.json  # gate a script on the exit code
  ptacheck install --ignore-failures host.app-proxy-connector   # accept one known finding

Check IDs: 'ptacheck list'. Documentation: README.md.
`)
}

func printCommandUsage(w io.Writer, c *command, fs *pflag.FlagSet) {
	fmt.Fprintf(w, "ptacheck %s: %s\n\nUsage:\n  ptacheck %s [flags]%s\n\nFlags:\n", c.name, c.summary, c.name, c.args)
	fmt.Fprint(w, fs.FlagUsagesWrapped(100))
	if c.examples != "" {
		fmt.Fprintf(w, "\nExamples:%s\n", c.examples)
	}
	if isPhase(c.name) {
		fmt.Fprintf(w, "\n%s", exitCodesText)
		fmt.Fprintln(w, "\nCheck IDs: 'ptacheck list'. Documentation: README.md.")
	}
}

func isPhase(name string) bool {
	_, ok := checks.ParsePhase(name)
	return ok
}
