// Package hostsfile reads a hosts file (/etc/hosts on Linux,
// %SystemRoot%\System32\drivers\etc\hosts on Windows) as the system
// resolvers read it: one address and its names per line, "#" starts a
// comment, names are case-insensitive. ptacheck resolves names through the
// operating system and reads this file itself only to say where an answer
// came from ("from the hosts file"). Fixture mode emulates a hosts file in
// the same format.
package hostsfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"
)

// MaxSize bounds the hosts file read for attribution. Hosts files used as
// block lists reach a few MiB; a larger one is not read (the answers are
// still the system's, only their attribution is unknown).
const MaxSize = 32 << 20

// File is a parsed hosts file.
type File struct {
	Path   string              // where it was read from (for reports)
	byName map[string][]string // lower-case name without trailing dot -> addresses, file order
}

// ErrTooLarge: the file is over MaxSize.
var ErrTooLarge = errors.New("the hosts file is too large to read")

// ReadFile reads and parses the hosts file at path.
func ReadFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%s: %w (more than %d MiB)", path, ErrTooLarge, MaxSize>>20)
	}
	return Parse(path, data), nil
}

// Parse parses hosts-file content. Lines that are not "ADDRESS NAME..." are
// ignored, as the resolvers ignore them.
func Parse(path string, data []byte) *File {
	f := &File{Path: path, byName: map[string][]string{}}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 BOM (Notepad)
	for _, line := range strings.Split(string(data), "\n") {
		addr, names, ok := ParseLine(line)
		if !ok {
			continue
		}
		for _, n := range names {
			if !slices.Contains(f.byName[n], addr) {
				f.byName[n] = append(f.byName[n], addr)
			}
		}
	}
	return f
}

// ParseLine parses one line: the address (in canonical form) and the
// lower-case names it gives. ok is false for a comment, a blank line or a
// line the resolvers would ignore.
func ParseLine(line string) (addr string, names []string, ok bool) {
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return "", nil, false
	}
	a, err := netip.ParseAddr(fields[0])
	if err != nil {
		return "", nil, false
	}
	for _, n := range fields[1:] {
		names = append(names, Canonical(n))
	}
	return a.Unmap().String(), names, true
}

// Canonical is the form names are compared in: lower case, no trailing dot.
func Canonical(name string) string { return strings.ToLower(strings.TrimSuffix(name, ".")) }

// Lookup returns the addresses the file gives name, in file order (nil: the
// file does not name it).
func (f *File) Lookup(name string) []string {
	if f == nil {
		return nil
	}
	return append([]string(nil), f.byName[Canonical(name)]...)
}

// Gave reports whether every address of a system answer for name is one the
// file gives name: then the answer came from the file (resolvers read it
// before DNS, and return only its addresses for a name it lists).
func (f *File) Gave(name string, addrs []string) bool {
	listed := f.Lookup(name)
	if len(listed) == 0 || len(addrs) == 0 {
		return false
	}
	for _, a := range addrs {
		if !slices.Contains(listed, canonicalAddr(a)) {
			return false
		}
	}
	return true
}

func canonicalAddr(s string) string {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().String()
	}
	return s
}
