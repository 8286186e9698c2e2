// Package checks holds ptacheck's checklist: the Check interface, the checks
// themselves, the plan of which checks run in which phase, and the runner that
// owns ordering, deadlines, panics, skips and dependency gating.
//
// Checks never print and reach the outside world only through *Env, so tests
// swap in fakes and fixture mode swaps in loopback servers.
package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"
	"github.com/ptacheck/ptacheck/checks/directory"
	"github.com/ptacheck/ptacheck/checks/graph"
	"github.com/ptacheck/ptacheck/checks/hostfacts"
	"github.com/ptacheck/ptacheck/checks/netprobe"
)

// Status is the result of one check. The strings are part of the JSON schema;
// never rename them.
type Status string

const (
	StatusPass  Status = "pass"
	StatusWarn  Status = "warn"
	StatusFail  Status = "fail"
	StatusSkip  Status = "skip"  // does not apply here; Message says why
	StatusError Status = "error" // could not be evaluated; Message says why
)

// Meta is the static description of a check.
type Meta struct {
	ID          string // "<area>.<kebab-name>", stable: scripts gate on it
	Title       string // short human title
	Description string // one line for `ptacheck list`
	Remediation string // what to do when it warns or fails
	DocURL      string // where the remediation comes from
}

// Check is one item of the checklist. Implementations are small value types
// whose fields are their parameters.
type Check interface {
	Meta() Meta
	// Run evaluates the check. It must honour ctx, reach the world only via
	// env and never print.
	Run(ctx context.Context, env *Env) Outcome
}

// Entry is one item of the checklist: the check, the phases it runs in, the
// checks it requires and its deadline.
type Entry struct {
	Check    Check
	Phases   []Phase
	Requires []string
	Timeout  time.Duration
}

// ID returns the check's ID.
func (e Entry) ID() string { return e.Check.Meta().ID }

func (e Entry) inPhase(p Phase) bool {
	for _, q := range e.Phases {
		if q == p {
			return true
		}
	}
	return false
}

// Phase is the operation the admin is about to perform.
type Phase string

const (
	PhaseInstall  Phase = "install"
	PhaseRegister Phase = "register"
	// PhaseVerify confirms, right after the installer and the
	// registration, that the agent runs and the tenant sees it.
	PhaseVerify    Phase = "verify"
	PhaseEnable    Phase = "enable"
	PhaseUninstall Phase = "uninstall"
	// PhaseSignin diagnoses users whose sign-ins fail (ptacheck signin).
	PhaseSignin Phase = "signin"
	// PhaseOperate is a health check of a running setup, for a schedule.
	PhaseOperate Phase = "operate"
)

// allPhases lists every phase in lifecycle order.
var allPhases = []Phase{PhaseInstall, PhaseRegister, PhaseVerify, PhaseEnable, PhaseUninstall, PhaseSignin, PhaseOperate}

// ParsePhase recognises a phase name.
func ParsePhase(s string) (Phase, bool) {
	for _, p := range allPhases {
		if string(p) == s {
			return p, true
		}
	}
	return "", false
}

// Outcome is what a check returns; the runner turns it into a Result. The zero
// Outcome is a pass.
type Outcome struct {
	Fail error  // findings that make the check fail; *multierror.Error for several
	Warn error  // findings that only warn
	Err  error  // the check could not be evaluated (status error)
	Skip string // non-empty: the check does not apply here, with the reason
	// Unevaluated lists what the check could not evaluate (probes cut off
	// by a deadline). With definite failures the check still fails and
	// lists these too; without, it cannot pass or warn: it is an error.
	Unevaluated []string

	Summary     string // one-line message; defaults to the findings
	Remediation string // overrides Meta.Remediation for this outcome
	Details     any    // evidence; must marshal to a JSON object
	// Parts are the check's items with a status of their own (the
	// endpoints of net.outbound-ports), for reports that list them one by
	// one (JUnit: a testcase each). They never change the check's status.
	Parts []Part
}

// Part is one item of a check with a status of its own.
type Part struct {
	Name    string `json:"name"`
	Status  Status `json:"status"`
	Message string `json:"message"`
}

// Skipped returns an Outcome that says the check does not apply.
func Skipped(format string, args ...any) Outcome {
	return Outcome{Skip: fmt.Sprintf(format, args...)}
}

// Errored returns an Outcome that says the check could not be evaluated.
func Errored(err error, details any) Outcome {
	return Outcome{Err: err, Details: details}
}

// Result is the runner's record of one check, the only thing reports format.
type Result struct {
	ID          string
	Title       string
	Status      Status
	Message     string   // one line
	Findings    []string // every individual finding, failures first
	Remediation string   // empty for pass and skip
	DocURL      string
	// Ignored is set when --ignore-failures demoted a failure to this
	// warning: it is reported, but does not trip --strict.
	Ignored bool
	// Start is when the check started; Duration how long it ran.
	Start    time.Time
	Duration time.Duration
	Details  any
	Parts    []Part // see Outcome.Parts
}

// Area returns the part of a check ID before the dot ("net" for
// "net.outbound-ports").
func Area(id string) string {
	area, _, _ := strings.Cut(id, ".")
	return area
}

// flatten turns an error (possibly a *multierror.Error) into one string per
// finding. multierror's own Error() format is never shown to users.
func flatten(err error) []string {
	if err == nil {
		return nil
	}
	var merr *multierror.Error
	if errors.As(err, &merr) {
		merr = multierror.Flatten(merr).(*multierror.Error)
		out := make([]string, 0, len(merr.Errors))
		for _, e := range merr.Errors {
			out = append(out, e.Error())
		}
		return out
	}
	return []string{err.Error()}
}

// toResult turns an Outcome into a Result for meta.
func toResult(meta Meta, out Outcome, d time.Duration) Result {
	r := Result{ID: meta.ID, Title: meta.Title, Duration: d, Details: out.Details, DocURL: meta.DocURL, Parts: out.Parts}
	fails, warns := flatten(out.Fail), flatten(out.Warn)
	var unevaluated []string
	for _, u := range out.Unevaluated {
		unevaluated = append(unevaluated, "not evaluated: "+u)
	}
	switch {
	case out.Err != nil:
		r.Status = StatusError
		r.Findings = append(flatten(out.Err), unevaluated...)
	case out.Skip != "":
		r.Status = StatusSkip
		r.Message = out.Skip
	case len(fails) > 0:
		r.Status = StatusFail
		r.Findings = fails
		for _, w := range warns {
			r.Findings = append(r.Findings, "warning: "+w)
		}
		r.Findings = append(r.Findings, unevaluated...)
	case len(unevaluated) > 0:
		// Nothing definite failed, but not everything was evaluated: the
		// check can neither pass nor merely warn.
		r.Status = StatusError
		r.Findings = unevaluated
		for _, w := range warns {
			r.Findings = append(r.Findings, "warning: "+w)
		}
	case len(warns) > 0:
		r.Status = StatusWarn
		r.Findings = warns
	default:
		r.Status = StatusPass
	}
	if out.Summary != "" && r.Status != StatusSkip {
		r.Message = out.Summary
	} else if r.Message == "" && len(r.Findings) > 0 {
		r.Message = r.Findings[0]
		if n := len(r.Findings); n > 1 {
			r.Message = fmt.Sprintf("%s (and %d more)", r.Message, n-1)
		}
	}
	switch r.Status {
	case StatusFail, StatusWarn:
		r.Remediation = meta.Remediation
		if out.Remediation != "" {
			r.Remediation = out.Remediation
		}
	case StatusError:
		// The check's remediation fixes a failure; an error needs its own
		// (the runner supplies a generic one when the check gives none).
		r.Remediation = out.Remediation
	}
	return r
}

// Env is everything a check may touch: the clients of the leaf packages.
// internal/setup builds one per run (for the real world or a fixture); tests
// fill in only the fields the check under test uses, so an unexpected
// dependency shows up as a nil-pointer panic in that test.
type Env struct {
	Host hostfacts.Source // host facts: live Windows host, a snapshot file or a fixture
	Net  *netprobe.Client // DNS, TCP, TLS and proxy probes; one per run, owns its probe cache
	AD   Directory        // LDAP to the domain's DCs (a *directory.Gatherer); gathers once per run
	// Tenant reads Microsoft Graph (checks/graph); nil when no token
	// source is configured (the tenant checks then say why they cannot run).
	Tenant *graph.Tenant
	Now    func() time.Time
	Logf   func(format string, args ...any) // verbose log, stderr only; may be nil
	// Met are the facts the check's declared needs brought: the runner
	// fills them in before it runs the check.
	Met Facts
}

// Directory is what the checks ask of the domain's DCs: the facts of a
// domain, the accounts of a list of users, one password tried. A
// *directory.Gatherer gathers each once per run; tests answer from facts.
type Directory interface {
	Gather(ctx context.Context, domain string, dcs []string) *directory.Facts
	Users(ctx context.Context, domain string, dcs, upns []string) *directory.UserFacts
	TryPassword(ctx context.Context, f *directory.Facts, account string, p *directory.UserPassword) (a *directory.PasswordAttempt, repeat bool)
}

// Facts are what a check's needs brought: the runner fills them in.
type Facts struct {
	Host      *hostfacts.Snapshot
	Directory *directory.Facts
	Users     *directory.UserFacts
	Tenant    *graph.Tenant
	Signin    []signinUser // the users of a signin run, as their cloud accounts name them
}

// signinUser is one user of a signin run.
type signinUser struct {
	UPN          string                // as given: the name the user signs in to Entra ID with
	CloudAccount *graph.CloudUserFacts // nil: Graph not read for this user
	// Account is the UPN the AD checks look up and the password is tried
	// with: the on-premises UPN Graph shows, else the name given; "" when
	// the user does not sign in through PTA (NotPTA says why).
	Account string
	NotPTA  string
}

// graphOutcome turns a Graph error into the check's result: a missing
// permission or a broken answer means the check could not be evaluated.
func graphOutcome(what string, err error) Outcome {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return Outcome{Unevaluated: []string{what + " (cut off)"}}
	}
	out := Outcome{Err: fmt.Errorf("%s: %w", what, err)}
	switch {
	case graph.IsUnauthorized(err):
		out.Remediation = "The Graph token was refused: sign in again (device code) or pass a fresh token with --token-file or PTACHECK_GRAPH_TOKEN."
	case graph.IsForbidden(err):
		out.Remediation = "The signed-in account lacks a permission this read needs (named above): sign in as an account with Global Reader, or grant the delegated permission with admin consent."
	default:
		out.Remediation = "Graph could not be read; see the message, then re-run."
	}
	return out
}

func errorList(errs []error) error {
	var m *multierror.Error
	for _, e := range errs {
		m = multierror.Append(m, e)
	}
	return m.ErrorOrNil()
}
