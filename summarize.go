package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/internal/cli"
	"github.com/ptacheck/ptacheck/internal/setup"
	"github.com/ptacheck/ptacheck/report"
	"github.com/ptacheck/ptacheck/util/textfmt"
)

// Limits of summarize's inputs.
const (
	maxReportBytes = 32 << 20
	maxReports     = 10000
)

// reportFiles expands the arguments: files as they are, folders to their
// *.json regular files (not recursive), sorted. A file that does not exist
// is kept: summarize names it as an input it could not read, beside the
// table of the others. Entries of a folder that are not regular files (a
// FIFO, a socket, a device, a folder named x.json) are never opened: they
// are returned as passed over (a FIFO without a writer would wait for
// ever). A file named explicitly is read under the signal context.
func reportFiles(args []string) (out, passed []string, err error) {
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil || !st.IsDir() {
			out = append(out, a)
			continue
		}
		matches, err := filepath.Glob(filepath.Join(a, "*.json"))
		if err != nil {
			return nil, nil, cli.Usagef("summarize: %s: %v", a, err)
		}
		sort.Strings(matches)
		for _, m := range matches {
			if st, err := os.Stat(m); err == nil && !st.Mode().IsRegular() {
				passed = append(passed, m)
				continue
			}
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return nil, passed, cli.Usagef("summarize: no report files (name JSON reports, or folders holding them)")
	}
	if len(out) > maxReports {
		return nil, passed, cli.Usagef("summarize: %d reports; at most %d", len(out), maxReports)
	}
	return out, passed, nil
}

func runSummarize(ctx context.Context, inv *setup.Invocation) (int, error) {
	format, err := inv.Flags.Output.Validate()
	if err != nil {
		return 0, err
	}
	if len(inv.Args) == 0 {
		return 0, cli.Usagef("summarize: name the JSON reports to merge, e.g. ptacheck summarize reports/*.json")
	}
	files, passed, err := reportFiles(inv.Args)
	if inv.Flags.Output.Verbose {
		for _, p := range passed {
			cli.Printf(inv.Stderr, "summarize: %s: not a regular file, passed over", p)
		}
	}
	if err != nil {
		return 0, err
	}
	fleet := &report.Fleet{}
	var reports []report.FleetReport
	for _, path := range files {
		r, err := readReport(ctx, path)
		if err != nil {
			if ctx.Err() != nil {
				return 0, cli.Usagef("summarize: %v", err) // interrupted: 130/143
			}
			// One input that is not a report does not hide the others:
			// they are summarized, this one is named, and the exit is 2.
			cli.Printf(inv.Stderr, "summarize: %v", err)
			fleet.Unreadable = append(fleet.Unreadable, report.UnreadableReport{File: path, Error: err.Error()})
			continue
		}
		reports = append(reports, *r)
	}
	if len(reports) == 0 {
		return 0, cli.Usagef("summarize: no report could be read (%s)", textfmt.Plural(len(fleet.Unreadable), "input", "inputs"))
	}
	fleet.Reports, fleet.Older = newestPerHost(reports)
	for _, o := range fleet.Older {
		cli.Printf(inv.Stderr, "summarize: %s", o)
	}
	fleet.Removal = removalPlan(fleet.Reports)
	fleet.ExitCode = fleetExit(fleet, inv.Flags.Fleet.Strict)
	if len(fleet.Unreadable) > 0 {
		fleet.ExitCode = report.ExitUsage
	}
	return fleet.ExitCode, report.Summarize(inv.Stdout, format, fleet, cli.Width(inv.Stdout, inv.Getenv))
}

// readReport reads and checks one report; the error names the file.
func readReport(ctx context.Context, path string) (*report.FleetReport, error) {
	data, err := cli.ReadFile(ctx, path, maxReportBytes)
	if err != nil {
		return nil, err
	}
	r, err := report.ParseReport(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r.File = path
	if r.Host == "" {
		r.Host = r.ThisMachine
	}
	if r.Host == "" {
		r.Host = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	return r, nil
}

// newestPerHost keeps, of several reports of one host for one phase, the
// newest by the report's own start time (started_at; a report without one
// is the oldest; on a tie the file named last): an older report describes a
// server as it was, and a fleet gate must count it as it is. The others are
// returned, naming the report that replaces them. Order is kept. A fixture
// report is of its emulated server: the host of two fixtures is not one
// server, so the fixture is part of what "one host" means.
func newestPerHost(reports []report.FleetReport) (kept []report.FleetReport, older []report.OlderReport) {
	type key struct{ host, phase, fixture string }
	newest := map[key]int{}
	at := func(r report.FleetReport) time.Time {
		t, _ := time.Parse(time.RFC3339Nano, r.StartedAt)
		return t
	}
	for i, r := range reports {
		k := key{strings.ToLower(r.Host), r.Phase, r.Fixture}
		if j, ok := newest[k]; !ok || !at(r).Before(at(reports[j])) {
			newest[k] = i
		}
	}
	for i, r := range reports {
		j := newest[key{strings.ToLower(r.Host), r.Phase, r.Fixture}]
		if i == j {
			kept = append(kept, r)
			continue
		}
		older = append(older, report.OlderReport{File: r.File, Host: r.Host, Phase: r.Phase, StartedAt: r.StartedAt, Newer: reports[j].File})
	}
	return kept, older
}

// removalPlan builds the planned-removal finding from the uninstall
// reports: the servers they come from are the removals; the tenant's
// agents come from the newest uninstall report that listed them.
func removalPlan(reports []report.FleetReport) *checks.RemovalFinding {
	var plan checks.RemovalPlan
	newest := ""
	for _, r := range reports {
		if r.Phase != string(checks.PhaseUninstall) {
			continue
		}
		if !slices.ContainsFunc(plan.Removing, func(h string) bool { return strings.EqualFold(h, r.Host) }) {
			plan.Removing = append(plan.Removing, r.Host)
		}
		if r.Agents != nil && r.StartedAt >= newest {
			newest, plan.Agents, plan.Source = r.StartedAt, r.Agents, r.File
		}
	}
	if len(plan.Removing) == 0 {
		return nil
	}
	f := plan.Evaluate()
	return &f
}

// fleetExit: 1 when a host is not ready or the planned removals leave no
// active agent (or fewer than 3 with --strict); else 3 when a host or the
// removal rule is inconclusive; else 0.
func fleetExit(f *report.Fleet, strict bool) int {
	code := report.ExitReady
	for _, r := range f.Reports {
		switch r.Verdict {
		case report.VerdictNotReady:
			return report.ExitNotReady
		case report.VerdictInconclusive:
			code = report.ExitInconclusive
		}
	}
	if f.Removal != nil {
		switch f.Removal.Status {
		case checks.StatusFail:
			return report.ExitNotReady
		case checks.StatusWarn:
			if strict {
				return report.ExitNotReady
			}
		case checks.StatusError:
			code = report.ExitInconclusive
		}
	}
	return code
}
