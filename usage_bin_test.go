//go:build !windows

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A mistyped name is one line on stderr naming the nearest valid one, exit
// 2, from the real process.
func TestSuggestions(t *testing.T) {
	bin := builtBinary(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.json")
	os.WriteFile(cfg, []byte(`{"fixtur": "healthy"}`), 0o600)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"instal"}, `unknown command "instal": did you mean install?`},
		{[]string{"-v", "regsiter"}, `unknown command "regsiter": did you mean register?`},
		{[]string{"help", "explian"}, `help: unknown command "explian": did you mean explain?`},
		{[]string{"install", "--fixtrue", "healthy"}, "install: unknown flag --fixtrue: did you mean --fixture? (run 'ptacheck install --help')"},
		{[]string{"install", "-fixture", "healthy"}, "unknown flag -fixture: did you mean --fixture?"},
		{[]string{"enable", "--upn-sufix", "x"}, "unknown flag --upn-sufix: did you mean --upn-suffix? (a flag of install, register or collect;"},
		{[]string{"install", "--only", "host.oss"}, `--only: unknown check ID "host.oss": did you mean host.os?`},
		{[]string{"install", "--skip", "outbound-ports"}, `--skip: unknown check ID "outbound-ports": did you mean net.outbound-ports?`},
		{[]string{"install", "--ignore-failures", "tenant.activ-agents"}, `did you mean tenant.active-agents?`},
		{[]string{"install", "--fixture", "helthy"}, `unknown fixture "helthy": did you mean healthy?`},
		{[]string{"install", "--config", cfg}, `unknown setting "fixtur": did you mean fixture?`},
		{[]string{"install", "--cloud", "pubilc"}, `--cloud "pubilc": did you mean public? (want public or usgov)`},
		{[]string{"install", "-o", "jsno"}, `unknown output format "jsno": did you mean json?`},
		{[]string{"install", "--report-file", filepath.Join(dir, "r"), "--report-format", "juint"}, `did you mean junit?`},
		{[]string{"security-query", "--format", "xpth"}, `--format "xpth": did you mean xpath? (want xml or xpath)`},
		{[]string{"collect", "--out", filepath.Join(dir, "b.zip"), "--phase", "instal"}, `--phase "instal": did you mean install?`},
		{[]string{"install", "--ldap-security", "ldap"}, `--ldap-security "ldap": did you mean ldaps?`},
		// Nothing near: the list of what is valid, no guess.
		{[]string{"frobnicate"}, `unknown command "frobnicate" (want install, register`},
		{[]string{"install", "--cloud", "mars"}, `--cloud "mars": want public or usgov`},
	} {
		code, stdout, stderr, _ := runBuilt(t, bin, tc.args...)
		if code != 2 || stdout != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
		if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "ptacheck: ") {
			t.Errorf("%q: want one 'ptacheck: ' line, got %q", tc.args, stderr)
		}
	}
}

// ptacheck alone lists the commands, one line each, on stderr: still a
// usage error for a script (exit 2), never a report on stdout.
func TestNoCommandListsTheCommands(t *testing.T) {
	cmd := exec.Command(builtBinary(t))
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Run()
	code, stdout, stderr := cmd.ProcessState.ExitCode(), out.String(), errb.String()
	if code != 2 || stdout != "" {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
	for _, c := range commands {
		if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(c.Name) + ` +` + regexp.QuoteMeta(c.summary) + `$`).MatchString(stderr) {
			t.Errorf("no line for %s:\n%s", c.Name, stderr)
		}
	}
}

// explain takes what logs prints: a negative Reason is a code; it explains
// every code it can and names the rest, exit 2 at the end.
func TestExplainTakesWhatLogsPrints(t *testing.T) {
	bin := builtBinary(t)
	code, stdout, stderr, _ := runBuilt(t, bin, "explain", "-2146892994")
	if code != 0 || !strings.Contains(stdout, "SEC_E_SMARTCARD_LOGON_REQUIRED") || stderr != "" {
		t.Errorf("explain -2146892994: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr, _ = runBuilt(t, bin, "explain", "-o", "json", "foo", "1326", "-2146892994", "AADSTS99999")
	if code != 2 || !strings.Contains(stdout, `"symbol": "ERROR_LOGON_FAILURE"`) || !strings.Contains(stdout, `"code": "-2146892994"`) {
		t.Errorf("explain foo 1326 ...: exit %d\n%s", code, stdout)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"foo": not an error code`) ||
		!strings.Contains(lines[1], "AADSTS99999: unknown code") || !strings.Contains(lines[1], "https://login.microsoftonline.com/error?code=99999") {
		t.Errorf("stderr names the bad inputs, one line each, in order:\n%s", stderr)
	}
	// The text names its sources in words, not the reference's shorthands.
	_, stdout, _, _ = runBuilt(t, bin, "explain", "AADSTS80001", "1330", "0xC000006D", "1")
	for _, bad := range []string{"TS (", "REF", "ITPRO", "WIN32 ", "strong-derived", "UNOFFICIAL", "unverified:"} {
		if strings.Contains(stdout, bad) {
			t.Errorf("explain shows %q:\n%s", bad, stdout)
		}
	}
	if !strings.Contains(stdout, "likely: the texts match") || !strings.Contains(stdout, "learn.microsoft.com/") {
		t.Errorf("explain text:\n%s", stdout)
	}
}
