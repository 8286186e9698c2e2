package report

import (
	"bytes"
	"encoding/json"
	"io"
	"time"

	"github.com/ptacheck/ptacheck/util/redact"
)

// SchemaVersion is the version of the JSON report. Additive changes keep it;
// renaming or removing a field, or changing a meaning, bumps it.
const SchemaVersion = "1"

type jsonReport struct {
	SchemaVersion string      `json:"schema_version"`
	Tool          string      `json:"tool"`
	Version       string      `json:"version"`
	Command       string      `json:"command"`
	Host          string      `json:"host,omitempty"`
	Fixture       string      `json:"fixture,omitempty"`
	StartedAt     string      `json:"started_at"`
	DurationMS    int64       `json:"duration_ms"`
	Strict        bool        `json:"strict"`
	Interrupted   bool        `json:"interrupted"`
	Attempts      int         `json:"attempts,omitempty"`
	Verdict       string      `json:"verdict"`
	ExitCode      int         `json:"exit_code"`
	Summary       jsonSummary `json:"summary"`
	Why           string      `json:"why,omitempty"` // why the verdict is inconclusive
	Checks        []jsonCheck `json:"checks"`
}

type jsonSummary struct {
	Pass    int `json:"pass"`
	Warn    int `json:"warn"`
	Fail    int `json:"fail"`
	Skip    int `json:"skip"`
	Error   int `json:"error"`
	Ignored int `json:"ignored"` // warnings that are failures demoted by --ignore-failures
}

type jsonCheck struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Status      string   `json:"status"`
	Message     string   `json:"message"`
	Findings    []string `json:"findings"`
	Remediation string   `json:"remediation"`
	DocURL      string   `json:"doc_url"`
	Ignored     bool     `json:"ignored,omitempty"` // a failure demoted by --ignore-failures
	DurationMS  int64    `json:"duration_ms"`
	Details     any      `json:"details"`
}

// JSON writes the versioned JSON report (schema in the README).
func JSON(w io.Writer, r *Report, _ Options) error {
	verdict, code := r.Verdict()
	s := r.Summary()
	out := jsonReport{
		SchemaVersion: SchemaVersion,
		Tool:          r.Tool,
		Version:       r.Version,
		Command:       r.Command,
		Host:          r.Host,
		Fixture:       r.Fixture,
		StartedAt:     r.StartedAt.UTC().Format(time.RFC3339),
		DurationMS:    r.Duration.Milliseconds(),
		Strict:        r.Strict,
		Interrupted:   r.Interrupted,
		Attempts:      r.Attempts,
		Verdict:       verdict,
		ExitCode:      code,
		Summary:       jsonSummary(s),
		Why:           r.Why(),
		Checks:        []jsonCheck{},
	}
	for _, res := range r.Results {
		c := jsonCheck{
			ID: res.ID, Title: res.Title, Status: string(res.Status), Message: res.Message,
			Findings: res.Findings, Remediation: res.Remediation, DocURL: res.DocURL, Ignored: res.Ignored,
			DurationMS: res.Duration.Milliseconds(), Details: res.Details,
		}
		if c.Findings == nil {
			c.Findings = []string{}
		}
		if c.Details == nil {
			c.Details = map[string]any{}
		}
		out.Checks = append(out.Checks, c)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	// Secrets in string values, before the document leaves: any length,
	// keys and markup untouched.
	_, err := w.Write(redact.JSON(buf.Bytes()))
	return err
}
