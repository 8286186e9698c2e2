package checks

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/ptacheck/ptacheck/checks/codes"
	"github.com/ptacheck/ptacheck/checks/directory"
	"github.com/ptacheck/ptacheck/checks/graph"
	"github.com/ptacheck/ptacheck/internal/textfmt"
)

// SigninConfig parameterises the user checks of `ptacheck signin`.
type SigninConfig struct {
	AD    ADConfig
	Users []string // UPNs to diagnose: the names they sign in to Entra ID with
	// Machine is this server's name, for userWorkstations ("Logon To").
	Machine string
	// Tenant says whether Graph can be read (user.cloud-upn, and the
	// on-premises names the AD checks look up).
	Tenant TenantConfig
	// Password is the one user's password (--password-file), tried once
	// per process by user.password; nil: none.
	Password *UserPassword
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

// signinUser is one user of a signin run.
type signinUser struct {
	UPN   string                // as given: the name the user signs in to Entra ID with
	Cloud *graph.CloudUserFacts // nil: Graph not read for this user
	// Account is the UPN the AD checks look up and the password is tried
	// with: the on-premises UPN Graph shows, else the name given; "" when
	// the user does not sign in through PTA (NotPTA says why).
	Account string
	NotPTA  string
}

// named is the user as findings name it: with the on-premises UPN when it
// is not the one given.
func (u signinUser) named() string {
	if u.Account != "" && !strings.EqualFold(u.Account, u.UPN) {
		return u.UPN + " (on-premises " + u.Account + ")"
	}
	return u.UPN
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
				f := graph.GatherCloudUser(ctx, cloudSource{env.Tenant}, out[i].UPN)
				out[i].Cloud = &f
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
	if u.Cloud.User.Err != nil {
		return // not in Entra ID, or not read: the name as given
	}
	c := u.Cloud.User.V
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

func signinFacts(ctx context.Context, env *Env, cfg SigninConfig, users []signinUser) (*UserFacts, *Outcome) {
	if len(cfg.Users) == 0 {
		out := Skipped("no user to diagnose: pass --user UPN or --users-file FILE")
		return nil, &out
	}
	if len(accounts(users)) == 0 {
		out := Skipped("no user signs in through PTA (%s: see user.cloud-upn)", strings.Join(notPTA(users)[:min(5, len(notPTA(users)))], ", "))
		return nil, &out
	}
	if cfg.AD.Domain == "" && len(cfg.AD.DCs) == 0 {
		out := Skipped("%v", errNoDomain)
		return nil, &out
	}
	if cfg.AD.NoBindReason != "" {
		out := Skipped("%s", strings.Replace(cfg.AD.NoBindReason, "reading the forest", "reading the users' accounts", 1))
		return nil, &out
	}
	if env.AD == nil {
		out := Errored(errors.New("no directory client in this run"), nil)
		return nil, &out
	}
	u := env.AD.Users(ctx, cfg.AD, accounts(users))
	if u == nil {
		out := Outcome{Unevaluated: []string{"the users' accounts (cut off while another check read them)"}}
		return nil, &out
	}
	if u.Err != nil && len(u.Found) == 0 && len(u.Other) == 0 {
		if errors.Is(u.Err, context.DeadlineExceeded) || errors.Is(u.Err, context.Canceled) || directory.IsCanceled(u.Err) {
			out := Outcome{Unevaluated: []string{"the users' accounts (cut off): " + u.Err.Error()}}
			return nil, &out
		}
		out := Errored(fmt.Errorf("read the users' accounts: %w", u.Err), nil)
		return nil, &out
	}
	return u, nil
}

// UserExistsCheck: the UPN a user signs in with must name an account of
// the forest (AADSTS80004 "the username passed to the agent was not valid").
type UserExistsCheck struct{ Config SigninConfig }

func (UserExistsCheck) Meta() Meta {
	return Meta{
		ID:          "user.exists",
		Title:       "User exists in the forest",
		Description: "each user's UPN names an account in this server's domain, or elsewhere in its forest (through the global catalog)",
		Remediation: "The user must sign in with the UPN of their on-premises account (AADSTS80004); check for a UPN that differs between Entra ID and AD, or an account of another forest.",
		DocURL:      docTroubleshootAuth,
	}
}

func (c UserExistsCheck) Run(ctx context.Context, env *Env) Outcome {
	users := signinUsers(ctx, env, c.Config)
	u, out := signinFacts(ctx, env, c.Config, users)
	if out != nil {
		return *out
	}
	missing := map[string]bool{}
	for _, m := range u.Missing {
		missing[strings.ToLower(m)] = true
	}
	var fail *multierror.Error
	nMissing, listed := 0, 0
	for _, su := range users {
		if su.Account == "" || !missing[strings.ToLower(su.Account)] {
			continue
		}
		nMissing++
		if listed == maxListedUsers {
			continue
		}
		listed++
		fail = multierror.Append(fail, fmt.Errorf("no account with UPN %s in forest of %s (AADSTS80004)", su.named(), c.Config.AD.Domain))
	}
	if nMissing > listed {
		fail = multierror.Append(fail, fmt.Errorf("and %d more users not found", nMissing-listed))
	}
	details := map[string]any{"found": len(u.Found), "other_domains": u.Other, "missing": u.Missing, "lookup_ms": msOf(u.Took)}
	if m := onPremisesNames(users); len(m) > 0 {
		details["on_premises_upns"] = m
	}
	if n := notPTA(users); len(n) > 0 {
		details["not_pta"] = n
	}
	var notes []string
	for upn, dn := range u.Other {
		notes = append(notes, upn+" ("+directory.DomainOfDN(dn)+")")
	}
	sort.Strings(notes)
	var warn error
	if u.Err != nil {
		warn = u.Err
	}
	looked := len(accounts(users))
	if fail != nil {
		return Outcome{Fail: fail.ErrorOrNil(), Warn: warn, Summary: fmt.Sprintf("%d of %d users not found in the forest (AADSTS80004)", nMissing, looked), Details: details}
	}
	s := fmt.Sprintf("%s found", textfmt.Plural(looked, "user", "users"))
	if len(notes) > 0 {
		s += fmt.Sprintf(" (%d in other domains of the forest: %s)", len(notes), strings.Join(notes[:min(5, len(notes))], ", "))
	}
	if n := notPTA(users); len(n) > 0 {
		s += fmt.Sprintf("; %d not signing in through PTA (see user.cloud-upn)", len(n))
	}
	return Outcome{Summary: s, Warn: warn, Details: details}
}

// onPremisesNames maps the users whose AD name is not the one given to it.
func onPremisesNames(users []signinUser) map[string]string {
	m := map[string]string{}
	for _, u := range users {
		if u.Account != "" && !strings.EqualFold(u.Account, u.UPN) {
			m[u.UPN] = u.Account
		}
	}
	return m
}

// UserAccountStateCheck predicts why password validation would fail for a
// user: each condition with the Win32 reason the agent would log.
type UserAccountStateCheck struct{ Config SigninConfig }

func (UserAccountStateCheck) Meta() Meta {
	return Meta{
		ID:    "user.account-state",
		Title: "User accounts can sign in",
		Description: "no account is disabled (1331), locked out (1909), expired (1793), with an expired password (1330) or one that must change (1907), " +
			"outside its logon hours now (1328), or restricted to workstations without this server (1329)",
		Remediation: "Fix the account in AD: enable or unlock it, extend its expiry, reset the password, allow the hour, or add the PTA servers to its \"Log On To\" list; `ptacheck explain <reason>` explains each code.",
		DocURL:      docTroubleshootAuth,
	}
}

type userStateJSON struct {
	UPN        string   `json:"upn"`
	Account    string   `json:"on_premises_upn,omitempty"` // the AD name, when not the one given
	DN         string   `json:"dn"`
	Reasons    []int    `json:"reasons"`
	Conditions []string `json:"conditions"`
	// Possible are conditions the attributes allow but cannot establish
	// (warnings): "may be locked".
	Possible []string `json:"possible,omitempty"`
	PSO      string   `json:"pso,omitempty"` // msDS-ResultantPSO
	Notes    []string `json:"notes,omitempty"`
}

func (c UserAccountStateCheck) Run(ctx context.Context, env *Env) Outcome {
	users := signinUsers(ctx, env, c.Config)
	u, out := signinFacts(ctx, env, c.Config, users)
	if out != nil {
		return *out
	}
	now := time.Now()
	if env.Now != nil {
		now = env.Now()
	}
	var fail, warn *multierror.Error
	blocked, listed, uncertain := 0, 0, 0
	byReason := map[string]int{}
	states := []userStateJSON{}
	for _, su := range users {
		upn := su.named()
		user := u.Found[strings.ToLower(su.Account)]
		if su.Account == "" || user == nil {
			continue
		}
		st := directory.Evaluate(user, u.Policy, now, c.Config.Machine)
		js := userStateJSON{UPN: su.UPN, DN: user.DN, Reasons: []int{}, Conditions: []string{}, PSO: user.ResultantPSO, Notes: st.Notes}
		if !strings.EqualFold(su.Account, su.UPN) {
			js.Account = su.Account
		}
		for _, cond := range st.Conditions {
			js.Reasons = append(js.Reasons, int(cond.Reason))
			js.Conditions = append(js.Conditions, cond.Fact)
			byReason[fmt.Sprintf("%d %s", int(cond.Reason), cond.Reason.Symbol())]++
		}
		for _, cond := range st.Possible {
			js.Possible = append(js.Possible, fmt.Sprintf("%s (if so: %d %s)", cond.Fact, int(cond.Reason), cond.Reason.Symbol()))
		}
		states = append(states, js)
		if len(st.Conditions) == 0 {
			// Evidence that could not be read is a warning, never a
			// reason code: "may be locked".
			if len(st.Possible) > 0 {
				uncertain++
				if uncertain <= maxListedUsers {
					warn = multierror.Append(warn, fmt.Errorf("%s: %s", upn, strings.Join(js.Possible, "; ")))
				}
			}
			continue
		}
		blocked++
		if listed == maxListedUsers {
			continue
		}
		listed++
		var parts []string
		for _, cond := range st.Conditions {
			parts = append(parts, fmt.Sprintf("%s (%d %s)", cond.Fact, int(cond.Reason), cond.Reason.Symbol()))
		}
		fail = multierror.Append(fail, fmt.Errorf("%s: %s", upn, strings.Join(parts, "; ")))
	}
	if blocked > listed {
		fail = multierror.Append(fail, fmt.Errorf("and %d more users whose accounts cannot sign in (every user is in the details)", blocked-listed))
	}
	if uncertain > maxListedUsers {
		warn = multierror.Append(warn, fmt.Errorf("and %d more users whose state could not be established (every user is in the details)", uncertain-maxListedUsers))
	}
	var counts []string
	for k, n := range byReason {
		counts = append(counts, fmt.Sprintf("%s: %d", k, n))
	}
	sort.Strings(counts)
	details := map[string]any{"users": states, "by_reason": byReason, "evaluated_at": now.UTC().Format(time.RFC3339), "machine": c.Config.Machine}
	if u.Policy == nil {
		details["note"] = "the domain's password and lockout policy could not be read: lockout and password age rely on the DC's computed attributes and the users' PSOs"
	}
	evaluated := len(states)
	if evaluated == 0 {
		return Outcome{Skip: "no user of this domain to evaluate (see user.exists)", Details: details}
	}
	if fail != nil {
		return Outcome{Fail: fail.ErrorOrNil(), Warn: warn.ErrorOrNil(), Summary: fmt.Sprintf("%d of %d accounts cannot sign in now (%s)", blocked, evaluated, strings.Join(counts, ", ")), Details: details}
	}
	if warn != nil {
		return Outcome{Warn: warn.ErrorOrNil(), Summary: fmt.Sprintf("%d of %d accounts may not sign in: the policy that decides could not be read", uncertain, evaluated), Details: details}
	}
	return Outcome{Summary: fmt.Sprintf("%s can sign in as far as AD says", textfmt.Plural(evaluated, "account", "accounts")), Details: details}
}

// UserCloudUPNCheck compares each user's Entra ID account with AD: users
// whose on-premises UPN differs from their cloud UPN get "invalid username
// or password" through PTA (the PTA troubleshooting page). It also says
// which users do not sign in through PTA at all.
type UserCloudUPNCheck struct{ Config SigninConfig }

func (UserCloudUPNCheck) Meta() Meta {
	return Meta{
		ID:    "user.cloud-upn",
		Title: "Cloud UPN is the on-premises UPN",
		Description: "each user's Entra ID account exists, is enabled and synchronised from AD, and its userPrincipalName is the on-premises UPN " +
			"(onPremisesUserPrincipalName); users whose UPNs differ get \"invalid username or password\", cloud-only users never reach PTA",
		Remediation: "Make the user's AD UPN the name they sign in with (a UPN suffix of the forest that is a verified domain of the tenant) and let Entra Connect synchronise it; " +
			"the troubleshooting page calls a differing on-premises UPN \"non-routable\" and points to Alternate Login ID. A cloud-only user's password is checked by Entra ID, not by PTA.",
		DocURL: docTroubleshootAuth,
	}
}

type cloudUPNJSON struct {
	UPN            string `json:"upn"`
	CloudUPN       string `json:"cloud_upn,omitempty"`
	OnPremisesUPN  string `json:"on_premises_upn,omitempty"`
	OnPremisesSAM  string `json:"on_premises_sam_account_name,omitempty"`
	OnPremisesDom  string `json:"on_premises_domain,omitempty"`
	Sync           string `json:"sync,omitempty"`
	AccountEnabled *bool  `json:"account_enabled,omitempty"`
	Verdict        string `json:"verdict"` // pass, warn, fail, not-evaluated
}

func (c UserCloudUPNCheck) Run(ctx context.Context, env *Env) Outcome {
	if len(c.Config.Users) == 0 {
		return Skipped("no user to diagnose: pass --user UPN or --users-file FILE")
	}
	if out := tenantReady(env, c.Config.Tenant); out != nil {
		return *out
	}
	return decideCloudUPN(signinUsers(ctx, env, c.Config))
}

// decideCloudUPN decides user.cloud-upn on the users' cloud facts.
func decideCloudUPN(users []signinUser) Outcome {
	var fail, warn []error
	var unread []string
	var graphErr error
	rows := []cloudUPNJSON{}
	mismatched, cloudOnly := 0, 0
	for _, u := range users {
		row := cloudUPNJSON{UPN: u.UPN, Verdict: "not-evaluated"}
		f := u.Cloud
		switch {
		case f == nil:
			unread = append(unread, u.UPN+" (not read: the cloud account is read for the first "+fmt.Sprint(maxCloudUsers)+" users of a run)")
		case graph.IsNotFound(f.User.Err) && f.ByOnPremises != nil && f.ByOnPremises.Err != nil:
			graphErr = cmp.Or(graphErr, f.ByOnPremises.Err)
			unread = append(unread, u.UPN+": "+f.ByOnPremises.Err.Error())
		case graph.IsNotFound(f.User.Err) && f.ByOnPremises != nil && len(f.ByOnPremises.V) > 0:
			row.Verdict = "fail"
			row.OnPremisesUPN = u.UPN
			var names []string
			for _, cu := range f.ByOnPremises.V {
				names = append(names, cu.UserPrincipalName)
			}
			row.CloudUPN = strings.Join(names, ", ")
			mismatched++
			fail = append(fail, fmt.Errorf("%s is not a cloud UPN but the on-premises UPN of %s: the user signs in as %s, the agent is handed that name, which AD does not know, and the sign-in fails with \"invalid username or password\"",
				u.UPN, row.CloudUPN, names[0]))
		case graph.IsNotFound(f.User.Err):
			row.Verdict = "fail"
			fail = append(fail, fmt.Errorf("%s: no such user in Entra ID, as a cloud or an on-premises UPN (AADSTS50034 UserAccountNotFound): the sign-in never reaches the agent; check the name, and that Entra Connect synchronises the account", u.UPN))
		case f.User.Err != nil:
			graphErr = cmp.Or(graphErr, f.User.Err)
			unread = append(unread, u.UPN+": "+f.User.Err.Error())
		default:
			cu := f.User.V
			row.CloudUPN, row.OnPremisesUPN, row.OnPremisesSAM, row.OnPremisesDom = cu.UserPrincipalName, cu.OnPremisesUserPrincipalName, cu.OnPremisesSamAccountName, cu.OnPremisesDomainName
			row.Sync, row.AccountEnabled, row.Verdict = string(cu.Sync()), cu.AccountEnabled, "pass"
			if cu.AccountEnabled != nil && !*cu.AccountEnabled {
				row.Verdict = "fail"
				fail = append(fail, fmt.Errorf("%s: the Entra ID account is disabled (AADSTS50057 UserDisabled): Entra ID refuses the sign-in before PTA", u.UPN))
			}
			switch {
			case u.NotPTA != "":
				cloudOnly++
				if row.Verdict == "pass" {
					row.Verdict = "warn"
				}
				warn = append(warn, fmt.Errorf("%s %s; the AD checks leave it out", u.UPN, u.NotPTA))
			case cu.OnPremisesUserPrincipalName == "":
				row.Verdict = "not-evaluated"
				unread = append(unread, u.UPN+": a synchronised user without onPremisesUserPrincipalName (the on-premises UPN cannot be compared)")
			case !strings.EqualFold(cu.OnPremisesUserPrincipalName, cu.UserPrincipalName):
				mismatched++
				row.Verdict = "fail"
				fail = append(fail, fmt.Errorf("%s signs in to Entra ID as %s, but the on-premises UPN is %s (sAMAccountName %s, domain %s): the agent is handed %s, which AD does not know, "+
					"and the sign-in fails with \"invalid username or password\"; the AD checks look the account up as %s",
					u.UPN, cu.UserPrincipalName, cu.OnPremisesUserPrincipalName, orDash(cu.OnPremisesSamAccountName), orDash(cu.OnPremisesDomainName), cu.UserPrincipalName, cu.OnPremisesUserPrincipalName))
			}
		}
		rows = append(rows, row)
	}
	details := map[string]any{"users": rows}
	var out Outcome
	out.Details = details
	out.Fail = listed(fail, "users whose cloud account stops the sign-in")
	out.Warn = listed(warn, "users who do not sign in through PTA")
	out.Unevaluated = unread
	evaluated := len(users) - len(unread)
	switch {
	case out.Fail != nil:
		out.Summary = fmt.Sprintf("%d of %d users cannot sign in through PTA as named", len(fail), len(users))
		if mismatched > 0 {
			out.Summary += fmt.Sprintf(" (%d with an on-premises UPN other than the cloud UPN)", mismatched)
		}
	case len(unread) > 0 && graphErr != nil:
		o := graphOutcome("read the users' cloud accounts", graphErr)
		o.Details, o.Unevaluated = details, unread
		return o
	case out.Warn != nil:
		out.Summary = fmt.Sprintf("%d of %d users do not sign in through PTA (cloud-only or no longer synchronised)", cloudOnly, len(users))
	default:
		out.Summary = fmt.Sprintf("%s with the on-premises UPN", textfmt.Plural(evaluated, "user signs in", "users sign in"))
	}
	return out
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

// UserPasswordCheck signs in as the one user of the run, as the agent does:
// LogonUser on the agent server when it runs there, and from anywhere one
// simple bind at a DC of the domain over TLS, whose sub-code is the Win32
// reason the agent would log. A password is tried once per run and never
// retried: a wrong one counts toward the account's lockout threshold.
type UserPasswordCheck struct{ Config SigninConfig }

func (UserPasswordCheck) Meta() Meta {
	return Meta{
		ID:    "user.password",
		Title: "The DC accepts the user's password",
		Description: "with --password-file: one sign-in as the user, as the agent's LogonUser (an LDAPS or StartTLS simple bind; on the agent server LogonUser itself), " +
			"answered with the Win32 reason the agent would log; tried once per run, never retried (a wrong password counts toward lockout)",
		Remediation: "1326: the password is wrong (each attempt counts toward the lockout threshold: do not repeat it with the same password); any other reason: " +
			"fix the account in AD as the reason says (user.account-state names the attribute); `ptacheck explain <reason>` explains each code.",
		DocURL: docTroubleshootAuth,
	}
}

func (c UserPasswordCheck) Run(ctx context.Context, env *Env) Outcome {
	cfg := c.Config
	switch {
	case cfg.Password == nil:
		return Skipped("no password to check: `ptacheck signin --user UPN --password-file FILE` (or PTACHECK_USER_PASSWORD) signs in once as the user (a wrong password counts toward the account's lockout)")
	case len(cfg.Users) != 1:
		return Errored(fmt.Errorf("a password is checked for one user at a time, not %d", len(cfg.Users)), nil)
	case cfg.AD.Domain == "" && len(cfg.AD.DCs) == 0:
		return Skipped("%v", errNoDomain)
	case env.AD == nil:
		return Errored(errors.New("no directory client in this run"), nil)
	}
	su := signinUsers(ctx, env, cfg)[0]
	if su.Account == "" {
		return Skipped("%s %s: there is no AD password to check (see user.cloud-upn)", su.UPN, su.NotPTA)
	}
	f := env.AD.Gather(ctx, cfg.AD)
	switch {
	case f == nil:
		return Outcome{Unevaluated: []string{"the password (cut off while the DCs were located)"}}
	case len(f.DCs) == 0:
		return Errored(errors.New("no domain controller to check the password with (see ad.dc-reachable)"), nil)
	}
	a, repeat := env.AD.TryPassword(ctx, f, su.Account, cfg.Password)
	pf := passwordFacts{User: su, Attempt: a, Repeat: repeat, Machine: cfg.Machine}
	// The attribute prediction of the same account, when it can be read.
	if cfg.AD.NoBindReason == "" {
		if u := env.AD.Users(ctx, cfg.AD, []string{su.Account}); u != nil {
			if user := u.Found[strings.ToLower(su.Account)]; user != nil {
				now := time.Now()
				if env.Now != nil {
					now = env.Now()
				}
				st := directory.Evaluate(user, u.Policy, now, cfg.Machine)
				pf.Predicted, pf.Workstations = &st, user.Workstations
			} else if slices.ContainsFunc(u.Missing, func(m string) bool { return strings.EqualFold(m, su.Account) }) {
				pf.NotFound = true
			}
		}
	}
	return decidePassword(pf)
}

// passwordFacts is everything user.password decides on.
type passwordFacts struct {
	User    signinUser
	Attempt *PasswordAttempt
	Repeat  bool // an earlier run of this process made the attempt
	Machine string
	// Predicted is user.account-state's evaluation of the same account
	// (nil: not read); Workstations its userWorkstations; NotFound: the
	// lookup found no such account.
	Predicted    *directory.UserState
	Workstations []string
	NotFound     bool
}

type passwordJSON struct {
	UPN       string       `json:"upn"`
	Account   string       `json:"account"` // the name the password was tried with
	TriedAt   string       `json:"tried_at"`
	Repeat    bool         `json:"repeat,omitempty"` // the answer of an earlier run of this process
	LogonUser *answerJSON  `json:"logon_user,omitempty"`
	Bind      *answerJSON  `json:"bind,omitempty"`
	NoBind    string       `json:"bind_not_sent,omitempty"`
	Authority string       `json:"authority,omitempty"` // logon_user or bind
	Reason    *int         `json:"reason,omitempty"`    // the Win32 reason the agent would log; absent: accepted or unknown
	Predicted []int        `json:"predicted_reasons"`   // user.account-state's, for the same account
	Agrees    *bool        `json:"prediction_agrees,omitempty"`
	Notes     []string     `json:"notes,omitempty"`
	DC        string       `json:"dc,omitempty"`
	Security  string       `json:"security,omitempty"`
	Timing    *passwordLat `json:"latency_ms,omitempty"`
}

type answerJSON struct {
	Result  string `json:"result"` // accepted, refused, no-answer
	Reason  int    `json:"reason,omitempty"`
	Symbol  string `json:"symbol,omitempty"`
	SubCode string `json:"sub_code,omitempty"` // the bind's "data" in hex
	Sent    *bool  `json:"sent,omitempty"`
	Error   string `json:"error,omitempty"` // no answer: why; a refused bind: the DC's message
}

type passwordLat struct {
	Connect float64 `json:"connect"`
	Bind    float64 `json:"bind"`
}

// answer is one sign-in's outcome as user.password reads it.
type answer struct {
	answered bool             // the DC (or Windows) answered
	ok       bool             // accepted
	reason   directory.Reason // refused with this reason
	err      error            // no answer
}

func bindAnswer(b *directory.PasswordAnswer) answer {
	if b.Err == nil {
		return answer{answered: true, ok: true}
	}
	if code, ok := directory.BindSubCode(b.Err); ok {
		r, _ := directory.LogonReason(code)
		return answer{answered: true, reason: r}
	}
	return answer{err: b.Err}
}

func logonAnswer(l *LogonAnswer) answer {
	switch {
	case l.Err != nil:
		return answer{err: l.Err}
	case l.OK:
		return answer{answered: true, ok: true}
	}
	return answer{answered: true, reason: l.Reason}
}

func (a answer) json() *answerJSON {
	switch {
	case a.ok:
		return &answerJSON{Result: "accepted"}
	case a.answered:
		return &answerJSON{Result: "refused", Reason: int(a.reason), Symbol: strings.TrimPrefix(win32Name(a.reason), fmt.Sprint(int(a.reason))+" ")}
	}
	return &answerJSON{Result: "no-answer", Error: a.err.Error()}
}

// decidePassword turns the attempt into the verdict. The authority is
// LogonUser on this host when it answered, else the bind. A bind refused
// with 531 is judged against the agent's server: the bind logs on at the
// DC, whose name "Log On To" may not list, while the agent logs on from
// this server (TestSambaPasswordCheck). A prediction of user.account-state
// that the answer contradicts is a finding of its own (a warning).
func decidePassword(f passwordFacts) Outcome {
	a := f.Attempt
	d := passwordJSON{UPN: f.User.UPN, Account: a.Account, TriedAt: a.At.UTC().Format(time.RFC3339), Repeat: f.Repeat, NoBind: a.NoBind, Predicted: []int{}}
	var logon, bind *answer
	if a.Logon != nil {
		x := logonAnswer(a.Logon)
		logon, d.LogonUser = &x, x.json()
	}
	if b := a.Bind; b != nil {
		x := bindAnswer(b)
		bind, d.Bind = &x, x.json()
		d.DC, d.Security = b.DC, b.Security.String()
		sent := b.Sent
		d.Bind.Sent = &sent
		if code, ok := directory.BindSubCode(b.Err); ok {
			d.Bind.SubCode = fmt.Sprintf("%x", code)
			// The DC's own words (AD ends them with a NUL).
			d.Bind.Error = strings.ReplaceAll(b.Err.Error(), "\x00", "")
		}
		if b.Sent || b.DC != "" {
			d.Timing = &passwordLat{Connect: msOf(b.Connect), Bind: msOf(b.Latency)}
		}
	}
	if p := f.Predicted; p != nil {
		for _, cond := range p.Conditions {
			d.Predicted = append(d.Predicted, int(cond.Reason))
		}
	}
	who := f.User.named()
	var auth *answer
	switch {
	case logon != nil && logon.answered:
		auth, d.Authority = logon, "logon_user"
	case bind != nil && bind.answered:
		auth, d.Authority = bind, "bind"
	}
	var fail, warn []error
	note := func(format string, args ...any) { d.Notes = append(d.Notes, fmt.Sprintf(format, args...)) }
	if f.Repeat {
		note("the answer of the one attempt at %s: a password is tried once per run, never again", d.TriedAt)
	}
	if logon != nil && bind != nil && logon.answered && bind.answered && (logon.ok != bind.ok || logon.reason != bind.reason) {
		note("LogonUser on this server and the bind at %s answer differently (LogonUser: %s; bind: %s): LogonUser, which the agent calls, decides", d.DC, describe(*logon), describe(*bind))
	}
	if auth == nil {
		// No answer at all: the check could not be evaluated.
		var errs []string
		var sent bool
		if logon != nil {
			errs = append(errs, "LogonUser: "+logon.err.Error())
			sent = true
		}
		if bind != nil {
			errs = append(errs, bind.err.Error())
			sent = sent || a.Bind.Sent
		}
		msg := "the password could not be checked: " + strings.Join(errs, "; ")
		if sent {
			msg += " (the attempt may have reached the DC and counted toward the lockout threshold: it is not repeated in this run)"
		}
		return Outcome{Err: errors.New(msg), Details: d}
	}
	reason := 0
	if !auth.ok {
		reason = int(auth.reason)
		d.Reason = &reason
	}
	via := "the DC"
	if d.Authority == "logon_user" {
		via = "LogonUser on this server"
	}
	predicted := map[directory.Reason]string{}
	if f.Predicted != nil {
		for _, c := range f.Predicted.Conditions {
			predicted[c.Reason] = c.Fact
		}
	}
	allowed := f.Machine != "" && directory.WorkstationAllowed(f.Workstations, f.Machine)
	switch {
	case auth.ok:
		if fact, ok := predicted[directory.ReasonInvalidWorkstation]; ok && d.Authority == "bind" {
			// The bind logged on at the DC; the agent logs on from this
			// server, which the attributes say "Log On To" does not list.
			fail = append(fail, fmt.Errorf("%s: %s accepts the password, but the agent logs on from %s, which the account may not: %s (1329 ERROR_INVALID_WORKSTATION)", who, via, f.Machine, fact))
			reason = int(directory.ReasonInvalidWorkstation)
			d.Reason = &reason
		}
	case auth.reason == directory.ReasonInvalidWorkstation && d.Authority == "bind":
		switch {
		case f.Predicted == nil || f.Machine == "":
			warn = append(warn, fmt.Errorf("%s: the password is right, but the DC refused the bind with 1329 ERROR_INVALID_WORKSTATION: \"Log On To\" does not list the DC, and whether it lists the agent's server is not known (the account's attributes were not read, or no --machine)", who))
		case allowed:
			note("the DC refused the bind with 1329 (data 531): \"Log On To\" (%s) does not list the DC, where a bind logs on; it lists %s, where the agent logs on", strings.Join(f.Workstations, ","), f.Machine)
			d.Reason = nil
			reason = 0
		default:
			fail = append(fail, fmt.Errorf("%s: the password is right, but \"Log On To\" (%s) does not list %s, where the agent logs on (1329 ERROR_INVALID_WORKSTATION)", who, strings.Join(f.Workstations, ","), f.Machine))
		}
	case auth.reason == directory.ReasonLogonFailure:
		msg := fmt.Sprintf("%s: %s refuses the password: 1326 ERROR_LOGON_FAILURE (wrong password or unknown name); the attempt counted toward the account's lockout threshold", who, via)
		if f.NotFound {
			msg += fmt.Sprintf("; there is no account %s in the domain (see user.exists)", a.Account)
		}
		fail = append(fail, errors.New(msg))
	case auth.reason == directory.ReasonNoSuchUser:
		fail = append(fail, fmt.Errorf("%s: the DC knows no account %s: 1317 ERROR_NO_SUCH_USER (data 525; the agent's LogonUser reports an unknown name as 1326)", who, a.Account))
	default:
		fail = append(fail, fmt.Errorf("%s: %s refuses the sign-in: %s", who, via, win32Name(auth.reason)))
	}
	// The prediction against the answer.
	if f.Predicted != nil {
		agree := agrees(f.Predicted, directory.Reason(reason))
		d.Agrees = &agree
		if !agree {
			warn = append(warn, fmt.Errorf("%s: the account's attributes predicted %s, %s answers %s: the attributes read may be stale (another DC, replication) or the prediction wrong; the answer decides",
				who, predictedText(f.Predicted), via, reasonText(reason)))
		}
	}
	if logon != nil && !logon.answered {
		note("LogonUser got no answer: %v", logon.err)
	}
	if bind != nil && !bind.answered && logon != nil {
		note("the bind got no answer: %v", bind.err)
	}
	out := Outcome{Fail: listed(fail, ""), Warn: listed(warn, ""), Details: d}
	switch {
	case out.Fail != nil:
		out.Summary = fmt.Sprintf("%s: %s", who, reasonText(reason))
		if reason == int(directory.ReasonLogonFailure) {
			out.Summary = who + ": wrong password (1326 ERROR_LOGON_FAILURE)"
		}
	case reason != 0:
		out.Summary = fmt.Sprintf("%s: the password is right; %s", who, reasonText(reason))
	default:
		out.Summary = fmt.Sprintf("%s accepts the password of %s: the account can sign in now", via, who)
		if d.Authority == "logon_user" && bind != nil && bind.ok {
			out.Summary += " (the bind at " + d.DC + " too)"
		}
	}
	return out
}

// agrees: the prediction named the reason answered (0: predicted nothing;
// 1329 from the attributes is the agent's server's, which a bind cannot
// contradict).
func agrees(p *directory.UserState, r directory.Reason) bool {
	if r == 0 {
		return len(p.Conditions) == 0
	}
	for _, c := range p.Conditions {
		if c.Reason == r {
			return true
		}
	}
	// A wrong password is no attribute's business; nor is an unknown name.
	return r == directory.ReasonLogonFailure || r == directory.ReasonNoSuchUser
}

func predictedText(p *directory.UserState) string {
	if len(p.Conditions) == 0 {
		return "nothing that blocks the sign-in"
	}
	var parts []string
	for _, c := range p.Conditions {
		parts = append(parts, fmt.Sprintf("%v (%s)", c.Reason, c.Fact))
	}
	return strings.Join(parts, ", ")
}

func reasonText(r int) string {
	if r == 0 {
		return "success"
	}
	return win32Name(directory.Reason(r))
}

// win32Name names a Win32 reason, "1311 ERROR_NO_LOGON_SERVERS": from the
// code table when the directory package does not know it, else by number.
func win32Name(r directory.Reason) string {
	if !strings.HasPrefix(r.Symbol(), "WIN32_") {
		return r.String()
	}
	if e, ok := codes.Lookup(codes.Code{Kind: codes.Win32, Number: int64(r)}); ok && e.Symbol != "" {
		return fmt.Sprintf("%d %s", int(r), e.Symbol)
	}
	return fmt.Sprintf("Win32 %d (0x%x)", int(r), int(r))
}

func describe(a answer) string {
	switch {
	case a.ok:
		return "accepted"
	case a.answered:
		return win32Name(a.reason)
	}
	return "no answer"
}
