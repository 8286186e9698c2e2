package checks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ptacheck/ptacheck/checks/codes"
	"github.com/ptacheck/ptacheck/checks/directory"
	"github.com/ptacheck/ptacheck/checks/graph"
)

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

func (c UserPasswordCheck) Needs() Needs {
	return Needs{Signin: &c.Config, Graph: []graph.Call{graph.CallUser}}
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
	su := env.Met.Signin[0]
	if su.Account == "" {
		return Skipped("%s %s: there is no AD password to check (see user.cloud-upn)", su.UPN, su.NotPTA)
	}
	f := env.AD.Gather(ctx, cfg.AD.Domain, cfg.AD.DCs)
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
		if u := env.AD.Users(ctx, cfg.AD.Domain, cfg.AD.DCs, []string{su.Account}); u != nil {
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
	Attempt *directory.PasswordAttempt
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
type signinAnswer struct {
	answered bool             // the DC (or Windows) answered
	ok       bool             // accepted
	reason   directory.Reason // refused with this reason
	err      error            // no answer
}

func bindAnswer(b *directory.PasswordAnswer) signinAnswer {
	if b.Err == nil {
		return signinAnswer{answered: true, ok: true}
	}
	if code, ok := directory.BindSubCode(b.Err); ok {
		r, _ := directory.LogonReason(code)
		return signinAnswer{answered: true, reason: r}
	}
	return signinAnswer{err: b.Err}
}

func logonAnswer(l *directory.LogonAnswer) signinAnswer {
	switch {
	case l.Err != nil:
		return signinAnswer{err: l.Err}
	case l.OK:
		return signinAnswer{answered: true, ok: true}
	}
	return signinAnswer{answered: true, reason: l.Reason}
}

func (a signinAnswer) json() *answerJSON {
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
	p := &passwordDecision{f: f, who: f.User.named(), via: "the DC"}
	logon, bind := p.details()
	var auth *signinAnswer
	switch {
	case logon != nil && logon.answered:
		auth, p.d.Authority = logon, "logon_user"
	case bind != nil && bind.answered:
		auth, p.d.Authority = bind, "bind"
	}
	if f.Repeat {
		p.note("the answer of the one attempt at %s: a password is tried once per run, never again", p.d.TriedAt)
	}
	if logon != nil && bind != nil && logon.answered && bind.answered && (logon.ok != bind.ok || logon.reason != bind.reason) {
		p.note("LogonUser on this server and the bind at %s answer differently (LogonUser: %s; bind: %s): LogonUser, which the agent calls, decides", p.d.DC, logon.said(), bind.said())
	}
	if auth == nil {
		return p.unanswered(logon, bind)
	}
	if !auth.ok {
		p.reason = int(auth.reason)
		p.d.Reason = &p.reason
	}
	if p.d.Authority == "logon_user" {
		p.via = "LogonUser on this server"
	}
	p.judge(*auth)
	// The prediction against the answer.
	if f.Predicted != nil {
		agree := agrees(f.Predicted, directory.Reason(p.reason))
		p.d.Agrees = &agree
		if !agree {
			p.warn = append(p.warn, fmt.Errorf("%s: the account's attributes predicted %s, %s answers %s: the attributes read may be stale (another DC, replication) or the prediction wrong; the answer decides",
				p.who, predictedText(f.Predicted), p.via, reasonText(p.reason)))
		}
	}
	if logon != nil && !logon.answered {
		p.note("LogonUser got no answer: %v", logon.err)
	}
	if bind != nil && !bind.answered && logon != nil {
		p.note("the bind got no answer: %v", bind.err)
	}
	return p.outcome(bind)
}

// passwordDecision is decidePassword's work: the details it fills in, the
// reason it settles on and its findings.
type passwordDecision struct {
	f          passwordFacts
	d          passwordJSON
	who, via   string
	reason     int // the Win32 reason the agent would log; 0: success
	fail, warn []error
}

func (p *passwordDecision) note(format string, args ...any) {
	p.d.Notes = append(p.d.Notes, fmt.Sprintf(format, args...))
}

// details records both answers and the prediction.
func (p *passwordDecision) details() (logon, bind *signinAnswer) {
	f, a := p.f, p.f.Attempt
	p.d = passwordJSON{UPN: f.User.UPN, Account: a.Account, TriedAt: a.At.UTC().Format(time.RFC3339), Repeat: f.Repeat, NoBind: a.NoBind, Predicted: []int{}}
	if a.Logon != nil {
		x := logonAnswer(a.Logon)
		logon, p.d.LogonUser = &x, x.json()
	}
	if b := a.Bind; b != nil {
		x := bindAnswer(b)
		bind, p.d.Bind = &x, x.json()
		p.d.DC, p.d.Security = b.DC, b.Security.String()
		sent := b.Sent
		p.d.Bind.Sent = &sent
		if code, ok := directory.BindSubCode(b.Err); ok {
			p.d.Bind.SubCode = fmt.Sprintf("%x", code)
			// The DC's own words (AD ends them with a NUL).
			p.d.Bind.Error = strings.ReplaceAll(b.Err.Error(), "\x00", "")
		}
		if b.Sent || b.DC != "" {
			p.d.Timing = &passwordLat{Connect: msOf(b.Connect), Bind: msOf(b.Latency)}
		}
	}
	if pr := f.Predicted; pr != nil {
		for _, cond := range pr.Conditions {
			p.d.Predicted = append(p.d.Predicted, int(cond.Reason))
		}
	}
	return logon, bind
}

// unanswered: no answer at all, the check could not be evaluated.
func (p *passwordDecision) unanswered(logon, bind *signinAnswer) Outcome {
	var errs []string
	var sent bool
	if logon != nil {
		errs = append(errs, "LogonUser: "+logon.err.Error())
		sent = true
	}
	if bind != nil {
		errs = append(errs, bind.err.Error())
		sent = sent || p.f.Attempt.Bind.Sent
	}
	msg := "the password could not be checked: " + strings.Join(errs, "; ")
	if sent {
		msg += " (the attempt may have reached the DC and counted toward the lockout threshold: it is not repeated in this run)"
	}
	return Outcome{Err: errors.New(msg), Details: p.d}
}

// judge turns the authority's answer into findings.
func (p *passwordDecision) judge(auth signinAnswer) {
	f, who, via := p.f, p.who, p.via
	predicted := map[directory.Reason]string{}
	if f.Predicted != nil {
		for _, c := range f.Predicted.Conditions {
			predicted[c.Reason] = c.Fact
		}
	}
	allowed := f.Machine != "" && directory.WorkstationAllowed(f.Workstations, f.Machine)
	switch {
	case auth.ok:
		if fact, ok := predicted[directory.ReasonInvalidWorkstation]; ok && p.d.Authority == "bind" {
			// The bind logged on at the DC; the agent logs on from this
			// server, which the attributes say "Log On To" does not list.
			p.fail = append(p.fail, fmt.Errorf("%s: %s accepts the password, but the agent logs on from %s, which the account may not: %s (1329 ERROR_INVALID_WORKSTATION)", who, via, f.Machine, fact))
			p.reason = int(directory.ReasonInvalidWorkstation)
			p.d.Reason = &p.reason
		}
	case auth.reason == directory.ReasonInvalidWorkstation && p.d.Authority == "bind":
		switch {
		case f.Predicted == nil || f.Machine == "":
			p.warn = append(p.warn, fmt.Errorf("%s: the password is right, but the DC refused the bind with 1329 ERROR_INVALID_WORKSTATION: \"Log On To\" does not list the DC, and whether it lists the agent's server is not known (the account's attributes were not read, or no --machine)", who))
		case allowed:
			p.note("the DC refused the bind with 1329 (data 531): \"Log On To\" (%s) does not list the DC, where a bind logs on; it lists %s, where the agent logs on", strings.Join(f.Workstations, ","), f.Machine)
			p.d.Reason = nil
			p.reason = 0
		default:
			p.fail = append(p.fail, fmt.Errorf("%s: the password is right, but \"Log On To\" (%s) does not list %s, where the agent logs on (1329 ERROR_INVALID_WORKSTATION)", who, strings.Join(f.Workstations, ","), f.Machine))
		}
	case auth.reason == directory.ReasonLogonFailure:
		msg := fmt.Sprintf("%s: %s refuses the password: 1326 ERROR_LOGON_FAILURE (wrong password or unknown name); the attempt counted toward the account's lockout threshold", who, via)
		if f.NotFound {
			msg += fmt.Sprintf("; there is no account %s in the domain (see user.exists)", f.Attempt.Account)
		}
		p.fail = append(p.fail, errors.New(msg))
	case auth.reason == directory.ReasonNoSuchUser:
		p.fail = append(p.fail, fmt.Errorf("%s: the DC knows no account %s: 1317 ERROR_NO_SUCH_USER (data 525; the agent's LogonUser reports an unknown name as 1326)", who, f.Attempt.Account))
	default:
		p.fail = append(p.fail, fmt.Errorf("%s: %s refuses the sign-in: %s", who, via, win32Name(auth.reason)))
	}
}

// outcome is the verdict with its summary.
func (p *passwordDecision) outcome(bind *signinAnswer) Outcome {
	who, reason := p.who, p.reason
	out := Outcome{Fail: listed(p.fail, ""), Warn: listed(p.warn, ""), Details: p.d}
	switch {
	case out.Fail != nil:
		out.Summary = fmt.Sprintf("%s: %s", who, reasonText(reason))
		if reason == int(directory.ReasonLogonFailure) {
			out.Summary = who + ": wrong password (1326 ERROR_LOGON_FAILURE)"
		}
	case reason != 0:
		out.Summary = fmt.Sprintf("%s: the password is right; %s", who, reasonText(reason))
	default:
		out.Summary = fmt.Sprintf("%s accepts the password of %s: the account can sign in now", p.via, who)
		if p.d.Authority == "logon_user" && bind != nil && bind.ok {
			out.Summary += " (the bind at " + p.d.DC + " too)"
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

// said is the answer in a few words.
func (a signinAnswer) said() string {
	switch {
	case a.ok:
		return "accepted"
	case a.answered:
		return win32Name(a.reason)
	}
	return "no answer"
}

func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
