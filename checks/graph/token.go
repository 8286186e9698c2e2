package graph

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// EnvToken is the environment variable that may carry a Graph token; the
// caller reads it and passes the value to StaticToken.
const EnvToken = "PTACHECK_GRAPH_TOKEN"

// MaxTokenFileBytes bounds TokenFromFile and PasswordFromFile reads.
const MaxTokenFileBytes = 64 << 10

// TokenFunc is the shape of Client.Token.
type TokenFunc = func(ctx context.Context) (string, error)

// Cloud is a national cloud's sign-in and Graph roots (graph-api.md 8.5).
type Cloud struct {
	Name     string // public, usgov
	LoginURL string // token authority root, without tenant
	GraphURL string // Graph root, without version
}

// The clouds ptacheck supports.
var (
	CloudPublic = Cloud{Name: "public", LoginURL: "https://login.microsoftonline.com", GraphURL: "https://graph.microsoft.com"}
	CloudUSGov  = Cloud{Name: "usgov", LoginURL: "https://login.microsoftonline.us", GraphURL: "https://graph.microsoft.us"}
)

var clouds = map[string]Cloud{CloudPublic.Name: CloudPublic, CloudUSGov.Name: CloudUSGov}

// CloudByName looks a cloud up by name (case-insensitive).
func CloudByName(name string) (Cloud, error) {
	if c, ok := clouds[strings.ToLower(name)]; ok {
		return c, nil
	}
	return Cloud{}, fmt.Errorf("unknown cloud %q (want one of %s)", name, strings.Join(CloudNames(), ", "))
}

// CloudNames lists the cloud names, sorted.
func CloudNames() []string {
	var out []string
	for n := range clouds {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Token is an access token with what is known about it. Its String and
// GoString never show the token itself.
type Token struct {
	AccessToken string
	ExpiresOn   time.Time // zero when unknown
	Username    string    // signed-in user, when known
	Scopes      []string  // granted scopes, when known
}

func (t Token) String() string {
	s := "graph token"
	if t.Username != "" {
		s += " for " + t.Username
	}
	if !t.ExpiresOn.IsZero() {
		s += " (expires " + t.ExpiresOn.UTC().Format(time.RFC3339) + ")"
	}
	return s
}

// GoString keeps %#v from printing the token.
func (t Token) GoString() string { return "graph.Token{" + t.String() + "}" }

// ErrEmptyToken is returned for an empty token file or value.
var ErrEmptyToken = errors.New("empty token")

// StaticToken returns a token source for a fixed bearer token (e.g. the
// value of PTACHECK_GRAPH_TOKEN). Surrounding whitespace is trimmed; an
// empty value or one with inner whitespace is refused.
func StaticToken(value string) (TokenFunc, error) {
	tok, err := checkToken(value)
	if err != nil {
		return nil, err
	}
	return func(context.Context) (string, error) { return tok, nil }, nil
}

// TokenFromFile reads a bearer token from a file (at most
// MaxTokenFileBytes, surrounding whitespace trimmed) and returns a source
// for it.
func TokenFromFile(path string) (TokenFunc, error) {
	b, err := readSecretFile(path)
	if err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	tok, err := checkToken(string(b))
	if err != nil {
		return nil, fmt.Errorf("token file %s: %w", path, err)
	}
	return func(context.Context) (string, error) { return tok, nil }, nil
}

// PasswordFromFile reads a password file (at most MaxTokenFileBytes). One
// trailing line break is removed; other whitespace is kept (ROPC does not
// support passwords with surrounding spaces anyway).
func PasswordFromFile(path string) (string, error) {
	b, err := readSecretFile(path)
	if err != nil {
		return "", fmt.Errorf("password file: %w", err)
	}
	s := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if s == "" {
		return "", fmt.Errorf("password file %s: empty", path)
	}
	return s, nil
}

func readSecretFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxTokenFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxTokenFileBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, MaxTokenFileBytes)
	}
	return b, nil
}

func checkToken(v string) (string, error) {
	tok := strings.TrimSpace(v)
	tok = strings.TrimPrefix(tok, "Bearer ")
	if tok == "" {
		return "", ErrEmptyToken
	}
	for _, r := range tok {
		if r <= ' ' || r == 0x7f {
			return "", errors.New("token contains whitespace or control characters (one token expected)")
		}
	}
	return tok, nil
}

// TenantOfToken reads the tid claim of a JWT access token: the tenant the
// token was issued in, which for a delegated token is the signed-in admin's
// tenant. The signature is not verified: the value only names the tenant a
// check compares with, it authorises nothing. An opaque token, or one
// without a GUID in tid, is an error.
func TenantOfToken(token string) (string, error) {
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		return "", fmt.Errorf("the token is not a JWT: %w", err)
	}
	raw, found := claims["tid"]
	tid, isString := raw.(string)
	switch {
	case !found:
		return "", errors.New("the token carries no tid claim")
	case !isString:
		return "", errors.New("the token's tid claim is not a string")
	case !guidRE.MatchString(tid):
		return "", fmt.Errorf("the token's tid claim %q is not a tenant ID (GUID)", tid)
	}
	return strings.ToLower(tid), nil
}
