package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
)

// DefaultClientID is the public client used for delegated sign-in:
// "Microsoft Graph Command Line Tools" (graph-api.md 8.4).
const DefaultClientID = "14d82eec-204b-4c2f-b7e8-296a70dab67e"

// Sign-in timeouts.
const (
	SignInRequestTimeout = 30 * time.Second // one request to the login host
	tokenRefreshMargin   = 2 * time.Minute  // renew a token this long before expiry
)

// microsoftLoginHosts are the authority hosts where MSAL's instance
// discovery may run; for any other host (a loopback fixture) it is
// disabled, or MSAL would ask login.microsoftonline.com about it.
var microsoftLoginHosts = map[string]bool{
	"login.microsoftonline.com": true, "login.microsoftonline.us": true, "login.chinacloudapi.cn": true,
	"login.microsoft.com": true, "login.windows.net": true, "sts.windows.net": true,
}

// SignIn says where and as which app to sign in.
type SignIn struct {
	LoginURL string // authority root: Cloud.LoginURL or a loopback fixture's https URL
	Tenant   string // tenant GUID or verified domain ("organizations" for device code only)
	ClientID string // "" = DefaultClientID
	// HTTP sends the requests (nil: a client with SignInRequestTimeout).
	// Its redirects are never followed and its bodies are capped.
	HTTP         *http.Client
	MaxBodyBytes int64 // 0: DefaultMaxBodyBytes
}

var tenantRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$`)

// Authority returns LoginURL/Tenant after checking both.
func (s SignIn) Authority() (string, error) {
	u, err := url.Parse(strings.TrimSuffix(s.LoginURL, "/"))
	if err != nil || u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return "", fmt.Errorf("login URL %q: want https://host", s.LoginURL)
	}
	if !tenantRE.MatchString(s.Tenant) {
		return "", fmt.Errorf("tenant %q: want a tenant GUID or domain name", s.Tenant)
	}
	return "https://" + u.Host + "/" + s.Tenant, nil
}

func (s SignIn) clientID() string {
	if s.ClientID == "" {
		return DefaultClientID
	}
	return s.ClientID
}

func (s SignIn) maxBody() int64 {
	if s.MaxBodyBytes <= 0 {
		return DefaultMaxBodyBytes
	}
	return s.MaxBodyBytes
}

// httpClient copies s.HTTP with redirects refused and a transport that caps
// bodies and keeps the last error body of the token endpoints.
func (s SignIn) httpClient(capture *errCapture) *http.Client {
	hc := &http.Client{Timeout: SignInRequestTimeout}
	if s.HTTP != nil {
		*hc = *s.HTTP
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	hc.Transport = &capTransport{base: base, max: s.maxBody(), capture: capture}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	hc.Jar = nil
	return hc
}

// errCapture keeps the last error body the token endpoint sent, so the
// AADSTS codes can be read whatever MSAL did with the response.
type errCapture struct {
	mu     sync.Mutex
	status int
	body   []byte
}

func (c *errCapture) set(status int, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.status, c.body = status, b
}

func (c *errCapture) take() (int, []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, b := c.status, c.body
	c.status, c.body = 0, nil
	return s, b
}

type capTransport struct {
	base    http.RoundTripper
	max     int64
	capture *errCapture
}

func (t *capTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 400 && t.capture != nil && strings.HasSuffix(req.URL.Path, "/oauth2/v2.0/token") {
		b, rerr := io.ReadAll(io.LimitReader(resp.Body, t.max))
		resp.Body.Close()
		if rerr != nil {
			return nil, rerr
		}
		t.capture.set(resp.StatusCode, b)
		resp.Body = io.NopCloser(bytes.NewReader(b))
		return resp, nil
	}
	resp.Body = &cappedBody{rc: resp.Body, left: t.max}
	return resp, nil
}

// cappedBody fails a read past its limit instead of reading on.
type cappedBody struct {
	rc   io.ReadCloser
	left int64
}

func (c *cappedBody) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// One more byte tells "exactly at the limit" from "over it".
		var one [1]byte
		n, err := c.rc.Read(one[:])
		if n > 0 {
			return 0, ErrBodyTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.rc.Read(p)
	c.left -= int64(n)
	return n, err
}

func (c *cappedBody) Close() error { return c.rc.Close() }

// SignInError is an error answer of the token endpoint. Branch on Codes
// (the AADSTS numbers of error_codes), never on text.
type SignInError struct {
	Status        int
	OAuthError    string // error, e.g. invalid_grant, authorization_declined
	SubError      string // suberror, e.g. basic_action
	Codes         []int  // error_codes
	TraceID       string
	CorrelationID string
	Err           error // set when the answer was not the documented JSON
}

func (e *SignInError) Error() string {
	var b strings.Builder
	b.WriteString("sign-in")
	if e.Status != 0 {
		fmt.Fprintf(&b, ": %d", e.Status)
	}
	if e.OAuthError != "" {
		b.WriteString(" " + e.OAuthError)
	}
	for _, c := range e.Codes {
		fmt.Fprintf(&b, " AADSTS%d", c) // named by checks/codes, the one table of codes
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	if e.TraceID != "" {
		b.WriteString(" [trace " + e.TraceID + "]")
	}
	return b.String()
}

func (e *SignInError) Unwrap() error { return e.Err }

// Has reports whether error_codes contains code.
func (e *SignInError) Has(code int) bool { return e != nil && slices.Contains(e.Codes, code) }

// AADSTS codes the sign-in tells apart (error-codes.md 1.3); their names
// and meanings are in checks/codes.
const (
	AADSTSStrongAuthEnrollmentRequired = 50072
	AADSTSStrongAuthInterrupt          = 50074
	AADSTSMFARequired                  = 50076
	AADSTSStrongAuthExpired            = 50078
	AADSTSMFARegistrationRequired      = 50079
	AADSTSExternalChallenge            = 50158
	AADSTSBlockedByCA                  = 53003
	AADSTSBlockedBySecurityDefaults    = 530035
	AADSTSUserDisabled                 = 50057
	AADSTSInvalidCredentials           = 50126
	AADSTSUserNotFound                 = 50034
	AADSTSAccountLocked                = 50053
	AADSTSPasswordExpired              = 50055
	AADSTSConsentRequired              = 65001
	AADSTSLoopDetected                 = 50196
)

// parseTokenError decodes the token endpoint's error body (graph-api.md
// 8.2). error_description is not kept: it is text, not a contract.
func parseTokenError(status int, body []byte) *SignInError {
	e := &SignInError{Status: status}
	var doc struct {
		Error         string `json:"error"`
		SubError      string `json:"suberror"`
		ErrorCodes    []int  `json:"error_codes"`
		TraceID       string `json:"trace_id"`
		CorrelationID string `json:"correlation_id"`
	}
	if err := strictJSON(body); err != nil {
		e.Err = fmt.Errorf("token endpoint answered %d: %w", status, err)
		return e
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.Error == "" {
		e.Err = fmt.Errorf("%w: token endpoint answered %d without an OAuth error document (%d bytes)", ErrMalformed, status, len(body))
		return e
	}
	e.OAuthError = clean(doc.Error, "")
	e.SubError = clean(doc.SubError, "")
	e.Codes = doc.ErrorCodes
	e.TraceID = clean(doc.TraceID, "")
	e.CorrelationID = clean(doc.CorrelationID, "")
	return e
}

// DeviceCodeSource signs in with the device-code flow (MSAL Go, public
// client) on first use and then hands out the token, renewing it silently
// from MSAL's in-memory cache. Nothing is written to disk. Safe for
// concurrent use: one sign-in at a time.
type DeviceCodeSource struct {
	signIn  SignIn
	scopes  []string
	out     io.Writer
	app     public.Client
	capture *errCapture

	mu      sync.Mutex
	account *public.Account
	tok     *Token
}

// NewDeviceCodeSource prepares a device-code sign-in for the given scopes
// (see Scopes); the prompt ("To sign in, use a web browser ...") is
// written to out (stderr). No request is sent until Token is called.
func NewDeviceCodeSource(s SignIn, scopes []string, out io.Writer) (*DeviceCodeSource, error) {
	authority, err := s.Authority()
	if err != nil {
		return nil, err
	}
	if len(scopes) == 0 {
		return nil, errors.New("device code sign-in: no scopes")
	}
	if out == nil {
		out = io.Discard
	}
	u, _ := url.Parse(authority)
	capture := &errCapture{}
	app, err := public.New(s.clientID(),
		public.WithAuthority(authority),
		public.WithHTTPClient(s.httpClient(capture)),
		public.WithInstanceDiscovery(microsoftLoginHosts[strings.ToLower(u.Hostname())] && u.Port() == ""),
	)
	if err != nil {
		return nil, fmt.Errorf("device code sign-in: %w", err)
	}
	return &DeviceCodeSource{signIn: s, scopes: slices.Clone(scopes), out: out, app: app, capture: capture}, nil
}

// Token returns a valid access token, signing in first if needed.
func (d *DeviceCodeSource) Token(ctx context.Context) (string, error) {
	t, err := d.Acquire(ctx)
	if err != nil {
		return "", err
	}
	return t.AccessToken, nil
}

// Acquire is Token with the details of the token.
func (d *DeviceCodeSource) Acquire(ctx context.Context) (*Token, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.tok != nil && time.Until(d.tok.ExpiresOn) > tokenRefreshMargin {
		return d.tok, nil
	}
	if d.account != nil {
		res, err := d.app.AcquireTokenSilent(ctx, d.scopes, public.WithSilentAccount(*d.account))
		if err == nil {
			return d.keep(res), nil
		}
		// Fall through to a new sign-in.
	}
	d.capture.take()
	dc, err := d.app.AcquireTokenByDeviceCode(ctx, d.scopes)
	if err != nil {
		return nil, d.signInErr("device code request", err)
	}
	msg := dc.Result.Message
	if msg == "" {
		msg = fmt.Sprintf("To sign in, open %s and enter the code %s.", dc.Result.VerificationURL, dc.Result.UserCode)
	}
	fmt.Fprintln(d.out, clean(msg, ""))
	res, err := dc.AuthenticationResult(ctx)
	if err != nil {
		return nil, d.signInErr("device code sign-in", err)
	}
	return d.keep(res), nil
}

func (d *DeviceCodeSource) keep(res public.AuthResult) *Token {
	acct := res.Account
	d.account = &acct
	d.tok = &Token{AccessToken: res.AccessToken, ExpiresOn: res.ExpiresOn, Username: acct.PreferredUsername, Scopes: res.GrantedScopes}
	return d.tok
}

// signInErr turns an MSAL error into a *SignInError when the token
// endpoint answered with an OAuth error, else into a short wrapped error.
func (d *DeviceCodeSource) signInErr(what string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", what, err)
	}
	if status, body := d.capture.take(); body != nil {
		e := parseTokenError(status, body)
		if e.Err == nil {
			return e
		}
	}
	return fmt.Errorf("%s: %s", what, clean(err.Error(), ""))
}

// PasswordOutcome classifies a resource-owner password sign-in by its
// AADSTS codes.
type PasswordOutcome string

// Password sign-in outcomes.
const (
	PasswordOK                        PasswordOutcome = "ok"
	PasswordMFARequired               PasswordOutcome = "mfa-required"              // 50076, 50074, 50078, 50158
	PasswordMFARegistrationRequired   PasswordOutcome = "mfa-registration-required" // 50079, 50072
	PasswordBlockedByCA               PasswordOutcome = "blocked-by-conditional-access"
	PasswordBlockedBySecurityDefaults PasswordOutcome = "blocked-by-security-defaults"
	PasswordInvalidCredentials        PasswordOutcome = "invalid-credentials"
	PasswordUserNotFound              PasswordOutcome = "user-not-found"
	PasswordAccountDisabled           PasswordOutcome = "account-disabled"
	PasswordAccountLocked             PasswordOutcome = "account-locked"
	PasswordExpired                   PasswordOutcome = "password-expired"
	PasswordConsentRequired           PasswordOutcome = "consent-required"
	PasswordOther                     PasswordOutcome = "other"
)

// outcomeByCode is checked in order: the first code found decides.
var outcomeByCode = []struct {
	code    int
	outcome PasswordOutcome
}{
	{AADSTSMFARequired, PasswordMFARequired},
	{AADSTSStrongAuthInterrupt, PasswordMFARequired},
	{AADSTSStrongAuthExpired, PasswordMFARequired},
	{AADSTSExternalChallenge, PasswordMFARequired},
	{AADSTSMFARegistrationRequired, PasswordMFARegistrationRequired},
	{AADSTSStrongAuthEnrollmentRequired, PasswordMFARegistrationRequired},
	{AADSTSBlockedByCA, PasswordBlockedByCA},
	{AADSTSBlockedBySecurityDefaults, PasswordBlockedBySecurityDefaults},
	{AADSTSInvalidCredentials, PasswordInvalidCredentials},
	{AADSTSUserNotFound, PasswordUserNotFound},
	{AADSTSUserDisabled, PasswordAccountDisabled},
	{AADSTSAccountLocked, PasswordAccountLocked},
	{AADSTSPasswordExpired, PasswordExpired},
	{AADSTSConsentRequired, PasswordConsentRequired},
}

// PasswordResult is the answer of PasswordSignIn. On success Error is nil
// (the token itself is discarded: the probe only asks whether a password
// sign-in is possible).
type PasswordResult struct {
	Outcome PasswordOutcome
	Error   *SignInError
}

// Has reports whether the answer carried AADSTS code.
func (r *PasswordResult) Has(code int) bool { return r.Error.Has(code) }

// PasswordSignIn probes a resource-owner password credentials (ROPC)
// sign-in: one form POST to {LoginURL}/{Tenant}/oauth2/v2.0/token with
// grant_type=password (graph-api.md 8.3), so the AADSTS error_codes can be
// read reliably. It returns a result for every answer of the token endpoint
// (success or OAuth error) and an error only when there was no usable
// answer. The password never appears in an error or a log.
//
// Microsoft discourages ROPC; ptacheck uses it only on explicit opt-in.
// Tenant must be a tenant ID or domain (not common/consumers).
func PasswordSignIn(ctx context.Context, s SignIn, username, password string, scopes []string) (*PasswordResult, error) {
	authority, err := s.Authority()
	if err != nil {
		return nil, err
	}
	switch strings.ToLower(s.Tenant) {
	case "common", "consumers":
		return nil, fmt.Errorf("password sign-in: tenant %q is not supported by ROPC (use the tenant ID or domain)", s.Tenant)
	}
	if username == "" || password == "" || len(scopes) == 0 {
		return nil, errors.New("password sign-in: username, password and scopes are required")
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, SignInRequestTimeout)
		defer cancel()
	}
	form := url.Values{
		"client_id":   {s.clientID()},
		"scope":       {strings.Join(scopes, " ")},
		"username":    {username},
		"password":    {password},
		"grant_type":  {"password"},
		"client_info": {"1"},
	}
	endpoint := authority + "/oauth2/v2.0/token"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("password sign-in: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := s.httpClient(nil).Do(req)
	if err != nil {
		return nil, fmt.Errorf("password sign-in: %w", redactErr(err, password))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body) // capped by the transport
	if err != nil {
		return nil, fmt.Errorf("password sign-in: reading the answer: %w", redactErr(err, password))
	}
	if resp.StatusCode == http.StatusOK {
		var ok struct {
			AccessToken string `json:"access_token"`
		}
		if err := strictJSON(body); err != nil {
			return nil, fmt.Errorf("password sign-in: %w", err)
		}
		if err := json.Unmarshal(body, &ok); err != nil || ok.AccessToken == "" {
			return nil, fmt.Errorf("password sign-in: %w: 200 without an access token", ErrMalformed)
		}
		return &PasswordResult{Outcome: PasswordOK}, nil
	}
	e := parseTokenError(resp.StatusCode, body)
	if e.Err != nil {
		return nil, e
	}
	r := &PasswordResult{Outcome: PasswordOther, Error: e}
	for _, oc := range outcomeByCode {
		if e.Has(oc.code) {
			r.Outcome = oc.outcome
			break
		}
	}
	return r, nil
}
