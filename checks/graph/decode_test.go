package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// bomb is a page of n empty objects: 3 bytes each, 2.8 million in 8 MiB.
func bomb(n int) string {
	return `{"value":[` + strings.Repeat(`{},`, n-1) + `{}]}`
}

// Hostile pages end in an error, quickly, whatever their shape: object
// bombs (2.8 million {} in 8 MiB), one item that nests them, deep nesting,
// duplicate keys in any case, and answers without the fields a verdict
// reads.
func TestHostileAnswers(t *testing.T) {
	const eightMiB = 8 << 20
	deep := `{"value":[` + strings.Repeat(`{"a":`, 200) + `1` + strings.Repeat(`}`, 200) + `]}`
	nested := `{"value":[{"machineName":"x","status":"active","junk":[` + strings.Repeat(`{},`, eightMiB/3-100) + `{}]}]}`
	for _, tc := range []struct {
		name string
		body string
		want error
		text string
	}{
		// Agents need fields, so {} fails at the first item; methods
		// need none: the item limit stops the bomb.
		{"2.8M {} in one 8 MiB page (agents)", bomb(eightMiB/3 - 10), ErrMissingField, "item 1: "},
		{"2.8M {} in one 8 MiB page (methods)", bomb(eightMiB/3 - 10), ErrTooManyItems, "more than 5000 in one page"},
		{"one item nesting 2.8M {}", nested, ErrTooComplex, "more than 100000 objects and arrays"},
		{"200 levels deep", deep, ErrTooComplex, "more than 64 levels"},
		{"duplicate key, last wins in encoding/json", `{"value":[{"machineName":"a","status":"inactive","status":"active"}]}`, ErrDuplicateKey, `duplicate key "status"`},
		{"duplicate key in another case", `{"value":[{"machineName":"a","status":"inactive","Status":"active"}]}`, ErrDuplicateKey, `duplicate key "Status" (also sent as "status")`},
		{"duplicate key, Kelvin sign folds to k", `{"value":[{"machineName":"a","status":"x","\u212Aey":1,"key":2}]}`, ErrDuplicateKey, "duplicate key"},
		{"duplicate key nested", `{"value":[{"machineName":"a","status":"active","agentGroups":[{"id":"1","id":"2"}]}]}`, ErrDuplicateKey, `duplicate key "id"`},
		{"duplicate value array", `{"value":[],"value":[{"machineName":"a","status":"active"}]}`, ErrDuplicateKey, `duplicate key "value"`},
		{"duplicate nextLink", `{"value":[],"@odata.nextLink":"a","@odata.nextLink":"b"}`, ErrDuplicateKey, "duplicate key"},
		{"{} instead of a page", `{}`, ErrMalformed, `no "value" array`},
		{"an item without status", `{"value":[{"machineName":"a"}]}`, ErrMissingField, "status is not in the answer"},
		{"an item with status null", `{"value":[{"machineName":"a","status":null}]}`, ErrMissingField, "status is null"},
		{"an empty item", `{"value":[{}]}`, ErrMissingField, "machineName is not in the answer"},
		{"trailing data", `{"value":[]} {"value":[]}`, ErrMalformed, "after the JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGraphServer(t, func(w http.ResponseWriter, r *http.Request) { writeBody(w, 200, tc.body) })
			start := time.Now()
			var n int
			var err error
			if strings.Contains(tc.name, "(methods)") {
				var ms []AuthenticationMethod
				ms, err = g.client().AuthenticationMethods(testCtx(t, slowBound(10*time.Second)), "a@b.c")
				n = len(ms)
			} else {
				var agents []Agent
				agents, err = g.client().PTAAgents(testCtx(t, slowBound(10*time.Second)))
				n = len(agents)
			}
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.text) || n != 0 {
				t.Errorf("%d items, err %v; want %v containing %q", n, err, tc.want, tc.text)
			}
			if el := time.Since(start); el > slowBound(2*time.Second) {
				t.Errorf("took %s", el)
			}
		})
	}
}

// Entities without the fields a verdict reads are errors naming the call
// and the field: {} for the per-user MFA state or the security defaults is
// not "disabled".
func TestEntitiesNeedTheirFields(t *testing.T) {
	for _, tc := range []struct {
		body string
		call func(*Client, context.Context) error
		want string
	}{
		{`{}`, func(c *Client, ctx context.Context) error {
			_, err := c.MFARequirements(ctx, "admin@contoso.com")
			return err
		},
			"graph GET /beta/users/admin@contoso.com/authentication/requirements: 200 ok: malformed response: a field the checks read is missing: perUserMfaState is not in the answer"},
		{`{"perUserMfaState":null}`, func(c *Client, ctx context.Context) error {
			_, err := c.MFARequirements(ctx, "admin@contoso.com")
			return err
		},
			"perUserMfaState is null"},
		{`{}`, func(c *Client, ctx context.Context) error { _, err := c.SecurityDefaults(ctx); return err },
			"graph GET /v1.0/policies/identitySecurityDefaultsEnforcementPolicy: 200 ok: malformed response: a field the checks read is missing: isEnabled is not in the answer"},
		{`{"isEnabled":false,"isEnabled":true}`, func(c *Client, ctx context.Context) error { _, err := c.SecurityDefaults(ctx); return err },
			`duplicate key "isEnabled"`},
		{`{"id":"x","userPrincipalName":"a@b.c","accountEnabled":true,"userType":"Member"}`, func(c *Client, ctx context.Context) error { _, err := c.User(ctx, "a@b.c"); return err },
			"onPremisesSyncEnabled is not in the answer"},
		{`{"id":"x","userPrincipalName":"a@b.c","accountEnabled":null,"userType":"Member","onPremisesSyncEnabled":null}`, func(c *Client, ctx context.Context) error { _, err := c.User(ctx, "a@b.c"); return err },
			"accountEnabled is null"},
		{`{"id":"x","isEnabled":true,"junk":[` + strings.Repeat(`{},`, 200000) + `{}]}`, func(c *Client, ctx context.Context) error { _, err := c.SecurityDefaults(ctx); return err },
			"more than 100000 objects and arrays"},
	} {
		g := newGraphServer(t, func(w http.ResponseWriter, r *http.Request) { writeBody(w, 200, tc.body) })
		err := tc.call(g.client(), testCtx(t, 5*time.Second))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrMalformed) {
			t.Errorf("%.60s: %v; want %q", tc.body, err, tc.want)
		}
	}
	// A null onPremisesSyncEnabled is evidence (never synchronised).
	g := newGraphServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeBody(w, 200, `{"id":"x","userPrincipalName":"a@b.c","accountEnabled":true,"userType":"Member","onPremisesSyncEnabled":null,"onPremisesImmutableId":"abc="}`)
	})
	u, err := g.client().User(testCtx(t, 5*time.Second), "a@b.c")
	if err != nil || u.Sync() != SyncNever {
		t.Errorf("%+v %v: an immutable ID alone is not synchronisation", u, err)
	}
}

// A collection is bounded in items and bytes over all its pages, not only
// per page.
func TestCollectionLimits(t *testing.T) {
	page := func(n int, next string) string {
		items := strings.TrimSuffix(strings.Repeat(`{"machineName":"a","status":"active"},`, n), ",")
		if next == "" {
			return `{"value":[` + items + `]}`
		}
		return `{"value":[` + items + `],"@odata.nextLink":"` + next + `"}`
	}
	var g *graphServer
	g = newGraphServer(t, func(w http.ResponseWriter, r *http.Request) {
		skip := r.URL.Query().Get("$skiptoken")
		writeBody(w, 200, page(40, g.URL+r.URL.Path+"?$skiptoken=x"+skip))
	})
	c := g.client()
	c.MaxItems = 100
	_, err := c.PTAAgents(testCtx(t, 5*time.Second))
	if !errors.Is(err, ErrTooManyItems) || !strings.Contains(err.Error(), "more than 100 in the collection") || g.count() != 3 {
		t.Errorf("%d pages: %v", g.count(), err)
	}
	c = g.client()
	c.MaxCollectionBytes = 4000 // about two pages of 40 agents
	_, err = c.PTAAgents(testCtx(t, 5*time.Second))
	if !errors.Is(err, ErrBodyTooLarge) || !strings.Contains(err.Error(), "the collection is more than 4000 bytes") {
		t.Errorf("bytes: %v", err)
	}
	c = g.client()
	c.MaxPageItems = 39
	if _, err = c.PTAAgents(testCtx(t, 5*time.Second)); !errors.Is(err, ErrTooManyItems) {
		t.Errorf("page items: %v", err)
	}
}

// endlessItems is a page that never ends: {"value":[ then {"machineName":
// "a","status":"active"}, items for ever, as fast as the reader is read.
type endlessItems struct{ started bool }

func (e *endlessItems) Read(p []byte) (int, error) {
	n := 0
	if !e.started {
		n = copy(p, `{"value":[`)
		e.started = true
	}
	item := `{"machineName":"a","status":"active"},`
	for n+len(item) <= len(p) {
		n += copy(p[n:], item)
	}
	return n, nil
}

// A decode stops within milliseconds of its context's end, however much
// input is left: the decoder looks at the context every few hundred tokens
// and items.
func TestDecodeStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	done := make(chan error, 1)
	var decoded int
	go func() {
		_, err := decodePage(ctx, &endlessItems{}, pageLimits{pageItems: 1 << 40, items: 1 << 40, seen: &n}, func(Agent) error {
			decoded++
			return nil
		})
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	cancelled := time.Now()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err %v", err)
		}
		if el := time.Since(cancelled); el > slowBound(20*time.Millisecond) {
			t.Errorf("stopped %s after the cancel", el)
		}
		if decoded == 0 {
			t.Error("nothing was decoded before the cancel: the test proves nothing")
		}
	case <-time.After(slowBound(2 * time.Second)):
		t.Fatal("the decode did not stop after its context ended")
	}
	// The walker of one big entity too.
	budget := 1 << 40
	raw := []byte(`{"junk":[` + strings.Repeat(`[],`, 3<<20) + `[]]}`)
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if _, err := checkDocument(ctx, raw, &budget); !errors.Is(err, context.Canceled) {
		t.Errorf("walker: %v", err)
	}
}

// Megabytes of whitespace cost linear time (encoding/json's Decoder alone
// rescans a run of blanks on every read), and whitespace inside strings is
// kept.
func TestWhitespaceIsSqueezed(t *testing.T) {
	body := `{"value":[` + strings.Repeat(" \n\t", 2<<20) + `{"machineName":"a  b\"  c","status":  "active"}   ]}` + strings.Repeat(" ", 1<<20)
	n := 0
	var got []Agent
	start := time.Now()
	_, err := decodePage(context.Background(), strings.NewReader(body), pageLimits{pageItems: 10, items: 10, seen: &n}, func(a Agent) error {
		got = append(got, a)
		return nil
	})
	if err != nil || len(got) != 1 || got[0].MachineName != `a  b"  c` {
		t.Fatalf("%+v %v", got, err)
	}
	if el := time.Since(start); el > slowBound(time.Second) {
		t.Errorf("7 MiB of whitespace took %s", el)
	}
	var out bytes.Buffer
	io.Copy(&out, newSqueezer(strings.NewReader("[1 \n 2,\t\"x \\\"  y\"]"), 4))
	if out.String() != `[1 2, "x \"  y"]` {
		t.Errorf("squeezed %q", out.String())
	}
	var one [1]byte
	out.Reset()
	s := newSqueezer(strings.NewReader(`{  "a" :  1 }`), 16)
	for {
		n, err := s.Read(one[:])
		out.Write(one[:n])
		if err != nil {
			break
		}
	}
	if out.String() != `{ "a" : 1 }` {
		t.Errorf("byte by byte: %q", out.String())
	}
}

func ExampleList_limits() {
	c := &Client{MaxPageItems: 999, MaxItems: 10000}
	pages, pageItems, items, bytes := c.limits()
	fmt.Println(pages, pageItems, items, bytes>>20)
	// Output: 100 999 10000 32
}

// The sign-in's answers and Graph's error document are held to the same
// rule: {"error_codes":[50076],"error_codes":[50126]} must not read as a
// wrong password rather than MFA.
func TestSmallDocumentsRefuseDuplicateKeys(t *testing.T) {
	e := parseTokenError(400, []byte(`{"error":"invalid_grant","error_codes":[50076],"error_codes":[50126]}`))
	if !errors.Is(e, ErrDuplicateKey) || len(e.Codes) != 0 {
		t.Errorf("token error: %v %v", e, e.Codes)
	}
	resp := &http.Response{StatusCode: 403, Header: http.Header{"Content-Type": {"application/json"}}}
	ge := newError("/v1.0/domains", resp, []byte(`{"error":{"code":"Authorization_RequestDenied","code":"insufficient_claims"}}`), "tok")
	if !errors.Is(ge, ErrDuplicateKey) || ge.Code != "" {
		t.Errorf("graph error: %v (code %q)", ge, ge.Code)
	}
}
