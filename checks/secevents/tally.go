package secevents

import (
	"cmp"
	"slices"
	"time"
)

// Counting: the classification of logon events by status, and the tallies
// and account sets merged across files and ranges.

// classifier counts the events a parser hands over.
type classifier struct {
	f       Filter
	m       *matcher
	a       *agg
	scratch []byte
	hours   hourCache
}

func (c *classifier) event(e *event) {
	a := c.a
	id, ok := parseEventID(e.id.b)
	if !ok || e.id.cut || id != EventLogonFailure && id != EventLogonSuccess || !equalFold(e.provider.b, securityProvider) {
		return
	}
	a.logons++
	if e.bad != "" {
		a.malformed++
		return
	}
	if !e.process.set {
		a.noProcess++
		return
	}
	proc, ok := decoded(&e.process, c.scratch)
	c.scratch = proc[:0]
	if !ok || !c.m.match(proc) {
		a.otherProcess++
		return
	}
	t, hasTime := parseSystemTime(e.systemTime.b, &c.hours)
	if !hasTime {
		a.untimed++
		if c.f.timed() {
			return
		}
	} else if !c.f.Since.IsZero() && t.Before(c.f.Since) || !c.f.Until.IsZero() && !t.Before(c.f.Until) {
		a.outside++
		return
	}
	a.agentLogons++
	acct, hasAcct := c.account(e)
	if id == EventLogonSuccess {
		a.add(&a.success, t, hasTime, acct, hasAcct)
		return
	}
	a.failures++
	code, ok := status(e)
	if !ok {
		a.noStatus++
		return
	}
	r := a.reasons[code]
	if r == nil {
		if len(a.reasons) >= maxCodes {
			a.unlisted++
			return
		}
		r = &tally{}
		a.reasons[code] = r
	}
	a.add(r, t, hasTime, acct, hasAcct)
}

// status is the failure's SubStatus when present and not 0x0, else its
// Status.
func status(e *event) (uint32, bool) {
	if e.subStatus.set && !e.subStatus.cut {
		if v, ok := parseHex32(e.subStatus.b); ok && v != 0 {
			return v, true
		}
	}
	if e.status.set && !e.status.cut {
		return parseHex32(e.status.b)
	}
	return 0, false
}

// account hashes the lower-cased TargetDomainName\TargetUserName (FNV-1a;
// ASCII letters are folded, other bytes taken as they are).
func (c *classifier) account(e *event) (uint64, bool) {
	user, ok1 := decoded(&e.user, c.scratch)
	if !ok1 || len(user) == 0 || string(user) == "-" {
		return 0, false
	}
	h := uint64(14695981039346656037)
	add := func(b []byte) {
		for _, ch := range b {
			if ch >= 'A' && ch <= 'Z' {
				ch += 'a' - 'A'
			}
			h ^= uint64(ch)
			h *= 1099511628211
		}
	}
	add(user)
	c.scratch = user[:0]
	dom, ok2 := decoded(&e.domain, c.scratch)
	if !ok2 {
		return 0, false
	}
	add([]byte{'\\'})
	add(dom)
	c.scratch = dom[:0]
	return h, true
}

// tally is a Tally being counted.
type tally struct {
	count       int
	first, last time.Time
	accounts    hashSet
	atLeast     bool
}

// hashSet is a set of account hashes: open addressing with linear
// probing in a power-of-two table kept at most half full (a Go map costs
// several times as much per lookup, and this runs for every event of the
// agent). The zero hash is kept apart, as it marks empty slots.
type hashSet struct {
	slots []uint64
	n     int
	zero  bool
}

func (s *hashSet) len() int {
	if s.zero {
		return s.n + 1
	}
	return s.n
}

func (s *hashSet) has(h uint64) bool {
	if h == 0 {
		return s.zero
	}
	if len(s.slots) == 0 {
		return false
	}
	mask := uint64(len(s.slots) - 1)
	for i := (h * 0x9E3779B97F4A7C15) >> 32 & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case h:
			return true
		case 0:
			return false
		}
	}
}

func (s *hashSet) add(h uint64) {
	if h == 0 {
		s.zero = true
		return
	}
	if 2*(s.n+1) > len(s.slots) {
		old := s.slots
		s.slots = make([]uint64, max(64, 2*len(old)))
		s.n = 0
		for _, x := range old {
			if x != 0 {
				s.insert(x)
			}
		}
	}
	s.insert(h)
}

func (s *hashSet) insert(h uint64) {
	mask := uint64(len(s.slots) - 1)
	for i := (h * 0x9E3779B97F4A7C15) >> 32 & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case h:
			return
		case 0:
			s.slots[i] = h
			s.n++
			return
		}
	}
}

// each calls fn for every hash, in the table's order.
func (s *hashSet) each(fn func(uint64)) {
	if s.zero {
		fn(0)
	}
	for _, x := range s.slots {
		if x != 0 {
			fn(x)
		}
	}
}

// sorted returns the hashes in ascending order.
func (s *hashSet) sorted() []uint64 {
	out := make([]uint64, 0, s.len())
	if s.zero {
		out = append(out, 0)
	}
	for _, x := range s.slots {
		if x != 0 {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return out
}

// agg counts what one range, file or run found.
type agg struct {
	logons, otherProcess, noProcess, malformed, untimed, outside, truncated int
	agentLogons, failures, noStatus, unlisted                               int
	reasons                                                                 map[uint32]*tally
	success                                                                 tally
	accounts                                                                int // hashes held
}

func newAgg() *agg { return &agg{reasons: map[uint32]*tally{}} }

func (a *agg) add(t *tally, at time.Time, hasTime bool, acct uint64, hasAcct bool) {
	t.count++
	if hasTime {
		if t.first.IsZero() || at.Before(t.first) {
			t.first = at
		}
		if at.After(t.last) {
			t.last = at
		}
	}
	if hasAcct {
		a.addAccount(t, acct)
	}
}

func (a *agg) addAccount(t *tally, h uint64) {
	if t.accounts.has(h) {
		return
	}
	if a.accounts >= maxAccounts {
		t.atLeast = true
		return
	}
	t.accounts.add(h)
	a.accounts++
}

// merge adds b's counts to a. Counts, times and account sets do not depend
// on the order of merges.
func (a *agg) merge(b *agg) {
	a.logons += b.logons
	a.otherProcess += b.otherProcess
	a.noProcess += b.noProcess
	a.malformed += b.malformed
	a.untimed += b.untimed
	a.outside += b.outside
	a.truncated += b.truncated
	a.agentLogons += b.agentLogons
	a.failures += b.failures
	a.noStatus += b.noStatus
	a.unlisted += b.unlisted
	a.mergeTally(&a.success, &b.success)
	codes := make([]uint32, 0, len(b.reasons))
	for c := range b.reasons {
		codes = append(codes, c)
	}
	slices.Sort(codes) // which codes make the list when it is full must not depend on map order
	for _, c := range codes {
		t := a.reasons[c]
		if t == nil {
			if len(a.reasons) >= maxCodes {
				a.unlisted += b.reasons[c].count
				continue
			}
			t = &tally{}
			a.reasons[c] = t
		}
		a.mergeTally(t, b.reasons[c])
	}
}

func (a *agg) mergeTally(t, u *tally) {
	t.count += u.count
	if !u.first.IsZero() && (t.first.IsZero() || u.first.Before(t.first)) {
		t.first = u.first
	}
	if u.last.After(t.last) {
		t.last = u.last
	}
	t.atLeast = t.atLeast || u.atLeast
	if a.accounts+u.accounts.len() <= maxAccounts {
		// Every hash fits: the order does not matter, and sorting each
		// range's sets is a good part of the merge's cost.
		u.accounts.each(func(h uint64) { a.addAccount(t, h) })
		return
	}
	for _, h := range u.accounts.sorted() { // which hashes are kept at the limit must not depend on the table's order
		a.addAccount(t, h)
	}
}

func (t *tally) out() Tally {
	return Tally{Count: t.count, First: t.first, Last: t.last, Accounts: t.accounts.len(), AccountsAtLeast: t.atLeast}
}

func (a *agg) fill(s *Summary) {
	s.Logons, s.OtherProcess, s.NoProcess, s.Malformed = a.logons, a.otherProcess, a.noProcess, a.malformed
	s.Untimed, s.Outside, s.Truncated = a.untimed, a.outside, a.truncated
	s.Failures, s.NoStatus, s.Unlisted = a.failures, a.noStatus, a.unlisted
	s.Successes = a.success.out()
	for _, f := range s.Files {
		s.Events += f.Events
	}
	for c, t := range a.reasons {
		s.Reasons = append(s.Reasons, Reason{Code: c, Tally: t.out()})
	}
	slices.SortFunc(s.Reasons, func(x, y Reason) int {
		if x.Count != y.Count {
			return cmp.Compare(y.Count, x.Count)
		}
		return cmp.Compare(x.Code, y.Code)
	})
}
