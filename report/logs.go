package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ptacheck/ptacheck/checks/codes"
	"github.com/ptacheck/ptacheck/checks/secevents"
	"github.com/ptacheck/ptacheck/checks/tracelog"
	"github.com/ptacheck/ptacheck/util/textfmt"
)

// ptacheck logs: failed sign-ins in trace logs by Reason, and the agent's
// logons in exported Security events, as text and JSON.

// LogsInput is what `ptacheck logs` read: trace logs, exported Security
// events, or both (a nil part was not read).
type LogsInput struct {
	Trace    *tracelog.Summary
	Security *secevents.Summary
	// PassedOver are files in folders that are neither trace logs nor
	// Security events; PassedOverCount counts them all (the list may be
	// cut). Verbose text names them.
	PassedOver      []string
	PassedOverCount int
	Verbose         bool
	Width           int // text: the tables fit this many columns; 0: no limit
	// Paths are the files and folders named (or the default trace
	// folders), for the line that says no trace log was found in them.
	Paths []string
}

// Evaluated says whether anything was read: a trace file or a Security
// event file read (at least in part). A run that read nothing evaluated
// nothing: `logs` then says so and exits 3, never "no failed request".
func (in LogsInput) Evaluated() bool {
	if in.Trace != nil && traceFilesRead(in.Trace) > 0 {
		return true
	}
	if in.Security != nil {
		for _, f := range in.Security.Files {
			if f.Skipped == "" {
				return true
			}
		}
	}
	return false
}

func traceFilesRead(s *tracelog.Summary) int {
	read := 0
	for _, f := range s.Files {
		if f.Skipped == "" {
			read++
		}
	}
	return read
}

// noTraceText is the last line when no trace file was read: none found in
// the paths (with the files passed over), or none could be read.
func noTraceText(in LogsInput) string {
	if len(in.Trace.Files) > 0 {
		return fmt.Sprintf("no trace file could be read (%s skipped): nothing was evaluated", textfmt.Plural(len(in.Trace.Files), "file", "files"))
	}
	where := "the paths named"
	if len(in.Paths) > 0 {
		where = clean(strings.Join(in.Paths, ", "))
	}
	return fmt.Sprintf("no agent trace log found in %s (%s passed over)", where, textfmt.Plural(in.PassedOverCount, "file", "files"))
}

// logsJSON is `ptacheck logs -o json`.
type logsJSON struct {
	listHeader
	Files      []logFileJSON `json:"files"`
	Records    int           `json:"records"`
	Failures   int           `json:"failures"`
	Untimed    int           `json:"untimed"`
	Unparsed   int           `json:"unparsed"`
	LongLines  int           `json:"long_lines"`
	Outside    int           `json:"outside"`
	Since      string        `json:"since,omitempty"`
	Until      string        `json:"until,omitempty"`
	RequestID  string        `json:"request_id,omitempty"`
	Reasons    []reasonJSON  `json:"reasons"`
	PassedOver []string      `json:"passed_over"`
	Security   *securityJSON `json:"security_events,omitempty"`
}

type logFileJSON struct {
	Path     string `json:"path"`
	Bytes    int64  `json:"bytes"`
	Records  int    `json:"records"`
	Failures int    `json:"failures"`
	Skipped  string `json:"skipped,omitempty"`
}

type reasonJSON struct {
	Code       int      `json:"code"`
	Count      int      `json:"count"`
	First      string   `json:"first,omitempty"`
	Last       string   `json:"last,omitempty"`
	Symbol     string   `json:"symbol,omitempty"`
	Message    string   `json:"message"`
	WhatToDo   string   `json:"what_to_do,omitempty"`
	RequestIDs []string `json:"request_ids"`
}

// securityJSON is the Security-event part of `logs -o json`: the agent's
// logons. Its reasons have the trace-log shape, with the NTSTATUS as a
// hex string and the number of distinct accounts instead of request IDs.
type securityJSON struct {
	Processes      []string         `json:"processes"`
	Files          []secFileJSON    `json:"files"`
	Events         int              `json:"events"`
	Logons         int              `json:"logons"`
	OtherProcess   int              `json:"other_process"`
	WithoutProcess int              `json:"without_process"`
	Malformed      int              `json:"malformed"`
	Untimed        int              `json:"untimed"`
	Outside        int              `json:"outside"`
	Truncated      int              `json:"truncated"`
	Failures       int              `json:"failures"`
	WithoutStatus  int              `json:"without_status"`
	Unlisted       int              `json:"unlisted"`
	Reasons        []secReasonJSON  `json:"reasons"`
	Successes      secSuccessesJSON `json:"successes"`
}

type secFileJSON struct {
	Path      string `json:"path"`
	Bytes     int64  `json:"bytes"`
	Events    int    `json:"events"`
	Logons    int    `json:"logons"`
	Truncated bool   `json:"truncated,omitempty"`
	Skipped   string `json:"skipped,omitempty"`
}

type secReasonJSON struct {
	Code            string `json:"code"`
	Count           int    `json:"count"`
	First           string `json:"first,omitempty"`
	Last            string `json:"last,omitempty"`
	Symbol          string `json:"symbol,omitempty"`
	Message         string `json:"message"`
	WhatToDo        string `json:"what_to_do,omitempty"`
	Accounts        int    `json:"accounts"`
	AccountsAtLeast bool   `json:"accounts_at_least,omitempty"`
}

type secSuccessesJSON struct {
	Count           int    `json:"count"`
	First           string `json:"first,omitempty"`
	Last            string `json:"last,omitempty"`
	Accounts        int    `json:"accounts"`
	AccountsAtLeast bool   `json:"accounts_at_least,omitempty"`
}

func timeOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// explainReason looks a trace-log Reason (a Win32 code) up.
func explainReason(code int) (symbol, message, what string) {
	x, err := codes.Explain(codes.Code{Kind: codes.Win32, Number: int64(code)})
	if err != nil {
		return "", fmt.Sprintf("unknown code %d (0x%X)", code, uint32(code)), ""
	}
	return x.Entry.Symbol, x.Text(), x.Entry.WhatToDo
}

// explainStatus looks a Security event's Status or SubStatus (an NTSTATUS)
// up.
func explainStatus(code uint32) (hex, symbol, message, what string) {
	c := codes.Code{Kind: codes.NTSTATUS, Number: int64(code)}
	hex = c.Hex()
	x, err := codes.Explain(c)
	if err != nil {
		return hex, "", "unknown status " + hex, ""
	}
	return hex, x.Entry.Symbol, x.Text(), x.Entry.WhatToDo
}

// Logs writes what `ptacheck logs` read: text (tables by reason) or json.
func Logs(w io.Writer, format string, in LogsInput) error {
	if format == "json" {
		return writeJSON(w, logsJSONOf(in))
	}
	return folded(w, in.Width, func(w io.Writer) error { return logsText(w, in) })
}

func logsText(w io.Writer, in LogsInput) error {
	if in.Trace != nil {
		if err := traceText(w, in); err != nil {
			return err
		}
	}
	if in.Security != nil {
		if in.Trace != nil {
			fmt.Fprintln(w)
		}
		if err := securityText(w, in.Security, in.Width); err != nil {
			return err
		}
	}
	if in.Trace == nil {
		passedText(w, in)
	}
	return nil
}

func logsJSONOf(in LogsInput) logsJSON {
	out := logsJSON{listHeader: listHeader{SchemaVersion, "ptacheck", "logs"}, Files: []logFileJSON{}, Reasons: []reasonJSON{}, PassedOver: orNone(in.PassedOver)}
	if s := in.Trace; s != nil {
		out.Records, out.Failures, out.Untimed, out.Unparsed, out.LongLines, out.Outside = s.Records, s.Failures, s.Untimed, s.Unparsed, s.LongLines, s.Outside
		out.Since, out.Until, out.RequestID = timeOrEmpty(s.Filter.Since), timeOrEmpty(s.Filter.Until), s.Filter.RequestID
		for _, f := range s.Files {
			out.Files = append(out.Files, logFileJSON{f.Path, f.Bytes, f.Records, f.Failures, f.Skipped})
		}
		for _, r := range s.Reasons {
			sym, msg, what := explainReason(r.Code)
			out.Reasons = append(out.Reasons, reasonJSON{r.Code, r.Count, timeOrEmpty(r.First), timeOrEmpty(r.Last), sym, msg, what, orNone(r.RequestIDs)})
		}
	}
	if s := in.Security; s != nil {
		if in.Trace == nil {
			out.Since, out.Until = timeOrEmpty(s.Filter.Since), timeOrEmpty(s.Filter.Until)
		}
		sj := &securityJSON{
			Processes: orNone(s.Processes), Files: []secFileJSON{}, Events: s.Events, Logons: s.Logons, OtherProcess: s.OtherProcess,
			WithoutProcess: s.NoProcess, Malformed: s.Malformed, Untimed: s.Untimed, Outside: s.Outside, Truncated: s.Truncated,
			Failures: s.Failures, WithoutStatus: s.NoStatus, Unlisted: s.Unlisted, Reasons: []secReasonJSON{},
			Successes: secSuccessesJSON{s.Successes.Count, timeOrEmpty(s.Successes.First), timeOrEmpty(s.Successes.Last), s.Successes.Accounts, s.Successes.AccountsAtLeast},
		}
		for _, f := range s.Files {
			sj.Files = append(sj.Files, secFileJSON{f.Path, f.Bytes, f.Events, f.Logons, f.Truncated, f.Skipped})
		}
		for _, r := range s.Reasons {
			hex, sym, msg, what := explainStatus(r.Code)
			sj.Reasons = append(sj.Reasons, secReasonJSON{hex, r.Count, timeOrEmpty(r.First), timeOrEmpty(r.Last), sym, msg, what, r.Accounts, r.AccountsAtLeast})
		}
		out.Security = sj
	}
	return out
}

// thousands renders 12836 as 12,836.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

func passedText(w io.Writer, in LogsInput) {
	if in.PassedOverCount == 0 {
		return
	}
	if !in.Verbose {
		fmt.Fprintf(w, "  %s passed over: neither agent trace logs nor Security events (-v names them)\n", textfmt.Plural(in.PassedOverCount, "file in the folders", "files in the folders"))
		return
	}
	fmt.Fprintf(w, "  %s passed over: neither agent trace logs nor Security events\n", textfmt.Plural(in.PassedOverCount, "file in the folders", "files in the folders"))
	for _, p := range in.PassedOver {
		fmt.Fprintf(w, "    passed over %s\n", clean(p))
	}
	if n := in.PassedOverCount - len(in.PassedOver); n > 0 {
		fmt.Fprintf(w, "    and %d more\n", n)
	}
}

func traceText(w io.Writer, in LogsInput) error {
	s := in.Trace
	read := traceFilesRead(s)
	fmt.Fprintf(w, "ptacheck logs: %s read, %s, %s\n", textfmt.Plural(read, "trace file", "trace files"), textfmt.Plural(s.Records, "record", "records"), textfmt.Plural(s.Failures, "failed sign-in", "failed sign-ins"))
	for _, f := range s.Files {
		if f.Skipped != "" {
			fmt.Fprintf(w, "  skipped %s: %s\n", clean(f.Path), clean(f.Skipped))
		}
	}
	passedText(w, in)
	timed := !s.Filter.Since.IsZero() || !s.Filter.Until.IsZero()
	if s.Untimed > 0 && timed {
		fmt.Fprintf(w, "  %s without a DateTime left out by --since/--until\n", textfmt.Plural(s.Untimed, "failure", "failures"))
	}
	if s.Unparsed > 0 {
		fmt.Fprintf(w, "  %s mention a failed request in an unknown form (the agent's wording may have changed)\n", textfmt.Plural(s.Unparsed, "record", "records"))
	}
	if read == 0 {
		_, err := fmt.Fprintln(w, "\n"+noTraceText(in))
		return err
	}
	if len(s.Reasons) == 0 {
		_, err := fmt.Fprintln(w, "\n"+noneText(s))
		return err
	}
	if s.Outside > 0 {
		fmt.Fprintf(w, "  %s outside %s left out\n", textfmt.Plural(s.Outside, "failure", "failures"), windowWords(s.Filter))
	}
	fmt.Fprintln(w)
	t := newTable("REASON", "COUNT", "FIRST", "LAST", "MEANING")
	for _, r := range s.Reasons {
		sym, msg, _ := explainReason(r.Code)
		label := fmt.Sprint(r.Code)
		if sym != "" {
			label += " " + sym
		}
		first, last := "-", "-"
		if !r.First.IsZero() {
			first, last = r.First.UTC().Format("2006-01-02 15:04:05"), r.Last.UTC().Format("2006-01-02 15:04:05")
		}
		t.add(label, fmt.Sprint(r.Count), first, last, clean(msg))
		if len(r.RequestIDs) > 0 {
			ids := r.RequestIDs[:min(2, len(r.RequestIDs))]
			t.add("", "", "", "", "  e.g. request "+clean(strings.Join(ids, ", ")))
		}
	}
	t.write(w, in.Width)
	_, err := fmt.Fprintln(w, "\nExplain a reason: ptacheck explain CODE. Correlate a request ID with the sign-in logs of the tenant.")
	return err
}

// windowWords names what the filter selected: "that window", "that
// request ID", or both.
func windowWords(f tracelog.Filter) string {
	timed := !f.Since.IsZero() || !f.Until.IsZero()
	switch {
	case timed && f.RequestID != "":
		return "that window and request ID"
	case f.RequestID != "":
		return "that request ID"
	}
	return "that window"
}

// noneText is the line for no failure: in the logs, or in the filter's
// selection with how many the filter left out.
func noneText(s *tracelog.Summary) string {
	f := s.Filter
	timed := !f.Since.IsZero() || !f.Until.IsZero()
	switch {
	case f.RequestID != "" && !timed:
		return fmt.Sprintf("no failed Pass-through Authentication request with that request ID (%s with other IDs)", thousands(s.Outside))
	case f.RequestID != "":
		return fmt.Sprintf("no failed Pass-through Authentication request with that request ID in that window (%s outside it)", thousands(s.Outside))
	case timed:
		return fmt.Sprintf("no failed Pass-through Authentication request in that window (%s outside it)", thousands(s.Outside))
	}
	return "no failed Pass-through Authentication request in these logs"
}

func securityText(w io.Writer, s *secevents.Summary, width int) error {
	read := 0
	for _, f := range s.Files {
		if f.Skipped == "" {
			read++
		}
	}
	fmt.Fprintf(w, "Security events: %s read, %s; the agent's logons: %d failed, %d succeeded\n",
		textfmt.Plural(read, "file", "files"), textfmt.Plural(s.Events, "event", "events"), s.Failures, s.Successes.Count)
	for _, f := range s.Files {
		switch {
		case f.Skipped != "":
			fmt.Fprintf(w, "  skipped %s: %s\n", clean(f.Path), clean(f.Skipped))
		case f.Truncated:
			fmt.Fprintf(w, "  %s ends inside an event or before its closing tag (cut off, or still being written)\n", clean(f.Path))
		}
	}
	note := func(n int, one, many string) {
		switch {
		case n == 1:
			fmt.Fprintf(w, "  %s\n", one)
		case n > 1:
			fmt.Fprintf(w, "  "+many+"\n", thousands(n))
		}
	}
	note(s.OtherProcess, "1 logon of another process ignored", "%s logons of other processes ignored")
	note(s.NoProcess, "1 logon without a ProcessName item: whose it is is unknown, not counted", "%s logons without a ProcessName item: whose they are is unknown, not counted")
	note(s.Malformed, "1 logon over a limit or with a repeated item, not counted", "%s logons over a limit or with a repeated item, not counted")
	note(s.NoStatus, "1 of the agent's failures without a readable Status", "%s of the agent's failures without a readable Status")
	note(s.Unlisted, "1 of the agent's failures with a status beyond the first 1,024 listed", "%s of the agent's failures with statuses beyond the first 1,024 listed")
	if s.Filter.Since.IsZero() && s.Filter.Until.IsZero() {
		note(s.Untimed, "1 of the agent's logons without a readable TimeCreated", "%s of the agent's logons without a readable TimeCreated")
	} else {
		note(s.Untimed, "1 of the agent's logons without a readable TimeCreated left out by --since/--until", "%s of the agent's logons without a readable TimeCreated left out by --since/--until")
		note(s.Outside, "1 of the agent's logons outside that window left out", "%s of the agent's logons outside that window left out")
	}
	if len(s.Reasons) == 0 && s.Successes.Count == 0 {
		where := "in these events"
		if !s.Filter.Since.IsZero() || !s.Filter.Until.IsZero() {
			where = fmt.Sprintf("in that window (%s outside it)", thousands(s.Outside))
		}
		_, err := fmt.Fprintf(w, "\nno logon of the agent (%s) %s\n", clean(strings.Join(s.Processes, ", ")), where)
		return err
	}
	fmt.Fprintln(w)
	t := newTable("STATUS", "COUNT", "ACCOUNTS", "FIRST", "LAST", "MEANING")
	row := func(label string, c secevents.Tally, meaning string) {
		first, last := "-", "-"
		if !c.First.IsZero() {
			first, last = c.First.UTC().Format("2006-01-02 15:04:05"), c.Last.UTC().Format("2006-01-02 15:04:05")
		}
		accounts := fmt.Sprint(c.Accounts)
		if c.AccountsAtLeast {
			accounts = ">=" + accounts
		}
		t.add(label, fmt.Sprint(c.Count), accounts, first, last, clean(meaning))
	}
	for _, r := range s.Reasons {
		hex, sym, msg, _ := explainStatus(r.Code)
		if sym != "" {
			hex += " " + sym
		}
		row(hex, r.Tally, msg)
	}
	if s.Successes.Count > 0 {
		row("success (4624)", s.Successes, "The password was validated: the agent's logon succeeded.")
	}
	t.write(w, width)
	_, err := fmt.Fprintln(w, "\nEvents 4625 (failed) and 4624 (succeeded) whose ProcessName is the agent's; a failure's status is its SubStatus, or its Status when SubStatus is 0x0. Explain one: ptacheck explain 0xC000006A.")
	return err
}
