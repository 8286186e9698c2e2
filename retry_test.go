package main

import (
	"bytes"
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ptacheck/ptacheck/checks/hostfacts"
	"github.com/ptacheck/ptacheck/fixtures"
)

func fixtureHost(t *testing.T, name string) *hostfacts.Snapshot {
	t.Helper()
	sc, err := fixtures.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := hostfacts.Parse(sc.Host)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A connector that goes away while the gate waits: --retry-timeout reads the
// live host again each attempt and passes once it is gone; one that stays
// fails when the time is up.
func TestRetryUntilPass(t *testing.T) {
	bad, good := fixtureHost(t, "app-proxy-present"), fixtureHost(t, "healthy")
	for _, tc := range []struct {
		name     string
		fixedAt  int64 // the host read at which the connector is gone (0: never)
		timeout  string
		code     int
		attempts string
	}{
		{"fixed on the third read", 3, "20s", 0, `"attempts": 3`},
		{"never fixed", 0, "1s", 1, `"attempts": `},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var reads atomic.Int64
			newHost := func() hostfacts.Source {
				n := reads.Add(1)
				if tc.fixedAt > 0 && n >= tc.fixedAt {
					return hostfacts.Static{S: good}
				}
				return hostfacts.Static{S: bad}
			}
			sys := testSystem()
			sys.Host, sys.NewHost = newHost(), newHost
			var out, errb bytes.Buffer
			code := runMain(context.Background(), []string{"install", "--only", "host.app-proxy-connector", "--retry-timeout", tc.timeout, "--sleep", "200ms", "-o", "json"}, &out, &errb, sys)
			if code != tc.code || !strings.Contains(out.String(), tc.attempts) {
				t.Fatalf("exit %d (want %d), report:\n%s\nstderr:\n%s", code, tc.code, out.String(), errb.String())
			}
			if !strings.Contains(errb.String(), "attempt 1: 1 check not passing (host.app-proxy-connector)") {
				t.Errorf("no progress on stderr:\n%s", errb.String())
			}
			if tc.code != 0 && !strings.Contains(errb.String(), "--retry-timeout 1s reached") {
				t.Errorf("stderr does not say the time ran out:\n%s", errb.String())
			}
		})
	}
	r := runCLI(t, "install", "--fixture", "healthy", "--retry-timeout", "5s", "--sleep", "5s")
	if r.code != 2 || !strings.Contains(r.stderr, "--sleep") {
		t.Errorf("--sleep >= --retry-timeout: exit %d %s", r.code, r.stderr)
	}
}
