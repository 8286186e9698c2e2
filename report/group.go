package report

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/ptacheck/ptacheck/checks"
)

// A block is what the text report shows as one entry: one check, or
// several checks of one status that end with the same cause and share one
// fix ("say a thing once"). JSON, JUnit and Prometheus keep one result per
// check: scripts read them.
type block struct {
	members []checks.Result
	cause   string // the shared end of their messages; "" for one check
}

func (b block) first() checks.Result { return b.members[0] }

// label is what the ID column shows: the check's ID, or "N checks".
func (b block) label() string {
	if len(b.members) == 1 {
		return b.members[0].ID
	}
	return fmt.Sprintf("%d checks", len(b.members))
}

// headline is the message shown on the block's first line.
func (b block) headline() string {
	if len(b.members) == 1 {
		return b.members[0].Message
	}
	return b.cause
}

// docURL is the documentation link of the block: a group's only when
// every member has the same one (a link for one check's subject would be
// unrelated to the others).
func (b block) docURL() string {
	url := b.members[0].DocURL
	for _, m := range b.members[1:] {
		if m.DocURL != url {
			return ""
		}
	}
	return url
}

// writeMembers names a group's checks: on one line when the cause says
// all there is, else one line each with what is its own (the start of its
// message, its other findings).
func (b block) writeMembers(w io.Writer, indent string, opts Options) {
	var own []string
	some := false
	for _, m := range b.members {
		d := memberDetail(m, b.cause)
		if opts.Verbose {
			d = strings.TrimSpace(d + fmt.Sprintf(" (%s)", m.Duration.Round(time.Millisecond)))
		}
		some = some || d != ""
		own = append(own, d)
	}
	if !some {
		var ids []string
		for _, m := range b.members {
			ids = append(ids, m.ID)
		}
		writeWrapped(w, indent+"checks: ", indent+"        ", strings.Join(ids, ", "), opts.Width)
		return
	}
	for i, m := range b.members {
		line := m.ID
		if own[i] != "" {
			line += ": " + own[i]
		}
		writeWrapped(w, indent+"- ", indent+"  ", clean(line), opts.Width)
	}
}

// memberDetail is what a member of a group says beside the cause: the
// start of its message, and its findings that are not the cause (cut
// before it when they end with it). Skips show their message only.
func memberDetail(r checks.Result, cause string) string {
	var parts []string
	seen := map[string]bool{}
	addOwn := func(s string) {
		s = strings.TrimSpace(moreSuffix.ReplaceAllString(s, ""))
		if s == cause {
			return
		}
		if p, ok := strings.CutSuffix(s, ": "+cause); ok {
			s = p
		}
		if s != "" && !seen[s] {
			seen[s] = true
			parts = append(parts, s)
		}
	}
	addOwn(r.Message)
	if r.Status != checks.StatusSkip && r.Status != checks.StatusPass {
		for _, f := range r.Findings {
			addOwn(f)
		}
	}
	return strings.Join(parts, "; ")
}

// moreSuffix is what the runner adds to a message standing for several
// findings.
var moreSuffix = regexp.MustCompile(` \(and \d+ more\)$`)

// Causes shorter than these are too general to call the same cause.
const (
	minCauseChars = 20
	minCauseWords = 3
)

// causes lists the ends of a message at its ": " boundaries, longest
// first (the whole message, without "(and N more)", included): "list the
// domains: graph GET /v1.0/domains: token: refused" ends with "graph GET
// ...", "token: refused" and "refused".
func causes(msg string) []string {
	msg = strings.TrimSpace(moreSuffix.ReplaceAllString(msg, ""))
	out := []string{msg}
	for i := 0; ; {
		j := strings.Index(msg[i:], ": ")
		if j < 0 {
			break
		}
		i += j + 2
		out = append(out, msg[i:])
	}
	var kept []string
	for _, c := range out {
		if len(c) >= minCauseChars && len(strings.Fields(c)) >= minCauseWords {
			kept = append(kept, c)
		}
	}
	return kept
}

// endsWith reports whether msg ends with cause at a ": " boundary (or is
// it).
func endsWith(msg, cause string) bool {
	msg = strings.TrimSpace(moreSuffix.ReplaceAllString(msg, ""))
	return msg == cause || strings.HasSuffix(msg, ": "+cause)
}

// groupResults turns results into blocks in checklist order: a check that
// did not pass joins later checks of the same status and fix whose
// messages end with the same cause, the longest cause it shares with any
// of them; the block stands where its first check stands. Passes stay one
// each. Deterministic: it depends only on the results and their order.
func groupResults(results []checks.Result) []block {
	taken := make([]bool, len(results))
	var out []block
	for i, r := range results {
		if taken[i] {
			continue
		}
		taken[i] = true
		b := block{members: []checks.Result{r}}
		if r.Status != checks.StatusPass {
			for _, c := range causes(r.Message) {
				var with []int
				for j := i + 1; j < len(results); j++ {
					o := results[j]
					if !taken[j] && o.Status == r.Status && o.Remediation == r.Remediation && o.Ignored == r.Ignored && endsWith(o.Message, c) {
						with = append(with, j)
					}
				}
				if len(with) > 0 {
					b.cause = c
					for _, j := range with {
						taken[j] = true
						b.members = append(b.members, results[j])
					}
					break
				}
			}
		}
		out = append(out, b)
	}
	return out
}
