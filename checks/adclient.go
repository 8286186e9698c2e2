package checks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/ptacheck/ptacheck/checks/directory"
	"github.com/ptacheck/ptacheck/checks/netprobe"
)

// ADClient gathers the directory facts the ad.* checks evaluate: the DCs of
// the server's domain (DC locator through the run's resolvers), an LDAP
// session to the first that answers (checks/directory), its rootDSE and
// forest, and the ports the agent needs on each DC (through the run's
// network client). It gathers once per run; the ad.* checks that require
// ad.dc-reachable read the same facts.
type ADClient struct {
	Net     *netprobe.Client
	Options directory.Options // dialer, roots, security and bind
	// LookupTimeout bounds one DNS lookup; PortTimeout one port probe.
	LookupTimeout time.Duration
	PortTimeout   time.Duration
	// Timeout bounds the whole gathering (locate, dial, bind, reads): a
	// DC that does not answer in that time is reported as not answering.
	Timeout time.Duration
	// Logon validates a password on this host as the agent does (LogonUser,
	// directory.LogonNetwork); nil where it does not apply (not Windows, a
	// fixture, another host's snapshot).
	Logon func(ctx context.Context, user, password string) (ok bool, reason directory.Reason, err error)

	gathered memoTable // the facts and user lookups, once per domain and DC list
}

// ADFacts is what the directory said.
type ADFacts struct {
	Domain     string             `json:"domain"`
	Override   bool               `json:"dc_override,omitempty"` // the DCs came from --dc
	DCs        []directory.DC     `json:"dcs"`
	LocateErr  string             `json:"locate_error,omitempty"`
	Attempts   []adAttempt        `json:"attempts"`
	DC         string             `json:"dc,omitempty"` // the DC that answered
	Security   string             `json:"security,omitempty"`
	Bind       string             `json:"bind,omitempty"` // the identity bound as (never a password)
	ConnectMS  float64            `json:"connect_ms,omitempty"`
	BindMS     float64            `json:"bind_ms,omitempty"`
	SearchMS   float64            `json:"search_ms,omitempty"`
	RootDSE    *directory.RootDSE `json:"-"`
	Forest     *directory.Forest  `json:"-"`
	Root       *adRoot            `json:"root_dse,omitempty"`
	ForestInfo *adForest          `json:"forest,omitempty"`
	ForestErr  string             `json:"forest_error,omitempty"`
	// Trusts are the trustedDomain objects of the forest root domain and
	// of this DC's domain; TrustsErr says what could not be read.
	Trusts     []directory.Trust `json:"-"`
	TrustInfo  []adTrust         `json:"trusts,omitempty"`
	TrustsErr  string            `json:"trusts_error,omitempty"`
	Ports      []adPort          `json:"ports"`
	DialErr    error             `json:"-"` // the last dial/bind error when no DC bound
	Anonymous  bool              `json:"anonymous,omitempty"`
	ReceivedAt time.Time         `json:"-"` // local time when currentTime was read (midpoint)
}

// adRoot is the evidence kept of the rootDSE.
type adRoot struct {
	DNSHostName         string `json:"dns_host_name"`
	DefaultNC           string `json:"default_naming_context"`
	RootDomainNC        string `json:"root_domain_naming_context"`
	ConfigurationNC     string `json:"configuration_naming_context"`
	CurrentTime         string `json:"current_time"`
	ForestFunctionality int    `json:"forest_functionality"`
	GlobalCatalogReady  bool   `json:"global_catalog_ready"`
}

// adTrust is the evidence kept of a trust.
type adTrust struct {
	Partner       string   `json:"partner"`
	Direction     string   `json:"direction"`
	Attributes    string   `json:"attributes"` // hex
	TopLevelNames []string `json:"top_level_names,omitempty"`
	Problems      []string `json:"problems,omitempty"`
}

// adForest is the evidence kept of the forest.
type adForest struct {
	Root        string   `json:"root"`
	Domains     []string `json:"domains"`
	UPNSuffixes []string `json:"upn_suffixes"`
}

type adAttempt struct {
	DC        string  `json:"dc"`
	LatencyMS float64 `json:"latency_ms"`
	Error     string  `json:"error,omitempty"`
}

type adPort struct {
	DC      string `json:"dc"`
	Port    int    `json:"port"`
	Service string `json:"service"`
	Outcome string `json:"outcome"`
	Error   string `json:"error,omitempty"`
}

// dcPorts are the ports the agent needs on a DC (pta-facts.md 5; the
// ADConnectivityTool tests 53, 88 and 389).
var dcPorts = []struct {
	port     int
	service  string
	required bool
}{
	{53, "DNS", false}, {88, "Kerberos", true}, {389, "LDAP", true}, {636, "LDAPS", false}, {3268, "Global Catalog", false},
}

// maxDCPortProbes bounds how many DCs get their ports probed.
const maxDCPortProbes = 5

// resolver adapts the run's network client to the directory locator.
type resolver struct {
	net     *netprobe.Client
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
func (c *ADClient) Gather(ctx context.Context, cfg ADConfig) *ADFacts {
	key := "facts|" + strings.ToLower(cfg.Domain) + "|" + strings.Join(cfg.DCs, ",")
	f, _ := memo(ctx, &c.gathered, key, func(ctx context.Context) (*ADFacts, error) { return c.gather(ctx, cfg), nil })
	return f
}

func (c *ADClient) gather(ctx context.Context, cfg ADConfig) *ADFacts {
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	f := &ADFacts{Domain: cfg.Domain, Attempts: []adAttempt{}, Ports: []adPort{}, DCs: []directory.DC{}}
	r := resolver{c.Net, c.LookupTimeout}
	if len(cfg.DCs) > 0 {
		f.Override = true
		for _, s := range cfg.DCs {
			dc, err := directory.ParseDC(s)
			if err != nil {
				f.LocateErr = err.Error()
				return f
			}
			if net.ParseIP(dc.Name) == nil && len(dc.Addrs) == 0 {
				dc.Addrs, dc.ResolveErr = r.LookupHost(ctx, dc.Name)
			}
			f.DCs = append(f.DCs, dc)
		}
	} else {
		dcs, err := directory.Locate(ctx, r, cfg.Domain)
		if err != nil {
			f.LocateErr = err.Error()
			return f
		}
		f.DCs = dcs
	}
	f.Ports = c.probePorts(ctx, f.DCs)
	sess, attempts, err := directory.DialFirst(ctx, f.DCs, c.Options)
	for _, a := range attempts {
		at := adAttempt{DC: a.DC.String(), LatencyMS: msOf(a.Latency)}
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
	f.Root = &adRoot{DNSHostName: root.DNSHostName, DefaultNC: root.DefaultNamingContext, RootDomainNC: root.RootDomainNamingContext,
		ConfigurationNC: root.ConfigurationNamingContext, CurrentTime: root.CurrentTimeRaw, ForestFunctionality: root.ForestFunctionality,
		GlobalCatalogReady: root.IsGlobalCatalogReady}
	f.SearchMS = msOf(root.Latency)
	if f.Anonymous {
		f.ForestErr = "not read: an anonymous bind cannot read the Partitions container"
		return f
	}
	forest, err := sess.Forest(ctx)
	if err != nil {
		f.ForestErr = err.Error()
		return f
	}
	f.Forest = forest
	f.ForestInfo = &adForest{Root: forest.RootDomain, Domains: []string{}, UPNSuffixes: append([]string{}, forest.UPNSuffixes...)}
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
		at := adTrust{Partner: t.Partner, Direction: directory.DirectionName(t.Direction), Attributes: fmt.Sprintf("0x%x", t.Attributes), Problems: t.Problems}
		if t.ForestInfo != nil {
			for _, r := range t.ForestInfo.TopLevelNames() {
				at.TopLevelNames = append(at.TopLevelNames, r.Name)
			}
		}
		f.TrustInfo = append(f.TrustInfo, at)
	}
	return f
}

// probePorts probes the agent's ports on the first DCs, concurrently.
func (c *ADClient) probePorts(ctx context.Context, dcs []directory.DC) []adPort {
	var targets []netprobe.Target
	var out []adPort
	for i, dc := range dcs {
		if i == maxDCPortProbes {
			break
		}
		for _, p := range dcPorts {
			targets = append(targets, netprobe.Target{Host: dc.Name, Port: p.port, Protocol: netprobe.ProtoTCP})
			out = append(out, adPort{DC: dc.Name, Port: p.port, Service: p.service})
		}
	}
	// DC ports are probed direct: the agent reaches its DCs without a proxy.
	results := c.Net.ProbeAllDirect(ctx, targets, c.PortTimeout)
	for i, r := range results {
		out[i].Outcome, out[i].Error = r.Outcome, r.Error
	}
	if out == nil {
		out = []adPort{}
	}
	return out
}

func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// errNoDomain says why the ad.* checks cannot run.
var errNoDomain = errors.New("no AD domain to check: pass --domain (the domain of this server and its users) or --dc, or run on the domain-joined agent server")

// UserFacts is what the directory says about the users of a signin run.
type UserFacts struct {
	Found   map[string]*directory.User // by lower-case UPN, from this server's domain
	Other   map[string]string          // UPN -> the DN found through the global catalog (another domain of the forest)
	Missing []string                   // not found anywhere in the forest
	Policy  *directory.DomainPolicy
	Err     error // the lookup failed as a whole
	Took    time.Duration
}

// Users looks the UPNs up, once per run and list: in batches on the first DC of the
// domain that binds (full attributes and the domain's password policy),
// then, for the ones not found, forest-wide through the global catalog.
func (c *ADClient) Users(ctx context.Context, cfg ADConfig, upns []string) *UserFacts {
	h := sha256.New()
	for _, upn := range upns {
		h.Write([]byte(strings.ToLower(upn) + "\n"))
	}
	key := "users|" + strings.ToLower(cfg.Domain) + "|" + strings.Join(cfg.DCs, ",") + "|" + hex.EncodeToString(h.Sum(nil))
	u, _ := memo(ctx, &c.gathered, key, func(ctx context.Context) (*UserFacts, error) { return c.lookupUsers(ctx, cfg, upns), nil })
	return u
}

func (c *ADClient) lookupUsers(ctx context.Context, cfg ADConfig, upns []string) *UserFacts {
	start := time.Now()
	u := &UserFacts{Found: map[string]*directory.User{}, Other: map[string]string{}, Missing: []string{}}
	defer func() { u.Took = time.Since(start) }()
	f := c.Gather(ctx, cfg)
	if f == nil || len(f.DCs) == 0 {
		u.Err = errors.New("no domain controller (see ad.dc-reachable)")
		return u
	}
	sess, _, err := directory.DialFirst(ctx, f.DCs, c.Options)
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
	var users []*directory.User
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
	gc, _, err := directory.DialFirst(ctx, f.DCs, opts)
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

// UserPassword is the password `signin --password-file` checks. It is
// handed out at most once per account per process, whatever re-runs the
// checks (--retry-timeout, the phases of collect): every failed attempt
// counts toward the account's lockout threshold, so the answer of the first
// attempt is kept and reported again. It never prints its secret.
type UserPassword struct {
	secret string
	mu     sync.Mutex
	tried  map[string]*PasswordAttempt
}

// NewUserPassword holds secret (register it with redact first).
func NewUserPassword(secret string) *UserPassword { return &UserPassword{secret: secret} }

func (p *UserPassword) String() string   { return "(a password, not shown)" }
func (p *UserPassword) GoString() string { return p.String() }

// MarshalJSON never writes the secret.
func (p *UserPassword) MarshalJSON() ([]byte, error) { return []byte(`"(not shown)"`), nil }

// PasswordAttempt is the one attempt of a password for an account.
type PasswordAttempt struct {
	Account string
	At      time.Time
	// Logon is LogonUser's answer on this host (Windows, live runs).
	Logon *LogonAnswer
	// Bind is the simple bind's answer; nil when none was sent (NoBind
	// says why).
	Bind   *directory.PasswordAnswer
	NoBind string
}

// LogonAnswer is what LogonUser (LOGON32_LOGON_NETWORK) answered.
type LogonAnswer struct {
	OK     bool
	Reason directory.Reason // when !OK and Err is nil
	Err    error            // no answer
}

// accountReasons are LogonUser answers that come from the DC's check of
// the account: after one of them a second attempt (the bind) could count
// toward the lockout threshold again, so none is sent.
var accountReasons = map[directory.Reason]bool{
	directory.ReasonNoSuchUser: true, 1323: true, directory.ReasonLogonFailure: true, 1327: true,
	directory.ReasonInvalidLogonHours: true, directory.ReasonInvalidWorkstation: true, directory.ReasonPasswordExpired: true,
	directory.ReasonAccountDisabled: true, directory.ReasonAccountExpired: true, directory.ReasonPasswordMustChange: true,
	directory.ReasonAccountLockedOut: true,
}

// TryPassword tries p for account, once per process: the first call signs
// in (LogonUser on this host when the client has it, then, unless that
// answer came from the DC's check of the account, one simple bind at the
// first of f's DCs that answers); every later call returns the same
// attempt with repeat set.
func (c *ADClient) TryPassword(ctx context.Context, f *ADFacts, account string, p *UserPassword) (a *PasswordAttempt, repeat bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := strings.ToLower(account)
	if a := p.tried[key]; a != nil {
		return a, true
	}
	a = &PasswordAttempt{Account: account, At: time.Now()}
	if p.tried == nil {
		p.tried = map[string]*PasswordAttempt{}
	}
	p.tried[key] = a
	if c.Logon != nil {
		ok, r, err := c.Logon(ctx, account, p.secret)
		a.Logon = &LogonAnswer{OK: ok, Reason: r, Err: err}
		switch {
		case err != nil:
			a.NoBind = "LogonUser got no answer, and may have reached the DC: a second attempt could count toward the lockout threshold again"
		case !ok && accountReasons[r]:
			a.NoBind = fmt.Sprintf("LogonUser's answer (%v) is the DC's check of the account: a second attempt could count toward the lockout threshold again", r)
		}
		if a.NoBind != "" {
			return a, false
		}
	}
	ans := directory.CheckPassword(ctx, f.DCs, c.Options, account, p.secret)
	a.Bind = &ans
	return a, false
}
