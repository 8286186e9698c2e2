package report

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/util/redact"
	"github.com/ptacheck/ptacheck/util/textfmt"
)

var statusColor = map[checks.Status]string{
	checks.StatusPass:  "\x1b[32m", // green
	checks.StatusWarn:  "\x1b[33m", // yellow
	checks.StatusFail:  "\x1b[31m", // red
	checks.StatusSkip:  "\x1b[90m", // grey
	checks.StatusError: "\x1b[35m", // magenta
}

const colorReset = "\x1b[0m"

// Text writes one aligned line per check in checklist order, the findings,
// remediation and documentation link under every warn, fail and error, and a
// closing verdict line.
func Text(w io.Writer, r *Report, opts Options) error {
	// Text has no markup a short secret could break: every byte is masked.
	var out bytes.Buffer
	if err := text(&out, r, opts); err != nil {
		return err
	}
	_, err := w.Write(redact.Bytes(out.Bytes()))
	return err
}

func text(w io.Writer, r *Report, opts Options) error {
	bw := bufio.NewWriter(w)
	paint := func(st checks.Status, s string) string {
		if !opts.Color {
			return s
		}
		return statusColor[st] + s + colorReset
	}
	head := fmt.Sprintf("ptacheck %s: %s", r.Command, textfmt.Plural(len(r.Results), "check", "checks"))
	if r.Fixture != "" {
		head += fmt.Sprintf(" (fixture %q: emulated environment, not this host)", r.Fixture)
	}
	fmt.Fprintln(bw, head)
	fmt.Fprintln(bw)

	width := 0
	for _, res := range r.Results {
		width = max(width, len(res.ID))
	}
	const indent = "         "
	for _, res := range r.Results {
		label := fmt.Sprintf("%-5s", strings.ToUpper(string(res.Status)))
		line := fmt.Sprintf("  %s  %-*s  %s", paint(res.Status, label), width, res.ID, clean(res.Message))
		if opts.Verbose {
			line += fmt.Sprintf("  (%s)", res.Duration.Round(time.Millisecond))
		}
		fmt.Fprintln(bw, strings.TrimRight(line, " "))
		if res.Status == checks.StatusPass || res.Status == checks.StatusSkip {
			continue
		}
		for _, f := range res.Findings {
			if f != res.Message { // already on the check's line
				writeWrapped(bw, indent+"- ", indent+"  ", clean(f), opts.Width)
			}
		}
		if res.Remediation != "" {
			writeWrapped(bw, indent+"fix: ", indent+"     ", clean(res.Remediation), opts.Width)
		}
		if res.DocURL != "" {
			fmt.Fprintf(bw, "%ssee: %s\n", indent, res.DocURL)
		}
	}
	verdict, code := r.Verdict()
	s := r.Summary()
	fmt.Fprintln(bw)
	word := verdictWords(r.Command)[verdict]
	if r.Interrupted {
		word = "INTERRUPTED (" + word + " so far)"
	}
	st := map[string]checks.Status{VerdictReady: checks.StatusPass, VerdictNotReady: checks.StatusFail, VerdictInconclusive: checks.StatusError}[verdict]
	line := fmt.Sprintf("%s: %d passed, %s, %d failed, %d skipped, %s (exit %d)",
		word, s.Pass, textfmt.Plural(s.Warn, "warning", "warnings"), s.Fail, s.Skip, textfmt.Plural(s.Error, "error", "errors"), code)
	if r.StrictFailure() && s.Fail == 0 {
		line += "; --strict makes warnings fail"
	}
	if why := r.Why(); why != "" {
		line += "; " + why
	}
	if r.Attempts > 1 {
		line += fmt.Sprintf("; after %d attempts", r.Attempts)
	}
	fmt.Fprintln(bw, paint(st, line))
	return bw.Flush()
}

// verdictWords are the words of a command's summary line: signin diagnoses
// users and operate checks a running setup, where "ready" would not fit.
// The JSON verdict values (ready, not-ready, inconclusive) stay.
func verdictWords(command string) map[string]string {
	switch command {
	case string(checks.PhaseSignin):
		return map[string]string{VerdictReady: "NO SIGN-IN PROBLEM FOUND", VerdictNotReady: "SIGN-IN PROBLEMS FOUND", VerdictInconclusive: "INCONCLUSIVE"}
	case string(checks.PhaseOperate):
		return map[string]string{VerdictReady: "HEALTHY", VerdictNotReady: "UNHEALTHY", VerdictInconclusive: "INCONCLUSIVE"}
	}
	return map[string]string{VerdictReady: "READY", VerdictNotReady: "NOT READY", VerdictInconclusive: "INCONCLUSIVE"}
}

// writeWrapped writes text after first, folding it at width (0: no
// folding) with later lines indented by rest. Words longer than a line are
// not split.
func writeWrapped(w io.Writer, first, rest, text string, width int) {
	prefix := first
	line := ""
	flush := func() {
		fmt.Fprintf(w, "%s%s\n", prefix, line)
		prefix, line = rest, ""
	}
	for _, word := range strings.Fields(text) {
		if line != "" && width > 0 && len(prefix)+len(line)+1+len(word) > width {
			flush()
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	flush()
}

// clean makes a string fit for one line of a terminal report: secrets
// masked, control characters from the outside world neutralised, whitespace
// folded.
func clean(s string) string { return textfmt.OneLine(textfmt.Sanitize(redact.String(s))) }
