package checks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// ErrUnsupportedOS is returned by the live host on systems other than Windows.
// Host checks map it to skip, never to fail.
var ErrUnsupportedOS = errors.New("host facts need Windows (run on the agent server, or pass --host-snapshot FILE)")

// ErrNoHostFacts is returned by a fixture that emulates no host. Host checks
// map it to skip.
var ErrNoHostFacts = errors.New("the fixture has no host facts (host.json)")

// Host gives the host facts the host checks evaluate. The live Windows host
// reads them read-only from the service manager, the registry and the file
// system; a snapshot file or a fixture gives the same facts on any OS.
type Host interface {
	Snapshot(ctx context.Context) (*HostSnapshot, error)
}

// SnapshotSchemaVersion is the version of the host snapshot file format.
const SnapshotSchemaVersion = "1"

// HostSnapshot is the host facts as JSON: what `ptacheck snapshot` writes and
// what --host-snapshot and fixture host.json files hold. The format is
// documented in the README; it is an input format, so unknown fields are
// rejected to catch typos.
type HostSnapshot struct {
	SchemaVersion    string           `json:"schema_version"`
	CapturedAt       string           `json:"captured_at,omitempty"` // RFC 3339, informational
	ComputerName     string           `json:"computer_name,omitempty"`
	OS               OSInfo           `json:"os"`
	Services         []Service        `json:"services"`
	UninstallEntries []UninstallEntry `json:"uninstall_entries"`
	// Files lists the paths of SnapshotPaths that exist on the host.
	Files []string `json:"files"`
	// Registry maps a key path ("HKLM\\SOFTWARE\\...") to its values. Only keys
	// of SnapshotRegistryKeys that exist are present. DWORD and QWORD values
	// are JSON numbers, REG_SZ strings, REG_MULTI_SZ arrays of strings.
	Registry map[string]map[string]any `json:"registry"`
	// WinHTTPProxy is the machine-wide WinHTTP proxy (netsh winhttp show proxy).
	WinHTTPProxy *WinHTTPProxy `json:"winhttp_proxy,omitempty"`
}

// OSInfo describes the Windows installation.
type OSInfo struct {
	ProductName      string `json:"product_name"`      // "Windows Server 2022 Datacenter"
	Build            int    `json:"build"`             // 20348
	UBR              int    `json:"ubr,omitempty"`     // update build revision
	InstallationType string `json:"installation_type"` // "Server", "Server Core" or "Client"
	EditionID        string `json:"edition_id,omitempty"`
}

// Service is one Windows service.
type Service struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name,omitempty"`
	State       string `json:"state,omitempty"`      // running, stopped, start-pending, ...
	StartType   string `json:"start_type,omitempty"` // auto, manual, disabled, boot, system
	BinaryPath  string `json:"binary_path,omitempty"`
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

// Registry keys and paths the host checks read. The Windows collector reads
// exactly these, so a snapshot carries everything the checks need and nothing
// else.
const (
	regAgent         = `HKLM\SOFTWARE\Microsoft\Azure AD Connect Agents\Azure AD Connect Authentication Agent`
	regNDP4          = `HKLM\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full`
	regTLS12Client   = `HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Client`
	regTLS12Server   = `HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Server`
	regNetFx64       = `HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319`
	regNetFx32       = `HKLM\SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v4.0.30319`
	regAppProxyOld   = `HKLM\SOFTWARE\Microsoft\Microsoft AAD App Proxy Connector`
	regAppProxyAzure = `HKLM\SOFTWARE\Microsoft\Microsoft Azure AD App Proxy Connector`
	regAppProxyEntra = `HKLM\SOFTWARE\Microsoft\Microsoft Entra private network connector`
)

// SnapshotRegistryKeys are the registry keys a snapshot captures.
var SnapshotRegistryKeys = []string{
	regAgent, regNDP4, regTLS12Client, regTLS12Server, regNetFx64, regNetFx32,
	regAppProxyOld, regAppProxyAzure, regAppProxyEntra,
}

// Known service names (pta-facts.md 2.1, 2.2).
const (
	svcPTAAgent        = "AzureADConnectAuthenticationAgent"
	svcPTAUpdater      = "AzureADConnectAgentUpdater" // documented for cloud sync; UNVERIFIED for PTA
	svcAppProxy        = "WAPCSvc"
	svcAppProxyUpdater = "WAPCUpdaterSvc"
)

// SnapshotServices are the service names a snapshot always looks for; the
// collector also keeps any service whose display name starts with one of the
// product prefixes below.
var SnapshotServices = []string{svcPTAAgent, svcPTAUpdater, svcAppProxy, svcAppProxyUpdater}

// Product name prefixes, matched case-insensitively against uninstall
// DisplayNames and service display names. Exact post-rebrand names are
// UNVERIFIED, hence prefixes and both brands.
var (
	appProxyProductPrefixes = []string{
		"Microsoft AAD Application Proxy Connector",
		"Microsoft Azure AD Application Proxy Connector",
		"Microsoft Entra private network connector",
	}
	ptaAgentProductPrefixes = []string{
		"Microsoft Azure AD Connect Authentication Agent",
		"Microsoft Entra Connect Authentication Agent",
	}
)

// SnapshotProductPrefixes are the DisplayName prefixes a snapshot keeps.
func SnapshotProductPrefixes() []string {
	out := append([]string{}, appProxyProductPrefixes...)
	out = append(out, ptaAgentProductPrefixes...)
	return append(out, "Microsoft Azure AD Connect Agent Updater", "Microsoft Entra Connect Agent Updater")
}

// Install folders and executables (pta-facts.md 2.1, 2.2).
var (
	appProxyPaths = []string{
		`C:\Program Files\Microsoft AAD App Proxy Connector`,
		`C:\Program Files\Microsoft AAD App Proxy Connector Updater`,
		`C:\Program Files\Microsoft Azure AD App Proxy Connector`,
		`C:\Program Files\Microsoft Azure AD App Proxy Connector Updater`,
		`C:\Program Files\Microsoft Entra private network connector`,
		`C:\Program Files\Microsoft Entra private network connector Updater`,
	}
	ptaAgentPaths = []string{
		`C:\Program Files\Microsoft Azure AD Connect Authentication Agent\AzureADConnectAuthenticationAgentService.exe`,
		`C:\Program Files\Microsoft Azure AD Connect Authentication Agent`,
	}
)

// SnapshotPaths are the files and folders whose existence a snapshot records.
var SnapshotPaths = append(append([]string{}, appProxyPaths...), ptaAgentPaths...)

// ParseSnapshot decodes and validates a host snapshot. Errors are one line and
// name the position of a syntax error.
func ParseSnapshot(data []byte) (*HostSnapshot, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	var s HostSnapshot
	if err := dec.Decode(&s); err != nil {
		return nil, jsonError(data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON object")
	}
	if s.SchemaVersion != SnapshotSchemaVersion {
		return nil, fmt.Errorf("schema_version %q is not supported (want %q)", s.SchemaVersion, SnapshotSchemaVersion)
	}
	if s.OS.Build < 0 {
		return nil, fmt.Errorf("os.build %d is negative", s.OS.Build)
	}
	for i, svc := range s.Services {
		if strings.TrimSpace(svc.Name) == "" {
			return nil, fmt.Errorf("services[%d]: name is empty", i)
		}
	}
	for i, u := range s.UninstallEntries {
		if strings.TrimSpace(u.DisplayName) == "" {
			return nil, fmt.Errorf("uninstall_entries[%d]: display_name is empty", i)
		}
	}
	for key, values := range s.Registry {
		if !strings.HasPrefix(strings.ToUpper(key), `HKLM\`) {
			return nil, fmt.Errorf("registry key %q: must start with HKLM\\", key)
		}
		for name, v := range values {
			switch v := v.(type) {
			case json.Number, string:
			case []any:
				for _, e := range v {
					if _, ok := e.(string); !ok {
						return nil, fmt.Errorf("registry %s\\%s: a multi-string value holds a non-string", key, name)
					}
				}
			default:
				return nil, fmt.Errorf("registry %s\\%s: value must be a number, string or array of strings", key, name)
			}
		}
	}
	return &s, nil
}

// jsonError makes a decoding error one line with a line:column position.
func jsonError(data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := position(data, syn.Offset)
		return fmt.Errorf("line %d column %d: %v", line, col, syn)
	case errors.As(err, &typ):
		line, col := position(data, typ.Offset)
		return fmt.Errorf("line %d column %d: field %q: cannot use a JSON %s as %s", line, col, typ.Field, typ.Value, typ.Type)
	case errors.Is(err, io.EOF):
		return errors.New("empty file: expected a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("unexpected end of file: the JSON is cut short")
	}
	return err
}

func position(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// SnapshotHost serves a fixed snapshot (from --host-snapshot or a fixture).
type SnapshotHost struct{ S *HostSnapshot }

func (h SnapshotHost) Snapshot(context.Context) (*HostSnapshot, error) { return h.S, nil }

// cachedHost collects the live host's facts once per run.
type cachedHost struct {
	h    Host
	once sync.Once
	s    *HostSnapshot
	err  error
}

// NewCachedHost returns a Host that asks h once and remembers the answer, so
// several host checks read the live host only once.
func NewCachedHost(h Host) Host { return &cachedHost{h: h} }

func (c *cachedHost) Snapshot(ctx context.Context) (*HostSnapshot, error) {
	c.once.Do(func() { c.s, c.err = c.h.Snapshot(ctx) })
	return c.s, c.err
}

// registryKey returns the values of key, matched case-insensitively.
func (s *HostSnapshot) registryKey(key string) (map[string]any, bool) {
	for k, v := range s.Registry {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// registryNumber returns a numeric registry value.
func (s *HostSnapshot) registryNumber(key, name string) (uint64, bool) {
	values, ok := s.registryKey(key)
	if !ok {
		return 0, false
	}
	for n, v := range values {
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

// registryString returns a string registry value.
func (s *HostSnapshot) registryString(key, name string) (string, bool) {
	values, ok := s.registryKey(key)
	if !ok {
		return "", false
	}
	for n, v := range values {
		if strings.EqualFold(n, name) {
			str, ok := v.(string)
			return str, ok
		}
	}
	return "", false
}

func (s *HostSnapshot) service(name string) (Service, bool) {
	for _, svc := range s.Services {
		if strings.EqualFold(svc.Name, name) {
			return svc, true
		}
	}
	return Service{}, false
}

// servicesMatching returns the services named in names or whose display name
// starts with one of prefixes.
func (s *HostSnapshot) servicesMatching(names, prefixes []string) []Service {
	var out []Service
	for _, svc := range s.Services {
		if containsFold(names, svc.Name) || hasPrefixFold(svc.DisplayName, prefixes) {
			out = append(out, svc)
		}
	}
	return out
}

func (s *HostSnapshot) uninstallMatching(prefixes []string) []UninstallEntry {
	var out []UninstallEntry
	for _, u := range s.UninstallEntries {
		if hasPrefixFold(u.DisplayName, prefixes) {
			out = append(out, u)
		}
	}
	return out
}

func (s *HostSnapshot) filesAmong(paths []string) []string {
	var out []string
	for _, p := range paths {
		if containsFold(s.Files, strings.TrimRight(p, `\`)) || containsFold(s.Files, p) {
			out = append(out, p)
		}
	}
	return out
}

func (s *HostSnapshot) registryKeysAmong(keys []string) []string {
	var out []string
	for _, k := range keys {
		if _, ok := s.registryKey(k); ok {
			out = append(out, k)
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, e := range list {
		if strings.EqualFold(e, s) {
			return true
		}
	}
	return false
}

func hasPrefixFold(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			return true
		}
	}
	return false
}

// NoHost is the Host of a fixture without host facts.
type NoHost struct{}

func (NoHost) Snapshot(context.Context) (*HostSnapshot, error) { return nil, ErrNoHostFacts }
