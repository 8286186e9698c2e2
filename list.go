package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/checks/hostfacts"
	"github.com/ptacheck/ptacheck/fixtures"
	"github.com/ptacheck/ptacheck/internal/outfile"
	"github.com/ptacheck/ptacheck/internal/redact"
	"github.com/ptacheck/ptacheck/report"
)

// Set at build time with -ldflags "-X main.version=... -X main.commit=... -X main.date=...".
var (
	version = "0.1.0-dev"
	commit  = ""
	date    = ""
)

func buildInfo() report.BuildInfo {
	b := report.BuildInfo{Tool: "ptacheck", Version: version, Commit: commit, Date: date,
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if info, ok := debug.ReadBuildInfo(); ok && b.Commit == "" {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Commit = s.Value
			case "vcs.time":
				if b.Date == "" {
					b.Date = s.Value
				}
			}
		}
	}
	return b
}

func runVersion(_ context.Context, inv *invocation) (int, error) {
	if err := validateOutput(inv.o, "text", "json"); err != nil {
		return 0, err
	}
	return report.ExitReady, report.Version(inv.stdout, inv.o.output, buildInfo())
}

func runList(ctx context.Context, inv *invocation) (int, error) {
	o := inv.o
	if err := validateOutput(o, "text", "json"); err != nil {
		return 0, err
	}
	cfg, err := catalogueConfig(ctx, o)
	if err != nil {
		return 0, err
	}
	if !o.endpoints {
		return report.ExitReady, report.List(inv.stdout, o.output, report.CheckInfos(checks.Catalog(cfg)))
	}
	entries := append(append([]checks.Endpoint{}, checks.CatalogueEndpoints(cfg.Cloud)...), cfg.ExtraEndpoints...)
	return report.ExitReady, report.Endpoints(inv.stdout, o.output, report.Catalogue{
		Cloud: cfg.Cloud, Description: checks.CloudDescription(cfg.Cloud), TenantID: cfg.TenantID,
		Catalogue: entries, Expanded: checks.Expand(cfg.Cloud, entries, cfg.TenantID, true),
	})
}

func runSnapshot(ctx context.Context, inv *invocation) (int, error) {
	o := inv.o
	if err := validateOutput(o, "json", "text"); err != nil {
		return 0, err
	}
	if o.hostSnapshot != "" || o.fixture != "" {
		return 0, usagef("snapshot reads the live Windows host; --host-snapshot and --fixture do not apply")
	}
	ctx, cancel := context.WithTimeout(ctx, checks.HostReadTimeout)
	defer cancel()
	s, err := inv.sys.Host.Snapshot(ctx)
	if errors.Is(err, hostfacts.ErrUnsupportedOS) {
		return 0, usagef("snapshot needs Windows: run it on the agent server, then pass the file to --host-snapshot on any system")
	}
	if err != nil {
		return 0, fmt.Errorf("snapshot: %w", err)
	}
	if s.WinHTTPProxy != nil {
		cp, w := *s, *s.WinHTTPProxy
		w.Proxy = redact.URL(w.Proxy) // a proxy password never leaves the host
		cp.WinHTTPProxy = &w
		s = &cp
	}
	data, err := snapshotJSON(s)
	if err != nil {
		return 0, err
	}
	if o.reportFile != "" {
		if err := writeOutputFile(ctx, o.reportFile, data); err != nil {
			return 0, usagef("--report-file: %v", err)
		}
	}
	_, err = inv.stdout.Write(data)
	return report.ExitReady, err
}

// writeOutputFile writes data to path as outfile does: a regular file is
// replaced atomically (a symlink at path replaced, not followed), a device
// or FIFO written through.
func writeOutputFile(ctx context.Context, path string, data []byte) error {
	w, err := outfile.Create(ctx, path)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Abort()
		return err
	}
	return w.Commit(0o644)
}

func runFixtures(_ context.Context, inv *invocation) (int, error) {
	if err := validateOutput(inv.o, "text", "json"); err != nil {
		return 0, err
	}
	var items []report.FixtureInfo
	for _, name := range fixtures.Names() {
		sc, err := fixtures.Load(name)
		if err != nil {
			return 0, err
		}
		var parts []string
		for _, p := range []struct {
			has  bool
			what string
		}{{sc.Host != nil, "host"}, {sc.Network != nil, "network"}, {sc.Directory != nil, "directory"}, {sc.Tenant != nil, "tenant"}} {
			if p.has {
				parts = append(parts, p.what)
			}
		}
		items = append(items, report.FixtureInfo{Name: name, Phase: sc.Phase, Description: sc.Description, Emulates: parts})
	}
	return report.ExitReady, report.Fixtures(inv.stdout, inv.o.output, items)
}
