package report

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ptacheck/ptacheck/util/redact"
)

// logLike is text that compresses like a trace log.
func logLike(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	var b bytes.Buffer
	for b.Len() < n {
		fmt.Fprintf(&b, "AzureADConnectAuthenticationAgentService.exe Information: 0 : RequestId: '%08x-%04x'. Reason: '%d'.\n    ThreadId=%d\n",
			rng.Uint32(), rng.IntN(1<<16), 1300+rng.IntN(700), rng.IntN(64))
	}
	return b.Bytes()[:n]
}

// The parallel compressor's blocks make one deflate stream that
// archive/zip reads back (its CRC and size checked), for every size around
// the block size, and about as small as one stream.
func TestParallelDeflate(t *testing.T) {
	for _, n := range []int{0, 1, pdeflateBlock - 1, pdeflateBlock, pdeflateBlock + 1, 5*pdeflateBlock + pdeflateBlock/2} {
		data := logLike(n, uint64(n))
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		zw.RegisterCompressor(zip.Deflate, newPdeflateWriter)
		w, err := zw.CreateHeader(&zip.FileHeader{Name: "x", Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		for rest := data; len(rest) > 0; {
			k := min(len(rest), 100_000)
			w.Write(rest[:k])
			rest = rest[k:]
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		rc, _ := zr.File[0].Open()
		back, err := io.ReadAll(rc)
		if err != nil || !bytes.Equal(back, data) {
			t.Fatalf("%d bytes: read back %d bytes, %v", n, len(back), err)
		}
		var one bytes.Buffer
		fw, _ := flate.NewWriter(&one, pdeflateLevel)
		fw.Write(data)
		fw.Close()
		if got, single := zr.File[0].CompressedSize64, one.Len(); n > 0 && float64(got) > 1.02*float64(single)+64 {
			t.Errorf("%d bytes: %d compressed, one stream gives %d", n, got, single)
		}
	}
}

// A zip archive is re-packed entry by entry, each entry redacted: deflated
// and stored entries alike, a secret straddling the 1 MiB redaction chunk
// included; nested archives and what is over the limit are left out and
// said so.
func TestBundleAddZip(t *testing.T) {
	t.Cleanup(redact.Reset)
	redact.Secret("S3cretPW-zip")
	long := strings.Repeat("a", (1<<20)-5) + "S3cretPW-zip" + strings.Repeat("b", 1<<20)
	var src bytes.Buffer
	zw := zip.NewWriter(&src)
	for _, e := range []struct {
		name   string
		method uint16
		data   string
	}{
		{"deflated.log", zip.Deflate, "password S3cretPW-zip in a deflated entry\n" + long},
		{"stored.log", zip.Store, "password S3cretPW-zip in a stored entry\n"},
		{"../../escape.log", zip.Deflate, "x S3cretPW-zip"},
		{"inner.zip", zip.Store, "PK nested"},
		{"dir/", zip.Store, ""},
		{"late.log", zip.Deflate, strings.Repeat("z", 1000)},
	} {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: e.method})
		w.Write([]byte(e.data))
	}
	zw.Close()
	zr, err := zip.NewReader(bytes.NewReader(src.Bytes()), int64(src.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	b := NewBundle(&out, "test", time.Unix(0, 0))
	// deflated.log fits (its secrets masked), stored.log is cut in the
	// middle of its secret, the rest is over the limit.
	limit := int64(len("password [redacted] in a deflated entry\n")+len(long)-2) + int64(len("password S3cr"))
	read, err := b.AddZip(BundleFile{Name: "logs/001-trace.zip", Source: "C:\\trace.zip"}, zr, limit, "over the budget")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(false); err != nil {
		t.Fatal(err)
	}
	if read > limit {
		t.Errorf("read %d bytes, over the limit %d", read, limit)
	}
	bundle, err := zip.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var nested []byte
	for _, f := range bundle.File {
		if f.Name == "logs/001-trace.zip" {
			rc, _ := f.Open()
			nested, _ = io.ReadAll(rc)
		}
	}
	inner, err := zip.NewReader(bytes.NewReader(nested), int64(len(nested)))
	if err != nil {
		t.Fatalf("the re-packed archive is not a zip: %v", err)
	}
	got := map[string]string{}
	for _, f := range inner.File {
		rc, _ := f.Open()
		data, err := io.ReadAll(rc)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		got[f.Name] = string(data)
	}
	if len(got) != 2 || got["stored.log"] != "password [red" ||
		!strings.Contains(got["deflated.log"], strings.Repeat("a", 100)+"[redacted]b") {
		t.Errorf("entries: %q", got["stored.log"])
	}
	for name, data := range got {
		if strings.Contains(data, "S3cr") {
			t.Errorf("%s: (part of) the secret is in the re-packed entry", name)
		}
	}
	want := []BundleMissing{
		{`C:\trace.zip!/../../escape.log`, "over the budget"},
		{`C:\trace.zip!/inner.zip`, "nested archive not copied"},
		{`C:\trace.zip!/late.log`, "over the budget"},
	}
	if notes := b.NotCollected(); fmt.Sprint(notes) != fmt.Sprint(want) {
		t.Errorf("not collected %v, want %v", notes, want)
	}
	var manifest BundleManifestDoc
	for _, f := range bundle.File {
		if f.Name == BundleManifest {
			rc, _ := f.Open()
			data, _ := io.ReadAll(rc)
			json.Unmarshal(data, &manifest)
		}
	}
	if len(manifest.Files) == 0 || manifest.Files[0].Name != "logs/001-trace.zip" || !manifest.Files[0].Truncated {
		t.Errorf("manifest: %+v", manifest.Files)
	}
	// Names: made relative.
	var out2 bytes.Buffer
	b2 := NewBundle(&out2, "test", time.Unix(0, 0))
	if _, err := b2.AddZip(BundleFile{Name: "z"}, zr, 0, ""); err != nil {
		t.Fatal(err)
	}
	b2.Close(false)
	bundle2, _ := zip.NewReader(bytes.NewReader(out2.Bytes()), int64(out2.Len()))
	rc, _ := bundle2.File[0].Open()
	nested2, _ := io.ReadAll(rc)
	inner2, err := zip.NewReader(bytes.NewReader(nested2), int64(len(nested2)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range inner2.File {
		names = append(names, f.Name)
	}
	if strings.Join(names, ",") != "deflated.log,stored.log,escape.log,late.log" {
		t.Errorf("entry names %v", names)
	}
}
