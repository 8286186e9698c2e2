package checks

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/ptacheck/ptacheck/checks/directory"
	"github.com/ptacheck/ptacheck/checks/graph"
	"github.com/ptacheck/ptacheck/util/textfmt"
)

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

func (c UserExistsCheck) Needs() Needs {
	return Needs{Users: &c.Config, Graph: []graph.Call{graph.CallUser}}
}

func (c UserExistsCheck) Run(ctx context.Context, env *Env) Outcome {
	users, u := env.Met.Signin, env.Met.Users
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
	details := map[string]any{"found": len(u.Found), "other_domains": u.Other, "missing": u.Missing, "lookup_ms": float64(u.Took.Microseconds()) / 1000}
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

func (c UserAccountStateCheck) Needs() Needs {
	return Needs{Users: &c.Config, Graph: []graph.Call{graph.CallUser}}
}

func (c UserAccountStateCheck) Run(ctx context.Context, env *Env) Outcome {
	users, u := env.Met.Signin, env.Met.Users
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
