package graph

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// testDomain is the members a domain must carry besides its id.
const testDomain = `"authenticationType":"Managed","isVerified":true,"isInitial":false`

const testToken = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.secret-test-token"

// graphServer is a loopback HTTPS Graph stand-in that records requests and
// fails the test on any method other than GET.
type graphServer struct {
	*httptest.Server
	t    *testing.T
	mu   sync.Mutex
	reqs []*http.Request
}

func newGraphServer(t *testing.T, h http.HandlerFunc) *graphServer {
	t.Helper()
	g := &graphServer{t: t}
	g.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			t.Errorf("%s %s: the client sent a method other than GET", r.Method, r.URL)
		}
		if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
			t.Errorf("%s: Authorization %q", r.URL, got)
		}
		g.mu.Lock()
		g.reqs = append(g.reqs, r.Clone(context.Background()))
		g.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(g.Close)
	return g
}

func (g *graphServer) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.reqs)
}

func (g *graphServer) client() *Client {
	return &Client{
		BaseURL: g.URL, HTTP: g.Client(),
		Token:       func(context.Context) (string, error) { return testToken, nil },
		BackoffBase: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
	}
}

func writeBody(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func errorBody(code, msg string) string {
	return fmt.Sprintf(`{"error":{"code":%q,"message":%q,"innerError":{"request-id":"r-1","date":"2026-01-01T00:00:00"}}}`, code, msg)
}

func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestListFollowsNextLinkAndResendsHeaders(t *testing.T) {
	var g *graphServer
	g = newGraphServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("ConsistencyLevel") != "eventual" {
			t.Errorf("page %s without ConsistencyLevel", r.URL)
		}
		switch r.URL.Query().Get("$skiptoken") {
		case "":
			writeBody(w, 200, `{"@odata.count":3,"value":[{"@odata.type":"#microsoft.graph.directoryRole","id":"a","roleTemplateId":"`+RoleGlobalAdministrator+`"}],
				"@odata.nextLink":"`+g.URL+`/v1.0/users/u1/transitiveMemberOf/microsoft.graph.directoryRole?$count=true&$skiptoken=X%274453707%27"}`)
		case "X'4453707'":
			writeBody(w, 200, `{"value":[],"@odata.nextLink":"`+strings.ToUpper(g.URL[:8])+g.URL[8:]+`/v1.0/users/u1/transitiveMemberOf/microsoft.graph.directoryRole?$skiptoken=2"}`)
		case "2":
			writeBody(w, 200, `{"value":[{"@odata.type":"#microsoft.graph.directoryRole","id":"b","roleTemplateId":"`+RoleHybridIdentityAdministrator+`"},{"@odata.type":"#microsoft.graph.directoryRole","id":"c","roleTemplateId":"x"}]}`)
		default:
			t.Errorf("unexpected page %s", r.URL)
		}
	})
	roles, err := g.client().DirectoryRoles(testCtx(t, 10*time.Second), "u1")
	if err != nil {
		t.Fatal(err)
	}
	if len(roles) != 3 || roles[0].RoleTemplateID != RoleGlobalAdministrator || roles[1].RoleTemplateID != RoleHybridIdentityAdministrator {
		t.Errorf("roles %+v", roles)
	}
	if g.count() != 3 {
		t.Errorf("%d requests, want 3 pages (an empty page is followed)", g.count())
	}
	if q := g.reqs[0].URL.RawQuery; q != "$count=true" {
		t.Errorf("first page query %q", q)
	}
}

func TestRetries(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fail     func(w http.ResponseWriter)
		failures int
		minWait  time.Duration
	}{
		{"429 fractional Retry-After", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "0.25")
			writeBody(w, 429, errorBody("TooManyRequests", "Please retry again later."))
		}, 1, 250 * time.Millisecond},
		{"429 without Retry-After backs off", func(w http.ResponseWriter) {
			writeBody(w, 429, errorBody("TooManyRequests", "Please retry again later."))
		}, 2, 20*time.Millisecond + 40*time.Millisecond},
		{"503", func(w http.ResponseWriter) {
			writeBody(w, 503, errorBody("serviceNotAvailable", "later"))
		}, 1, 20 * time.Millisecond},
		{"503 HTML body", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(503)
			io.WriteString(w, "<html><body>down</body></html>")
		}, 1, 20 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			g := newGraphServer(t, func(w http.ResponseWriter, r *http.Request) {
				n++
				if n <= tc.failures {
					tc.fail(w)
					return
				}
				writeBody(w, 200, `{"id":"00000000-0000-0000-0000-000000000005","isEnabled":false}`)
			})
			start := time.Now()
			sd, err := g.client().SecurityDefaults(testCtx(t, 10*time.Second))
			if err != nil || sd.IsEnabled {
				t.Fatalf("%+v %v", sd, err)
			}
			if el := time.Since(start); el < tc.minWait || el > 5*time.Second {
				t.Errorf("took %s, want at least %s", el, tc.minWait)
			}
			if g.count() != tc.failures+1 {
				t.Errorf("%d requests", g.count())
			}
		})
	}
}

func TestRetryLimits(t *testing.T) {
	t.Run("exhausted", func(t *testing.T) {
		g := newGraphServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "0.01")
			writeBody(w, 429, errorBody("TooManyRequests", "Please retry again later."))
		})
		c := g.client()
		c.MaxRetries = 2
		_, err := c.SecurityDefaults(testCtx(t, 10*time.Second))
		if !IsThrottled(err) || !errors.Is(err, ErrRetriesExhausted) || g.count() != 3 {
			t.Errorf("err %v after %d requests", err, g.count())
		}
	})
	t.Run("no retries", func(t *testing.T) {
		g := newGraphServer(t, func(w http.ResponseWriter, r *http.Request) {
			writeBody(w, 503, errorBody("x", "y"))
		})
		c := g.client()
		c.MaxRetries = -1
		if _, err := c.SecurityDefaults(testCtx(t, 10*time.Second)); !IsThrottled(err) || g.count() != 1 {
			t.Errorf("err %v after %d requests", err, g.count())
		}
	})
	t.Run("Retry-After past the deadline", func(t *testing.T) {
		g := newGraphServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "5")
			writeBody(w, 429, errorBody("TooManyRequests", "Please retry again later."))
		})
		start := time.Now()
		_, err := g.client().SecurityDefaults(testCtx(t, time.Second))
		if !errors.Is(err, ErrRetryBudget) || !IsThrottled(err) || !strings.Contains(err.Error(), "deadline") {
			t.Errorf("err %v", err)
		}
		if el := time.Since(start); el > 500*time.Millisecond {
			t.Errorf("took %s: should give up at once", el)
		}
	})
	t.Run("Retry-After longer than MaxRetryWait", func(t *testing.T) {
		g := newGraphServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3600")
			writeBody(w, 429, errorBody("TooManyRequests", "Please retry again later."))
		})
		_, err := g.client().SecurityDefaults(context.Background())
		if !errors.Is(err, ErrRetryBudget) || g.count() != 1 {
			t.Errorf("err %v", err)
		}
	})
}

func TestErrorClassification(t *testing.T) {
	for _, tc := range []struct {
		name   string
		call   func(c *Client, ctx context.Context) error
		status int
		body   string
		check  func(t *testing.T, err error)
	}{
		{"401 names the permission", func(c *Client, ctx context.Context) error { _, err := c.User(ctx, "admin@contoso.com"); return err },
			401, errorBody("InvalidAuthenticationToken", "Access token has expired or is not yet valid."),
			func(t *testing.T, err error) {
				if !IsUnauthorized(err) || !strings.Contains(err.Error(), "User.Read.All") || !strings.Contains(err.Error(), "InvalidAuthenticationToken") {
					t.Error(err)
				}
			}},
		{"403 names the permission and roles", func(c *Client, ctx context.Context) error {
			_, err := c.RoleAssignments(ctx, "6be4b305-b75e-4efc-bfcc-31bd3b53a5f8")
			return err
		}, 403, `{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation.","innererror":{"request-id":"abc","client-request-id":"def","date":"d"}}}`,
			func(t *testing.T, err error) {
				var e *Error
				if !errors.As(err, &e) || !IsForbidden(err) || e.Code != "Authorization_RequestDenied" || e.Permission != "RoleManagement.Read.Directory" ||
					e.RequestID != "abc" || e.ClientRequestID != "def" || e.Call != CallRoleAssignments ||
					!strings.Contains(err.Error(), "missing delegated permission RoleManagement.Read.Directory") || !strings.Contains(err.Error(), "Global Reader") {
					t.Errorf("%+v: %v", e, err)
				}
			}},
		{"403 on PTA agents", func(c *Client, ctx context.Context) error { _, err := c.PTAAgents(ctx); return err },
			403, errorBody("Authorization_RequestDenied", "Insufficient privileges to complete the operation."),
			func(t *testing.T, err error) {
				if !strings.Contains(err.Error(), "Policy.Read.HybridAuthentication") {
					t.Error(err)
				}
			}},
		{"404 user", func(c *Client, ctx context.Context) error { _, err := c.User(ctx, "nobody@contoso.com"); return err },
			404, errorBody("Request_ResourceNotFound", "Resource 'nobody@contoso.com' does not exist."),
			func(t *testing.T, err error) {
				if !IsNotFound(err) || IsForbidden(err) {
					t.Error(err)
				}
			}},
		{"500 is not retried", func(c *Client, ctx context.Context) error { _, err := c.Organization(ctx); return err },
			500, errorBody("generalException", "boom"),
			func(t *testing.T, err error) {
				var e *Error
				if !errors.As(err, &e) || e.Status != 500 || e.Code != "generalException" || IsNotFound(err) {
					t.Error(err)
				}
			}},
		{"error body is HTML", func(c *Client, ctx context.Context) error { _, err := c.Organization(ctx); return err },
			502, "<html><body><h1>Bad gateway</h1></body></html>",
			func(t *testing.T, err error) {
				var e *Error
				if !errors.As(err, &e) || e.Status != 502 || e.Code != "" || !errors.Is(err, ErrMalformed) {
					t.Error(err)
				}
			}},
		{"200 malformed JSON", func(c *Client, ctx context.Context) error { _, err := c.Domains(ctx); return err },
			200, `{"value": [{"id": "contoso.com", "isVerified": tru`,
			func(t *testing.T, err error) {
				if !errors.Is(err, ErrMalformed) {
					t.Error(err)
				}
			}},
		{"200 HTML", func(c *Client, ctx context.Context) error { _, err := c.SecurityDefaults(ctx); return err },
			200, "<!DOCTYPE html><html></html>",
			func(t *testing.T, err error) {
				if !errors.Is(err, ErrMalformed) {
					t.Error(err)
				}
			}},
		{"200 without value array", func(c *Client, ctx context.Context) error { _, err := c.PTAAgents(ctx); return err },
			200, `{"error":null}`,
			func(t *testing.T, err error) {
				if !errors.Is(err, ErrMalformed) {
					t.Error(err)
				}
			}},
		{"200 wrong type", func(c *Client, ctx context.Context) error { _, err := c.PTAAgents(ctx); return err },
			200, `{"value":[{"id":1}]}`,
			func(t *testing.T, err error) {
				if !errors.Is(err, ErrMalformed) {
					t.Error(err)
				}
			}},
		{"200 empty organization", func(c *Client, ctx context.Context) error { _, err := c.Organization(ctx); return err },
			200, `{"value":[]}`,
			func(t *testing.T, err error) {
				if !errors.Is(err, ErrMalformed) {
					t.Error(err)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGraphServer(t, func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(tc.body, "<") {
					w.Header().Set("Content-Type", "text/html")
					w.WriteHeader(tc.status)
					io.WriteString(w, tc.body)
					return
				}
				writeBody(w, tc.status, tc.body)
			})
			err := tc.call(g.client(), testCtx(t, 10*time.Second))
			if err == nil {
				t.Fatal("no error")
			}
			tc.check(t, err)
			if g.count() != 1 {
				t.Errorf("%d requests, want 1", g.count())
			}
		})
	}
}

func TestBodiesAreBounded(t *testing.T) {
	t.Run("truncated JSON (short Content-Length)", func(t *testing.T) {
		g := newGraphServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100")
			writeBody(w, 200, `{"value":[{"id":"a"`)
		})
		_, err := g.client().PTAAgents(testCtx(t, 5*time.Second))
		if err == nil || errors.Is(err, ErrMalformed) && strings.Contains(err.Error(), "a\"") {
			t.Errorf("err %v", err)
		}
	})
	t.Run("truncated JSON (connection closes cleanly)", func(t *testing.T) {
		g := newGraphServer(t, func(w http.ResponseWriter, r *http.Request) {
			writeBody(w, 200, `{"value":[{"id":"a","status":"act`)
		})
		_, err := g.client().PTAAgents(testCtx(t, 5*time.Second))
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("err %v", err)
		}
	})
	t.Run("100 MB body", func(t *testing.T) {
		g := newGraphServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", fmt.Sprint(100<<20))
			io.WriteString(w, `{"value":[`)
			chunk := strings.Repeat(" ", 64<<10)
			for i := 0; i < (100<<20)/len(chunk)-1; i++ {
				if _, err := io.WriteString(w, chunk); err != nil {
					return
				}
			}
		})
		start := time.Now()
		_, err := g.client().PTAAgents(testCtx(t, 20*time.Second))
		if !errors.Is(err, ErrBodyTooLarge) {
			t.Errorf("err %v", err)
		}
		if el := time.Since(start); el > 10*time.Second {
			t.Errorf("took %s", el)
		}
	})
	t.Run("endless fast body hits the cap", func(t *testing.T) {
		g := newGraphServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"value":[`)
			chunk := strings.Repeat(" ", 32<<10)
			for r.Context().Err() == nil {
				if _, err := io.WriteString(w, chunk); err != nil {
					return
				}
			}
		})
		c := g.client()
		c.MaxBodyBytes = 1 << 20
		_, err := c.PTAAgents(testCtx(t, 20*time.Second))
		if !errors.Is(err, ErrBodyTooLarge) || !strings.Contains(err.Error(), "1048576") {
			t.Errorf("err %v", err)
		}
	})
	t.Run("endless slow body ends at the deadline", func(t *testing.T) {
		g := newGraphServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(200)
			for r.Context().Err() == nil {
				io.WriteString(w, " ")
				w.(http.Flusher).Flush()
				time.Sleep(10 * time.Millisecond)
			}
		})
		start := time.Now()
		_, err := g.client().PTAAgents(testCtx(t, 400*time.Millisecond))
		if err == nil || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err %v", err)
		}
		if el := time.Since(start); el > 2*time.Second {
			t.Errorf("took %s past a 400ms deadline", el)
		}
	})
	t.Run("slow headers past the deadline", func(t *testing.T) {
		g := newGraphServer(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		})
		start := time.Now()
		_, err := g.client().Organization(testCtx(t, 300*time.Millisecond))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err %v", err)
		}
		if el := time.Since(start); el > 2*time.Second {
			t.Errorf("took %s past a 300ms deadline", el)
		}
	})
	t.Run("per-attempt timeout without a caller deadline", func(t *testing.T) {
		g := newGraphServer(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		})
		c := g.client()
		c.RequestTimeout = 200 * time.Millisecond
		start := time.Now()
		if _, err := c.Organization(context.Background()); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err %v", err)
		}
		if el := time.Since(start); el > 2*time.Second {
			t.Errorf("took %s", el)
		}
	})
}

func TestTokenStaysHome(t *testing.T) {
	foreign := newGraphServer(t, func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("foreign host got %s", r.URL)
	})
	t.Run("nextLink to another host", func(t *testing.T) {
		g := newGraphServer(t, func(w http.ResponseWriter, r *http.Request) {
			writeBody(w, 200, `{"value":[{"id":"a",`+testDomain+`}],"@odata.nextLink":"`+foreign.URL+`/v1.0/domains?$skiptoken=1"}`)
		})
		doms, err := g.client().Domains(testCtx(t, 5*time.Second))
		if !errors.Is(err, ErrForeignNextLink) || len(doms) != 1 {
			t.Errorf("%v %v", doms, err)
		}
	})
	for _, link := range []string{
		"http://HOST/v1.0/domains?x",             // scheme downgrade
		"https://user:pw@HOST/v1.0/domains?x",    // user info
		"https://graph.microsoft.com/v1.0/x",     // real Graph from a fixture
		"https://HOST.evil.test/v1.0/domains",    // suffix trick
		"//evil.test/v1.0/domains",               // scheme-relative
		"https://HOST/../v1.0/domains",           // stays on host: accepted below
		"https://HOST:1/v1.0/domains",            // other port
		"javascript:alert(1)",                    // garbage
		"https://HOST/v1.0/domains\x00",          // unparsable
		"https://HOST/v1.0/domains#frag",         // fragment: accepted below
		"https://HOST/v1.0/domains?$skiptoken=1", // accepted
	} {
		t.Run(link, func(t *testing.T) {
			n := 0
			var g *graphServer
			g = newGraphServer(t, func(w http.ResponseWriter, r *http.Request) {
				n++
				if n > 1 {
					writeBody(w, 200, `{"value":[]}`)
					return
				}
				host := strings.TrimPrefix(g.URL, "https://")
				l := strings.ReplaceAll(link, "HOST", host)
				writeBody(w, 200, `{"value":[],"@odata.nextLink":"`+strings.ReplaceAll(l, "\x00", `\u0000`)+`"}`)
			})
			_, err := g.client().Domains(testCtx(t, 5*time.Second))
			accepted := strings.Contains(link, "$skiptoken") || strings.Contains(link, "#frag") || strings.Contains(link, "/../")
			if accepted != (err == nil) {
				t.Errorf("err %v", err)
			}
			if !accepted && !errors.Is(err, ErrForeignNextLink) {
				t.Errorf("err %v, want ErrForeignNextLink", err)
			}
		})
	}
	t.Run("redirect is not followed", func(t *testing.T) {
		g := newGraphServer(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, foreign.URL+"/v1.0/organization?token="+testToken, http.StatusTemporaryRedirect)
		})
		_, err := g.client().Organization(testCtx(t, 5*time.Second))
		if err == nil || strings.Contains(err.Error(), testToken) || !strings.Contains(err.Error(), "redirect not followed") {
			t.Errorf("err %v", err)
		}
	})
	t.Run("echoed token is redacted", func(t *testing.T) {
		g := newGraphServer(t, func(w http.ResponseWriter, r *http.Request) {
			writeBody(w, 401, errorBody("InvalidAuthenticationToken", "token "+r.Header.Get("Authorization")+" is bad"))
		})
		_, err := g.client().Organization(testCtx(t, 5*time.Second))
		if !IsUnauthorized(err) || strings.Contains(err.Error(), testToken) || !strings.Contains(err.Error(), "[redacted]") {
			t.Errorf("err %v", err)
		}
	})
	t.Run("plain http only on loopback", func(t *testing.T) {
		c := &Client{BaseURL: "http://graph.microsoft.com", Token: func(context.Context) (string, error) {
			t.Error("token requested for a refused base URL")
			return testToken, nil
		}}
		if err := c.Get(context.Background(), "/v1.0/organization", nil); !errors.Is(err, ErrInsecureBaseURL) {
			t.Errorf("err %v", err)
		}
		for _, bad := range []string{"ftp://x", "https://", "https://u:p@graph.microsoft.com", "https://graph.microsoft.com?x=1", ":"} {
			c.BaseURL = bad
			if err := c.Get(context.Background(), "/v1.0/organization", nil); err == nil {
				t.Errorf("%s accepted", bad)
			}
		}
	})
	t.Run("token errors", func(t *testing.T) {
		c := &Client{BaseURL: "https://127.0.0.1:1", Token: func(context.Context) (string, error) { return "", errors.New("no sign-in") }}
		if err := c.Get(context.Background(), "/v1.0/organization", nil); err == nil || !strings.Contains(err.Error(), "no sign-in") {
			t.Errorf("err %v", err)
		}
		c.Token = func(context.Context) (string, error) { return "two words", nil }
		if err := c.Get(context.Background(), "/v1.0/organization", nil); err == nil || strings.Contains(err.Error(), "two words") {
			t.Errorf("err %v", err)
		}
		c.Token = nil
		if err := c.Get(context.Background(), "/v1.0/organization", nil); err == nil {
			t.Error("nil Token accepted")
		}
		if err := (&Client{BaseURL: "https://127.0.0.1:1", Token: c.Token}).Get(context.Background(), "v1.0/organization", nil); err == nil {
			t.Error("relative path accepted")
		}
	})
}

func TestPaging(t *testing.T) {
	t.Run("page cap", func(t *testing.T) {
		var g *graphServer
		n := 0
		g = newGraphServer(t, func(w http.ResponseWriter, r *http.Request) {
			n++
			writeBody(w, 200, fmt.Sprintf(`{"value":[{"id":"%d",%s}],"@odata.nextLink":"%s/v1.0/domains?$skiptoken=%d"}`, n, testDomain, g.URL, n))
		})
		c := g.client()
		c.MaxPages = 5
		doms, err := c.Domains(testCtx(t, 5*time.Second))
		if !errors.Is(err, ErrTooManyPages) || len(doms) != 5 || g.count() != 5 {
			t.Errorf("%d items, %d requests: %v", len(doms), g.count(), err)
		}
	})
	t.Run("repeating nextLink", func(t *testing.T) {
		var g *graphServer
		g = newGraphServer(t, func(w http.ResponseWriter, r *http.Request) {
			writeBody(w, 200, `{"value":[{"id":"a",`+testDomain+`}],"@odata.nextLink":"`+g.URL+`/v1.0/domains?$skiptoken=same"}`)
		})
		if _, err := g.client().Domains(testCtx(t, 5*time.Second)); !errors.Is(err, ErrMalformed) || g.count() != 2 {
			t.Errorf("%d requests: %v", g.count(), err)
		}
	})
	t.Run("conditional access is paced to 1 request/s", func(t *testing.T) {
		var g *graphServer
		var times []time.Time
		g = newGraphServer(t, func(w http.ResponseWriter, r *http.Request) {
			times = append(times, time.Now())
			if r.URL.Query().Get("$skiptoken") == "" {
				writeBody(w, 200, `{"value":[{"id":"p1","state":"enabled","conditions":null,"grantControls":null}],"@odata.nextLink":"`+g.URL+`/v1.0/identity/conditionalAccess/policies?$skiptoken=2"}`)
				return
			}
			writeBody(w, 200, `{"value":[{"id":"p2","state":"disabled","conditions":null,"grantControls":null}]}`)
		})
		ps, err := g.client().ConditionalAccessPolicies(testCtx(t, 10*time.Second))
		if err != nil || len(ps) != 2 {
			t.Fatalf("%+v %v", ps, err)
		}
		if gap := times[1].Sub(times[0]); gap < 900*time.Millisecond {
			t.Errorf("second CA request %s after the first", gap)
		}
	})
	t.Run("pacing respects the deadline", func(t *testing.T) {
		var g *graphServer
		g = newGraphServer(t, func(w http.ResponseWriter, r *http.Request) {
			writeBody(w, 200, `{"value":[],"@odata.nextLink":"`+g.URL+`/v1.0/identity/conditionalAccess/policies?$skiptoken=`+fmt.Sprint(time.Now().UnixNano())+`"}`)
		})
		start := time.Now()
		_, err := g.client().ConditionalAccessPolicies(testCtx(t, 300*time.Millisecond))
		if !errors.Is(err, ErrRetryBudget) || time.Since(start) > time.Second {
			t.Errorf("err %v after %s", err, time.Since(start))
		}
	})
}

func TestRequestShapes(t *testing.T) {
	g := newGraphServer(t, func(w http.ResponseWriter, r *http.Request) {
		// Every member the typed calls require, so each decodes.
		writeBody(w, 200, `{"id":"x","value":[],"userPrincipalName":"x@contoso.com","accountEnabled":true,"userType":"Member",`+
			`"onPremisesSyncEnabled":null,"perUserMfaState":"disabled",`+testDomain+`}`)
	})
	c := g.client()
	ctx := testCtx(t, 10*time.Second)
	admin := "6BE4B305-B75E-4EFC-BFCC-31BD3B53A5F8"
	calls := []func() error{
		func() error { _, err := c.User(ctx, "$adele@contoso.com"); return err },
		func() error { _, err := c.User(ctx, "ext_user#EXT#@contoso.onmicrosoft.com"); return err },
		func() error { _, err := c.User(ctx, "o'brien@contoso.com"); return err },
		func() error { _, err := c.RoleAssignments(ctx, admin); return err },
		func() error { _, err := c.RoleHolders(ctx, RoleGlobalAdministrator); return err },
		func() error { _, err := c.RoleEligibilitySchedules(ctx, admin); return err },
		func() error { _, err := c.RoleAssignmentScheduleInstances(ctx, admin); return err },
		func() error { _, err := c.MFARequirements(ctx, "$x'y@contoso.com"); return err },
		func() error { _, err := c.Domain(ctx, "corp.contoso.test"); return err },
		func() error { _, err := c.PTAProfile(ctx); return err },
	}
	for i, call := range calls {
		if err := call(); err != nil {
			t.Errorf("call %d: %v", i, err)
		}
	}
	want := []string{
		"/v1.0/users('$adele@contoso.com')?$select=" + UserSelect,
		"/v1.0/users/ext_user%23EXT%23@contoso.onmicrosoft.com?$select=" + UserSelect,
		"/v1.0/users/o%27brien@contoso.com?$select=" + UserSelect,
		"/v1.0/roleManagement/directory/roleAssignments?$filter=principalId%20eq%20%276be4b305-b75e-4efc-bfcc-31bd3b53a5f8%27",
		"/v1.0/roleManagement/directory/roleAssignments?$filter=roleDefinitionId%20eq%20%2762e90394-69f5-4237-9190-012177145e10%27&$expand=principal",
		"/v1.0/roleManagement/directory/roleEligibilitySchedules?$filter=principalId%20eq%20%276be4b305-b75e-4efc-bfcc-31bd3b53a5f8%27",
		"/v1.0/roleManagement/directory/roleAssignmentScheduleInstances?$filter=principalId%20eq%20%276be4b305-b75e-4efc-bfcc-31bd3b53a5f8%27",
		"/beta/users('$x%27%27y@contoso.com')/authentication/requirements",
		"/v1.0/domains/corp.contoso.test",
		"/beta/onPremisesPublishingProfiles/authentication?$expand=agents,agentGroups",
	}
	for i, w := range want {
		if i >= len(g.reqs) {
			t.Fatalf("only %d requests", len(g.reqs))
		}
		if got := g.reqs[i].RequestURI; got != w {
			t.Errorf("request %d:\n got %s\nwant %s", i, got, w)
		}
	}
	if g.reqs[0].URL.Query().Get("$select") != UserSelect {
		t.Error("$select lost")
	}
	// Arguments that cannot be put in a request are refused before sending.
	n := g.count()
	for _, bad := range []func() error{
		func() error { _, err := c.RoleAssignments(ctx, "x' or 1 eq 1"); return err },
		func() error { _, err := c.User(ctx, ""); return err },
		func() error { _, err := c.User(ctx, "a\nb"); return err },
		func() error { _, err := c.Domain(ctx, "a/b"); return err },
		func() error { _, err := c.RegistrationDetails(ctx, "admin@contoso.com"); return err },
	} {
		if err := bad(); !errors.Is(err, ErrBadArgument) {
			t.Errorf("err %v", err)
		}
	}
	if g.count() != n {
		t.Error("a refused argument reached the server")
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"2.128": 2128 * time.Millisecond, "1": time.Second, " 3 ": 3 * time.Second, "0": 0, "-1": 0, "": 0, "soon": 0, "NaN": 0,
		"Thu, 01 Jan 2026 00:00:05 GMT": 5 * time.Second, "Wed, 31 Dec 2025 23:59:00 GMT": 0,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("%q: %s, want %s", in, got, want)
		}
	}
	if got := parseRetryAfter("1e300", now); got <= 24*time.Hour {
		t.Errorf("huge Retry-After: %s", got)
	}
}

func TestTimeoutConstantsConsistent(t *testing.T) {
	if !(DefaultBackoffBase <= DefaultMaxBackoff && DefaultMaxBackoff <= DefaultMaxRetryWait && ThrottledInterval <= DefaultMaxBackoff) {
		t.Error("backoff constants out of order")
	}
	if DefaultMaxRetryWait > 2*DefaultRequestTimeout+time.Minute || SignInRequestTimeout > DefaultRequestTimeout {
		t.Error("timeouts out of proportion")
	}
	c := &Client{}
	if c.backoff(0) != DefaultBackoffBase || c.backoff(100) != DefaultMaxBackoff {
		t.Errorf("backoff %s %s", c.backoff(0), c.backoff(100))
	}
}
