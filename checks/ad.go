package checks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/ptacheck/ptacheck/checks/directory"
	"github.com/ptacheck/ptacheck/checks/graph"
	"github.com/ptacheck/ptacheck/checks/netprobe"
	"github.com/ptacheck/ptacheck/util/textfmt"
)

// Directory timing thresholds.
const (
	// slowDirectory: a bind plus search slower than this threatens the
	// agent's validation of a sign-in, which has about 7 seconds in all
	// (pta-facts.md 4, unofficial) and needs several directory round trips.
	slowDirectory = 2 * time.Second
	skewWarn      = time.Minute
	skewFail      = 5 * time.Minute // the default Kerberos tolerance
	// adCheckTimeout bounds a directory check: the DC locator, dialling
	// DCs, binding and two searches.
	adCheckTimeout = 20 * time.Second
)

// ADDCReachableCheck finds the DCs of the domain and binds to one: what the
// agent needs to validate a password (AADSTS80001, 80002).
type ADDCReachableCheck struct{ Config ADConfig }

func (ADDCReachableCheck) Meta() Meta {
	return Meta{
		ID:          "ad.dc-reachable",
		Title:       "Domain controller reachable",
		Description: "DC locator (SRV _ldap._tcp.dc._msdcs.<domain>), an LDAP bind to the first DC that answers, bind and search latency, and the DC ports the agent needs (53, 88, 389, 636, 3268)",
		Remediation: "Let this server reach a domain controller of its domain: DNS must serve the DC-locator SRV records, and TCP 88 (Kerberos) and 389 (LDAP) must be open to the DCs " +
			"(AADSTS80001 \"unable to connect to Active Directory\", AADSTS80002 \"a timeout occurred connecting to Active Directory\").",
		DocURL: docPTAError,
	}
}

func (c ADDCReachableCheck) Needs() Needs { return Needs{Directory: &c.Config} }

func (c ADDCReachableCheck) Run(ctx context.Context, env *Env) Outcome {
	f := env.Met.Directory
	if f.LocateErr != "" {
		return Outcome{
			Fail:    fmt.Errorf("no domain controller found for %s: %s", f.Domain, f.LocateErr),
			Summary: "no domain controller found for " + f.Domain + " (AADSTS80001)",
			Remediation: "The DC locator found no DC: check that this server uses the domain's DNS servers (--dns-server to test another) and that " +
				directory.SRVName(f.Domain) + " exists; or name a DC with --dc.",
			Details: f,
		}
	}
	var fail, warn *multierror.Error
	for _, p := range f.Ports {
		if p.Outcome == netprobe.OutcomeOK {
			continue
		}
		if p.Outcome == netprobe.OutcomeCancelled {
			out := Outcome{Unevaluated: []string{fmt.Sprintf("%s port %d (%s)", p.DC, p.Port, p.Service)}, Details: f}
			return out
		}
		finding := fmt.Errorf("%s port %d (%s) is not reachable: %s: %s", p.DC, p.Port, p.Service, p.Outcome, p.Error)
		if portRequired(p.Port) {
			fail = multierror.Append(fail, finding)
		} else {
			warn = multierror.Append(warn, finding)
		}
	}
	if f.DialErr != nil {
		return dialOutcome(f, fail, warn)
	}
	took := time.Duration((f.BindMS + f.SearchMS) * float64(time.Millisecond))
	if took > slowDirectory {
		warn = multierror.Append(warn, fmt.Errorf("bind and search took %s (bind %.0f ms, search %.0f ms): a directory this slow threatens the agent's validation of a sign-in (AADSTS80002)", took.Round(time.Millisecond), f.BindMS, f.SearchMS))
	}
	summary := fmt.Sprintf("%s bound over %s (%s) in %.1f ms, search %.1f ms", f.DC, f.Security, strings.TrimPrefix(f.Bind, "bind as "), f.BindMS, f.SearchMS)
	return Outcome{Fail: fail.ErrorOrNil(), Warn: warn.ErrorOrNil(), Summary: summary, Details: f}
}

func portRequired(port int) bool {
	for _, p := range directory.DCPorts {
		if p.Port == port {
			return p.Required
		}
	}
	return false
}

// dialOutcome explains why no DC bound. A DC that answered but refused our
// bind is reachable: that is not a failure of the directory, but the checks
// that need a bind cannot be evaluated (error), with what to do.
func dialOutcome(f *directory.Facts, fail, warn *multierror.Error) Outcome {
	err := f.DialErr
	switch {
	case directory.IsStrongAuthRequired(err):
		return Outcome{
			Err:         fmt.Errorf("%s answered, but refuses a simple bind over plain LDAP (strongerAuthRequired): %v", f.DCs[0].Name, err),
			Remediation: "The DC requires an encrypted connection for a password bind (as hardened AD and Samba do): use LDAPS, the default, or --ldap-security starttls.",
			Details:     f,
		}
	case directory.IsInvalidCredentials(err):
		return Outcome{
			Err:         fmt.Errorf("a domain controller answered, but refused the bind: %v", err),
			Remediation: "Check --ldap-user and the password (PTACHECK_LDAP_PASSWORD or --ldap-password-file), or run on the domain-joined server as a domain user without them.",
			Details:     f,
		}
	case directory.IsCanceled(err):
		return Outcome{Unevaluated: []string{"binding to a domain controller (cut off)"}, Fail: fail.ErrorOrNil(), Details: f}
	}
	var tlsErr bool
	for _, a := range f.Attempts {
		tlsErr = tlsErr || strings.Contains(a.Error, "tls handshake") || strings.Contains(a.Error, "x509")
	}
	if tlsErr {
		return Outcome{
			Err: fmt.Errorf("no domain controller completed the TLS handshake: %v", err),
			Remediation: "ptacheck verifies the DC's certificate: pass the issuing CA with --ca-file (or, knowingly, --ldap-insecure-skip-verify); " +
				"or use --ldap-security starttls. The agent itself does not use LDAPS.",
			Details: f,
		}
	}
	fail = multierror.Append(fail, fmt.Errorf("no domain controller of %s answered: %v", f.Domain, err))
	return Outcome{Fail: fail.ErrorOrNil(), Warn: warn.ErrorOrNil(), Summary: "no domain controller of " + f.Domain + " answered (AADSTS80001)", Details: f}
}

// ADForestMembershipCheck proves from the directory that this server's
// forest serves every UPN suffix whose users sign in through PTA: the agent
// validates passwords in its own forest, or, through a two-way forest trust
// with name-suffix routing, in a trusted one (AADSTS80001). Which suffixes
// must be served is evidence too: --upn-suffix names them, or the tenant's
// verified managed domains that have synchronised users (cloud-only users
// never reach an agent).
type ADForestMembershipCheck struct{ Config ADConfig }

func (ADForestMembershipCheck) Meta() Meta {
	return Meta{
		ID:    "ad.forest-membership",
		Title: "Same forest as the users",
		Description: "every UPN suffix users sign in with through PTA (--upn-suffix, or the tenant's verified managed domains that have synchronised users) is a domain or a UPN suffix of this server's forest, " +
			"or is routed to a forest this one has a two-way forest trust with",
		Remediation: "Install the agent on a server in the forest of the users whose passwords it validates, or add the suffix to this forest (Active Directory Domains and Trusts, " +
			"UPN suffixes); users of another forest need a two-way forest trust with name-suffix routing to this one.",
		DocURL: docForest,
	}
}

// Where a suffix is served (suffixMatch.Matched).
const (
	servedByDomain      = "domain"
	servedByUPNSuffix   = "upn suffix"
	servedByForestTrust = "two-way forest trust"
)

// suffixMatch says where a UPN suffix is served, or why not.
type suffixMatch struct {
	Suffix  string `json:"suffix"`
	Matched string `json:"matched"` // servedBy*, or "" when not served
	Where   string `json:"where,omitempty"`
	// Unconfirmed: served by a two-way forest trust whose top-level names
	// (msDS-TrustForestTrustInfo) could not be read.
	Unconfirmed bool `json:"unconfirmed,omitempty"`
	// TrustProblems say why trusts that name the suffix do not serve it.
	TrustProblems []string `json:"trust_problems,omitempty"`
}

// domainClass is what the tenant says about one managed domain.
type domainClass struct {
	Domain      string `json:"domain"`
	Class       string `json:"class"` // classSynced, classCloudOnly or classUnknown
	SyncedUsers *int   `json:"synchronised_users,omitempty"`
	Error       string `json:"error,omitempty"`
}

const (
	classSynced    = "synchronised"
	classCloudOnly = "cloud-only"
	classUnknown   = "unclassified"
	// maxClassified bounds the managed domains whose users are counted;
	// classifyWorkers the Graph calls at once.
	maxClassified   = 100
	classifyWorkers = 4
)

func (c ADForestMembershipCheck) Needs() Needs {
	return Needs{Directory: &c.Config, Graph: []graph.Call{graph.CallDomains, graph.CallUser}}
}

func (c ADForestMembershipCheck) Run(ctx context.Context, env *Env) Outcome {
	f := env.Met.Directory
	if f.Forest == nil {
		if c.Config.NoBindReason != "" {
			return Skipped("%s", c.Config.NoBindReason)
		}
		if f.ForestErr == "" {
			return Outcome{Err: errors.New("the forest could not be read: no domain controller bound (see ad.dc-reachable)"), Details: f}
		}
		return Outcome{Err: fmt.Errorf("read the forest's domains and UPN suffixes: %s", f.ForestErr), Details: f}
	}
	forest := f.Forest
	root := forest.RootDomain
	if root == "" {
		root = directory.DomainOfDN(forest.RootDomainNC)
	}
	trusts := f.TrustInfo
	if trusts == nil {
		trusts = []directory.TrustEvidence{}
	}
	details := map[string]any{"forest_root": root, "domains": f.ForestInfo.Domains, "upn_suffixes": f.ForestInfo.UPNSuffixes, "dc": f.DC, "trusts": trusts}
	if f.TrustsErr != "" {
		details["trusts_error"] = f.TrustsErr
	}
	suffixes, source := c.Config.UPNSuffixes, "--upn-suffix"
	var classes []domainClass
	if len(suffixes) == 0 && c.Config.TenantDomains && env.Tenant != nil {
		managed, err := env.Tenant.ManagedDomains(ctx)
		if err != nil {
			return Outcome{Unevaluated: []string{"the tenant's managed domains (the suffixes to check): " + err.Error()}, Details: details}
		}
		classes = classifyDomains(ctx, env.Tenant, managed)
		details["tenant_domains"] = classes
		suffixes = []string{}
		for _, d := range classes {
			if d.Class == classSynced {
				suffixes = append(suffixes, d.Domain)
			}
		}
		source = "the tenant's verified managed domains with synchronised users"
	}
	details["suffixes_from"] = source
	var fail, warn *multierror.Error
	var unevaluated []string
	var cloudOnly []string
	for _, d := range classes {
		switch d.Class {
		case classCloudOnly:
			cloudOnly = append(cloudOnly, d.Domain)
		case classUnknown:
			// Only a domain this forest does not serve needs its class:
			// warn, never fail on a guess.
			if m := matchSuffix(forest, f.Trusts, d.Domain); m.Matched == "" {
				warn = multierror.Append(warn, fmt.Errorf("could not tell whether %s has synchronised users (%s): if it has, forest %s does not serve it", d.Domain, d.Error, root))
			}
		}
	}
	if len(suffixes) == 0 {
		details["matches"] = []suffixMatch{}
		if classes != nil {
			unknown := len(classes) - len(cloudOnly)
			msg := "no verified managed domain of the tenant has synchronised users: nothing for this forest to serve"
			if unknown > 0 {
				msg = fmt.Sprintf("no managed domain is known to have synchronised users: %d of %d could not be classified", unknown, len(classes))
			}
			if len(cloudOnly) > 0 {
				msg += " (cloud-only: " + strings.Join(cloudOnly, ", ") + ")"
			}
			head := multierror.Append(nil, errors.New(msg))
			if warn != nil {
				head = multierror.Append(head, warn.Errors...)
			}
			return Outcome{Warn: head.ErrorOrNil(), Details: details}
		}
		return Outcome{
			Warn:        fmt.Errorf("forest %s (%s): no UPN suffix to check; pass --upn-suffix for each suffix your users sign in with", root, forestSummary(forest)),
			Remediation: "Name the UPN suffixes of the users this agent serves with --upn-suffix (repeatable), or let the tenant checks supply the tenant's verified managed domains.",
			Details:     details,
		}
	}
	matches := []suffixMatch{}
	var missing []string
	for _, suffix := range suffixes {
		m := matchSuffix(forest, f.Trusts, suffix)
		matches = append(matches, m)
		switch {
		case m.Matched == "" && len(m.TrustProblems) == 0 && f.TrustsErr != "":
			// Not in this forest, and the trusts that might route it
			// could not be read: no verdict on a guess.
			unevaluated = append(unevaluated, fmt.Sprintf("UPN suffix %s is not in forest %s, and its trusts could not be read: %s", m.Suffix, root, f.TrustsErr))
		case m.Matched == "" && len(m.TrustProblems) > 0:
			missing = append(missing, m.Suffix)
			fail = multierror.Append(fail, fmt.Errorf("UPN suffix %s is not in forest %s, and no two-way forest trust routes it here: %s (AADSTS80001)", m.Suffix, root, strings.Join(m.TrustProblems, "; ")))
		case m.Matched == "":
			missing = append(missing, m.Suffix)
			fail = multierror.Append(fail, fmt.Errorf("UPN suffix %s is neither a domain of forest %s nor one of its UPN suffixes, and no trust of the forest names it: users signing in as user@%s are in another forest, "+
				"which needs a two-way forest trust with name-suffix routing to this one (AADSTS80001)", m.Suffix, root, m.Suffix))
		case m.Unconfirmed:
			warn = multierror.Append(warn, fmt.Errorf("UPN suffix %s is under %s, which forest %s has a two-way forest trust with, but the trust's top-level names (msDS-TrustForestTrustInfo) could not be read to confirm name-suffix routing", m.Suffix, m.Where, root))
		}
	}
	details["matches"] = matches
	if len(cloudOnly) > 0 {
		details["cloud_only"] = cloudOnly
	}
	if fail != nil {
		return Outcome{
			Fail:        fail.ErrorOrNil(),
			Warn:        warn.ErrorOrNil(),
			Unevaluated: unevaluated,
			Summary:     fmt.Sprintf("forest %s does not serve %s %s (AADSTS80001)", root, textfmt.Plural(len(missing), "UPN suffix", "UPN suffixes"), strings.Join(missing, ", ")),
			Details:     details,
		}
	}
	var where []string
	for _, m := range matches {
		if m.Matched == "" {
			continue
		}
		w := m.Suffix + " (" + m.Matched
		if m.Matched == servedByForestTrust {
			w += " with " + m.Where
		}
		where = append(where, w+")")
	}
	summary := fmt.Sprintf("forest %s serves %s", root, strings.Join(where, ", "))
	if len(where) == 0 {
		summary = fmt.Sprintf("forest %s: no UPN suffix could be evaluated", root)
	}
	if len(cloudOnly) > 0 {
		summary += "; cloud-only, not served by PTA: " + strings.Join(cloudOnly, ", ")
	}
	return Outcome{Warn: warn.ErrorOrNil(), Unevaluated: unevaluated, Summary: summary, Details: details}
}

// classifyDomains counts each managed domain's synchronised users (at most
// maxClassified domains, classifyWorkers at a time), in the order given.
func classifyDomains(ctx context.Context, t *graph.Tenant, domains []string) []domainClass {
	out := make([]domainClass, len(domains))
	sem := make(chan struct{}, classifyWorkers)
	var wg sync.WaitGroup
	for i, d := range domains {
		out[i] = domainClass{Domain: strings.ToLower(d), Class: classUnknown}
		if i >= maxClassified {
			out[i].Error = fmt.Sprintf("not counted: more than %d managed domains", maxClassified)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				out[i].Error = ctx.Err().Error()
				return
			}
			n, err := t.SyncedUsers(ctx, d)
			switch {
			case err != nil:
				out[i].Error = err.Error()
			case n > 0:
				out[i].Class, out[i].SyncedUsers = classSynced, &n
			default:
				out[i].Class, out[i].SyncedUsers = classCloudOnly, &n
			}
		}()
	}
	wg.Wait()
	return out
}

// matchSuffix says where the forest serves suffix: one of its domains, one
// of its UPN suffixes, or a top-level name of a two-way forest trust
// (name-suffix routing); otherwise why the trusts that name it do not.
func matchSuffix(forest *directory.Forest, trusts []directory.Trust, suffix string) suffixMatch {
	m := suffixMatch{Suffix: strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(suffix, "@"), "."))}
	for _, d := range forest.Domains {
		if strings.EqualFold(d.DNSRoot, m.Suffix) {
			m.Matched, m.Where = servedByDomain, d.DNSRoot
			return m
		}
	}
	if i := slices.IndexFunc(forest.UPNSuffixes, func(s string) bool { return strings.EqualFold(s, m.Suffix) }); i >= 0 {
		m.Matched, m.Where = servedByUPNSuffix, "CN=Partitions uPNSuffixes"
		return m
	}
	for _, t := range trusts {
		if t.Attributes&directory.TrustAttrWithinForest != 0 || t.Partner == "" {
			continue // a trust inside this forest
		}
		forestTrust := t.Attributes&directory.TrustAttrForestTransitive != 0
		covered, unconfirmed, why := trustCovers(t, m.Suffix, forestTrust)
		if !covered {
			if why != "" {
				m.TrustProblems = append(m.TrustProblems, why)
			}
			continue
		}
		switch {
		case !forestTrust:
			m.TrustProblems = append(m.TrustProblems, fmt.Sprintf("the trust with %s is an external trust (trustAttributes 0x%x), not a forest trust: UPN suffixes are routed only over forest trusts", t.Partner, t.Attributes))
		case t.Direction != directory.TrustDirectionBidirectional:
			m.TrustProblems = append(m.TrustProblems, fmt.Sprintf("the forest trust with %s is %s: PTA needs a two-way forest trust", t.Partner, directory.DirectionName(t.Direction)))
		default:
			m.Matched, m.Where, m.Unconfirmed = servedByForestTrust, t.Partner, unconfirmed
			return m
		}
	}
	return m
}

// trustCovers says whether trust t routes suffix: an enabled top-level name
// of its forest information equals the suffix or is a parent of it, and no
// exclusion does; without forest information, its partner's name (then
// unconfirmed). why explains a name that matches but does not route.
func trustCovers(t directory.Trust, suffix string, forestTrust bool) (covered, unconfirmed bool, why string) {
	under := func(name string) bool {
		name = strings.ToLower(name)
		return name != "" && (suffix == name || strings.HasSuffix(suffix, "."+name))
	}
	if !forestTrust || t.ForestInfo == nil {
		if !forestTrust {
			return suffix == t.Partner, false, ""
		}
		return under(t.Partner), true, ""
	}
	for _, x := range t.ForestInfo.Excluded() {
		if under(x) {
			return false, false, fmt.Sprintf("the forest trust with %s excludes %s from name-suffix routing", t.Partner, x)
		}
	}
	var disabled string
	for _, r := range t.ForestInfo.TopLevelNames() {
		if !under(r.Name) {
			continue
		}
		if r.Flags&(directory.TLNDisabledNew|directory.TLNDisabledAdmin|directory.TLNDisabledConflict) == 0 {
			return true, false, ""
		}
		disabled = fmt.Sprintf("name-suffix routing of %s is disabled on the forest trust with %s (flags 0x%x)", r.Name, t.Partner, r.Flags)
	}
	return false, false, disabled
}

func forestSummary(f *directory.Forest) string {
	var ds []string
	for _, d := range f.Domains {
		ds = append(ds, d.DNSRoot)
	}
	s := "domains " + strings.Join(ds, ", ")
	if len(f.UPNSuffixes) > 0 {
		s += "; UPN suffixes " + strings.Join(f.UPNSuffixes, ", ")
	}
	return s
}

// ADTimeSkewCheck compares the DC's clock (rootDSE currentTime) with this
// server's: Kerberos tolerates 5 minutes by default (AADSTS80013).
type ADTimeSkewCheck struct{ Config ADConfig }

func (ADTimeSkewCheck) Meta() Meta {
	return Meta{
		ID:          "ad.time-skew",
		Title:       "Clock in step with the DC",
		Description: "the DC's currentTime and this server's clock differ by less than 1 minute (warn) / 5 minutes (fail, the Kerberos tolerance)",
		Remediation: "Synchronise this server's clock with the domain hierarchy (w32tm /resync; the Windows Time service on domain members follows the DCs) " +
			"(AADSTS80013: time skew between the agent and AD).",
		DocURL: docClock,
	}
}

func (c ADTimeSkewCheck) Needs() Needs { return Needs{Directory: &c.Config} }

func (c ADTimeSkewCheck) Run(ctx context.Context, env *Env) Outcome {
	f := env.Met.Directory
	if f.RootDSE == nil {
		return Outcome{Err: errors.New("the DC's time could not be read: no domain controller answered (see ad.dc-reachable)"), Details: f}
	}
	dc := f.RootDSE.CurrentTime
	if dc.IsZero() {
		return Outcome{Err: fmt.Errorf("the DC's rootDSE has no usable currentTime (%q)", f.RootDSE.CurrentTimeRaw), Details: f}
	}
	local := f.ReceivedAt
	if env.Now != nil {
		// The run's clock (a fixture's fixed clock) at the moment of the read.
		local = env.Now().Add(-time.Since(f.ReceivedAt))
	}
	// currentTime has whole seconds: the DC's clock was somewhere in that
	// second, so compare with its middle.
	if dc.Equal(dc.Truncate(time.Second)) {
		dc = dc.Add(500 * time.Millisecond)
	}
	skew := local.Sub(dc)
	abs := skew
	if abs < 0 {
		abs = -abs
	}
	details := map[string]any{"dc": f.DC, "dc_time": dc.UTC().Format(time.RFC3339), "local_time": local.UTC().Format(time.RFC3339), "skew_seconds": skew.Round(time.Second).Seconds()}
	ahead := "ahead of"
	if skew < 0 {
		ahead = "behind"
	}
	// currentTime has whole seconds, so a skew under one second is below
	// what the DC's clock can show: "0s ahead" or "0s behind" would be chance.
	if abs < time.Second {
		return Outcome{Summary: fmt.Sprintf("this server's clock is in step with %s (less than 1 second apart)", f.DC), Details: details}
	}
	msg := fmt.Sprintf("this server's clock is %s %s %s", abs.Round(time.Second), ahead, f.DC)
	switch {
	case abs > skewFail:
		return Outcome{Fail: errors.New(msg + ": more than the 5-minute Kerberos tolerance (AADSTS80013)"), Details: details}
	case abs > skewWarn:
		return Outcome{Warn: errors.New(msg + ": within the 5-minute Kerberos tolerance, but drifting"), Details: details}
	}
	return Outcome{Summary: msg + " (within 1 minute)", Details: details}
}
