package checks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/go-multierror"

	"github.com/ptacheck/ptacheck/checks/directory"
	"github.com/ptacheck/ptacheck/checks/graph"
	"github.com/ptacheck/ptacheck/util/textfmt"
)

// ad.forest-membership: the UPN suffixes whose users sign in through PTA
// are served by this server's forest, or routed to it by a two-way forest
// trust.

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
	root := f.Forest.RootDomain
	if root == "" {
		root = directory.DomainOfDN(f.Forest.RootDomainNC)
	}
	trusts := f.TrustInfo
	if trusts == nil {
		trusts = []directory.TrustEvidence{}
	}
	details := map[string]any{"forest_root": root, "domains": f.ForestInfo.Domains, "upn_suffixes": f.ForestInfo.UPNSuffixes, "dc": f.DC, "trusts": trusts}
	if f.TrustsErr != "" {
		details["trusts_error"] = f.TrustsErr
	}
	suffixes, classes, out := c.suffixes(ctx, env, details)
	if out != nil {
		return *out
	}
	v := &forestVerdict{f: f, root: root}
	v.classes(classes)
	if len(suffixes) == 0 {
		details["matches"] = []suffixMatch{}
		return v.nothingToServe(classes, details)
	}
	matches := v.match(suffixes)
	details["matches"] = matches
	if len(v.cloudOnly) > 0 {
		details["cloud_only"] = v.cloudOnly
	}
	if v.fail != nil {
		return Outcome{
			Fail:        v.fail.ErrorOrNil(),
			Warn:        v.warn.ErrorOrNil(),
			Unevaluated: v.unevaluated,
			Summary:     fmt.Sprintf("forest %s does not serve %s %s (AADSTS80001)", root, textfmt.Plural(len(v.missing), "UPN suffix", "UPN suffixes"), strings.Join(v.missing, ", ")),
			Details:     details,
		}
	}
	return Outcome{Warn: v.warn.ErrorOrNil(), Unevaluated: v.unevaluated, Summary: v.served(matches), Details: details}
}

// suffixes are the UPN suffixes to check: --upn-suffix, or the tenant's
// verified managed domains that have synchronised users (classes says
// what each managed domain is).
func (c ADForestMembershipCheck) suffixes(ctx context.Context, env *Env, details map[string]any) ([]string, []domainClass, *Outcome) {
	suffixes, source := c.Config.UPNSuffixes, "--upn-suffix"
	var classes []domainClass
	if len(suffixes) == 0 && c.Config.TenantDomains && env.Tenant != nil {
		managed, err := env.Tenant.ManagedDomains(ctx)
		if err != nil {
			return nil, nil, &Outcome{Unevaluated: []string{"the tenant's managed domains (the suffixes to check): " + err.Error()}, Details: details}
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
	return suffixes, classes, nil
}

// forestVerdict collects the findings of ad.forest-membership.
type forestVerdict struct {
	f           *directory.Facts
	root        string
	fail, warn  *multierror.Error
	unevaluated []string
	cloudOnly   []string
	missing     []string
}

// classes notes the cloud-only domains, and warns about a domain this forest
// does not serve whose users could not be counted: never a failure on a guess.
func (v *forestVerdict) classes(classes []domainClass) {
	for _, d := range classes {
		switch d.Class {
		case classCloudOnly:
			v.cloudOnly = append(v.cloudOnly, d.Domain)
		case classUnknown:
			if m := matchSuffix(v.f.Forest, v.f.Trusts, d.Domain); m.Matched == "" {
				v.warn = multierror.Append(v.warn, fmt.Errorf("could not tell whether %s has synchronised users (%s): if it has, forest %s does not serve it", d.Domain, d.Error, v.root))
			}
		}
	}
}

// nothingToServe is the outcome without a suffix to check.
func (v *forestVerdict) nothingToServe(classes []domainClass, details map[string]any) Outcome {
	if classes == nil {
		return Outcome{
			Warn:        fmt.Errorf("forest %s (%s): no UPN suffix to check; pass --upn-suffix for each suffix your users sign in with", v.root, forestSummary(v.f.Forest)),
			Remediation: "Name the UPN suffixes of the users this agent serves with --upn-suffix (repeatable), or let the tenant checks supply the tenant's verified managed domains.",
			Details:     details,
		}
	}
	unknown := len(classes) - len(v.cloudOnly)
	msg := "no verified managed domain of the tenant has synchronised users: nothing for this forest to serve"
	if unknown > 0 {
		msg = fmt.Sprintf("no managed domain is known to have synchronised users: %d of %d could not be classified", unknown, len(classes))
	}
	if len(v.cloudOnly) > 0 {
		msg += " (cloud-only: " + strings.Join(v.cloudOnly, ", ") + ")"
	}
	head := multierror.Append(nil, errors.New(msg))
	if v.warn != nil {
		head = multierror.Append(head, v.warn.Errors...)
	}
	return Outcome{Warn: head.ErrorOrNil(), Details: details}
}

// match finds where each suffix is served, or fails it.
func (v *forestVerdict) match(suffixes []string) []suffixMatch {
	f, root := v.f, v.root
	matches := []suffixMatch{}
	for _, suffix := range suffixes {
		m := matchSuffix(f.Forest, f.Trusts, suffix)
		matches = append(matches, m)
		switch {
		case m.Matched == "" && len(m.TrustProblems) == 0 && f.TrustsErr != "":
			// Not in this forest, and the trusts that might route it
			// could not be read: no verdict on a guess.
			v.unevaluated = append(v.unevaluated, fmt.Sprintf("UPN suffix %s is not in forest %s, and its trusts could not be read: %s", m.Suffix, root, f.TrustsErr))
		case m.Matched == "" && len(m.TrustProblems) > 0:
			v.missing = append(v.missing, m.Suffix)
			v.fail = multierror.Append(v.fail, fmt.Errorf("UPN suffix %s is not in forest %s, and no two-way forest trust routes it here: %s (AADSTS80001)", m.Suffix, root, strings.Join(m.TrustProblems, "; ")))
		case m.Matched == "":
			v.missing = append(v.missing, m.Suffix)
			v.fail = multierror.Append(v.fail, fmt.Errorf("UPN suffix %s is neither a domain of forest %s nor one of its UPN suffixes, and no trust of the forest names it: users signing in as user@%s are in another forest, "+
				"which needs a two-way forest trust with name-suffix routing to this one (AADSTS80001)", m.Suffix, root, m.Suffix))
		case m.Unconfirmed:
			v.warn = multierror.Append(v.warn, fmt.Errorf("UPN suffix %s is under %s, which forest %s has a two-way forest trust with, but the trust's top-level names (msDS-TrustForestTrustInfo) could not be read to confirm name-suffix routing", m.Suffix, m.Where, root))
		}
	}
	return matches
}

// served says where the served suffixes are served.
func (v *forestVerdict) served(matches []suffixMatch) string {
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
	summary := fmt.Sprintf("forest %s serves %s", v.root, strings.Join(where, ", "))
	if len(where) == 0 {
		summary = fmt.Sprintf("forest %s: no UPN suffix could be evaluated", v.root)
	}
	if len(v.cloudOnly) > 0 {
		summary += "; cloud-only, not served by PTA: " + strings.Join(v.cloudOnly, ", ")
	}
	return summary
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

// Where a suffix is served (suffixMatch.Matched).
const (
	servedByDomain      = "domain"
	servedByUPNSuffix   = "upn suffix"
	servedByForestTrust = "two-way forest trust"
)

const (
	classSynced    = "synchronised"
	classCloudOnly = "cloud-only"
	classUnknown   = "unclassified"
	// maxClassified bounds the managed domains whose users are counted;
	// classifyWorkers the Graph calls at once.
	maxClassified   = 100
	classifyWorkers = 4
)
