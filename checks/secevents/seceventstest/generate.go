// Package seceventstest writes synthetic exported Security events, in the
// shapes of wevtutil qe /f:xml and Event Viewer's Save as XML, with their
// ground truth: for scripts/bench's perf-secevents.sh, the gen-secevents
// command and the tests of package secevents.
//
// The events follow the documented samples of events 4624 and 4625 (the
// Windows security auditing reference, event-4624 and event-4625 pages):
// the System element, then EventData with the documented Data items in
// their order. The mix: the agent's failures (the statuses of the 4625
// status table, some under the generic Status 0xC000006D, some with
// SubStatus 0x0) and successes, other processes' 4624 and 4625 (svchost,
// winlogon, "-"), other Security events (4634, 4672, 4688), and a few
// quirks (an unparseable SystemTime, an account name with an entity
// reference, a comment). Event Viewer's shape carries RenderingInfo with
// the message text, as its export does.
package seceventstest

import (
	"errors"

	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// AgentExe is the agent executable the generated events name.
const AgentExe = `C:\Program Files\Microsoft Azure AD Connect Authentication Agent\AzureADConnectAuthenticationAgentService.exe`

// Shape is the layout of the file.
type Shape int

const (
	Wevtutil Shape = iota // Event elements one after another, no root, one per line
	Viewer                // an <Events> root, RenderingInfo in every event
)

// Config describes the file to write.
type Config struct {
	Size  int64 // about this many bytes (the last event is complete)
	Seed  uint64
	Shape Shape
	Users int // distinct accounts to draw from (default 5000)
}

// Truth is what the file holds, as secevents should count it (no filter).
type Truth struct {
	Bytes        int64             `json:"bytes"`
	Events       int               `json:"events"`
	Logons       int               `json:"logons"`
	OtherProcess int               `json:"other_process"`
	Untimed      int               `json:"untimed"`
	Failures     int               `json:"failures"`
	Successes    int               `json:"successes"`
	Reasons      map[string]int    `json:"reasons"`  // "0xC000006A" -> count
	Accounts     map[string]int    `json:"accounts"` // distinct accounts per reason, "success" for 4624
	First        map[string]string `json:"first"`    // earliest time per reason (RFC 3339)
	Last         map[string]string `json:"last"`
}

// statuses: (Status, SubStatus) pairs the agent's failures carry.
var statuses = [][2]uint32{
	{0xC000006D, 0xC000006A}, {0xC000006D, 0xC000006A}, {0xC000006D, 0xC000006A}, {0xC000006D, 0xC000006A},
	{0xC000006D, 0xC0000064}, {0xC000006D, 0xC0000064},
	{0xC0000234, 0x0},
	{0xC000006E, 0xC0000072},
	{0xC000006E, 0xC000006F},
	{0xC000006E, 0xC0000070},
	{0xC000006E, 0xC0000071},
	{0xC000006E, 0xC0000193},
	{0xC0000224, 0x0},
}

var otherProcesses = []string{`C:\Windows\System32\svchost.exe`, `C:\Windows\System32\winlogon.exe`, `-`, `C:\Windows\System32\lsass.exe`}

const header = `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}'/><EventID>%d</EventID><Version>%d</Version><Level>0</Level><Task>%d</Task><Opcode>0</Opcode><Keywords>%s</Keywords><TimeCreated SystemTime='%s'/><EventRecordID>%d</EventRecordID><Correlation ActivityID='{d2c3a9b1-6f21-0004-f1a9-c3d2216fd801}'/><Execution ProcessID='732' ThreadID='%d'/><Channel>Security</Channel><Computer>pta01.corp.contoso.com</Computer><Security/></System><EventData>`

// Generate writes events to w until about cfg.Size bytes.
func Generate(w io.Writer, cfg Config) (*Truth, error) {
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5ec))
	users := cfg.Users
	if users <= 0 {
		users = 5000
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	cw := &countWriter{w: bw}
	t := &Truth{Reasons: map[string]int{}, Accounts: map[string]int{}, First: map[string]string{}, Last: map[string]string{}}
	acc := &truthAcc{t: t, seen: map[string]map[int]bool{}, first: map[string]time.Time{}, last: map[string]time.Time{}}
	if cfg.Shape == Viewer {
		fmt.Fprint(cw, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<Events>\r\n")
	}
	clock := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	rec := 1000000
	var b strings.Builder
	for cw.n < cfg.Size {
		rec++
		clock = clock.Add(time.Duration(rng.IntN(2000)) * time.Millisecond)
		sysTime := clock.Format("2006-01-02T15:04:05.0000000Z")
		untimed := rng.IntN(5000) == 0
		if untimed {
			sysTime = "2026-13-01T00:00:00Z"
		}
		b.Reset()
		user := rng.IntN(users)
		userName := fmt.Sprintf("user%05d", user)
		if user%997 == 0 {
			userName = fmt.Sprintf("o&amp;brien%05d", user) // o&brien
		}
		id, key := writeEventData(&b, rng, t, user, userName, sysTime, rec)
		b.WriteString("</EventData>")
		if cfg.Shape == Viewer {
			fmt.Fprintf(&b, "<RenderingInfo Culture='en-US'><Message>%s</Message><Level>Information</Level><Task>Logon</Task><Opcode>Info</Opcode><Channel>Security</Channel><Provider>Microsoft Windows security auditing.</Provider><Keywords><Keyword>Audit Success</Keyword></Keywords></RenderingInfo>", message)
		}
		b.WriteString("</Event>")
		if rng.IntN(10000) == 0 {
			b.WriteString("<!-- exported by ptacheck's generator -->")
		}
		b.WriteString("\r\n")
		if _, err := io.WriteString(cw, b.String()); err != nil {
			return nil, err
		}
		t.Events++
		if id == 4624 || id == 4625 {
			t.Logons++
		}
		if key != "" {
			acc.record(key, user, untimed, clock)
		}
	}
	if cfg.Shape == Viewer {
		fmt.Fprint(cw, "</Events>\r\n")
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	for k, v := range acc.first {
		t.First[k] = v.Format(time.RFC3339Nano)
	}
	for k, v := range acc.last {
		t.Last[k] = v.Format(time.RFC3339Nano)
	}
	t.Bytes = cw.n
	return t, nil
}

// writeEventData writes an event's System and EventData of a kind drawn
// from rng: the agent's failure or success, another process's logon, or
// another Security event. key is the reason key of the agent's events ("").
func writeEventData(b *strings.Builder, rng *rand.Rand, t *Truth, user int, userName, sysTime string, rec int) (id int, key string) {
	kind := rng.IntN(100)
	switch {
	case kind < 25: // the agent's failure
		id = 4625
		st := statuses[rng.IntN(len(statuses))]
		code := st[1]
		if code == 0 {
			code = st[0]
		}
		key = fmt.Sprintf("0x%08X", code)
		fmt.Fprintf(b, header, id, 0, 12544, "0x8010000000000000", sysTime, rec, 100+rng.IntN(900))
		failureData(b, userName, st, AgentExe)
	case kind < 55: // the agent's success
		id = 4624
		key = "success"
		fmt.Fprintf(b, header, id, 2, 12544, "0x8020000000000000", sysTime, rec, 100+rng.IntN(900))
		successData(b, userName, AgentExe)
	case kind < 70: // another process's logon
		id = 4624 + rng.IntN(2)
		proc := otherProcesses[rng.IntN(len(otherProcesses))]
		fmt.Fprintf(b, header, id, 0, 12544, "0x8010000000000000", sysTime, rec, 100+rng.IntN(900))
		if id == 4625 {
			failureData(b, userName, statuses[rng.IntN(len(statuses))], proc)
		} else {
			successData(b, userName, proc)
		}
		t.OtherProcess++
	default: // other Security events
		id = []int{4634, 4672, 4688}[rng.IntN(3)]
		fmt.Fprintf(b, header, id, 0, 12545, "0x8020000000000000", sysTime, rec, 100+rng.IntN(900))
		fmt.Fprintf(b, "<Data Name='TargetUserSid'>S-1-5-21-3623811015-3361044348-30300820-%d</Data><Data Name='TargetUserName'>%s</Data><Data Name='TargetDomainName'>CONTOSO</Data><Data Name='TargetLogonId'>0x%x</Data><Data Name='LogonType'>3</Data>", 1000+user, userName, rng.Uint32())
	}
	return id, key
}

// truthAcc accumulates the ground truth of the agent's events.
type truthAcc struct {
	t           *Truth
	seen        map[string]map[int]bool
	first, last map[string]time.Time
}

func (a *truthAcc) record(key string, user int, untimed bool, clock time.Time) {
	t := a.t
	if untimed {
		t.Untimed++
	}
	if key == "success" {
		t.Successes++
	} else {
		t.Failures++
		t.Reasons[key]++
	}
	if a.seen[key] == nil {
		a.seen[key] = map[int]bool{}
	}
	if !a.seen[key][user] {
		a.seen[key][user] = true
		t.Accounts[key]++
	}
	if !untimed {
		if f, ok := a.first[key]; !ok || clock.Before(f) {
			a.first[key] = clock
		}
		if clock.After(a.last[key]) {
			a.last[key] = clock
		}
	}
}

const message = "An account failed to log on.&#13;&#10;&#13;&#10;Subject:&#13;&#10;&#9;Security ID:&#9;&#9;S-1-5-18&#13;&#10;&#9;Account Name:&#9;&#9;PTA01$&#13;&#10;&#9;Account Domain:&#9;&#9;CONTOSO&#13;&#10;&#9;Logon ID:&#9;&#9;0x3E7&#13;&#10;&#13;&#10;Logon Type:&#9;&#9;&#9;3&#13;&#10;&#13;&#10;Account For Which Logon Failed:&#13;&#10;&#9;Security ID:&#9;&#9;S-1-0-0&#13;&#10;&#13;&#10;Failure Information:&#13;&#10;&#9;Failure Reason:&#9;&#9;Unknown user name or bad password.&#13;&#10;&#13;&#10;Process Information:&#13;&#10;&#9;Caller Process ID:&#9;0x1a2c&#13;&#10;&#13;&#10;This event is generated when a logon request fails. It is generated on the computer where access was attempted."

func failureData(b *strings.Builder, user string, st [2]uint32, proc string) {
	fmt.Fprintf(b, "<Data Name='SubjectUserSid'>S-1-5-18</Data><Data Name='SubjectUserName'>PTA01$</Data><Data Name='SubjectDomainName'>CONTOSO</Data><Data Name='SubjectLogonId'>0x3e7</Data><Data Name='TargetUserSid'>S-1-0-0</Data><Data Name='TargetUserName'>%s</Data><Data Name='TargetDomainName'>contoso.com</Data><Data Name='Status'>0x%x</Data><Data Name='FailureReason'>%%%%2313</Data><Data Name='SubStatus'>0x%x</Data><Data Name='LogonType'>3</Data><Data Name='LogonProcessName'>Advapi  </Data><Data Name='AuthenticationPackageName'>Negotiate</Data><Data Name='WorkstationName'>PTA01</Data><Data Name='TransmittedServices'>-</Data><Data Name='LmPackageName'>-</Data><Data Name='KeyLength'>0</Data><Data Name='ProcessId'>0x1a2c</Data><Data Name='ProcessName'>%s</Data><Data Name='IpAddress'>-</Data><Data Name='IpPort'>-</Data>",
		user, st[0], st[1], proc)
}

func successData(b *strings.Builder, user, proc string) {
	fmt.Fprintf(b, "<Data Name='SubjectUserSid'>S-1-5-18</Data><Data Name='SubjectUserName'>PTA01$</Data><Data Name='SubjectDomainName'>CONTOSO</Data><Data Name='SubjectLogonId'>0x3e7</Data><Data Name='TargetUserSid'>S-1-5-21-3623811015-3361044348-30300820-1013</Data><Data Name='TargetUserName'>%s</Data><Data Name='TargetDomainName'>contoso.com</Data><Data Name='TargetLogonId'>0x8dcdc</Data><Data Name='LogonType'>3</Data><Data Name='LogonProcessName'>Advapi  </Data><Data Name='AuthenticationPackageName'>Negotiate</Data><Data Name='WorkstationName'>PTA01</Data><Data Name='LogonGuid'>{00000000-0000-0000-0000-000000000000}</Data><Data Name='TransmittedServices'>-</Data><Data Name='LmPackageName'>-</Data><Data Name='KeyLength'>0</Data><Data Name='ProcessId'>0x1a2c</Data><Data Name='ProcessName'>%s</Data><Data Name='IpAddress'>-</Data><Data Name='IpPort'>-</Data><Data Name='ImpersonationLevel'>%%%%1833</Data><Data Name='RestrictedAdminMode'>-</Data><Data Name='TargetOutboundUserName'>-</Data><Data Name='TargetOutboundDomainName'>-</Data><Data Name='VirtualAccount'>%%%%1843</Data><Data Name='TargetLinkedLogonId'>0x0</Data><Data Name='ElevatedToken'>%%%%1842</Data>",
		user, proc)
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Result is what an analysis found, in the terms of Truth (the caller
// converts secevents.Summary: this package does not import secevents).
type Result struct {
	Events, Logons, OtherProcess, Untimed, Failures int
	NoProcess, Malformed, NoStatus                  int
	Successes                                       Count
	Reasons                                         map[string]Count // "0xC000006A" -> count
	Problems                                        []string         // files skipped or truncated
}

// Count is one status's tally.
type Count struct {
	Count, Accounts int
	First, Last     time.Time
}

// Diff compares what an analysis found with the truth; nil when they agree.
func Diff(r Result, t *Truth) error {
	var errs []string
	check := func(what string, got, want int) {
		if got != want {
			errs = append(errs, fmt.Sprintf("%s: %d, want %d", what, got, want))
		}
	}
	check("events", r.Events, t.Events)
	check("logons", r.Logons, t.Logons)
	check("other process", r.OtherProcess, t.OtherProcess)
	check("untimed", r.Untimed, t.Untimed)
	check("failures", r.Failures, t.Failures)
	check("no process", r.NoProcess, 0)
	check("malformed", r.Malformed, 0)
	check("no status", r.NoStatus, 0)
	check("reasons", len(r.Reasons), len(t.Reasons))
	tally := func(k string, c Count, want int) {
		check(k, c.Count, want)
		check(k+" accounts", c.Accounts, t.Accounts[k])
		if got := c.First.Format(time.RFC3339Nano); got != t.First[k] {
			errs = append(errs, fmt.Sprintf("%s first %s, want %s", k, got, t.First[k]))
		}
		if got := c.Last.Format(time.RFC3339Nano); got != t.Last[k] {
			errs = append(errs, fmt.Sprintf("%s last %s, want %s", k, got, t.Last[k]))
		}
	}
	tally("success", r.Successes, t.Successes)
	for k, c := range r.Reasons {
		tally(k, c, t.Reasons[k])
	}
	errs = append(errs, r.Problems...)
	if len(errs) > 0 {
		slices.Sort(errs)
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}
