// Package report formats check results as text, JSON or JUnit. It only
// formats: the verdict and exit code are computed once, in Report.Verdict,
// and are the same for every format.
package report

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/ptacheck/ptacheck/checks"
)

// Exit codes: the public contract scripts gate on. Documented in the README.
const (
	ExitReady        = 0   // nothing failed (warnings allowed unless --strict)
	ExitNotReady     = 1   // at least one check failed
	ExitUsage        = 2   // usage or input error
	ExitInconclusive = 3   // nothing failed, but a check could not be evaluated
	ExitInterrupted  = 130 // Ctrl-C; the partial report is still written
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
	Fixture     string // non-empty in fixture mode
	StartedAt   time.Time
	Duration    time.Duration
	Strict      bool
	Interrupted bool
	// InterruptExit is the exit code of an interrupted run: 130 (SIGINT,
	// the default) or 143 (SIGTERM).
	InterruptExit int
	Results       []checks.Result
}

// Summary counts results by status.
type Summary struct {
	Pass, Warn, Fail, Skip, Error int
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
// run exits 130; a failure (or, with --strict, a warning) is not-ready;
// otherwise a check that could not be evaluated makes the run inconclusive.
func (r *Report) Verdict() (string, int) {
	s := r.Summary()
	var verdict string
	var code int
	switch {
	case s.Fail > 0 || (r.Strict && s.Warn > 0):
		verdict, code = VerdictNotReady, ExitNotReady
	case s.Error > 0:
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

var formatters = map[string]Formatter{
	"text":  Text,
	"json":  JSON,
	"junit": JUnit,
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
