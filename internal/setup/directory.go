package setup

import (
	"context"
	"runtime"
	"strings"

	"github.com/spf13/pflag"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/checks/directory"
	"github.com/ptacheck/ptacheck/internal/cli"
	"github.com/ptacheck/ptacheck/util/redact"
)

// maxSecretFile caps a password file: a password is a line, not a file.
const maxSecretFile = 64 << 10

// DirectoryFlags say which domain and DCs to read, and how to bind.
type DirectoryFlags struct {
	Domain          string
	DCs             []string
	LDAPUser        string
	LDAPPassFile    string
	LDAPSecurity    string
	LDAPInsecureTLS bool
}

func (d *DirectoryFlags) Register(fs *pflag.FlagSet) {
	fs.StringVar(&d.Domain, "domain", "", "the AD `DOMAIN` of this server and its users (default: this server's domain on Windows, or the fixture's)")
	fs.StringArrayVar(&d.DCs, "dc", nil, "use this domain controller `HOST[:PORT]` instead of the DC locator (repeatable)")
	fs.StringVar(&d.LDAPUser, "ldap-user", "", "bind to the DC as this `USER` (user@domain or a DN); the password comes from PTACHECK_LDAP_PASSWORD or --ldap-password-file. Default: the current user on Windows")
	fs.StringVar(&d.LDAPPassFile, "ldap-password-file", "", "read the LDAP bind password from this `FILE` (never from a flag)")
	fs.StringVar(&d.LDAPSecurity, "ldap-security", "ldaps", "how to reach the DC, `MODE`: ldaps (636), starttls (389), or plain (389, unencrypted: only to see whether the DC refuses it)")
	fs.BoolVar(&d.LDAPInsecureTLS, "ldap-insecure-skip-verify", false, "do not verify the DC's certificate (insecure; warned)")
}

// ForestFlags name the UPN suffixes the forest must serve.
type ForestFlags struct{ UPNSuffixes []string }

func (f *ForestFlags) Register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.UPNSuffixes, "upn-suffix", nil, "a UPN `SUFFIX` users sign in with, which this server's forest must serve (repeatable)")
}

// Validate normalises the suffixes (repeatable or comma-separated).
func (f *ForestFlags) Validate() ([]string, error) {
	var out []string
	for _, v := range f.UPNSuffixes {
		for _, s := range strings.Split(v, ",") {
			s = strings.TrimSuffix(strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "@"), ".")
			if !validDomain(s) {
				return nil, cli.Usagef("--upn-suffix %q: want a DNS suffix such as contoso.com", v)
			}
			out = append(out, s)
		}
	}
	return out, nil
}

// Directory are the validated directory flags.
type Directory struct {
	cfg     checks.ADConfig
	options directory.Options
	// userGiven: --ldap-user was given (else the default identity applies).
	userGiven bool
	warnings  []string
}

// Validate checks the directory flags and reads the bind password (never
// from a flag: PTACHECK_LDAP_PASSWORD or --ldap-password-file). The password
// is registered as a secret, so no output can show it.
func (o *DirectoryFlags) Validate(ctx context.Context, getenv func(string) string) (Directory, error) {
	var in Directory
	if o.Domain != "" {
		d := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(o.Domain)), ".")
		if !validDomain(d) {
			return in, cli.Usagef("--domain %q: want the DNS name of an AD domain, such as corp.contoso.com", o.Domain)
		}
		in.cfg.Domain = d
	}
	for _, v := range o.DCs {
		for _, s := range strings.Split(v, ",") {
			if _, err := directory.ParseDC(strings.TrimSpace(s)); err != nil {
				return in, cli.Usagef("--dc %q: %v", s, err)
			}
			in.cfg.DCs = append(in.cfg.DCs, strings.TrimSpace(s))
		}
	}
	switch o.LDAPSecurity {
	case "ldaps", "":
		in.options.Security = directory.LDAPS
	case "starttls":
		in.options.Security = directory.StartTLS
	case "plain":
		in.options.Security = directory.Plain
		in.options.AllowCleartextPassword = true
		in.warnings = append(in.warnings, "--ldap-security plain sends the LDAP bind password unencrypted; use it only to see whether the DC refuses it")
	default:
		return in, enumError("--ldap-security", o.LDAPSecurity, []string{"ldaps", "starttls", "plain"}, "")
	}
	if o.LDAPInsecureTLS {
		in.options.InsecureSkipVerify = true
		in.warnings = append(in.warnings, "--ldap-insecure-skip-verify: the DC's certificate is not verified; anyone on the path can answer for the DC")
	}
	password := getenv("PTACHECK_LDAP_PASSWORD")
	if o.LDAPPassFile != "" {
		data, err := cli.ReadFile(ctx, o.LDAPPassFile, maxSecretFile)
		if err != nil {
			return in, cli.Usagef("--ldap-password-file %v", err)
		}
		password = secretText(data)
	}
	redact.Secret(password)
	switch {
	case o.LDAPUser != "" && password == "":
		return in, cli.Usagef("--ldap-user needs a password: set PTACHECK_LDAP_PASSWORD or pass --ldap-password-file (never a flag)")
	case o.LDAPUser != "":
		in.options.Bind = directory.Bind{User: o.LDAPUser, Password: password}
		in.userGiven = true
	case o.LDAPPassFile != "":
		return in, cli.Usagef("--ldap-password-file needs --ldap-user")
	}
	return in, nil
}

// defaultBind picks the identity when --ldap-user is not given: the current
// user on Windows; elsewhere an anonymous bind, which reads only the
// rootDSE, so the checks that need more say why they skip.
func (in *Directory) defaultBind(fixtureMode bool) {
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
