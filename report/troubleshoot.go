package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ptacheck/ptacheck/checks/codes"
	"github.com/ptacheck/ptacheck/checks/tracelog"
	"github.com/ptacheck/ptacheck/util/textfmt"
)

// codeJSON is one explained code in `ptacheck explain -o json`.
type codeJSON struct {
	Code          string       `json:"code"`
	Kind          codes.Kind   `json:"kind"`
	Number        int64        `json:"number"`
	Hex           string       `json:"hex,omitempty"`
	Symbol        string       `json:"symbol,omitempty"`
	Text          string       `json:"text"`
	SystemText    string       `json:"system_text,omitempty"`
	ReportText    string       `json:"report_text,omitempty"`
	LegacyText    string       `json:"legacy_text,omitempty"`
	Meaning       string       `json:"meaning"`
	LikelyCause   string       `json:"likely_cause"`
	WhatToDo      string       `json:"what_to_do"`
	RelatedChecks []string     `json:"related_checks"`
	Links         []codes.Link `json:"links"`
	Note          string       `json:"note,omitempty"`
	Source        string       `json:"source"`
	Unverified    string       `json:"unverified,omitempty"`
}

// Explain writes explanations of codes (text, or json {"kind": "explain"}).
func Explain(w io.Writer, format string, xs []codes.Explanation) error {
	if format == "json" {
		out := []codeJSON{}
		for _, x := range xs {
			e := x.Entry
			note := e.Note
			if x.Code.Note != "" {
				note = x.Code.Note
			}
			out = append(out, codeJSON{
				Code: x.Code.String(), Kind: x.Code.Kind, Number: x.Code.Number, Hex: e.Hex, Symbol: e.Symbol,
				Text: x.Text(), SystemText: x.SystemText, ReportText: e.ReportText, LegacyText: e.LegacyText,
				Meaning: e.Meaning, LikelyCause: e.LikelyCause, WhatToDo: e.WhatToDo,
				RelatedChecks: orNone(e.RelatedChecks), Links: orNoLinks(e.Links), Note: note, Source: e.Source, Unverified: e.Unverified,
			})
		}
		return writeJSON(w, struct {
			listHeader
			Codes []codeJSON `json:"codes"`
		}{listHeader{SchemaVersion, "ptacheck", "explain"}, out})
	}
	for i, x := range xs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		e := x.Entry
		head := x.Code.String()
		if e.Hex != "" && !strings.Contains(head, e.Hex) {
			head += " (" + e.Hex + ")"
		}
		if e.Symbol != "" {
			head += "  " + e.Symbol
		}
		fmt.Fprintln(w, head)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		row := func(label, value string) {
			if value != "" {
				fmt.Fprintf(tw, "  %s\t%s\n", label, textfmt.OneLine(value))
			}
		}
		if x.SystemText != "" {
			row("message (this host):", x.SystemText)
		}
		row("message:", e.Text)
		row("sign-in log reason:", e.ReportText)
		row("older wording:", e.LegacyText)
		row("meaning:", e.Meaning)
		row("likely cause:", e.LikelyCause)
		row("what to do:", e.WhatToDo)
		if len(e.RelatedChecks) > 0 {
			row("related checks:", strings.Join(e.RelatedChecks, ", "))
		}
		var links []string
		for _, l := range e.Links {
			s := l.Code().String()
			if le, ok := codes.Lookup(l.Code()); ok && le.Symbol != "" {
				s += " " + le.Symbol
			}
			links = append(links, s+" ("+l.Confidence+")")
		}
		row("related codes:", strings.Join(links, ", "))
		note := e.Note
		if x.Code.Note != "" {
			note = x.Code.Note // how the input was read says it best
		}
		row("note:", note)
		row("unverified:", e.Unverified)
		row("source:", e.Source)
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func orNone(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func orNoLinks(s []codes.Link) []codes.Link {
	if s == nil {
		return []codes.Link{}
	}
	return s
}

// logsJSON is `ptacheck logs -o json`.
type logsJSON struct {
	listHeader
	Files     []logFileJSON `json:"files"`
	Records   int           `json:"records"`
	Failures  int           `json:"failures"`
	Untimed   int           `json:"untimed"`
	Unparsed  int           `json:"unparsed"`
	LongLines int           `json:"long_lines"`
	Since     string        `json:"since,omitempty"`
	Until     string        `json:"until,omitempty"`
	RequestID string        `json:"request_id,omitempty"`
	Reasons   []reasonJSON  `json:"reasons"`
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

// Logs writes a trace-log analysis: text (a table by reason) or json.
func Logs(w io.Writer, format string, s *tracelog.Summary) error {
	if format == "json" {
		out := logsJSON{
			listHeader: listHeader{SchemaVersion, "ptacheck", "logs"},
			Files:      []logFileJSON{}, Records: s.Records, Failures: s.Failures, Untimed: s.Untimed, Unparsed: s.Unparsed, LongLines: s.LongLines,
			Since: timeOrEmpty(s.Filter.Since), Until: timeOrEmpty(s.Filter.Until), RequestID: s.Filter.RequestID, Reasons: []reasonJSON{},
		}
		for _, f := range s.Files {
			out.Files = append(out.Files, logFileJSON{f.Path, f.Bytes, f.Records, f.Failures, f.Skipped})
		}
		for _, r := range s.Reasons {
			sym, msg, what := explainReason(r.Code)
			out.Reasons = append(out.Reasons, reasonJSON{r.Code, r.Count, timeOrEmpty(r.First), timeOrEmpty(r.Last), sym, msg, what, orNone(r.RequestIDs)})
		}
		return writeJSON(w, out)
	}
	read := 0
	for _, f := range s.Files {
		if f.Skipped == "" {
			read++
		}
	}
	fmt.Fprintf(w, "ptacheck logs: %s read, %s, %s\n", textfmt.Plural(read, "file", "files"), textfmt.Plural(s.Records, "record", "records"), textfmt.Plural(s.Failures, "failed sign-in", "failed sign-ins"))
	for _, f := range s.Files {
		if f.Skipped != "" {
			fmt.Fprintf(w, "  skipped %s: %s\n", clean(f.Path), clean(f.Skipped))
		}
	}
	if s.Untimed > 0 && (!s.Filter.Since.IsZero() || !s.Filter.Until.IsZero()) {
		fmt.Fprintf(w, "  %s without a DateTime left out by --since/--until\n", textfmt.Plural(s.Untimed, "failure", "failures"))
	}
	if s.Unparsed > 0 {
		fmt.Fprintf(w, "  %s mention a failed request in an unknown form (the agent's wording may have changed)\n", textfmt.Plural(s.Unparsed, "record", "records"))
	}
	if len(s.Reasons) == 0 {
		_, err := fmt.Fprintln(w, "\nno failed Pass-through Authentication request in these logs")
		return err
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REASON\tCOUNT\tFIRST\tLAST\tMEANING")
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
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", label, r.Count, first, last, clean(msg))
		if len(r.RequestIDs) > 0 {
			ids := r.RequestIDs[:min(2, len(r.RequestIDs))]
			fmt.Fprintf(tw, "\t\t\t\t  e.g. request %s\n", clean(strings.Join(ids, ", ")))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "\nExplain a reason: ptacheck explain CODE. Correlate a request ID with the sign-in logs of the tenant.")
	return err
}

// DCQuery writes the Security-log query for the agent's logons.
func DCQuery(w io.Writer, format string, exePaths []string) error {
	var conds []string
	for _, p := range exePaths {
		conds = append(conds, "Data="+xpathLiteral(p))
	}
	xpath := "*[EventData[Data[@Name='ProcessName'] and (" + strings.Join(conds, " or ") + ")]]"
	if format == "xpath" {
		_, err := fmt.Fprintln(w, xpath)
		return err
	}
	_, err := fmt.Fprintf(w, "<QueryList>\n  <Query Id=\"0\" Path=\"Security\">\n    <Select Path=\"Security\">%s</Select>\n  </Query>\n</QueryList>\n", xmlText(xpath))
	return err
}

// xpathLiteral quotes s for XPath 1.0 (which has no escapes): with ' unless
// s holds one, then with ".
func xpathLiteral(s string) string {
	if strings.Contains(s, "'") {
		return `"` + strings.ReplaceAll(s, `"`, "") + `"`
	}
	return "'" + s + "'"
}

func xmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
