package netprobe

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"strings"

	"golang.org/x/net/http/httpproxy"

	"github.com/ptacheck/ptacheck/util/redact"
)

// ProxyFunc picks the proxy for a target URL; a nil URL means direct.
type ProxyFunc func(target *url.URL) (*url.URL, error)

// Proxy is the proxy setting of a run.
type Proxy struct {
	Func    ProxyFunc // nil: every probe goes direct
	Source  string    // where the setting came from ("--proxy", "environment (HTTPS_PROXY)", "winhttp", ...)
	Display string    // the proxy as shown in reports, without credentials
	// Problems are settings that exist but cannot be used as given (an
	// unparsable proxy variable, credentials that will not be sent); the
	// network check reports them as warnings.
	Problems []string
}

// For returns the proxy for a target, or nil for direct.
func (p *Proxy) For(t Target) (*url.URL, error) {
	if p == nil || p.Func == nil {
		return nil, nil
	}
	scheme := "https"
	if t.Protocol == ProtoHTTP {
		scheme = "http"
	}
	u, err := p.Func(&url.URL{Scheme: scheme, Host: t.Addr()})
	if err != nil {
		return nil, errors.New(redact.String(err.Error()))
	}
	return u, nil
}

// ParseProxyURL validates a --proxy URL: an http:// proxy without
// credentials (the agent cannot authenticate to a proxy, and secrets never
// come from flags). Errors never repeat the credentials.
func ParseProxyURL(raw string) (*url.URL, error) {
	u, err := parseProxy(raw)
	if err != nil {
		return nil, err
	}
	if u.User != nil {
		return nil, fmt.Errorf("proxy %s: credentials in the proxy URL are not accepted: the agent cannot authenticate to a proxy, and secrets never come from flags", DisplayURL(u))
	}
	return u, nil
}

// parseProxy parses an http:// proxy URL (the scheme may be left out).
func parseProxy(raw string) (*url.URL, error) {
	shown := redact.URL(raw)
	s := raw
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // drop the echo of the raw value
		}
		return nil, fmt.Errorf("proxy %q: not a valid URL (%s)", shown, redact.String(err.Error()))
	}
	switch {
	case u.Scheme != "http":
		return nil, fmt.Errorf("proxy %q: only http:// proxies are supported (CONNECT over plain HTTP, as the agent uses)", shown)
	case u.Hostname() == "":
		return nil, fmt.Errorf("proxy %q: no host", shown)
	}
	return u, nil
}

// Fixed sends every probe through u.
func Fixed(u *url.URL, source string) *Proxy {
	return &Proxy{Func: func(*url.URL) (*url.URL, error) { return u, nil }, Source: source, Display: DisplayURL(u)}
}

// proxyVars are the standard proxy environment variables, in the order
// httpproxy reads them.
var proxyVars = []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"}

// FromEnvironment returns the proxy the standard environment variables
// (HTTPS_PROXY, HTTP_PROXY, NO_PROXY and lower-case forms) select; nil when
// none is set. A variable that cannot be used (not a URL, not http://) makes
// the probes go direct and is reported as a problem, so the path shown is
// the path taken. Credentials in a variable are never sent nor shown.
func FromEnvironment(getenv func(string) string) *Proxy {
	if getenv == nil {
		getenv = os.Getenv
	}
	cfg := (&httpproxy.Config{
		HTTPProxy:  firstNonEmpty(getenv("HTTP_PROXY"), getenv("http_proxy")),
		HTTPSProxy: firstNonEmpty(getenv("HTTPS_PROXY"), getenv("https_proxy")),
		NoProxy:    firstNonEmpty(getenv("NO_PROXY"), getenv("no_proxy")),
	})
	if cfg.HTTPProxy == "" && cfg.HTTPSProxy == "" {
		return nil
	}
	var names []string
	for _, n := range proxyVars {
		if getenv(n) != "" {
			names = append(names, n)
		}
	}
	p := &Proxy{Source: "environment (" + strings.Join(names, ", ") + ")"}
	var shown []string
	for _, v := range []struct {
		name string
		val  *string
	}{{"HTTPS_PROXY", &cfg.HTTPSProxy}, {"HTTP_PROXY", &cfg.HTTPProxy}} {
		if *v.val == "" {
			continue
		}
		u, err := parseProxy(*v.val)
		if err != nil {
			p.Problems = append(p.Problems, fmt.Sprintf("%s is set but cannot be used: %v; those probes went direct", v.name, err))
			*v.val = ""
			continue
		}
		if u.User != nil {
			p.Problems = append(p.Problems, fmt.Sprintf("%s carries credentials, which ptacheck does not send: the agent cannot authenticate to a proxy", v.name))
			u.User = nil
			*v.val = u.String()
		}
		shown = append(shown, strings.ToLower(v.name)+"="+DisplayURL(u))
	}
	p.Display = strings.Join(shown, " ")
	if cfg.HTTPProxy == "" && cfg.HTTPSProxy == "" {
		return p // nothing usable: direct, with the problems
	}
	f := cfg.ProxyFunc()
	p.Func = func(u *url.URL) (*url.URL, error) { return f(u) }
	return p
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// FromWinHTTP turns a WinHTTP-style proxy setting ("host:port" or
// "http=host:port;https=host:port", bypass "<local>;*.contoso.com") into a
// Proxy; nil when it names no proxy. The agent's own .NET <defaultProxy>
// settings use the same address forms.
func FromWinHTTP(proxy, bypassList, source string) (*Proxy, error) {
	if strings.TrimSpace(proxy) == "" {
		return nil, nil
	}
	perScheme := map[string]*url.URL{}
	var all *url.URL
	var problems []string
	for _, part := range strings.FieldsFunc(proxy, func(r rune) bool { return r == ';' || r == ' ' }) {
		scheme, hostport, hasScheme := strings.Cut(part, "=")
		if !hasScheme || strings.Contains(scheme, "/") {
			hostport, hasScheme = part, false
		}
		u, err := parseProxy(hostport)
		if err != nil {
			return nil, fmt.Errorf("%s proxy: %w", source, err)
		}
		if u.User != nil {
			problems = append(problems, fmt.Sprintf("the %s proxy setting carries credentials, which are not sent: the agent cannot authenticate to a proxy", source))
			u.User = nil
		}
		if hasScheme {
			perScheme[strings.ToLower(scheme)] = u
		} else {
			all = u
		}
	}
	if all == nil && len(perScheme) == 0 {
		return nil, fmt.Errorf("%s proxy: no proxy server in %q", source, redact.URL(proxy))
	}
	bypass := strings.FieldsFunc(bypassList, func(r rune) bool { return r == ';' || r == ' ' })
	f := func(target *url.URL) (*url.URL, error) {
		host := target.Hostname()
		for _, b := range bypass {
			if b == "<local>" && !strings.Contains(host, ".") {
				return nil, nil
			}
			if ok, _ := path.Match(strings.ToLower(b), strings.ToLower(host)); ok {
				return nil, nil
			}
		}
		if u, ok := perScheme[target.Scheme]; ok {
			return u, nil
		}
		return all, nil
	}
	return &Proxy{Func: f, Source: source, Display: redact.URL(proxy), Problems: problems}, nil
}
