package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Error is an HTTP answer from Graph other than 200, or a 200 whose body
// could not be used. Branch on Status and Code, never on Message.
type Error struct {
	Path            string // request path without query, e.g. /v1.0/users/x
	Status          int    // HTTP status
	Code            string // Graph error code, e.g. Authorization_RequestDenied
	Message         string // Graph error message, trimmed (display only)
	RequestID       string // innerError request-id
	ClientRequestID string // innerError client-request-id
	Date            string // innerError date
	RetryAfter      time.Duration
	// Call and Permission name the Graph call and its least delegated
	// permission when the path is one ptacheck uses (set on every error so a
	// 401/403 can say what is missing).
	Call       Call
	Permission string
	Err        error // a client-side cause: ErrMalformed, ErrBodyTooLarge, ...
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "graph GET %s: %d", e.Path, e.Status)
	if t := http.StatusText(e.Status); t != "" {
		b.WriteString(" " + strings.ToLower(t))
	}
	if e.Code != "" {
		b.WriteString(" (" + e.Code + ")")
	}
	if e.Message != "" {
		b.WriteString(": " + strings.TrimRight(e.Message, ". "))
	}
	if e.Err != nil {
		b.WriteString(": " + strings.ReplaceAll(e.Err.Error(), "\n", "; "))
	}
	switch e.Status {
	case http.StatusUnauthorized:
		b.WriteString("; the token was rejected (expired, wrong cloud or audience?)")
		if e.Permission != "" {
			b.WriteString("; this call needs the delegated permission " + e.Permission)
		}
	case http.StatusForbidden:
		if e.Code == "insufficient_claims" {
			b.WriteString("; Conditional Access demands a step-up for the signed-in user")
		}
		if e.Permission != "" {
			b.WriteString("; missing delegated permission " + e.Permission + " (admin consent)")
			if r := e.Call.roles(); r != "" {
				b.WriteString(" or a directory role of the signed-in user (" + r + ")")
			}
		}
	}
	if e.RequestID != "" {
		b.WriteString(" [request-id " + e.RequestID + "]")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// retryable: 429 and 503, whatever the body (a gateway's HTML page too).
func (e *Error) retryable() bool {
	return e.Status == http.StatusTooManyRequests || e.Status == http.StatusServiceUnavailable
}

// IsNotFound reports whether err is a Graph 404 (no such user, domain, ...).
func IsNotFound(err error) bool { return hasStatus(err, http.StatusNotFound) }

// IsUnauthorized reports whether Graph rejected the token (401).
func IsUnauthorized(err error) bool { return hasStatus(err, http.StatusUnauthorized) }

// IsForbidden reports whether the token lacks a permission or the signed-in
// user lacks a role (403).
func IsForbidden(err error) bool { return hasStatus(err, http.StatusForbidden) }

// IsThrottled reports whether Graph was still throttling (429/503) when the
// client gave up.
func IsThrottled(err error) bool {
	return hasStatus(err, http.StatusTooManyRequests) || hasStatus(err, http.StatusServiceUnavailable)
}

func hasStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}

// maxMessage bounds the Graph message kept in an Error.
const maxMessage = 300

// newError builds an Error from a non-200 answer. It never fails: a body
// that is not the documented JSON error leaves Code empty and says so.
func newError(path string, resp *http.Response, body []byte, tok string) *Error {
	e := &Error{Path: path, Status: resp.StatusCode}
	e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	if call, ok := CallForPath(path); ok {
		e.Call, e.Permission = call, call.Permission()
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		e.Message = "redirect not followed"
		if loc := resp.Header.Get("Location"); loc != "" {
			e.Message += " (to " + clean(pathOnly(loc), tok) + ")"
		}
		return e
	}
	var doc struct {
		Error *struct {
			Code    string         `json:"code"`
			Message string         `json:"message"`
			Inner   map[string]any `json:"innerError"`
		} `json:"error"`
	}
	if len(body) == 0 {
		return e
	}
	if err := strictJSON(body); err != nil {
		e.Err = fmt.Errorf("error body: %w", err)
		return e
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.Error == nil {
		ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if ct == "" {
			ct = "no content type"
		}
		e.Err = fmt.Errorf("%w: error body is not a Graph error document (%s, %d bytes)", ErrMalformed, ct, len(body))
		return e
	}
	// encoding/json matches keys case-insensitively, so "innererror" (the
	// resource spelling) lands in Inner as well as "innerError".
	e.Code = clean(doc.Error.Code, tok)
	e.Message = clean(doc.Error.Message, tok)
	str := func(k string) string {
		// Sorted: two keys differing only in case give the same answer
		// every time.
		for _, key := range slices.Sorted(maps.Keys(doc.Error.Inner)) {
			v := doc.Error.Inner[key]
			if strings.EqualFold(key, k) {
				if s, ok := v.(string); ok {
					return clean(s, tok)
				}
			}
		}
		return ""
	}
	e.RequestID, e.ClientRequestID, e.Date = str("request-id"), str("client-request-id"), str("date")
	return e
}

// clean makes server text safe to show: no token, no control characters,
// bounded length.
func clean(s, tok string) string {
	if tok != "" {
		s = strings.ReplaceAll(s, tok, "[redacted]")
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > maxMessage {
		cut := maxMessage
		for cut > 0 && !utf8Start(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
