package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/checks/hostfacts"
	"github.com/ptacheck/ptacheck/util/redact"
	"github.com/ptacheck/ptacheck/util/textfmt"
)

// CheckInfo describes one check for `ptacheck list`.
type CheckInfo struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Phases      []string `json:"phases"`
	Requires    []string `json:"requires"`
	Description string   `json:"description"`
	DocURL      string   `json:"doc_url"`
}

// CheckInfos describes the entries of a catalogue.
func CheckInfos(entries []checks.Entry) []CheckInfo {
	out := []CheckInfo{}
	for _, e := range entries {
		m := e.Check.Meta()
		phases := []string{}
		for _, p := range e.Phases {
			phases = append(phases, string(p))
		}
		out = append(out, CheckInfo{m.ID, m.Title, phases, append([]string{}, e.Requires...), m.Description, m.DocURL})
	}
	return out
}

// listHeader is the top level every `list` JSON document shares.
type listHeader struct {
	SchemaVersion string `json:"schema_version"`
	Tool          string `json:"tool"`
	Kind          string `json:"kind"` // "checks" or "endpoints"
}

// writeJSON writes v as indented JSON, redacted like every other output.
func writeJSON(w io.Writer, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(redact.JSON(data), '\n'))
	return err
}

// List writes the checks (text: a table that fits width columns, 0: no
// limit; json: {"kind": "checks", "checks": [...]}).
func List(w io.Writer, format string, items []CheckInfo, width int) error {
	if format == "json" {
		return writeJSON(w, struct {
			listHeader
			Checks []CheckInfo `json:"checks"`
		}{listHeader{SchemaVersion, "ptacheck", "checks"}, items})
	}
	return folded(w, width, func(w io.Writer) error {
		t := newTable("ID", "PHASES", "DESCRIPTION")
		for _, it := range items {
			t.add(it.ID, strings.Join(it.Phases, ","), it.Description)
		}
		t.write(w, width)
		_, err := fmt.Fprintf(w, "\n%s. Run a phase with --only ID,... to run some of them.\n", textfmt.Plural(len(items), "check", "checks"))
		return err
	})
}

// Catalogue is the endpoint catalogue of one cloud, for `list --endpoints`.
type Catalogue struct {
	Cloud       checks.Cloud       `json:"cloud"`
	Description string             `json:"description"`
	TenantID    string             `json:"tenant_id,omitempty"`
	Catalogue   []checks.Endpoint  `json:"catalogue"`
	Expanded    checks.EndpointSet `json:"expanded"`
}

// Endpoints writes the endpoint catalogue (text: a table that fits width
// columns, 0: no limit; json: {"kind": "endpoints", ...}).
func Endpoints(w io.Writer, format string, c Catalogue, width int) error {
	if format == "json" {
		return writeJSON(w, struct {
			listHeader
			Catalogue
		}{listHeader{SchemaVersion, "ptacheck", "endpoints"}, c})
	}
	return folded(w, width, func(w io.Writer) error {
		fmt.Fprintf(w, "Endpoint catalogue: %s (%s)\n\n", c.Cloud, c.Description)
		t := newTable("LEVEL", "HOST", "PORTS", "PROBE", "TESTED AS", "PURPOSE")
		for _, e := range c.Catalogue {
			t.add(string(e.Level), e.Host, PortList(e.Ports), string(e.Protocol), testedAs(e, c.TenantID), e.Purpose)
		}
		t.write(w, width)
		_, err := fmt.Fprintf(w, "\nLegacy entries are probed only with --legacy. TLS issuers expected: %s.\n", strings.Join(c.Expanded.TrustedIssuers, ", "))
		return err
	})
}

// testedAs says what a probe tests for a catalogue entry: the host itself,
// the concrete names standing in for a wildcard (with the tenant filled in),
// or why it cannot be tested.
func testedAs(e checks.Endpoint, tenant string) string {
	names := []string{e.Host}
	if strings.HasPrefix(e.Host, "*.") {
		if len(e.TestWith) == 0 {
			return "not directly testable"
		}
		names = e.TestWith
	}
	if !strings.Contains(strings.Join(names, ","), "{tenant}") {
		if names[0] == e.Host {
			return "itself"
		}
		return strings.Join(names, ", ")
	}
	if tenant == "" {
		return strings.Join(names, ", ") + " (needs --tenant-id)"
	}
	return strings.ReplaceAll(strings.Join(names, ", "), "{tenant}", tenant)
}

// PortList renders ports compactly: 10100-10120 for runs.
func PortList(ports []int) string {
	var parts []string
	for i := 0; i < len(ports); {
		j := i
		for j+1 < len(ports) && ports[j+1] == ports[j]+1 {
			j++
		}
		if j-i >= 2 {
			parts = append(parts, fmt.Sprintf("%d-%d", ports[i], ports[j]))
		} else {
			for k := i; k <= j; k++ {
				parts = append(parts, fmt.Sprint(ports[k]))
			}
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// BuildInfo identifies the binary, for `ptacheck version`.
type BuildInfo struct {
	Tool      string `json:"tool"`
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	Date      string `json:"date,omitempty"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

// Version writes the build information.
func Version(w io.Writer, format string, b BuildInfo) error {
	if format == "json" {
		return writeJSON(w, b)
	}
	line := fmt.Sprintf("%s %s", b.Tool, b.Version)
	var extra []string
	if b.Commit != "" {
		extra = append(extra, "commit "+b.Commit)
	}
	if b.Date != "" {
		extra = append(extra, "built "+b.Date)
	}
	extra = append(extra, b.GoVersion, b.Platform)
	_, err := fmt.Fprintf(w, "%s (%s)\n", line, strings.Join(extra, ", "))
	return err
}

// FixtureInfo describes a built-in fixture for `ptacheck fixtures`.
type FixtureInfo struct {
	Name string `json:"name"`
	// Phase is the checklist the fixture's moment is for ("" none named).
	Phase       string   `json:"phase"`
	Description string   `json:"description"`
	Emulates    []string `json:"emulates"`
}

// Fixtures lists the built-in fixtures (text: each name, the phase its
// moment is for and its whole description, folded to width columns, 0: no limit; json:
// {"kind": "fixtures", "fixtures": [...]}).
func Fixtures(w io.Writer, format string, items []FixtureInfo, width int) error {
	if format == "json" {
		return writeJSON(w, struct {
			listHeader
			Fixtures []FixtureInfo `json:"fixtures"`
		}{listHeader{SchemaVersion, "ptacheck", "fixtures"}, items})
	}
	t := newTable()
	for _, f := range items {
		phase := f.Phase
		if phase == "" {
			phase = "-"
		}
		t.add(f.Name, phase, textfmt.OneLine(f.Description))
	}
	t.write(w, width)
	return nil
}

// HostSnapshot renders host facts as 'ptacheck snapshot' writes them.
func HostSnapshot(s *hostfacts.Snapshot) ([]byte, error) {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}
