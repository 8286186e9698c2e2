package directory

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// search describes one (possibly paged) search.
type search struct {
	base       string
	scope      int
	filter     string
	attrs      []string
	paged      bool
	maxEntries int // more is an error (ErrTooManyEntries)
}

// maxPages bounds a paged search (at PageSize entries a page).
const maxPages = 1000

// MaxSearchValues bounds the attribute values one search keeps, over all
// its pages: 100 users of a FindUsers batch hold about 1,500.
const MaxSearchValues = 200_000

// search runs s, following the paged-results cookie, with every page an
// operation of its own under ctx. Continuation references (referrals to
// other naming contexts, which AD and Samba return for subtree searches of
// a domain NC) are ignored: these reads want this DC's data.
func (s *Session) search(ctx context.Context, q search) ([]*ldap.Entry, time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var paging *ldap.ControlPaging
	var controls []ldap.Control
	if q.paged {
		paging = ldap.NewControlPaging(PageSize)
		controls = []ldap.Control{paging}
	}
	timeLimit := int(DefaultTimeout / time.Second)
	if d, ok := ctx.Deadline(); ok {
		timeLimit = max(1, int(time.Until(d)/time.Second)+1)
	}
	req := ldap.NewSearchRequest(q.base, q.scope, ldap.NeverDerefAliases, 0, min(timeLimit, 300), false,
		q.filter, q.attrs, controls)
	var out []*ldap.Entry
	var total time.Duration
	values := 0
	for page := 0; ; page++ {
		if page == maxPages {
			return out, total, &OpError{Op: "search", Object: q.base, Err: fmt.Errorf("%w: more than %d pages", ErrTooManyEntries, maxPages)}
		}
		var res *ldap.SearchResult
		d, err := s.do(ctx, Op{Kind: "search", Object: q.base, Filter: clipN(q.filter, 200)}, func() (int, error) {
			var err error
			res, err = s.conn.Search(req)
			if res != nil {
				return len(res.Entries), err
			}
			return 0, err
		})
		total += d
		if err != nil {
			return out, total, err
		}
		out = append(out, res.Entries...)
		if q.maxEntries > 0 && len(out) > q.maxEntries {
			return out, total, &OpError{Op: "search", Object: q.base, Err: fmt.Errorf("%w: more than %d", ErrTooManyEntries, q.maxEntries)}
		}
		// Each page is bounded on the wire (the guard); the pages together
		// are bounded here, by the values they keep.
		for _, e := range res.Entries {
			for _, a := range e.Attributes {
				values += len(a.ByteValues)
			}
		}
		if values > MaxSearchValues {
			return nil, total, &OpError{Op: "search", Object: q.base, Err: fmt.Errorf("%w: more than %d values in one search", ErrTooManyObjects, MaxSearchValues)}
		}
		if paging == nil {
			break
		}
		c, ok := ldap.FindControl(res.Controls, ldap.ControlTypePaging).(*ldap.ControlPaging)
		if !ok || len(c.Cookie) == 0 {
			break
		}
		paging.SetCookie(c.Cookie)
	}
	return out, total, nil
}

// values returns up to maxValues values of attr, each cut to MaxValueBytes,
// and whether anything was cut.
func values(e *ldap.Entry, attr string) ([]string, bool) {
	const maxValues = 10000
	raw := e.GetEqualFoldRawAttributeValues(attr)
	cut := len(raw) > maxValues
	raw = raw[:min(len(raw), maxValues)]
	out := make([]string, 0, len(raw))
	for _, v := range raw {
		if len(v) > MaxValueBytes {
			v, cut = v[:MaxValueBytes], true
		}
		out = append(out, string(v))
	}
	return out, cut
}

// value returns the first value of attr (cut to MaxValueBytes), or "".
func value(e *ldap.Entry, attr string) string {
	v := e.GetEqualFoldRawAttributeValue(attr)
	if len(v) > MaxValueBytes {
		v = v[:MaxValueBytes]
	}
	return string(v)
}

func has(e *ldap.Entry, attr string) bool { return len(e.GetEqualFoldRawAttributeValues(attr)) > 0 }

func clipN(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// RootDSE is the DC's rootDSE (read anonymously or bound).
type RootDSE struct {
	DefaultNamingContext       string // this DC's domain
	RootDomainNamingContext    string // the forest root domain
	ConfigurationNamingContext string
	SchemaNamingContext        string
	DNSHostName                string
	ServerName                 string
	CurrentTime                time.Time // zero when absent or unparsable (CurrentTimeRaw keeps the text)
	CurrentTimeRaw             string
	DomainFunctionality        int // -1 when absent
	ForestFunctionality        int
	DCFunctionality            int
	IsGlobalCatalogReady       bool
	IsSynchronized             bool
	SupportedSASLMechanisms    []string
	VendorName                 string // Samba sets it; AD does not
	Latency                    time.Duration
	// Problems lists attributes present but not parsable.
	Problems []string
}

var rootDSEAttrs = []string{
	"defaultNamingContext", "rootDomainNamingContext", "configurationNamingContext", "schemaNamingContext",
	"dnsHostName", "serverName", "currentTime", "domainFunctionality", "forestFunctionality",
	"domainControllerFunctionality", "isGlobalCatalogReady", "isSynchronized", "supportedSASLMechanisms",
	"vendorName",
}

// RootDSE reads the rootDSE. The result is cached for the session's other
// reads (CurrentTime is as of the first read).
func (s *Session) RootDSE(ctx context.Context) (*RootDSE, error) {
	entries, lat, err := s.search(ctx, search{base: "", scope: ldap.ScopeBaseObject, filter: "(objectClass=*)", attrs: rootDSEAttrs, maxEntries: 1})
	if err != nil {
		return nil, err
	}
	if len(entries) != 1 {
		return nil, &OpError{Op: "search", Object: "rootdse", Err: fmt.Errorf("want 1 entry, got %d", len(entries))}
	}
	e := entries[0]
	r := &RootDSE{
		DefaultNamingContext:       value(e, "defaultNamingContext"),
		RootDomainNamingContext:    value(e, "rootDomainNamingContext"),
		ConfigurationNamingContext: value(e, "configurationNamingContext"),
		SchemaNamingContext:        value(e, "schemaNamingContext"),
		DNSHostName:                value(e, "dnsHostName"),
		ServerName:                 value(e, "serverName"),
		CurrentTimeRaw:             value(e, "currentTime"),
		IsGlobalCatalogReady:       strings.EqualFold(value(e, "isGlobalCatalogReady"), "TRUE"),
		IsSynchronized:             strings.EqualFold(value(e, "isSynchronized"), "TRUE"),
		VendorName:                 value(e, "vendorName"),
		Latency:                    lat,
	}
	r.SupportedSASLMechanisms, _ = values(e, "supportedSASLMechanisms")
	if r.CurrentTimeRaw != "" {
		t, err := ParseGeneralizedTime(r.CurrentTimeRaw)
		if err != nil {
			r.Problems = append(r.Problems, err.Error())
		}
		r.CurrentTime = t
	}
	level := func(attr string) int {
		v := value(e, attr)
		if v == "" {
			return -1
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			r.Problems = append(r.Problems, fmt.Sprintf("%s %q: not an integer", attr, clip(v)))
			return -1
		}
		return n
	}
	r.DomainFunctionality = level("domainFunctionality")
	r.ForestFunctionality = level("forestFunctionality")
	r.DCFunctionality = level("domainControllerFunctionality")
	s.mu.Lock()
	s.rootDSE = r
	s.mu.Unlock()
	return r, nil
}

func (s *Session) cachedRootDSE(ctx context.Context) (*RootDSE, error) {
	s.mu.Lock()
	r := s.rootDSE
	s.mu.Unlock()
	if r != nil {
		return r, nil
	}
	return s.RootDSE(ctx)
}

// Domain is one domain of the forest (a crossRef with systemFlags bit 2).
type Domain struct {
	DNSRoot     string // corp.contoso.test
	NCName      string // DC=corp,DC=contoso,DC=test
	NetBIOSName string // CORP
}

// Forest describes the forest as the DC's configuration partition sees it.
type Forest struct {
	RootDomain   string // DNS name of the forest root domain ("" if no crossRef matches)
	RootDomainNC string // rootDSE rootDomainNamingContext
	Domains      []Domain
	// UPNSuffixes are the extra suffixes of the Partitions object
	// (uPNSuffixes); the domains' DNS names are implicit suffixes.
	UPNSuffixes []string
	Truncated   bool // a value list was cut at the package's bounds
	Latency     time.Duration
}

// maxDomains bounds the crossRefs read.
const maxDomains = 5000

// Forest reads the domains and UPN suffixes of the DC's forest from
// CN=Partitions,<configuration NC>.
func (s *Session) Forest(ctx context.Context) (*Forest, error) {
	root, err := s.cachedRootDSE(ctx)
	if err != nil {
		return nil, err
	}
	if root.ConfigurationNamingContext == "" {
		return nil, &OpError{Op: "search", Object: "rootdse", Err: fmt.Errorf("no configurationNamingContext")}
	}
	partitions := "CN=Partitions," + root.ConfigurationNamingContext
	f := &Forest{RootDomainNC: root.RootDomainNamingContext}
	entries, lat, err := s.search(ctx, search{base: partitions, scope: ldap.ScopeBaseObject, filter: "(objectClass=*)",
		attrs: []string{"uPNSuffixes"}, maxEntries: 1})
	f.Latency += lat
	if err != nil {
		return nil, err
	}
	if len(entries) == 1 {
		f.UPNSuffixes, f.Truncated = values(entries[0], "uPNSuffixes")
		sort.Strings(f.UPNSuffixes)
	}
	entries, lat, err = s.search(ctx, search{base: partitions, scope: ldap.ScopeSingleLevel,
		filter: "(&(objectClass=crossRef)(systemFlags:1.2.840.113556.1.4.803:=2))",
		attrs:  []string{"dnsRoot", "nCName", "nETBIOSName"}, paged: true, maxEntries: maxDomains})
	f.Latency += lat
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		d := Domain{DNSRoot: strings.ToLower(value(e, "dnsRoot")), NCName: value(e, "nCName"), NetBIOSName: value(e, "nETBIOSName")}
		f.Domains = append(f.Domains, d)
		if f.RootDomainNC != "" && strings.EqualFold(d.NCName, f.RootDomainNC) {
			f.RootDomain = d.DNSRoot
		}
	}
	sort.Slice(f.Domains, func(i, j int) bool { return f.Domains[i].DNSRoot < f.Domains[j].DNSRoot })
	return f, nil
}
