// Package tracelogtest writes synthetic PTA agent trace logs together with
// their ground truth, for the tracelog tests and the performance script
// (scripts/gen-tracelog). It is named like net/http/httptest: test support,
// never linked into the ptacheck binary.
//
// The layout follows the .NET TraceListener format documented in
// shared/reference/pta-facts.md 3.2, including the real-world quirks listed
// there. Only the failure line is a documented text; the other messages are
// invented filler that looks like agent chatter.
//
// The ground truth is computed here, from what the generator decided to write,
// never by parsing the output: that keeps it an independent oracle for the
// parser. Its rules (what counts as a record, a failure, an orphan) are the
// ones documented in package tracelog.
package tracelogtest

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
)

// Defaults of Config.
const (
	DefaultFailureRate   = 0.12
	DefaultLongLineEvery = 64 << 20
	DefaultLongLineBytes = 192 << 10 // well over tracelog.DefaultMaxLineBytes
	maxRequestIDs        = 5         // per reason, as tracelog.Summary keeps them
)

// Config says what to write.
type Config struct {
	Size          int64     // bytes to write before the final, truncated record
	Seed          uint64    // same seed and config: same bytes
	Start         time.Time // time of the first record; zero: 2024-01-01T00:00:00Z
	FailureRate   float64   // share of records that are sign-in failures; zero: DefaultFailureRate
	LongLineEvery int64     // about one over-long line per this many bytes; zero: DefaultLongLineEvery; negative: none
	LongLineBytes int       // length of an over-long line; zero: DefaultLongLineBytes
}

// Truth is what a correct analysis of the whole output reports (no filter).
type Truth struct {
	Bytes     int64    `json:"bytes"`
	Records   int      `json:"records"`    // header lines
	Failures  int      `json:"failures"`   // documented failure lines, timed or not
	Untimed   int      `json:"untimed"`    // failures without a usable DateTime
	Unparsed  int      `json:"unparsed"`   // other header messages that contain "request failed"
	Orphans   int      `json:"orphans"`    // lines before the first header
	LongLines int      `json:"long_lines"` // lines longer than DefaultMaxLineBytes of package tracelog
	Reasons   []Reason `json:"reasons"`    // by count descending, then code
}

// Reason is the truth for one failure reason.
type Reason struct {
	Code       int       `json:"code"`
	Count      int       `json:"count"`
	First      time.Time `json:"first,omitzero"` // earliest DateTime among its failures
	Last       time.Time `json:"last,omitzero"`
	RequestIDs []string  `json:"request_ids"` // the first five in file order
}

// reasons and their weights: mostly wrong passwords, then account state,
// then DC trouble; negative values happen (SEC_E_SMARTCARD_LOGON_REQUIRED).
var reasons = []struct{ code, weight int }{
	{1326, 400}, {1331, 80}, {1909, 70}, {1330, 60}, {1907, 40}, {1328, 30}, {1329, 25},
	{1793, 20}, {1311, 15}, {1355, 10}, {1317, 10}, {1385, 8}, {1398, 6}, {1935, 5},
	{-2146892994, 5}, {1722, 4}, {1726, 3}, {1788, 2}, {1789, 2}, {8, 1}, {1450, 1},
}

var sources = []string{
	"AzureADConnectAuthenticationAgentService.exe",
	"AzureADConnectAuthenticationAgentService.exe",
	"AzureADConnectAuthenticationAgentService.exe",
	"ApplicationProxyConnectorService.exe",
	"MicrosoftEntraPrivateNetworkConnectorService.exe",
}

// style is the layout of one segment of the file: real files differ in line
// ends and TraceOutputOptions; pasted logs are indented on every line.
type style struct {
	eol       string
	lead      string // before every line (pasted logs)
	indent    string // before footer lines
	source    string
	processID bool
	logical   bool
	threadID  bool
	dateTime  bool
	timestamp bool
	callstack bool
}

type generator struct {
	cfg       Config
	rng       *rand.Rand
	w         *bufio.Writer
	buf       []byte
	written   int64
	now       time.Time
	st        style
	truth     Truth
	byReason  map[int]*Reason
	nextLong  int64
	weightSum int
}

// Generate writes a log of about cfg.Size bytes to w and returns its truth.
func Generate(w io.Writer, cfg Config) (*Truth, error) {
	if cfg.Size < 0 {
		return nil, errors.New("generate trace log: negative size")
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if cfg.FailureRate == 0 {
		cfg.FailureRate = DefaultFailureRate
	}
	if cfg.LongLineEvery == 0 {
		cfg.LongLineEvery = DefaultLongLineEvery
	}
	if cfg.LongLineBytes == 0 {
		cfg.LongLineBytes = DefaultLongLineBytes
	}
	g := &generator{
		cfg:      cfg,
		rng:      rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		w:        bufio.NewWriterSize(w, 1<<20),
		buf:      make([]byte, 0, 1<<18),
		now:      cfg.Start.UTC(),
		byReason: map[int]*Reason{},
		nextLong: cfg.LongLineEvery / 2,
	}
	for _, r := range reasons {
		g.weightSum += r.weight
	}
	if err := g.run(); err != nil {
		return nil, fmt.Errorf("generate trace log: %w", err)
	}
	for _, r := range g.byReason {
		g.truth.Reasons = append(g.truth.Reasons, *r)
	}
	slices.SortFunc(g.truth.Reasons, func(a, b Reason) int {
		if a.Count != b.Count {
			return cmp.Compare(b.Count, a.Count)
		}
		return cmp.Compare(a.Code, b.Code)
	})
	g.truth.Bytes = g.written
	return &g.truth, nil
}

func (g *generator) run() error {
	g.newStyle()
	// The pasted-log quirk: the previous record's footer before the first header.
	g.line(g.st.indent, "DateTime=", g.timeText(g.now.Add(-3*time.Second)))
	g.truth.Orphans++
	if g.rng.IntN(2) == 0 {
		g.line(g.st.indent, "ThreadId=", "4")
		g.truth.Orphans++
	}
	segEnd := g.written + g.segmentBytes()
	for g.written+int64(len(g.buf)) < g.cfg.Size {
		if g.written+int64(len(g.buf)) >= segEnd {
			g.newStyle()
			segEnd = g.written + int64(len(g.buf)) + g.segmentBytes()
		}
		g.record()
		if len(g.buf) >= 1<<17 {
			if err := g.flush(); err != nil {
				return err
			}
		}
	}
	g.truncatedFailure()
	if err := g.flush(); err != nil {
		return err
	}
	return g.w.Flush()
}

func (g *generator) flush() error {
	n, err := g.w.Write(g.buf)
	g.written += int64(n)
	g.buf = g.buf[:0]
	return err
}

func (g *generator) segmentBytes() int64 { return 256<<10 + g.rng.Int64N(4<<20) }

func (g *generator) newStyle() {
	r := g.rng
	st := style{eol: "\r\n", indent: "    ", source: sources[r.IntN(len(sources))], threadID: true, dateTime: true}
	if r.IntN(10) < 3 {
		st.eol = "\n"
	}
	if r.IntN(10) == 0 {
		st.indent = "\t"
	}
	if r.IntN(10) == 0 {
		st.lead = []string{"    ", "\t", "  "}[r.IntN(3)]
	}
	switch n := r.IntN(20); {
	case n < 2:
		st.processID = true
	case n < 4:
		st.processID, st.timestamp = true, true
	case n == 4:
		st.dateTime = false // a support-script verbose log: no timestamps
	case n == 5:
		st.logical, st.callstack = true, true
	}
	g.st = st
}

// line appends lead + indent + key + value + eol.
func (g *generator) line(indent, key, value string) {
	g.buf = append(g.buf, g.st.lead...)
	g.buf = append(g.buf, indent...)
	g.buf = append(g.buf, key...)
	g.buf = append(g.buf, value...)
	g.buf = append(g.buf, g.st.eol...)
}

func (g *generator) header(level string, id int) {
	g.buf = append(g.buf, g.st.lead...)
	g.buf = append(g.buf, g.st.source...)
	g.buf = append(g.buf, ' ')
	g.buf = append(g.buf, level...)
	g.buf = append(g.buf, ": "...)
	g.buf = strconv.AppendInt(g.buf, int64(id), 10)
	g.buf = append(g.buf, " : "...)
	g.truth.Records++
}

func (g *generator) eol() { g.buf = append(g.buf, g.st.eol...) }

func (g *generator) record() {
	r := g.rng
	g.now = g.now.Add(100 * time.Duration(r.Int64N(int64(2*time.Second/100)))) // DateTime has 100 ns ticks
	id := 0
	if r.IntN(50) == 0 {
		id = []int{1, 4, 1000, -1}[r.IntN(4)]
	}
	pos := g.written + int64(len(g.buf))
	if g.cfg.LongLineEvery > 0 && pos >= g.nextLong {
		g.nextLong = pos + int64(g.cfg.LongLineBytes) + g.cfg.LongLineEvery
		g.longRecord(id)
		g.footers(true)
		return
	}
	if r.Float64() < g.cfg.FailureRate {
		g.failure(id)
		return
	}
	switch n := r.IntN(100); {
	case n < 70:
		g.header("Information", id)
		g.info()
	case n < 82:
		g.header("Warning", id)
		g.warning()
	case n < 90:
		g.header("Error", id)
		g.exception()
	default:
		g.header("Verbose", id)
		g.buf = append(g.buf, "Heartbeat sent to the connector service."...)
		g.eol()
	}
	g.footers(r.IntN(100) != 0) // about 1 in 100 records has no footer at all
}

// footers writes the style's footer lines; a record may lack them entirely.
// It returns whether a parseable DateTime was written.
func (g *generator) footers(present bool) bool {
	if !present {
		return false
	}
	st := &g.st
	if st.processID {
		g.line(st.indent, "ProcessId=", "3412")
	}
	if st.logical {
		g.line(st.indent, "LogicalOperationStack=", "")
	}
	if st.threadID {
		g.line(st.indent, "ThreadId=", strconv.Itoa(1+g.rng.IntN(40)))
	}
	timed := false
	if st.dateTime {
		g.line(st.indent, "DateTime=", g.timeText(g.now))
		timed = true
		if g.rng.IntN(500) == 0 {
			// A second DateTime in one record (pasted logs): the first one counts.
			g.line(st.indent, "DateTime=", g.timeText(g.now.Add(time.Hour)))
		}
	}
	if st.timestamp {
		g.line(st.indent, "Timestamp=", strconv.FormatInt(g.now.UnixNano()/100, 10))
	}
	if st.callstack {
		g.line(st.indent, "Callstack=", "   at System.Environment.GetStackTrace(Exception e, Boolean needFileInfo)")
		g.line(st.indent, "", "   at System.Diagnostics.TraceEventCache.get_Callstack()")
		g.line(st.indent, "", "   at System.Diagnostics.TraceListener.WriteFooter(TraceEventCache eventCache)")
	}
	return timed
}

func (g *generator) info() {
	r := g.rng
	switch r.IntN(6) {
	case 0:
		g.buf = append(g.buf, "Received a Passthrough Authentication request. RequestId: '"...)
		g.guid()
		g.buf = append(g.buf, "'."...)
	case 1:
		g.buf = append(g.buf, "Passthrough Authentication request succeeded. RequestId: '"...)
		g.guid()
		g.buf = append(g.buf, "'."...)
	case 2:
		g.buf = append(g.buf, "Bootstrap completed; next bootstrap in 600000 ms."...)
	case 3:
		g.buf = append(g.buf, "Connected to the Service Bus endpoint his-eu-west-1-"...)
		g.buf = strconv.AppendInt(g.buf, int64(r.IntN(9)), 10)
		g.buf = append(g.buf, ".servicebus.windows.net (connection "...)
		g.buf = strconv.AppendInt(g.buf, int64(r.IntN(8)), 10)
		g.buf = append(g.buf, ")."...)
	case 4:
		if r.IntN(10) == 0 {
			// Non-UTF-8 bytes: a Latin-1 name written by a misconfigured encoder.
			g.buf = append(g.buf, "Validating credentials for M\xfcller\xe9@contoso.com \xff\xfe."...)
		} else {
			g.buf = append(g.buf, "Validating credentials for the user."...)
		}
	default:
		g.buf = append(g.buf, "Checking whether the trust certificate needs to be renewed."...)
	}
	g.eol()
}

func (g *generator) warning() {
	if g.rng.IntN(4) == 0 {
		// Mentions "request failed" without being a sign-in failure: grep
		// counts it, the analyzer reports it as unparsed.
		g.buf = append(g.buf, "Bootstrap request failed with status code 503; retrying in 30 seconds."...)
		g.truth.Unparsed++
	} else {
		g.buf = append(g.buf, "Connection to the Service Bus endpoint was lost; reconnecting in 5 seconds."...)
	}
	g.eol()
}

func (g *generator) exception() {
	g.buf = append(g.buf, "Exception while processing a request: System.Net.WebException: The remote server returned an error: (503) Server Unavailable."...)
	g.eol()
	// Continuation lines of a multi-line message: neither header nor footer.
	g.line("", "", "   at System.Net.HttpWebRequest.GetResponse()")
	g.line("", "", "   at Microsoft.ApplicationProxy.Connector.BootstrapClient.Bootstrap(TimeSpan timeout)")
}

func (g *generator) longRecord(id int) {
	n := g.cfg.LongLineBytes
	if g.rng.IntN(2) == 0 {
		g.header("Information", id)
		g.buf = append(g.buf, "Certificate chain: "...)
		g.filler(n)
		g.eol()
	} else {
		// An over-long continuation line (a dumped response body).
		g.header("Error", id)
		g.buf = append(g.buf, "Unexpected response body:"...)
		g.eol()
		g.buf = append(g.buf, g.st.lead...)
		g.filler(n)
		g.eol()
	}
	g.truth.LongLines++
}

func (g *generator) filler(n int) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < n; i++ {
		g.buf = append(g.buf, alphabet[(i*7+i/64)%len(alphabet)])
	}
}

func (g *generator) pickReason() int {
	n := g.rng.IntN(g.weightSum)
	for _, r := range reasons {
		if n < r.weight {
			return r.code
		}
		n -= r.weight
	}
	return reasons[0].code
}

// failureHeader writes the documented failure line and returns its request id.
func (g *generator) failureHeader(id, code int) string {
	g.header("Error", id)
	g.buf = append(g.buf, "Passthrough Authentication request failed. RequestId: '"...)
	start := len(g.buf)
	g.guid()
	rid := string(g.buf[start:])
	g.buf = append(g.buf, "'. Reason: '"...)
	g.buf = strconv.AppendInt(g.buf, int64(code), 10)
	g.buf = append(g.buf, "'."...)
	g.eol()
	return rid
}

func (g *generator) failure(id int) {
	code := g.pickReason()
	rid := g.failureHeader(id, code)
	timed := g.footers(g.rng.IntN(100) != 0)
	g.countFailure(code, rid, timed)
}

// truncatedFailure ends the file inside the DateTime footer of a failure, as
// when the agent is writing while the file is copied: the failure counts,
// its time does not.
func (g *generator) truncatedFailure() {
	g.now = g.now.Add(time.Second)
	code := g.pickReason()
	rid := g.failureHeader(0, code)
	g.line(g.st.indent, "ThreadId=", "9")
	g.buf = append(g.buf, g.st.lead...)
	g.buf = append(g.buf, g.st.indent...)
	g.buf = append(g.buf, "DateTime="...)
	g.buf = append(g.buf, g.timeText(g.now)[:13]...)
	g.countFailure(code, rid, false)
}

func (g *generator) countFailure(code int, rid string, timed bool) {
	g.truth.Failures++
	r := g.byReason[code]
	if r == nil {
		r = &Reason{Code: code}
		g.byReason[code] = r
	}
	r.Count++
	if len(r.RequestIDs) < maxRequestIDs {
		r.RequestIDs = append(r.RequestIDs, rid)
	}
	if !timed {
		g.truth.Untimed++
		return
	}
	if r.First.IsZero() || g.now.Before(r.First) {
		r.First = g.now
	}
	if g.now.After(r.Last) {
		r.Last = g.now
	}
}

func (g *generator) guid() {
	const hexdigits = "0123456789abcdef"
	a, b := g.rng.Uint64(), g.rng.Uint64()
	for i := 0; i < 32; i++ {
		if i == 8 || i == 12 || i == 16 || i == 20 {
			g.buf = append(g.buf, '-')
		}
		v := a
		if i >= 16 {
			v = b
		}
		g.buf = append(g.buf, hexdigits[(v>>(4*(i%16)))&0xf])
	}
}

// timeText is DateTime.ToString("o") for a UTC time: 7 fractional digits, Z.
func (g *generator) timeText(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.0000000Z")
}
