//go:build !windows

package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/ptacheck/ptacheck/checks/checkstest"
	"github.com/ptacheck/ptacheck/checks/tracelog/tracelogtest"
	"github.com/ptacheck/ptacheck/fixtures"
	"golang.org/x/sys/unix"
)

// tree lists every path under the roots (relative, with the root's index).
func tree(t *testing.T, roots ...string) []string {
	t.Helper()
	var out []string
	for i, root := range roots {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && p != root {
				rel, _ := filepath.Rel(root, p)
				out = append(out, string(rune('0'+i))+":"+rel)
			}
			return nil
		})
	}
	sort.Strings(out)
	return out
}

// The tool is read-only: every command of the built binary, pointed at a
// tenant and a DC that record what they are asked, sends only reads (Graph
// GETs and sign-in token requests; LDAP binds, searches, StartTLS,
// unbinds), and leaves its working folder, HOME and TMPDIR as it found them
// apart from the report and bundle files it was asked to write.
func TestReadOnlyEverywhere(t *testing.T) {
	bin := builtBinary(t)
	sc, err := fixtures.Load("healthy")
	if err != nil {
		t.Fatal(err)
	}
	rt := checkstest.StartTenant(t, "healthy", nil)
	spec := *sc.Directory
	spec.RequireTLSBind = false // plain LDAP: this DC has no certificate
	dc, err := fixtures.StartDirectory(context.Background(), &spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dc.Close)

	inputs := t.TempDir() // what the commands read
	write := func(name, content string) string {
		p := filepath.Join(inputs, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	snap := write("host.json", string(sc.Host))
	ca := write("ca.pem", string(rt.CAPEM))
	token := write("token", rt.Token)
	pw := write("ldap-pw", "fixture-password")
	logs := filepath.Join(inputs, "trace")
	os.Mkdir(logs, 0o755)
	f, _ := os.Create(filepath.Join(logs, "AzureADConnectAuthenticationAgent_trace.log"))
	tracelogtest.Generate(f, tracelogtest.Config{Size: 256 << 10, Seed: 5})
	f.Close()
	reports := filepath.Join(inputs, "reports")
	os.Mkdir(reports, 0o755)

	// The settings the commands share come from a config file: each
	// command takes those it has flags for.
	config, _ := json.Marshal(map[string]any{"host-snapshot": snap, "dns-server": nxdomainDNS(t), "probe-timeout": "300ms",
		"graph-url": rt.GraphURL, "login-url": rt.LoginURL, "token-file": token, "ca-file": ca, "tenant-id": rt.TenantID,
		"admin-upn": "admin@contoso.onmicrosoft.com",
		"dc":        dc.LDAPAddr, "domain": "corp.contoso.test", "ldap-security": "plain", "ldap-user": "svc@corp.contoso.test", "ldap-password-file": pw})
	common := []string{"--config", write("config.json", string(config))}
	work, home, tmp := t.TempDir(), t.TempDir(), t.TempDir()
	before := tree(t, work, home, tmp)
	for _, tc := range []struct {
		args   []string
		output string // the one file the command was asked to write (in work)
	}{
		{append([]string{"install", "--report-file", "install.json", "-o", "json"}, common...), "install.json"},
		{append([]string{"register"}, common...), ""},
		{append([]string{"enable"}, common...), ""},
		{append([]string{"uninstall", "-o", "json", "--report-file", filepath.Join(reports, "u.json")}, common...), ""},
		{append([]string{"operate", "--logs", logs, "-o", "prometheus"}, common...), ""},
		{append([]string{"signin", "--user", "alice@contoso.com", "--user", "bob@contoso.com"}, common...), ""},
		{append([]string{"collect", "--out", "bundle.zip", "--phase", "all", "--logs", logs}, common...), "bundle.zip"},
		{[]string{"explain", "1326", "AADSTS80001"}, ""},
		{[]string{"logs", logs}, ""},
		{[]string{"dc-query"}, ""},
		{[]string{"list", "--endpoints"}, ""},
		{[]string{"fixtures"}, ""},
		{[]string{"version"}, ""},
		{[]string{"summarize", reports}, ""},
		{[]string{"install", "--fixture", "healthy"}, ""},
	} {
		cmd := exec.Command(bin, tc.args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "HOME="+home, "TMPDIR="+tmp, "XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
		out, err := cmd.CombinedOutput()
		if os.Getenv("PTACHECK_SHOW") != "" {
			t.Logf("%s", out)
		}
		if code := cmd.ProcessState.ExitCode(); code == 2 || code < 0 {
			t.Fatalf("%s: exit %d (%v): %s", tc.args[0], code, err, out)
		}
		want := append([]string{}, before...)
		if tc.output != "" {
			want = append(want, "0:"+tc.output)
			sort.Strings(want)
		}
		if got := tree(t, work, home, tmp); !slices.Equal(got, want) {
			t.Errorf("%s changed the file system: %v, want %v", tc.args[0], got, want)
		}
		if tc.output != "" {
			os.Remove(filepath.Join(work, tc.output))
		}
	}
	// The servers saw the run, and only reads.
	var graphGets, tokens int
	for _, q := range rt.Requests() {
		switch {
		case q.Server == "graph" && q.Method == "GET":
			graphGets++
		case q.Server == "login":
			tokens++
		}
	}
	if graphGets == 0 {
		t.Errorf("the tenant saw no Graph read: the test proves nothing about the tenant")
	}
	if v := rt.Violations(); len(v) > 0 {
		t.Errorf("requests that are not reads: %+v", v)
	}
	ops := map[string]int{}
	for _, q := range dc.Requests() {
		ops[q.Op]++
	}
	if ops["search"] == 0 || ops["bind"] == 0 {
		t.Errorf("the DC saw %v: the test proves nothing about the directory", ops)
	}
	for op := range ops {
		if !slices.Contains([]string{"bind", "search", "starttls", "unbind", "abandon"}, op) {
			t.Errorf("LDAP operation %q (%d times): ptacheck sends only binds, searches, StartTLS and unbinds", op, ops[op])
		}
	}
	t.Logf("tenant: %d Graph reads, %d sign-in requests; DC: %v", graphGets, tokens, ops)
}

// streamTarget is an output path that is not a regular file, and what
// reads it.
type streamTarget struct {
	name string
	// setup makes the target in dir; read returns what its reader got
	// (nil: nothing can be read back, a device).
	setup func(t *testing.T, dir string) (path string, extra []*os.File, read func() []byte)
}

// streamTargets: a private null device (mknod, as root; never the real
// /dev/null), a FIFO and a symlink to it, a pipe named /dev/fd/3 (what
// bash's >(cat) is), a symlink to /proc/self/fd/3 (what /dev/stdout is),
// and a Unix socket.
func streamTargets() []streamTarget {
	fifo := func(t *testing.T, dir string, link bool) (string, []*os.File, func() []byte) {
		p := filepath.Join(dir, "fifo")
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
		got := make(chan []byte, 1)
		go func(p string) { // its own copy: p changes below (a data race otherwise)
			data, _ := os.ReadFile(p) // opens when the writer does
			got <- data
		}(p)
		if link {
			os.Symlink(p, filepath.Join(dir, "link"))
			p = filepath.Join(dir, "link")
		}
		return p, nil, func() []byte { return receiveBytes(t, got) }
	}
	pipe := func(t *testing.T, dir string, link bool) (string, []*os.File, func() []byte) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan []byte, 1)
		go func() {
			data, _ := io.ReadAll(r)
			r.Close()
			got <- data
		}()
		p := "/dev/fd/3"
		if link {
			p = filepath.Join(dir, "stdout")
			os.Symlink("/proc/self/fd/3", p)
		}
		return p, []*os.File{w}, func() []byte {
			w.Close() // the child's copy is closed when it exits
			return receiveBytes(t, got)
		}
	}
	return []streamTarget{
		{"device node", func(t *testing.T, dir string) (string, []*os.File, func() []byte) {
			if os.Geteuid() != 0 {
				t.Skip("mknod needs root")
			}
			p := filepath.Join(dir, "null")
			if err := syscall.Mknod(p, syscall.S_IFCHR|0o666, int(unix.Mkdev(1, 3))); err != nil {
				t.Fatal(err)
			}
			return p, nil, nil
		}},
		{"FIFO", func(t *testing.T, dir string) (string, []*os.File, func() []byte) { return fifo(t, dir, false) }},
		{"symlink to a FIFO", func(t *testing.T, dir string) (string, []*os.File, func() []byte) { return fifo(t, dir, true) }},
		{"pipe /dev/fd/3", func(t *testing.T, dir string) (string, []*os.File, func() []byte) { return pipe(t, dir, false) }},
		{"symlink to /proc/self/fd/3", func(t *testing.T, dir string) (string, []*os.File, func() []byte) { return pipe(t, dir, true) }},
		{"Unix socket", func(t *testing.T, dir string) (string, []*os.File, func() []byte) {
			p := filepath.Join(dir, "sock")
			l, err := net.ListenUnix("unix", &net.UnixAddr{Name: p, Net: "unix"})
			if err != nil {
				t.Fatal(err)
			}
			l.SetUnlinkOnClose(false) // the folder must look as before
			got := make(chan []byte, 1)
			go func() {
				defer l.Close()
				c, err := l.Accept()
				if err != nil {
					got <- nil
					return
				}
				data, _ := io.ReadAll(c)
				got <- data
			}()
			return p, nil, func() []byte { return receiveBytes(t, got) }
		}},
	}
}

func receiveBytes(t *testing.T, got <-chan []byte) []byte {
	t.Helper()
	select {
	case data := <-got:
		return data
	case <-time.After(10 * time.Second):
		t.Error("the reader got nothing within 10 s")
		return nil
	}
}

// fileKinds records each entry of dir with its type and device number, to
// see that a run replaced or added nothing.
func fileKinds(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		fi, err := os.Lstat(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %v %d", e.Name(), fi.Mode(), fi.Sys().(*syscall.Stat_t).Rdev))
	}
	return out
}

// --report-file and collect's --out onto something that is not a regular
// file write through it: the device stays a device (as root a rename
// would replace it), a FIFO's or a pipe's reader gets the whole report or
// bundle, and nothing is created next to it. Time and peak RSS measured.
func TestOutputOntoDevicesAndPipes(t *testing.T) {
	bin := builtBinary(t)
	for _, target := range streamTargets() {
		for _, out := range []struct {
			name  string
			args  []string
			check func(t *testing.T, data []byte)
		}{
			{"--report-file", []string{"install", "--fixture", "healthy", "-o", "text", "--report-format", "json", "--report-file"}, func(t *testing.T, data []byte) {
				if j := parseJSON(t, string(data)); j.Verdict != "ready" || len(j.Checks) == 0 {
					t.Errorf("the reader got %+v", j)
				}
			}},
			{"collect --out", []string{"collect", "--fixture", "healthy", "--out"}, func(t *testing.T, data []byte) {
				zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
				if err != nil || len(zr.File) < 5 {
					t.Errorf("the reader got no bundle (%d bytes): %v", len(data), err)
				}
			}},
		} {
			t.Run(target.name+"/"+out.name, func(t *testing.T) {
				dir := t.TempDir()
				path, extra, read := target.setup(t, dir)
				before := fileKinds(t, dir)
				cmd := exec.Command(bin, append(append([]string{}, out.args...), path)...)
				cmd.ExtraFiles = extra
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				guard := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
				defer guard.Stop()
				start := time.Now()
				cmd.Run()
				took := time.Since(start)
				rss := assertChildRSS(t, out.name, cmd.ProcessState)
				t.Logf("exit %d in %s, peak RSS %.1f MB", cmd.ProcessState.ExitCode(), took.Round(time.Millisecond), rss)
				if code := cmd.ProcessState.ExitCode(); code != 0 {
					t.Fatalf("exit %d: %s", code, stderr.String())
				}
				if took > 10*time.Second {
					t.Errorf("took %s", took)
				}
				if read != nil {
					out.check(t, read())
				}
				if after := fileKinds(t, dir); !slices.Equal(after, before) {
					t.Errorf("the folder changed: %v, was %v", after, before)
				}
			})
		}
	}
	// bash's >(cat): the real thing, once per output.
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	for _, out := range []struct{ flag, cmd string }{{"--report-file", "install --fixture healthy -o json --report-file"}, {"--out", "collect --fixture healthy --out"}} {
		dir := t.TempDir()
		got := filepath.Join(dir, "got")
		script := fmt.Sprintf(`%s %s >(cat > %s) >/dev/null 2>&1; code=$?; wait; exit $code`, bin, out.cmd, got)
		if err := exec.Command("bash", "-c", script).Run(); err != nil {
			t.Errorf("%s >(cat): %v", out.flag, err)
			continue
		}
		if st, err := os.Stat(got); err != nil || st.Size() < 1000 {
			t.Errorf("%s >(cat): cat got nothing: %v", out.flag, err)
		}
	}
}
