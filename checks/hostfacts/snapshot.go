// Package hostfacts gathers the facts the host checks evaluate: the Windows
// services, installed programs, folders, registry values, OS version,
// WinHTTP proxy, the agent's own .NET proxy setting and the trusted roots of
// the agent server. The live reader (Windows only) reads
// them read-only; a snapshot file or a fixture gives the same facts on any
// OS. It gathers; the checks package decides.
//
// This is a leaf package: it never imports checks, report or fixtures.
package hostfacts

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/ptacheck/ptacheck/util/jsonstrict"
)

// ErrUnsupportedOS is returned by the live reader on systems other than
// Windows. Host checks map it to skip, never to fail.
var ErrUnsupportedOS = errors.New("host facts need Windows (run on the agent server, or pass --host-snapshot FILE)")

// ErrNoHostFacts is returned by a fixture that emulates no host. Host checks
// map it to skip.
var ErrNoHostFacts = errors.New("the fixture has no host facts (host.json)")

// Source gives the host facts: the live Windows host, a snapshot file or a
// fixture.
type Source interface {
	Snapshot(ctx context.Context) (*Snapshot, error)
}

// SchemaVersion is the version of the snapshot file format. Fields added
// with no change to the meaning of existing ones keep the version (warnings,
// agent_proxy, trusted_roots and services[].delayed_auto_start were added
// to version 1); a field whose meaning changes bumps it. Parsing is strict,
// so an older ptacheck rejects a snapshot with fields it does not know.
const SchemaVersion = "1"

// MaxSnapshotSize caps a snapshot file: real ones are a few KiB.
const MaxSnapshotSize = 1 << 20

// Snapshot is the host facts as JSON: what `ptacheck snapshot` writes and
// what --host-snapshot and fixture host.json files hold. The format is
// documented in the README; it is an input format, so unknown fields and
// duplicate keys are rejected to catch typos.
type Snapshot struct {
	SchemaVersion string `json:"schema_version"`
	CapturedAt    string `json:"captured_at,omitempty"` // RFC 3339, informational
	ComputerName  string `json:"computer_name,omitempty"`
	// Domain is the AD DNS domain the computer is joined to ("" when it
	// is in a workgroup): the default of --domain for the ad.* checks.
	Domain           string           `json:"domain,omitempty"`
	OS               OSInfo           `json:"os"`
	Services         []Service        `json:"services"`
	UninstallEntries []UninstallEntry `json:"uninstall_entries"`
	// Files lists the paths of Paths that exist on the host.
	Files []string `json:"files"`
	// Registry maps a key path ("HKLM\\SOFTWARE\\...") to its values. Only keys
	// of RegistryKeys that exist are present. DWORD and QWORD values are JSON
	// numbers, REG_SZ strings, REG_MULTI_SZ arrays of strings.
	Registry map[string]map[string]any `json:"registry"`
	// WinHTTPProxy is the machine-wide WinHTTP proxy (netsh winhttp show
	// proxy); {"direct": true} when there is none. nil (absent or null):
	// not recorded (an older snapshot, or the read failed, which Warnings
	// then says about "winhttp proxy").
	WinHTTPProxy *WinHTTPProxy `json:"winhttp_proxy,omitempty"`
	// AgentProxy is the agent's effective .NET <defaultProxy> setting (its
	// .exe.config over machine.config); null when neither file has one.
	// Absent from a snapshot (or unreadable on the live host): not
	// recorded, and Unrecorded(EvidenceAgentProxy) says so.
	AgentProxy *AgentProxy `json:"agent_proxy"`
	// TrustedRoots are the RootsOfInterest present in LocalMachine\Root.
	// Absent (nil): not recorded (an older snapshot, or the store could not
	// be read, which Warnings then says); [] : read, none present.
	TrustedRoots []TrustedRoot `json:"trusted_roots,omitzero"`
	// AuthRootPolicy is the Automatic Root Certificates Update policy,
	// which decides whether Windows fetches a missing root on demand.
	// Absent (nil): not recorded (an older snapshot, or the key could not
	// be read, which Warnings then says about "authroot policy").
	AuthRootPolicy *AuthRootPolicy `json:"authroot_policy,omitempty"`
	// Warnings say what the reader could not read, one line each, starting
	// with the fact concerned ("service WAPCSvc: ...", "registry HKLM\...:
	// ...", "uninstall: ...", "file C:\...: ...", "os: ...", "trusted roots:
	// ...", "agent proxy FILE: ..."). Checks that depend on such a fact say
	// so instead of deciding as if it were absent.
	Warnings []string `json:"warnings"`

	// unrecorded are the evidence (Evidence*) a snapshot lacks: a list
	// absent or null in the file, an agent_proxy absent from it. Parse
	// sets it; the live reader records every list (what it could not
	// read is a warning) and leaves agent_proxy unrecorded when a
	// configuration file exists but cannot be read or parsed.
	unrecorded []string
}

// The snapshot's evidence lists: an explicit empty list says "none on this
// host"; an absent one says nothing, and a check that needs it cannot pass.
const (
	EvidenceServices  = "services"
	EvidenceUninstall = "uninstall_entries"
	EvidenceFiles     = "files"
	EvidenceRegistry  = "registry"
)

var evidenceLists = []string{EvidenceServices, EvidenceUninstall, EvidenceFiles, EvidenceRegistry}

// EvidenceAgentProxy is the agent's proxy setting: unlike the lists, its
// null is evidence ("neither configuration file has a <defaultProxy>"), so
// only an absent field (or a live read that failed) leaves it unrecorded.
const EvidenceAgentProxy = "agent_proxy"

// MarshalJSON writes the snapshot; an unrecorded agent_proxy is left out,
// so read back it is still not evidence (its null would say "none").
func (s Snapshot) MarshalJSON() ([]byte, error) {
	type plain Snapshot
	if !slices.Contains(s.unrecorded, EvidenceAgentProxy) {
		return json.Marshal(plain(s))
	}
	return json.Marshal(struct {
		plain
		AgentProxy *AgentProxy `json:"agent_proxy,omitempty"` // shadows the embedded field
	}{plain: plain(s)})
}

// Unrecorded returns those of fields (Evidence*) the snapshot does not
// record, in the order asked. Never nil.
func (s *Snapshot) Unrecorded(fields ...string) []string {
	out := []string{}
	for _, f := range fields {
		if slices.Contains(s.unrecorded, f) {
			out = append(out, f)
		}
	}
	return out
}

// RegAuthRootPolicy is where Group Policy's "Turn off Automatic Root
// Certificates Update" writes DisableRootAutoUpdate (REG_DWORD; 1 turns the
// automatic update of the trusted roots off).
const RegAuthRootPolicy = `HKLM\SOFTWARE\Policies\Microsoft\SystemCertificates\AuthRoot`

// AuthRootPolicy is the Automatic Root Certificates Update policy (see
// https://learn.microsoft.com/windows-server/identity/ad-cs/configure-trusted-roots-disallowed-certificates).
type AuthRootPolicy struct {
	// DisableRootAutoUpdate is the value under RegAuthRootPolicy; null when
	// the value (or the key) does not exist: the policy is not configured,
	// and Windows fetches roots of Microsoft's root program on demand.
	DisableRootAutoUpdate *uint64 `json:"disable_root_auto_update"`
}

// RootAutoUpdate reports whether Windows may fetch a missing root on
// demand: true when DisableRootAutoUpdate is absent or 0.
func (p AuthRootPolicy) RootAutoUpdate() bool {
	return p.DisableRootAutoUpdate == nil || *p.DisableRootAutoUpdate == 0
}

// OSInfo describes the Windows installation.
type OSInfo struct {
	ProductName      string `json:"product_name"`      // "Windows Server 2022 Datacenter"
	Build            int    `json:"build"`             // 20348
	UBR              int    `json:"ubr,omitempty"`     // update build revision
	InstallationType string `json:"installation_type"` // "Server", "Server Core", "Nano Server" or "Client"
	EditionID        string `json:"edition_id,omitempty"`
}

// ServiceStates are the values of Service.State: the service manager's
// SERVICE_STATUS.dwCurrentState, in the reader's words.
var ServiceStates = []string{"running", "stopped", "start-pending", "stop-pending", "continue-pending", "pause-pending", "paused"}

// StartTypes are the values of Service.StartType: the service manager's
// QUERY_SERVICE_CONFIG.dwStartType ("auto" covers a delayed start too,
// which DelayedAutoStart tells).
var StartTypes = []string{"auto", "manual", "disabled", "boot", "system"}

// Service is one Windows service.
type Service struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name,omitempty"`
	State       string `json:"state,omitempty"`      // running, stopped, start-pending, ...
	StartType   string `json:"start_type,omitempty"` // auto, manual, disabled, boot, system
	// DelayedAutoStart is set for an auto service started after the others
	// ("auto (delayed)"); an optional detail.
	DelayedAutoStart bool   `json:"delayed_auto_start,omitempty"`
	BinaryPath       string `json:"binary_path,omitempty"`
}

// UninstallEntry is one "Programs and Features" entry.
type UninstallEntry struct {
	DisplayName    string `json:"display_name"`
	DisplayVersion string `json:"display_version,omitempty"`
	Publisher      string `json:"publisher,omitempty"`
	Key            string `json:"key,omitempty"`
}

// WinHTTPProxy is the WinHTTP default proxy configuration.
type WinHTTPProxy struct {
	Direct bool   `json:"direct"`
	Proxy  string `json:"proxy,omitempty"`  // "host:port" or "http=host:port;https=host:port"
	Bypass string `json:"bypass,omitempty"` // "<local>;*.contoso.com"
}

// Parse decodes and validates a host snapshot. Errors are one line and name
// the position of a syntax error.
func Parse(data []byte) (*Snapshot, error) {
	var s Snapshot
	if err := jsonstrict.Decode(data, &s, true); err != nil {
		return nil, err
	}
	if s.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("schema_version %q is not supported (want %q)", s.SchemaVersion, SchemaVersion)
	}
	if err := s.readPresence(data); err != nil {
		return nil, err
	}
	if s.OS.Build < 0 {
		return nil, fmt.Errorf("os.build %d is negative", s.OS.Build)
	}
	if err := s.checkServices(); err != nil {
		return nil, err
	}
	for i, u := range s.UninstallEntries {
		if strings.TrimSpace(u.DisplayName) == "" {
			return nil, fmt.Errorf("uninstall_entries[%d]: display_name is empty", i)
		}
	}
	if err := s.checkNames(); err != nil {
		return nil, err
	}
	if err := s.checkRegistry(); err != nil {
		return nil, err
	}
	if err := s.checkRest(); err != nil {
		return nil, err
	}
	s.normalize()
	return &s, nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// checkNames rejects names that Windows treats as one: registry keys and
// value names, service names and uninstall keys are case-insensitive, so
// two that differ only in case cannot both exist on a host, and which one
// a lookup found would depend on map order.
func (s *Snapshot) checkNames() error {
	same := func(what string, names []string) error {
		sorted := slices.Clone(names)
		slices.SortFunc(sorted, func(a, b string) int {
			return cmp.Or(strings.Compare(strings.ToLower(a), strings.ToLower(b)), strings.Compare(a, b))
		})
		seen := map[string]string{}
		for _, n := range sorted {
			k := strings.ToLower(n)
			if first, dup := seen[k]; dup {
				return fmt.Errorf("%s %q and %q differ only in case: Windows treats them as one name", what, first, n)
			}
			seen[k] = n
		}
		return nil
	}
	if err := same("registry keys", slices.Collect(maps.Keys(s.Registry))); err != nil {
		return err
	}
	for _, key := range slices.Sorted(maps.Keys(s.Registry)) {
		if err := same("registry "+key+": value names", slices.Collect(maps.Keys(s.Registry[key]))); err != nil {
			return err
		}
	}
	var services, keys []string
	for _, svc := range s.Services {
		services = append(services, svc.Name)
	}
	for _, u := range s.UninstallEntries {
		if u.Key != "" {
			keys = append(keys, u.Key)
		}
	}
	if err := same("services", services); err != nil {
		return err
	}
	return same("uninstall_entries keys", keys)
}

// ReadFile reads and parses a snapshot file, bounded by MaxSnapshotSize.
func ReadFile(path string) (*Snapshot, error) {
	data, err := jsonstrict.ReadFile(path, MaxSnapshotSize)
	if err != nil {
		return nil, err
	}
	return Parse(data)
}

// normalize makes the empty lists of what was recorded [] rather than null,
// so the JSON written and the details built from it show arrays. An
// unrecorded list stays nil and is written as null: read back, it is still
// not evidence.
func (s *Snapshot) normalize() {
	recorded := func(f string) bool { return !slices.Contains(s.unrecorded, f) }
	if s.Services == nil && recorded(EvidenceServices) {
		s.Services = []Service{}
	}
	if s.UninstallEntries == nil && recorded(EvidenceUninstall) {
		s.UninstallEntries = []UninstallEntry{}
	}
	if s.Files == nil && recorded(EvidenceFiles) {
		s.Files = []string{}
	}
	if s.Registry == nil && recorded(EvidenceRegistry) {
		s.Registry = map[string]map[string]any{}
	}
	if s.Warnings == nil {
		s.Warnings = []string{}
	}
	if s.AgentProxy != nil && s.AgentProxy.Bypass == nil {
		s.AgentProxy.Bypass = []string{}
	}
	// TrustedRoots stays nil when absent: nil means "not recorded".
}

// Warn records that a fact could not be read: subject names the fact as the
// checks look it up (see Warnings).
func (s *Snapshot) Warn(subject string, err error) {
	s.Warnings = append(s.Warnings, subject+": "+err.Error())
}

// WarningsAbout returns the warnings about any of subjects ("service
// WAPCSvc", "uninstall", "registry HKLM\..."), matched case-insensitively
// up to the colon that ends the subject. Never nil.
func (s *Snapshot) WarningsAbout(subjects ...string) []string {
	out := []string{}
	for _, w := range s.Warnings {
		for _, sub := range subjects {
			if len(w) > len(sub) && w[len(sub)] == ':' && strings.EqualFold(w[:len(sub)], sub) {
				out = append(out, w)
				break
			}
		}
	}
	return out
}

// Static serves a fixed snapshot (from --host-snapshot or a fixture).
type Static struct{ S *Snapshot }

func (h Static) Snapshot(context.Context) (*Snapshot, error) { return h.S, nil }

// None is the Source of a fixture without host facts.
type None struct{}

func (None) Snapshot(context.Context) (*Snapshot, error) { return nil, ErrNoHostFacts }

// cached collects a source's facts once per run.
type cached struct {
	src  Source
	once sync.Once
	s    *Snapshot
	err  error
}

// Cached returns a Source that asks src once and remembers the answer, so
// several host checks read the live host only once.
func Cached(src Source) Source { return &cached{src: src} }

func (c *cached) Snapshot(ctx context.Context) (*Snapshot, error) {
	c.once.Do(func() { c.s, c.err = c.src.Snapshot(ctx) })
	return c.s, c.err
}

// RegistryKey returns the values of key, matched case-insensitively.
// Parse rejects keys that differ only in case; names are visited in sorted
// order all the same, so a snapshot built in code never depends on map
// order either.
func (s *Snapshot) RegistryKey(key string) (map[string]any, bool) {
	for _, k := range slices.Sorted(maps.Keys(s.Registry)) {
		if strings.EqualFold(k, key) {
			return s.Registry[k], true
		}
	}
	return nil, false
}

// RegistryNumber returns a numeric registry value.
func (s *Snapshot) RegistryNumber(key, name string) (uint64, bool) {
	values, ok := s.RegistryKey(key)
	if !ok {
		return 0, false
	}
	for _, n := range slices.Sorted(maps.Keys(values)) {
		v := values[n]
		if !strings.EqualFold(n, name) {
			continue
		}
		switch v := v.(type) {
		case json.Number:
			u, err := strconv.ParseUint(v.String(), 10, 64)
			return u, err == nil
		case float64:
			return uint64(v), v >= 0
		case uint64:
			return v, true
		case int:
			return uint64(v), v >= 0
		}
	}
	return 0, false
}

// Service returns the service called name.
func (s *Snapshot) Service(name string) (Service, bool) {
	for _, svc := range s.Services {
		if strings.EqualFold(svc.Name, name) {
			return svc, true
		}
	}
	return Service{}, false
}

// ServicesMatching returns the services named in names or whose display name
// starts with one of prefixes.
func (s *Snapshot) ServicesMatching(names, prefixes []string) []Service {
	out := []Service{}
	for _, svc := range s.Services {
		if ContainsFold(names, svc.Name) || HasPrefixFold(svc.DisplayName, prefixes) {
			out = append(out, svc)
		}
	}
	return out
}

// UninstallMatching returns the uninstall entries whose display name starts
// with one of prefixes.
func (s *Snapshot) UninstallMatching(prefixes []string) []UninstallEntry {
	out := []UninstallEntry{}
	for _, u := range s.UninstallEntries {
		if HasPrefixFold(u.DisplayName, prefixes) {
			out = append(out, u)
		}
	}
	return out
}

// FilesAmong returns the paths of paths that the host has.
func (s *Snapshot) FilesAmong(paths []string) []string {
	out := []string{}
	for _, p := range paths {
		if ContainsFold(s.Files, strings.TrimRight(p, `\`)) || ContainsFold(s.Files, p) {
			out = append(out, p)
		}
	}
	return out
}

// RegistryKeysAmong returns the keys of keys that the host has.
func (s *Snapshot) RegistryKeysAmong(keys []string) []string {
	out := []string{}
	for _, k := range keys {
		if _, ok := s.RegistryKey(k); ok {
			out = append(out, k)
		}
	}
	return out
}

// ContainsFold reports whether list holds s, ignoring case.
func ContainsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(e string) bool { return strings.EqualFold(e, s) })
}

// HasPrefixFold reports whether s starts with one of prefixes, ignoring case.
func HasPrefixFold(s string, prefixes []string) bool {
	return slices.ContainsFunc(prefixes, func(p string) bool {
		return len(s) >= len(p) && strings.EqualFold(s[:len(p)], p)
	})
}
