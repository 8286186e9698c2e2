package main

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/checks/hostfacts"
	"github.com/ptacheck/ptacheck/checks/secevents"
	"github.com/ptacheck/ptacheck/checks/tracelog"
	"github.com/ptacheck/ptacheck/internal/cli"
	"github.com/ptacheck/ptacheck/internal/setup"
	"github.com/ptacheck/ptacheck/report"
)

// What each kind of bundle file may hold that is personal data.
const (
	personalReport = "user principal names (the admin, users diagnosed), this server's and the DCs' names and IP addresses, proxy addresses"
	personalHost   = "this server's name and domain, proxy addresses"
	personalLogs   = "user principal names and request IDs of sign-ins, client IP addresses, server names"
	personalEvents = "user names, server names and IP addresses in the agent's events"
	maxLogFiles    = 10000
)

func runCollect(ctx context.Context, inv *setup.Invocation) (int, error) {
	f := inv.Flags
	if _, err := f.Output.Validate(); err != nil {
		return 0, err
	}
	bundle, err := f.Bundle.Validate()
	if err != nil {
		return 0, err
	}
	// Every flag of every phase is checked before anything runs; the
	// phases share one tenant sign-in.
	ins, err := setup.ValidateCollect(ctx, bundle.Phases, f, inv.World)
	if err != nil {
		return 0, err
	}
	out, err := cli.CreateOutFile(ctx, bundle.Out)
	if err != nil {
		return 0, cli.Usagef("--out: %v", err)
	}
	defer out.Abort()
	fixture := ins[0].Fixture()
	if fixture != "" {
		cli.Printf(inv.Stderr, "fixture mode %q: collecting from an emulated environment, not this host", fixture)
	}
	b := report.NewBundle(out, inv.Release.Version, time.Now())
	res := report.CollectResult{Out: bundle.Out}
	if err := collectReports(ctx, inv, b, ins, &res); err != nil {
		return 0, err
	}
	if err := collectHost(ctx, b, ins[0].HostSource()); err != nil {
		return 0, err
	}
	if err := collectLogs(ctx, inv, b, bundle.MaxLogBytes, fixture != ""); err != nil {
		return 0, err
	}
	if err := collectEvents(ctx, b, fixture != ""); err != nil {
		return 0, err
	}
	if err := collectAbout(b, inv.Release.Version, bundle.Phases, fixture); err != nil {
		return 0, err
	}
	interrupt, stopped := checks.InterruptExit(ctx)
	if err := b.Close(stopped); err != nil {
		return 0, fmt.Errorf("collect: %w", err)
	}
	if err := out.Commit(0o600); err != nil {
		return 0, cli.Usagef("--out: %v", err)
	}
	res.Files, res.NotCollected, res.Interrupted = b.Files(), b.NotCollected(), stopped
	if err := report.Collect(inv.Stdout, f.Output.Format, res); err != nil {
		return 0, err
	}
	if stopped {
		return interrupt, nil
	}
	return report.ExitReady, nil
}

// collectReports runs each phase into the bundle: its report as JSON (the
// data) and as text (to read). Each phase builds afresh from its inputs.
func collectReports(ctx context.Context, inv *setup.Invocation, b *report.Bundle, ins []setup.Inputs, res *report.CollectResult) error {
	for _, in := range ins {
		if ctx.Err() != nil {
			b.Missing("reports/"+string(in.Phase)+".json", "interrupted before this phase ran")
			continue
		}
		cfg, env, stop, err := setup.Build(ctx, in)
		if err != nil {
			return err
		}
		for _, w := range in.Warnings {
			cli.Printf(inv.Stderr, "warning: %s", w)
		}
		rep := execute(ctx, inv, in, cfg, env)
		stop()
		verdict, code := rep.Verdict()
		res.Phases = append(res.Phases, report.BundlePhase{Phase: string(in.Phase), Verdict: verdict, ExitCode: code, Summary: rep.Summary()})
		for _, f := range []struct{ format, ext, what string }{{"json", "json", "the %[1]s phase's report (ptacheck %[1]s -o json)"}, {"text", "txt", "the %[1]s phase's report as text"}} {
			fm, _ := report.Lookup(f.format)
			data, err := report.Render(fm, rep, report.Options{Width: 100, Verbose: true})
			if err != nil {
				return err
			}
			name := "reports/" + string(in.Phase) + "." + f.ext
			if err := b.AddBytes(report.BundleFile{Name: name, Description: fmt.Sprintf(f.what, in.Phase), PersonalData: personalReport}, data); err != nil {
				return err
			}
		}
	}
	return nil
}

// collectHost adds the host facts the checks saw.
func collectHost(ctx context.Context, b *report.Bundle, host hostfacts.Source) error {
	hctx, cancel := context.WithTimeout(ctx, checks.HostReadTimeout)
	defer cancel()
	facts, err := host.Snapshot(hctx)
	if err != nil || facts == nil {
		b.Missing("host/snapshot.json", "no host facts here: run collect on the agent server, or pass --host-snapshot")
		return nil
	}
	data, err := report.HostSnapshot(facts)
	if err != nil {
		return err
	}
	return b.AddBytes(report.BundleFile{Name: "host/snapshot.json", Description: "the host facts the checks evaluated (ptacheck snapshot)", PersonalData: personalHost}, data)
}

// collectAbout adds the Security-log query, ready for Event Viewer, and how
// the bundle was made.
func collectAbout(b *report.Bundle, release string, phases []checks.Phase, fixture string) error {
	var q bytes.Buffer
	if err := report.DCQuery(&q, "xml", []string{agentExe, connectorExe}); err != nil {
		return err
	}
	if err := b.AddBytes(report.BundleFile{Name: "security-log-query.xml", Description: "the Security-log query for the agent's logons (ptacheck security-query): run it on this server"}, q.Bytes()); err != nil {
		return err
	}
	var about bytes.Buffer
	fmt.Fprintf(&about, "ptacheck %s collect\nos/arch: %s/%s\ncreated: %s\nphases: %s\n", release, runtime.GOOS, runtime.GOARCH, time.Now().UTC().Format(time.RFC3339), strings.Join(setup.PhaseNames(phases), ", "))
	if fixture != "" {
		fmt.Fprintf(&about, "fixture: %s (an emulated environment, not a host)\n", fixture)
	}
	return b.AddBytes(report.BundleFile{Name: "ptacheck.txt", Description: "the ptacheck version and how the bundle was made"}, about.Bytes())
}

// collectLogs adds the trace-log summary and copies the trace logs, newest
// first, within --max-log-bytes.
func collectLogs(ctx context.Context, inv *setup.Invocation, b *report.Bundle, maxBytes int64, fixtureMode bool) error {
	paths := inv.Flags.Logs.Paths
	if len(paths) == 0 {
		if fixtureMode {
			b.Missing("logs/", "fixture mode: this host's trace logs are not the emulated environment's (pass --logs to add some)")
			return nil
		}
		paths = cli.ExistingPaths(tracelog.DefaultPaths())
		if len(paths) == 0 {
			b.Missing("logs/", "no agent trace folder on this host ("+strings.Join(tracelog.DefaultPaths(), ", ")+"); pass --logs")
			return nil
		}
	}
	s, err := tracelog.Analyze(ctx, paths, tracelog.Filter{})
	if err != nil {
		b.Missing("logs/summary.json", err.Error())
	} else {
		var buf bytes.Buffer
		if err := report.Logs(&buf, "json", report.LogsInput{Trace: s}); err != nil {
			return err
		}
		if err := b.AddBytes(report.BundleFile{Name: "logs/summary.json", Description: "failed sign-ins by Reason over the trace logs below (ptacheck logs -o json)", PersonalData: "request IDs of failed sign-ins, file paths"}, buf.Bytes()); err != nil {
			return err
		}
	}
	files, notes, err := tracelog.Files(paths, maxLogFiles)
	if err != nil {
		b.Missing("logs/", err.Error())
		return nil
	}
	for _, n := range notes {
		b.Missing("logs/", n)
	}
	return copyLogs(ctx, inv, b, files, maxBytes)
}

// copyLogs copies the trace logs, newest first, within maxBytes; an
// archive is re-packed entry by entry.
func copyLogs(ctx context.Context, inv *setup.Invocation, b *report.Bundle, files []tracelog.LogFile, maxBytes int64) error {
	budget := maxBytes
	overBudget := fmt.Sprintf("over the --max-log-bytes budget (%d bytes); older files first left out", maxBytes)
	var total int64
	for _, f := range files {
		total += f.Size
	}
	prog := cli.NewCopyProgress(inv.Stderr, inv.Flags.Output.Verbose, len(files), total)
	defer prog.Finish()
	for i, f := range files {
		if ctx.Err() != nil {
			b.Missing(f.Path, "interrupted")
			continue
		}
		if budget <= 0 {
			b.Missing(f.Path, overBudget)
			continue
		}
		fh, err := os.Open(f.Path)
		if err != nil {
			b.Missing(f.Path, cli.PathErr(err).Error())
			continue
		}
		bf := report.BundleFile{
			Name:        fmt.Sprintf("logs/%03d-%s", i+1, filepath.Base(f.Path)),
			Description: "agent trace log, modified " + f.ModTime.UTC().Format(time.RFC3339),
			Source:      f.Path, PersonalData: personalLogs,
		}
		if f.Archive {
			bf.Description = "agent trace log archive, modified " + f.ModTime.UTC().Format(time.RFC3339) + ": re-packed entry by entry, each entry redacted"
			var used int64
			used, err = addArchive(b, bf, fh, budget, overBudget, prog)
			budget -= used
		} else {
			err = b.Add(bf, prog.Reader(ctx, fh), budget)
			if err == nil {
				budget -= b.Files()[len(b.Files())-1].Bytes
			}
		}
		fh.Close()
		prog.FileDone(f.Path, f.Size)
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			b.Missing(f.Path, "interrupted: the copy is cut short")
		}
	}
	return nil
}

// addArchive re-packs a zip archive of trace logs into the bundle (see
// report.Bundle.AddZip), within budget bytes of its entries.
func addArchive(b *report.Bundle, bf report.BundleFile, fh *os.File, budget int64, overBudget string, prog *cli.CopyProgress) (int64, error) {
	st, err := fh.Stat()
	if err != nil {
		b.Missing(bf.Source, cli.PathErr(err).Error())
		return 0, nil
	}
	n, err := tracelog.ZipEntryCount(fh, st.Size())
	switch {
	case err != nil:
		b.Missing(bf.Source, "read archive: "+err.Error())
		return 0, nil
	case n > tracelog.DefaultMaxZipEntries:
		b.Missing(bf.Source, fmt.Sprintf("archive has %d entries, more than the limit of %d", n, tracelog.DefaultMaxZipEntries))
		return 0, nil
	}
	zr, err := zip.NewReader(prog.ReaderAt(fh), st.Size())
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) { // names are cleaned by AddZip
		b.Missing(bf.Source, "read archive: "+err.Error())
		return 0, nil
	}
	return b.AddZip(bf, zr, budget, overBudget)
}

// collectEvents exports the agent's event-log channels into a temporary
// folder and adds them.
func collectEvents(ctx context.Context, b *report.Bundle, fixtureMode bool) error {
	if fixtureMode {
		b.Missing("events/", "fixture mode: this host's event logs are not the emulated environment's")
		return nil
	}
	dir, err := os.MkdirTemp("", "ptacheck-events-")
	if err != nil {
		b.Missing("events/", err.Error())
		return nil
	}
	defer os.RemoveAll(dir)
	ectx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for _, e := range hostfacts.ExportEventLogs(ectx, dir, hostfacts.AgentEventChannels) {
		if e.Err != nil {
			b.Missing("events/"+e.Channel, e.Err.Error())
			continue
		}
		fh, err := os.Open(e.Path)
		if err != nil {
			b.Missing("events/"+e.Channel, err.Error())
			continue
		}
		err = b.Add(report.BundleFile{Name: "events/" + filepath.Base(e.Path), Description: "event-log channel " + e.Channel + " (wevtutil epl; open in Event Viewer)", PersonalData: personalEvents}, fh, 0)
		fh.Close()
		if err != nil {
			return err
		}
	}
	return collectSecurityLogons(ectx, b, dir)
}

// collectSecurityLogons adds the summary of the agent's logons in this
// host's Security log (ptacheck logs over the security-query's events), not the
// events themselves.
func collectSecurityLogons(ctx context.Context, b *report.Bundle, dir string) error {
	const name = "events/security-logons.json"
	procs := agentExecutables("")
	var q bytes.Buffer
	if err := report.DCQuery(&q, "xpath", procs); err != nil {
		return err
	}
	xml := filepath.Join(dir, "security-logons.xml")
	if err := hostfacts.QueryEvents(ctx, "Security", strings.TrimSpace(q.String()), xml); err != nil {
		b.Missing(name, err.Error())
		return nil
	}
	s, err := secevents.Analyze(ctx, []string{xml}, secevents.Filter{}, secevents.Options{Processes: procs})
	if err != nil {
		b.Missing(name, err.Error())
		return nil
	}
	var buf bytes.Buffer
	if err := report.Logs(&buf, "json", report.LogsInput{Security: s}); err != nil {
		return err
	}
	return b.AddBytes(report.BundleFile{Name: name, Description: "the agent's logons in this server's Security log, events 4625 and 4624 by status (ptacheck logs -o json over the security-query's events)", PersonalData: "file paths; no account names (accounts are only counted)"}, buf.Bytes())
}
