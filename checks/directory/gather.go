package directory

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/ptacheck/ptacheck/util/memo"
)

// Deadlines of the shared gatherings: the gathering itself (a DC that does
// not answer in GatherTimeout is reported as not answering), and what a
// run's callers may wait for the facts and the users' accounts. Each ends
// before the deadline of the checks that wait (checks.TestTimeoutsConsistent).
const (
	GatherTimeout = 8 * time.Second
	FactsTimeout  = 20 * time.Second
	UsersTimeout  = 60 * time.Second
)

// Gatherer gathers the directory facts the ad.* checks evaluate: the DCs of
// the server's domain (DC locator through the run's resolvers), an LDAP
// session to the first that answers (this package), its rootDSE and
// forest, and the ports the agent needs on each DC (through the run's
// network client). It gathers once per run; the ad.* checks that require
// ad.dc-reachable read the same facts.
type Gatherer struct {
	Net     Network
	Options Options // dialer, roots, security and bind
	// LookupTimeout bounds one DNS lookup; PortTimeout one port probe.
	LookupTimeout time.Duration
	PortTimeout   time.Duration
	// Timeout bounds the whole gathering (locate, dial, bind, reads): a
	// DC that does not answer in that time is reported as not answering.
	Timeout time.Duration
	// Logon validates a password on this host as the agent does (LogonUser,
	// LogonNetwork); nil where it does not apply (not Windows, a fixture,
	// another host's snapshot).
	Logon func(ctx context.Context, user, password string) (ok bool, reason Reason, err error)

	gathered memo.Table // the facts and user lookups, once per domain and DC list
}

// Network is what the gatherer needs of the run's network client
// (checks/netprobe's Client): DNS lookups for the DC locator, and TCP probes
// of the DCs' ports, direct.
type Network interface {
	LookupSRV(ctx context.Context, name string, timeout time.Duration) ([]*net.SRV, string, error)
	LookupHost(ctx context.Context, host string, timeout time.Duration) ([]string, error)
	ProbePortsDirect(ctx context.Context, hosts []string, ports []int, timeout time.Duration) (outcomes, errs []string)
}

// NewGatherer returns the directory gatherer of a run: the DC locator and
// the port probes go through the run's network client (o.Dialer should be
// its dialer too).
func NewGatherer(net Network, o Options) *Gatherer {
	if o.Budget == nil {
		// One read budget for the run: every DC, every operation.
		o.Budget = NewBudget(0)
	}
	return &Gatherer{Net: net, Options: o, LookupTimeout: 5 * time.Second, PortTimeout: 3 * time.Second, Timeout: GatherTimeout}
}

// Facts is what the directory said.
type Facts struct {
	Domain     string            `json:"domain"`
	Override   bool              `json:"dc_override,omitempty"` // the DCs came from --dc
	DCs        []DC              `json:"dcs"`
	LocateErr  string            `json:"locate_error,omitempty"`
	Attempts   []attemptEvidence `json:"attempts"`
	DC         string            `json:"dc,omitempty"` // the DC that answered
	Security   string            `json:"security,omitempty"`
	Bind       string            `json:"bind,omitempty"` // the identity bound as (never a password)
	ConnectMS  float64           `json:"connect_ms,omitempty"`
	BindMS     float64           `json:"bind_ms,omitempty"`
	SearchMS   float64           `json:"search_ms,omitempty"`
	RootDSE    *RootDSE          `json:"-"`
	Forest     *Forest           `json:"-"`
	Root       *rootEvidence     `json:"root_dse,omitempty"`
	ForestInfo *forestEvidence   `json:"forest,omitempty"`
	ForestErr  string            `json:"forest_error,omitempty"`
	// Trusts are the trustedDomain objects of the forest root domain and
	// of this DC's domain; TrustsErr says what could not be read.
	Trusts     []Trust         `json:"-"`
	TrustInfo  []TrustEvidence `json:"trusts,omitempty"`
	TrustsErr  string          `json:"trusts_error,omitempty"`
	Ports      []PortProbe     `json:"ports"`
	DialErr    error           `json:"-"` // the last dial/bind error when no DC bound
	Anonymous  bool            `json:"anonymous,omitempty"`
	ReceivedAt time.Time       `json:"-"` // local time when currentTime was read (midpoint)
}

// rootEvidence is the evidence kept of the rootDSE.
type rootEvidence struct {
	DNSHostName         string `json:"dns_host_name"`
	DefaultNC           string `json:"default_naming_context"`
	RootDomainNC        string `json:"root_domain_naming_context"`
	ConfigurationNC     string `json:"configuration_naming_context"`
	CurrentTime         string `json:"current_time"`
	ForestFunctionality int    `json:"forest_functionality"`
	GlobalCatalogReady  bool   `json:"global_catalog_ready"`
}

// TrustEvidence is the evidence kept of a trust.
type TrustEvidence struct {
	Partner       string   `json:"partner"`
	Direction     string   `json:"direction"`
	Attributes    string   `json:"attributes"` // hex
	TopLevelNames []string `json:"top_level_names,omitempty"`
	Problems      []string `json:"problems,omitempty"`
}

// forestEvidence is the evidence kept of the forest.
type forestEvidence struct {
	Root        string   `json:"root"`
	Domains     []string `json:"domains"`
	UPNSuffixes []string `json:"upn_suffixes"`
}

type attemptEvidence struct {
	DC        string  `json:"dc"`
	LatencyMS float64 `json:"latency_ms"`
	Error     string  `json:"error,omitempty"`
}

type PortProbe struct {
	DC      string `json:"dc"`
	Port    int    `json:"port"`
	Service string `json:"service"`
	Outcome string `json:"outcome"`
	Error   string `json:"error,omitempty"`
}

// DCPorts are the ports the agent needs on a DC (pta-facts.md 5; the
// ADConnectivityTool tests 53, 88 and 389).
var DCPorts = []struct {
	Port     int
	Service  string
	Required bool
}{
	{53, "DNS", false}, {88, "Kerberos", true}, {389, "LDAP", true}, {636, "LDAPS", false}, {3268, "Global Catalog", false},
}

// MaxDCPortProbes bounds how many DCs get their ports probed.
const MaxDCPortProbes = 5

// resolver adapts the run's network client to the directory locator.
type resolver struct {
	net     Network
	timeout time.Duration
}

func (r resolver) LookupSRV(ctx context.Context, name string) ([]*net.SRV, error) {
	srvs, _, err := r.net.LookupSRV(ctx, name, r.timeout)
	return srvs, err
}

func (r resolver) LookupHost(ctx context.Context, host string) ([]string, error) {
	return r.net.LookupHost(ctx, host, r.timeout)
}

// Gather returns the facts for cfg, gathering them once per run; a caller
// that waits for another's gathering gives up when its ctx ends (nil).
func (c *Gatherer) Gather(ctx context.Context, domain string, dcs []string) *Facts {
	key := "facts|" + strings.ToLower(domain) + "|" + strings.Join(dcs, ",")
	f, _ := memo.Do(ctx, &c.gathered, key, FactsTimeout, func(ctx context.Context) (*Facts, error) { return c.gather(ctx, domain, dcs), nil })
	return f
}

func (c *Gatherer) gather(ctx context.Context, domain string, dcs []string) *Facts {
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	f := &Facts{Domain: domain, Attempts: []attemptEvidence{}, Ports: []PortProbe{}, DCs: []DC{}}
	if !c.locate(ctx, f, dcs) {
		return f
	}
	f.Ports = c.probePorts(ctx, f.DCs)
	sess, attempts, err := DialFirst(ctx, f.DCs, c.Options)
	for _, a := range attempts {
		at := attemptEvidence{DC: a.DC.String(), LatencyMS: msOf(a.Latency)}
		if a.Err != nil {
			at.Error = a.Err.Error()
		}
		f.Attempts = append(f.Attempts, at)
	}
	if err != nil {
		f.DialErr = err
		return f
	}
	defer sess.Close()
	f.DC, f.Security, f.Bind = sess.DC.String(), sess.Security.String(), c.Options.Bind.String()
	f.Anonymous = c.Options.Bind.Anonymous
	f.ConnectMS, f.BindMS = msOf(sess.ConnectLatency), msOf(sess.BindLatency)
	before := time.Now()
	root, err := sess.RootDSE(ctx)
	if err != nil {
		f.DialErr = err
		return f
	}
	f.ReceivedAt = before.Add(time.Since(before) / 2)
	f.RootDSE = root
	f.Root = &rootEvidence{DNSHostName: root.DNSHostName, DefaultNC: root.DefaultNamingContext, RootDomainNC: root.RootDomainNamingContext,
		ConfigurationNC: root.ConfigurationNamingContext, CurrentTime: root.CurrentTimeRaw, ForestFunctionality: root.ForestFunctionality,
		GlobalCatalogReady: root.IsGlobalCatalogReady}
	f.SearchMS = msOf(root.Latency)
	if f.Anonymous {
		f.ForestErr = "not read: an anonymous bind cannot read the Partitions container"
		return f
	}
	readForest(ctx, sess, f)
	return f
}

// locate finds the DCs: the ones given (--dc), or the DC locator's; false
// when they cannot be had (f says why).
func (c *Gatherer) locate(ctx context.Context, f *Facts, dcs []string) bool {
	r := resolver{c.Net, c.LookupTimeout}
	if len(dcs) == 0 {
		located, err := Locate(ctx, r, f.Domain)
		if err != nil {
			f.LocateErr = err.Error()
			return false
		}
		f.DCs = located
		return true
	}
	f.Override = true
	for _, s := range dcs {
		dc, err := ParseDC(s)
		if err != nil {
			f.LocateErr = err.Error()
			return false
		}
		if net.ParseIP(dc.Name) == nil && len(dc.Addrs) == 0 {
			dc.Addrs, dc.ResolveErr = r.LookupHost(ctx, dc.Name)
		}
		f.DCs = append(f.DCs, dc)
	}
	return true
}

// readForest reads the forest and its trusts into f.
func readForest(ctx context.Context, sess *Session, f *Facts) {
	forest, err := sess.Forest(ctx)
	if err != nil {
		f.ForestErr = err.Error()
		return
	}
	f.Forest = forest
	f.ForestInfo = &forestEvidence{Root: forest.RootDomain, Domains: []string{}, UPNSuffixes: append([]string{}, forest.UPNSuffixes...)}
	for _, d := range forest.Domains {
		f.ForestInfo.Domains = append(f.ForestInfo.Domains, d.DNSRoot)
	}
	f.SearchMS = max(f.SearchMS, msOf(forest.Latency))
	trusts, rootErr, err := sess.Trusts(ctx)
	var problems []string
	if rootErr != nil {
		problems = append(problems, "the forest root domain's trusts (where forest trusts are kept): "+rootErr.Error())
	}
	if err != nil {
		problems = append(problems, "this domain's trusts: "+err.Error())
	}
	f.TrustsErr = strings.Join(problems, "; ")
	f.Trusts = trusts
	for _, t := range trusts {
		at := TrustEvidence{Partner: t.Partner, Direction: DirectionName(t.Direction), Attributes: fmt.Sprintf("0x%x", t.Attributes), Problems: t.Problems}
		if t.ForestInfo != nil {
			for _, r := range t.ForestInfo.TopLevelNames() {
				at.TopLevelNames = append(at.TopLevelNames, r.Name)
			}
		}
		f.TrustInfo = append(f.TrustInfo, at)
	}
}

// probePorts probes the agent's ports on the first DCs, concurrently.
func (c *Gatherer) probePorts(ctx context.Context, dcs []DC) []PortProbe {
	var hosts []string
	var ports []int
	var out []PortProbe
	for i, dc := range dcs {
		if i == MaxDCPortProbes {
			break
		}
		for _, p := range DCPorts {
			hosts, ports = append(hosts, dc.Name), append(ports, p.Port)
			out = append(out, PortProbe{DC: dc.Name, Port: p.Port, Service: p.Service})
		}
	}
	// DC ports are probed direct: the agent reaches its DCs without a proxy.
	outcomes, errs := c.Net.ProbePortsDirect(ctx, hosts, ports, c.PortTimeout)
	for i := range outcomes {
		out[i].Outcome, out[i].Error = outcomes[i], errs[i]
	}
	if out == nil {
		out = []PortProbe{}
	}
	return out
}

func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// UserFacts is what the directory says about the users of a signin run.
type UserFacts struct {
	Found   map[string]*User  // by lower-case UPN, from this server's domain
	Other   map[string]string // UPN -> the DN found through the global catalog (another domain of the forest)
	Missing []string          // not found anywhere in the forest
	Policy  *DomainPolicy
	Err     error // the lookup failed as a whole
	Took    time.Duration
}

// Users looks the UPNs up, once per run and list: in batches on the first DC of the
// domain that binds (full attributes and the domain's password policy),
// then, for the ones not found, forest-wide through the global catalog.
func (c *Gatherer) Users(ctx context.Context, domain string, dcs, upns []string) *UserFacts {
	h := sha256.New()
	for _, upn := range upns {
		h.Write([]byte(strings.ToLower(upn) + "\n"))
	}
	key := "users|" + strings.ToLower(domain) + "|" + strings.Join(dcs, ",") + "|" + hex.EncodeToString(h.Sum(nil))
	u, _ := memo.Do(ctx, &c.gathered, key, UsersTimeout, func(ctx context.Context) (*UserFacts, error) { return c.lookupUsers(ctx, domain, dcs, upns), nil })
	return u
}

func (c *Gatherer) lookupUsers(ctx context.Context, domain string, dcs, upns []string) *UserFacts {
	start := time.Now()
	u := &UserFacts{Found: map[string]*User{}, Other: map[string]string{}, Missing: []string{}}
	defer func() { u.Took = time.Since(start) }()
	f := c.Gather(ctx, domain, dcs)
	if f == nil || len(f.DCs) == 0 {
		u.Err = errors.New("no domain controller (see ad.dc-reachable)")
		return u
	}
	sess, _, err := DialFirst(ctx, f.DCs, c.Options)
	if err != nil {
		u.Err = err
		return u
	}
	defer sess.Close()
	found, err := sess.FindUsers(ctx, upns)
	if err != nil {
		u.Err = err
		return u
	}
	for k, v := range found {
		u.Found[strings.ToLower(k)] = v
	}
	// The fine-grained policies of the users the DC's computed attributes
	// do not cover: once per distinct PSO, in a stable order.
	var users []*User
	for _, upn := range upns {
		if x := found[upn]; x != nil && (!x.HasUACComputed || !x.HasPasswordExpiry) {
			users = append(users, x)
		}
	}
	sess.ResolvePSOs(ctx, users)
	if p, err := sess.DomainPolicy(ctx); err == nil {
		u.Policy = p
	}
	var rest []string
	for _, upn := range upns {
		if u.Found[strings.ToLower(upn)] == nil {
			rest = append(rest, upn)
		}
	}
	if len(rest) == 0 {
		return u
	}
	// Users of other domains of the forest: the global catalog knows them.
	opts := c.Options
	opts.GC = true
	gc, _, err := DialFirst(ctx, f.DCs, opts)
	if err != nil {
		u.Missing = rest // not in this domain; the forest-wide answer is unknown
		u.Err = fmt.Errorf("the global catalog could not be searched for %d users: %w", len(rest), err)
		return u
	}
	defer gc.Close()
	other, err := gc.FindUsers(ctx, rest)
	if err != nil {
		u.Err = fmt.Errorf("global catalog search: %w", err)
		return u
	}
	for _, upn := range rest {
		if x := other[upn]; x != nil {
			u.Other[strings.ToLower(upn)] = x.DN
		} else if x := other[strings.ToLower(upn)]; x != nil {
			u.Other[strings.ToLower(upn)] = x.DN
		} else {
			u.Missing = append(u.Missing, upn)
		}
	}
	return u
}
