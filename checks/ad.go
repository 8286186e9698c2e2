package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/ptacheck/ptacheck/checks/directory"
	"github.com/ptacheck/ptacheck/checks/netprobe"
)

// Directory timing thresholds.
const (
	// slowDirectory: a bind plus search slower than this threatens the
	// agent's validation of a sign-in, which has about 7 seconds in all
	// (pta-facts.md 4, unofficial) and needs several directory round trips.
	slowDirectory = 2 * time.Second
	skewWarn      = time.Minute
	skewFail      = 5 * time.Minute // the default Kerberos tolerance
	// adCheckTimeout bounds a directory check: the DC locator, dialling
	// DCs, binding and two searches.
	adCheckTimeout = 20 * time.Second
)

// ADDCReachableCheck finds the DCs of the domain and binds to one: what the
// agent needs to validate a password (AADSTS80001, 80002).
type ADDCReachableCheck struct{ Config ADConfig }

func (ADDCReachableCheck) Meta() Meta {
	return Meta{
		ID:          "ad.dc-reachable",
		Title:       "Domain controller reachable",
		Description: "DC locator (SRV _ldap._tcp.dc._msdcs.<domain>), an LDAP bind to the first DC that answers, bind and search latency, and the DC ports the agent needs (53, 88, 389, 636, 3268)",
		Remediation: "Let this server reach a domain controller of its domain: DNS must serve the DC-locator SRV records, and TCP 88 (Kerberos) and 389 (LDAP) must be open to the DCs " +
			"(AADSTS80001 \"unable to connect to Active Directory\", AADSTS80002 \"a timeout occurred connecting to Active Directory\").",
		DocURL: docPTAError,
	}
}

func (c ADDCReachableCheck) Needs() Needs { return Needs{Directory: &c.Config} }

func (c ADDCReachableCheck) Run(ctx context.Context, env *Env) Outcome {
	f := env.Met.Directory
	if f.LocateErr != "" {
		return Outcome{
			Fail:    fmt.Errorf("no domain controller found for %s: %s", f.Domain, f.LocateErr),
			Summary: "no domain controller found for " + f.Domain + " (AADSTS80001)",
			Remediation: "The DC locator found no DC: check that this server uses the domain's DNS servers (--dns-server to test another) and that " +
				directory.SRVName(f.Domain) + " exists; or name a DC with --dc.",
			Details: f,
		}
	}
	var fail, warn *multierror.Error
	for _, p := range f.Ports {
		if p.Outcome == netprobe.OutcomeOK {
			continue
		}
		if p.Outcome == netprobe.OutcomeCancelled {
			out := Outcome{Unevaluated: []string{fmt.Sprintf("%s port %d (%s)", p.DC, p.Port, p.Service)}, Details: f}
			return out
		}
		finding := fmt.Errorf("%s port %d (%s) is not reachable: %s: %s", p.DC, p.Port, p.Service, p.Outcome, p.Error)
		if portRequired(p.Port) {
			fail = multierror.Append(fail, finding)
		} else {
			warn = multierror.Append(warn, finding)
		}
	}
	if f.DialErr != nil {
		return dialOutcome(f, fail, warn)
	}
	took := time.Duration((f.BindMS + f.SearchMS) * float64(time.Millisecond))
	if took > slowDirectory {
		warn = multierror.Append(warn, fmt.Errorf("bind and search took %s (bind %.0f ms, search %.0f ms): a directory this slow threatens the agent's validation of a sign-in (AADSTS80002)", took.Round(time.Millisecond), f.BindMS, f.SearchMS))
	}
	summary := fmt.Sprintf("%s bound over %s (%s) in %.1f ms, search %.1f ms", f.DC, f.Security, strings.TrimPrefix(f.Bind, "bind as "), f.BindMS, f.SearchMS)
	return Outcome{Fail: fail.ErrorOrNil(), Warn: warn.ErrorOrNil(), Summary: summary, Details: f}
}

func portRequired(port int) bool {
	for _, p := range directory.DCPorts {
		if p.Port == port {
			return p.Required
		}
	}
	return false
}

// dialOutcome explains why no DC bound. A DC that answered but refused our
// bind is reachable: that is not a failure of the directory, but the checks
// that need a bind cannot be evaluated (error), with what to do.
func dialOutcome(f *directory.Facts, fail, warn *multierror.Error) Outcome {
	err := f.DialErr
	switch {
	case directory.IsStrongAuthRequired(err):
		return Outcome{
			Err:         fmt.Errorf("%s answered, but refuses a simple bind over plain LDAP (strongerAuthRequired): %v", f.DCs[0].Name, err),
			Remediation: "The DC requires an encrypted connection for a password bind (as hardened AD and Samba do): use LDAPS, the default, or --ldap-security starttls.",
			Details:     f,
		}
	case directory.IsInvalidCredentials(err):
		return Outcome{
			Err:         fmt.Errorf("a domain controller answered, but refused the bind: %v", err),
			Remediation: "Check --ldap-user and the password (PTACHECK_LDAP_PASSWORD or --ldap-password-file), or run on the domain-joined server as a domain user without them.",
			Details:     f,
		}
	case directory.IsCanceled(err):
		return Outcome{Unevaluated: []string{"binding to a domain controller (cut off)"}, Fail: fail.ErrorOrNil(), Details: f}
	}
	var tlsErr bool
	for _, a := range f.Attempts {
		tlsErr = tlsErr || strings.Contains(a.Error, "tls handshake") || strings.Contains(a.Error, "x509")
	}
	if tlsErr {
		return Outcome{
			Err: fmt.Errorf("no domain controller completed the TLS handshake: %v", err),
			Remediation: "ptacheck verifies the DC's certificate: pass the issuing CA with --ca-file (or, knowingly, --ldap-insecure-skip-verify); " +
				"or use --ldap-security starttls. The agent itself does not use LDAPS.",
			Details: f,
		}
	}
	fail = multierror.Append(fail, fmt.Errorf("no domain controller of %s answered: %v", f.Domain, err))
	return Outcome{Fail: fail.ErrorOrNil(), Warn: warn.ErrorOrNil(), Summary: "no domain controller of " + f.Domain + " answered (AADSTS80001)", Details: f}
}

// ADTimeSkewCheck compares the DC's clock (rootDSE currentTime) with this
// server's: Kerberos tolerates 5 minutes by default (AADSTS80013).
type ADTimeSkewCheck struct{ Config ADConfig }

func (ADTimeSkewCheck) Meta() Meta {
	return Meta{
		ID:          "ad.time-skew",
		Title:       "Clock in step with the DC",
		Description: "the DC's currentTime and this server's clock differ by less than 1 minute (warn) / 5 minutes (fail, the Kerberos tolerance)",
		Remediation: "Synchronise this server's clock with the domain hierarchy (w32tm /resync; the Windows Time service on domain members follows the DCs) " +
			"(AADSTS80013: time skew between the agent and AD).",
		DocURL: docClock,
	}
}

func (c ADTimeSkewCheck) Needs() Needs { return Needs{Directory: &c.Config} }

func (c ADTimeSkewCheck) Run(ctx context.Context, env *Env) Outcome {
	f := env.Met.Directory
	if f.RootDSE == nil {
		return Outcome{Err: errors.New("the DC's time could not be read: no domain controller answered (see ad.dc-reachable)"), Details: f}
	}
	dc := f.RootDSE.CurrentTime
	if dc.IsZero() {
		return Outcome{Err: fmt.Errorf("the DC's rootDSE has no usable currentTime (%q)", f.RootDSE.CurrentTimeRaw), Details: f}
	}
	local := f.ReceivedAt
	if env.Now != nil {
		// The run's clock (a fixture's fixed clock) at the moment of the read.
		local = env.Now().Add(-time.Since(f.ReceivedAt))
	}
	// currentTime has whole seconds: the DC's clock was somewhere in that
	// second, so compare with its middle.
	if dc.Equal(dc.Truncate(time.Second)) {
		dc = dc.Add(500 * time.Millisecond)
	}
	skew := local.Sub(dc)
	abs := skew
	if abs < 0 {
		abs = -abs
	}
	details := map[string]any{"dc": f.DC, "dc_time": dc.UTC().Format(time.RFC3339), "local_time": local.UTC().Format(time.RFC3339), "skew_seconds": skew.Round(time.Second).Seconds()}
	ahead := "ahead of"
	if skew < 0 {
		ahead = "behind"
	}
	// currentTime has whole seconds, so a skew under one second is below
	// what the DC's clock can show: "0s ahead" or "0s behind" would be chance.
	if abs < time.Second {
		return Outcome{Summary: fmt.Sprintf("this server's clock is in step with %s (less than 1 second apart)", f.DC), Details: details}
	}
	msg := fmt.Sprintf("this server's clock is %s %s %s", abs.Round(time.Second), ahead, f.DC)
	switch {
	case abs > skewFail:
		return Outcome{Fail: errors.New(msg + ": more than the 5-minute Kerberos tolerance (AADSTS80013)"), Details: details}
	case abs > skewWarn:
		return Outcome{Warn: errors.New(msg + ": within the 5-minute Kerberos tolerance, but drifting"), Details: details}
	}
	return Outcome{Summary: msg + " (within 1 minute)", Details: details}
}
