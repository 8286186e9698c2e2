package directory_test

// The client against the fixture directory (fixtures/directory.go): the
// same code fixture mode runs. An external test package, so checks/directory
// itself never imports fixtures.

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ptacheck/ptacheck/checks/directory"
	"github.com/ptacheck/ptacheck/fixtures"
)

const exampleSpec = `{
  "domain": "corp.contoso.test",
  "forest_root": "contoso.test",
  "domains": [{"dns_root": "contoso.test", "netbios": "CONTOSO"}],
  "upn_suffixes": ["contoso.com", "fabrikam.com"],
  "now": "2026-11-25T12:00:00Z",
  "current_time_offset": "-7m",
  "require_tls_bind": true,
  "users": [
    {"upn": "alice@contoso.com"},
    {"upn": "bob@contoso.com", "disabled": true},
    {"upn": "carol@contoso.com", "locked": true},
    {"upn": "dave@contoso.com", "expired": true},
    {"upn": "erin@contoso.com", "must_change": true},
    {"upn": "frank@contoso.com", "password_expired": true},
    {"upn": "grace@contoso.com", "logon_hours": "000000000000000000000000000000000000000000"},
    {"upn": "heidi@contoso.com", "workstations": ["PTA1", "PTA2"]},
    {"upn": "ivan@contoso.com", "domain": "contoso.test"}
  ]
}`

type fixtureDC struct {
	run   *fixtures.RunningDirectory
	roots *x509.CertPool
}

func startFixture(t *testing.T, spec string) *fixtureDC {
	t.Helper()
	var d fixtures.Directory
	if err := json.Unmarshal([]byte(spec), &d); err != nil {
		t.Fatal(err)
	}
	ca, err := fixtures.NewCA(t.Name())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := fixtures.DirectoryTLS(ca, "dc1.corp.contoso.test")
	if err != nil {
		t.Fatal(err)
	}
	run, err := fixtures.StartDirectory(context.Background(), &d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(run.Close)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.TrustedPEM())
	return &fixtureDC{run: run, roots: roots}
}

func (f *fixtureDC) dc(t *testing.T, addr string) directory.DC {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(p)
	return directory.DC{Name: f.run.DCHost, Addrs: []string{"127.0.0.1"}, Port: port}
}

func (f *fixtureDC) opts(sec directory.Security) directory.Options {
	return directory.Options{RootCAs: f.roots, Security: sec, Bind: directory.Bind{User: "svc-ptacheck@contoso.com", Password: "not-a-real-secret"}}
}

func TestFixtureRoundTrip(t *testing.T) {
	f := startFixture(t, exampleSpec)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, c := range []struct {
		sec  directory.Security
		addr string
	}{{directory.LDAPS, f.run.LDAPSAddr}, {directory.StartTLS, f.run.LDAPAddr}} {
		s, err := directory.Dial(ctx, f.dc(t, c.addr), f.opts(c.sec))
		if err != nil {
			t.Fatalf("%s: %v", c.sec, err)
		}
		root, err := s.RootDSE(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if skew := time.Since(root.CurrentTime); skew < 6*time.Minute || skew > 8*time.Minute {
			t.Errorf("currentTime %s: skew %v, want about 7m", root.CurrentTimeRaw, skew)
		}
		if root.DefaultNamingContext != "DC=corp,DC=contoso,DC=test" || root.RootDomainNamingContext != "DC=contoso,DC=test" || root.DNSHostName != "dc1.corp.contoso.test" {
			t.Errorf("rootDSE %+v", root)
		}
		forest, err := s.Forest(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if forest.RootDomain != "contoso.test" || fmt.Sprint(forest.Domains) != "[{contoso.test DC=contoso,DC=test CONTOSO} {corp.contoso.test DC=corp,DC=contoso,DC=test CORP}]" ||
			fmt.Sprint(forest.UPNSuffixes) != "[contoso.com fabrikam.com]" {
			t.Errorf("forest %+v", forest)
		}
		policy, err := s.DomainPolicy(ctx)
		if err != nil || policy.MaxPwdAge.Duration != 42*24*time.Hour || policy.LockoutDuration.Duration != 30*time.Minute {
			t.Fatalf("policy %+v, %v", policy, err)
		}
		var upns []string
		for _, n := range []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "nobody"} {
			upns = append(upns, n+"@contoso.com")
		}
		users, err := s.FindUsers(ctx, upns)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
		want := map[string]string{"alice": "[]", "bob": "[1331]", "carol": "[1909]", "dave": "[1793]", "erin": "[1907]",
			"frank": "[1330]", "grace": "[1328]", "heidi": "[1329]"}
		if len(users) != len(want) {
			t.Errorf("found %d users, want %d (ivan is in another domain, nobody does not exist)", len(users), len(want))
		}
		for n, w := range want {
			u := users[n+"@contoso.com"]
			if u == nil {
				t.Errorf("%s not found", n)
				continue
			}
			st := directory.Evaluate(u, policy, now, "PTA9")
			var got []int
			for _, c := range st.Conditions {
				got = append(got, int(c.Reason))
			}
			if fmt.Sprint(got) != w {
				t.Errorf("%s: %v, want %s", n, st.Conditions, w)
			}
		}
		s.Close()
	}
	// The global catalog finds users of every domain.
	o := f.opts(directory.LDAPS)
	o.GC = true
	s, err := directory.Dial(ctx, f.dc(t, f.run.GCLDAPSAddr), o)
	if err != nil {
		t.Fatal(err)
	}
	users, err := s.FindUsers(ctx, []string{"ivan@contoso.com", "alice@contoso.com"})
	s.Close()
	if err != nil || len(users) != 2 || users["ivan@contoso.com"].Domain() != "contoso.test" {
		t.Fatalf("GC FindUsers: %v, %v", users, err)
	}
	// Only reads reached the DC, and every search of a list was paged.
	// (The last unbind may still be in flight when Close returns.)
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if n := len(f.run.Requests()); n > 0 && f.run.Requests()[n-1].Op == "unbind" {
			break
		}
	}
	kinds := map[string]int{}
	for _, q := range f.run.Requests() {
		kinds[q.Op]++
		if q.Op == "search" && q.Object != "" && strings.Contains(q.Filter, "|") && !q.Paged {
			t.Errorf("unpaged user search %+v", q)
		}
	}
	for k := range kinds {
		switch k {
		case "bind", "search", "unbind", "starttls":
		default:
			t.Errorf("the client sent a %s request", k)
		}
	}
	if kinds["starttls"] != 1 || kinds["bind"] != 3 || kinds["unbind"] != 3 {
		t.Errorf("requests %v", kinds)
	}
}

func TestFixturePaging(t *testing.T) {
	var spec fixtures.Directory
	spec.Domain = "corp.contoso.test"
	for i := range 1234 {
		spec.Domains = append(spec.Domains, fixtures.DirectoryDomain{DNSRoot: fmt.Sprintf("d%04d.contoso.test", i)})
	}
	b, _ := json.Marshal(spec)
	f := startFixture(t, string(b))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := directory.Dial(ctx, f.dc(t, f.run.LDAPSAddr), f.opts(directory.LDAPS))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	forest, err := s.Forest(ctx)
	if err != nil || len(forest.Domains) != 1235 {
		t.Fatalf("Forest: %d domains, %v", len(forest.Domains), err)
	}
	ops, _ := s.Ops()
	pages := 0
	for _, op := range ops {
		if op.Kind == "search" && strings.Contains(op.Filter, "crossRef") {
			pages++
		}
	}
	if pages != 3 { // 500 + 500 + 235
		t.Errorf("crossRef search took %d pages, want 3", pages)
	}
}

func TestFixtureFaults(t *testing.T) {
	base := `{"domain": "corp.contoso.test", "users": [{"upn": "a@corp.contoso.test"}], %s}`
	t.Run("require-tls-bind", func(t *testing.T) {
		f := startFixture(t, fmt.Sprintf(base, `"require_tls_bind": true`))
		o := f.opts(directory.Plain)
		o.AllowCleartextPassword = true
		_, err := directory.Dial(context.Background(), f.dc(t, f.run.LDAPAddr), o)
		if !directory.IsStrongAuthRequired(err) {
			t.Fatalf("plain simple bind: %v", err)
		}
		s, err := directory.Dial(context.Background(), f.dc(t, f.run.LDAPAddr), f.opts(directory.StartTLS))
		if err != nil {
			t.Fatalf("StartTLS bind: %v", err)
		}
		s.Close()
	})
	t.Run("bind-invalid-credentials", func(t *testing.T) {
		f := startFixture(t, fmt.Sprintf(base, `"faults": {"bind": "invalid-credentials"}`))
		_, err := directory.Dial(context.Background(), f.dc(t, f.run.LDAPSAddr), f.opts(directory.LDAPS))
		if r, _ := directory.BindReason(err); !directory.IsInvalidCredentials(err) || r != 1326 {
			t.Fatalf("bind: %v (reason %d)", err, r)
		}
	})
	t.Run("bind-strong-auth", func(t *testing.T) {
		f := startFixture(t, fmt.Sprintf(base, `"faults": {"bind": "strong-auth-required"}`))
		_, err := directory.Dial(context.Background(), f.dc(t, f.run.LDAPSAddr), f.opts(directory.LDAPS))
		if !directory.IsStrongAuthRequired(err) {
			t.Fatalf("bind: %v", err)
		}
	})
	for _, fault := range []string{"hang", "close"} {
		t.Run("search-"+fault, func(t *testing.T) {
			f := startFixture(t, fmt.Sprintf(base, `"faults": {"search": "`+fault+`"}`))
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			s, err := directory.Dial(ctx, f.dc(t, f.run.LDAPSAddr), f.opts(directory.LDAPS))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.RootDSE(ctx); err != nil {
				t.Fatalf("rootDSE is exempt from the fault: %v", err)
			}
			start := time.Now()
			_, err = s.FindUsers(ctx, []string{"a@corp.contoso.test"})
			if time.Since(start) > time.Second {
				t.Fatalf("FindUsers returned after %v", time.Since(start))
			}
			if fault == "hang" && !directory.IsTimeout(err) || fault == "close" && !directory.IsConnClosed(err) {
				t.Fatalf("FindUsers with search %s: %v", fault, err)
			}
		})
	}
}

func TestFixtureSpecValidation(t *testing.T) {
	for _, spec := range []string{
		`{}`,
		`{"domain": "x.test", "faults": {"bind": "sometimes"}}`,
		`{"domain": "x.test", "faults": {"search": "slow"}}`,
		`{"domain": "x.test", "users": [{"upn": "nobody"}]}`,
		`{"domain": "x.test", "users": [{"upn": "a@x.test", "logon_hours": "ff"}]}`,
		`{"domain": "x.test", "current_time_offset": "soon"}`,
	} {
		var d fixtures.Directory
		if err := json.Unmarshal([]byte(spec), &d); err != nil {
			t.Fatal(err)
		}
		if run, err := fixtures.StartDirectory(context.Background(), &d, nil); err == nil {
			run.Close()
			t.Errorf("%s accepted", spec)
		}
	}
}

// CheckPassword against the emulated DC, which answers a bind as a user with
// a password as AD does: the sub-code, in Samba's order, NUL included; one
// bind as the user per check, after anonymous connects.
func TestFixturePasswordCheck(t *testing.T) {
	var users []string
	for _, u := range []string{`"upn": "alice@contoso.com"`, `"upn": "bob@contoso.com", "disabled": true`, `"upn": "carol@contoso.com", "locked": true`,
		`"upn": "dave@contoso.com", "expired": true`, `"upn": "erin@contoso.com", "must_change": true`, `"upn": "frank@contoso.com", "password_expired": true`,
		`"upn": "grace@contoso.com", "logon_hours": "000000000000000000000000000000000000000000"`, `"upn": "heidi@contoso.com", "workstations": ["PTA1", "PTA2"]`,
		`"upn": "judy@contoso.com", "workstations": ["PTA1", "DC1"]`, `"upn": "mallory@contoso.com", "disabled": true, "locked": true`} {
		users = append(users, "{"+u+`, "password": "Pa55-word"}`)
	}
	f := startFixture(t, `{"domain": "corp.contoso.test", "now": "2026-11-25T12:00:00Z", "require_tls_bind": true, "users": [`+strings.Join(users, ",")+`]}`)
	dc := f.dc(t, f.run.LDAPSAddr)
	for _, c := range []struct {
		user, password string
		want           uint32
	}{
		{"alice@contoso.com", "Pa55-word", 0},
		{"ALICE@contoso.com", "Pa55-word", 0},
		{"CORP\\alice", "Pa55-word", 0},
		{"CN=alice,CN=Users,DC=corp,DC=contoso,DC=test", "Pa55-word", 0},
		{"alice@contoso.com", "wrong", 0x52e},
		{"bob@contoso.com", "Pa55-word", 0x533},
		{"bob@contoso.com", "wrong", 0x52e},
		{"carol@contoso.com", "Pa55-word", 0x775},
		{"carol@contoso.com", "wrong", 0x775},
		{"dave@contoso.com", "Pa55-word", 0x701},
		{"erin@contoso.com", "Pa55-word", 0x773},
		{"frank@contoso.com", "Pa55-word", 0x532},
		{"grace@contoso.com", "Pa55-word", 0x530},
		{"heidi@contoso.com", "Pa55-word", 0x531},
		{"judy@contoso.com", "Pa55-word", 0},
		{"mallory@contoso.com", "Pa55-word", 0x775},
	} {
		before := len(f.run.Requests())
		a := directory.CheckPassword(context.Background(), []directory.DC{dc}, directory.Options{RootCAs: f.roots}, c.user, c.password)
		code, ok := directory.BindSubCode(a.Err)
		if !a.Sent || (c.want == 0) != (a.Err == nil) || c.want != 0 && (!ok || code != c.want) {
			t.Errorf("%s / %s: %+v (data %x), want data %x", c.user, c.password, a, code, c.want)
		}
		var binds []string
		for _, q := range f.run.Requests()[before:] {
			if q.Op == "bind" {
				binds = append(binds, q.Object)
			}
		}
		if len(binds) != 2 || binds[0] != "" || binds[1] != c.user {
			t.Errorf("%s: binds %q, want one anonymous connect and one bind as the user", c.user, binds)
		}
	}
}
