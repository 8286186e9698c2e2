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

// minHeadlineColumn is the least room a headline folds under itself in;
// with less, it folds under the findings' indent.
const minHeadlineColumn = 40

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
	writeWrapped(bw, "", "  ", head, opts.Width)
	fmt.Fprintln(bw)

	blocks := groupResults(r.Results)
	width := 0
	for _, b := range blocks {
		width = max(width, len(b.label()))
	}
	const indent = "         "
	for _, b := range blocks {
		res := b.first()
		label := fmt.Sprintf("%-5s", strings.ToUpper(string(res.Status)))
		msg := clean(b.headline())
		if opts.Verbose && len(b.members) == 1 {
			msg += fmt.Sprintf("  (%s)", res.Duration.Round(time.Millisecond))
		}
		// The headline folds under itself; with little room, under the
		// findings' indent, as they fold.
		lead := fmt.Sprintf("  %s  %-*s  ", label, width, b.label())
		rest := strings.Repeat(" ", len(lead))
		if opts.Width > 0 && opts.Width-len(lead) < minHeadlineColumn {
			rest = indent + "  "
		}
		writeWrapped(bw, fmt.Sprintf("  %s  %-*s  ", paint(res.Status, label), width, b.label()), rest, msg, opts.Width)
		if len(b.members) > 1 {
			b.writeMembers(bw, indent, opts)
		}
		if res.Status == checks.StatusPass || res.Status == checks.StatusSkip {
			continue
		}
		if len(b.members) == 1 {
			for _, f := range res.Findings {
				if f != res.Message { // already on the check's line
					writeWrapped(bw, indent+"- ", indent+"  ", clean(f), opts.Width)
				}
			}
		}
		if res.Remediation != "" {
			writeWrapped(bw, indent+"fix: ", indent+"     ", clean(res.Remediation), opts.Width)
		}
		if url := b.docURL(); url != "" {
			fmt.Fprintf(bw, "%ssee: %s\n", indent, url)
		}
	}
	fmt.Fprintln(bw)
	writeVerdict(bw, r, paint, opts.Width)
	return bw.Flush()
}

// writeVerdict writes the closing verdict line, painted line by line when
// it folds (a colour never spans a line break).
func writeVerdict(w io.Writer, r *Report, paint func(checks.Status, string) string, width int) {
	verdict, code := r.Verdict()
	s := r.Summary()
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
	for _, l := range strings.Split(strings.TrimSuffix(textfmt.Fold("", "  ", line, width), "\n"), "\n") {
		fmt.Fprintln(w, paint(st, l))
	}
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
// folding) with later lines indented by rest (textfmt.Fold).
func writeWrapped(w io.Writer, first, rest, text string, width int) {
	io.WriteString(w, textfmt.Fold(first, rest, text, width))
}

// clean makes a string fit for one line of a terminal report: secrets
// masked, control characters from the outside world neutralised, whitespace
// folded.
func clean(s string) string { return textfmt.OneLine(textfmt.Sanitize(redact.String(s))) }
