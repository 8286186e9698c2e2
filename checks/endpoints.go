package checks

import (
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/ptacheck/ptacheck/checks/netprobe"
	"github.com/ptacheck/ptacheck/util/jsonstrict"
	"github.com/ptacheck/ptacheck/util/suggest"
)

// ErrChinaUnverified explains why --cloud china is refused.
var ErrChinaUnverified = errors.New("--cloud china: PTA endpoints for Azure China (21Vianet) are not verified by any current source; ptacheck will not guess them (use public or usgov)")

// ParseCloud recognises a --cloud value.
func ParseCloud(s string) (Cloud, error) {
	switch Cloud(strings.ToLower(s)) {
	case CloudPublic, "":
		return CloudPublic, nil
	case CloudUSGov:
		return CloudUSGov, nil
	case CloudChina:
		return "", ErrChinaUnverified
	}
	if hint := suggest.DidYouMean(s, []string{string(CloudPublic), string(CloudUSGov)}, ""); hint != "" {
		return "", fmt.Errorf("--cloud %q: %s (want public or usgov)", s, hint)
	}
	return "", fmt.Errorf("--cloud %q: want public or usgov", s)
}

// Probe protocols: how far a probe goes after TCP connect.
const (
	ProtoTLS  = netprobe.ProtoTLS  // TLS handshake with certificate verification
	ProtoHTTP = netprobe.ProtoHTTP // TCP connect (through a proxy: an HTTP request)
	ProtoTCP  = netprobe.ProtoTCP  // TCP connect only
)

// Untestable is a catalogue entry no probe can cover, and why.
type Untestable struct {
	Host   string   `json:"host"`
	Ports  []int    `json:"ports"`
	Level  string   `json:"level"`
	Reason string   `json:"reason"`
	Phases []string `json:"phases,omitempty"` // the phases it applies in (empty: all)
}

// EndpointSet is the expanded catalogue for one run.
type EndpointSet struct {
	Cloud          Cloud        `json:"cloud"`
	Targets        []Target     `json:"targets"`
	Untestable     []Untestable `json:"untestable"`
	TrustedIssuers []string     `json:"trusted_issuer_organizations"`
}

type catalogueFile struct {
	SchemaVersion              string   `json:"schema_version"`
	TrustedIssuerOrganizations []string `json:"trusted_issuer_organizations"`
	Clouds                     map[Cloud]struct {
		Description string     `json:"description"`
		Endpoints   []Endpoint `json:"endpoints"`
	} `json:"clouds"`
}

//go:embed data/endpoints.json
var catalogueJSON []byte

var catalogue = mustCatalogue()

func mustCatalogue() catalogueFile {
	var c catalogueFile
	if err := jsonstrict.Decode(catalogueJSON, &c, false); err != nil {
		panic("embedded endpoint catalogue: " + err.Error())
	}
	for _, cloud := range slices.Sorted(maps.Keys(c.Clouds)) {
		for i, e := range c.Clouds[cloud].Endpoints {
			if err := e.validate(); err != nil {
				panic(fmt.Sprintf("embedded endpoint catalogue %s[%d]: %v", cloud, i, err))
			}
		}
	}
	return c
}

// CatalogueEndpoints returns the catalogue entries of a cloud.
func CatalogueEndpoints(c Cloud) []Endpoint { return catalogue.Clouds[c].Endpoints }

// CloudDescription describes a cloud of the catalogue.
func CloudDescription(c Cloud) string { return catalogue.Clouds[c].Description }

// TrustedIssuers returns the issuer organisations Microsoft endpoints are
// expected to present (net.tls-inspection).
func TrustedIssuers() []string { return append([]string{}, catalogue.TrustedIssuerOrganizations...) }

var hostRE = regexp.MustCompile(`^(\*\.)?(\{tenant\}\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$`)

func (e Endpoint) validate() error {
	if !hostRE.MatchString(e.Host) {
		return fmt.Errorf("host %q is not a host name (a leading \"*.\" or \"{tenant}.\" is allowed)", e.Host)
	}
	if len(e.Ports) == 0 {
		return fmt.Errorf("host %q: no ports", e.Host)
	}
	for _, p := range e.Ports {
		if p < 1 || p > 65535 {
			return fmt.Errorf("host %q: port %d out of range", e.Host, p)
		}
	}
	switch e.Protocol {
	case ProtoTLS, ProtoHTTP, ProtoTCP:
	default:
		return fmt.Errorf("host %q: protocol %q: want tls, http or tcp", e.Host, e.Protocol)
	}
	switch e.Level {
	case LevelRequired, LevelOptional, LevelLegacy:
	default:
		return fmt.Errorf("host %q: level %q: want required, optional or legacy", e.Host, e.Level)
	}
	for _, t := range e.TestWith {
		if !hostRE.MatchString(t) || strings.HasPrefix(t, "*.") {
			return fmt.Errorf("host %q: test_with %q is not a concrete host name", e.Host, t)
		}
	}
	for _, p := range e.Phases {
		if !slices.Contains(networkPhases, Phase(p)) {
			return fmt.Errorf("host %q: phase %q: want one of install, register, enable, operate", e.Host, p)
		}
	}
	return nil
}

// probes counts the probes an entry can make: one per port and per name
// (its host, or each test_with name of a wildcard), with --legacy and a
// tenant ID.
func (e Endpoint) probes() int {
	names := 1
	if strings.HasPrefix(e.Host, "*.") {
		names = len(e.TestWith)
	}
	return names * len(e.Ports)
}

// networkPhases are the phases that probe the network.
var networkPhases = []Phase{PhaseInstall, PhaseRegister, PhaseEnable, PhaseOperate}

// ForPhase keeps the targets and untestable entries that apply in phase.
func (s EndpointSet) ForPhase(p Phase) EndpointSet {
	out := s
	out.Targets, out.Untestable = nil, nil
	for _, t := range s.Targets {
		if inPhases(t.Phases, p) {
			out.Targets = append(out.Targets, t)
		}
	}
	for _, u := range s.Untestable {
		if inPhases(u.Phases, p) {
			out.Untestable = append(out.Untestable, u)
		}
	}
	return out
}

func inPhases(phases []string, p Phase) bool {
	return len(phases) == 0 || slices.Contains(phases, string(p))
}

// unionPhases merges the phases of two entries for one target: empty (all
// phases) wins.
func unionPhases(a, b []string) []string {
	if len(a) == 0 || len(b) == 0 {
		return nil
	}
	out := append([]string{}, a...)
	for _, p := range b {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// MaxEndpointsFileSize caps an --endpoints-file.
const MaxEndpointsFileSize = 4 << 20

// MaxEndpoints caps the number of endpoints an --endpoints-file may add.
const MaxEndpoints = 10000

// MaxEndpointProbes caps the probes an --endpoints-file may add: each entry
// makes one probe per port and per name (its host, or each test_with name
// of a wildcard). A 1.3 MB file of 10,000 entries with 20 ports made
// 196,000 probes and held 917 MB; at this cap a run stays under 200 MB.
const MaxEndpointProbes = 10000

// endpointsFile is the --endpoints-file format.
type endpointsFile struct {
	Endpoints []Endpoint `json:"endpoints"`
}

// ParseEndpointsFile reads an --endpoints-file: {"endpoints": [Endpoint...]}.
func ParseEndpointsFile(data []byte) ([]Endpoint, error) {
	var f endpointsFile
	if err := jsonstrict.Decode(data, &f, false); err != nil {
		return nil, err
	}
	if len(f.Endpoints) > MaxEndpoints {
		return nil, fmt.Errorf("%d endpoints: at most %d are allowed", len(f.Endpoints), MaxEndpoints)
	}
	if len(f.Endpoints) == 0 {
		return nil, errors.New(`no endpoints: want {"endpoints": [{"host": ..., "ports": [...], "protocol": ..., "level": ...}]}`)
	}
	probes := 0
	for i, e := range f.Endpoints {
		if err := e.validate(); err != nil {
			return nil, fmt.Errorf("endpoints[%d]: %w", i, err)
		}
		probes += e.probes()
	}
	if probes > MaxEndpointProbes {
		return nil, fmt.Errorf("%d probes (one per port and name of each endpoint): at most %d are allowed", probes, MaxEndpointProbes)
	}
	return f.Endpoints, nil
}

// ReadEndpointsFile reads and parses an --endpoints-file, bounded by
// MaxEndpointsFileSize.
func ReadEndpointsFile(path string) ([]Endpoint, error) {
	data, err := jsonstrict.ReadFile(path, MaxEndpointsFileSize)
	if err != nil {
		return nil, err
	}
	eps, err := ParseEndpointsFile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return eps, nil
}

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ParseTenantID validates a directory (tenant) ID: a GUID, also written in
// braces as Windows tools show it. The result is lower case.
func ParseTenantID(s string) (string, error) {
	id := strings.TrimSpace(s)
	if strings.HasPrefix(id, "{") && strings.HasSuffix(id, "}") {
		id = id[1 : len(id)-1]
	}
	if id == "" && s == "" {
		return "", nil
	}
	if !guidRE.MatchString(id) {
		return "", fmt.Errorf("--tenant-id %q: want the directory (tenant) ID, a GUID such as 84841066-274d-4ec0-a5c1-276be684bdd3", s)
	}
	return strings.ToLower(id), nil
}

// Expand turns catalogue entries into probe targets and untestable entries.
// Targets are de-duplicated by host, port and protocol (the strictest level
// wins) and sorted: required first, then by host and port.
func Expand(cloud Cloud, entries []Endpoint, tenantID string, legacy bool) EndpointSet {
	set := EndpointSet{Cloud: cloud, TrustedIssuers: TrustedIssuers()}
	seen := map[string]int{}
	add := func(t Target) {
		key := t.Addr() + "/" + t.Protocol
		if i, ok := seen[key]; ok {
			if levelRank(t.Level) < levelRank(set.Targets[i].Level) {
				set.Targets[i].Level = t.Level
			}
			set.Targets[i].Phases = unionPhases(set.Targets[i].Phases, t.Phases)
			return
		}
		seen[key] = len(set.Targets)
		set.Targets = append(set.Targets, t)
	}
	tenant := strings.ToLower(strings.TrimSpace(tenantID))
	for _, e := range entries {
		if e.Level == LevelLegacy && !legacy {
			continue
		}
		names := []string{e.Host}
		forPattern := ""
		if strings.HasPrefix(e.Host, "*.") {
			names, forPattern = e.TestWith, e.Host
		}
		var tested bool
		for _, name := range names {
			if strings.Contains(name, "{tenant}") {
				if tenant == "" {
					continue
				}
				name = strings.ReplaceAll(name, "{tenant}", tenant)
			}
			for _, p := range e.Ports {
				add(Target{Target: netprobe.Target{Host: name, Port: p, Protocol: e.Protocol}, Level: e.Level, Purpose: e.Purpose, For: forPattern, Guessed: e.Guessed, Issuers: e.Issuers, Site: e.site, Phases: e.Phases})
			}
			tested = true
		}
		if tested {
			continue
		}
		reason := "not directly testable: a wildcard"
		switch {
		case e.Note != "":
			reason += "; " + e.Note
		case len(e.TestWith) > 0 || strings.Contains(e.Host, "{tenant}"):
			reason = "needs --tenant-id to test " + strings.Join(orHost(e.TestWith, e.Host), ", ")
		}
		set.Untestable = append(set.Untestable, Untestable{Host: e.Host, Ports: e.Ports, Level: e.Level, Reason: reason, Phases: e.Phases})
	}
	// Required first, then optional, then legacy; within a level the
	// catalogue's order, which puts the most important endpoints first
	// (the login hosts before a CRL host).
	sort.SliceStable(set.Targets, func(i, j int) bool {
		return levelRank(set.Targets[i].Level) < levelRank(set.Targets[j].Level)
	})
	return set
}

func orHost(list []string, host string) []string {
	if len(list) > 0 {
		return list
	}
	return []string{host}
}
