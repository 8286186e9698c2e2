package checks

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ptacheck/ptacheck/checks/checkstest"
	"github.com/ptacheck/ptacheck/checks/directory"
	"github.com/ptacheck/ptacheck/fixtures"
)

// adEnv starts an emulated DC (a real LDAP responder and DNS server on
// loopback) and returns an Env whose directory client binds to it.
func adEnv(t *testing.T, d *fixtures.Directory, n *fixtures.Network, bind directory.Bind) *Env {
	t.Helper()
	env, _ := adEnvDC(t, d, n, bind)
	return env
}

// adEnvDC is adEnv, and the emulated DC (to see what it received).
func adEnvDC(t *testing.T, d *fixtures.Directory, n *fixtures.Network, bind directory.Bind) (*Env, *fixtures.RunningDirectory) {
	t.Helper()
	c, r, dc := checkstest.StartDirectory(t, d, checkstest.DirectoryOptions{Network: n})
	// Read-only: the emulated DC must only ever see binds, searches,
	// StartTLS and unbinds.
	t.Cleanup(func() {
		for _, q := range dc.Requests() {
			switch q.Op {
			case "bind", "search", "starttls", "unbind":
			default:
				t.Errorf("the directory client sent %s %s: only reads are allowed", q.Op, q.Object)
			}
		}
	})
	return &Env{Net: c, AD: &directory.Gatherer{
		Net:           c,
		Options:       directory.Options{Dialer: c.Dialer(), RootCAs: r.RootCAs, Bind: bind},
		LookupTimeout: time.Second, PortTimeout: time.Second,
	}}, dc
}

var fixtureBind = directory.Bind{User: "probe@corp.contoso.test", Password: "x"}

func contosoDirectory() *fixtures.Directory {
	return &fixtures.Directory{Domain: "corp.contoso.test", UPNSuffixes: []string{"contoso.com"}, RequireTLSBind: true}
}

// runAD runs the three ad.* checks as the plan does (forest and time after
// the DC check) and returns their results.
func runAD(t *testing.T, env *Env, cfg ADConfig) []Result {
	t.Helper()
	plan := []Entry{
		{Check: ADDCReachableCheck{Config: cfg}, Timeout: 10 * time.Second},
		{Check: ADForestMembershipCheck{Config: cfg}, Requires: []string{"ad.dc-reachable"}, Timeout: 10 * time.Second},
		{Check: ADTimeSkewCheck{Config: cfg}, Requires: []string{"ad.dc-reachable"}, Timeout: 10 * time.Second},
	}
	return RunPlan(context.Background(), env, plan, RunOptions{})
}

func findings(r Result) string { return r.Message + " | " + strings.Join(r.Findings, " | ") }

func TestADChecks(t *testing.T) {
	cfg := ADConfig{Domain: "corp.contoso.test", UPNSuffixes: []string{"corp.contoso.test", "contoso.com"}}
	t.Run("healthy", func(t *testing.T) {
		rs := runAD(t, adEnv(t, contosoDirectory(), nil, fixtureBind), cfg)
		if statuses(rs) != "ad.dc-reachable=pass ad.forest-membership=pass ad.time-skew=pass" {
			t.Fatalf("%s: %+v", statuses(rs), rs)
		}
		if !strings.Contains(rs[0].Message, "dc1.corp.contoso.test bound over ldaps") || !strings.Contains(rs[1].Message, "contoso.com (upn suffix)") {
			t.Errorf("%q / %q", rs[0].Message, rs[1].Message)
		}
		f := rs[0].Details.(*directory.Facts)
		if len(f.Ports) != 5 || f.Ports[2].Port != 389 || f.Ports[2].Outcome != "ok" {
			t.Errorf("ports = %+v", f.Ports)
		}
	})
	t.Run("suffix of another forest", func(t *testing.T) {
		c := cfg
		c.UPNSuffixes = append(c.UPNSuffixes, "fabrikam.com")
		rs := runAD(t, adEnv(t, contosoDirectory(), nil, fixtureBind), c)
		if rs[1].Status != StatusFail || !strings.Contains(findings(rs[1]), "UPN suffix fabrikam.com is neither a domain of forest corp.contoso.test") ||
			!strings.Contains(rs[1].Message, "does not serve 1 UPN suffix fabrikam.com") || strings.Contains(findings(rs[1]), "contoso.com is neither") {
			t.Fatalf("%s %q", rs[1].Status, findings(rs[1]))
		}
	})
	t.Run("no suffix to check", func(t *testing.T) {
		c := cfg
		c.UPNSuffixes = nil
		rs := runAD(t, adEnv(t, contosoDirectory(), nil, fixtureBind), c)
		if rs[1].Status != StatusWarn || !strings.Contains(findings(rs[1]), "pass --upn-suffix") {
			t.Fatalf("%s %q", rs[1].Status, findings(rs[1]))
		}
	})
	t.Run("anonymous: forest skipped with the reason", func(t *testing.T) {
		c := cfg
		c.NoBindReason = "reading the forest needs an authenticated bind"
		rs := runAD(t, adEnv(t, contosoDirectory(), nil, directory.Bind{Anonymous: true}), c)
		if statuses(rs) != "ad.dc-reachable=pass ad.forest-membership=skip ad.time-skew=pass" || !strings.Contains(rs[1].Message, "authenticated bind") {
			t.Fatalf("%s %q", statuses(rs), rs[1].Message)
		}
	})
	t.Run("no domain", func(t *testing.T) {
		rs := runAD(t, adEnv(t, contosoDirectory(), nil, fixtureBind), ADConfig{})
		if rs[0].Status != StatusSkip || !strings.Contains(rs[0].Message, "--domain") {
			t.Fatalf("%s %q", rs[0].Status, rs[0].Message)
		}
	})
	t.Run("no DC in DNS", func(t *testing.T) {
		c := cfg
		c.Domain = "gone.contoso.test"
		rs := runAD(t, adEnv(t, contosoDirectory(), nil, fixtureBind), c)
		if rs[0].Status != StatusFail || !strings.Contains(findings(rs[0]), "no domain controller found for gone.contoso.test") ||
			!strings.Contains(rs[0].Remediation, "_ldap._tcp.dc._msdcs.gone.contoso.test") {
			t.Fatalf("%s %q %q", rs[0].Status, findings(rs[0]), rs[0].Remediation)
		}
		if rs[1].Status != StatusSkip || !strings.Contains(rs[1].Message, "requires ad.dc-reachable") {
			t.Errorf("forest after a failed DC check: %s %q", rs[1].Status, rs[1].Message)
		}
	})
	t.Run("plain bind refused", func(t *testing.T) {
		env := adEnv(t, contosoDirectory(), nil, fixtureBind)
		env.AD.(*directory.Gatherer).Options.Security = directory.Plain
		env.AD.(*directory.Gatherer).Options.AllowCleartextPassword = true
		rs := runAD(t, env, cfg)
		if rs[0].Status != StatusError || !strings.Contains(findings(rs[0]), "strongerAuthRequired") || !strings.Contains(rs[0].Remediation, "LDAPS") {
			t.Fatalf("%s %q %q", rs[0].Status, findings(rs[0]), rs[0].Remediation)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		d := contosoDirectory()
		d.Faults.Bind = fixtures.FaultInvalidCred
		rs := runAD(t, adEnv(t, d, nil, fixtureBind), cfg)
		if rs[0].Status != StatusError || !strings.Contains(findings(rs[0]), "invalid credentials") || !strings.Contains(rs[0].Remediation, "--ldap-user") {
			t.Fatalf("%s %q", rs[0].Status, findings(rs[0]))
		}
	})
	t.Run("Kerberos port closed", func(t *testing.T) {
		n := &fixtures.Network{Rules: []fixtures.Rule{{Host: "dc1.corp.contoso.test", Ports: []int{88}, Behaviour: fixtures.Refuse}}}
		rs := runAD(t, adEnv(t, contosoDirectory(), n, fixtureBind), cfg)
		if rs[0].Status != StatusFail || !strings.Contains(findings(rs[0]), "dc1.corp.contoso.test port 88 (Kerberos) is not reachable: refused") {
			t.Fatalf("%s %q", rs[0].Status, findings(rs[0]))
		}
	})
	t.Run("a search that never answers", func(t *testing.T) {
		d := contosoDirectory()
		d.Faults.Search = fixtures.FaultHang
		env := adEnv(t, d, nil, fixtureBind)
		plan := []Entry{{Check: ADDCReachableCheck{Config: cfg}, Timeout: 500 * time.Millisecond}}
		start := time.Now()
		r := RunPlan(context.Background(), env, plan, RunOptions{})[0]
		if took := time.Since(start); took > 2*time.Second {
			t.Fatalf("took %s: the check did not end at its deadline", took)
		}
		// The rootDSE answers (discovery works), so the DC is reachable;
		// the forest search hangs and is cut off: the forest is an error.
		if r.Status == StatusFail {
			t.Fatalf("a hanging search reported as a failure: %q", findings(r))
		}
	})
}

func TestADTimeSkew(t *testing.T) {
	cfg := ADConfig{Domain: "corp.contoso.test", UPNSuffixes: []string{"corp.contoso.test"}}
	for _, tc := range []struct {
		offset string
		status Status
		want   string
	}{
		{"", StatusPass, "in step with dc1.corp.contoso.test (less than 1 second apart)"},
		{"-30s", StatusPass, "30s ahead of dc1.corp.contoso.test (within 1 minute)"},
		{"-2m", StatusWarn, "2m0s ahead of"},
		{"+3m", StatusWarn, "3m0s behind"},
		{"-7m", StatusFail, "more than the 5-minute Kerberos tolerance"},
	} {
		t.Run(tc.offset, func(t *testing.T) {
			d := contosoDirectory()
			d.CurrentTimeOffset = tc.offset
			rs := runAD(t, adEnv(t, d, nil, fixtureBind), cfg)
			if rs[2].Status != tc.status || !strings.Contains(findings(rs[2]), tc.want) {
				t.Fatalf("%s %q", rs[2].Status, findings(rs[2]))
			}
		})
	}
}

// A suffix of another forest passes when a two-way forest trust routes it
// here (the PTA FAQ: several forests need two-way forest trusts and
// name-suffix routing), with that note; a one-way, external, excluded or
// disabled route fails, saying why.
func TestForestTrusts(t *testing.T) {
	d := contosoDirectory()
	d.Trusts = []fixtures.DirectoryTrust{
		{Partner: "fabrikam.test", TopLevelNames: []string{"fabrikam.test", "fabrikam.com"}, ExcludedNames: []string{"legacy.fabrikam.test"}},
		{Partner: "oneway.test", Direction: fixtures.TrustInbound},
		{Partner: "outbound.test", Direction: fixtures.TrustOutbound},
		{Partner: "ext.test", Kind: fixtures.TrustExternal},
		{Partner: "routing-off.test", DisabledNames: []string{"routing-off.test"}},
		{Partner: "hidden.test", HideForestInfo: true},
	}
	env := adEnv(t, d, nil, fixtureBind)
	for _, tc := range []struct {
		suffix string
		status Status
		want   string
	}{
		{"fabrikam.test", StatusPass, "forest corp.contoso.test serves fabrikam.test (two-way forest trust with fabrikam.test)"},
		{"sales.fabrikam.test", StatusPass, "sales.fabrikam.test (two-way forest trust with fabrikam.test)"},
		{"fabrikam.com", StatusPass, "fabrikam.com (two-way forest trust with fabrikam.test)"},
		{"legacy.fabrikam.test", StatusFail, "the forest trust with fabrikam.test excludes legacy.fabrikam.test from name-suffix routing"},
		{"oneway.test", StatusFail, "the forest trust with oneway.test is one-way inbound: PTA needs a two-way forest trust"},
		{"outbound.test", StatusFail, "the forest trust with outbound.test is one-way outbound"},
		{"ext.test", StatusFail, "the trust with ext.test is an external trust (trustAttributes 0x4), not a forest trust"},
		{"routing-off.test", StatusFail, "name-suffix routing of routing-off.test is disabled on the forest trust with routing-off.test (flags 0x2)"},
		{"hidden.test", StatusWarn, "the trust's top-level names (msDS-TrustForestTrustInfo) could not be read"},
		{"nowhere.test", StatusFail, "no trust of the forest names it"},
		{"contoso.com", StatusPass, "contoso.com (upn suffix)"},
	} {
		t.Run(tc.suffix, func(t *testing.T) {
			cfg := ADConfig{Domain: "corp.contoso.test", UPNSuffixes: []string{tc.suffix}}
			forgetAD(env)
			r := runAD(t, env, cfg)[1]
			if r.Status != tc.status || !strings.Contains(findings(r), tc.want) {
				t.Fatalf("%s %q, want %s containing %q", r.Status, findings(r), tc.status, tc.want)
			}
		})
	}
}

// A suffix this forest does not serve, when the trusts could not be read
// (a DC of a child domain does not hold the forest root domain's): no
// verdict on a guess.
func TestForestTrustsUnreadable(t *testing.T) {
	env := adEnv(t, contosoDirectory(), nil, fixtureBind)
	cfg := ADConfig{Domain: "corp.contoso.test", UPNSuffixes: []string{"contoso.com", "fabrikam.test"}}
	f := env.AD.Gather(context.Background(), cfg.Domain, cfg.DCs)
	if f == nil || f.Forest == nil || f.TrustsErr != "" {
		t.Fatalf("facts %+v", f)
	}
	f.TrustsErr = "the forest root domain's trusts (where forest trusts are kept): search CN=System,DC=corp,DC=contoso,DC=test: referral"
	r := runAD(t, env, cfg)[1]
	if r.Status != StatusError || !strings.Contains(findings(r), "UPN suffix fabrikam.test is not in forest corp.contoso.test, and its trusts could not be read") {
		t.Fatalf("%s %q", r.Status, findings(r))
	}
}

// forgetAD gives env a fresh directory gatherer: what the last run gathered
// is gathered again.
func forgetAD(env *Env) {
	a := env.AD.(*directory.Gatherer)
	env.AD = &directory.Gatherer{Net: a.Net, Options: a.Options, LookupTimeout: a.LookupTimeout, PortTimeout: a.PortTimeout, Timeout: a.Timeout}
}
