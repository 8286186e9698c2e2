package checks

import (
	"slices"
	"strings"
	"testing"
)

func targetsOf(set EndpointSet) map[string]Target {
	out := map[string]Target{}
	for _, t := range set.Targets {
		out[t.Addr()+"/"+t.Protocol] = t
	}
	return out
}

func TestExpandPublic(t *testing.T) {
	const tenant = "84841066-274d-4ec0-a5c1-276be684bdd3"
	set := Expand(CloudPublic, CatalogueEndpoints(CloudPublic), tenant, false)
	got := targetsOf(set)
	for _, want := range []struct{ key, level string }{
		{"login.microsoftonline.com:443/tls", LevelRequired},
		{"login.windows.net:443/tls", LevelRequired},
		{tenant + ".registration.msappproxy.net:443/tls", LevelRequired},
		{"crl3.digicert.com:80/http", LevelRequired},
		{"ocsp.msocsp.com:80/http", LevelRequired},
		{"autologon.microsoftazuread-sso.com:443/tls", LevelOptional},
		{"www.microsoft.com:80/http", LevelRequired},
		{"crl2.microsoft.com:80/http", LevelOptional},
		{"ctldl.windowsupdate.com:80/http", LevelOptional},
	} {
		tg, ok := got[want.key]
		if !ok || tg.Level != want.level {
			t.Errorf("%s: got %+v, want level %s", want.key, tg, want.level)
		}
	}
	if tg := got[tenant+".registration.msappproxy.net:443/tls"]; tg.For != "*.msappproxy.net" {
		t.Errorf("stand-in does not name its wildcard: %+v", tg)
	}
	for k := range got {
		if strings.Contains(k, ":10100/") || strings.Contains(k, ":9090/") {
			t.Errorf("legacy port %s probed without --legacy", k)
		}
	}
	// Port 8080 has no documented host: listed as untestable, not probed
	// against a guess that could warn on an open firewall.
	if len(set.Untestable) != 2 || set.Untestable[1].Host != "*.msappproxy.net" || set.Untestable[1].Ports[0] != 8080 ||
		set.Untestable[0].Host != "*.servicebus.windows.net" || !strings.Contains(set.Untestable[0].Reason, "not directly testable") {
		t.Errorf("untestable = %+v", set.Untestable)
	}
	for k := range got {
		if strings.Contains(k, ":8080/") {
			t.Errorf("%s probed: no document names a host on 8080", k)
		}
	}
	// Within a level, the catalogue's order: the login hosts first.
	if set.Targets[0].Host != "login.microsoftonline.com" || set.Targets[1].Host != "login.windows.net" {
		t.Errorf("first targets %s, %s", set.Targets[0].Host, set.Targets[1].Host)
	}
	// Required first, then optional: the order reports use.
	seenOptional := false
	for _, tg := range set.Targets {
		if tg.Level != LevelRequired {
			seenOptional = true
		} else if seenOptional {
			t.Fatalf("required target %s after an optional one", tg.Addr())
		}
	}
}

func TestExpandWithoutTenantAndWithLegacy(t *testing.T) {
	set := Expand(CloudPublic, CatalogueEndpoints(CloudPublic), "", true)
	for _, tg := range set.Targets {
		if strings.Contains(tg.Host, "{tenant}") || strings.Contains(tg.Host, "msappproxy.net") {
			t.Errorf("tenant host %s probed without a tenant", tg.Host)
		}
	}
	asks := false
	for _, u := range set.Untestable {
		asks = asks || strings.HasPrefix(u.Reason, "needs --tenant-id")
	}
	if !asks {
		t.Errorf("untestable entries do not ask for --tenant-id: %+v", set.Untestable)
	}
	set = Expand(CloudPublic, CatalogueEndpoints(CloudPublic), "84841066-274d-4ec0-a5c1-276be684bdd3", true)
	got := targetsOf(set)
	for _, p := range []string{"9090", "9091", "10100", "10120"} {
		tg, ok := got["84841066-274d-4ec0-a5c1-276be684bdd3.registration.msappproxy.net:"+p+"/tcp"]
		if !ok || tg.Level != LevelLegacy || !tg.Guessed {
			t.Errorf("legacy port %s: %+v (a guessed host must say so)", p, tg)
		}
	}
}

func TestExpandDeduplicatesKeepingTheStricterLevel(t *testing.T) {
	set := Expand(CloudPublic, []Endpoint{
		{Host: "a.example", Ports: []int{443}, Protocol: ProtoTLS, Level: LevelOptional},
		{Host: "a.example", Ports: []int{443}, Protocol: ProtoTLS, Level: LevelRequired},
	}, "", false)
	if len(set.Targets) != 1 || set.Targets[0].Level != LevelRequired {
		t.Fatalf("targets = %+v", set.Targets)
	}
}

func TestUSGovCatalogue(t *testing.T) {
	set := Expand(CloudUSGov, CatalogueEndpoints(CloudUSGov), "84841066-274d-4ec0-a5c1-276be684bdd3", false)
	got := targetsOf(set)
	if _, ok := got["login.microsoftonline.us:443/tls"]; !ok {
		t.Error("usgov lacks login.microsoftonline.us")
	}
	// The Government cloud page names these commercial hosts for
	// registration; no other commercial host may be probed.
	documented := []string{"secure.aadcdn.microsoftonline-p.com", "enterpriseregistration.windows.net", "management.azure.com", "policykeyservice.dc.ad.msft.net"}
	for _, tg := range set.Targets {
		if (strings.HasSuffix(tg.Host, ".com") || strings.HasSuffix(tg.Host, ".net")) && !slices.Contains(documented, tg.Host) && !strings.HasSuffix(tg.Host, ".usgovcloudapi.net") {
			t.Errorf("usgov probes a commercial host %s", tg.Addr())
		}
	}
}

// The registration hosts of the Government cloud page ("The agent uses
// these URLs during the registration process") are required when installing
// and registering, and not probed when enabling or operating; the wildcards
// no documented host stands in for are listed, not guessed.
func TestUSGovRegistrationEndpoints(t *testing.T) {
	const tenant = "84841066-274d-4ec0-a5c1-276be684bdd3"
	registration := []string{
		"login.windows.us:443/tls", "secure.aadcdn.microsoftonline-p.com:443/tls", "enterpriseregistration.windows.net:443/tls",
		"management.azure.com:443/tls", "policykeyservice.dc.ad.msft.net:443/tls", "ctldl.windowsupdate.us:80/http",
	}
	wildcards := []string{"*.microsoftonline-p.us", "*.msauth.net", "*.msauthimages.net", "*.msecnd.net", "*.msftauth.net", "*.msftauthimages.net", "*.phonefactor.net"}
	for _, phase := range []Phase{PhaseInstall, PhaseRegister, PhaseEnable, PhaseOperate} {
		var net OutboundPortsCheck
		for _, e := range Plan(phase, Config{Cloud: CloudUSGov, TenantID: tenant}) {
			if c, ok := e.Check.(OutboundPortsCheck); ok {
				net = c
			}
		}
		got := targetsOf(net.Endpoints)
		registering := phase == PhaseInstall || phase == PhaseRegister
		for _, k := range registration {
			tg, ok := got[k]
			if ok != registering || (ok && tg.Level != LevelRequired) {
				t.Errorf("%s: %s probed %v level %q, want probed %v and required", phase, k, ok, tg.Level, registering)
			}
		}
		// Service and certificate endpoints apply in every phase.
		for _, k := range []string{"mscrl.microsoft.us:80/http", "www.microsoft.us:80/http"} {
			if got[k].Level != LevelRequired {
				t.Errorf("%s: %s missing or not required", phase, k)
			}
		}
		// The sign-in host (*.microsoftonline.us, in the page's
		// registration list) serves the admin who installs, registers or
		// enables; a running agent does not sign in.
		signin := phase != PhaseOperate
		if tg, ok := got["login.microsoftonline.us:443/tls"]; ok != signin || (ok && tg.Level != LevelRequired) {
			t.Errorf("%s: login.microsoftonline.us probed %v level %q, want probed %v and required", phase, ok, tg.Level, signin)
		}
		var untestable []string
		for _, u := range net.Endpoints.Untestable {
			untestable = append(untestable, u.Host)
			if slices.Contains(wildcards, u.Host) && (u.Level != LevelRequired || !strings.Contains(u.Reason, "no documented host")) {
				t.Errorf("%s: %+v", phase, u)
			}
			if u.Host == "*.microsoftonline.us" {
				t.Errorf("%s: *.microsoftonline.us listed as untestable: login.microsoftonline.us stands in for it", phase)
			}
		}
		for _, w := range wildcards {
			if slices.Contains(untestable, w) != registering {
				t.Errorf("%s: %s listed %v, want %v", phase, w, !registering, registering)
			}
		}
	}
	// *.microsoftonline.us is tested through login.microsoftonline.us,
	// which enabling needs too: the stand-in keeps the wider scope.
	set := Expand(CloudUSGov, CatalogueEndpoints(CloudUSGov), tenant, false)
	if tg := targetsOf(set)["login.microsoftonline.us:443/tls"]; !slices.Equal(tg.Phases, []string{"install", "register", "enable"}) {
		t.Errorf("login.microsoftonline.us limited to %v", tg.Phases)
	}
}

// The quick start: "Your Authentication Agents need access to
// login.windows.net and login.microsoftonline.com for initial registration"
// (https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-pta-quick-start#step-1-check-the-prerequisites).
// The admin signs in at them when installing, registering and enabling; a
// running agent does not, so an operate run neither probes nor fails on
// them. The service and certificate hosts apply in every phase.
func TestPublicLoginHostsServeRegistration(t *testing.T) {
	const tenant = "84841066-274d-4ec0-a5c1-276be684bdd3"
	for _, phase := range []Phase{PhaseInstall, PhaseRegister, PhaseEnable, PhaseOperate} {
		var net OutboundPortsCheck
		for _, e := range Plan(phase, Config{Cloud: CloudPublic, TenantID: tenant}) {
			if c, ok := e.Check.(OutboundPortsCheck); ok {
				net = c
			}
		}
		got := targetsOf(net.Endpoints)
		signin := phase != PhaseOperate
		for _, k := range []string{"login.microsoftonline.com:443/tls", "login.windows.net:443/tls"} {
			if tg, ok := got[k]; ok != signin || (ok && tg.Level != LevelRequired) {
				t.Errorf("%s: %s probed %v level %q, want probed %v and required", phase, k, ok, tg.Level, signin)
			}
		}
		for _, k := range []string{tenant + ".registration.msappproxy.net:443/tls", "crl3.digicert.com:80/http", "ocsp.msocsp.com:80/http"} {
			if got[k].Level != LevelRequired {
				t.Errorf("%s: %s missing or not required", phase, k)
			}
		}
	}
}

// Every catalogue entry cites the page it comes from: Microsoft's, or the
// write-up of an entry marked unofficial.
func TestCatalogueCitesPages(t *testing.T) {
	for _, cloud := range []Cloud{CloudPublic, CloudUSGov} {
		for _, e := range CatalogueEndpoints(cloud) {
			official := strings.HasPrefix(e.Page, "https://learn.microsoft.com/")
			if !official && !(strings.HasPrefix(e.Source, "UNOFFICIAL") && strings.HasPrefix(e.Page, "https://")) {
				t.Errorf("%s %s: page %q (source %q)", cloud, e.Host, e.Page, e.Source)
			}
		}
	}
}

func TestParseCloud(t *testing.T) {
	if c, err := ParseCloud("USGov"); err != nil || c != CloudUSGov {
		t.Errorf("usgov: %v %v", c, err)
	}
	if _, err := ParseCloud("china"); err == nil || !strings.Contains(err.Error(), "not verified") {
		t.Errorf("china: %v", err)
	}
	if _, err := ParseCloud("mars"); err == nil {
		t.Error("mars accepted")
	}
}

func TestParseEndpointsFile(t *testing.T) {
	eps, err := ParseEndpointsFile([]byte(`{"endpoints": [{"host": "proxy-check.contoso.test", "ports": [443, 8443], "protocol": "tls", "level": "required"}]}`))
	if err != nil || len(eps) != 1 || len(eps[0].Ports) != 2 {
		t.Fatalf("got %+v, %v", eps, err)
	}
	// Exactly MaxEndpointProbes probes: accepted.
	ports := strings.TrimSuffix(strings.Repeat("443,", MaxEndpointProbes/10), ",")
	atCap := `{"endpoints": [` + strings.TrimSuffix(strings.Repeat(`{"host": "a.test", "ports": [`+ports+`], "protocol": "tls", "level": "required"},`, 10), ",") + `]}`
	if eps, err := ParseEndpointsFile([]byte(atCap)); err != nil || len(eps) != 10 {
		t.Errorf("at the cap: %d endpoints, %v", len(eps), err)
	}
	for in, want := range map[string]string{
		`{"endpoints": []}`: "no endpoints",
		`{"endpoints": [{"host": "a b", "ports": [1], "protocol": "tls", "level": "required"}]}`:                            "not a host name",
		`{"endpoints": [{"host": "a.test", "ports": [0], "protocol": "tls", "level": "required"}]}`:                         "out of range",
		`{"endpoints": [{"host": "a.test", "ports": [1], "protocol": "udp", "level": "required"}]}`:                         "protocol",
		`{"endpoints": [{"host": "a.test", "ports": [1], "protocol": "tls", "level": "must"}]}`:                             "level",
		`{"endpoints": [{"host": "*.a.test", "ports": [1], "protocol": "tls", "level": "required", "test_with": ["*.b"]}]}`: "test_with",
		`{"endpoint": []}`: "unknown field",
		`{"endpoints": [{"host": "*.a.test", "ports": [` + strings.TrimSuffix(strings.Repeat("1,", 5001), ",") + `], "protocol": "tcp", "level": "required", "test_with": ["x.a.test", "y.a.test"]}]}`: "10002 probes (one per port and name of each endpoint): at most 10000 are allowed",
		`{"endpoints": [`: "cut short",
	} {
		if _, err := ParseEndpointsFile([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
}

func TestUSGovTenantHostIsOnlyAdvisory(t *testing.T) {
	set := Expand(CloudUSGov, CatalogueEndpoints(CloudUSGov), "84841066-274d-4ec0-a5c1-276be684bdd3", false)
	tg, ok := targetsOf(set)["84841066-274d-4ec0-a5c1-276be684bdd3.registration.msappproxy.us:443/tls"]
	if !ok || tg.Level != LevelOptional {
		t.Fatalf("usgov tenant host: %+v (an unverified name must not fail the check)", tg)
	}
}
