package main

import (
	"strings"
	"testing"
)

func TestDefaultsFromEnvironmentAndConfig(t *testing.T) {
	cfg := writeTemp(t, `{"fixture": "ports-blocked", "ignore-failures": ["net.outbound-ports"], "probe-timeout": "500ms", "endpoints": true, "strict": false}`)
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		code int
		want []string // in stderr (-v) or stdout
	}{
		{"fixture from the environment", map[string]string{"PTACHECK_FIXTURE": "healthy"}, []string{"install", "-v"}, 0,
			[]string{"--fixture from PTACHECK_FIXTURE", `fixture "healthy"`}},
		{"a flag wins over the environment", map[string]string{"PTACHECK_FIXTURE": "healthy"}, []string{"install", "--fixture", "ports-blocked"}, 1,
			[]string{`fixture "ports-blocked"`}},
		{"config file: fixture and ignore list", nil, []string{"install", "--config", cfg, "-v"}, 0,
			[]string{"--fixture from " + cfg, "--ignore-failures from " + cfg, "WARN   net.outbound-ports"}},
		{"config through PTACHECK_CONFIG", map[string]string{"PTACHECK_CONFIG": cfg}, []string{"install"}, 0, []string{`fixture "ports-blocked"`}},
		{"the environment wins over the file", map[string]string{"PTACHECK_CONFIG": cfg, "PTACHECK_FIXTURE": "healthy"}, []string{"install"}, 0, []string{`fixture "healthy"`}},
		{"a list flag from the environment", map[string]string{"PTACHECK_SKIP": "net.outbound-ports,net.tls-inspection"}, []string{"install", "--fixture", "ports-blocked"}, 0,
			[]string{"skipped by --skip"}},
		{"another command's settings are ignored", nil, []string{"list", "--config", cfg}, 0, []string{"msappproxy.net"}},
		// explain, fixtures and version read no config file: nothing of theirs is worth a setting.
		{"explain reads no config file", map[string]string{"PTACHECK_CONFIG": "/nonexistent/ptacheck.json"}, []string{"explain", "1326"}, 0, []string{"ERROR_LOGON_FAILURE"}},
		{"a bad value in the environment", map[string]string{"PTACHECK_PROBE_TIMEOUT": "soon"}, []string{"install", "--fixture", "healthy"}, 2,
			[]string{`PTACHECK_PROBE_TIMEOUT="soon"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"PTACHECK_FIXTURE", "PTACHECK_CONFIG", "PTACHECK_SKIP", "PTACHECK_PROBE_TIMEOUT"} {
				t.Setenv(k, tc.env[k])
			}
			r := runCLI(t, tc.args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stdout+r.stderr, w) {
					t.Errorf("output lacks %q:\n%s\n%s", w, r.stdout, r.stderr)
				}
			}
		})
	}
}

func TestConfigFileErrors(t *testing.T) {
	for _, tc := range []struct{ content, want string }{
		{`{"tenant": "x"}`, `unknown setting "tenant"`},
		{`{"probe-timeout": "soon"}`, `"probe-timeout"`},
		{`{"probe-timeout": {"a": 1}}`, "want a string, number or boolean"},
		{`{"fixture": "healthy", "fixture": "ports-blocked"}`, "duplicate"},
		{`["fixture"]`, "want a JSON object"},
		{`{"config": "other.json"}`, "cannot name another config file"},
	} {
		r := runCLI(t, "install", "--config", writeTemp(t, tc.content))
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s: exit %d %q; want 2 and %q", tc.content, r.code, r.stderr, tc.want)
		}
	}
	if r := runCLI(t, "install", "--config", "/nonexistent/ptacheck.json"); r.code != 2 || !strings.Contains(r.stderr, "--config") {
		t.Errorf("missing file: exit %d %q", r.code, r.stderr)
	}
}
