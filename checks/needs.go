package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ptacheck/ptacheck/checks/directory"
	"github.com/ptacheck/ptacheck/checks/graph"
	"github.com/ptacheck/ptacheck/checks/hostfacts"
)

// Needs are what a check needs before it can decide. The runner meets them
// before it runs the check and turns an unmet need into the check's skip or
// error, with the reason; the check finds what they brought in Env.Met, so
// it carries no precondition of its own.
type Needs struct {
	Host bool // the host facts
	// Directory: the directory facts of this domain (its DCs located, one
	// bound and read).
	Directory *ADConfig
	// Users: these users' accounts, read from their domain's DCs.
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

// Facts are what a check's needs brought: the runner fills them in.
type Facts struct {
	Host      *hostfacts.Snapshot
	Directory *directory.Facts
	Users     *directory.UserFacts
	Tenant    *graph.Tenant
}

// evaluate meets c's needs and runs it with what they brought; an unmet
// need is the check's outcome.
func evaluate(ctx context.Context, env *Env, c Check) Outcome {
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
	if n.Users != nil {
		if f.Users, out = meetUsers(ctx, env, *n.Users); out != nil {
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

func skip(format string, args ...any) *Outcome {
	out := Skipped(format, args...)
	return &out
}

func cannot(err error) *Outcome {
	out := Errored(err, nil)
	return &out
}

func unevaluated(what string) *Outcome { return &Outcome{Unevaluated: []string{what}} }

// meetHost reads the host facts: a host without them (another OS, a
// fixture that emulates none) skips, a failed read is an error.
func meetHost(ctx context.Context, env *Env) (*hostfacts.Snapshot, *Outcome) {
	if env.Host == nil {
		return nil, skip("no host facts available")
	}
	s, err := env.Host.Snapshot(ctx)
	switch {
	case errors.Is(err, hostfacts.ErrUnsupportedOS) || errors.Is(err, hostfacts.ErrNoHostFacts):
		return nil, skip("%v", err)
	case err != nil:
		return nil, cannot(fmt.Errorf("read host facts: %w", err))
	case s == nil:
		return nil, skip("%v", hostfacts.ErrNoHostFacts)
	}
	return s, nil
}

// meetDirectory gathers (or reuses) the directory facts of cfg's domain.
func meetDirectory(ctx context.Context, env *Env, cfg ADConfig) (*directory.Facts, *Outcome) {
	switch {
	case cfg.Domain == "" && len(cfg.DCs) == 0:
		return nil, skip("%v", errNoDomain)
	case env.AD == nil:
		return nil, cannot(errors.New("no directory client in this run"))
	}
	f := env.AD.Gather(ctx, cfg.Domain, cfg.DCs)
	if f == nil {
		return nil, unevaluated("the directory facts (cut off while another check gathered them)")
	}
	return f, nil
}

// meetUsers looks the users up (or reuses the lookup).
func meetUsers(ctx context.Context, env *Env, cfg SigninConfig) (*directory.UserFacts, *Outcome) {
	switch {
	case len(cfg.Users) == 0:
		return nil, skip("no user to diagnose: pass --user UPN or --users-file FILE")
	case cfg.AD.Domain == "" && len(cfg.AD.DCs) == 0:
		return nil, skip("%v", errNoDomain)
	case cfg.AD.NoBindReason != "":
		return nil, skip("%s", strings.Replace(cfg.AD.NoBindReason, "reading the forest", "reading the users' accounts", 1))
	case env.AD == nil:
		return nil, cannot(errors.New("no directory client in this run"))
	}
	u := env.AD.Users(ctx, cfg.AD.Domain, cfg.AD.DCs, cfg.Users)
	if u == nil {
		return nil, unevaluated("the users' accounts (cut off while another check read them)")
	}
	if u.Err != nil && len(u.Found) == 0 && len(u.Other) == 0 {
		if errors.Is(u.Err, context.DeadlineExceeded) || errors.Is(u.Err, context.Canceled) || directory.IsCanceled(u.Err) {
			return nil, unevaluated("the users' accounts (cut off): " + u.Err.Error())
		}
		return nil, cannot(fmt.Errorf("read the users' accounts: %w", u.Err))
	}
	return u, nil
}

// meetTenant needs a Graph client: without a token the check skips, saying
// how to give one.
func meetTenant(env *Env, cfg TenantConfig) (*graph.Tenant, *Outcome) {
	switch {
	case cfg.NoTokenReason != "":
		return nil, skip("%s", cfg.NoTokenReason)
	case env.Tenant == nil:
		return nil, cannot(errors.New("no Graph client in this run"))
	}
	return env.Tenant, nil
}
