// Package graph is ptacheck's Microsoft Graph client: a GET-only HTTP client
// with paging and throttling, typed models for the tenant facts the checks
// need, pure evaluations of those facts (Conditional Access scoping and grant
// controls), and the token sources (file, environment value, MSAL device
// code) plus an opt-in ROPC probe.
//
// The package is a leaf: it never imports checks, report or fixtures. It
// gathers facts; verdicts belong to the checks.
//
// Reference: shared/reference/graph-api.md (calls, permissions, decision
// rules, paging, throttling, token flows).
package graph

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Defaults of the Client knobs. A zero field in Client means the default.
const (
	DefaultRequestTimeout = 30 * time.Second // one attempt, headers and body
	DefaultMaxRetries     = 3                // retries after the first attempt, on 429/503
	DefaultBackoffBase    = time.Second      // first wait when a 429/503 has no Retry-After
	DefaultMaxBackoff     = 16 * time.Second // cap of the exponential backoff
	DefaultMaxRetryWait   = 60 * time.Second // a longer Retry-After is not waited for
	DefaultMaxBodyBytes   = 8 << 20          // one response body
	DefaultMaxPages       = 100              // pages followed by List

	// ThrottledInterval is the spacing of Conditional Access and Identity
	// Protection requests: Graph allows 1 request per second per tenant
	// there and its 429s carry no Retry-After (graph-api.md section 6).
	// The extra 100 ms absorbs network jitter between two requests.
	ThrottledInterval = time.Second + 100*time.Millisecond
)

// Client sends GET requests to Microsoft Graph. It has no code path that
// sends any other method. A Client is safe for concurrent use once its
// fields are set.
type Client struct {
	// BaseURL is the Graph root without version, e.g.
	// https://graph.microsoft.com. Plain http is accepted only for loopback
	// hosts.
	BaseURL string
	// HTTP sends the requests; nil means a client with no overall timeout
	// (each attempt gets RequestTimeout). Redirects are never followed,
	// whatever HTTP.CheckRedirect says.
	HTTP *http.Client
	// Token returns the bearer token; it is called before every attempt.
	Token func(ctx context.Context) (string, error)

	MaxRetries     int           // 0: DefaultMaxRetries; negative: no retries
	RequestTimeout time.Duration // 0: DefaultRequestTimeout
	BackoffBase    time.Duration // 0: DefaultBackoffBase
	MaxBackoff     time.Duration // 0: DefaultMaxBackoff
	MaxRetryWait   time.Duration // 0: DefaultMaxRetryWait
	MaxBodyBytes   int64         // 0: DefaultMaxBodyBytes
	MaxPages       int           // 0: DefaultMaxPages
	// MaxPageItems, MaxItems and MaxCollectionBytes bound a collection
	// (List): items in one page, items and bytes over all pages.
	MaxPageItems       int   // 0: DefaultMaxPageItems
	MaxItems           int   // 0: DefaultMaxItems
	MaxCollectionBytes int64 // 0: DefaultMaxCollectionBytes

	// Logf, when set, receives one line per retry (never a token).
	Logf func(format string, args ...any)

	mu         sync.Mutex
	nextPaced  time.Time // earliest start of the next paced request
	httpCopy   *http.Client
	httpSource *http.Client
}

// Errors the client returns for refusals of its own (wrapped, test with
// errors.Is).
var (
	ErrForeignNextLink  = errors.New("@odata.nextLink leaves the Graph host")
	ErrTooManyPages     = errors.New("too many pages")
	ErrBodyTooLarge     = errors.New("response body too large")
	ErrMalformed        = errors.New("malformed response")
	ErrRetryBudget      = errors.New("retry wait exceeds the deadline")
	ErrRetriesExhausted = errors.New("retries exhausted")
	ErrInsecureBaseURL  = errors.New("graph base URL must be https (http only on loopback)")
)

// Get sends GET BaseURL+path (path starts with "/" and includes the version,
// e.g. "/v1.0/organization") and decodes the JSON body into v (nil: the body
// is read and discarded). The body is checked before it is decoded: no
// duplicate keys, at most MaxContainers objects and arrays, and for models
// with fields a verdict reads, each of them present.
func (c *Client) Get(ctx context.Context, path string, v any) error {
	return c.get(ctx, path, nil, func(ctx context.Context, body io.Reader) error {
		if v == nil {
			_, err := io.Copy(io.Discard, body)
			return err
		}
		raw, err := io.ReadAll(body)
		if err != nil {
			return err
		}
		return decodeDocument(ctx, raw, v)
	})
}

// List follows @odata.nextLink from path to the last page and returns every
// item of every "value" array. Links must stay on the client's scheme and
// host; at most MaxPages pages, MaxPageItems items per page, MaxItems items
// and MaxCollectionBytes bytes in all are read. Pages are decoded as a
// stream, one item at a time.
func List[T any](ctx context.Context, c *Client, path string) ([]T, error) {
	return list[T](ctx, c, path, nil)
}

func (c *Client) limits() (pages, pageItems, items int, bytes int64) {
	pages, pageItems, items, bytes = c.MaxPages, c.MaxPageItems, c.MaxItems, c.MaxCollectionBytes
	if pages <= 0 {
		pages = DefaultMaxPages
	}
	if pageItems <= 0 {
		pageItems = DefaultMaxPageItems
	}
	if items <= 0 {
		items = DefaultMaxItems
	}
	if bytes <= 0 {
		bytes = DefaultMaxCollectionBytes
	}
	return pages, pageItems, items, bytes
}

func list[T any](ctx context.Context, c *Client, path string, hdr http.Header) ([]T, error) {
	base, err := c.base()
	if err != nil {
		return nil, err
	}
	maxPages, pageItems, maxItems, maxBytes := c.limits()
	var all []T
	seen := map[string]bool{}
	next := path
	bytesLeft := maxBytes
	for page := 0; ; page++ {
		if page == maxPages {
			return all, fmt.Errorf("graph GET %s: %w (more than %d)", pathOnly(path), ErrTooManyPages, maxPages)
		}
		var link string
		var items []T
		err := c.get(ctx, next, hdr, func(ctx context.Context, body io.Reader) error {
			// Each attempt starts from the items and bytes of the pages
			// before; only a decoded page counts.
			items = items[:0]
			n := len(all)
			cr := &capReader{r: body, left: bytesLeft, limit: maxBytes, what: "the collection"}
			var err error
			link, err = decodePage(ctx, cr, pageLimits{pageItems: pageItems, items: maxItems, seen: &n}, func(item T) error {
				items = append(items, item)
				return nil
			})
			bytesLeft = cr.left
			return err
		})
		if err != nil {
			return all, err
		}
		all = append(all, items...)
		if link == "" {
			return all, nil
		}
		rel, err := sameOrigin(base, link)
		if err != nil {
			return all, fmt.Errorf("graph GET %s: %w", pathOnly(path), err)
		}
		if seen[rel] {
			return all, &Error{Path: pathOnly(next), Status: http.StatusOK, Err: fmt.Errorf("%w: @odata.nextLink repeats", ErrMalformed)}
		}
		seen[rel] = true
		next = rel
	}
}

// sameOrigin checks that link has base's scheme and host (and stays under
// its path) and returns it relative to base. A token must never reach
// another host.
func sameOrigin(base *url.URL, link string) (string, error) {
	u, err := url.Parse(link)
	if err != nil {
		return "", fmt.Errorf("%w: unparsable link", ErrForeignNextLink)
	}
	if !strings.EqualFold(u.Scheme, base.Scheme) || !strings.EqualFold(hostPort(u), hostPort(base)) || u.User != nil {
		return "", fmt.Errorf("%w: %s://%s is not %s://%s", ErrForeignNextLink, u.Scheme, u.Host, base.Scheme, base.Host)
	}
	p := u.EscapedPath()
	if !strings.HasPrefix(p, base.EscapedPath()+"/") {
		return "", fmt.Errorf("%w: path %s is outside %s", ErrForeignNextLink, p, base.EscapedPath())
	}
	rel := strings.TrimPrefix(p, base.EscapedPath())
	if u.RawQuery != "" {
		rel += "?" + u.RawQuery
	}
	return rel, nil
}

// hostPort returns host:port with the scheme's default port made explicit.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// base parses and checks BaseURL.
func (c *Client) base() (*url.URL, error) {
	u, err := url.Parse(strings.TrimSuffix(c.BaseURL, "/"))
	if err != nil || u.Host == "" || u.Opaque != "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("graph base URL %q: want https://host", c.BaseURL)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return nil, fmt.Errorf("%w: %s", ErrInsecureBaseURL, c.BaseURL)
		}
	default:
		return nil, fmt.Errorf("%w: %s", ErrInsecureBaseURL, c.BaseURL)
	}
	return u, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c *Client) httpClient() *http.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.httpCopy != nil && c.httpSource == c.HTTP {
		return c.httpCopy
	}
	hc := &http.Client{}
	if c.HTTP != nil {
		*hc = *c.HTTP // a plain struct: copying is fine and leaves the caller's alone
	}
	// A redirect is answered as a response (and so an error below): the
	// client never follows one, so a token never travels on its own.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.httpCopy, c.httpSource = hc, c.HTTP
	return hc
}

// get sends GET with retries; decode reads the body of a 200 answer (at
// most MaxBodyBytes of it) while the connection is open, so a cancelled
// context stops the read and the decode.
func (c *Client) get(ctx context.Context, path string, hdr http.Header, decode func(ctx context.Context, body io.Reader) error) error {
	base, err := c.base()
	if err != nil {
		return err
	}
	if !strings.HasPrefix(path, "/") {
		return fmt.Errorf("graph GET %q: path must start with /", path)
	}
	if c.Token == nil {
		return fmt.Errorf("graph GET %s: no token source", pathOnly(path))
	}
	target := strings.TrimSuffix(base.String(), "/") + path
	retries := c.MaxRetries
	if retries == 0 {
		retries = DefaultMaxRetries
	}
	if retries < 0 {
		retries = 0
	}
	paced := isPaced(path)
	for attempt := 0; ; attempt++ {
		if paced {
			if err := c.pace(ctx, path); err != nil {
				return err
			}
		}
		err := c.attempt(ctx, target, path, hdr, decode)
		if paced {
			c.pacedAnswered()
		}
		if err == nil {
			return nil
		}
		var ge *Error
		if !errors.As(err, &ge) || !ge.retryable() {
			return err
		}
		if attempt >= retries {
			ge.Err = errors.Join(ge.Err, fmt.Errorf("%w after %d attempts", ErrRetriesExhausted, attempt+1))
			return ge
		}
		wait := ge.RetryAfter
		if wait <= 0 {
			wait = c.backoff(attempt)
			if paced && wait < ThrottledInterval {
				wait = ThrottledInterval
			}
		}
		maxWait := c.MaxRetryWait
		if maxWait <= 0 {
			maxWait = DefaultMaxRetryWait
		}
		if wait > maxWait {
			ge.Err = errors.Join(ge.Err, fmt.Errorf("%w: Retry-After %s is longer than %s", ErrRetryBudget, wait, maxWait))
			return ge
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			ge.Err = errors.Join(ge.Err, fmt.Errorf("%w: waiting %s would pass the deadline (%s left)", ErrRetryBudget, wait, time.Until(dl).Round(time.Millisecond)))
			return ge
		}
		if c.Logf != nil {
			c.Logf("graph GET %s: %d, retrying in %s (attempt %d of %d)", pathOnly(path), ge.Status, wait, attempt+2, retries+1)
		}
		if err := sleep(ctx, wait); err != nil {
			return fmt.Errorf("graph GET %s: waiting to retry: %w", pathOnly(path), err)
		}
	}
}

// attempt sends one request and hands the body of a 200 answer to decode,
// or returns an error (an *Error for any HTTP answer).
func (c *Client) attempt(ctx context.Context, target, path string, hdr http.Header, decode func(ctx context.Context, body io.Reader) error) error {
	timeout := c.RequestTimeout
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tok, err := c.Token(ctx)
	if err != nil {
		return fmt.Errorf("graph GET %s: token: %w", pathOnly(path), err)
	}
	if tok == "" || strings.ContainsAny(tok, " \t\r\n") {
		return fmt.Errorf("graph GET %s: token: empty or contains whitespace", pathOnly(path))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("graph GET %s: %w", pathOnly(path), err)
	}
	for k, vs := range hdr {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return fmt.Errorf("graph GET %s: %w", pathOnly(path), redactErr(err, tok))
	}
	defer resp.Body.Close()
	limit := c.MaxBodyBytes
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	body := &capReader{r: resp.Body, left: limit, limit: limit, what: "one answer"}
	if resp.StatusCode == http.StatusOK {
		if err := decode(ctx, body); err != nil {
			// A read cut off by the context says so, not "malformed".
			if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
				err = fmt.Errorf("%w (%v)", cerr, err)
			}
			return &Error{Path: pathOnly(path), Status: resp.StatusCode, Err: redactErr(err, tok)}
		}
		return nil
	}
	data, rerr := io.ReadAll(body)
	e := newError(pathOnly(path), resp, data, tok)
	if rerr != nil && e.Err == nil {
		e.Err = fmt.Errorf("reading body: %w", redactErr(rerr, tok))
	}
	return e
}

// pathOnly strips the query (filters are long and add nothing to messages).
func pathOnly(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}

// redactErr replaces the token in an error's text, should any layer echo it.
func redactErr(err error, tok string) error {
	if err == nil || tok == "" || !strings.Contains(err.Error(), tok) {
		return err
	}
	return redacted{msg: strings.ReplaceAll(err.Error(), tok, "[redacted]"), err: err}
}

type redacted struct {
	msg string
	err error
}

func (r redacted) Error() string { return r.msg }
func (r redacted) Unwrap() error { return r.err }
