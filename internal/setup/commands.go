package setup

import (
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/checks/tracelog"
	"github.com/ptacheck/ptacheck/internal/cli"
	"github.com/ptacheck/ptacheck/util/suggest"
)

// The flag groups that belong to one command each.

// EndpointsFlags are list's own.
type EndpointsFlags struct{ Endpoints bool }

func (e *EndpointsFlags) Register(fs *pflag.FlagSet) {
	fs.BoolVar(&e.Endpoints, "endpoints", false, "print the endpoint catalogue instead of the checks")
}

// SnapshotFlags are snapshot's own.
type SnapshotFlags struct{ ReportFile string }

func (s *SnapshotFlags) Register(fs *pflag.FlagSet) {
	fs.StringVar(&s.ReportFile, "report-file", "", "also write the snapshot to `FILE`")
}

// FleetFlags are summarize's own.
type FleetFlags struct{ Strict bool }

func (f *FleetFlags) Register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.Strict, "strict", false, "planned removals that leave fewer than 3 active agents fail (exit 1)")
}

// DCQueryFlags are security-query's own (dc-query was its name).
type DCQueryFlags struct {
	Format    string
	AgentPath string
}

func (d *DCQueryFlags) Register(fs *pflag.FlagSet) {
	fs.StringVar(&d.Format, "format", "xml", "the query's `FORMAT`: xml (a QueryList for Event Viewer's custom view) or xpath (for wevtutil qe Security /q:...)")
	fs.StringVar(&d.AgentPath, "agent-path", "", "the agent executable's `PATH` (default: the installed agent, or both known paths)")
}

// Validate checks --format.
func (d *DCQueryFlags) Validate() error {
	if d.Format != "xml" && d.Format != "xpath" {
		return enumError("--format", d.Format, []string{"xml", "xpath"}, "")
	}
	return nil
}

// TraceLogsFlags are the logs command's own.
type TraceLogsFlags struct {
	Since, Until, RequestID string
	AgentPath               string
	Timeout                 time.Duration
}

func (t *TraceLogsFlags) Register(fs *pflag.FlagSet) {
	fs.StringVar(&t.Since, "since", "", "only failures at or after this `TIME` (2026-11-25T08:00:00Z, 2026-11-25, or a duration back from now such as 24h)")
	fs.StringVar(&t.Until, "until", "", "only failures before this `TIME`")
	fs.StringVar(&t.RequestID, "request-id", "", "only this request `GUID` (from the trace log or the sign-in log; Security events carry none)")
	fs.StringVar(&t.AgentPath, "agent-path", "", "in Security events, count the logons of this agent executable `PATH` (default: the executables security-query names)")
	fs.DurationVar(&t.Timeout, "timeout", 10*time.Minute, "deadline for reading the logs")
}

var guidLike = strings.NewReplacer("{", "", "}", "")

// Validate turns the flags into a filter; durations count back from now.
func (t *TraceLogsFlags) Validate(now time.Time) (tracelog.Filter, error) {
	var f tracelog.Filter
	var err error
	if f.Since, err = parseTime("since", t.Since, now); err != nil {
		return f, err
	}
	if f.Until, err = parseTime("until", t.Until, now); err != nil {
		return f, err
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		return f, cli.Usagef("--until must be after --since")
	}
	if t.RequestID != "" {
		id, err := checks.ParseTenantID(guidLike.Replace(t.RequestID))
		if err != nil {
			return f, cli.Usagef("--request-id %q: want a request ID (a GUID) from the trace log or the sign-in log", t.RequestID)
		}
		f.RequestID = id
	}
	return f, nil
}

// parseTime reads --since/--until: RFC 3339, a date, or a duration back
// from now ("24h").
func parseTime(flag, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, cli.Usagef("--%s %q: want a time (2026-11-25T08:00:00Z or 2026-11-25) or a duration back from now (24h)", flag, s)
}

// BundleFlags are collect's own.
type BundleFlags struct {
	Out         string
	Phases      []string
	MaxLogBytes int64
}

func (b *BundleFlags) Register(fs *pflag.FlagSet) {
	fs.StringVar(&b.Out, "out", "", "write the bundle to this `FILE.zip` (required; replaced atomically, readable only by you)")
	fs.StringArrayVar(&b.Phases, "phase", nil, "run this checklist `PHASE` into the bundle (repeatable or comma-separated: install, register, verify, enable, uninstall, operate, signin, or all; default: operate)")
	fs.Int64Var(&b.MaxLogBytes, "max-log-bytes", 256<<20, "copy at most `BYTES` of trace logs, newest files first (0: none; the summary still covers all)")
}

// CollectPhases are the checklist phases a bundle can hold.
var CollectPhases = []checks.Phase{checks.PhaseInstall, checks.PhaseRegister, checks.PhaseVerify, checks.PhaseEnable, checks.PhaseUninstall, checks.PhaseOperate, checks.PhaseSignin}

// Bundle is the validated bundle of a collect.
type Bundle struct {
	Out         string
	Phases      []checks.Phase
	MaxLogBytes int64
}

// Validate checks the bundle's name and size and the phases.
func (b *BundleFlags) Validate() (Bundle, error) {
	out := Bundle{Out: b.Out, MaxLogBytes: b.MaxLogBytes}
	switch {
	case b.Out == "":
		return out, cli.Usagef("collect: name the bundle with --out FILE.zip")
	// A device, FIFO or pipe (--out >(cat)) is written through, whatever
	// its name; a file is a zip file by name.
	case !cli.WrittenThrough(b.Out) && !strings.EqualFold(filepath.Ext(b.Out), ".zip"):
		return out, cli.Usagef("--out %q: the bundle is a zip file: name it FILE.zip", b.Out)
	case b.MaxLogBytes < 0:
		return out, cli.Usagef("--max-log-bytes %d: must be 0 (no trace logs) or more", b.MaxLogBytes)
	}
	var err error
	out.Phases, err = parseCollectPhases(b.Phases)
	return out, err
}

func parseCollectPhases(values []string) ([]checks.Phase, error) {
	if len(values) == 0 {
		return []checks.Phase{checks.PhaseOperate}, nil
	}
	var out []checks.Phase
	add := func(p checks.Phase) {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	for _, v := range values {
		for _, s := range strings.Split(v, ",") {
			p := checks.Phase(strings.ToLower(strings.TrimSpace(s)))
			switch {
			case p == "all":
				for _, q := range CollectPhases {
					if q != checks.PhaseSignin {
						add(q)
					}
				}
			case slices.Contains(CollectPhases, p):
				add(p)
			default:
				return nil, enumError("--phase", string(p), append(PhaseNames(CollectPhases), "all"), cli.OrList(PhaseNames(CollectPhases))+", or all: every phase but signin")
			}
		}
	}
	return out, nil
}

// enumError is the usage error of a value that is none of valid: the
// nearest one, and what is wanted (want; "": the valid values).
func enumError(flag, value string, valid []string, want string) error {
	if want == "" {
		want = cli.OrList(valid)
	}
	if hint := suggest.DidYouMean(value, valid, ""); hint != "" {
		return cli.Usagef("%s %q: %s (want %s)", flag, value, hint, want)
	}
	return cli.Usagef("%s %q: want %s", flag, value, want)
}

// PhaseNames returns the phases' names.
func PhaseNames(ps []checks.Phase) []string {
	var s []string
	for _, p := range ps {
		s = append(s, string(p))
	}
	return s
}
