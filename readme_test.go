package main

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/fixtures"
)

// The documentation is part of the product: every check (with its phases),
// every command, every flag and every output format is documented in the
// README (the guide) or the reference under docs/.
func TestReadmeIsComplete(t *testing.T) {
	files, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, f := range append([]string{"README.md"}, files...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(data)
		all.WriteString("\n")
	}
	readme := all.String()
	rows := map[string]string{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z]+\\.[a-z0-9-]+)` \\| ([a-z, ]+) \\|").FindAllStringSubmatch(readme, -1) {
		rows[m[1]] = m[2]
	}
	for _, e := range checks.Catalog(checks.Config{}) {
		var phases []string
		for _, p := range e.Phases {
			phases = append(phases, string(p))
		}
		got, ok := rows[e.ID()]
		if !ok {
			t.Errorf("README: no row for check %s in the Checks table", e.ID())
		} else if got != strings.Join(phases, ", ") {
			t.Errorf("README: check %s lists phases %q, the code %q", e.ID(), got, strings.Join(phases, ", "))
		}
	}
	for _, c := range commands {
		if !strings.Contains(readme, "| `"+c.Name) {
			t.Errorf("README: command %s is not in the Commands table", c.Name)
		}
		fs, _ := c.FlagSet()
		fs.VisitAll(func(f *pflag.Flag) {
			if !f.Hidden && !strings.Contains(readme, "--"+f.Name) {
				t.Errorf("README: flag --%s of %s is not documented", f.Name, c.Name)
			}
		})
	}
	for _, name := range fixtures.Names() {
		if !strings.Contains(readme, "| `"+name+"` |") {
			t.Errorf("README: fixture %s is not in the fixtures table", name)
		}
	}
	for _, format := range []string{"text", "json", "junit", "prometheus", "csv"} {
		if !strings.Contains(readme, "**"+format+"**") && !strings.Contains(readme, "`"+format+"`") {
			t.Errorf("README: output format %s is not documented", format)
		}
	}
}

// Every relative link of the README and docs/ names a file of the repository
// (anchors within a file are not checked).
func TestDocLinksResolve(t *testing.T) {
	files, _ := filepath.Glob("docs/*.md")
	link := regexp.MustCompile(`\]\(([^)#:\s]+)(#[^)]*)?\)`)
	for _, f := range append([]string{"README.md"}, files...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(data), -1) {
			target := filepath.Join(filepath.Dir(f), m[1])
			if _, err := os.Stat(target); err != nil {
				t.Errorf("%s: link to %s: %v", f, m[1], err)
			}
		}
	}
}

// The README's first sample is a real run: the same command prints the same
// lines (durations aside). Regenerate with: go test -run ReadmeSample -update-readme
func TestReadmeSample(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- sample: ([^(]+?) \\(kept in sync by TestReadmeSample\\) -->\n```\n(.*?)```\n").FindSubmatchIndex(data)
	if m == nil {
		t.Fatal("README: no sample block")
	}
	args := strings.Fields(string(data[m[2]:m[3]]))
	res := runCLI(t, args...)
	got := "$ ptacheck " + strings.Join(args, " ") + "\n" + res.stdout
	if *updateReadme {
		out := append(append(append([]byte{}, data[:m[4]]...), got...), data[m[5]:]...)
		if err := os.WriteFile("README.md", out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	durations := regexp.MustCompile(`\d+(\.\d+)?\s?(ms|µs|s)\b`)
	norm := func(s string) string { return durations.ReplaceAllString(s, "D") }
	if want := string(data[m[4]:m[5]]); norm(got) != norm(want) {
		t.Errorf("README sample is out of date (go test -run ReadmeSample -update-readme):\n--- README\n%s\n--- run\n%s", want, got)
	}
}

var updateReadme = flag.Bool("update-readme", false, "rewrite the README's sample from a real run")

// docs/flags.md says which commands take each flag: the registry agrees,
// row by row, and every flag has its row.
func TestFlagsDocNamesTheirCommands(t *testing.T) {
	data, err := os.ReadFile("docs/flags.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(data), "# Which commands take a flag")
	if !ok {
		t.Fatal("docs/flags.md has no 'Which commands take a flag' section")
	}
	row := regexp.MustCompile("(?m)^\\| (`--.*`) \\| ([a-z, -]+) \\|$")
	documented := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(table, -1) {
		for _, f := range regexp.MustCompile("`--([a-z-]+)`").FindAllStringSubmatch(m[1], -1) {
			documented[f[1]] = true
			if got := strings.Join(registry.Takers(f[1]), ", "); got != m[2] {
				t.Errorf("docs/flags.md: --%s is a flag of %q, the code says %q", f[1], m[2], got)
			}
		}
	}
	for _, c := range commands {
		fs, _ := c.FlagSet()
		fs.VisitAll(func(f *pflag.Flag) {
			if !documented[f.Name] {
				t.Errorf("docs/flags.md: --%s is in no row of 'Which commands take a flag'", f.Name)
			}
		})
	}
}
