package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/ptacheck/ptacheck/checks/codes"
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
			links = append(links, s+" ("+confidenceWords[l.Confidence]+")")
		}
		row("related codes:", strings.Join(links, ", "))
		note := e.Note
		if x.Code.Note != "" {
			note = x.Code.Note // how the input was read says it best
		}
		row("note:", note)
		row("not confirmed:", e.Unverified)
		row("source:", e.Source)
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// confidenceWords say in words how sure a link between two codes is (the
// JSON keeps the table's values).
var confidenceWords = map[string]string{
	"documented":     "documented",
	"strong-derived": "likely: the texts match",
	"derived":        "inferred",
	"unverified":     "unconfirmed",
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
