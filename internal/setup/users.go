package setup

import (
	"bytes"
	"context"
	"strings"

	"github.com/ptacheck/ptacheck/internal/cli"
	"github.com/spf13/pflag"
)

// The users a signin run diagnoses: --user and --users-file.

// UsersFlags name the users signin diagnoses.
type UsersFlags struct {
	Users []string
	File  string
}

func (u *UsersFlags) Register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&u.Users, "user", nil, "diagnose this user `UPN` (repeatable, or comma-separated)")
	fs.StringVar(&u.File, "users-file", "", "diagnose the UPNs in this `FILE`, one per line (# comments)")
}

// maxUsersFile caps --users-file; maxUsers the users of one run.
const (
	maxUsersFile = 16 << 20
	maxUsers     = 100000
)

// Validate gathers the UPNs from --user and --users-file (none: the
// fixture's, see signinUsers). The file is taken line by line from its
// bytes, each UPN checked and counted as it comes: blank lines and comments
// cost nothing, and the run stops at the first UPN over maxUsers rather
// than holding millions of them.
func (u *UsersFlags) Validate(ctx context.Context) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(s string) error {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil
		}
		local, suffix, ok := strings.Cut(s, "@")
		if !ok || local == "" || !validDomain(strings.ToLower(suffix)) || strings.ContainsAny(s, " ,;\t") {
			return cli.Usagef("user %q: want a UPN such as alice@contoso.com", s)
		}
		if k := strings.ToLower(s); !seen[k] {
			if len(out) == maxUsers {
				return cli.Usagef("signin: more than %d users; at most %d per run", maxUsers, maxUsers)
			}
			seen[k] = true
			out = append(out, s)
		}
		return nil
	}
	for _, v := range u.Users {
		for s := range strings.SplitSeq(v, ",") {
			if err := add(s); err != nil {
				return nil, err
			}
		}
	}
	if u.File != "" {
		data, err := cli.ReadFile(ctx, u.File, maxUsersFile)
		if err != nil {
			return nil, cli.Usagef("--users-file %v", err)
		}
		named := 0
		for line := range bytes.Lines(data) {
			line = bytes.TrimSpace(line)
			if len(line) == 0 || line[0] == '#' {
				continue
			}
			named++
			if err := add(string(line)); err != nil {
				return nil, err
			}
		}
		if named == 0 {
			// A file that names nobody is an input error everywhere: in
			// fixture mode it must not fall back to the fixture's users.
			return nil, cli.Usagef("--users-file %s: no user in the file (only blank lines and # comments): want one UPN per line", u.File)
		}
	}
	if len(u.Users) > 0 && strings.TrimSpace(strings.ReplaceAll(strings.Join(u.Users, ""), ",", "")) == "" {
		return nil, cli.Usagef("--user: no UPN given (want --user alice@contoso.com)")
	}
	return out, nil
}
