package checks

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/ptacheck/ptacheck/checks/hostfacts"
)

// Windows build numbers (pta-facts.md 2.4).
const (
	buildWS2012R2 = 9600
	buildWS2016   = 14393
	buildWS2025   = 26100
)

// OSVersionCheck wants Windows Server 2016 or later with the Desktop
// Experience (Server Core is not supported).
type OSVersionCheck struct{}

func (OSVersionCheck) Meta() Meta {
	return Meta{
		ID:          "host.os",
		Title:       "Windows Server version",
		Description: "Windows Server 2016-2022 with the Desktop Experience; not Server Core or Nano Server (2012 R2 and 2025 warn)",
		Remediation: "Run the PTA agent on Windows Server 2016 or later with the Desktop Experience; Server Core and Nano Server are not supported.",
		DocURL:      docQuickStart,
	}
}

func (OSVersionCheck) Needs() Needs { return Needs{Host: true} }

func (OSVersionCheck) Run(ctx context.Context, env *Env) Outcome {
	s := env.Met.Host
	o := s.OS
	if o.Build == 0 && o.ProductName == "" {
		return Errored(errors.New("the host facts carry no OS version"), o)
	}
	// The build comes from RtlGetVersion, which cannot fail; the product
	// name and installation type come from the registry. Without the
	// installation type, Server Core cannot be told apart.
	if unreadOS := s.WarningsAbout("os"); len(unreadOS) > 0 && strings.TrimSpace(o.InstallationType) == "" {
		return Outcome{Unevaluated: unreadOS, Details: o}
	}
	name := fmt.Sprintf("%s (build %d)", strings.TrimSpace(o.ProductName), o.Build)
	it := strings.ToLower(strings.TrimSpace(o.InstallationType))
	product := strings.ToLower(o.ProductName)
	// Server Core, Nano Server and clients fail whatever the build.
	definite := strings.Contains(product, "server core") || strings.Contains(product, "nano server") ||
		it == "server core" || it == "nano server" || it == "client"
	switch {
	case it == "" && !definite:
		return Errored(errors.New("the host facts carry no os.installation_type: Server Core and Nano Server cannot be told apart from a full installation"), o)
	case o.Build <= 0 && !definite:
		return Errored(errors.New("the host facts carry no os.build: the Windows Server version is unknown"), o)
	}
	switch {
	case it == "server core" || strings.Contains(strings.ToLower(o.ProductName), "server core"):
		return Outcome{Fail: fmt.Errorf("%s is a Server Core installation, which the PTA agent does not support", name), Details: o}
	case it == "nano server" || strings.Contains(strings.ToLower(o.ProductName), "nano server"):
		return Outcome{Fail: fmt.Errorf("%s is Nano Server, which cannot host the PTA agent", name), Details: o}
	case it == "client" || (it == "" && !strings.Contains(strings.ToLower(o.ProductName), "server")):
		return Outcome{Fail: fmt.Errorf("%s is not Windows Server", name), Details: o}
	case o.Build >= buildWS2025:
		return Outcome{
			Warn:        fmt.Errorf("%s is Windows Server 2025: the standalone agent needs 2016 or later, but Microsoft Entra Connect, which installs the agent when it enables PTA, does not support Windows Server 2025", name),
			Remediation: "Use Windows Server 2016, 2019 or 2022 if this server will run Microsoft Entra Connect; the standalone agent installer is not affected.",
			Details:     o,
		}
	case o.Build >= buildWS2016:
		return Outcome{Summary: name, Details: o}
	case o.Build >= buildWS2012R2:
		return Outcome{Warn: fmt.Errorf("%s is Windows Server 2012 R2: the PTA FAQ still allows it, but the quick start requires Windows Server 2016 or later", name), Details: o}
	}
	return Outcome{Fail: fmt.Errorf("%s is older than Windows Server 2012 R2", name), Details: o}
}

// TLS12Check wants TLS 1.2 enabled for SCHANNEL clients and .NET strong
// cryptography in both registry views.
type TLS12Check struct{}

func (TLS12Check) Meta() Meta {
	return Meta{
		ID:          "host.tls12",
		Title:       "TLS 1.2 and .NET strong crypto",
		Description: "SCHANNEL TLS 1.2 client not disabled; SchUseStrongCrypto and SystemDefaultTlsVersions set for .NET 4 (64- and 32-bit)",
		Remediation: "Enable TLS 1.2: under SCHANNEL\\Protocols\\TLS 1.2\\Client and \\Server set Enabled=1 and DisabledByDefault=0; under " +
			"HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319 and its WOW6432Node twin set SchUseStrongCrypto=1 and SystemDefaultTlsVersions=1; then restart.",
		DocURL: docTLSEnforcement,
	}
}

func (TLS12Check) Needs() Needs { return Needs{Host: true} }

func (TLS12Check) Run(ctx context.Context, env *Env) Outcome {
	s := env.Met.Host
	if missing := unrecordedLists(s, hostfacts.EvidenceRegistry); len(missing) > 0 {
		// An absent value means "the default" only when the key was read.
		return Errored(errors.New(missing[0]), nil)
	}
	var fail, warn *multierror.Error
	details := map[string]any{}
	schannel := func(key, side string) error {
		enabled, hasEnabled := s.RegistryNumber(key, "Enabled")
		dbd, hasDBD := s.RegistryNumber(key, "DisabledByDefault")
		details["schannel_tls12_"+strings.ToLower(side)] = map[string]any{"enabled": optNum(enabled, hasEnabled), "disabled_by_default": optNum(dbd, hasDBD)}
		switch {
		case hasEnabled && enabled == 0:
			return fmt.Errorf("SCHANNEL TLS 1.2 %s is disabled (Enabled=0)", side)
		case hasDBD && dbd != 0:
			return fmt.Errorf("SCHANNEL TLS 1.2 %s is disabled by default (DisabledByDefault=%d)", side, dbd)
		}
		return nil
	}
	unreadKeys := s.WarningsAbout("registry "+hostfacts.RegTLS12Client, "registry "+hostfacts.RegTLS12Server,
		"registry "+hostfacts.RegNetFx64, "registry "+hostfacts.RegNetFx32)
	if len(unreadKeys) > 0 {
		details["warnings"] = unreadKeys
	} else {
		unreadKeys = nil
	}
	if err := schannel(hostfacts.RegTLS12Client, "Client"); err != nil {
		fail = multierror.Append(fail, err)
	}
	if err := schannel(hostfacts.RegTLS12Server, "Server"); err != nil {
		warn = multierror.Append(warn, err)
	}
	for _, nf := range []struct{ key, view string }{{hostfacts.RegNetFx64, "64-bit"}, {hostfacts.RegNetFx32, "32-bit"}} {
		view := map[string]any{}
		for _, name := range []string{"SchUseStrongCrypto", "SystemDefaultTlsVersions"} {
			v, ok := s.RegistryNumber(nf.key, name)
			view[name] = optNum(v, ok)
			if !ok || v != 1 {
				warn = multierror.Append(warn, fmt.Errorf(".NET 4 (%s) %s is %s, want 1", nf.view, name, describeNum(v, ok)))
			}
		}
		details["dotnet_"+strings.TrimSuffix(nf.view, "-bit")] = view
	}
	if fail == nil && warn == nil {
		return Outcome{Summary: "TLS 1.2 enabled; .NET strong crypto set in both registry views", Details: details, Unevaluated: unreadKeys}
	}
	return Outcome{Fail: fail.ErrorOrNil(), Warn: warn.ErrorOrNil(), Details: details, Unevaluated: unreadKeys}
}

func optNum(v uint64, ok bool) any {
	if !ok {
		return nil
	}
	return v
}

func describeNum(v uint64, ok bool) string {
	if !ok {
		return "not set"
	}
	return strconv.FormatUint(v, 10)
}

// .NET Framework 4.x Release minimums (pta-facts.md 2.4).
var dotNetReleases = []struct {
	release uint64
	name    string
}{
	{533320, "4.8.1"}, {528040, "4.8"}, {461808, "4.7.2"}, {461308, "4.7.1"}, {460798, "4.7"},
	{394802, "4.6.2"}, {394254, "4.6.1"}, {393295, "4.6"}, {379893, "4.5.2"}, {378675, "4.5.1"}, {378389, "4.5"},
}

// dotNetMinRelease is .NET Framework 4.7.2: what the private network connector
// needs and what agent bootstrap captures report. The PTA agent's own minimum
// is UNVERIFIED, so lower versions warn instead of failing.
const dotNetMinRelease = 461808

func dotNetName(release uint64) string {
	for _, r := range dotNetReleases {
		if release >= r.release {
			return r.name
		}
	}
	return "4.x older than 4.5"
}

// DotNetCheck wants .NET Framework 4.7.2 or later.
type DotNetCheck struct{}

func (DotNetCheck) Meta() Meta {
	return Meta{
		ID:          "host.dotnet",
		Title:       ".NET Framework version",
		Description: ".NET Framework 4.x installed, Release 461808 (4.7.2) or later",
		Remediation: "Install .NET Framework 4.7.2 or later (4.8 recommended).",
		DocURL:      docDotNetVersions,
	}
}

func (DotNetCheck) Needs() Needs { return Needs{Host: true} }

func (DotNetCheck) Run(ctx context.Context, env *Env) Outcome {
	s := env.Met.Host
	if missing := unrecordedLists(s, hostfacts.EvidenceRegistry); len(missing) > 0 {
		return Errored(errors.New(missing[0]), nil)
	}
	release, ok := s.RegistryNumber(hostfacts.RegNDP4, "Release")
	if !ok {
		if unreadKey := s.WarningsAbout("registry " + hostfacts.RegNDP4); len(unreadKey) > 0 {
			return Outcome{Unevaluated: unreadKey}
		}
		return Outcome{Fail: fmt.Errorf(".NET Framework 4.x is not installed (no Release value under %s)", hostfacts.RegNDP4)}
	}
	details := map[string]any{"release": release, "version": dotNetName(release), "min_release": dotNetMinRelease}
	if release < dotNetMinRelease {
		return Outcome{
			Warn:    fmt.Errorf(".NET Framework %s (Release %d) is older than 4.7.2; the agent's exact minimum is not documented", dotNetName(release), release),
			Details: details,
		}
	}
	return Outcome{Summary: fmt.Sprintf(".NET Framework %s (Release %d)", dotNetName(release), release), Details: details}
}

// TrustedRootsCheck wants the roots the agent's endpoints chain to in the
// LocalMachine\Root store: without them the agent cannot validate the
// service's certificates (pta-facts.md 7).
type TrustedRootsCheck struct{}

func (TrustedRootsCheck) Meta() Meta {
	names := make([]string, 0, len(hostfacts.RootsOfInterest))
	for _, r := range hostfacts.RootsOfInterest {
		names = append(names, r.Name)
	}
	return Meta{
		ID:          "host.trusted-roots",
		Title:       "Trusted root certificates",
		Description: "LocalMachine\\Root holds the roots the agent's endpoints chain to: " + strings.Join(names, ", "),
		Remediation: "Import the missing root certificates into Local Computer > Trusted Root Certification Authorities (certlm.msc, or " +
			"certutil -addstore Root FILE.crt); they are published at https://cacerts.digicert.com/. Windows fetches missing roots on demand " +
			"only when automatic root updates are on and ctldl.windowsupdate.com is reachable.",
		DocURL: docAzureCAs,
	}
}

// docTrustedRootsPolicy is Microsoft's page on the Automatic Root
// Certificates Update policy: DisableRootAutoUpdate=1 under
// HKLM\SOFTWARE\Policies\Microsoft\SystemCertificates\AuthRoot turns the
// automatic update of the trusted roots off; by default it is on.

// trustedRootsDetails is the evidence of host.trusted-roots.
type trustedRootsDetails struct {
	Store   string                  `json:"store"`
	Present []hostfacts.TrustedRoot `json:"present"`
	Missing []hostfacts.KnownRoot   `json:"missing"`
	// RootAutoUpdate is whether Windows may fetch a missing root on demand
	// ("on", "off", "unknown"), from the Automatic Root Certificates
	// Update policy; only when a root is missing.
	RootAutoUpdate        string   `json:"root_auto_update,omitempty"`
	DisableRootAutoUpdate *uint64  `json:"disable_root_auto_update,omitempty"`
	Warnings              []string `json:"warnings"`
}

func (TrustedRootsCheck) Needs() Needs { return Needs{Host: true} }

func (TrustedRootsCheck) Run(ctx context.Context, env *Env) Outcome {
	s := env.Met.Host
	unreadRoots := s.WarningsAbout("trusted roots")
	if s.TrustedRoots == nil {
		if len(unreadRoots) > 0 {
			return Outcome{Unevaluated: unreadRoots}
		}
		return Errored(errors.New("the host facts do not record trusted_roots (a snapshot from an older ptacheck: take a new one with 'ptacheck snapshot')"), nil)
	}
	d := trustedRootsDetails{Store: `LocalMachine\Root`, Present: []hostfacts.TrustedRoot{}, Missing: []hostfacts.KnownRoot{}, Warnings: unreadRoots}
	var fail, warn *multierror.Error
	var now time.Time
	if env.Now != nil {
		now = env.Now()
	}
	var missing *multierror.Error
	for _, k := range hostfacts.RootsOfInterest {
		r, ok := s.TrustedRoot(k.SHA1)
		if !ok {
			d.Missing = append(d.Missing, k)
			missing = multierror.Append(missing, fmt.Errorf("%s (SHA-1 %s) is not in LocalMachine\\Root", k.Name, k.SHA1))
			continue
		}
		d.Present = append(d.Present, r)
		if t, err := time.Parse(time.RFC3339, r.NotAfter); err == nil && !now.IsZero() && now.After(t) {
			warn = multierror.Append(warn, fmt.Errorf("%s (SHA-1 %s) expired on %s", k.Name, k.SHA1, t.Format("2006-01-02")))
		}
	}
	if missing == nil && warn == nil {
		return Outcome{Summary: fmt.Sprintf("%d of %d roots present in LocalMachine\\Root", len(d.Present), len(hostfacts.RootsOfInterest)), Details: d}
	}
	if missing == nil {
		return Outcome{Warn: warn.ErrorOrNil(), Details: d}
	}
	// A missing root is fetched on demand from Windows Update unless the
	// Automatic Root Certificates Update policy turns that off
	// (docTrustedRootsPolicy): it fails only then.
	p := s.AuthRootPolicy
	switch {
	case p == nil:
		d.RootAutoUpdate = "unknown"
		why := s.WarningsAbout("authroot policy")
		d.Warnings = append(d.Warnings, why...)
		if len(why) == 0 {
			why = []string{"the host facts do not record authroot_policy (a snapshot from an older ptacheck: take a new one with 'ptacheck snapshot')"}
		}
		unknown := make([]string, 0, len(why))
		for _, w := range why {
			unknown = append(unknown, "the Automatic Root Certificates Update policy ("+hostfacts.RegAuthRootPolicy+" DisableRootAutoUpdate): "+w)
		}
		return Outcome{
			Warn: multierror.Append(warn, missing.Errors...).ErrorOrNil(), Unevaluated: unknown, Details: d,
			Summary: fmt.Sprintf("%s missing from LocalMachine\\Root, and whether Windows fetches %s on demand is unknown", rootNames(d.Missing), pronoun(len(d.Missing))),
		}
	case !p.RootAutoUpdate():
		d.RootAutoUpdate, d.DisableRootAutoUpdate = "off", p.DisableRootAutoUpdate
		for _, e := range missing.Errors {
			fail = multierror.Append(fail, fmt.Errorf("%w, and Windows will not fetch it: Automatic Root Certificates Update is turned off (DisableRootAutoUpdate=%d)", e, *p.DisableRootAutoUpdate))
		}
		return Outcome{
			Fail: fail.ErrorOrNil(), Warn: warn.ErrorOrNil(), Details: d,
			Remediation: "Import the missing root certificates into Local Computer > Trusted Root Certification Authorities (certlm.msc, or certutil -addstore Root FILE.crt; " +
				"they are published at https://cacerts.digicert.com/), or turn Automatic Root Certificates Update back on (Group Policy: Computer Configuration > " +
				"Administrative Templates > System > Internet Communication Management > Internet Communication settings > Turn off Automatic Root Certificates Update; see " +
				docTrustedRootsPolicy + ").",
		}
	}
	d.RootAutoUpdate, d.DisableRootAutoUpdate = "on", p.DisableRootAutoUpdate
	for _, e := range missing.Errors {
		warn = multierror.Append(warn, fmt.Errorf("%w; Windows fetches it from Windows Update when the agent first needs it (Automatic Root Certificates Update is on), if ctldl.windowsupdate.com is reachable", e))
	}
	return Outcome{
		Warn: warn.ErrorOrNil(), Details: d,
		Remediation: "Windows adds a root of Microsoft's root program on demand when Automatic Root Certificates Update is on (the default; " + docTrustedRootsPolicy +
			") and ctldl.windowsupdate.com:80 is reachable; to depend on neither, import the missing root certificates into Local Computer > Trusted Root Certification " +
			"Authorities (certlm.msc, or certutil -addstore Root FILE.crt); they are published at https://cacerts.digicert.com/.",
	}
}

func rootNames(roots []hostfacts.KnownRoot) string {
	names := make([]string, 0, len(roots))
	for _, r := range roots {
		names = append(names, r.Name)
	}
	return strings.Join(names, " and ")
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}
