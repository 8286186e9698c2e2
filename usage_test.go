package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Each command's help fits it: explain shows no network, tenant or config
// flags; every help ends with 2-4 examples; no pflag "[=true|false]", no
// README the binary does not come with.
func TestHelpFitsTheCommand(t *testing.T) {
	for _, c := range commands {
		r := runCLI(t, c.Name, "--help")
		if r.code != 0 {
			t.Fatalf("%s --help: exit %d", c.Name, r.code)
		}
		for _, bad := range []string{"[=", "true|false", "README", " string ", " strings "} {
			if strings.Contains(r.stdout, bad) {
				t.Errorf("%s --help shows %q", c.Name, bad)
			}
		}
		_, ex, ok := strings.Cut(r.stdout, "\nExamples:\n")
		n := strings.Count(ex, "\n")
		if !ok || n < 2 || n > 4 {
			t.Errorf("%s --help: want it to end with 2-4 examples, got %d:\n%s", c.Name, n, ex)
		}
	}
	r := runCLI(t, "explain", "--help")
	for _, bad := range []string{"--tenant-id", "--cloud", "--config", "--token-file", "--proxy", "--dns-server", "--fixture"} {
		if strings.Contains(r.stdout, bad) {
			t.Errorf("explain --help shows %s", bad)
		}
	}
	r = runCLI(t, "security-query", "--help")
	if !strings.Contains(r.stdout, "dc-query") || !strings.Contains(r.stdout, "-h, --help") {
		t.Errorf("security-query --help names no alias or no --help:\n%s", r.stdout)
	}
	if r := runCLI(t, "dc-query", "--help"); !strings.HasPrefix(r.stdout, "ptacheck security-query:") {
		t.Errorf("dc-query --help: %q", r.stdout)
	}
}

// exampleArgs returns the ptacheck command lines of a help's examples, as
// a shell would split them: quotes removed, $TENANT_ID set, cut at a
// comment, a redirection or a pipe; a $(ptacheck ...) inside another
// program's line counts too.
func exampleArgs(examples string) [][]string {
	var out [][]string
	for _, line := range strings.Split(strings.TrimSpace(examples), "\n") {
		line = strings.TrimSpace(strings.ReplaceAll(line, "$TENANT_ID", "84841066-274d-4ec0-a5c1-276be684bdd3"))
		if !strings.HasPrefix(line, "ptacheck ") {
			if _, sub, ok := strings.Cut(line, "$(ptacheck "); ok {
				sub, _, _ = strings.Cut(sub, ")")
				out = append(out, strings.Fields(sub))
			}
			continue
		}
		var args []string
		var cur strings.Builder
		quote := byte(0)
	scan:
		for i := len("ptacheck "); i <= len(line); i++ {
			if i == len(line) {
				break
			}
			ch := line[i]
			switch {
			case quote != 0 && ch == quote:
				quote = 0
			case quote != 0:
				cur.WriteByte(ch)
			case ch == '"' || ch == '\'':
				quote = ch
			case ch == '#' || ch == '>' || ch == '|':
				break scan
			case ch == ' ':
				if cur.Len() > 0 {
					args = append(args, cur.String())
					cur.Reset()
				}
			default:
				cur.WriteByte(ch)
			}
		}
		if cur.Len() > 0 {
			args = append(args, cur.String())
		}
		out = append(out, args)
	}
	return out
}

// Every example of every command's help parses with that command's flags;
// those that need nothing of this host (a fixture, or no host at all) run
// and end as a report would (0, 1 or 3), never a usage error.
func TestHelpExamplesParse(t *testing.T) {
	t.Chdir(t.TempDir()) // report files the examples name land here
	runs := 0
	for _, c := range commands {
		lines := exampleArgs(c.examples)
		if len(lines) == 0 {
			t.Errorf("%s: no example", c.Name)
		}
		for _, args := range lines {
			if len(args) == 0 {
				t.Errorf("%s: an empty example", c.Name)
				continue
			}
			name := args[0]
			if name == "--version" {
				continue
			}
			cmd := lookupCommand(name)
			if cmd == nil {
				t.Errorf("%s: example %q: no command %s", c.Name, args, name)
				continue
			}
			if _, _, _, err := registry.Parse(context.Background(), cmd.Command, args, func(string) string { return "" }); err != nil {
				t.Errorf("%s: example %q: %v", c.Name, args, err)
			}
			offline := strings.Contains(strings.Join(args, " "), "--fixture") ||
				(name == "explain" || name == "fixtures" || name == "version" || name == "list") && !strings.Contains(strings.Join(args, " "), "--endpoints-file")
			if !offline {
				continue
			}
			r := runCLI(t, args...)
			runs++
			if r.code != 0 && r.code != 1 && r.code != 3 {
				t.Errorf("%s: example %q: exit %d\n%s", c.Name, args, r.code, r.stderr)
			}
		}
	}
	if runs < 10 {
		t.Errorf("only %d examples ran", runs)
	}
}

// --report-file's extension names its format unless --report-format does.
func TestReportFormatFromExtension(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, format, want string
	}{
		{"r.xml", "", "<?xml"},
		{"r.JSON", "", `"schema_version"`},
		{"r.prom", "", "# HELP ptacheck_"},
		{"r.txt", "", "ptacheck install: "},
		{"r.xml", "json", `"schema_version"`},
		{"report.out", "", `"schema_version"`}, // no known extension: the -o format (json below)
	} {
		path := filepath.Join(dir, tc.name)
		args := []string{"install", "--fixture", "healthy", "-o", "json", "--report-file", path}
		if tc.name == "r.xml" || tc.name == "r.txt" || tc.name == "r.prom" || tc.name == "r.JSON" {
			args[4] = "text"
		}
		if tc.format != "" {
			args = append(args, "--report-format", tc.format)
		}
		if r := runCLI(t, args...); r.code != 0 {
			t.Fatalf("%q: exit %d\n%s", args, r.code, r.stderr)
		}
		data, _ := os.ReadFile(path)
		if !strings.Contains(string(data[:min(len(data), 200)]), tc.want) {
			t.Errorf("%q: the file starts %q, want %q", args, data[:min(len(data), 80)], tc.want)
		}
	}
}

// signin and operate end with words that fit them; the JSON verdicts stay.
func TestSummaryWordsFitTheCommand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"operate", "--fixture", "in-service"}, "\nHEALTHY: "},
		{[]string{"operate", "--fixture", "agent-inactive"}, "\nUNHEALTHY: "},
		{[]string{"signin", "--fixture", "upn-mismatch", "--user", "bob@contoso.com"}, "\nSIGN-IN PROBLEMS FOUND: "},
		{[]string{"install", "--fixture", "healthy"}, "\nREADY: "},
	} {
		r := runCLI(t, tc.args...)
		if !strings.Contains(r.stdout, tc.want) {
			t.Errorf("%q: want %q in\n%s", tc.args, tc.want, r.stdout)
		}
		j := runCLI(t, append(tc.args, "-o", "json")...)
		if v := parseJSON(t, j.stdout).Verdict; v != "ready" && v != "not-ready" && v != "inconclusive" {
			t.Errorf("%q: JSON verdict %q", tc.args, v)
		}
	}
}
