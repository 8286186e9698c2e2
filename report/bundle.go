package report

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/ptacheck/ptacheck/util/redact"
	"github.com/ptacheck/ptacheck/util/textfmt"
)

// Names of the bundle's own files.
const (
	BundleManifest     = "MANIFEST.json"
	BundlePersonalNote = "PERSONAL-DATA.txt"
)

// BundleFile is one manifest entry.
type BundleFile struct {
	Name         string `json:"name"`
	Description  string `json:"description"`
	Bytes        int64  `json:"bytes"`
	SHA256       string `json:"sha256"`
	PersonalData string `json:"personal_data,omitempty"` // what personal data it may hold; empty: none
	Source       string `json:"source,omitempty"`        // the file it was copied from
	Truncated    bool   `json:"truncated,omitempty"`     // cut at the size limit
}

// BundleMissing is something the bundle would hold but does not, and why.
type BundleMissing struct {
	Item   string `json:"item"`
	Reason string `json:"reason"`
}

// BundleManifestDoc is MANIFEST.json.
type BundleManifestDoc struct {
	SchemaVersion int             `json:"schema_version"`
	Tool          string          `json:"tool"`
	Kind          string          `json:"kind"`
	Version       string          `json:"version"`
	CreatedAt     string          `json:"created_at"`
	Interrupted   bool            `json:"interrupted,omitempty"`
	Files         []BundleFile    `json:"files"`
	NotCollected  []BundleMissing `json:"not_collected"`
	Redaction     string          `json:"redaction"`
}

// Bundle writes a support bundle: a zip whose every entry passes through
// redaction as a stream (redact.Writer: a secret is masked wherever the
// reads and the lines fall), a manifest of every file with its size and
// hash, and a note on the personal data it holds. A zip archive among the
// inputs is re-packed entry by entry, each entry redacted (AddZip): its
// compressed bytes are never copied. Entries are written as they are
// added, so the bundle streams (a 1 GiB trace log is never held in
// memory), and compressed on every core (pdeflate.go).
type Bundle struct {
	zw      *zip.Writer
	doc     BundleManifestDoc
	names   map[string]bool
	created time.Time
}

// NewBundle starts a bundle on w.
func NewBundle(w io.Writer, version string, created time.Time) *Bundle {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, newPdeflateWriter)
	return &Bundle{
		zw: zw, names: map[string]bool{}, created: created.UTC(),
		doc: BundleManifestDoc{
			SchemaVersion: 1, Tool: "ptacheck", Kind: "bundle", Version: version,
			CreatedAt: created.UTC().Format(time.RFC3339),
			Files:     []BundleFile{}, NotCollected: []BundleMissing{},
			Redaction: "every file passed through ptacheck's redaction: registered secrets (tokens, passwords) and credentials in URLs are replaced by " + redact.Mask,
		},
	}
}

// Add writes one entry of at most limit bytes (<= 0: no limit) from r.
func (b *Bundle) Add(f BundleFile, r io.Reader, limit int64) error {
	if b.names[f.Name] {
		return fmt.Errorf("bundle: duplicate entry %s", f.Name)
	}
	b.names[f.Name] = true
	w, err := b.zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: b.created})
	if err != nil {
		return err
	}
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(w, h)}
	f.Truncated, err = redactCopy(cw, r, limit)
	if err != nil {
		return fmt.Errorf("bundle: %s: %w", f.Name, err)
	}
	f.Bytes, f.SHA256 = cw.n, hex.EncodeToString(h.Sum(nil))
	b.doc.Files = append(b.doc.Files, f)
	return nil
}

// AddZip adds the zip archive zr as the entry f, re-packed: a zip of the
// same entries, each redacted as a stream and compressed anew, so no
// compressed byte of the original (where a secret cannot be seen) reaches
// the bundle, and the result is a valid archive. At most limit bytes are
// written into the entries in all (<= 0: no limit); what is over it is left
// out with overLimit as the reason and f is marked truncated. Directories are
// dropped; nested archives and what is not a regular file are left out,
// with the reason. Entry names are made relative (no "..", no leading
// "/"). It returns the bytes written into the entries (before
// compression), which the limit bounds.
func (b *Bundle) AddZip(f BundleFile, zr *zip.Reader, limit int64, overLimit string) (int64, error) {
	if b.names[f.Name] {
		return 0, fmt.Errorf("bundle: duplicate entry %s", f.Name)
	}
	b.names[f.Name] = true
	w, err := b.zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store, Modified: b.created})
	if err != nil {
		return 0, err
	}
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(w, h)}
	inner := zip.NewWriter(cw)
	inner.RegisterCompressor(zip.Deflate, newPdeflateWriter)
	var written int64
	seen := map[string]bool{}
	for _, ze := range zr.File {
		display := f.Source + "!/" + ze.Name
		name := strings.TrimPrefix(path.Clean("/"+strings.ReplaceAll(ze.Name, `\`, "/")), "/")
		switch {
		case strings.HasSuffix(ze.Name, "/") || ze.FileInfo().IsDir():
			continue
		case name == "" || name == ".":
			b.Missing(display, "no usable entry name")
			continue
		case strings.EqualFold(path.Ext(name), ".zip"):
			b.Missing(display, "nested archive not copied")
			continue
		case !ze.Mode().IsRegular():
			b.Missing(display, "not a regular file")
			continue
		case seen[strings.ToLower(name)]:
			b.Missing(display, "a second entry of that name")
			continue
		case limit > 0 && written >= limit:
			b.Missing(display, overLimit)
			f.Truncated = true
			continue
		}
		seen[strings.ToLower(name)] = true
		rc, err := ze.Open()
		if err != nil {
			b.Missing(display, "open: "+err.Error())
			continue
		}
		ew, err := inner.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: ze.Modified})
		if err != nil {
			rc.Close()
			return written, err
		}
		cr := &countReader{r: rc}
		ow := &countWriter{w: ew}
		var remaining int64
		if limit > 0 {
			remaining = limit - written
		}
		truncated, err := redactCopy(ow, cr, remaining)
		written += ow.n
		f.Truncated = f.Truncated || truncated
		rc.Close()
		switch {
		case err != nil && cr.err == nil:
			return written, err // writing the bundle failed
		case err != nil:
			// A damaged entry: what was read is kept, redacted; the
			// manifest says where it stops.
			b.Missing(display, fmt.Sprintf("read: %v (copied up to there)", cr.err))
		}
	}
	if err := inner.Close(); err != nil {
		return written, err
	}
	f.Bytes, f.SHA256 = cw.n, hex.EncodeToString(h.Sum(nil))
	b.doc.Files = append(b.doc.Files, f)
	return written, nil
}

// countReader counts what it reads and keeps the read error (not EOF).
type countReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}

// AddBytes adds an entry from memory.
func (b *Bundle) AddBytes(f BundleFile, data []byte) error {
	return b.Add(f, bytes.NewReader(data), 0)
}

// Missing records something that could not be collected.
func (b *Bundle) Missing(item, reason string) {
	b.doc.NotCollected = append(b.doc.NotCollected, BundleMissing{Item: item, Reason: textfmt.OneLine(textfmt.Sanitize(redact.String(reason)))})
}

// Files returns the entries written so far.
func (b *Bundle) Files() []BundleFile { return b.doc.Files }

// NotCollected returns what is missing so far.
func (b *Bundle) NotCollected() []BundleMissing { return b.doc.NotCollected }

// Close writes the personal-data note and the manifest (which lists the
// note too) and finishes the zip.
func (b *Bundle) Close(interrupted bool) error {
	b.doc.Interrupted = interrupted
	if err := b.AddBytes(BundleFile{Name: BundlePersonalNote, Description: "what in this bundle is personal data"}, b.personalNote()); err != nil {
		return err
	}
	w, err := b.zw.CreateHeader(&zip.FileHeader{Name: BundleManifest, Method: zip.Deflate, Modified: b.created})
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(b.doc, "", "  ")
	if err != nil {
		return err
	}
	if _, err := w.Write(append(redact.Bytes(data), '\n')); err != nil {
		return err
	}
	return b.zw.Close()
}

func (b *Bundle) personalNote() []byte {
	var sb strings.Builder
	sb.WriteString("ptacheck support bundle: personal data\n\n")
	sb.WriteString("No passwords, tokens or proxy credentials are in this bundle: every file went\n")
	sb.WriteString("through ptacheck's redaction. It does hold personal data; review it before you\n")
	sb.WriteString("share it, and share it only with whom you would show these files:\n\n")
	var personal []BundleFile
	for _, f := range b.doc.Files {
		if f.PersonalData != "" {
			personal = append(personal, f)
		}
	}
	sort.SliceStable(personal, func(i, j int) bool { return personal[i].Name < personal[j].Name })
	if len(personal) == 0 {
		sb.WriteString("  (no file is marked as holding personal data)\n")
	}
	for _, f := range personal {
		fmt.Fprintf(&sb, "  %s\n      %s\n", f.Name, f.PersonalData)
	}
	sb.WriteString("\nMANIFEST.json lists every file with its size and SHA-256, and what was not collected.\n")
	return []byte(sb.String())
}

// redactCopy copies r to w through redact.Writer, at most limit bytes of
// its output (<= 0: no limit): the limit applies after redaction, so a cut
// never leaves the first half of a secret. truncated: there was more.
func redactCopy(w io.Writer, r io.Reader, limit int64) (truncated bool, err error) {
	lw := &limitWriter{w: w, n: max(limit, 0)}
	rw := redact.NewWriter(lw)
	_, err = io.Copy(rw, r)
	cerr := rw.Close() // flushes what is held back, after a read error too
	truncated = errors.Is(err, errLimit) || errors.Is(cerr, errLimit)
	if errors.Is(err, errLimit) {
		err = nil
	}
	if err == nil && !errors.Is(cerr, errLimit) {
		err = cerr
	}
	return truncated, err
}

var errLimit = errors.New("size limit reached")

// limitWriter passes at most n bytes (n <= 0 when made: all) and then
// fails with errLimit, which stops the copy.
type limitWriter struct {
	w    io.Writer
	n    int64
	full bool
}

func (l *limitWriter) Write(p []byte) (int, error) {
	switch {
	case l.full:
		return 0, errLimit
	case l.n <= 0:
		return l.w.Write(p)
	case int64(len(p)) <= l.n:
		n, err := l.w.Write(p)
		l.n -= int64(n)
		l.full = l.n == 0
		return n, err
	}
	n, err := l.w.Write(p[:l.n])
	l.full = true
	if err != nil {
		return n, err
	}
	return n, errLimit
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// BundlePhase is one phase run by collect.
type BundlePhase struct {
	Phase    string
	Verdict  string
	ExitCode int
	Summary  Summary
}

// CollectResult is what collect prints once the bundle is written.
type CollectResult struct {
	Out          string
	Phases       []BundlePhase
	Files        []BundleFile
	NotCollected []BundleMissing
	Interrupted  bool
}

type collectJSON struct {
	listHeader
	Out          string             `json:"out"`
	Interrupted  bool               `json:"interrupted"`
	Phases       []collectPhaseJSON `json:"phases"`
	Files        []BundleFile       `json:"files"`
	NotCollected []BundleMissing    `json:"not_collected"`
}

type collectPhaseJSON struct {
	Phase    string `json:"phase"`
	Verdict  string `json:"verdict"`
	ExitCode int    `json:"exit_code"`
	Pass     int    `json:"pass"`
	Warn     int    `json:"warn"`
	Fail     int    `json:"fail"`
	Skip     int    `json:"skip"`
	Error    int    `json:"error"`
}

// Collect writes the outcome of ptacheck collect: text or json.
func Collect(w io.Writer, format string, r CollectResult) error {
	if format == "json" {
		out := collectJSON{listHeader: listHeader{SchemaVersion, "ptacheck", "collect"}, Out: r.Out, Interrupted: r.Interrupted,
			Phases: []collectPhaseJSON{}, Files: r.Files, NotCollected: r.NotCollected}
		for _, p := range r.Phases {
			s := p.Summary
			out.Phases = append(out.Phases, collectPhaseJSON{p.Phase, p.Verdict, p.ExitCode, s.Pass, s.Warn, s.Fail, s.Skip, s.Error})
		}
		return writeJSON(w, out)
	}
	var total int64
	for _, f := range r.Files {
		total += f.Bytes
	}
	head := "wrote"
	if r.Interrupted {
		head = "interrupted: wrote a partial bundle"
	}
	fmt.Fprintf(w, "ptacheck collect: %s %s (%s, %s before compression)\n", head, clean(r.Out), textfmt.Plural(len(r.Files)+1, "file", "files"), byteSize(total))
	for _, p := range r.Phases {
		s := p.Summary
		fmt.Fprintf(w, "  %-10s %s (%d fail, %d warn, %d error, %d pass)\n", p.Phase, p.Verdict, s.Fail, s.Warn, s.Error, s.Pass)
	}
	if n := len(r.NotCollected); n > 0 {
		fmt.Fprintf(w, "  not collected: %s (see %s)\n", textfmt.Plural(n, "item", "items"), BundleManifest)
		for i, m := range r.NotCollected {
			if i == 5 {
				fmt.Fprintf(w, "    ... and %d more\n", n-5)
				break
			}
			fmt.Fprintf(w, "    %s: %s\n", clean(m.Item), clean(m.Reason))
		}
	}
	_, err := fmt.Fprintf(w, "Secrets are redacted; the bundle still holds personal data: read %s before you share it.\n", BundlePersonalNote)
	return err
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
