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
	"github.com/ptacheck/ptacheck/internal/cli"
	"github.com/ptacheck/ptacheck/internal/setup"
	"github.com/ptacheck/ptacheck/report"
	"github.com/ptacheck/ptacheck/util/redact"
)

// Set at build time with -ldflags "-X main.version=... -X main.commit=... -X main.date=...".
var (
	version = "0.1.0-dev"
	commit  = ""
	date    = ""
)

func buildInfo(r setup.Release) report.BuildInfo {
	b := report.BuildInfo{Tool: "ptacheck", Version: r.Version, Commit: r.Commit, Date: r.Date,
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

func runVersion(_ context.Context, inv *setup.Invocation) (int, error) {
	format, err := inv.Flags.Output.Validate()
	if err != nil {
		return 0, err
	}
	return report.ExitReady, report.Version(inv.Stdout, format, buildInfo(inv.Release))
}

func runList(ctx context.Context, inv *setup.Invocation) (int, error) {
	f := inv.Flags
	format, err := f.Output.Validate()
	if err != nil {
		return 0, err
	}
	var cfg checks.Config
	if cfg.Cloud, cfg.TenantID, err = f.Cloud.Validate(); err != nil {
		return 0, err
	}
	cfg.Legacy = f.Catalogue.Legacy
	if cfg.ExtraEndpoints, err = f.Catalogue.Validate(ctx); err != nil {
		return 0, err
	}
	if !f.Endpoints.Endpoints {
		return report.ExitReady, report.List(inv.Stdout, format, report.CheckInfos(checks.Catalog(cfg)), cli.Width(inv.Stdout, inv.Getenv))
	}
	entries := append(append([]checks.Endpoint{}, checks.CatalogueEndpoints(cfg.Cloud)...), cfg.ExtraEndpoints...)
	return report.ExitReady, report.Endpoints(inv.Stdout, format, report.Catalogue{
		Cloud: cfg.Cloud, Description: checks.CloudDescription(cfg.Cloud), TenantID: cfg.TenantID,
		Catalogue: entries, Expanded: checks.Expand(cfg.Cloud, entries, cfg.TenantID, true),
	}, cli.Width(inv.Stdout, inv.Getenv))
}

func runSnapshot(ctx context.Context, inv *setup.Invocation) (int, error) {
	if _, err := inv.Flags.Output.Validate(); err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, checks.HostReadTimeout)
	defer cancel()
	s, err := inv.Host.Snapshot(ctx)
	if errors.Is(err, hostfacts.ErrUnsupportedOS) {
		return 0, cli.Usagef("snapshot needs Windows: run it on the agent server, then pass the file to --host-snapshot on any system")
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
	data, err := report.HostSnapshot(s)
	if err != nil {
		return 0, err
	}
	if path := inv.Flags.SnapshotFile.ReportFile; path != "" {
		if err := cli.WriteFile(ctx, path, data); err != nil {
			return 0, cli.Usagef("--report-file: %v", err)
		}
	}
	_, err = inv.Stdout.Write(data)
	return report.ExitReady, err
}

func runFixtures(_ context.Context, inv *setup.Invocation) (int, error) {
	format, err := inv.Flags.Output.Validate()
	if err != nil {
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
	return report.ExitReady, report.Fixtures(inv.Stdout, format, items, cli.Width(inv.Stdout, inv.Getenv))
}
