package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/internal/cli"
	"github.com/ptacheck/ptacheck/internal/setup"
	"github.com/ptacheck/ptacheck/report"
)

// Limits of summarize's inputs.
const (
	maxReportBytes = 32 << 20
	maxReports     = 10000
)

// reportFiles expands the arguments: files as they are, folders to their
// *.json files (not recursive), sorted.
func reportFiles(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, cli.Usagef("summarize: %v", cli.PathErr(err))
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		matches, err := filepath.Glob(filepath.Join(a, "*.json"))
		if err != nil {
			return nil, cli.Usagef("summarize: %s: %v", a, err)
		}
		sort.Strings(matches)
		out = append(out, matches...)
	}
	if len(out) == 0 {
		return nil, cli.Usagef("summarize: no report files (name JSON reports, or folders holding them)")
	}
	if len(out) > maxReports {
		return nil, cli.Usagef("summarize: %d reports; at most %d", len(out), maxReports)
	}
	return out, nil
}

func runSummarize(ctx context.Context, inv *setup.Invocation) (int, error) {
	format, err := inv.Flags.Output.Validate()
	if err != nil {
		return 0, err
	}
	if len(inv.Args) == 0 {
		return 0, cli.Usagef("summarize: name the JSON reports to merge, e.g. ptacheck summarize reports/*.json")
	}
	files, err := reportFiles(inv.Args)
	if err != nil {
		return 0, err
	}
	fleet := &report.Fleet{}
	for _, path := range files {
		data, err := cli.ReadFile(ctx, path, maxReportBytes)
		if err != nil {
			return 0, cli.Usagef("summarize: %v", err)
		}
		r, err := report.ParseReport(data)
		if err != nil {
			return 0, cli.Usagef("summarize: %s: %v", path, err)
		}
		r.File = path
		if r.Host == "" {
			r.Host = r.ThisMachine
		}
		if r.Host == "" {
			r.Host = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		}
		fleet.Reports = append(fleet.Reports, *r)
	}
	fleet.Removal = removalPlan(fleet.Reports)
	fleet.ExitCode = fleetExit(fleet, inv.Flags.Fleet.Strict)
	return fleet.ExitCode, report.Summarize(inv.Stdout, format, fleet)
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
