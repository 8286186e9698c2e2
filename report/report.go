// Package report formats check results as text, JSON or JUnit. It only
// formats: the verdict and exit code are computed once, in Report.Verdict,
// and are the same for every format.
package report

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/util/redact"
	"github.com/ptacheck/ptacheck/util/textfmt"
)

// Exit codes: the public contract scripts gate on. Documented in the README.
const (
	ExitReady        = 0   // nothing failed (warnings allowed unless --strict)
	ExitNotReady     = 1   // at least one check failed
	ExitUsage        = 2   // usage or input error
	ExitInconclusive = 3   // nothing failed, but a check could not be evaluated
	ExitInterrupted  = 130 // Ctrl-C; the partial report is still written
	ExitTerminated   = 143 // SIGTERM; the partial report is still written
)

// Verdicts as they appear in the JSON report.
const (
	VerdictReady        = "ready"
	VerdictNotReady     = "not-ready"
	VerdictInconclusive = "inconclusive"
)

// Report is one run's results plus what is needed to describe the run.
type Report struct {
	Tool        string
	Version     string
	Command     string // the phase
	Host        string // the server checked, as its agent registers it (FQDN); empty when unknown
	Fixture     string // non-empty in fixture mode
	StartedAt   time.Time
	Duration    time.Duration
	Strict      bool
	Interrupted bool
	// InterruptExit is the exit code of an interrupted run: 130 (SIGINT,
	// the default) or 143 (SIGTERM).
	InterruptExit int
	Results       []checks.Result
	// Attempts is how many times --retry-timeout ran the failing checks
	// (0: no retries asked for).
	Attempts int
}

// Summary counts results by status. Ignored counts the warnings that are
// failures demoted by --ignore-failures (included in Warn).
type Summary struct {
	Pass, Warn, Fail, Skip, Error int
	Ignored                       int
}

// Summary counts the results.
func (r *Report) Summary() Summary {
	var s Summary
	for _, res := range r.Results {
		switch res.Status {
		case checks.StatusPass:
			s.Pass++
		case checks.StatusWarn:
			s.Warn++
			if res.Ignored {
				s.Ignored++
			}
		case checks.StatusFail:
			s.Fail++
		case checks.StatusSkip:
			s.Skip++
		case checks.StatusError:
			s.Error++
		}
	}
	return s
}

// Verdict returns the verdict and the exit code. Precedence: an interrupted
// run exits 130 (SIGINT) or 143 (SIGTERM); a failure (or, with --strict, a
// warning that was not an ignored failure) is not-ready; otherwise a check
// that could not be evaluated, or a run in which no check was evaluated at
// all (everything skipped or deselected), is inconclusive. Skips alone never
// fail a run, --strict included: they say a check does not apply here.
func (r *Report) Verdict() (string, int) {
	s := r.Summary()
	var verdict string
	var code int
	switch {
	case s.Fail > 0 || r.StrictFailure():
		verdict, code = VerdictNotReady, ExitNotReady
	case s.Error > 0 || s.Pass+s.Warn == 0:
		verdict, code = VerdictInconclusive, ExitInconclusive
	default:
		verdict, code = VerdictReady, ExitReady
	}
	if r.Interrupted {
		if verdict == VerdictReady {
			verdict = VerdictInconclusive
		}
		code = ExitInterrupted
		if r.InterruptExit != 0 {
			code = r.InterruptExit
		}
	}
	return verdict, code
}

// StrictFailure reports whether --strict turns warnings into a failed run:
// a warning counts unless it is a failure the user chose to ignore, so one
// known finding can be accepted while the rest stays strict.
func (r *Report) StrictFailure() bool {
	s := r.Summary()
	return r.Strict && s.Warn > s.Ignored
}

// Why explains an inconclusive verdict, or returns "".
func (r *Report) Why() string {
	s := r.Summary()
	verdict, _ := r.Verdict()
	switch {
	case verdict != VerdictInconclusive:
		return ""
	case r.Interrupted:
		return "the run was interrupted before every check finished"
	case s.Error > 0:
		return textfmt.Plural(s.Error, "check", "checks") + " could not be evaluated"
	case len(r.Results) == 0:
		return "no check was selected"
	}
	return "no check was evaluated: every selected check was skipped"
}

// ExitCode returns the exit code of the run (see Verdict).
func (r *Report) ExitCode() int {
	_, code := r.Verdict()
	return code
}

// Options tune the text format; JSON and JUnit ignore them.
type Options struct {
	Color   bool // ANSI colours (only on a terminal, never with NO_COLOR)
	Verbose bool // durations and details in text
	Width   int  // terminal width to wrap long text lines to; 0: no wrapping
}

// Formatter writes a report in one format.
type Formatter func(w io.Writer, r *Report, opts Options) error

// Render renders a report with f and masks every secret the run read (and
// any URL credentials): the one path every report takes to stdout and
// files. Each formatter masks its text fields before it encodes them
// (secrets of any length; JUnit before XML escaping, JSON in its string
// values, text in the whole output); Render then masks what is left in the
// rendered bytes without touching the markup (redact.Markup).
func Render(f Formatter, r *Report, opts Options) ([]byte, error) {
	var buf bytes.Buffer
	if err := f(&buf, r, opts); err != nil {
		return nil, err
	}
	return redact.Markup(buf.Bytes()), nil
}

var formatters = map[string]Formatter{
	"text":       Text,
	"json":       JSON,
	"junit":      JUnit,
	"prometheus": Prometheus,
}

// Lookup returns the formatter for a format name.
func Lookup(name string) (Formatter, error) {
	f, ok := formatters[name]
	if !ok {
		return nil, fmt.Errorf("unknown output format %q (want %s)", name, joinNames())
	}
	return f, nil
}

// Names returns the format names, sorted.
func Names() []string {
	var names []string
	for n := range formatters {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func joinNames() string {
	names := Names()
	out := ""
	for i, n := range names {
		switch {
		case i == 0:
		case i == len(names)-1:
			out += " or "
		default:
			out += ", "
		}
		out += n
	}
	return out
}
