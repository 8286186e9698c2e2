package report

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/util/jsonstrict"
	"github.com/ptacheck/ptacheck/util/textfmt"
)

// FleetReport is one phase report read back for summarize.
type FleetReport struct {
	File      string
	Host      string
	Phase     string
	Verdict   string
	ExitCode  int
	Fixture   string
	StartedAt string
	Summary   Summary
	Checks    []FleetCheck
	// Agents is the tenant's agent list from the report's agent checks
	// (checks.AgentList); nil when none listed them. ThisMachine is the
	// server as they named it.
	Agents      []checks.AgentInfo
	ThisMachine string
}

// FleetCheck is one check's status in a report.
type FleetCheck struct {
	ID, Status string
}

// reportJSON is a JSON phase report as summarize reads it back.
type reportJSON struct {
	SchemaVersion *string     `json:"schema_version"`
	Tool          string      `json:"tool"`
	Kind          string      `json:"kind"`
	Command       string      `json:"command"`
	Host          string      `json:"host"`
	Fixture       string      `json:"fixture"`
	StartedAt     string      `json:"started_at"`
	Verdict       string      `json:"verdict"`
	ExitCode      *int        `json:"exit_code"`
	Strict        bool        `json:"strict"`
	Interrupted   bool        `json:"interrupted"`
	Summary       jsonSummary `json:"summary"`
	Checks        []struct {
		ID      string          `json:"id"`
		Status  string          `json:"status"`
		Ignored bool            `json:"ignored"`
		Details json.RawMessage `json:"details"`
	} `json:"checks"`
}

// ParseReport reads a JSON phase report (schema version 1).
func ParseReport(data []byte) (*FleetReport, error) {
	// The token pass first: it also bounds the values, so a report of
	// millions of "{}" is refused before any of them is decoded.
	if err := jsonstrict.NoDuplicates(data); err != nil {
		return nil, err
	}
	var in reportJSON
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, fmt.Errorf("not a JSON report: %v", err)
	}
	switch {
	case in.Tool != "ptacheck":
		return nil, errors.New("not a ptacheck report (write one with -o json or --report-format json)")
	case in.Kind != "":
		return nil, fmt.Errorf("a %q document, not a phase report", in.Kind)
	case in.SchemaVersion == nil || *in.SchemaVersion != SchemaVersion:
		return nil, fmt.Errorf("report schema version %v: this ptacheck reads version %s", deref(in.SchemaVersion), SchemaVersion)
	case in.Command == "" || in.Verdict == "" || in.ExitCode == nil:
		return nil, errors.New("incomplete report: command, verdict or exit_code missing")
	}
	// The verdict, the exit code and the summary are recomputed from the
	// checks, as the run computed them: a report that says otherwise was
	// edited or damaged, and a fleet gate must not count it as it claims.
	if _, ok := checks.ParsePhase(in.Command); !ok {
		return nil, fmt.Errorf("command %q is not a checklist phase", textfmt.OneLine(textfmt.Sanitize(in.Command)))
	}
	if err := in.consistent(); err != nil {
		return nil, err
	}
	return in.fleetReport(), nil
}

// consistent recomputes the verdict, the exit code and the summary from
// the checks and says where the report contradicts them.
func (in *reportJSON) consistent() error {
	rep := &Report{Strict: in.Strict, Interrupted: in.Interrupted}
	seen := map[string]bool{}
	for i, c := range in.Checks {
		st := checks.Status(c.Status)
		switch {
		case c.ID == "":
			return fmt.Errorf("checks[%d]: no id", i)
		case seen[c.ID]:
			return fmt.Errorf("check %s appears twice", quoted(c.ID))
		case !slices.Contains(knownStatuses, st):
			return fmt.Errorf("check %s: unknown status %s (want pass, warn, fail, skip or error)", quoted(c.ID), quoted(c.Status))
		case c.Ignored && st != checks.StatusWarn:
			return fmt.Errorf("check %s: an ignored failure is a warning, not %s", quoted(c.ID), st)
		}
		seen[c.ID] = true
		rep.Results = append(rep.Results, checks.Result{ID: c.ID, Status: st, Ignored: c.Ignored})
	}
	if !slices.Contains([]string{VerdictReady, VerdictNotReady, VerdictInconclusive}, in.Verdict) {
		return fmt.Errorf("unknown verdict %s (want ready, not-ready or inconclusive)", quoted(in.Verdict))
	}
	if in.Interrupted {
		if *in.ExitCode != 130 && *in.ExitCode != 143 {
			return fmt.Errorf("an interrupted run exits 130 or 143, not %d", *in.ExitCode)
		}
		rep.InterruptExit = *in.ExitCode
	}
	verdict, code := rep.Verdict()
	sum := rep.Summary()
	switch {
	case in.Verdict != verdict:
		return fmt.Errorf("verdict %s contradicts its checks (%s): they make it %s", quoted(in.Verdict), countsText(sum), verdict)
	case *in.ExitCode != code:
		return fmt.Errorf("exit_code %d contradicts its verdict %s (exit %d)", *in.ExitCode, verdict, code)
	case Summary(in.Summary) != sum:
		return fmt.Errorf("summary (%s) contradicts its checks (%s)", countsText(Summary(in.Summary)), countsText(sum))
	}
	return nil
}

// fleetReport is what summarize keeps of a consistent report.
func (in *reportJSON) fleetReport() *FleetReport {
	r := &FleetReport{
		Host: in.Host, Phase: in.Command, Verdict: in.Verdict, ExitCode: *in.ExitCode, Fixture: in.Fixture,
		StartedAt: in.StartedAt, Summary: Summary(in.Summary),
	}
	for _, c := range in.Checks {
		r.Checks = append(r.Checks, FleetCheck{c.ID, c.Status})
		// The agent checks' evidence, by its type: details without an
		// agent list (most checks) leave Agents as it was.
		var d checks.AgentList
		if len(c.Details) > 0 && json.Unmarshal(c.Details, &d) == nil && d.Agents != nil {
			r.Agents = d.Agents
			if d.Machine != "" {
				r.ThisMachine = d.Machine
			}
		}
	}
	return r
}

var knownStatuses = []checks.Status{checks.StatusPass, checks.StatusWarn, checks.StatusFail, checks.StatusSkip, checks.StatusError}

// quoted shows a value read from a report in an error: quoted, one line,
// no control characters.
func quoted(s string) string { return strconv.Quote(textfmt.OneLine(textfmt.Sanitize(s))) }

func countsText(s Summary) string {
	return fmt.Sprintf("%d pass, %d warn, %d fail, %d skip, %d error, %d ignored", s.Pass, s.Warn, s.Fail, s.Skip, s.Error, s.Ignored)
}

func deref(s *string) string {
	if s == nil {
		return "(none)"
	}
	return *s
}

// Fleet is what summarize prints.
type Fleet struct {
	Reports  []FleetReport
	Removal  *checks.RemovalFinding // nil: no uninstall report
	ExitCode int
	// Older are the reports a newer report of the same host and phase
	// replaces; Unreadable the inputs that are not reports (exit 2).
	Older      []OlderReport
	Unreadable []UnreadableReport
}

// OlderReport is a report summarize left out: a newer one of the same host
// and phase counts.
type OlderReport struct {
	File      string `json:"file"`
	Host      string `json:"host"`
	Phase     string `json:"phase"`
	StartedAt string `json:"started_at"`
	Newer     string `json:"newer_file"`
}

func (o OlderReport) String() string {
	return fmt.Sprintf("older report of %s, ignored: %s (%s, newer: %s)", clean(o.Host), clean(o.File), clean(o.Phase), clean(o.Newer))
}

// UnreadableReport is an input that is not a report, with why.
type UnreadableReport struct {
	File  string `json:"file"`
	Error string `json:"error"`
}

type fleetJSON struct {
	listHeader
	ExitCode int                    `json:"exit_code"`
	Counts   map[string]int         `json:"counts"`
	Hosts    []fleetHostJSON        `json:"hosts"`
	Checks   []fleetCheckJSON       `json:"checks"`
	Removal  *checks.RemovalFinding `json:"planned_removal,omitempty"`
	// Older: reports replaced by a newer one of the same host and phase;
	// Unreadable: inputs that are not reports. Always present.
	Older      []OlderReport      `json:"older_reports"`
	Unreadable []UnreadableReport `json:"unreadable"`
}

type fleetHostJSON struct {
	Host     string            `json:"host"`
	File     string            `json:"file"`
	Phase    string            `json:"phase"`
	Fixture  string            `json:"fixture,omitempty"`
	Verdict  string            `json:"verdict"`
	ExitCode int               `json:"exit_code"`
	Summary  jsonSummary       `json:"summary"`
	Checks   map[string]string `json:"checks"`
	Failing  []string          `json:"failing"`
}

type fleetCheckJSON struct {
	ID      string   `json:"id"`
	Pass    int      `json:"pass"`
	Warn    int      `json:"warn"`
	Fail    int      `json:"fail"`
	Error   int      `json:"error"`
	Skip    int      `json:"skip"`
	Failing []string `json:"failing_hosts"`
}

// checkOrder lists the check IDs in the order they first appear.
func (f *Fleet) checkOrder() []string {
	seen := map[string]bool{}
	var ids []string
	for _, r := range f.Reports {
		for _, c := range r.Checks {
			if !seen[c.ID] {
				seen[c.ID] = true
				ids = append(ids, c.ID)
			}
		}
	}
	return ids
}

func (f *Fleet) perCheck() []fleetCheckJSON {
	byID := map[string]*fleetCheckJSON{}
	var out []fleetCheckJSON
	for _, id := range f.checkOrder() {
		out = append(out, fleetCheckJSON{ID: id, Failing: []string{}})
	}
	for i := range out {
		byID[out[i].ID] = &out[i]
	}
	for _, r := range f.Reports {
		for _, c := range r.Checks {
			e := byID[c.ID]
			switch c.Status {
			case "pass":
				e.Pass++
			case "warn":
				e.Warn++
			case "fail":
				e.Fail++
				e.Failing = append(e.Failing, r.Host)
			case "error":
				e.Error++
				e.Failing = append(e.Failing, r.Host)
			case "skip":
				e.Skip++
			}
		}
	}
	return out
}

func failing(r FleetReport) []string {
	out := []string{}
	for _, c := range r.Checks {
		if c.Status == "fail" || c.Status == "error" {
			out = append(out, c.ID+"="+c.Status)
		}
	}
	return out
}

func (f *Fleet) counts() map[string]int {
	c := map[string]int{VerdictReady: 0, VerdictNotReady: 0, VerdictInconclusive: 0}
	for _, r := range f.Reports {
		c[r.Verdict]++
	}
	return c
}

// Summarize writes the fleet table: text (its tables fit width columns;
// 0: no limit), json or csv.
func Summarize(w io.Writer, format string, f *Fleet, width int) error {
	switch format {
	case "json":
		out := fleetJSON{listHeader: listHeader{SchemaVersion, "ptacheck", "summary"}, ExitCode: f.ExitCode, Counts: f.counts(),
			Hosts: []fleetHostJSON{}, Checks: f.perCheck(), Removal: f.Removal,
			Older: append([]OlderReport{}, f.Older...), Unreadable: append([]UnreadableReport{}, f.Unreadable...)}
		for _, r := range f.Reports {
			h := fleetHostJSON{Host: r.Host, File: r.File, Phase: r.Phase, Fixture: r.Fixture, Verdict: r.Verdict, ExitCode: r.ExitCode,
				Summary: jsonSummary(r.Summary), Checks: map[string]string{}, Failing: failing(r)}
			for _, c := range r.Checks {
				h.Checks[c.ID] = c.Status
			}
			out.Hosts = append(out.Hosts, h)
		}
		return writeJSON(w, out)
	case "csv":
		ids := f.checkOrder()
		cw := csv.NewWriter(w)
		header := []string{"host", "file", "phase", "verdict", "exit_code"}
		for _, id := range ids {
			header = append(header, csvCell(id)) // check IDs come from the reports too
		}
		cw.Write(header)
		for _, r := range f.Reports {
			row := []string{csvCell(r.Host), csvCell(r.File), csvCell(r.Phase), csvCell(r.Verdict), fmt.Sprint(r.ExitCode)}
			status := map[string]string{}
			for _, c := range r.Checks {
				status[c.ID] = c.Status
			}
			for _, id := range ids {
				row = append(row, csvCell(status[id]))
			}
			cw.Write(row)
		}
		cw.Flush()
		return cw.Error()
	}
	return folded(w, width, func(w io.Writer) error { return summaryText(w, f, width) })
}

// summaryText is the text of summarize: the host table, the per-check
// table, the reports left out, the planned removal and the exit code.
func summaryText(w io.Writer, f *Fleet, width int) error {
	c := f.counts()
	fmt.Fprintf(w, "ptacheck summarize: %s: %d ready, %d not ready, %d inconclusive\n\n",
		textfmt.Plural(len(f.Reports), "report", "reports"), c[VerdictReady], c[VerdictNotReady], c[VerdictInconclusive])
	hosts := newTable("HOST", "FILE", "PHASE", "VERDICT", "FAIL", "WARN", "ERROR", "FAILING CHECKS")
	hosts.labelLast = true
	for _, r := range f.Reports {
		fl := strings.Join(failing(r), ", ")
		if fl == "" {
			fl = "-"
		}
		hosts.add(clean(r.Host), clean(r.File), clean(r.Phase), clean(r.Verdict), fmt.Sprint(r.Summary.Fail), fmt.Sprint(r.Summary.Warn), fmt.Sprint(r.Summary.Error), clean(fl))
	}
	hosts.write(w, width)
	fmt.Fprintln(w)
	perCheck := newTable("CHECK", "PASS", "WARN", "FAIL", "ERROR", "SKIP", "FAILING ON")
	perCheck.labelLast = true
	for _, e := range f.perCheck() {
		on := strings.Join(e.Failing, ", ")
		if on == "" {
			on = "-"
		}
		perCheck.add(clean(e.ID), fmt.Sprint(e.Pass), fmt.Sprint(e.Warn), fmt.Sprint(e.Fail), fmt.Sprint(e.Error), fmt.Sprint(e.Skip), clean(on))
	}
	perCheck.write(w, width)
	if len(f.Older)+len(f.Unreadable) > 0 {
		fmt.Fprintln(w)
	}
	for _, o := range f.Older {
		writeWrapped(w, "", "  ", o.String(), width)
	}
	for _, u := range f.Unreadable {
		writeWrapped(w, "", "  ", "not a report, left out: "+clean(u.Error), width)
	}
	if f.Removal != nil {
		label := map[checks.Status]string{checks.StatusPass: "ok", checks.StatusWarn: "WARNING", checks.StatusFail: "FAIL", checks.StatusError: "UNKNOWN"}[f.Removal.Status]
		fmt.Fprintln(w)
		writeWrapped(w, "", "  ", fmt.Sprintf("planned removal: %s: %s", label, clean(f.Removal.Message)), width)
	}
	_, err := fmt.Fprintf(w, "\nexit %d\n", f.ExitCode)
	return err
}

// csvCell sanitises a value for a spreadsheet: one line, and a value that
// starts with a character a spreadsheet would run as a formula (OWASP's
// "CSV injection" list: = + - @ tab CR, and their full-width forms, which
// some spreadsheets fold) gets a leading ' so it stays text. clean has
// already removed leading spaces and control characters.
func csvCell(s string) string {
	s = clean(s)
	if r, _ := utf8.DecodeRuneInString(s); strings.ContainsRune("=+-@\t\r\uFF1D\uFF0B\uFF0D\uFF20", r) && s != "" {
		s = "'" + s
	}
	return s
}
