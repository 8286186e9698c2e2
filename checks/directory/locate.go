package directory

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Resolver is the DNS the locator uses. The project's network client adapts
// to it; *net.Resolver satisfies it too.
type Resolver interface {
	LookupSRV(ctx context.Context, name string) ([]*net.SRV, error)
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// ContextDialer opens TCP connections; *net.Dialer satisfies it.
type ContextDialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

var _ ContextDialer = (*net.Dialer)(nil)

// Default LDAP ports of a DC.
const (
	PortLDAP    = 389
	PortLDAPS   = 636
	PortGC      = 3268
	PortGCLDAPS = 3269
)

// maxSRVTargets bounds the DCs taken from one SRV answer.
const maxSRVTargets = 64

// DC is one domain controller as the locator (or --dc) found it.
type DC struct {
	Name     string   // host name (no trailing dot), or an IP literal from --dc
	Port     int      // explicit port; 0: the standard port of the connection mode
	SRVPort  int      // the port the SRV record advertised (informational)
	Priority uint16   // SRV priority (lower first)
	Weight   uint16   // SRV weight (higher first within a priority)
	Addrs    []string // resolved addresses, in resolver order; empty: dial Name
	// ResolveErr is why Name did not resolve (the DC is kept so the caller
	// can report it; Dial fails on it).
	ResolveErr error
}

func (d DC) String() string {
	if d.Port != 0 {
		return net.JoinHostPort(d.Name, strconv.Itoa(d.Port))
	}
	return d.Name
}

// SRVName returns the DC-locator record of a domain:
// _ldap._tcp.dc._msdcs.<domain>.
func SRVName(domain string) string {
	return "_ldap._tcp.dc._msdcs." + strings.TrimSuffix(domain, ".")
}

// GCSRVName returns the global-catalog record of a forest: _gc._tcp.<forest>.
func GCSRVName(forest string) string {
	return "_gc._tcp." + strings.TrimSuffix(forest, ".")
}

// Locate finds the DCs of domain through its DC-locator SRV record and
// resolves each. The result is ordered by priority (ascending), weight
// (descending), then name, so runs are reproducible (RFC 2782's weighted
// random choice is replaced by trying DCs concurrently, see DialFirst).
func Locate(ctx context.Context, r Resolver, domain string) ([]DC, error) {
	return locate(ctx, r, SRVName(domain))
}

// LocateGC finds the global catalogs of a forest (_gc._tcp.<forest>).
// Connect to them with Options.GC set (ports 3269 / 3268).
func LocateGC(ctx context.Context, r Resolver, forest string) ([]DC, error) {
	return locate(ctx, r, GCSRVName(forest))
}

func locate(ctx context.Context, r Resolver, name string) ([]DC, error) {
	if strings.TrimSpace(strings.TrimPrefix(name, "_ldap._tcp.dc._msdcs.")) == "" {
		return nil, fmt.Errorf("lookup srv %s: empty domain", name)
	}
	srvs, err := r.LookupSRV(ctx, name)
	if err != nil {
		return nil, &OpError{Op: "lookup srv", Object: name, Err: err}
	}
	seen := map[string]bool{}
	var dcs []DC
	for _, s := range srvs {
		if s == nil {
			continue
		}
		host := strings.ToLower(strings.TrimSuffix(s.Target, "."))
		// "." means "no such service" (RFC 2782).
		if host == "" || seen[host] {
			continue
		}
		seen[host] = true
		dcs = append(dcs, DC{Name: host, SRVPort: int(s.Port), Priority: s.Priority, Weight: s.Weight})
		if len(dcs) == maxSRVTargets {
			break
		}
	}
	if len(dcs) == 0 {
		return nil, &OpError{Op: "lookup srv", Object: name, Err: ErrNoDomainControllers}
	}
	sort.Slice(dcs, func(i, j int) bool {
		a, b := dcs[i], dcs[j]
		if a.Priority != b.Priority {
			return a.Priority < b.Priority
		}
		if a.Weight != b.Weight {
			return a.Weight > b.Weight
		}
		return a.Name < b.Name
	})
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range dcs {
		wg.Add(1)
		go func(dc *DC) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			addrs, err := r.LookupHost(ctx, dc.Name)
			if err != nil {
				dc.ResolveErr = &OpError{Op: "lookup host", Object: dc.Name, Err: err}
				return
			}
			if len(addrs) == 0 {
				dc.ResolveErr = &OpError{Op: "lookup host", Object: dc.Name, Err: fmt.Errorf("no addresses")}
				return
			}
			dc.Addrs = addrs
		}(&dcs[i])
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return dcs, &OpError{Op: "lookup host", Object: name, Err: err}
	}
	return dcs, nil
}

// ParseDC parses a --dc override: "host", "host:port", "[v6]:port" or an IP
// address. The name is kept as given (lower-cased) so TLS verifies it.
func ParseDC(s string) (DC, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return DC{}, fmt.Errorf("dc %q: empty", s)
	}
	host, port := in, 0
	if h, p, err := net.SplitHostPort(in); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return DC{}, fmt.Errorf("dc %q: port %q out of range", clip(s), clip(p))
		}
		host, port = h, n
	} else if strings.Count(in, ":") == 1 {
		return DC{}, fmt.Errorf("dc %q: %v", clip(s), err)
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if host == "" {
		return DC{}, fmt.Errorf("dc %q: empty host", clip(s))
	}
	if ip := net.ParseIP(host); ip == nil {
		for _, label := range strings.Split(host, ".") {
			if label == "" || len(label) > 63 || strings.ContainsAny(label, " /\\@?#") {
				return DC{}, fmt.Errorf("dc %q: invalid host name", clip(s))
			}
		}
	}
	return DC{Name: strings.ToLower(host), Port: port}, nil
}
