package main

import (
	"context"
	"crypto/x509"
	"runtime"
	"strings"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/checks/directory"
	"github.com/ptacheck/ptacheck/internal/input"
	"github.com/ptacheck/ptacheck/internal/redact"
)

// maxSecretFile caps a password file: a password is a line, not a file.
const maxSecretFile = 64 << 10

// directoryInputs are the validated directory flags.
type directoryInputs struct {
	cfg     checks.ADConfig
	options directory.Options
	// userGiven: --ldap-user was given (else the default identity applies).
	userGiven bool
	// caRoots are the system roots plus --ca-file (nil: the system's).
	caRoots  *x509.CertPool
	warnings []string
}

// validateDirectory checks the directory flags and reads the bind password
// (never from a flag: PTACHECK_LDAP_PASSWORD or --ldap-password-file). The
// password is registered as a secret, so no output can show it.
func validateDirectory(ctx context.Context, o *options, getenv func(string) string) (*directoryInputs, error) {
	in := &directoryInputs{}
	if o.domain != "" {
		d := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(o.domain)), ".")
		if !validDomain(d) {
			return nil, usagef("--domain %q: want the DNS name of an AD domain, such as corp.contoso.com", o.domain)
		}
		in.cfg.Domain = d
	}
	for _, v := range o.dcs {
		for _, s := range strings.Split(v, ",") {
			if _, err := directory.ParseDC(strings.TrimSpace(s)); err != nil {
				return nil, usagef("--dc %q: %v", s, err)
			}
			in.cfg.DCs = append(in.cfg.DCs, strings.TrimSpace(s))
		}
	}
	for _, v := range o.upnSuffixes {
		for _, s := range strings.Split(v, ",") {
			s = strings.TrimSuffix(strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "@"), ".")
			if !validDomain(s) {
				return nil, usagef("--upn-suffix %q: want a DNS suffix such as contoso.com", v)
			}
			in.cfg.UPNSuffixes = append(in.cfg.UPNSuffixes, s)
		}
	}
	switch o.ldapSecurity {
	case "ldaps", "":
		in.options.Security = directory.LDAPS
	case "starttls":
		in.options.Security = directory.StartTLS
	case "plain":
		in.options.Security = directory.Plain
		in.options.AllowCleartextPassword = true
		in.warnings = append(in.warnings, "--ldap-security plain sends the LDAP bind password unencrypted; use it only to see whether the DC refuses it")
	default:
		return nil, usagef("--ldap-security %q: want ldaps, starttls or plain", o.ldapSecurity)
	}
	if o.caFile != "" {
		pem, err := input.ReadFile(ctx, o.caFile, 4<<20)
		if err != nil {
			return nil, usagef("--ca-file %v", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, usagef("--ca-file %s: no PEM certificate in it", o.caFile)
		}
		in.options.RootCAs = pool
		in.caRoots = pool
	}
	if o.ldapInsecureTLS {
		in.options.InsecureSkipVerify = true
		in.warnings = append(in.warnings, "--ldap-insecure-skip-verify: the DC's certificate is not verified; anyone on the path can answer for the DC")
	}
	password := getenv("PTACHECK_LDAP_PASSWORD")
	if o.ldapPassFile != "" {
		data, err := input.ReadFile(ctx, o.ldapPassFile, maxSecretFile)
		if err != nil {
			return nil, usagef("--ldap-password-file %v", err)
		}
		password = strings.TrimRight(string(data), "\r\n")
	}
	redact.Secret(password)
	switch {
	case o.ldapUser != "" && password == "":
		return nil, usagef("--ldap-user needs a password: set PTACHECK_LDAP_PASSWORD or pass --ldap-password-file (never a flag)")
	case o.ldapUser != "":
		in.options.Bind = directory.Bind{User: o.ldapUser, Password: password}
		in.userGiven = true
	case o.ldapPassFile != "":
		return nil, usagef("--ldap-password-file needs --ldap-user")
	}
	return in, nil
}

// defaultBind picks the identity when --ldap-user is not given: the current
// user on Windows; elsewhere an anonymous bind, which reads only the
// rootDSE, so the checks that need more say why they skip.
func (in *directoryInputs) defaultBind(fixtureMode bool) {
	switch {
	case in.userGiven:
	case fixtureMode:
		// The emulated DC accepts any named bind; it is not a secret.
		in.options.Bind = directory.Bind{User: "ptacheck-fixture@" + in.cfg.Domain, Password: "fixture"}
	case runtime.GOOS == "windows":
		in.options.Bind = directory.Bind{CurrentUser: true}
	default:
		in.options.Bind = directory.Bind{Anonymous: true}
		in.cfg.NoBindReason = "reading the forest needs an authenticated bind: pass --ldap-user (password in PTACHECK_LDAP_PASSWORD or --ldap-password-file), or run on the domain-joined server as a domain user"
	}
}

func validDomain(s string) bool {
	if s == "" || len(s) > 253 || !strings.Contains(s, ".") && len(s) > 63 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}
