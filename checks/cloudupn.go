package checks

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/ptacheck/ptacheck/checks/graph"
	"github.com/ptacheck/ptacheck/util/textfmt"
)

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

func (c UserCloudUPNCheck) Needs() Needs {
	return Needs{Signin: &c.Config, Tenant: &c.Config.Tenant, Graph: []graph.Call{graph.CallUser}}
}

func (c UserCloudUPNCheck) Run(ctx context.Context, env *Env) Outcome {
	return decideCloudUPN(env.Met.Signin)
}

// decideCloudUPN decides user.cloud-upn on the users' cloud facts.
func decideCloudUPN(users []signinUser) Outcome {
	t := &cloudUPNTally{rows: []cloudUPNJSON{}}
	for _, u := range users {
		t.rows = append(t.rows, t.add(u))
	}
	return t.outcome(len(users))
}

// cloudUPNTally is decideCloudUPN's work, user by user.
type cloudUPNTally struct {
	fail, warn            []error
	unread                []string
	graphErr              error
	rows                  []cloudUPNJSON
	mismatched, cloudOnly int
}

// add decides one user: the row of the details, with the findings tallied.
func (t *cloudUPNTally) add(u signinUser) cloudUPNJSON {
	row := cloudUPNJSON{UPN: u.UPN, Verdict: "not-evaluated"}
	f := u.CloudAccount
	switch {
	case f == nil:
		t.unread = append(t.unread, u.UPN+" (not read: the cloud account is read for the first "+fmt.Sprint(maxCloudUsers)+" users of a run)")
	case graph.IsNotFound(f.User.Err) && f.ByOnPremises != nil && f.ByOnPremises.Err != nil:
		t.graphErr = cmp.Or(t.graphErr, f.ByOnPremises.Err)
		t.unread = append(t.unread, u.UPN+": "+f.ByOnPremises.Err.Error())
	case graph.IsNotFound(f.User.Err) && f.ByOnPremises != nil && len(f.ByOnPremises.V) > 0:
		row.Verdict = "fail"
		row.OnPremisesUPN = u.UPN
		var names []string
		for _, cu := range f.ByOnPremises.V {
			names = append(names, cu.UserPrincipalName)
		}
		row.CloudUPN = strings.Join(names, ", ")
		t.mismatched++
		t.fail = append(t.fail, fmt.Errorf("%s is not a cloud UPN but the on-premises UPN of %s: the user signs in as %s, the agent is handed that name, which AD does not know, and the sign-in fails with \"invalid username or password\"",
			u.UPN, row.CloudUPN, names[0]))
	case graph.IsNotFound(f.User.Err):
		row.Verdict = "fail"
		t.fail = append(t.fail, fmt.Errorf("%s: no such user in Entra ID, as a cloud or an on-premises UPN (AADSTS50034 UserAccountNotFound): the sign-in never reaches the agent; check the name, and that Entra Connect synchronises the account", u.UPN))
	case f.User.Err != nil:
		t.graphErr = cmp.Or(t.graphErr, f.User.Err)
		t.unread = append(t.unread, u.UPN+": "+f.User.Err.Error())
	default:
		t.account(u, &row)
	}
	return row
}

// account decides a user whose cloud account was read.
func (t *cloudUPNTally) account(u signinUser, row *cloudUPNJSON) {
	cu := u.CloudAccount.User.V
	row.CloudUPN, row.OnPremisesUPN, row.OnPremisesSAM, row.OnPremisesDom = cu.UserPrincipalName, cu.OnPremisesUserPrincipalName, cu.OnPremisesSamAccountName, cu.OnPremisesDomainName
	row.Sync, row.AccountEnabled, row.Verdict = string(cu.Sync()), cu.AccountEnabled, "pass"
	if cu.AccountEnabled != nil && !*cu.AccountEnabled {
		row.Verdict = "fail"
		t.fail = append(t.fail, fmt.Errorf("%s: the Entra ID account is disabled (AADSTS50057 UserDisabled): Entra ID refuses the sign-in before PTA", u.UPN))
	}
	switch {
	case u.NotPTA != "":
		t.cloudOnly++
		if row.Verdict == "pass" {
			row.Verdict = "warn"
		}
		t.warn = append(t.warn, fmt.Errorf("%s %s; the AD checks leave it out", u.UPN, u.NotPTA))
	case cu.OnPremisesUserPrincipalName == "":
		row.Verdict = "not-evaluated"
		t.unread = append(t.unread, u.UPN+": a synchronised user without onPremisesUserPrincipalName (the on-premises UPN cannot be compared)")
	case !strings.EqualFold(cu.OnPremisesUserPrincipalName, cu.UserPrincipalName):
		t.mismatched++
		row.Verdict = "fail"
		t.fail = append(t.fail, fmt.Errorf("%s signs in to Entra ID as %s, but the on-premises UPN is %s (sAMAccountName %s, domain %s): the agent is handed %s, which AD does not know, "+
			"and the sign-in fails with \"invalid username or password\"; the AD checks look the account up as %s",
			u.UPN, cu.UserPrincipalName, cu.OnPremisesUserPrincipalName, orDash(cu.OnPremisesSamAccountName), orDash(cu.OnPremisesDomainName), cu.UserPrincipalName, cu.OnPremisesUserPrincipalName))
	}
}

// outcome is the verdict on n users.
func (t *cloudUPNTally) outcome(n int) Outcome {
	details := map[string]any{"users": t.rows}
	var out Outcome
	out.Details = details
	out.Fail = listed(t.fail, "users whose cloud account stops the sign-in")
	out.Warn = listed(t.warn, "users who do not sign in through PTA")
	out.Unevaluated = t.unread
	evaluated := n - len(t.unread)
	switch {
	case out.Fail != nil:
		out.Summary = fmt.Sprintf("%d of %d users cannot sign in through PTA as named", len(t.fail), n)
		if t.mismatched > 0 {
			out.Summary += fmt.Sprintf(" (%d with an on-premises UPN other than the cloud UPN)", t.mismatched)
		}
	case len(t.unread) > 0 && t.graphErr != nil:
		o := graphOutcome("read the users' cloud accounts", t.graphErr)
		o.Details, o.Unevaluated = details, t.unread
		return o
	case out.Warn != nil:
		out.Summary = fmt.Sprintf("%d of %d users do not sign in through PTA (cloud-only or no longer synchronised)", t.cloudOnly, n)
	default:
		out.Summary = fmt.Sprintf("%s with the on-premises UPN", textfmt.Plural(evaluated, "user signs in", "users sign in"))
	}
	return out
}
