package setup

import (
	"context"
	"io"
	"time"

	"github.com/spf13/pflag"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/checks/hostfacts"
	"github.com/ptacheck/ptacheck/fixtures"
	"github.com/ptacheck/ptacheck/internal/cli"
)

// World is the outside world as the commands see it: swapped in tests.
type World struct {
	Host hostfacts.Source // the live host (read once per run)
	// NewHost reads the live host afresh (retries); nil: reuse Host.
	NewHost func() hostfacts.Source
	Getenv  func(string) string // environment variables
	Stdin   io.Reader
	// Stdout carries only the report. Stderr is behind its lock: the
	// progress, the device-code prompt and the -v log go there.
	Stdout, Stderr io.Writer
}

// Invocation is one parsed command line and the world it runs in: what a
// command's function is given.
type Invocation struct {
	Flags   *Flags
	Args    []string // the positional arguments after the command
	Release Release  // this build of ptacheck
	World
}

// Release identifies a build of ptacheck (set at build time).
type Release struct{ Version, Commit, Date string }

// SelectionFlags choose the checks of a run and what they evaluate.
type SelectionFlags struct {
	Skip, Only, Ignore []string
	Timeout            time.Duration
	Fixture            string
	HostSnapshot       string
	// ignoreGiven: --ignore-failures came from the command line (not the
	// environment or a config file, which may serve several phases).
	ignoreGiven bool
}

func (s *SelectionFlags) Register(fs *pflag.FlagSet) {
	fs.StringSliceVar(&s.Skip, "skip", nil, "do not run these check `ID`s (reported as skip)")
	fs.StringSliceVar(&s.Only, "only", nil, "run only these check `ID`s")
	fs.StringSliceVar(&s.Ignore, "ignore-failures", nil, "demote failures of these check `ID`s (or all) to warnings")
	fs.DurationVar(&s.Timeout, "timeout", checks.DefaultRunTimeout, "deadline for the whole run")
	fs.StringVar(&s.Fixture, "fixture", "", "run against an emulated environment: an embedded fixture `NAME` ('ptacheck fixtures' lists them) or a fixture directory")
	fs.StringVar(&s.HostSnapshot, "host-snapshot", "", "evaluate the host facts in this `FILE` (from 'ptacheck snapshot') instead of the live host")
}

// Selection is the validated selection of a run.
type Selection struct {
	Skip, Only, Ignore map[string]bool // lower-case check IDs
	Timeout            time.Duration
}

// Validate checks the IDs and the deadline.
func (s *SelectionFlags) Validate() (Selection, error) {
	var sel Selection
	var err error
	if sel.Skip, err = checks.ValidateIDs("skip", s.Skip, false); err != nil {
		return sel, cli.Usage(err)
	}
	if sel.Only, err = checks.ValidateIDs("only", s.Only, false); err != nil {
		return sel, cli.Usage(err)
	}
	if sel.Ignore, err = checks.ValidateIDs("ignore-failures", s.Ignore, true); err != nil {
		return sel, cli.Usage(err)
	}
	if s.Timeout <= 0 {
		return sel, cli.Usagef("--timeout %s: must be positive", s.Timeout)
	}
	sel.Timeout = s.Timeout
	return sel, nil
}

// sources are where a run's facts come from: a fixture, a host snapshot
// file or the live host.
type sources struct {
	scenario *fixtures.Scenario // nil: the real world
	host     hostfacts.Source
	live     bool // host is the world's live host
}

// sources loads the fixture and picks the host facts: a snapshot file, the
// fixture's, or the live host.
func (s *SelectionFlags) sources(ctx context.Context, w World) (sources, error) {
	var src sources
	if s.Fixture != "" {
		sc, err := fixtures.Load(s.Fixture)
		if err != nil {
			return src, cli.Usage(err)
		}
		if s.HostSnapshot != "" {
			return src, cli.Usagef("--host-snapshot and --fixture cannot be combined: a fixture brings its own host facts")
		}
		src.scenario = sc
	}
	switch sc := src.scenario; {
	case s.HostSnapshot != "":
		data, err := cli.ReadFile(ctx, s.HostSnapshot, hostfacts.MaxSnapshotSize)
		if err != nil {
			return src, cli.Usagef("--host-snapshot %v", err)
		}
		snap, err := hostfacts.Parse(data)
		if err != nil {
			return src, cli.Usagef("--host-snapshot %v", err)
		}
		src.host = hostfacts.Static{S: snap}
	case sc != nil && sc.Host == nil:
		src.host = hostfacts.None{}
	case sc != nil:
		snap, err := hostfacts.Parse(sc.Host)
		if err != nil {
			return src, cli.Usagef("fixture %s: %s: %v", sc.Name, fixtures.HostFile, err)
		}
		src.host = hostfacts.Static{S: snap}
	default:
		src.host, src.live = w.Host, true
	}
	return src, nil
}

// GateFlags decide what a run's warnings mean and how long it waits for the
// checks to pass.
type GateFlags struct {
	Strict       bool
	RetryTimeout time.Duration
	Sleep        time.Duration
}

func (g *GateFlags) Register(fs *pflag.FlagSet) {
	fs.BoolVar(&g.Strict, "strict", false, "warnings fail the run (exit 1); demoted failures do not")
	fs.DurationVar(&g.RetryTimeout, "retry-timeout", 0, "re-run the checks that do not pass until they do or this `DURATION` has passed since the start (e.g. 10m: wait for a firewall change); 0: one run")
	fs.DurationVar(&g.Sleep, "sleep", 10*time.Second, "with --retry-timeout: the pause between attempts")
}

// Gate is the validated gate of a run.
type Gate struct {
	Strict       bool
	RetryTimeout time.Duration // 0: one run
	Sleep        time.Duration
}

// Validate checks that the retries have time to happen.
func (g *GateFlags) Validate() (Gate, error) {
	switch {
	case g.RetryTimeout < 0:
		return Gate{}, cli.Usagef("--retry-timeout %s: must be positive (0: no retries)", g.RetryTimeout)
	case g.RetryTimeout > 0 && g.Sleep <= 0:
		return Gate{}, cli.Usagef("--sleep %s: must be positive", g.Sleep)
	case g.RetryTimeout > 0 && g.Sleep >= g.RetryTimeout:
		return Gate{}, cli.Usagef("--sleep %s leaves no time for a retry within --retry-timeout %s", g.Sleep, g.RetryTimeout)
	}
	return Gate(*g), nil
}
