package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-multierror"
	"github.com/ptacheck/ptacheck/checks/directory"
	"github.com/ptacheck/ptacheck/checks/graph"
	"github.com/ptacheck/ptacheck/checks/hostfacts"
)

// What a check needs before it can decide, and how the runner meets it.

// Needs are what a check needs before it can decide. The runner meets them
// before it runs the check and turns an unmet need into the check's skip or
// error, with the reason; the check finds what they brought in Env.Met, so
// it carries no precondition of its own.
type Needs struct {
	Host bool // the host facts
	// Directory: the directory facts of this domain (its DCs located, one
	// bound and read).
	Directory *ADConfig
	// Signin: the users of a signin run, resolved through their cloud
	// accounts when Graph can be read (Facts.Signin).
	Signin *SigninConfig
	// Users: those users' accounts, read from their domain's DCs (it
	// implies Signin).
	Users *SigninConfig
	// Tenant: a Graph client ready to read this tenant (a token).
	Tenant *TenantConfig
	// Graph are the Graph reads the check makes: the sign-in asks for
	// their scopes (Scopes), and for no more.
	Graph []graph.Call
}

// errNoDomain says why the ad.* and user.* checks cannot run.
var errNoDomain = errors.New("no AD domain to check: pass --domain (the domain of this server and its users) or --dc, or run on the domain-joined agent server")

// needer is a check that needs something before it can decide.
type needer interface{ Needs() Needs }

// NeedsOf returns what c needs (nothing, for a check that reaches the world
// through Env's clients itself).
func NeedsOf(c Check) Needs {
	if n, ok := c.(needer); ok {
		return n.Needs()
	}
	return Needs{}
}

// Needs returns what the entry's check needs.
func (e Entry) Needs() Needs { return NeedsOf(e.Check) }

// Scopes returns the delegated scopes the Graph reads of the plan need, for
// the Graph at graphURL; nil when no check reads Graph.
func Scopes(graphURL string, plan []Entry) []string {
	var calls []graph.Call
	for _, e := range plan {
		calls = append(calls, e.Needs().Graph...)
	}
	if len(calls) == 0 {
		return nil
	}
	return graph.Scopes(graphURL, calls...)
}

// runWithNeeds meets c's needs and runs it with what they brought; an unmet
// need is the check's outcome.
func runWithNeeds(ctx context.Context, env *Env, c Check) Outcome {
	met, out := meet(ctx, env, NeedsOf(c))
	if out != nil {
		return *out
	}
	withFacts := *env
	withFacts.Met = met
	return c.Run(ctx, &withFacts)
}

// meet gathers what n asks for, or says why it cannot be had.
func meet(ctx context.Context, env *Env, n Needs) (Facts, *Outcome) {
	var f Facts
	var out *Outcome
	if n.Host {
		if f.Host, out = meetHost(ctx, env); out != nil {
			return f, out
		}
	}
	if n.Directory != nil {
		if f.Directory, out = meetDirectory(ctx, env, *n.Directory); out != nil {
			return f, out
		}
	}
	if n.Users != nil && n.Signin == nil {
		n.Signin = n.Users
	}
	if n.Signin != nil {
		if len(n.Signin.Users) == 0 {
			return f, skipNeed("no user to diagnose: pass --user UPN or --users-file FILE")
		}
		f.Signin = signinUsers(ctx, env, *n.Signin)
	}
	if n.Users != nil {
		if f.Users, out = meetUsers(ctx, env, *n.Users, f.Signin); out != nil {
			return f, out
		}
	}
	if n.Tenant != nil {
		if f.Tenant, out = meetTenant(env, *n.Tenant); out != nil {
			return f, out
		}
	}
	return f, nil
}

func skipNeed(format string, args ...any) *Outcome {
	out := Skipped(format, args...)
	return &out
}

func needError(err error) *Outcome {
	out := Errored(err, nil)
	return &out
}

func needCutOff(what string) *Outcome { return &Outcome{Unevaluated: []string{what}} }

// meetHost reads the host facts: a host without them (another OS, a
// fixture that emulates none) skips, a failed read is an error.
func meetHost(ctx context.Context, env *Env) (*hostfacts.Snapshot, *Outcome) {
	if env.Host == nil {
		return nil, skipNeed("no host facts available")
	}
	s, err := env.Host.Snapshot(ctx)
	switch {
	case errors.Is(err, hostfacts.ErrUnsupportedOS) || errors.Is(err, hostfacts.ErrNoHostFacts):
		return nil, skipNeed("%v", err)
	case err != nil:
		return nil, needError(fmt.Errorf("read host facts: %w", err))
	case s == nil:
		return nil, skipNeed("%v", hostfacts.ErrNoHostFacts)
	}
	return s, nil
}

// meetDirectory gathers (or reuses) the directory facts of cfg's domain.
func meetDirectory(ctx context.Context, env *Env, cfg ADConfig) (*directory.Facts, *Outcome) {
	switch {
	case cfg.Domain == "" && len(cfg.DCs) == 0:
		return nil, skipNeed("%v", errNoDomain)
	case env.AD == nil:
		return nil, needError(errors.New("no directory client in this run"))
	}
	f := env.AD.Gather(ctx, cfg.Domain, cfg.DCs)
	if f == nil {
		return nil, needCutOff("the directory facts (cut off while another check gathered them)")
	}
	return f, nil
}

// meetUsers looks the users' AD accounts up (or reuses the lookup).
func meetUsers(ctx context.Context, env *Env, cfg SigninConfig, users []signinUser) (*directory.UserFacts, *Outcome) {
	names := accounts(users)
	switch {
	case len(names) == 0:
		return nil, skipNeed("no user signs in through PTA (%s: see user.cloud-upn)", strings.Join(notPTA(users)[:min(5, len(notPTA(users)))], ", "))
	case cfg.AD.Domain == "" && len(cfg.AD.DCs) == 0:
		return nil, skipNeed("%v", errNoDomain)
	case cfg.AD.NoBindReason != "":
		return nil, skipNeed("%s", strings.Replace(cfg.AD.NoBindReason, "reading the forest", "reading the users' accounts", 1))
	case env.AD == nil:
		return nil, needError(errors.New("no directory client in this run"))
	}
	u := env.AD.Users(ctx, cfg.AD.Domain, cfg.AD.DCs, names)
	if u == nil {
		return nil, needCutOff("the users' accounts (cut off while another check read them)")
	}
	if u.Err != nil && len(u.Found) == 0 && len(u.Other) == 0 {
		if errors.Is(u.Err, context.DeadlineExceeded) || errors.Is(u.Err, context.Canceled) || directory.IsCanceled(u.Err) {
			return nil, needCutOff("the users' accounts (cut off): " + u.Err.Error())
		}
		return nil, needError(fmt.Errorf("read the users' accounts: %w", u.Err))
	}
	return u, nil
}

// signinUsers resolves the users of a run. With Graph it reads each user's
// cloud account (graph.GatherCloudUser, once per run through the tenant
// client): a synchronised user is looked up in AD by its on-premises UPN,
// a cloud-only one not at all. Without Graph, or for a user whose read
// failed, the name given is the AD name.
func signinUsers(ctx context.Context, env *Env, cfg SigninConfig) []signinUser {
	out := make([]signinUser, len(cfg.Users))
	for i, upn := range cfg.Users {
		out[i] = signinUser{UPN: upn, Account: upn}
	}
	if cfg.Tenant.NoTokenReason != "" || env.Tenant == nil {
		return out
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range cloudReaders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f := graph.GatherCloudUser(ctx, env.Tenant, out[i].UPN)
				out[i].CloudAccount = &f
				out[i].resolve()
			}
		}()
	}
	for i := range min(len(out), maxCloudUsers) {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

func (u *signinUser) resolve() {
	if u.CloudAccount.User.Err != nil {
		return // not in Entra ID, or not read: the name as given
	}
	c := u.CloudAccount.User.V
	switch c.Sync() {
	case graph.SyncNever:
		u.Account, u.NotPTA = "", "is cloud-only (onPremisesSyncEnabled null): Entra ID checks its password itself, PTA is never asked"
	case graph.SyncFormerly:
		u.Account, u.NotPTA = "", "is no longer synchronised from AD (onPremisesSyncEnabled false): Entra ID checks its password itself, PTA is never asked"
	default:
		if c.OnPremisesUserPrincipalName != "" {
			u.Account = c.OnPremisesUserPrincipalName
		}
	}
}

// accounts are the distinct AD names of the users, in order.
func accounts(users []signinUser) []string {
	var out []string
	seen := map[string]bool{}
	for _, u := range users {
		if k := strings.ToLower(u.Account); k != "" && !seen[k] {
			seen[k] = true
			out = append(out, u.Account)
		}
	}
	return out
}

// notPTA lists the users who do not sign in through PTA, for summaries.
func notPTA(users []signinUser) []string {
	var out []string
	for _, u := range users {
		if u.NotPTA != "" {
			out = append(out, u.UPN)
		}
	}
	return out
}

// meetTenant needs a Graph client: without a token the check skips, saying
// how to give one.
func meetTenant(env *Env, cfg TenantConfig) (*graph.Tenant, *Outcome) {
	switch {
	case cfg.NoTokenReason != "":
		return nil, skipNeed("%s", cfg.NoTokenReason)
	case env.Tenant == nil:
		return nil, needError(errors.New("no Graph client in this run"))
	}
	return env.Tenant, nil
}

// Limits of the user checks.
const (
	// maxListedUsers bounds the findings listed one by one; the details
	// carry every user.
	maxListedUsers   = 50
	userCheckTimeout = 60 * time.Second
	// maxCloudUsers bounds the users whose cloud account is read (one Graph
	// call each, cloudReaders at a time); the rest are not evaluated by
	// user.cloud-upn and are looked up in AD by the name given.
	maxCloudUsers = 200
	cloudReaders  = 4
)

// named is the user as findings name it: with the on-premises UPN when it
// is not the one given.
func (u signinUser) named() string {
	if u.Account != "" && !strings.EqualFold(u.Account, u.UPN) {
		return u.UPN + " (on-premises " + u.Account + ")"
	}
	return u.UPN
}

// listed turns findings into one error, at most maxListedUsers of them.
func listed(errs []error, more string) error {
	var m *multierror.Error
	for i, err := range errs {
		if i == maxListedUsers {
			m = multierror.Append(m, fmt.Errorf("and %d more %s (every user is in the details)", len(errs)-maxListedUsers, more))
			break
		}
		m = multierror.Append(m, err)
	}
	return m.ErrorOrNil()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
