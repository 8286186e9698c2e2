package hostfacts

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
)

// Reading the <defaultProxy> section of a .NET configuration file: the XML
// and its encodings. What the setting means is in dotnetproxy.go.

// XML shapes of the part of a .NET configuration file that matters. Names
// of elements are matched as .NET does (case-sensitively); attributes are
// collected raw and matched case-insensitively.
type xmlConfiguration struct {
	SystemNet []xmlSystemNet `xml:"system.net"`
}

type xmlSystemNet struct {
	DefaultProxy []xmlDefaultProxy `xml:"defaultProxy"`
}

type xmlDefaultProxy struct {
	Attrs    []xml.Attr     `xml:",any,attr"`
	Proxy    []xmlElement   `xml:"proxy"`
	Module   []xmlElement   `xml:"module"`
	Bypasses []xmlBypassBox `xml:"bypasslist"`
}

type xmlBypassBox struct {
	Items []xmlElement `xml:",any"`
}

type xmlElement struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
}

func attr(attrs []xml.Attr, name string) (string, bool) {
	for _, a := range attrs {
		if strings.EqualFold(a.Name.Local, name) {
			return strings.TrimSpace(a.Value), true
		}
	}
	return "", false
}

// boolAttr reads a true/false attribute; tri adds .NET's "Unspecified".
func boolAttr(attrs []xml.Attr, name string, tri bool) (*bool, error) {
	v, ok := attr(attrs, name)
	if !ok {
		return nil, nil
	}
	switch strings.ToLower(v) {
	case "true":
		t := true
		return &t, nil
	case "false":
		f := false
		return &f, nil
	case "unspecified":
		if tri {
			return nil, nil
		}
	}
	return nil, fmt.Errorf("attribute %s=%q: want true or false", name, v)
}

func strAttr(attrs []xml.Attr, name string) *string {
	if v, ok := attr(attrs, name); ok {
		return &v
	}
	return nil
}

// parseProxySection decodes one file's <defaultProxy>; nil when absent.
func parseProxySection(data []byte) (*proxySection, error) {
	dps, err := defaultProxyElements(data)
	switch {
	case err != nil:
		return nil, err
	case len(dps) == 0:
		return nil, nil
	case len(dps) > 1:
		return nil, errors.New("<defaultProxy> appears more than once")
	}
	return sectionOf(dps[0])
}

// defaultProxyElements decodes a .config file (UTF-8 or UTF-16) and returns
// its <system.net><defaultProxy> elements.
func defaultProxyElements(data []byte) ([]xmlDefaultProxy, error) {
	text, err := toUTF8(data)
	if err != nil {
		return nil, err
	}
	dec := xml.NewDecoder(bytes.NewReader(text))
	dec.CharsetReader = func(charset string, r io.Reader) (io.Reader, error) {
		switch strings.ToLower(charset) {
		case "utf-8", "utf8", "us-ascii", "ascii", "utf-16", "utf-16le", "utf-16be", "unicode":
			return r, nil // already UTF-8 (toUTF8)
		}
		return nil, fmt.Errorf("encoding %q is not supported", charset)
	}
	var root struct {
		XMLName xml.Name
		xmlConfiguration
	}
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("parse XML: no root element")
		}
		return nil, fmt.Errorf("parse XML: %s", strings.TrimPrefix(err.Error(), "xml: "))
	}
	if root.XMLName.Local != "configuration" {
		return nil, fmt.Errorf("parse XML: root element is <%s>, want <configuration>", root.XMLName.Local)
	}
	var dps []xmlDefaultProxy
	for _, sn := range root.SystemNet {
		dps = append(dps, sn.DefaultProxy...)
	}
	return dps, nil
}

// sectionOf reads a <defaultProxy>'s attributes and children.
func sectionOf(dp xmlDefaultProxy) (*proxySection, error) {
	s := &proxySection{}
	var err error
	if s.enabled, err = boolAttr(dp.Attrs, "enabled", false); err != nil {
		return nil, fmt.Errorf("<defaultProxy> %w", err)
	}
	if s.useDefaultCredentials, err = boolAttr(dp.Attrs, "useDefaultCredentials", false); err != nil {
		return nil, fmt.Errorf("<defaultProxy> %w", err)
	}
	if len(dp.Proxy) > 1 || len(dp.Module) > 1 || len(dp.Bypasses) > 1 {
		return nil, errors.New("<defaultProxy> has a child element more than once")
	}
	if len(dp.Proxy) == 1 {
		pa := dp.Proxy[0].Attrs
		s.proxyAddress = strAttr(pa, "proxyaddress")
		s.scriptLocation = strAttr(pa, "scriptLocation")
		for _, b := range []struct {
			name string
			dst  **bool
		}{{"usesystemdefault", &s.useSystemDefault}, {"bypassonlocal", &s.bypassOnLocal}, {"autoDetect", &s.autoDet}} {
			if *b.dst, err = boolAttr(pa, b.name, true); err != nil {
				return nil, fmt.Errorf("<proxy> %w", err)
			}
		}
	}
	if len(dp.Module) == 1 {
		s.module = strAttr(dp.Module[0].Attrs, "type")
	}
	if len(dp.Bypasses) == 1 {
		for _, it := range dp.Bypasses[0].Items {
			op := it.XMLName.Local
			addr, ok := attr(it.Attrs, "address")
			switch {
			case op == "clear":
				s.bypass = append(s.bypass, bypassOp{op: op})
			case (op == "add" || op == "remove") && ok && addr != "":
				s.bypass = append(s.bypass, bypassOp{op: op, address: addr})
			case op == "add" || op == "remove":
				return nil, fmt.Errorf("<bypasslist><%s> has no address", op)
			default:
				return nil, fmt.Errorf("<bypasslist> holds an unknown element <%s>", op)
			}
		}
	}
	return s, nil
}

// toUTF8 strips a UTF-8 byte order mark and converts UTF-16 (with a byte
// order mark, as Windows tools write it) to UTF-8.
func toUTF8(data []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return data[3:], nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		le := data[0] == 0xFF
		body := data[2:]
		if len(body)%2 != 0 {
			return nil, errors.New("UTF-16 text of odd length")
		}
		units := make([]uint16, len(body)/2)
		for i := range units {
			if le {
				units[i] = uint16(body[2*i]) | uint16(body[2*i+1])<<8
			} else {
				units[i] = uint16(body[2*i])<<8 | uint16(body[2*i+1])
			}
		}
		return []byte(string(utf16.Decode(units))), nil
	}
	return data, nil
}
