//go:build !windows

package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// writeReports runs each (fixture, phase, extra args) and writes its JSON
// report into dir as NAME.json.
func writeReports(t *testing.T, dir string, runs map[string][]string) {
	t.Helper()
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for name, args := range runs {
		path := filepath.Join(dir, name+".json")
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			r := runCLI(t, append(args, "-o", "json", "--report-file", path)...)
			if r.code == 2 {
				t.Errorf("%v: %s", args, r.stderr)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
}

type fleetHost struct {
	Host     string            `json:"host"`
	File     string            `json:"file"`
	Phase    string            `json:"phase"`
	Verdict  string            `json:"verdict"`
	ExitCode int               `json:"exit_code"`
	Checks   map[string]string `json:"checks"`
	Failing  []string          `json:"failing"`
}

type fleetOut struct {
	Kind     string         `json:"kind"`
	ExitCode int            `json:"exit_code"`
	Counts   map[string]int `json:"counts"`
	Hosts    []fleetHost    `json:"hosts"`
	Checks   []struct {
		ID      string   `json:"id"`
		Fail    int      `json:"fail"`
		Failing []string `json:"failing_hosts"`
	} `json:"checks"`
	Removal *struct {
		Status    string   `json:"status"`
		Message   string   `json:"message"`
		Remaining []string `json:"remaining"`
	} `json:"planned_removal"`
}

// summarize over the whole fixture matrix: every row's report, one fleet.
// Each host line says what the matrix says, in every output format.
func TestSummarizeFixtureMatrix(t *testing.T) {
	rows := loadMatrix(t)
	dir := t.TempDir()
	runs := map[string][]string{}
	for _, row := range rows {
		runs[row.Fixture+"."+row.Phase] = []string{row.Phase, "--fixture", row.Fixture}
	}
	writeReports(t, dir, runs)
	r := runCLI(t, "summarize", "-o", "json", dir)
	var got fleetOut
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("%v: %s %s", err, r.stdout, r.stderr)
	}
	if got.Kind != "summary" || len(got.Hosts) != len(rows) || r.code != got.ExitCode || r.code != 1 {
		t.Fatalf("kind %q, %d hosts for %d rows, exit %d/%d", got.Kind, len(got.Hosts), len(rows), r.code, got.ExitCode)
	}
	failCount := map[string]int{}
	notReady := 0
	for _, row := range rows {
		i := slices.IndexFunc(got.Hosts, func(h fleetHost) bool {
			return filepath.Base(h.File) == row.Fixture+"."+row.Phase+".json"
		})
		if i < 0 {
			t.Fatalf("no line for %s %s", row.Fixture, row.Phase)
		}
		h := got.Hosts[i]
		var fails []string
		for id, st := range h.Checks {
			if st == "fail" {
				fails = append(fails, id)
				failCount[id]++
			}
		}
		slices.Sort(fails)
		want := append([]string{}, row.Failing...)
		slices.Sort(want)
		if h.ExitCode != row.Exit || strings.Join(fails, ",") != strings.Join(want, ",") || h.Phase != row.Phase {
			t.Errorf("%s %s: exit %d failing %v; the matrix says exit %d failing %v", row.Fixture, row.Phase, h.ExitCode, fails, row.Exit, want)
		}
		if row.Exit == 1 {
			notReady++
		}
	}
	if got.Counts["not-ready"] != notReady {
		t.Errorf("counts %v; %d rows are not ready", got.Counts, notReady)
	}
	for _, c := range got.Checks {
		if c.Fail != failCount[c.ID] {
			t.Errorf("check %s: %d failures in the per-check table, %d in the hosts", c.ID, c.Fail, failCount[c.ID])
		}
	}
	// CSV: a header plus one line per report, one column per check.
	r = runCLI(t, "summarize", "-o", "csv", dir)
	records, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(records) != len(rows)+1 || records[0][0] != "host" || len(records[0]) != 5+len(got.Checks) {
		t.Fatalf("csv: %v, %d records, header %v", err, len(records), records[0])
	}
	// Text: the table names each not-ready report's failing checks.
	r = runCLI(t, "summarize", dir)
	if !strings.Contains(r.stdout, "HOST") || !strings.Contains(r.stdout, fmt.Sprintf("%d not ready", notReady)) || !strings.Contains(r.stdout, "host.app-proxy-connector=fail") {
		t.Errorf("text:\n%s", r.stdout)
	}
}

// Before uninstalling from several servers: the removals together must
// leave active agents (the healthy fixture's tenant has PTA01-PTA03).
func TestSummarizePlannedRemoval(t *testing.T) {
	uninstall := func(machine string) []string {
		return []string{"uninstall", "--fixture", "healthy", "--machine-name", machine + ".corp.contoso.test"}
	}
	for _, tc := range []struct {
		name     string
		machines []string
		strict   bool
		status   string
		exit     int
		remain   int
	}{
		{"one of three", []string{"PTA01"}, false, "warn", 0, 2},
		{"two of three", []string{"PTA01", "PTA02"}, false, "warn", 0, 1},
		{"two of three, strict", []string{"PTA01", "PTA02"}, true, "warn", 1, 1},
		{"all three", []string{"PTA01", "PTA02", "PTA03"}, false, "fail", 1, 0},
		{"a server without an agent", []string{"PTA09"}, false, "pass", 0, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			runs := map[string][]string{}
			for _, m := range tc.machines {
				runs[m] = uninstall(m)
			}
			writeReports(t, dir, runs)
			args := []string{"summarize", "-o", "json", dir}
			if tc.strict {
				args = append(args, "--strict")
			}
			r := runCLI(t, args...)
			var got fleetOut
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Removal == nil {
				t.Fatalf("%v: %s %s", err, r.stdout, r.stderr)
			}
			if got.Removal.Status != tc.status || r.code != tc.exit || len(got.Removal.Remaining) != tc.remain {
				t.Errorf("removal %+v, exit %d; want %s, exit %d, %d remaining", got.Removal, r.code, tc.status, tc.exit, tc.remain)
			}
			text := runCLI(t, "summarize", dir).stdout
			if !strings.Contains(text, "planned removal") {
				t.Errorf("text does not show the planned removal:\n%s", text)
			}
		})
	}
	// Without a tenant the agents are unknown: no promise either way.
	dir := t.TempDir()
	writeReports(t, dir, map[string][]string{"x": {"uninstall", "--fixture", "healthy", "--skip", "tenant.other-agents"}})
	r := runCLI(t, "summarize", "-o", "json", dir)
	var got fleetOut
	json.Unmarshal([]byte(r.stdout), &got)
	if got.Removal == nil || got.Removal.Status != "error" || r.code != 3 {
		t.Errorf("no agent list: removal %+v exit %d; want error, exit 3", got.Removal, r.code)
	}
}

func TestSummarizeBadInput(t *testing.T) {
	dir := t.TempDir()
	notJSON := filepath.Join(dir, "a.json")
	os.WriteFile(notJSON, []byte("not json"), 0o644)
	list := filepath.Join(dir, "list.json")
	os.WriteFile(list, []byte(`{"schema_version": "1", "tool": "ptacheck", "kind": "checks", "checks": []}`), 0o644)
	future := filepath.Join(dir, "future.json")
	os.WriteFile(future, []byte(`{"schema_version": "9", "tool": "ptacheck", "command": "install", "verdict": "ready", "exit_code": 0}`), 0o644)
	dup := filepath.Join(dir, "dup.json")
	os.WriteFile(dup, []byte(`{"schema_version": "1", "schema_version": "1", "tool": "ptacheck"}`), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"summarize"}, "name the JSON reports"},
		{[]string{"summarize", filepath.Join(dir, "missing.json")}, "missing.json"},
		{[]string{"summarize", notJSON}, "not a JSON report"},
		{[]string{"summarize", list}, `"checks" document`},
		{[]string{"summarize", future}, "schema version 9"},
		{[]string{"summarize", dup}, "duplicate"},
		{[]string{"summarize", t.TempDir()}, "no report files"},
		{[]string{"summarize", "-o", "junit", notJSON}, "--output"},
	} {
		r := runCLI(t, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d %q; want 2 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

// Several reports of one host: the newest by the report's own time counts,
// whatever the file order, and the others are named (issue 20 item 7); the
// text shows the file each row comes from.
func TestSummarizeNewestReportOfAHost(t *testing.T) {
	dir := t.TempDir()
	writeReports(t, dir, map[string][]string{
		"a-new": {"install", "--fixture", "app-proxy-present"}, // APP01: not ready
		"z-old": {"install", "--fixture", "app-proxy-present", "--skip", "host.app-proxy-connector"},
		"other": {"install", "--fixture", "healthy"},   // another fixture: another server
		"u":     {"uninstall", "--fixture", "healthy"}, // the same server, another phase
	})
	// z-old is named last but started earlier.
	old := filepath.Join(dir, "z-old.json")
	data, _ := os.ReadFile(old)
	var doc map[string]any
	json.Unmarshal(data, &doc)
	doc["started_at"] = "2020-01-01T00:00:00Z"
	data, _ = json.Marshal(doc)
	os.WriteFile(old, data, 0o644)

	r := runCLI(t, "summarize", "-o", "json", dir)
	var got struct {
		fleetOut
		Older []struct {
			File, Host, Phase string
			Newer             string `json:"newer_file"`
		} `json:"older_reports"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("%v: %s", err, r.stderr)
	}
	var files []string
	for _, h := range got.Hosts {
		files = append(files, filepath.Base(h.File))
	}
	if strings.Join(files, ",") != "a-new.json,other.json,u.json" || r.code != 1 {
		t.Errorf("rows from %v, exit %d; want a-new, other, u (z-old is older) and exit 1 (a-new is not ready)", files, r.code)
	}
	if len(got.Older) != 1 || filepath.Base(got.Older[0].File) != "z-old.json" || filepath.Base(got.Older[0].Newer) != "a-new.json" {
		t.Errorf("older reports %+v", got.Older)
	}
	want := "older report of APP01.corp.contoso.test, ignored: " + old
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr does not flag the older report (%q):\n%s", want, r.stderr)
	}
	text := runCLI(t, "summarize", dir)
	if !strings.Contains(text.stdout, "FILE") || !strings.Contains(text.stdout, filepath.Join(dir, "a-new.json")) || !strings.Contains(text.stdout, want) {
		t.Errorf("text: no FILE column or no flag:\n%s", text.stdout)
	}
}

// One input that is not a report: the others are still summarized, the bad
// one is named (stderr, the text, the JSON), and the exit is 2.
func TestSummarizeOneBadInput(t *testing.T) {
	dir := t.TempDir()
	writeReports(t, dir, map[string][]string{"good": {"install", "--fixture", "healthy"}})
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("not json"), 0o644)
	missing := filepath.Join(t.TempDir(), "missing.json")
	for _, format := range []string{"text", "json", "csv"} {
		r := runCLI(t, "summarize", "-o", format, dir, missing)
		if r.code != 2 || !strings.Contains(r.stderr, bad+": not a JSON report") || !strings.Contains(r.stderr, missing) {
			t.Errorf("%s: exit %d, stderr %q; want 2 naming %s and %s", format, r.code, r.stderr, bad, missing)
		}
		if !strings.Contains(r.stdout, filepath.Join(dir, "good.json")) {
			t.Errorf("%s: the good report is not summarized:\n%s", format, r.stdout)
		}
		switch format {
		case "text":
			if !strings.Contains(r.stdout, "not a report, left out: "+bad) || !strings.Contains(r.stdout, "exit 2") {
				t.Errorf("text does not name the bad input:\n%s", r.stdout)
			}
		case "json":
			var got struct {
				ExitCode   int `json:"exit_code"`
				Unreadable []struct{ File, Error string }
			}
			json.Unmarshal([]byte(r.stdout), &got)
			if got.ExitCode != 2 || len(got.Unreadable) != 2 || got.Unreadable[0].File != bad {
				t.Errorf("json: %+v", got)
			}
		}
	}
	// Nothing readable: no table, exit 2.
	r := runCLI(t, "summarize", bad)
	if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, "not a JSON report") {
		t.Errorf("only a bad input: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}
