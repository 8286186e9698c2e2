package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/util/redact"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// mixedReport has every status, several findings, details, and characters
// that need escaping in XML and JSON.
func mixedReport() *Report {
	return &Report{
		Tool: "ptacheck", Version: "1.2.3", Command: "install", Fixture: "healthy",
		StartedAt: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC),
		Duration:  2345 * time.Millisecond,
		Results: []checks.Result{
			{ID: "host.os", Title: "Windows Server version", Status: checks.StatusPass, Message: "Windows Server 2022 Datacenter (build 20348)",
				Duration: 3 * time.Millisecond, Details: map[string]any{"build": 20348}},
			{ID: "host.app-proxy-connector", Title: "No App Proxy connector on this server", Status: checks.StatusFail,
				Message:     "App Proxy connector present (service WAPCSvc); PTA agents 1.5.193.0 and later may coexist with it",
				Findings:    []string{"service WAPCSvc (Microsoft AAD Application Proxy Connector) is installed, running", `program "Microsoft AAD Application Proxy Connector" 1.5.1975.0 is installed`},
				Remediation: "Install the PTA agent on another server.", DocURL: "https://learn.microsoft.com/x",
				Duration: 4 * time.Millisecond},
			{ID: "host.tls12", Title: "TLS 1.2 and .NET strong crypto", Status: checks.StatusWarn,
				Message: ".NET 4 (32-bit) SchUseStrongCrypto is not set, want 1", Findings: []string{".NET 4 (32-bit) SchUseStrongCrypto is not set, want 1"},
				Remediation: "Set SchUseStrongCrypto=1 <and> restart & retry.", DocURL: "https://learn.microsoft.com/y", Duration: time.Millisecond},
			{ID: "host.dotnet", Title: ".NET Framework version", Status: checks.StatusSkip, Message: "host facts need Windows"},
			{ID: "net.outbound-ports", Title: "Outbound endpoints reachable", Status: checks.StatusError,
				Message: "the run deadline (--timeout) was exceeded before the check finished", Findings: []string{"the run deadline (--timeout) was exceeded before the check finished", "login.microsoftonline.com:443 (required): filtered: ]]> no answer"},
				Remediation: "Raise --timeout.", DocURL: "https://learn.microsoft.com/z", Duration: 2 * time.Second,
				Details: map[string]any{"endpoints": []map[string]any{{"host": "login.microsoftonline.com", "port": 443, "outcome": "filtered"}}}},
		},
	}
}

func TestFormatGolden(t *testing.T) {
	cases := []struct {
		name   string
		report func() *Report
	}{
		{"mixed", mixedReport},
		{"ready", func() *Report {
			r := mixedReport()
			r.Fixture = ""
			r.Results = r.Results[:1]
			return r
		}},
		{"strict-warning", func() *Report {
			r := mixedReport()
			r.Strict = true
			r.Results = []checks.Result{r.Results[0], r.Results[2]}
			return r
		}},
		{"interrupted", func() *Report {
			r := mixedReport()
			r.Interrupted = true
			r.Results = []checks.Result{r.Results[0], r.Results[4]}
			return r
		}},
	}
	for _, tc := range cases {
		for _, format := range Names() {
			rep := tc.report()
			_, code := rep.Verdict()
			name := tc.name + "." + format + ".exit" + strconv.Itoa(code) + ext(format)
			t.Run(name, func(t *testing.T) {
				f, err := Lookup(format)
				if err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				if err := f(&buf, rep, Options{}); err != nil {
					t.Fatal(err)
				}
				path := filepath.Join("testdata", name)
				if *update {
					if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./report -update)", err)
				}
				if !bytes.Equal(buf.Bytes(), want) {
					t.Errorf("%s differs from the golden file; got:\n%s", path, buf.String())
				}
			})
		}
	}
}

func ext(format string) string {
	return map[string]string{"text": ".txt", "json": ".json", "junit": ".xml", "prometheus": ".prom"}[format]
}

func TestVerdict(t *testing.T) {
	res := func(st ...checks.Status) []checks.Result {
		var out []checks.Result
		for _, s := range st {
			out = append(out, checks.Result{ID: "x.y", Status: s})
		}
		return out
	}
	for _, tc := range []struct {
		results     []checks.Result
		strict      bool
		interrupted bool
		verdict     string
		code        int
	}{
		{res(checks.StatusPass, checks.StatusSkip), false, false, VerdictReady, 0},
		{res(checks.StatusPass, checks.StatusWarn), false, false, VerdictReady, 0},
		{res(checks.StatusPass, checks.StatusWarn), true, false, VerdictNotReady, 1},
		{res(checks.StatusFail, checks.StatusError), false, false, VerdictNotReady, 1},
		{res(checks.StatusPass, checks.StatusError), false, false, VerdictInconclusive, 3},
		{res(checks.StatusWarn, checks.StatusError), true, false, VerdictNotReady, 1},
		{res(checks.StatusPass), false, true, VerdictInconclusive, 130},
		{res(checks.StatusFail), false, true, VerdictNotReady, 130},
		{nil, false, false, VerdictInconclusive, 3},
		// Nothing evaluated: not ready to say "ready".
		{res(checks.StatusSkip), false, false, VerdictInconclusive, 3},
		{res(checks.StatusSkip, checks.StatusSkip), true, false, VerdictInconclusive, 3},
		// Skips never fail a run, --strict included.
		{res(checks.StatusPass, checks.StatusSkip), true, false, VerdictReady, 0},
		// An ignored (demoted) failure does not trip --strict; another warning does.
		{[]checks.Result{{ID: "a.b", Status: checks.StatusWarn, Ignored: true}, {ID: "c.d", Status: checks.StatusPass}}, true, false, VerdictReady, 0},
		{[]checks.Result{{ID: "a.b", Status: checks.StatusWarn, Ignored: true}, {ID: "c.d", Status: checks.StatusWarn}}, true, false, VerdictNotReady, 1},
	} {
		r := &Report{Results: tc.results, Strict: tc.strict, Interrupted: tc.interrupted}
		v, c := r.Verdict()
		if v != tc.verdict || c != tc.code {
			t.Errorf("%+v strict=%v interrupted=%v: %s %d, want %s %d", tc.results, tc.strict, tc.interrupted, v, c, tc.verdict, tc.code)
		}
	}
}

// TestFormatsAgree parses the JSON and JUnit outputs back and checks they
// carry the same verdict and counts.
func TestFormatsAgree(t *testing.T) {
	rep := mixedReport()
	var js, ju bytes.Buffer
	if err := JSON(&js, rep, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := JUnit(&ju, rep, Options{}); err != nil {
		t.Fatal(err)
	}
	var j struct {
		SchemaVersion string         `json:"schema_version"`
		Verdict       string         `json:"verdict"`
		ExitCode      int            `json:"exit_code"`
		Summary       map[string]int `json:"summary"`
		Checks        []struct {
			ID      string         `json:"id"`
			Status  string         `json:"status"`
			Details map[string]any `json:"details"`
		} `json:"checks"`
	}
	if err := json.Unmarshal(js.Bytes(), &j); err != nil {
		t.Fatalf("JSON does not parse: %v", err)
	}
	var x junitTestSuites
	if err := xml.Unmarshal(ju.Bytes(), &x); err != nil {
		t.Fatalf("JUnit does not parse: %v", err)
	}
	if j.SchemaVersion != "1" || j.Verdict != VerdictNotReady || j.ExitCode != 1 || len(j.Checks) != 5 || j.Checks[3].Details == nil {
		t.Errorf("json = %+v", j)
	}
	// The checks' own testcases agree with the JSON summary; the cases
	// under a check (its endpoints or findings) are extra.
	var tests, failures, errs, skipped, sub int
	for _, s := range x.Suites {
		for _, c := range s.Cases {
			if c.Classname != s.Name {
				sub++
				continue
			}
			tests++
			if c.Failure != nil {
				failures++
			}
			if c.Error != nil {
				errs++
			}
			if c.Skipped != nil {
				skipped++
			}
		}
	}
	if tests != 5 || failures != j.Summary["fail"] || errs != j.Summary["error"] || skipped != j.Summary["skip"] || x.Tests != tests+sub {
		t.Errorf("junit counts %d/%d/%d/%d (+%d under checks, %d in all) vs json %v", tests, failures, errs, skipped, sub, x.Tests, j.Summary)
	}
	if sub != 4 { // two findings each of host.app-proxy-connector and net.outbound-ports
		t.Errorf("%d testcases under checks, want 4", sub)
	}
	for _, s := range x.Suites {
		props := map[string]string{}
		for _, p := range s.Properties {
			props[p.Name] = p.Value
		}
		if props["verdict"] != j.Verdict || props["exit_code"] != "1" {
			t.Errorf("suite %s properties %v disagree with JSON %s", s.Name, props, j.Verdict)
		}
	}
	if !strings.Contains(ju.String(), "]]>") || strings.Count(ju.String(), "<![CDATA[") < 3 {
		t.Errorf("CDATA handling: %s", ju.String())
	}
}

func TestTextColour(t *testing.T) {
	var plain, colour bytes.Buffer
	Text(&plain, mixedReport(), Options{})
	Text(&colour, mixedReport(), Options{Color: true})
	if strings.Contains(plain.String(), "\x1b[") {
		t.Error("colour codes without Color")
	}
	if !strings.Contains(colour.String(), "\x1b[31mFAIL") {
		t.Error("no red FAIL with Color")
	}
}

func TestLookup(t *testing.T) {
	if _, err := Lookup("yaml"); err == nil || !strings.Contains(err.Error(), "json, junit, prometheus or text") {
		t.Errorf("Lookup(yaml) = %v", err)
	}
}

func TestPortList(t *testing.T) {
	if got := PortList([]int{80, 443, 10100, 10101, 10102, 9090, 9091}); got != "80,443,10100-10102,9090,9091" {
		t.Errorf("PortList = %s", got)
	}
}

// xmlTexts parses an XML document and returns every attribute value and
// every piece of character data as an XML parser reads them back: a secret
// split across CDATA sections in the bytes is whole again here.
func xmlTexts(t *testing.T, doc []byte) string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var b strings.Builder
	text := ""
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("not XML: %v\n%s", err, doc)
			}
			break
		}
		switch v := tok.(type) {
		case xml.StartElement:
			b.WriteString(text + "\n")
			text = ""
			for _, a := range v.Attr {
				b.WriteString(a.Value + "\n")
			}
		case xml.CharData:
			text += string(v) // adjacent CDATA sections are one text
		case xml.EndElement:
			b.WriteString(text + "\n")
			text = ""
		}
	}
	return b.String()
}

// jsonTexts returns every string of a JSON document (keys and values), as
// a JSON parser reads them.
func jsonTexts(t *testing.T, doc []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, doc)
	}
	var b strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				b.WriteString(k + "\n")
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		case string:
			b.WriteString(v + "\n")
		}
	}
	walk(v)
	return b.String()
}

// Secrets in every format are masked before the format escapes them, at
// any length, and the document stays well-formed: asserted on the text a
// parser reads back, not on the bytes. A password with "]]>" was split
// across CDATA sections by encoding/xml and read back whole.
func TestSecretsAsParsersReadThem(t *testing.T) {
	t.Cleanup(redact.Reset)
	secrets := []string{"Pa]]>ss", "p4w", "<", `"`}
	for _, s := range secrets {
		redact.Secret(s)
	}
	r := mixedReport()
	r.Fixture = "fx-p4w"
	for i := range r.Results {
		r.Results[i].Message += " server said: wrong password Pa]]>ss and p4w"
		r.Results[i].Findings = append(r.Results[i].Findings, "echo Pa]]>ss / p4w")
	}
	r.Results[4].Parts = []checks.Part{{Name: "endpoint Pa]]>ss:443", Status: checks.StatusFail, Message: "p4w refused"}}
	r.Results[0].Details = map[string]any{"echo": "Pa]]>ss p4w"}
	for _, format := range Names() {
		f, _ := Lookup(format)
		out, err := Render(f, r, Options{Verbose: true})
		if err != nil {
			t.Fatal(err)
		}
		var text string
		switch format {
		case "junit":
			text = xmlTexts(t, out)
		case "json":
			text = jsonTexts(t, out)
		default:
			text = string(out)
		}
		for _, s := range []string{"Pa]]>ss", "p4w"} {
			if strings.Contains(text, s) {
				t.Errorf("%s: the secret %q is read back:\n%s", format, s, text)
			}
		}
		if format != "prometheus" && !strings.Contains(text, redact.Mask) {
			t.Errorf("%s: no mask: the test proves nothing", format)
		}
	}
}
