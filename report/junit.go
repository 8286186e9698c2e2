package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/util/redact"
)

type junitTestSuites struct {
	XMLName  xml.Name         `xml:"testsuites"`
	Name     string           `xml:"name,attr"`
	Tests    int              `xml:"tests,attr"`
	Failures int              `xml:"failures,attr"`
	Errors   int              `xml:"errors,attr"`
	Skipped  int              `xml:"skipped,attr"`
	Time     string           `xml:"time,attr"`
	Suites   []junitTestSuite `xml:"testsuite"`
}

type junitTestSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitTestCase `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitTestCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
	Skipped   *junitSkipped `xml:"skipped"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

func seconds(ms int64) string { return strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64) }

// JUnit writes JUnit XML: one testsuite per check area, one testcase per
// check; fail -> <failure>, error -> <error>, skip -> <skipped>, warn passes
// with a WARNING in <system-out>. Every suite carries the run's verdict and
// exit code as properties, so CI systems see the same verdict as JSON.
func JUnit(w io.Writer, r *Report, _ Options) error {
	verdict, code := r.Verdict()
	props := []junitProperty{
		{"command", r.Command}, {"verdict", verdict}, {"exit_code", strconv.Itoa(code)},
		{"strict", strconv.FormatBool(r.Strict)},
	}
	if r.Fixture != "" {
		props = append(props, junitProperty{"fixture", r.Fixture})
	}
	out := junitTestSuites{Name: "ptacheck " + r.Command + ": " + verdict, Time: seconds(r.Duration.Milliseconds())}
	index := map[string]int{}
	// A suite's time is the wall time its checks spanned (they run in
	// parallel), not the sum of their durations.
	var first, last []time.Time
	for _, res := range r.Results {
		area := checks.Area(res.ID)
		i, ok := index[area]
		if !ok {
			i = len(out.Suites)
			index[area] = i
			first, last = append(first, time.Time{}), append(last, time.Time{})
			out.Suites = append(out.Suites, junitTestSuite{
				Name: "ptacheck." + area, Properties: props,
				Timestamp: r.StartedAt.UTC().Format("2006-01-02T15:04:05"),
			})
		}
		s := &out.Suites[i]
		ms := res.Duration.Milliseconds()
		tc := junitTestCase{Name: res.ID, Classname: "ptacheck." + area, Time: seconds(ms)}
		s.add(&tc, res.Status, res.Message, problemBody(res), r.Strict && !res.Ignored)
		start := res.Start
		if start.IsZero() {
			start = r.StartedAt
		}
		end := start.Add(res.Duration)
		if first[i].IsZero() || start.Before(first[i]) {
			first[i] = start
		}
		if end.After(last[i]) {
			last[i] = end
		}
		s.Time = seconds(last[i].Sub(first[i]).Milliseconds())
		s.Cases = append(s.Cases, tc)
		for _, p := range subCases(res) {
			// One testcase per endpoint (or finding), so a CI page names
			// login.microsoftonline.com:443 as its own failed test.
			p.Name, p.Message = xmlSafe(p.Name), xmlSafe(p.Message)
			c := junitTestCase{Name: p.Name, Classname: "ptacheck." + res.ID, Time: "0.000"}
			s.add(&c, p.Status, p.Message, p.Message, r.Strict && !res.Ignored)
			s.Cases = append(s.Cases, c)
		}
	}
	for _, s := range out.Suites {
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
		out.Skipped += s.Skipped
	}
	out.redact()
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// redact masks secrets in every text of the document before it is
// encoded: encoding/xml escapes attributes and splits a "]]>" in CDATA
// across two sections, so a secret masked afterwards, in the bytes, could
// be missed in its escaped form and read back whole by an XML parser.
func (t *junitTestSuites) redact() {
	str := func(s *string) { *s = xmlSafe(redact.String(*s)) }
	problem := func(p *junitProblem) {
		if p != nil {
			str(&p.Message)
			str(&p.Type)
			str(&p.Body)
		}
	}
	str(&t.Name)
	for i := range t.Suites {
		s := &t.Suites[i]
		str(&s.Name)
		props := make([]junitProperty, len(s.Properties)) // shared between suites: copy
		copy(props, s.Properties)
		for j := range props {
			str(&props[j].Name)
			str(&props[j].Value)
		}
		s.Properties = props
		for j := range s.Cases {
			c := &s.Cases[j]
			str(&c.Name)
			str(&c.Classname)
			str(&c.SystemOut)
			problem(c.Failure)
			problem(c.Error)
			if c.Skipped != nil {
				str(&c.Skipped.Message)
			}
		}
	}
}

// subCases are the testcases under a check's own: its parts (the endpoints
// of net.outbound-ports), or, for a check that failed or ended in error with
// several findings and no parts, one per finding.
func subCases(res checks.Result) []checks.Part {
	if len(res.Parts) > 0 {
		return res.Parts
	}
	if (res.Status != checks.StatusFail && res.Status != checks.StatusError) || len(res.Findings) < 2 {
		return nil
	}
	var parts []checks.Part
	for i, f := range res.Findings {
		st := res.Status
		if strings.HasPrefix(f, "warning: ") {
			st = checks.StatusWarn
		}
		name := f
		if r := []rune(name); len(r) > 100 {
			name = string(r[:100]) + "..."
		}
		parts = append(parts, checks.Part{Name: fmt.Sprintf("finding %d: %s", i+1, name), Status: st, Message: f})
	}
	return parts
}

// add records a testcase's outcome in it and the suite's counts: fail ->
// <failure>, error -> <error>, skip -> <skipped>, a warning passes with a
// WARNING in <system-out>, unless strictWarn: --strict fails the run on it,
// so the CI page is red exactly when the exit code is.
func (s *junitTestSuite) add(tc *junitTestCase, st checks.Status, message, body string, strictWarn bool) {
	switch st {
	case checks.StatusFail:
		tc.Failure = &junitProblem{Message: message, Type: "fail", Body: body}
		s.Failures++
	case checks.StatusError:
		tc.Error = &junitProblem{Message: message, Type: "error", Body: body}
		s.Errors++
	case checks.StatusSkip:
		tc.Skipped = &junitSkipped{Message: message}
		s.Skipped++
	case checks.StatusWarn:
		if strictWarn {
			tc.Failure = &junitProblem{Message: "warning (--strict): " + message, Type: "warn-strict", Body: body}
			s.Failures++
		} else {
			tc.SystemOut = "WARNING: " + body
		}
	default:
		tc.SystemOut = message
	}
	s.Tests++
}

func problemBody(res checks.Result) string {
	var b strings.Builder
	b.WriteString(res.Message)
	b.WriteString("\n")
	for _, f := range res.Findings {
		fmt.Fprintf(&b, "- %s\n", f)
	}
	if res.Remediation != "" {
		fmt.Fprintf(&b, "fix: %s\n", res.Remediation)
	}
	if res.DocURL != "" {
		fmt.Fprintf(&b, "see: %s\n", res.DocURL)
	}
	return xmlSafe(b.String())
}

// xmlSafe drops characters XML 1.0 cannot carry (CDATA escapes nothing).
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t', r == '\n', r == '\r', r >= 0x20 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
			return r
		}
		return -1
	}, s)
}
