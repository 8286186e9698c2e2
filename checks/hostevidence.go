package checks

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ptacheck/ptacheck/checks/hostfacts"
)

// What the host checks share: how the host reader's gaps become the
// checks' unevaluated parts, and the wording of host facts.

// unreadHost is what the host reader could not read about a check's facts.
type unreadHost struct {
	// blind are failures that may hide a finding (a service manager, an
	// Uninstall list, a registry key or a folder that could not be read):
	// the check cannot pass on them, so they become Outcome.Unevaluated.
	blind []string
	// partial are failures about a thing that was found (one service's
	// configuration): shown in the details, the verdict stands.
	partial []string
}

func (u unreadHost) all() []string { return append(append([]string{}, u.blind...), u.partial...) }

// unrecordedLists describes the evidence lists a host snapshot lacks, one
// line each: an absent list is not evidence that nothing is installed.
func unrecordedLists(s *hostfacts.Snapshot, fields ...string) []string {
	var out []string
	for _, f := range s.Unrecorded(fields...) {
		out = append(out, fmt.Sprintf("the host snapshot has no %q (absent or null; an explicit empty one says there are none)", f))
	}
	return out
}

// evidenceOf are the snapshot lists the agent and connector checks read.
var evidenceOf = []string{hostfacts.EvidenceServices, hostfacts.EvidenceUninstall, hostfacts.EvidenceFiles, hostfacts.EvidenceRegistry}

// unreadFacts collects the snapshot's warnings about the given services
// (partial), and about the service manager, the Uninstall lists, paths and
// registry keys (blind).
func unreadFacts(s *hostfacts.Snapshot, services []hostfacts.Service, paths, keys []string) unreadHost {
	blind := []string{"service manager", "uninstall"}
	for _, p := range paths {
		blind = append(blind, "file "+p)
	}
	for _, k := range keys {
		blind = append(blind, "registry "+k)
	}
	var partial []string
	for _, svc := range services {
		partial = append(partial, "service "+svc.Name)
	}
	u := unreadHost{blind: s.WarningsAbout(blind...), partial: []string{}}
	if len(partial) > 0 {
		u.partial = s.WarningsAbout(partial...)
	}
	if len(u.blind) == 0 {
		u.blind = nil // Outcome.Unevaluated: nil means everything was read
	}
	return u
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// prefixed returns sep+s, or "" when s is empty.
func prefixed(sep, s string) string {
	if s == "" {
		return ""
	}
	return sep + s
}

func stateSuffix(state string) string {
	if state == "" {
		return ""
	}
	return ", " + state
}

// versionAtLeast compares dotted numeric versions ("1.5.2482.0").
func versionAtLeast(v, min string) bool {
	a, b := strings.Split(v, "."), strings.Split(min, ".")
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y int
		if i < len(a) {
			x, _ = strconv.Atoi(strings.TrimSpace(a[i]))
		}
		if i < len(b) {
			y, _ = strconv.Atoi(strings.TrimSpace(b[i]))
		}
		if x != y {
			return x > y
		}
	}
	return true
}
