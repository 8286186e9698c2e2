package netprobe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/ptacheck/ptacheck/util/redact"
)

// Probe outcomes: the stable vocabulary of net.outbound-ports details. The
// README explains each one.
const (
	OutcomeOK                = "ok"
	OutcomeNXDomain          = "dns-nxdomain"         // the name does not exist
	OutcomeDNSTimeout        = "dns-timeout"          // no DNS server answered in time
	OutcomeDNSUnreachable    = "dns-unreachable"      // the DNS server's port is unreachable (ICMP port unreachable): nothing listens there
	OutcomeDNSServFail       = "dns-servfail"         // the resolver failed (SERVFAIL)
	OutcomeDNSRefused        = "dns-refused"          // the resolver refused the query
	OutcomeDNSNoData         = "dns-nodata"           // the name exists but has no address
	OutcomeDNSError          = "dns-error"            // any other DNS failure
	OutcomeRefused           = "refused"              // TCP RST or ICMP port unreachable: a firewall reject, or nothing listens
	OutcomeFiltered          = "filtered"             // no answer to the TCP SYN: dropped by a firewall
	OutcomeReset             = "reset"                // connected, then reset (often a firewall inspecting SNI)
	OutcomeUnreachable       = "unreachable"          // no route / ICMP host or network unreachable
	OutcomeTCPError          = "tcp-error"            // any other connect failure
	OutcomeBlockedLocal      = "blocked-local"        // this host refused to send: a local firewall rule (EPERM/EACCES)
	OutcomeTLSTimeout        = "tls-timeout"          // connected, but the TLS handshake got no answer
	OutcomeTLSHandshake      = "tls-handshake-failed" // the handshake failed (alert, protocol error, closed)
	OutcomeTLSUntrusted      = "tls-untrusted"        // the chain does not lead to a trusted root
	OutcomeTLSNameMismatch   = "tls-name-mismatch"    // the certificate is not for this host name
	OutcomeTLSExpired        = "tls-expired"          // the certificate is expired or not yet valid
	OutcomeTLSInvalid        = "tls-invalid"          // another certificate problem
	OutcomeProxyAuthRequired = "proxy-auth-required"  // HTTP 407: the agent cannot authenticate to a proxy
	OutcomeProxyDenied       = "proxy-denied"         // HTTP 403 from the proxy
	OutcomeProxyBadGateway   = "proxy-bad-gateway"    // HTTP 502/503/504: the proxy could not reach the target
	OutcomeProxyServerError  = "proxy-server-error"   // another HTTP 5xx from the proxy
	OutcomeProxyError        = "proxy-error"          // the proxy is unreachable, answered something else or broke the protocol
	OutcomeCancelled         = "cancelled"            // the run was interrupted or a deadline cut the probe off
)

// Steps: where a probe failed.
const (
	StepDNS   = "dns"
	StepTCP   = "tcp"
	StepProxy = "proxy"
	StepTLS   = "tls"
)

// errProbeTimeout is the cause of a probe's own deadline.
var errProbeTimeout = errors.New("the probe timeout was exceeded")

// attempt is one probe's deadline bookkeeping. A probe times out on its own
// (--probe-timeout: a finding) or is cut off by its caller (a check or run
// deadline, Ctrl-C: not a finding). When the caller's deadline comes no
// later than the probe's own, every timeout is a cut-off, decided from the
// deadlines rather than from which timer happened to fire first, so the
// same input always gives the same outcome.
type attempt struct {
	parent      context.Context
	ctx         context.Context
	timeout     time.Duration
	parentFirst bool
}

func begin(parent context.Context, timeout time.Duration) (*attempt, context.CancelFunc) {
	deadline := time.Now().Add(timeout)
	pd, ok := parent.Deadline()
	a := &attempt{parent: parent, timeout: timeout, parentFirst: ok && !pd.After(deadline)}
	var cancel context.CancelFunc
	a.ctx, cancel = context.WithDeadlineCause(parent, deadline, errProbeTimeout)
	return a, cancel
}

// cutOff reports whether a failure (timedOut: it looked like a timeout) is
// the caller cutting the probe off, and why.
func (a *attempt) cutOff(timedOut bool) (string, bool) {
	if a.parent.Err() == nil && !(timedOut && a.parentFirst) {
		return "", false
	}
	// The parent's deadline is this instant; wait a moment for its cause.
	select {
	case <-a.parent.Done():
	case <-time.After(100 * time.Millisecond):
	}
	if cause := context.Cause(a.parent); cause != nil {
		return "cut off before the probe finished: " + cause.Error(), true
	}
	return "cut off by a deadline before the probe finished", true
}

// classifyConnect names a TCP connect failure.
func (a *attempt) classifyConnect(err error) (outcome, msg string) {
	timedOut := isTimeout(err) || a.ctx.Err() != nil
	if m, ok := a.cutOff(timedOut); ok {
		return OutcomeCancelled, m
	}
	switch {
	case timedOut:
		return OutcomeFiltered, fmt.Sprintf("no answer to the connection attempt within %s: packets are dropped (filtered by a firewall)", a.timeout)
	case errors.Is(err, syscall.ECONNREFUSED) || isErrno(err, errnoRefused):
		return OutcomeRefused, "connection refused: a firewall rejected it, or nothing listens on the port"
	case errors.Is(err, syscall.ECONNRESET) || isErrno(err, errnoReset):
		return OutcomeReset, "connection reset during connect"
	case isLocalBlock(err):
		return OutcomeBlockedLocal, "this host refused to send: a local firewall rule blocks the connection"
	case errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) || isErrno(err, errnoUnreachable):
		return OutcomeUnreachable, "no route to the host (ICMP unreachable, or no route configured): " + rootCause(err)
	}
	return OutcomeTCPError, rootCause(err)
}

// classifyTLS names a TLS handshake failure.
func (a *attempt) classifyTLS(err error) (outcome, msg string) {
	var unknown x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var alert tls.AlertError
	switch {
	case errors.As(err, &unknown):
		return OutcomeTLSUntrusted, "certificate signed by an untrusted authority: " + issuerOf(unknown.Cert)
	case errors.As(err, &hostErr):
		return OutcomeTLSNameMismatch, hostErr.Error()
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return OutcomeTLSExpired, invalid.Error()
	case errors.As(err, &invalid):
		return OutcomeTLSInvalid, invalid.Error()
	}
	timedOut := isTimeout(err) || a.ctx.Err() != nil
	if m, ok := a.cutOff(timedOut); ok {
		return OutcomeCancelled, m
	}
	switch {
	case timedOut:
		return OutcomeTLSTimeout, fmt.Sprintf("connected, but the TLS handshake got no answer within %s (a proxy or firewall holding the connection)", a.timeout)
	case errors.Is(err, syscall.ECONNRESET) || isErrno(err, errnoReset):
		return OutcomeReset, "connection reset during the TLS handshake"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return OutcomeTLSHandshake, "the server closed the connection during the TLS handshake"
	case errors.As(err, &alert):
		return OutcomeTLSHandshake, "TLS handshake failed: " + err.Error()
	}
	return OutcomeTLSHandshake, "TLS handshake failed: " + rootCause(err)
}

// classifyProxyIO names a failed exchange with the proxy.
func (a *attempt) classifyProxyIO(err error) (outcome, msg string) {
	timedOut := isTimeout(err) || a.ctx.Err() != nil
	if m, ok := a.cutOff(timedOut); ok {
		return OutcomeCancelled, m
	}
	if timedOut {
		return OutcomeProxyError, fmt.Sprintf("the proxy did not answer within %s", a.timeout)
	}
	if errors.Is(err, errHeaderTooLarge) {
		return OutcomeProxyError, "the proxy's answer was not a valid HTTP response: " + err.Error()
	}
	return OutcomeProxyError, "the proxy broke the exchange: " + rootCause(err)
}

func issuerOf(c *x509.Certificate) string {
	if c == nil {
		return "unknown issuer"
	}
	return fmt.Sprintf("issuer %q", c.Issuer.String())
}

// isLocalBlock: the local stack refused to send (Linux netfilter OUTPUT DROP
// gives EPERM; Windows Firewall gives WSAEACCES).
func isLocalBlock(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) || isErrno(err, errnoAccess)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// isErrno matches platform error numbers that syscall's constants miss (the
// WSA codes on Windows).
func isErrno(err error, set []syscall.Errno) bool {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return false
	}
	for _, e := range set {
		if errno == e {
			return true
		}
	}
	return false
}

// rootCause strips the "dial tcp 1.2.3.4:443: connect:" prefixes.
func rootCause(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}

// SanitizeReason keeps only printable ASCII of a reason phrase or other
// short text from the network.
func SanitizeReason(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return -1
		}
		return r
	}, s)
}

// DisplayURL renders a proxy URL for output: scheme and host, never the
// credentials.
func DisplayURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	return redact.String((&url.URL{Scheme: u.Scheme, Host: u.Host}).String())
}
