package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/internal/cli"
	"github.com/ptacheck/ptacheck/internal/setup"
	"github.com/ptacheck/ptacheck/report"
	"github.com/ptacheck/ptacheck/util/textfmt"
)

// runPhase runs one phase's checklist and writes the report. It returns the
// exit code, or an error for usage and input problems (exit 2).
func runPhase(ctx context.Context, phase checks.Phase, inv *setup.Invocation) (int, error) {
	in, err := setup.ValidatePhase(ctx, phase, inv.Flags, inv.World)
	if err != nil {
		return 0, err
	}
	out, err := openReportFile(ctx, in.Report.Path)
	if err != nil {
		return 0, err
	}
	defer out.abort()
	cfg, env, stop, err := setup.Build(ctx, in)
	if err != nil {
		return 0, err
	}
	defer stop()
	for _, n := range in.Notes {
		cli.Printf(inv.Stderr, "note: %s", n)
	}
	for _, w := range in.Warnings {
		cli.Printf(inv.Stderr, "warning: %s", w)
	}
	if name := in.Fixture(); name != "" {
		cli.Printf(inv.Stderr, "fixture mode %q: checking an emulated environment, not this host", name)
	}
	rep := execute(ctx, inv, in, cfg, env)
	if in.Gate.RetryTimeout > 0 {
		rep = retry(ctx, inv, in, rep)
	}
	return rep.ExitCode(), writeReport(inv, in, out, rep)
}

// reportOutput is where --report-file goes: a file (replaced atomically, or
// a device or FIFO written through), stdout ("-") or nowhere.
type reportOutput struct {
	file   *cli.OutFile
	stdout bool
}

func openReportFile(ctx context.Context, path string) (*reportOutput, error) {
	switch path {
	case "":
		return &reportOutput{}, nil
	case "-":
		return &reportOutput{stdout: true}, nil
	}
	f, err := cli.CreateOutFile(ctx, path)
	if err != nil {
		return nil, cli.Usagef("--report-file: %v", err)
	}
	return &reportOutput{file: f}, nil
}

func (r *reportOutput) abort() {
	if r.file != nil {
		r.file.Abort()
	}
}

// execute runs the plan with live progress on stderr and returns the report.
func execute(ctx context.Context, inv *setup.Invocation, in setup.Inputs, cfg checks.Config, env *checks.Env) *report.Report {
	start := time.Now()
	results := runPlan(ctx, inv, in, cfg, env, in.Selection.Only)
	rep := &report.Report{
		Tool: "ptacheck", Version: inv.Release.Version, Command: string(in.Phase), Host: cfg.Machine, Fixture: in.Fixture(),
		StartedAt: start, Duration: time.Since(start), Strict: in.Gate.Strict, Results: results,
	}
	if code, stopped := checks.InterruptExit(ctx); stopped {
		rep.Interrupted, rep.InterruptExit = true, code
	}
	return rep
}

// runPlan runs the phase's checks selected by only (all when empty), with
// live progress on stderr.
func runPlan(ctx context.Context, inv *setup.Invocation, in setup.Inputs, cfg checks.Config, env *checks.Env, only map[string]bool) []checks.Result {
	plan := checks.Plan(in.Phase, cfg)
	var ids []string
	for _, e := range checks.SelectEntries(plan, only) {
		ids = append(ids, e.ID())
	}
	progress := cli.NewProgress(inv.Stderr, in.Verbose, ids, inv.Getenv)
	defer progress.Finish()
	return checks.RunPlan(ctx, env, plan, checks.RunOptions{
		Timeout: in.Selection.Timeout, Skip: in.Selection.Skip, Only: only, Ignore: in.Selection.Ignore,
		OnStart: func(e checks.Entry) { progress.Start(e.ID()) },
		OnDone:  func(r checks.Result) { progress.Done(r.ID, string(r.Status), r.Duration) },
	})
}

// writeReport renders the report once per format and writes it to stdout
// and the report file.
func writeReport(inv *setup.Invocation, in setup.Inputs, out *reportOutput, rep *report.Report) error {
	opts := report.Options{Verbose: in.Verbose}
	render := func(name string, o report.Options) ([]byte, error) {
		f, err := report.Lookup(name)
		if err != nil {
			return nil, err
		}
		data, err := report.Render(f, rep, o)
		if err != nil {
			return nil, fmt.Errorf("format report: %w", err)
		}
		return data, nil
	}
	if out.stdout {
		data, err := render(in.Report.Format, opts)
		if err != nil {
			return err
		}
		_, err = inv.Stdout.Write(data)
		return err
	}
	if out.file != nil {
		data, err := render(in.Report.Format, opts)
		if err != nil {
			return err
		}
		if _, err := out.file.Write(data); err != nil {
			return cli.Usagef("--report-file: %v", err)
		}
		if err := out.file.Commit(0o644); err != nil {
			return cli.Usagef("--report-file: %v", err)
		}
	}
	opts.Color = in.Format == "text" && cli.Color(inv.Stdout, in.NoColor, inv.Getenv)
	opts.Width = cli.Width(inv.Stdout, inv.Getenv)
	data, err := render(in.Format, opts)
	if err != nil {
		return err
	}
	if _, err := inv.Stdout.Write(data); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// toRetry lists the checks a retry runs again: those that failed or ended
// in error, and those skipped because such a check was their prerequisite.
// Passes, warnings (demoted failures too) and deliberate skips stand.
func toRetry(results []checks.Result) map[string]bool {
	ids := map[string]bool{}
	for _, r := range results {
		switch {
		case r.Status == checks.StatusFail, r.Status == checks.StatusError:
			ids[r.ID] = true
		case r.Status == checks.StatusSkip && strings.HasPrefix(r.Message, "requires "):
			ids[r.ID] = true
		}
	}
	return ids
}

// retry re-runs the checks that do not pass, every --sleep, until they do
// or --retry-timeout (counted from the first run's start) runs out: the
// gate waits for a firewall change or a service restart to take effect.
// Each attempt builds afresh from the same inputs: new clients, and on a
// live host new host facts. The report holds each check's latest result
// and the attempts made.
func retry(ctx context.Context, inv *setup.Invocation, in setup.Inputs, rep *report.Report) *report.Report {
	g := in.Gate
	deadline := rep.StartedAt.Add(g.RetryTimeout)
	rep.Attempts = 1
	for {
		again := toRetry(rep.Results)
		if len(again) == 0 || ctx.Err() != nil || rep.Interrupted {
			return rep
		}
		next := time.Now().Add(g.Sleep)
		if next.After(deadline) {
			cli.Printf(inv.Stderr, "--retry-timeout %s reached after %s; %s still not passing", g.RetryTimeout, textfmt.Plural(rep.Attempts, "attempt", "attempts"), idList(again))
			return rep
		}
		cli.Printf(inv.Stderr, "attempt %d: %s not passing (%s); next attempt at %s, giving up at %s",
			rep.Attempts, textfmt.Plural(len(again), "check", "checks"), idList(again), next.Format("15:04:05"), deadline.Format("15:04:05"))
		select {
		case <-ctx.Done():
			rep.Interrupted = true
			if code, stopped := checks.InterruptExit(ctx); stopped {
				rep.InterruptExit = code
			}
			return rep
		case <-time.After(g.Sleep):
		}
		cfg, env, stop, err := setup.Build(ctx, in.Reread())
		if err != nil {
			cli.Printf(inv.Stderr, "attempt %d could not start: %v", rep.Attempts+1, err)
			return rep
		}
		results := runPlan(ctx, inv, in, cfg, env, again)
		stop()
		rep.Attempts++
		for _, r := range results {
			for i := range rep.Results {
				if rep.Results[i].ID == r.ID {
					rep.Results[i] = r
				}
			}
		}
		rep.Duration = time.Since(rep.StartedAt)
		if code, stopped := checks.InterruptExit(ctx); stopped {
			rep.Interrupted, rep.InterruptExit = true, code
		}
	}
}

func idList(ids map[string]bool) string {
	var out []string
	for _, id := range checks.KnownIDs() {
		if ids[id] {
			out = append(out, id)
		}
	}
	return strings.Join(out, ", ")
}
