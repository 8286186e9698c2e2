package tracelog

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Which inputs are read: files, folders and .zip archives, planned into
// units of work; which files look like the agent's trace logs.

// unit is one piece of work: a whole file, a byte range of a large file, an
// archive, or a note about something skipped while planning.
type unit struct {
	kind       unitKind
	path       string
	info       os.FileInfo
	start, end int64 // byte range [start, end) of a file; end is also where the next range starts
	size       int64 // bytes of the file considered (its size when planned)
	note       string
}

type unitKind int

const (
	unitFile unitKind = iota
	unitArchive
	unitNote
)

// unitResult is what a unit found: one entry per file or archive entry.
// A byte range after the first one continues the previous file (cont).
type unitResult struct {
	cont    bool
	files   []fileResult
	ignored int
	passed  []string // archive entries that are not trace logs
}

type fileResult struct {
	info    FileInfo
	stats   Stats
	agg     *aggregator
	skipped string
}

// planner turns inputs into units, in input order.
type planner struct {
	opts    Options
	workers int
	units   []unit
	ignored int
	passed  []string
	files   int // files taken from folders
}

func (p *planner) pass(path string) {
	p.ignored++
	if len(p.passed) < maxPassed {
		p.passed = append(p.passed, path)
	}
}

func (p *planner) input(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("analyze trace logs: %w", err)
	}
	switch {
	case fi.IsDir():
		return p.folder(path)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("analyze trace logs: %s: not a regular file or folder", path)
	}
	zipFile, err := isZip(path)
	if err != nil {
		return fmt.Errorf("analyze trace logs: %w", err)
	}
	if zipFile {
		p.units = append(p.units, unit{kind: unitArchive, path: path, info: fi, size: fi.Size()})
	} else {
		p.file(path, fi)
	}
	return nil
}

// file plans a trace log as byte ranges: about four per worker so the
// workers stay busy, between minRangeBytes and rangeBytes each (tests set
// Options.splitBytes). How a file is split does not change the result.
func (p *planner) file(path string, fi os.FileInfo) {
	size := fi.Size()
	split := p.opts.splitBytes
	if split <= 0 {
		split = min(max(size/int64(4*p.workers), minRangeBytes), rangeBytes)
	}
	for start := int64(0); ; start += split {
		end := min(start+split, size)
		p.units = append(p.units, unit{kind: unitFile, path: path, info: fi, start: start, end: end, size: size})
		if end >= size {
			return
		}
	}
}

func (p *planner) folder(root string) error {
	maxFiles := cmp.Or(p.opts.MaxFiles, DefaultMaxFiles)
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == root {
				return fmt.Errorf("analyze trace logs: %w", err)
			}
			p.units = append(p.units, unit{kind: unitNote, path: path, note: "read folder: " + errText(err)})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() { // symbolic links, devices, sockets
			p.pass(path)
			return nil
		}
		if p.files >= maxFiles {
			p.units = append(p.units, unit{kind: unitNote, path: root, note: fmt.Sprintf("stopped after %d files (limit)", maxFiles)})
			return fs.SkipAll
		}
		fi, err := d.Info()
		if err != nil {
			p.units = append(p.units, unit{kind: unitNote, path: path, note: "stat: " + errText(err)})
			return nil
		}
		switch {
		case strings.EqualFold(filepath.Ext(path), ".zip"):
			p.units = append(p.units, unit{kind: unitArchive, path: path, info: fi, size: fi.Size()})
		case AgentLogName(filepath.Base(path)):
			p.file(path, fi)
		default:
			ok, err := sniffFile(path)
			if err != nil {
				p.units = append(p.units, unit{kind: unitNote, path: path, note: "read: " + errText(err)})
				return nil
			}
			if !ok {
				p.pass(path)
				return nil
			}
			p.file(path, fi)
		}
		p.files++
		return nil
	})
}

// isZip tells an archive by its signature (local file header, or the end
// record of an empty archive), whatever its name.
func isZip(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	var sig [4]byte
	if _, err := io.ReadFull(f, sig[:]); err != nil {
		return false, nil // shorter than a signature: not an archive
	}
	return string(sig[:]) == "PK\x03\x04" || string(sig[:]) == "PK\x05\x06", nil
}

func sniffFile(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	buf := make([]byte, sniffBytes)
	n, err := io.ReadFull(f, buf)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return false, err
	}
	return looksLikeTraceLog(buf[:n]), nil
}

// agentLogPrefixes start the names of the agents' trace files
// (pta-facts.md 3.1: AzureADConnectAuthenticationAgent_<guid>.log; the
// connector's AadAppProxyConnector.log, ApplicationProxyConnector*, and the
// new brand's MicrosoftEntraPrivateNetworkConnector.log), lower case.
var agentLogPrefixes = []string{
	"azureadconnectauthenticationagent",
	"aadappproxyconnector",
	"applicationproxyconnector",
	"microsoftentraprivatenetworkconnector",
}

// AgentLogName reports whether a file name is one the agents give their
// trace logs.
func AgentLogName(base string) bool {
	b := strings.ToLower(base)
	for _, p := range agentLogPrefixes {
		if strings.HasPrefix(b, p) {
			return true
		}
	}
	return false
}

// LooksLikeTraceLog reports whether the start of a file holds the agent's
// record markers: text (no NUL byte) with a record header whose source is
// an executable's name (the agents trace with Trace.TraceError and
// friends, whose source is the exe name: pta-facts.md 3.2), or a header
// followed by a footer line (ThreadId=, DateTime=, ...). A Samba log, a
// build log or source code has neither.
func LooksLikeTraceLog(b []byte) bool {
	if bytes.IndexByte(b, 0) >= 0 {
		return false
	}
	prevHeader := false
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		t := trimLeft(bytes.TrimSuffix(line, []byte("\r")))
		if k, _ := footer(t); k != keyNone {
			if prevHeader {
				return true
			}
			prevHeader = false
			continue
		}
		h, ok := parseHeader(t)
		if ok && len(h.source(t)) > 4 && strings.EqualFold(string(t[h.srcEnd-4:h.srcEnd]), ".exe") {
			return true
		}
		prevHeader = ok
	}
	return false
}

func looksLikeTraceLog(b []byte) bool { return LooksLikeTraceLog(b) }
