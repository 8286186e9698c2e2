package main

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/checks/hostfacts"
	"github.com/ptacheck/ptacheck/checks/secevents"
	"github.com/ptacheck/ptacheck/checks/tracelog"
	"github.com/ptacheck/ptacheck/internal/outfile"
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

// collectPhases are the checklist phases a bundle can hold.
var collectPhases = []checks.Phase{checks.PhaseInstall, checks.PhaseRegister, checks.PhaseVerify, checks.PhaseEnable, checks.PhaseUninstall, checks.PhaseOperate, checks.PhaseSignin}

func parseCollectPhases(values []string) ([]checks.Phase, error) {
	if len(values) == 0 {
		return []checks.Phase{checks.PhaseOperate}, nil
	}
	var out []checks.Phase
	add := func(p checks.Phase) {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	for _, v := range values {
		for _, s := range strings.Split(v, ",") {
			p := checks.Phase(strings.ToLower(strings.TrimSpace(s)))
			switch {
			case p == "all":
				for _, q := range collectPhases {
					if q != checks.PhaseSignin {
						add(q)
					}
				}
			case slices.Contains(collectPhases, p):
				add(p)
			default:
				return nil, usagef("--phase %q: want %s, or all (every phase but signin)", p, orList(phaseNames(collectPhases)))
			}
		}
	}
	return out, nil
}

func runCollect(ctx context.Context, inv *invocation) (int, error) {
	o := inv.o
	if err := validateOutput(o, "text", "json"); err != nil {
		return 0, err
	}
	if o.bundleOut == "" {
		return 0, usagef("collect: name the bundle with --out FILE.zip")
	}
	// A device, FIFO or pipe (--out >(cat)) is written through, whatever
	// its name; a file is a zip file by name.
	if !outfile.Stream(o.bundleOut) && !strings.EqualFold(filepath.Ext(o.bundleOut), ".zip") {
		return 0, usagef("--out %q: the bundle is a zip file: name it FILE.zip", o.bundleOut)
	}
	if o.maxLogBytes < 0 {
		return 0, usagef("--max-log-bytes %d: must be 0 (no trace logs) or more", o.maxLogBytes)
	}
	phases, err := parseCollectPhases(o.collectPhases)
	if err != nil {
		return 0, err
	}
	// Every flag of every phase is checked before anything runs; the
	// tenant inputs (and so one device-code sign-in) are shared.
	var ins []*phaseInputs
	for _, p := range phases {
		in, err := validatePhase(ctx, p, o, inv.sys.Getenv)
		if err != nil {
			return 0, err
		}
		if len(ins) > 0 {
			in.tenant = ins[0].tenant
		}
		in.scopePhases = phases
		ins = append(ins, in)
	}
	for _, p := range o.logPaths {
		if _, err := os.Stat(p); err != nil {
			return 0, usagef("--logs %v", pathErr(err))
		}
	}
	sc, err := loadFixture(o)
	if err != nil {
		return 0, err
	}
	for _, in := range ins {
		if err := fixtureUsers(in, sc); err != nil {
			return 0, err
		}
	}
	host, err := hostSource(ctx, inv.sys, o, sc)
	if err != nil {
		return 0, err
	}
	out, err := outfile.Create(ctx, o.bundleOut)
	if err != nil {
		return 0, usagef("--out: %v", err)
	}
	defer out.Abort()
	if sc != nil {
		fmt.Fprintf(inv.stderr, "ptacheck: fixture mode %q: collecting from an emulated environment, not this host\n", sc.Name)
	}

	b := report.NewBundle(out, version, time.Now())
	res := report.CollectResult{Out: o.bundleOut}
	add := func(f report.BundleFile, data []byte) error { return b.AddBytes(f, data) }

	// 1. The phase reports, each as JSON (the data) and text (to read).
	for _, in := range ins {
		if ctx.Err() != nil {
			b.Missing("reports/"+string(in.phase)+".json", "interrupted before this phase ran")
			continue
		}
		env, stop, err := wire(ctx, inv, sc, host, in)
		if err != nil {
			return 0, err
		}
		for _, w := range in.dir.warnings {
			fmt.Fprintf(inv.stderr, "ptacheck: warning: %s\n", w)
		}
		rep := execute(ctx, inv, env, in, sc)
		stop()
		verdict, code := rep.Verdict()
		res.Phases = append(res.Phases, report.BundlePhase{Phase: string(in.phase), Verdict: verdict, ExitCode: code, Summary: rep.Summary()})
		for _, f := range []struct{ format, ext, what string }{{"json", "json", "the %[1]s phase's report (ptacheck %[1]s -o json)"}, {"text", "txt", "the %[1]s phase's report as text"}} {
			fm, _ := report.Lookup(f.format)
			data, err := report.Render(fm, rep, report.Options{Width: 100, Verbose: true})
			if err != nil {
				return 0, err
			}
			name := "reports/" + string(in.phase) + "." + f.ext
			if err := add(report.BundleFile{Name: name, Description: fmt.Sprintf(f.what, in.phase), PersonalData: personalReport}, data); err != nil {
				return 0, err
			}
		}
	}

	// 2. The host facts the checks saw.
	if facts := readHostFacts(ctx, host); facts != nil {
		data, err := snapshotJSON(facts)
		if err != nil {
			return 0, err
		}
		if err := add(report.BundleFile{Name: "host/snapshot.json", Description: "the host facts the checks evaluated (ptacheck snapshot)", PersonalData: personalHost}, data); err != nil {
			return 0, err
		}
	} else {
		b.Missing("host/snapshot.json", "no host facts here: run collect on the agent server, or pass --host-snapshot")
	}

	// 3. The trace logs: a summary, and the files themselves, newest first.
	if err := collectLogs(ctx, b, o, sc != nil, inv.stderr, o.verbose); err != nil {
		return 0, err
	}

	// 4. The agent's event-log channels (Windows).
	if err := collectEvents(ctx, b, sc != nil); err != nil {
		return 0, err
	}

	// 5. The Security-log query, ready for Event Viewer.
	var q bytes.Buffer
	if err := report.DCQuery(&q, "xml", []string{agentExe, connectorExe}); err != nil {
		return 0, err
	}
	if err := add(report.BundleFile{Name: "security-log-query.xml", Description: "the Security-log query for the agent's logons (ptacheck dc-query): run it on this server"}, q.Bytes()); err != nil {
		return 0, err
	}
	var about bytes.Buffer
	fmt.Fprintf(&about, "ptacheck %s collect\nos/arch: %s/%s\ncreated: %s\nphases: %s\n", version, runtime.GOOS, runtime.GOARCH, time.Now().UTC().Format(time.RFC3339), strings.Join(phaseNames(phases), ", "))
	if sc != nil {
		fmt.Fprintf(&about, "fixture: %s (an emulated environment, not a host)\n", sc.Name)
	}
	if err := add(report.BundleFile{Name: "ptacheck.txt", Description: "the ptacheck version and how the bundle was made"}, about.Bytes()); err != nil {
		return 0, err
	}

	interrupt, stopped := checks.InterruptExit(ctx)
	if err := b.Close(stopped); err != nil {
		return 0, fmt.Errorf("collect: %w", err)
	}
	if err := out.Commit(0o600); err != nil {
		return 0, usagef("--out: %v", err)
	}
	res.Files, res.NotCollected, res.Interrupted = b.Files(), b.NotCollected(), stopped
	if err := report.Collect(inv.stdout, o.output, res); err != nil {
		return 0, err
	}
	if stopped {
		return interrupt, nil
	}
	return report.ExitReady, nil
}

func phaseNames(ps []checks.Phase) []string {
	var s []string
	for _, p := range ps {
		s = append(s, string(p))
	}
	return s
}

// collectLogs adds the trace-log summary and copies the trace logs, newest
// first, within --max-log-bytes.
func collectLogs(ctx context.Context, b *report.Bundle, o *options, fixtureMode bool, stderr io.Writer, verbose bool) error {
	paths := o.logPaths
	if len(paths) == 0 {
		if fixtureMode {
			b.Missing("logs/", "fixture mode: this host's trace logs are not the emulated environment's (pass --logs to add some)")
			return nil
		}
		paths = existingPaths(tracelog.DefaultPaths())
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
	budget := o.maxLogBytes
	overBudget := fmt.Sprintf("over the --max-log-bytes budget (%d bytes); older files first left out", o.maxLogBytes)
	prog := newCopyProgress(stderr, verbose, files)
	defer prog.finish()
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
			b.Missing(f.Path, pathErr(err).Error())
			continue
		}
		bf := report.BundleFile{
			Name:        fmt.Sprintf("logs/%03d-%s", i+1, filepath.Base(f.Path)),
			Description: "agent trace log, modified " + f.ModTime.UTC().Format(time.RFC3339),
			Source:      f.Path, PersonalData: personalLogs,
		}
		src := prog.reader(ctx, f, fh)
		if f.Archive {
			bf.Description = "agent trace log archive, modified " + f.ModTime.UTC().Format(time.RFC3339) + ": re-packed entry by entry, each entry redacted"
			var used int64
			used, err = addArchive(b, bf, fh, budget, overBudget, prog)
			budget -= used
		} else {
			err = b.Add(bf, src, budget)
			if err == nil {
				budget -= b.Files()[len(b.Files())-1].Bytes
			}
		}
		fh.Close()
		prog.fileDone(f)
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
func addArchive(b *report.Bundle, bf report.BundleFile, fh *os.File, budget int64, overBudget string, prog *copyProgress) (int64, error) {
	st, err := fh.Stat()
	if err != nil {
		b.Missing(bf.Source, pathErr(err).Error())
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
	zr, err := zip.NewReader(prog.readerAt(fh), st.Size())
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
// host's Security log (ptacheck logs over the dc-query's events), not the
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
	return b.AddBytes(report.BundleFile{Name: name, Description: "the agent's logons in this server's Security log, events 4625 and 4624 by status (ptacheck logs -o json over the dc-query's events)", PersonalData: "file paths; no account names (accounts are only counted)"}, buf.Bytes())
}
