package directory

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-ldap/ldap/v3"
)

// Trust directions (trustDirection, MS-ADTS 6.1.6.7.12).
const (
	TrustDirectionDisabled      = 0
	TrustDirectionInbound       = 1 // the other domain trusts this one
	TrustDirectionOutbound      = 2 // this domain trusts the other
	TrustDirectionBidirectional = 3
)

// Trust attributes (trustAttributes, MS-ADTS 6.1.6.7.9).
const (
	TrustAttrNonTransitive     = 0x1
	TrustAttrQuarantined       = 0x4 // SID filtering: set on external trusts
	TrustAttrForestTransitive  = 0x8 // a forest trust
	TrustAttrCrossOrganization = 0x10
	TrustAttrWithinForest      = 0x20 // a parent-child or tree-root trust inside the forest
	TrustAttrTreatAsExternal   = 0x40
)

// Forest trust record types (MS-ADTS 6.1.6.9.3.1) and the flags of
// top-level names.
const (
	ForestTrustTopLevelName   = 0
	ForestTrustTopLevelNameEx = 1 // an excluded top-level name
	ForestTrustDomainInfo     = 2

	TLNDisabledNew      = 0x1 // LSA_TLN_DISABLED_NEW: not yet enabled
	TLNDisabledAdmin    = 0x2 // LSA_TLN_DISABLED_ADMIN
	TLNDisabledConflict = 0x4 // LSA_TLN_DISABLED_CONFLICT
)

// Trust is one trustedDomain object: a trust of this domain (or of the forest
// root domain) with another domain or forest.
type Trust struct {
	DN         string
	Partner    string // trustPartner: the other domain's DNS name, lower case
	FlatName   string // its NetBIOS name
	Direction  int    // trustDirection
	Type       int    // trustType (2: uplevel, an AD domain)
	Attributes int    // trustAttributes
	// ForestInfo is msDS-TrustForestTrustInfo parsed (forest trusts only);
	// nil when the DC did not return it.
	ForestInfo *ForestTrustInfo
	Problems   []string
}

// ForestTrustInfo is msDS-TrustForestTrustInfo: the names the trusted forest
// claims, which name-suffix routing uses.
type ForestTrustInfo struct {
	Records []ForestTrustRecord
}

// ForestTrustRecord is one record. Name is the top-level name (types 0 and
// 1) or the domain's DNS name (type 2, with NetBIOS).
type ForestTrustRecord struct {
	Type    int
	Flags   uint32
	Name    string
	NetBIOS string
}

// Limits of the forest trust parser.
const (
	maxForestTrustRecords = 4000 // LSA_FOREST_TRUST_INFORMATION's range
	maxTrusts             = 1000
)

// ErrForestTrustInfo: msDS-TrustForestTrustInfo is not the structure of
// MS-ADTS 6.1.6.9.3.
var ErrForestTrustInfo = errors.New("malformed msDS-TrustForestTrustInfo")

// ParseForestTrustInfo parses msDS-TrustForestTrustInfo (MS-ADTS 6.1.6.9.3,
// little-endian): Version (1), RecordCount, then each record: RecordLen (not
// counting itself), Flags, Timestamp (8 bytes), RecordType (1 byte) and its
// data. Top-level names are NameLen + UTF-8 name; domain info is SidLen +
// SID, DnsNameLen + DNS name, NetbiosNameLen + NetBIOS name. Records of
// other types are skipped by their length.
func ParseForestTrustInfo(b []byte) (*ForestTrustInfo, error) {
	bad := func(format string, args ...any) (*ForestTrustInfo, error) {
		return nil, fmt.Errorf("%w: "+format, append([]any{ErrForestTrustInfo}, args...)...)
	}
	if len(b) < 8 {
		return bad("%d bytes", len(b))
	}
	if v := binary.LittleEndian.Uint32(b); v != 1 {
		return bad("version %d", v)
	}
	count := binary.LittleEndian.Uint32(b[4:])
	if count > maxForestTrustRecords {
		return bad("%d records", count)
	}
	info := &ForestTrustInfo{}
	p := b[8:]
	for i := range count {
		if len(p) < 4 {
			return bad("record %d: truncated", i)
		}
		n := binary.LittleEndian.Uint32(p)
		p = p[4:]
		if uint64(n) > uint64(len(p)) || n < 13 {
			return bad("record %d: length %d", i, n)
		}
		rec, rest := p[:n], p[n:]
		p = rest
		r := ForestTrustRecord{Flags: binary.LittleEndian.Uint32(rec), Type: int(rec[12])}
		data := rec[13:]
		counted := func() ([]byte, error) {
			if len(data) < 4 {
				return nil, errors.New("truncated length")
			}
			l := binary.LittleEndian.Uint32(data)
			if uint64(l) > uint64(len(data)-4) {
				return nil, fmt.Errorf("a field of %d bytes", l)
			}
			v := data[4 : 4+l]
			data = data[4+l:]
			return v, nil
		}
		str := func() (string, error) {
			v, err := counted()
			if err == nil && !utf8.Valid(v) {
				err = errors.New("name is not UTF-8")
			}
			return string(v), err
		}
		var err error
		switch r.Type {
		case ForestTrustTopLevelName, ForestTrustTopLevelNameEx:
			r.Name, err = str()
		case ForestTrustDomainInfo:
			if _, err = counted(); err == nil { // the SID, binary
				if r.Name, err = str(); err == nil {
					r.NetBIOS, err = str()
				}
			}
		default:
			continue // binary data or scanner info: not needed here
		}
		if err != nil {
			return bad("record %d: %v", i, err)
		}
		r.Name = strings.ToLower(strings.TrimSuffix(r.Name, "."))
		info.Records = append(info.Records, r)
	}
	return info, nil
}

// TopLevelNames returns the included top-level names with their flags.
func (f *ForestTrustInfo) TopLevelNames() []ForestTrustRecord {
	var out []ForestTrustRecord
	for _, r := range f.Records {
		if r.Type == ForestTrustTopLevelName {
			out = append(out, r)
		}
	}
	return out
}

// Excluded returns the excluded top-level names.
func (f *ForestTrustInfo) Excluded() []string {
	var out []string
	for _, r := range f.Records {
		if r.Type == ForestTrustTopLevelNameEx {
			out = append(out, r.Name)
		}
	}
	return out
}

// TrustAttributes are the attributes Trusts reads.
var TrustAttributes = []string{"trustPartner", "flatName", "trustDirection", "trustType", "trustAttributes", "msDS-TrustForestTrustInfo"}

// Trusts reads the trustedDomain objects under CN=System of the forest root
// domain (where forest trusts live, MS-ADTS 6.1.6.9.3) and of this DC's
// domain (its external trusts), sorted by partner. rootErr is why the
// forest root domain's could not be read from this DC (a DC of a child
// domain does not hold it); the error is for this DC's own domain.
func (s *Session) Trusts(ctx context.Context) (trusts []Trust, rootErr, err error) {
	root, err := s.cachedRootDSE(ctx)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	read := func(nc string) error {
		entries, _, err := s.search(ctx, search{base: "CN=System," + nc, scope: ldap.ScopeSingleLevel, filter: "(objectClass=trustedDomain)",
			attrs: TrustAttributes, paged: true, maxEntries: maxTrusts})
		if err != nil {
			return err
		}
		for _, e := range entries {
			if seen[strings.ToLower(e.DN)] {
				continue
			}
			seen[strings.ToLower(e.DN)] = true
			trusts = append(trusts, trustFromEntry(e))
		}
		return nil
	}
	if root.RootDomainNamingContext != "" && !strings.EqualFold(root.RootDomainNamingContext, root.DefaultNamingContext) {
		rootErr = read(root.RootDomainNamingContext)
	}
	if root.DefaultNamingContext == "" {
		return nil, rootErr, &OpError{Op: "search", Object: "rootdse", Err: fmt.Errorf("no defaultNamingContext")}
	}
	err = read(root.DefaultNamingContext)
	sort.Slice(trusts, func(i, j int) bool { return trusts[i].Partner < trusts[j].Partner })
	return trusts, rootErr, err
}

func trustFromEntry(e *ldap.Entry) Trust {
	t := Trust{DN: clipN(e.DN, MaxValueBytes), Partner: strings.ToLower(strings.TrimSuffix(value(e, "trustPartner"), ".")), FlatName: value(e, "flatName")}
	integer := func(attr string) int {
		v := value(e, attr)
		n, err := strconv.ParseInt(v, 10, 64)
		if v != "" && err != nil {
			t.Problems = append(t.Problems, fmt.Sprintf("%s %q: not an integer", attr, clip(v)))
		}
		return int(uint32(n)) // AD may return flags as signed 32-bit values
	}
	t.Direction = integer("trustDirection")
	t.Type = integer("trustType")
	t.Attributes = integer("trustAttributes")
	if raw := e.GetEqualFoldRawAttributeValue("msDS-TrustForestTrustInfo"); len(raw) > 0 {
		info, err := ParseForestTrustInfo(raw)
		if err != nil {
			t.Problems = append(t.Problems, err.Error())
		}
		t.ForestInfo = info
	}
	return t
}

// DirectionName names a trustDirection.
func DirectionName(d int) string {
	switch d {
	case TrustDirectionDisabled:
		return "disabled"
	case TrustDirectionInbound:
		return "one-way inbound"
	case TrustDirectionOutbound:
		return "one-way outbound"
	case TrustDirectionBidirectional:
		return "two-way"
	}
	return "direction " + strconv.Itoa(d)
}
