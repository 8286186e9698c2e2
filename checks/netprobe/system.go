package netprobe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// diagnosisShare: a system lookup gets the probe's time but a quarter of
// it, kept for asking the DNS servers directly why the lookup failed.
const diagnosisShare = 4

// maxSearchNames bounds the search-list names tried when a short name is
// diagnosed.
const maxSearchNames = 3

// resolveSystem resolves host through the operating system, as the agent
// does. An answer that came from the hosts file says so, and DNS is asked
// (concurrently, read when the probe ends) what it answers instead. A
// failure is diagnosed by asking the DNS servers directly.
func (c *Client) resolveSystem(a *attempt, host string, compare bool) Answer {
	start := time.Now()
	lctx, cancel := a.ctx, context.CancelFunc(func() {})
	var budget time.Duration // the system lookup's share of the time
	if dl, ok := a.ctx.Deadline(); ok {
		budget = dl.Sub(start) - dl.Sub(start)/diagnosisShare
		lctx, cancel = context.WithDeadline(a.ctx, start.Add(budget))
	}
	addrs, err := c.system.LookupHost(lctx, host)
	took := time.Since(start)
	if budget > 0 && took > budget {
		took = budget
	}
	timedOut := err != nil && (lctx.Err() != nil || isTimeout(err))
	cancel()
	if err == nil && len(addrs) == 0 {
		err = errors.New("no address")
	}
	if err == nil {
		ans := Answer{Addrs: addrs, Outcome: OutcomeOK}
		if hf := c.hostsFile(); hf.Gave(host, addrs) {
			ans.Source, ans.HostsFile = SourceHosts, hf.Path
			if compare {
				ans.dns = c.askDNS(a, host)
			}
		}
		return ans
	}
	if m, cut := a.cutOff(timedOut); cut {
		return Answer{Outcome: OutcomeCancelled, Err: fmt.Errorf("resolve %s: %s", host, m)}
	}
	what, outcome := systemFailure(err, timedOut, took)
	return c.diagnose(a, host, what, outcome)
}

// systemFailure words a failed system lookup and gives the outcome it
// implies when no DNS server can be asked.
func systemFailure(err error, timedOut bool, took time.Duration) (string, string) {
	var de *net.DNSError
	switch {
	case timedOut:
		return fmt.Sprintf("the system resolver got no answer within %s", took.Round(time.Millisecond)), OutcomeDNSTimeout
	case errors.As(err, &de) && de.IsNotFound:
		return "the system resolver found no such host", OutcomeNXDomain
	case errors.As(err, &de):
		return "the system resolver failed (" + de.Err + ")", OutcomeDNSError
	}
	return "the system resolver failed (" + rootCause(err) + ")", OutcomeDNSError
}

// diagnose asks the DNS servers directly why the system could not resolve
// host, and names the server and its answer: NXDOMAIN, SERVFAIL, REFUSED,
// no answer, or an address the system did not return.
func (c *Client) diagnose(a *attempt, host, system, systemOutcome string) Answer {
	failed := func(outcome, why string) Answer {
		return Answer{Outcome: outcome, Err: fmt.Errorf("resolve %s: %s; %s", host, system, why)}
	}
	if len(c.servers) == 0 {
		why := "no DNS server is configured to ask directly"
		if c.serversErr != nil {
			why += " (" + c.serversErr.Error() + ")"
		}
		return failed(systemOutcome, why)
	}
	var said []string
	outcome, server := "", ""
	for _, name := range c.diagnosisNames(host) {
		addrs, o, err := c.lookupAddrs(a, name)
		if o == OutcomeCancelled {
			return failed(o, strings.TrimPrefix(err.Error(), "resolve "))
		}
		if err == nil && systemOutcome == OutcomeDNSTimeout {
			return failed(OutcomeDNSTimeout, fmt.Sprintf("asked directly, DNS answers %s -> %s: the system's resolver is slower than the probe timeout allows",
				name, strings.Join(addrs, ", ")))
		}
		if err == nil {
			return failed(OutcomeDNSError, fmt.Sprintf("yet asked directly, DNS answers %s -> %s: the system's resolver (its cache, name resolution policy or lookup order) differs from DNS",
				name, strings.Join(addrs, ", ")))
		}
		said = append(said, strings.TrimPrefix(err.Error(), "resolve "))
		// A server that fails says more than a name that does not exist.
		if outcome == "" || (nameMissing(outcome) && !nameMissing(o)) {
			outcome, server = o, failedServer(err)
		}
		if a.ctx.Err() != nil {
			break
		}
	}
	ans := failed(outcome, "asked directly: "+strings.Join(said, "; "))
	ans.Server = server
	return ans
}

func nameMissing(outcome string) bool {
	return outcome == OutcomeNXDomain || outcome == OutcomeDNSNoData
}

// diagnosisNames are the names a failed lookup of host is diagnosed with:
// host itself, after the search-list names for a short name (as the
// resolver tried them).
func (c *Client) diagnosisNames(host string) []string {
	h := strings.TrimSuffix(host, ".")
	if strings.Contains(h, ".") || len(c.search) == 0 {
		return []string{host}
	}
	var out []string
	for _, s := range c.search {
		if s = strings.Trim(s, "."); s != "" && len(out) < maxSearchNames {
			out = append(out, h+"."+s)
		}
	}
	return append(out, host)
}

// dnsView is what DNS answers for a name the hosts file gave: asked while
// the probe runs, read when it ends.
type dnsView struct {
	done  chan struct{}
	addrs []string
	err   error
}

// askDNS asks the DNS servers for host's addresses under a probe timeout of
// its own (inside the caller's context).
func (c *Client) askDNS(a *attempt, host string) *dnsView {
	v := &dnsView{done: make(chan struct{})}
	if len(c.servers) == 0 {
		v.err = errors.New("resolve " + host + ": no DNS server is configured to ask")
		close(v.done)
		return v
	}
	b, cancel := begin(a.parent, a.timeout)
	go func() {
		defer close(v.done)
		defer cancel()
		v.addrs, _, v.err = c.lookupAddrs(b, host)
	}()
	return v
}

// wait returns DNS's addresses, or why it gave none. It returns by the
// view's own deadline.
func (v *dnsView) wait() ([]string, string) {
	if v == nil {
		return nil, ""
	}
	<-v.done
	if v.err != nil {
		return nil, strings.TrimPrefix(v.err.Error(), "resolve ")
	}
	return v.addrs, ""
}
