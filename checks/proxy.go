package checks

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path"
	"strings"

	"golang.org/x/net/http/httpproxy"
)

// ProxyFunc picks the proxy for a target URL; nil means direct.
type ProxyFunc func(*url.URL) (*url.URL, error)

// ParseProxyURL validates a --proxy URL: an http:// proxy without
// credentials (the agent cannot authenticate to a proxy, and secrets never
// come from flags).
func ParseProxyURL(raw string) (*url.URL, error) {
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("proxy %q: %v", raw, err)
	}
	switch {
	case u.Scheme != "http":
		return nil, fmt.Errorf("proxy %q: only http:// proxies are supported (CONNECT over plain HTTP, as the agent uses)", raw)
	case u.User != nil:
		return nil, fmt.Errorf("proxy %s: credentials in the proxy URL are not accepted: the agent cannot authenticate to a proxy, and secrets never come from flags", u.Redacted())
	case u.Hostname() == "":
		return nil, fmt.Errorf("proxy %q: no host", raw)
	}
	return u, nil
}

// FixedProxy sends every probe through u.
func FixedProxy(u *url.URL) ProxyFunc {
	return func(*url.URL) (*url.URL, error) { return u, nil }
}

// ProxyFromEnvironment returns the proxy the standard environment variables
// (HTTPS_PROXY, HTTP_PROXY, NO_PROXY and lower-case forms) select, and which
// variables those were; nil when none is set.
func ProxyFromEnvironment() (ProxyFunc, string) {
	cfg := httpproxy.FromEnvironment()
	if cfg.HTTPProxy == "" && cfg.HTTPSProxy == "" {
		return nil, ""
	}
	var names []string
	for _, n := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"} {
		if os.Getenv(n) != "" {
			names = append(names, n)
		}
	}
	return ProxyFunc(cfg.ProxyFunc()), "environment (" + strings.Join(names, ", ") + ")"
}

// ProxyFromWinHTTP turns the WinHTTP default proxy ("host:port" or
// "http=host:port;https=host:port", bypass "<local>;*.contoso.com") into a
// ProxyFunc; nil when WinHTTP goes direct.
func ProxyFromWinHTTP(w *WinHTTPProxy) (ProxyFunc, error) {
	if w == nil || w.Direct || strings.TrimSpace(w.Proxy) == "" {
		return nil, nil
	}
	perScheme := map[string]*url.URL{}
	var all *url.URL
	for _, part := range strings.FieldsFunc(w.Proxy, func(r rune) bool { return r == ';' || r == ' ' }) {
		scheme, hostport, hasScheme := strings.Cut(part, "=")
		if !hasScheme {
			hostport = part
		}
		u, err := ParseProxyURL(hostport)
		if err != nil {
			return nil, fmt.Errorf("WinHTTP proxy: %w", err)
		}
		if hasScheme {
			perScheme[strings.ToLower(scheme)] = u
		} else {
			all = u
		}
	}
	if all == nil && len(perScheme) == 0 {
		return nil, errors.New("WinHTTP proxy: no proxy server in " + w.Proxy)
	}
	bypass := strings.FieldsFunc(w.Bypass, func(r rune) bool { return r == ';' || r == ' ' })
	return func(target *url.URL) (*url.URL, error) {
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
	}, nil
}

// NormalizeDNSServer adds port 53 when a --dns-server has none.
func NormalizeDNSServer(s string) (string, error) {
	if host, port, err := net.SplitHostPort(s); err == nil {
		if host == "" || port == "" {
			return "", fmt.Errorf("--dns-server %q: want HOST or HOST:PORT", s)
		}
		return s, nil
	}
	if strings.Count(s, ":") > 1 { // bare IPv6
		return net.JoinHostPort(s, "53"), nil
	}
	if s == "" || strings.ContainsAny(s, "/ ") {
		return "", fmt.Errorf("--dns-server %q: want HOST or HOST:PORT", s)
	}
	return net.JoinHostPort(s, "53"), nil
}
