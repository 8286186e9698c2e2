//go:build !windows

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ptacheck/ptacheck/fixtures"
)

// sambaEnv reads the env file scripts/samba-dc.sh writes; the tests that
// need a real AD DC skip (with the reason) without it.
func sambaEnv(t *testing.T) map[string]string {
	t.Helper()
	path := os.Getenv("PTACHECK_SAMBA_ENV")
	if path == "" {
		t.Skip("no Samba AD DC: run scripts/samba-dc.sh start and set PTACHECK_SAMBA_ENV (scripts/test.sh does both as root)")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("no Samba AD DC: %v", err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			env[strings.TrimPrefix(k, "PTACHECK_SAMBA_")] = v
		}
	}
	return env
}

type binResult struct {
	code           int
	stdout, stderr string
	took           time.Duration
	report         struct {
		Checks []struct {
			ID, Status, Message, Remediation string
			Findings                         []string
		}
	}
}

func (r binResult) check(id string) (status, text string) {
	for _, c := range r.report.Checks {
		if c.ID == id {
			return c.Status, c.Message + " | " + strings.Join(c.Findings, " | ") + " | " + c.Remediation
		}
	}
	return "absent", ""
}

func runBin(t *testing.T, env []string, args ...string) binResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, builtBinary(t), append(args, "-o", "json")...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	cmd.Run()
	r := binResult{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
	json.Unmarshal(stdout.Bytes(), &r.report)
	return r
}

// The ad.* checks of the built binary against a real Samba AD DC on
// loopback: SRV discovery through its DNS, an LDAPS bind with a verified
// certificate, the forest's domains and UPN suffixes, its clock.
func TestADAgainstSamba(t *testing.T) {
	s := sambaEnv(t)
	pw, err := os.ReadFile(s["ADMIN_PASSWORD_FILE"])
	if err != nil {
		t.Skipf("no admin password: %v", err)
	}
	password := strings.TrimSpace(string(pw))
	base := []string{"install", "--only", "ad.dc-reachable,ad.forest-membership,ad.time-skew",
		"--domain", s["DOMAIN"], "--dns-server", s["DNS"], "--ca-file", s["CA_FILE"], "--ldap-user", s["ADMIN_UPN"]}
	creds := []string{"PTACHECK_LDAP_PASSWORD=" + password}
	run := func(env []string, extra ...string) binResult {
		return runBin(t, env, append(append([]string{}, base...), extra...)...)
	}

	r := run(creds, "--upn-suffix", s["DOMAIN"])
	if r.code != 0 {
		t.Fatalf("the domain's own suffix: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if st, text := r.check("ad.forest-membership"); st != "pass" || !strings.Contains(text, s["DOMAIN"]+" (domain)") {
		t.Errorf("forest: %s %s", st, text)
	}
	if strings.Contains(r.stdout+r.stderr, password) {
		t.Error("the LDAP password reached the output")
	}

	// An extra UPN suffix, added to the Partitions container with
	// ldapmodify, is served; an unknown one is not.
	partitions := "CN=Partitions,CN=Configuration," + s["BASE_DN"]
	ldapModify(t, s, "dn: "+partitions+"\nchangetype: modify\nadd: uPNSuffixes\nuPNSuffixes: contoso-cli.test\n")
	t.Cleanup(func() {
		ldapModify(t, s, "dn: "+partitions+"\nchangetype: modify\ndelete: uPNSuffixes\nuPNSuffixes: contoso-cli.test\n")
	})
	r = run(creds, "--upn-suffix", "contoso-cli.test")
	if st, text := r.check("ad.forest-membership"); r.code != 0 || st != "pass" || !strings.Contains(text, "contoso-cli.test (upn suffix)") {
		t.Errorf("an added UPN suffix: exit %d, %s %s", r.code, st, text)
	}
	r = run(creds, "--upn-suffix", "fabrikam-cli.test")
	if st, text := r.check("ad.forest-membership"); r.code != 1 || st != "fail" || !strings.Contains(text, "fabrikam-cli.test is neither a domain") {
		t.Errorf("an unknown suffix: exit %d, %s %s", r.code, st, text)
	}

	// A wrong password: a clear bind error, not a verdict on the forest.
	r = run([]string{"PTACHECK_LDAP_PASSWORD=not-the-password"}, "--upn-suffix", s["DOMAIN"])
	if st, text := r.check("ad.dc-reachable"); r.code != 3 || st != "error" || !strings.Contains(text, "invalid credentials") {
		t.Errorf("wrong password: exit %d, %s %s", r.code, st, text)
	}

	// A simple bind over plain LDAP is refused, with the advice.
	r = run(creds, "--upn-suffix", s["DOMAIN"], "--ldap-security", "plain")
	if st, text := r.check("ad.dc-reachable"); st != "error" || !strings.Contains(text, "strongerAuthRequired") || !strings.Contains(text, "LDAPS") {
		t.Errorf("plain bind: %s %s", st, text)
	}
	if !strings.Contains(r.stderr, "sends the LDAP bind password unencrypted") {
		t.Errorf("--ldap-security plain was not warned about: %q", r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, password) {
		t.Error("the LDAP password reached the output")
	}

	// A DC that is down (nothing listens) or never answers: an error or a
	// failure within the deadline, never a hang.
	tarpit, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tarpit.Close()
	go func() {
		for {
			c, err := tarpit.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedAddr := closed.Addr().String()
	closed.Close()
	for _, dc := range []string{closedAddr, tarpit.Addr().String()} {
		r = runBin(t, creds, "install", "--only", "ad.dc-reachable", "--dc", dc, "--ca-file", s["CA_FILE"],
			"--ldap-user", s["ADMIN_UPN"], "--dns-server", s["DNS"], "--timeout", "30s")
		st, text := r.check("ad.dc-reachable")
		if (st != "fail" && st != "error") || r.took > 25*time.Second {
			t.Errorf("--dc %s: %s after %s: %s", dc, st, r.took, text)
		}
	}
}

func ldapModify(t *testing.T, s map[string]string, ldif string) {
	t.Helper()
	cmd := exec.Command("ldapmodify", "-H", s["LDAPS_URI"], "-x", "-D", s["ADMIN_DN"], "-y", s["ADMIN_PASSWORD_FILE"], "-c")
	cmd.Env = append(os.Environ(), "LDAPTLS_CACERT="+s["CA_FILE"])
	cmd.Stdin = strings.NewReader(ldif)
	if out, err := cmd.CombinedOutput(); err != nil && !strings.Contains(string(out), "Type or value exists") && !strings.Contains(string(out), "No such attribute") &&
		!strings.Contains(string(out), "No such object") {
		t.Fatalf("ldapmodify: %v\n%s", err, out)
	}
}

// `ptacheck signin` against the real Samba DC, with users set up in every
// state the agent's LogonUser would refuse.
func TestSigninAgainstSamba(t *testing.T) {
	s := sambaEnv(t)
	pw, err := os.ReadFile(s["ADMIN_PASSWORD_FILE"])
	if err != nil {
		t.Skipf("no admin password: %v", err)
	}
	now := time.Now().UTC()
	filetime := func(t time.Time) int64 { return t.Unix()*10000000 + 116444736000000000 }
	users := map[string]string{ // name -> extra LDIF
		"cli-ok":       "",
		"cli-disabled": "replace: userAccountControl\nuserAccountControl: 546",
		"cli-expired":  fmt.Sprintf("replace: accountExpires\naccountExpires: %d", filetime(now.Add(-24*time.Hour))),
		"cli-change":   "replace: pwdLastSet\npwdLastSet: 0",
		"cli-hours":    "replace: logonHours\nlogonHours:: " + base64.StdEncoding.EncodeToString(make([]byte, 21)),
		"cli-ws":       "replace: userWorkstations\nuserWorkstations: OTHER01,OTHER02",
		"cli-locked":   fmt.Sprintf("replace: lockoutTime\nlockoutTime: %d", filetime(now)),
		// Locked 5 minutes ago under a PSO whose lockout lasts 1 minute:
		// the domain's 30 minutes would say 1909, the DC says unlocked.
		"cli-pso-ended": fmt.Sprintf("replace: lockoutTime\nlockoutTime: %d", filetime(now.Add(-5*time.Minute))),
	}
	base := "CN=Users," + s["BASE_DN"]
	for name, extra := range users {
		dn := "CN=" + name + "," + base
		ldapModify(t, s, "dn: "+dn+"\nchangetype: delete\n")
		// Enabled, no password required (0x220): the checks read states, not passwords.
		ldapModify(t, s, fmt.Sprintf("dn: %s\nchangetype: add\nobjectClass: user\nsAMAccountName: %s\nuserPrincipalName: %s@%s\nuserAccountControl: 544\n", dn, name, name, s["DOMAIN"]))
		if name != "cli-change" {
			// -1 sets pwdLastSet to now: a password that is current.
			extra = strings.TrimPrefix(extra+"\n-\nreplace: pwdLastSet\npwdLastSet: -1", "\n-\n")
		}
		if extra != "" {
			ldapModify(t, s, "dn: "+dn+"\nchangetype: modify\n"+extra+"\n")
		}
		t.Cleanup(func() { ldapModify(t, s, "dn: "+dn+"\nchangetype: delete\n") })
	}
	const pso = "ptacheck-cli-short-lockout"
	samba := func(args ...string) error {
		return exec.Command("samba-tool", append(args, "-s", s["SMB_CONF"])...).Run()
	}
	samba("domain", "passwordsettings", "pso", "delete", pso) // a leftover of an earlier run
	if err := samba("domain", "passwordsettings", "pso", "create", pso, "11", "--account-lockout-duration=1", "--account-lockout-threshold=5", "--reset-account-lockout-after=1"); err != nil {
		t.Fatalf("samba-tool pso create: %v", err)
	}
	t.Cleanup(func() { samba("domain", "passwordsettings", "pso", "delete", pso) })
	if err := samba("domain", "passwordsettings", "pso", "apply", pso, "cli-pso-ended"); err != nil {
		t.Fatalf("samba-tool pso apply: %v", err)
	}
	args := []string{"signin", "--domain", s["DOMAIN"], "--dns-server", s["DNS"], "--ca-file", s["CA_FILE"], "--ldap-user", s["ADMIN_UPN"],
		"--machine-name", "PTA01." + s["DOMAIN"], "--user", "nobody-cli@" + s["DOMAIN"]}
	for name := range users {
		args = append(args, "--user", name+"@"+s["DOMAIN"])
	}
	r := runBin(t, []string{"PTACHECK_LDAP_PASSWORD=" + strings.TrimSpace(string(pw))}, args...)
	if r.code != 1 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if st, text := r.check("user.exists"); st != "fail" || !strings.Contains(text, "no account with UPN nobody-cli@") {
		t.Errorf("user.exists: %s %s", st, text)
	}
	st, text := r.check("user.account-state")
	if st != "fail" {
		t.Fatalf("user.account-state: %s %s", st, text)
	}
	for name, reason := range map[string]string{
		"cli-disabled": "1331", "cli-expired": "1793", "cli-change": "1907", "cli-hours": "1328", "cli-ws": "1329", "cli-locked": "1909",
	} {
		want := name + "@" + s["DOMAIN"] + ": "
		i := strings.Index(text, want)
		if i < 0 {
			t.Errorf("%s is not named: %s", name, text)
			continue
		}
		line := text[i:]
		if j := strings.Index(line, " | "); j > 0 {
			line = line[:j]
		}
		if !strings.Contains(line, "("+reason+" ") {
			t.Errorf("%s: %q, want reason %s", name, line, reason)
		}
	}
	if strings.Contains(text, "cli-ok@") || strings.Contains(text, "cli-pso-ended@") {
		t.Errorf("an account that can sign in was reported: %s", text)
	}
}

// `ptacheck signin --password-file` against the real Samba DC: one sign-in
// per run, answered with the Win32 reason the agent's LogonUser would log,
// for the right password, a wrong one, and accounts disabled, locked, that
// must change the password or have expired; "Log On To" judged for the
// agent's server, not the DC a bind logs on at.
func TestSigninPasswordAgainstSamba(t *testing.T) {
	s := sambaEnv(t)
	adminPW, err := os.ReadFile(s["ADMIN_PASSWORD_FILE"])
	if err != nil {
		t.Skipf("no admin password: %v", err)
	}
	now := time.Now().UTC()
	filetime := func(t time.Time) int64 { return t.Unix()*10000000 + 116444736000000000 }
	password := fmt.Sprintf("Pw-%d-Zq7!", now.UnixNano())
	utf16 := func(s string) string {
		var b []byte
		for _, r := range `"` + s + `"` {
			b = append(b, byte(r), byte(r>>8))
		}
		return base64.StdEncoding.EncodeToString(b)
	}
	users := map[string]string{ // name -> extra LDIF
		"pw-cli-ok":       "",
		"pw-cli-disabled": "replace: userAccountControl\nuserAccountControl: 514",
		"pw-cli-locked":   fmt.Sprintf("replace: lockoutTime\nlockoutTime: %d", filetime(now)),
		"pw-cli-change":   "replace: pwdLastSet\npwdLastSet: 0",
		"pw-cli-expired":  fmt.Sprintf("replace: accountExpires\naccountExpires: %d", filetime(now.Add(-24*time.Hour))),
		"pw-cli-ws":       "replace: userWorkstations\nuserWorkstations: PTA01,PTA02",
	}
	base := "CN=Users," + s["BASE_DN"]
	for name, extra := range users {
		dn := "CN=" + name + "," + base
		ldapModify(t, s, "dn: "+dn+"\nchangetype: delete\n")
		ldapModify(t, s, fmt.Sprintf("dn: %s\nchangetype: add\nobjectClass: user\nsAMAccountName: %s\nuserPrincipalName: %s@%s\nunicodePwd:: %s\nuserAccountControl: 512\n",
			dn, name, name, s["DOMAIN"], utf16(password)))
		if extra != "" {
			ldapModify(t, s, "dn: "+dn+"\nchangetype: modify\n"+extra+"\n")
		}
		t.Cleanup(func() { ldapModify(t, s, "dn: "+dn+"\nchangetype: delete\n") })
	}
	pwFile := writeTemp(t, password+"\n")
	wrongFile := writeTemp(t, "Not-"+password+"\n")
	run := func(user, file string, extra ...string) binResult {
		args := append([]string{"signin", "--domain", s["DOMAIN"], "--dns-server", s["DNS"], "--ca-file", s["CA_FILE"], "--ldap-user", s["ADMIN_UPN"],
			"--machine-name", "PTA01." + s["DOMAIN"], "--user", user + "@" + s["DOMAIN"], "--password-file", file}, extra...)
		r := runBin(t, []string{"PTACHECK_LDAP_PASSWORD=" + strings.TrimSpace(string(adminPW))}, args...)
		if strings.Contains(r.stdout+r.stderr, password) {
			t.Fatalf("%s: the user's password reached the output", user)
		}
		return r
	}
	for _, c := range []struct {
		user, file, status, want string
		code                     int
	}{
		{"pw-cli-ok", pwFile, "pass", "the DC accepts the password of pw-cli-ok@", 0},
		{"pw-cli-ok", wrongFile, "fail", "wrong password (1326 ERROR_LOGON_FAILURE)", 1},
		{"pw-cli-disabled", pwFile, "fail", "1331 ERROR_ACCOUNT_DISABLED", 1},
		{"pw-cli-locked", pwFile, "fail", "1909 ERROR_ACCOUNT_LOCKED_OUT", 1},
		{"pw-cli-change", pwFile, "fail", "1907 ERROR_PASSWORD_MUST_CHANGE", 1},
		{"pw-cli-expired", pwFile, "fail", "1793 ERROR_ACCOUNT_EXPIRED", 1},
		// Samba refuses the bind with 531 (the DC is not in the list), but
		// the list names PTA01, the agent's server: the password is right.
		{"pw-cli-ws", pwFile, "pass", "the DC accepts the password", 0},
		// An unknown name: Samba answers 52e, and the lookup says why.
		{"pw-cli-nobody", pwFile, "fail", "there is no account pw-cli-nobody@", 1},
	} {
		r := run(c.user, c.file)
		st, text := r.check("user.password")
		if st != c.status || !strings.Contains(text, c.want) || r.code != c.code {
			t.Errorf("%s: exit %d, user.password %s %q; want exit %d, %s with %q\n%s", c.user, r.code, st, text, c.code, c.status, c.want, r.stderr)
		}
		// The attribute prediction agrees with the DC on Samba.
		if strings.Contains(text, "predicted") {
			t.Errorf("%s: a disagreement with the attributes: %s", c.user, text)
		}
	}
	// "Log On To" without this server: the right password, and still 1329.
	r := run("pw-cli-ws", pwFile, "--machine-name", "PTA09."+s["DOMAIN"])
	if st, text := r.check("user.password"); st != "fail" || !strings.Contains(text, "1329") {
		t.Errorf("Log On To without this server: %s %s", st, text)
	}
}

// `ptacheck signin` with the tenant emulator and the Samba DC together: a
// synchronised user whose cloud UPN is not its on-premises UPN is named by
// both, looked up in the DC by the on-premises one (so the account is still
// checked) and its password tried with it; a cloud-only user is left out of
// the AD checks; an on-premises UPN given by mistake is recognised.
func TestSigninCloudUPNAgainstSamba(t *testing.T) {
	s := sambaEnv(t)
	adminPW, err := os.ReadFile(s["ADMIN_PASSWORD_FILE"])
	if err != nil {
		t.Skipf("no admin password: %v", err)
	}
	password := fmt.Sprintf("Pw-%d-Zq8!", time.Now().UnixNano())
	var u16 []byte
	for _, r := range `"` + password + `"` {
		u16 = append(u16, byte(r), byte(r>>8))
	}
	onPrem := "upn-cli-bob@" + s["DOMAIN"]
	dn := "CN=upn-cli-bob,CN=Users," + s["BASE_DN"]
	ldapModify(t, s, "dn: "+dn+"\nchangetype: delete\n")
	ldapModify(t, s, fmt.Sprintf("dn: %s\nchangetype: add\nobjectClass: user\nsAMAccountName: upn-cli-bob\nuserPrincipalName: %s\nunicodePwd:: %s\nuserAccountControl: 512\n",
		dn, onPrem, base64.StdEncoding.EncodeToString(u16)))
	t.Cleanup(func() { ldapModify(t, s, "dn: "+dn+"\nchangetype: delete\n") })

	yes := true
	rt, err := fixtures.StartTenant(context.Background(), &fixtures.Tenant{TenantID: "84841066-274d-4ec0-a5c1-276be684bdd3",
		Domains: []fixtures.TenantDomain{{Name: "contoso-cli.test", AuthenticationType: "Managed", IsVerified: true}},
		Users: []fixtures.TenantUser{
			{ID: "00000000-0000-0000-0000-0000000000b0", UserPrincipalName: "bob@contoso-cli.test", OnPremisesSyncEnabled: &yes,
				OnPremisesUserPrincipalName: onPrem, OnPremisesSamAccountName: "upn-cli-bob", OnPremisesDomainName: s["DOMAIN"]},
			{ID: "00000000-0000-0000-0000-0000000000c0", UserPrincipalName: "carol@contoso-cli.test"},
		}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.Close)
	samba, err := os.ReadFile(s["CA_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	caFile := writeTemp(t, string(samba)+string(rt.CAPEM))
	tokenFile := writeTemp(t, rt.Token)
	pwFile := writeTemp(t, password+"\n")
	run := func(extra ...string) binResult {
		args := append([]string{"signin", "--domain", s["DOMAIN"], "--dns-server", s["DNS"], "--ca-file", caFile, "--ldap-user", s["ADMIN_UPN"],
			"--graph-url", rt.GraphURL, "--login-url", rt.LoginURL, "--token-file", tokenFile, "--tenant-id", rt.TenantID}, extra...)
		return runBin(t, []string{"PTACHECK_LDAP_PASSWORD=" + strings.TrimSpace(string(adminPW))}, args...)
	}
	want := func(r binResult, id, status string, contains ...string) {
		t.Helper()
		st, text := r.check(id)
		if st != status {
			t.Errorf("%s: %s %s, want %s\n%s", id, st, text, status, r.stderr)
		}
		for _, c := range contains {
			if !strings.Contains(text, c) {
				t.Errorf("%s: %q does not contain %q", id, text, c)
			}
		}
	}
	r := run("--user", "bob@contoso-cli.test", "--user", "carol@contoso-cli.test")
	want(r, "user.cloud-upn", "fail", "bob@contoso-cli.test signs in to Entra ID as bob@contoso-cli.test, but the on-premises UPN is "+onPrem,
		"carol@contoso-cli.test is cloud-only")
	want(r, "user.exists", "pass", "1 user found; 1 not signing in through PTA")
	want(r, "user.account-state", "pass", "1 account can sign in")

	r = run("--user", "bob@contoso-cli.test", "--password-file", pwFile)
	want(r, "user.password", "pass", "the DC accepts the password of bob@contoso-cli.test (on-premises "+onPrem+")")
	if strings.Contains(r.stdout+r.stderr, password) {
		t.Fatal("the user's password reached the output")
	}
	r = run("--user", onPrem)
	want(r, "user.cloud-upn", "fail", onPrem+" is not a cloud UPN but the on-premises UPN of bob@contoso-cli.test")
	want(r, "user.exists", "pass")
	var sent []string
	for _, q := range rt.Requests() {
		sent = append(sent, q.Path)
	}
	if !strings.Contains(strings.Join(sent, " "), "/v1.0/users/bob@contoso-cli.test") {
		t.Errorf("the emulator was not asked for bob: %v", sent)
	}
}
