package tracelog

import (
	"archive/zip"
	"bufio"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// Archive limits. Entries are streamed, never extracted; archive/zip refuses
// to inflate more than an entry's declared size, so the declared sizes bound
// the work, and they are checked before anything is inflated.
const (
	DefaultMaxZipEntries    = 10_000  // archives with more entries are skipped whole
	DefaultMaxZipEntryBytes = 4 << 30 // larger entries are skipped
	DefaultMaxZipBytes      = 8 << 30 // declared bytes read from one archive; later entries are skipped
)

// runArchive reads the trace logs in a zip archive, entry by entry in
// archive order.
func runArchive(ctx context.Context, u *unit, opts Options, f Filter) unitResult {
	var res unitResult
	note := func(p, why string) {
		res.files = append(res.files, fileResult{info: FileInfo{Path: p}, skipped: why})
	}
	fh, err := os.Open(u.path)
	if err != nil {
		note(u.path, "open: "+errText(err))
		return res
	}
	defer fh.Close()
	if fi, err := fh.Stat(); err != nil || !os.SameFile(fi, u.info) {
		note(u.path, "the file was replaced during the analysis")
		return res
	}
	maxEntries := cmp.Or(opts.MaxZipEntries, DefaultMaxZipEntries)
	n, err := zipEntryCount(fh, u.size)
	if err != nil {
		note(u.path, "read archive: "+err.Error())
		return res
	}
	if n > uint64(maxEntries) {
		// Checked before archive/zip loads the directory, which holds every
		// entry in memory.
		note(u.path, fmt.Sprintf("archive has %d entries, more than the limit of %d", n, maxEntries))
		return res
	}
	zr, err := zip.NewReader(fh, u.size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) { // names are only displayed, never used as paths
		note(u.path, "read archive: "+err.Error())
		return res
	}
	maxEntry := cmp.Or(opts.MaxZipEntryBytes, DefaultMaxZipEntryBytes)
	budget := cmp.Or(opts.MaxZipBytes, DefaultMaxZipBytes)
	for _, ze := range zr.File {
		if ctx.Err() != nil {
			return res
		}
		name := ze.Name
		if strings.HasSuffix(name, "/") || ze.FileInfo().IsDir() {
			continue
		}
		display := u.path + "!/" + name
		size := ze.UncompressedSize64
		switch {
		case strings.EqualFold(path.Ext(name), ".zip"):
			note(display, "nested archive not opened")
			continue
		case !ze.Mode().IsRegular():
			res.ignored++
			res.passed = append(res.passed, display)
			continue
		case size > uint64(maxEntry):
			note(display, fmt.Sprintf("entry of %d bytes is larger than the limit of %d", size, maxEntry))
			continue
		case size > uint64(budget):
			note(display, fmt.Sprintf("the archive's read limit of %d bytes is reached", cmp.Or(opts.MaxZipBytes, DefaultMaxZipBytes)))
			continue
		}
		budget -= int64(size)
		fr := fileResult{info: FileInfo{Path: display}, agg: newAggregator(f)}
		if err := readEntry(ctx, ze, opts, &fr); err != nil {
			if errors.Is(err, errNotTraceLog) {
				res.ignored++
				res.passed = append(res.passed, display)
				continue
			}
			fr.skipped = "read: " + err.Error()
		}
		res.files = append(res.files, fr)
	}
	return res
}

var errNotTraceLog = errors.New("not a trace log")

func readEntry(ctx context.Context, ze *zip.File, opts Options, fr *fileResult) error {
	rc, err := ze.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	var r io.Reader = rc
	if !AgentLogName(path.Base(ze.Name)) {
		br := bufio.NewReaderSize(rc, sniffBytes)
		head, err := br.Peek(sniffBytes)
		if err != nil && err != io.EOF {
			return err
		}
		if !looksLikeTraceLog(head) {
			return errNotTraceLog
		}
		r = br
	}
	return scanStream(ctx, r, int64(ze.UncompressedSize64), opts, fr)
}

// zipEntryCount reads the entry count from the end of central directory
// record (zip64 aware) without loading the directory.
// ZipEntryCount reads how many entries a zip archive declares from its end
// record, before archive/zip loads the central directory (which holds
// every entry in memory).
func ZipEntryCount(r io.ReaderAt, size int64) (uint64, error) { return zipEntryCount(r, size) }

func zipEntryCount(r io.ReaderAt, size int64) (uint64, error) {
	const (
		eocdLen      = 22
		locatorLen   = 20
		zip64EOCDLen = 56
		maxComment   = 1<<16 - 1
	)
	if size < eocdLen {
		return 0, errors.New("not a zip archive: too short")
	}
	tail := min(size, eocdLen+maxComment+locatorLen)
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, size-tail); err != nil && err != io.EOF {
		return 0, err
	}
	i := len(buf) - eocdLen
	for ; i >= 0; i-- {
		if binary.LittleEndian.Uint32(buf[i:]) == 0x06054b50 {
			break
		}
	}
	if i < 0 {
		return 0, errors.New("not a zip archive: no end of central directory")
	}
	n := uint64(binary.LittleEndian.Uint16(buf[i+10:]))
	if n != 0xffff || i < locatorLen || binary.LittleEndian.Uint32(buf[i-locatorLen:]) != 0x07064b50 {
		return n, nil
	}
	off := int64(binary.LittleEndian.Uint64(buf[i-locatorLen+8:]))
	if off < 0 || off > size-zip64EOCDLen {
		return 0, errors.New("zip64 end of central directory out of range")
	}
	var rec [zip64EOCDLen]byte
	if _, err := r.ReadAt(rec[:], off); err != nil {
		return 0, err
	}
	if binary.LittleEndian.Uint32(rec[:]) != 0x06064b50 {
		return 0, errors.New("bad zip64 end of central directory")
	}
	return binary.LittleEndian.Uint64(rec[32:]), nil
}
