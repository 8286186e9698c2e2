package tracelog

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// failureRecord is a documented failure record; at == "" leaves out DateTime.
func failureRecord(rid string, reason int, at string) string {
	s := fmt.Sprintf("AzureADConnectAuthenticationAgentService.exe Error: 0 : Passthrough Authentication request failed. RequestId: '%s'. Reason: '%d'.\r\n    ThreadId=5\r\n", rid, reason)
	if at != "" {
		s += "    DateTime=" + at + "\r\n"
	}
	return s
}

func infoRecord(msg, at string) string {
	return "AzureADConnectAuthenticationAgentService.exe Information: 0 : " + msg + "\r\n    ThreadId=3\r\n    DateTime=" + at + "\r\n"
}

func rid(n int) string { return fmt.Sprintf("00000000-0000-0000-0000-%012d", n) }

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// filterLog has failures at known times, one without a time.
var filterLog = failureRecord(rid(1), 1326, "2024-03-01T10:00:00.0000000Z") +
	infoRecord("Bootstrap completed.", "2024-03-01T10:30:00.0000000Z") +
	failureRecord(rid(2), 1326, "2024-03-01T11:00:00.0000000Z") +
	failureRecord(rid(3), 1331, "2024-03-01T12:00:00.0000000Z") +
	failureRecord(rid(4), 1331, "") +
	failureRecord(strings.ToUpper("abcdef00-0000-0000-0000-000000000005"), 1909, "2024-03-01T13:00:00.0000000Z")

func TestAnalyzeFilters(t *testing.T) {
	path := writeFile(t, filepath.Join(t.TempDir(), "trace.log"), filterLog)
	at := func(h int) time.Time { return time.Date(2024, 3, 1, h, 0, 0, 0, time.UTC) }
	type reason struct {
		code, count int
		first, last time.Time
		ids         []string
	}
	for _, tc := range []struct {
		name              string
		f                 Filter
		failures, untimed int
		reasons           []reason
	}{
		{"none", Filter{}, 5, 1, []reason{
			{1326, 2, at(10), at(11), []string{rid(1), rid(2)}},
			{1331, 2, at(12), at(12), []string{rid(3), rid(4)}}, // the untimed one counts, without a time
			{1909, 1, at(13), at(13), []string{"ABCDEF00-0000-0000-0000-000000000005"}},
		}},
		{"since is inclusive, untimed left out", Filter{Since: at(11)}, 3, 1, []reason{
			{1326, 1, at(11), at(11), []string{rid(2)}},
			{1331, 1, at(12), at(12), []string{rid(3)}},
			{1909, 1, at(13), at(13), []string{"ABCDEF00-0000-0000-0000-000000000005"}},
		}},
		{"until is exclusive", Filter{Until: at(12)}, 2, 1, []reason{{1326, 2, at(10), at(11), []string{rid(1), rid(2)}}}},
		{"window", Filter{Since: at(11), Until: at(12).Add(time.Nanosecond)}, 2, 1, []reason{
			{1326, 1, at(11), at(11), []string{rid(2)}},
			{1331, 1, at(12), at(12), []string{rid(3)}},
		}},
		{"empty window", Filter{Since: at(14)}, 0, 1, nil},
		{"request id, any case", Filter{RequestID: "abcdef00-0000-0000-0000-000000000005"}, 1, 0, []reason{
			{1909, 1, at(13), at(13), []string{"ABCDEF00-0000-0000-0000-000000000005"}},
		}},
		{"request id of an untimed failure", Filter{RequestID: rid(4)}, 1, 1, []reason{{1331, 1, time.Time{}, time.Time{}, []string{rid(4)}}}},
		{"request id of an untimed failure, time bound", Filter{RequestID: rid(4), Since: at(0)}, 0, 1, nil},
		{"unknown request id", Filter{RequestID: "nope"}, 0, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Analyze(t.Context(), []string{path}, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			// Records are counted whatever the filter.
			if s.Records != 6 || s.Failures != tc.failures || s.Untimed != tc.untimed || s.Files[0].Failures != tc.failures || s.Filter != tc.f {
				t.Fatalf("records %d failures %d (file %d) untimed %d", s.Records, s.Failures, s.Files[0].Failures, s.Untimed)
			}
			var got []reason
			for _, r := range s.Reasons {
				got = append(got, reason{r.Code, r.Count, r.First, r.Last, r.RequestIDs})
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.reasons) {
				t.Fatalf("reasons\n got %v\nwant %v", got, tc.reasons)
			}
		})
	}
}

func TestRecentFailures(t *testing.T) {
	path := writeFile(t, filepath.Join(t.TempDir(), "trace.log"), filterLog)
	now := time.Date(2024, 3, 1, 13, 30, 0, 0, time.UTC)
	s, err := RecentFailures(t.Context(), []string{path}, now, 3*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if s.Failures != 3 || s.Untimed != 1 || !s.Filter.Since.Equal(now.Add(-3*time.Hour)) || !s.Filter.Until.Equal(now) {
		t.Fatalf("3 h window: %d failures, %d untimed, filter %+v", s.Failures, s.Untimed, s.Filter)
	}
	s, err = RecentFailures(t.Context(), []string{path}, now, 0)
	if err != nil || s.Failures != 4 || s.Filter.Since != now.Add(-DefaultRecentWindow) {
		t.Fatalf("default window: %+v, %v", s, err)
	}
	s, err = RecentFailures(t.Context(), []string{path}, now.AddDate(0, 0, 2), 0)
	if err != nil || s.Failures != 0 || s.Untimed != 1 {
		t.Fatalf("two days later: %+v, %v", s, err)
	}
}

func TestAnalyzeFolder(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.log"), failureRecord(rid(1), 1326, "2024-01-01T00:00:00.0000000Z"))
	writeFile(t, filepath.Join(dir, "b.txt"), "some preamble\n"+failureRecord(rid(2), 1331, "")) // a log under another name
	writeFile(t, filepath.Join(dir, "c.txt"), "just notes: Error: 0 : not a header\n")
	writeFile(t, filepath.Join(dir, "d.bin"), "\x00\x01"+failureRecord(rid(9), 1, ""))
	writeFile(t, filepath.Join(dir, "sub", "e.LOG"), failureRecord(rid(3), 1909, ""))
	writeFile(t, filepath.Join(dir, "sub", "deeper", "f.log"), failureRecord(rid(4), 1909, ""))
	writeFile(t, filepath.Join(dir, "sub", "empty.log"), "")
	writeFile(t, filepath.Join(dir, "sub", "AzureADConnectAuthenticationAgent_6f9619ff-8b86-d011-b42d-00c04fc964ff.log"), "") // an agent's name: read
	// What `logs /tmp` met: a Samba log, a Python build log, a Go test file
	// quoting a record (past the first KiB).
	writeFile(t, filepath.Join(dir, "samba", "log.smbd"), "[2026/11/24 08:00:00.123456,  0] ../../source3/smbd/server.c:1734(main)\n  smbd version 4.19.5 started.\n")
	writeFile(t, filepath.Join(dir, "build.log"), "Collecting setuptools\nERROR: 0 : pip failed\nbuild Error: 0 : compiler exited\n")
	writeFile(t, filepath.Join(dir, "x_test.go"), "package x\n\n"+strings.Repeat("// filler\n", 120)+"AzureADConnectAuthenticationAgentService.exe Error: 0 : x\n")
	writeZip(t, filepath.Join(dir, "logs.zip"), []zipEntry{{name: "Trace/g.log", data: failureRecord(rid(5), 1326, "")}})
	if err := os.Symlink(filepath.Join(dir, "a.log"), filepath.Join(dir, "link.log")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "sub"), filepath.Join(dir, "linkdir")); err != nil {
		t.Fatal(err)
	}
	s, err := Analyze(t.Context(), []string{dir}, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a.log", "b.txt", "logs.zip!/Trace/g.log", "sub/AzureADConnectAuthenticationAgent_6f9619ff-8b86-d011-b42d-00c04fc964ff.log", "sub/deeper/f.log", "sub/e.LOG"}
	if got := paths(s, dir); !slices.Equal(got, want) {
		t.Fatalf("files %v\nwant  %v", got, want)
	}
	if s.Ignored != 8 || s.Records != 5 || s.Failures != 5 || s.Orphans != 1 {
		t.Fatalf("ignored %d (c.txt, d.bin, two links, empty.log, log.smbd, build.log, x_test.go), records %d, failures %d, orphans %d", s.Ignored, s.Records, s.Failures, s.Orphans)
	}
	rel := func(ps []string) []string {
		var out []string
		for _, p := range ps {
			r, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(r))
		}
		return out
	}
	if got, want := rel(s.Passed), []string{"build.log", "c.txt", "d.bin", "link.log", "linkdir", "samba/log.smbd", "sub/empty.log", "x_test.go"}; !slices.Equal(got, want) {
		t.Fatalf("passed %v\nwant   %v", got, want)
	}
	if s.Reasons[0].Code != 1326 || !slices.Equal(s.Reasons[0].RequestIDs, []string{rid(1), rid(5)}) {
		t.Fatalf("request ids in walk order: %+v", s.Reasons)
	}
	// Explicit files are read whatever their name and content.
	s, err = Analyze(t.Context(), []string{filepath.Join(dir, "c.txt"), filepath.Join(dir, "a.log")}, Filter{})
	if err != nil || len(s.Files) != 2 || s.Files[0].Records != 0 || s.Orphans != 1 || s.Failures != 1 {
		t.Fatalf("explicit files: %+v, %v", s, err)
	}
	// The folder walk stops at MaxFiles, and says so.
	s, err = AnalyzeWith(t.Context(), []string{dir}, Filter{}, Options{MaxFiles: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := paths(s, dir); !slices.Equal(got, []string{"a.log", "b.txt", "."}) || !strings.Contains(s.Files[len(s.Files)-1].Skipped, "stopped after 2 files") {
		t.Fatalf("MaxFiles: %+v", s.Files)
	}
}

func paths(s *Summary, dir string) []string {
	var out []string
	for _, f := range s.Files {
		p, err := filepath.Rel(dir, f.Path)
		if err != nil {
			p = f.Path
		}
		out = append(out, filepath.ToSlash(p))
	}
	return out
}

func TestAnalyzeInputErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := Analyze(t.Context(), []string{filepath.Join(dir, "missing.log")}, Filter{})
	if !errors.Is(err, os.ErrNotExist) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("missing input: %v", err)
	}
	if _, err := Analyze(t.Context(), []string{"/dev/null"}, Filter{}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("device: %v", err)
	}
	s, err := Analyze(t.Context(), nil, Filter{})
	if err != nil || len(s.Files) != 0 || s.Records != 0 {
		t.Fatalf("no inputs: %+v, %v", s, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	path := writeFile(t, filepath.Join(dir, "a.log"), documented)
	if _, err := Analyze(ctx, []string{path}, Filter{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

// TestAnalyzeSplitFile checks the realignment at range boundaries against
// the sequential parser on a file full of quirks, for every split size
// from tiny to whole, and that the parts of one file merge into one entry.
func TestAnalyzeSplitFile(t *testing.T) {
	var b strings.Builder
	b.WriteString("    DateTime=2016-11-30T21:13:29.5003217Z\n    ThreadId=4\n") // orphans
	for i := 0; i < 60; i++ {
		at := fmt.Sprintf("2024-01-01T00:%02d:00.0000000Z", i)
		switch i % 6 {
		case 0:
			b.WriteString(failureRecord(rid(i), 1326+i%3, at))
		case 1:
			b.WriteString(strings.ReplaceAll(failureRecord(rid(i), -2146892994, at), "\r\n", "\n"))
		case 2:
			b.WriteString("\t" + strings.ReplaceAll(failureRecord(rid(i), 1909, ""), "\r\n", "\r\n\t"))
		case 3:
			b.WriteString(infoRecord(strings.Repeat("long ", 30), at))
		case 4:
			b.WriteString("A.exe Error: 0 : boom\n   at X()\n   at Y()\n" + strings.Repeat("q", 250) + "\n DateTime=" + at + "\n")
		case 5:
			b.WriteString("A.exe Warning: 0 : Bootstrap request failed; retrying.\n")
		}
	}
	b.WriteString(failureRecord(rid(99), 1331, "")[:140]) // cut in the header
	data := b.String()
	path := writeFile(t, filepath.Join(t.TempDir(), "trace.log"), data)

	opts := Options{MaxLineBytes: 200} // the failure lines fit, the 'q' lines do not
	var want Stats
	wantReasons := map[int]int{}
	if _, err := Parse(strings.NewReader(data), opts, func(r Record) error {
		if r.Failure {
			wantReasons[r.Reason]++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want, _ = Parse(strings.NewReader(data), opts, func(Record) error { return nil })
	var first *Summary
	for _, split := range []int64{1, 2, 3, 7, 50, 99, 100, 101, 333, 1000, int64(len(data)) - 1, int64(len(data)), 1 << 30} {
		for _, workers := range []int{1, 3} {
			o := opts
			o.splitBytes, o.Workers = split, workers
			s, err := AnalyzeWith(t.Context(), []string{path}, Filter{}, o)
			if err != nil {
				t.Fatal(err)
			}
			got := map[int]int{}
			for _, r := range s.Reasons {
				got[r.Code] = r.Count
			}
			if s.Records != want.Records || s.Failures != want.Failures || s.Untimed != want.Untimed || s.Unparsed != want.Unparsed ||
				s.Orphans != want.Orphans || s.LongLines != want.LongLines || fmt.Sprint(got) != fmt.Sprint(wantReasons) {
				t.Fatalf("split %d workers %d: %+v\nwant %+v %v", split, workers, s, want, wantReasons)
			}
			if len(s.Files) != 1 || s.Files[0].Bytes != int64(len(data)) || s.Bytes != int64(len(data)) || s.Files[0].Records != want.Records {
				t.Fatalf("split %d: files %+v", split, s.Files)
			}
			if first == nil {
				first = s
			} else if fmt.Sprintf("%+v", s) != fmt.Sprintf("%+v", first) {
				t.Fatalf("split %d workers %d: summary differs\n%+v\n%+v", split, workers, s, first)
			}
		}
	}
	if want.Records != 61 || want.Orphans != 2 || want.LongLines != 20 || want.Unparsed != 11 {
		t.Fatalf("the test input is not what it says: %+v", want)
	}
}

type zipEntry struct {
	name   string
	data   string
	method uint16
	raw    *zip.FileHeader // written with CreateRaw: data is already compressed
}

func writeZip(t *testing.T, path string, entries []zipEntry) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		var w interface{ Write([]byte) (int, error) }
		var err error
		switch {
		case e.raw != nil:
			w, err = zw.CreateRaw(e.raw)
		default:
			w, err = zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: e.method})
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, path, buf.String())
}

func TestAnalyzeZip(t *testing.T) {
	dir := t.TempDir()
	inner := writeZip(t, filepath.Join(dir, "inner.zip"), []zipEntry{{name: "x.log", data: documented}})
	innerData, _ := os.ReadFile(inner)
	big := strings.Repeat(infoRecord("filler", "2024-01-01T00:00:00.0000000Z"), 200)
	archive := writeZip(t, filepath.Join(dir, "collected.zip"), []zipEntry{
		{name: "Trace/", data: ""},
		{name: "Trace/one.log", data: failureRecord(rid(1), 1326, "") + failureRecord(rid(2), 1326, ""), method: zip.Deflate},
		{name: "Trace/nested/two.log", data: failureRecord(rid(3), 1331, "")},
		{name: "readme.txt", data: "Collected with the support script.\n"},
		{name: "notes.txt", data: failureRecord(rid(4), 1909, ""), method: zip.Deflate},
		{name: "inner.zip", data: string(innerData)},
		{name: "big.log", data: big, method: zip.Deflate},
		{name: "last.log", data: documented},
	})
	s, err := AnalyzeWith(t.Context(), []string{archive}, Filter{}, Options{MaxZipEntryBytes: int64(len(big)) - 1})
	if err != nil {
		t.Fatal(err)
	}
	type file struct{ path, skipped string }
	var got []file
	for _, f := range s.Files {
		got = append(got, file{strings.TrimPrefix(f.Path, archive), f.Skipped})
	}
	want := []file{
		{"!/Trace/one.log", ""}, {"!/Trace/nested/two.log", ""}, {"!/notes.txt", ""},
		{"!/inner.zip", "nested archive not opened"},
		{"!/big.log", fmt.Sprintf("entry of %d bytes is larger than the limit of %d", len(big), len(big)-1)},
		{"!/last.log", ""},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("files\n got %v\nwant %v", got, want)
	}
	if s.Ignored != 1 || s.Failures != 5 || s.Records != 5 || s.Files[0].Failures != 2 || s.Files[0].Bytes == 0 {
		t.Fatalf("ignored %d failures %d records %d files %+v", s.Ignored, s.Failures, s.Records, s.Files)
	}
	// The read budget: entries past it are skipped, in archive order.
	// one.log 366 + two.log 183 + readme.txt 35 + notes.txt 183 + big.log, and not last.log (226).
	s, err = AnalyzeWith(t.Context(), []string{archive}, Filter{}, Options{MaxZipBytes: 767 + int64(len(big)) + 200})
	if err != nil {
		t.Fatal(err)
	}
	if last := s.Files[len(s.Files)-1]; !strings.Contains(last.Skipped, "read limit") || s.Failures != 4 {
		t.Fatalf("budget: %+v", s.Files)
	}
	// Too many entries: the archive is skipped before its directory is loaded.
	s, err = AnalyzeWith(t.Context(), []string{archive}, Filter{}, Options{MaxZipEntries: 7})
	if err != nil || len(s.Files) != 1 || s.Files[0].Skipped != "archive has 8 entries, more than the limit of 7" {
		t.Fatalf("entry limit: %+v, %v", s.Files, err)
	}
	// A zip file is recognised by its signature, whatever its name.
	renamed := filepath.Join(dir, "collected.dat")
	if err := os.Rename(inner, renamed); err != nil {
		t.Fatal(err)
	}
	s, err = Analyze(t.Context(), []string{renamed}, Filter{})
	if err != nil || s.Failures != 1 || s.Files[0].Path != renamed+"!/x.log" {
		t.Fatalf("renamed archive: %+v, %v", s, err)
	}
}

func TestAnalyzeBrokenZips(t *testing.T) {
	dir := t.TempDir()
	// A stored entry with a flipped byte: the checksum fails at the end, the
	// records read so far still count, and the entry says why it stopped.
	body := documented + documented
	good := writeZip(t, filepath.Join(dir, "crc.zip"), []zipEntry{{name: "AzureADConnectAuthenticationAgent_1.log", data: body}}) // read by its name, not sniffed
	data, _ := os.ReadFile(good)
	i := bytes.Index(data, []byte("Reason: '1328'"))
	data[i+len("Reason: '")] = '9' // 9328
	writeFile(t, good, string(data))
	s, err := Analyze(t.Context(), []string{good}, Filter{})
	if err != nil || s.Files[0].Skipped != "read: zip: checksum error" || s.Records != 2 || len(s.Reasons) != 2 || s.Reasons[1].Code != 9328 {
		t.Fatalf("checksum: %+v, %v", s, err)
	}

	// A bomb that lies about its size: 16 MiB of deflated log declared as
	// 1 KiB. archive/zip stops at the declared size, so does the analysis.
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestSpeed)
	payload := []byte(strings.Repeat(documented, 1<<20/len(documented)))
	for n := 0; n < 16; n++ {
		fw.Write(payload)
	}
	fw.Close()
	bomb := writeZip(t, filepath.Join(dir, "bomb.zip"), []zipEntry{{raw: &zip.FileHeader{
		Name: "AzureADConnectAuthenticationAgent_2.log", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(payload),
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: 1 << 10,
	}, data: comp.String()}})
	s, err = Analyze(t.Context(), []string{bomb}, Filter{})
	if err != nil || !strings.Contains(s.Files[0].Skipped, "not a valid zip file") || s.Bytes > 1<<10 {
		t.Fatalf("bomb: %+v, %v", s, err)
	}

	notZip := writeFile(t, filepath.Join(dir, "sub", "fake.zip"), "this is not an archive")
	s, err = Analyze(t.Context(), []string{filepath.Dir(notZip)}, Filter{})
	if err != nil || len(s.Files) != 1 || !strings.HasPrefix(s.Files[0].Skipped, "read archive: not a zip archive") {
		t.Fatalf("not a zip: %+v, %v", s, err)
	}
}

// TestZipEntryCount covers the end-of-directory reader, including a comment
// and the zip64 record that archive/zip writes past 65535 entries.
func TestZipEntryCount(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 70000-entry archive")
	}
	for _, tc := range []struct {
		entries int
		comment string
	}{{0, ""}, {3, "a comment with PK\x05\x06 inside"}, {70_000, ""}} {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for i := 0; i < tc.entries; i++ {
			if _, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprint(i), Method: zip.Store}); err != nil {
				t.Fatal(err)
			}
		}
		zw.SetComment(tc.comment)
		zw.Close()
		n, err := zipEntryCount(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil || n != uint64(tc.entries) {
			t.Errorf("%d entries: got %d, %v", tc.entries, n, err)
		}
	}
	if _, err := zipEntryCount(bytes.NewReader([]byte("short")), 5); err == nil {
		t.Error("a 5-byte file has no directory")
	}
}

func TestDefaultPaths(t *testing.T) {
	got := defaultPaths(`D:\PD`)
	want := []string{`D:\PD\Microsoft\Azure AD Connect Authentication Agent\Trace`, `D:\PD\Microsoft\Microsoft AAD Application Proxy Connector\Trace`}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q", got)
	}
	if runtime.GOOS != "windows" && !strings.HasPrefix(DefaultPaths()[0], `%ProgramData%\`) {
		t.Fatalf("DefaultPaths on %s: %q", runtime.GOOS, DefaultPaths())
	}
}

// TestOutsideAndDistinctIDs: failures the filter leaves out are counted
// (the "none in that window (N outside it)" message), and example request
// IDs are distinct even when one request is logged twice.
func TestOutsideAndDistinctIDs(t *testing.T) {
	dir := t.TempDir()
	log := failureRecord(rid(1), 1326, "2024-01-01T00:00:00.0000000Z") +
		failureRecord(rid(1), 1326, "2024-01-01T00:01:00.0000000Z") + // the same request again
		failureRecord(strings.ToUpper(rid(1)), 1326, "2024-01-01T00:02:00.0000000Z") +
		failureRecord(rid(2), 1326, "2024-01-01T00:03:00.0000000Z") +
		failureRecord(rid(3), 1331, "2024-01-02T00:00:00.0000000Z") +
		failureRecord(rid(4), 1331, "")
	path := writeFile(t, filepath.Join(dir, "trace.log"), log)
	s, err := Analyze(t.Context(), []string{path}, Filter{})
	if err != nil || s.Outside != 0 || !slices.Equal(s.Reasons[0].RequestIDs, []string{rid(1), rid(2)}) {
		t.Fatalf("%+v %v", s, err)
	}
	s, err = Analyze(t.Context(), []string{path}, Filter{Since: time.Date(2024, 1, 3, 0, 0, 0, 0, time.UTC)})
	if err != nil || s.Failures != 0 || s.Outside != 5 || s.Untimed != 1 {
		t.Fatalf("window: %+v %v", s, err)
	}
	s, err = Analyze(t.Context(), []string{path}, Filter{RequestID: rid(3)})
	if err != nil || s.Failures != 1 || s.Outside != 5 {
		t.Fatalf("request id: %+v %v", s, err)
	}
}

func TestLooksLikeTraceLog(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{documented, true},
		{"    DateTime=2016-11-30T21:13:29.5003217Z\n    ApplicationProxyConnectorService.exe Error: 0 : x\n", true},
		{"Source Information: 0 : started\n    ThreadId=5\n", true}, // not an exe name, but a footer follows
		{"build Error: 0 : compiler exited\nnext line\n", false},
		{"[2026/11/24 08:00:00.123456,  0] smbd started\n", false},
		{"A.exe Error: 0 : x\x00", false},
		{"", false},
	} {
		if got := LooksLikeTraceLog([]byte(tc.in)); got != tc.want {
			t.Errorf("%q: %v", tc.in, got)
		}
	}
	for name, want := range map[string]bool{"AzureADConnectAuthenticationAgent_1.log": true, "aadappproxyconnector.log": true, "MicrosoftEntraPrivateNetworkConnector.log": true, "trace.log": false, "log.smbd": false} {
		if AgentLogName(name) != want {
			t.Errorf("AgentLogName(%q) = %v", name, !want)
		}
	}
}
