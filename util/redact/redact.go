// Package redact keeps secrets out of everything ptacheck prints or writes.
// There is one function for free text (String) and one for a value known to
// be a proxy or service address (URL); every output path (reports, stderr,
// verbose logs, bundles) goes through them. Secret values the run reads
// (tokens, passwords) are registered with Secret and scrubbed wherever they
// would appear.
package redact

import (
	"encoding/json"
	"encoding/xml"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Mask replaces a secret.
const Mask = "[redacted]"

var (
	mu      sync.RWMutex
	secrets []string
)

// Secret registers a value that must never be printed, whatever its
// length: a 3-character password is a password. Masking a short value
// also masks it in ordinary text ("abc" in "abcd"); that is the price of
// never printing it. Formats with a structure (JSON, XML) mask their text
// fields with String before they are encoded, so a short secret never
// breaks the markup (see Markup and JSON).
func Secret(s string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	// The value as it appears in text, in a JSON string, in XML, and in
	// XML CDATA (where encoding/xml splits "]]>" across two sections).
	forms := []string{s}
	if j, err := json.Marshal(s); err == nil {
		forms = append(forms, string(j[1:len(j)-1]))
	}
	var x strings.Builder
	if xml.EscapeText(&x, []byte(s)) == nil {
		forms = append(forms, x.String())
	}
	if strings.Contains(s, "]]>") {
		forms = append(forms, strings.ReplaceAll(s, "]]>", "]]]]><![CDATA[>"))
	}
	for _, f := range forms {
		if !slices.Contains(secrets, f) {
			secrets = append(secrets, f)
		}
	}
	// Longest first, so a secret that contains another is masked whole.
	sort.Slice(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
}

// userinfo in a URL with a scheme: "http://user:pass@host" or
// "socks5://token@host". A percent-encoded or malformed userinfo is masked
// too: anything between "://" and the last "@" before the host.
var schemeUserinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://)[^/?#\s"'<>@]*@`)

// String masks registered secrets and URL credentials in free text.
func String(s string) string {
	s = schemeUserinfo.ReplaceAllString(s, "${1}"+Mask+"@")
	mu.RLock()
	defer mu.RUnlock()
	for _, sec := range secrets {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, Mask)
		}
	}
	return s
}

// Bytes is String for rendered output.
func Bytes(b []byte) []byte { return []byte(String(string(b))) }

// MarkupMin is the shortest secret Markup masks: a shorter one could be a
// piece of the markup itself ("id", "</", ":").
const MarkupMin = 4

// Markup masks, in rendered JSON or XML whose text fields already went
// through String, what may still be there: secrets of MarkupMin bytes or
// more (in any of their forms) and credentials in URLs. Shorter secrets
// are left to the field-level pass, which never touches the markup.
func Markup(b []byte) []byte {
	s := schemeUserinfo.ReplaceAllString(string(b), "${1}"+Mask+"@")
	mu.RLock()
	defer mu.RUnlock()
	for _, sec := range secrets {
		if len(sec) >= MarkupMin && strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, Mask)
		}
	}
	return []byte(s)
}

// JSON masks secrets in the string values of a JSON document (keys and the
// markup are left alone), re-encoding only the values that change; then
// Markup. Secrets of any length are masked without breaking the document.
func JSON(b []byte) []byte {
	var out []byte
	last := 0
	for i := 0; i < len(b); i++ {
		if b[i] != '"' {
			continue
		}
		j := i + 1
		for ; j < len(b) && b[j] != '"'; j++ {
			if b[j] == '\\' {
				j++
			}
		}
		if j >= len(b) {
			break
		}
		k := j + 1
		for k < len(b) && (b[k] == ' ' || b[k] == '\t' || b[k] == '\n' || b[k] == '\r') {
			k++
		}
		if k < len(b) && b[k] == ':' { // a key
			i = j
			continue
		}
		var v string
		if json.Unmarshal(b[i:j+1], &v) == nil {
			if r := String(v); r != v {
				enc, _ := json.Marshal(r)
				out = append(append(out, b[last:i]...), enc...)
				last = j + 1
			}
		}
		i = j
	}
	if out == nil {
		return Markup(b)
	}
	return Markup(append(out, b[last:]...))
}

// Reset forgets the registered secrets (tests).
func Reset() {
	mu.Lock()
	defer mu.Unlock()
	secrets = nil
}

// URL masks credentials in a value known to be an address, with or without
// a scheme, or a list of them ("http=bob:pw@10.0.0.1:8080;https=...").
func URL(s string) string {
	s = String(s)
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ' ' || r == ',' })
	for _, p := range parts {
		v := p
		if _, after, ok := strings.Cut(p, "="); ok && !strings.Contains(p, "://") {
			v = after
		}
		if strings.Contains(v, "://") {
			continue // done by String
		}
		if at := strings.LastIndex(v, "@"); at > 0 && !strings.HasPrefix(v, Mask+"@") {
			s = strings.Replace(s, v, Mask+"@"+v[at+1:], 1)
		}
	}
	return s
}
