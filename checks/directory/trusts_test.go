package directory

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"testing"
)

// A forest trust information blob written out by hand from MS-ADTS
// 6.1.6.9.3 (little-endian): version 1, three records: an included
// top-level name, an excluded one, and the domain information.
var forestTrustBlob = []byte{
	1, 0, 0, 0, // Version
	3, 0, 0, 0, // RecordCount
	// Record 1: RecordLen 30 = Flags 4 + Timestamp 8 + Type 1 + NameLen 4 + 13
	30, 0, 0, 0,
	0, 0, 0, 0, // Flags: enabled
	0x00, 0x40, 0x1f, 0x8c, 0x7d, 0x5a, 0xdb, 0x01, // Timestamp
	0,           // ForestTrustTopLevelName
	13, 0, 0, 0, // NameLen
	'F', 'a', 'b', 'r', 'i', 'k', 'a', 'm', '.', 't', 'e', 's', 't',
	// Record 2: an exclusion, RecordLen 4+8+1+4+18 = 35
	35, 0, 0, 0,
	0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	1,
	18, 0, 0, 0,
	'l', 'e', 'g', 'a', 'c', 'y', '.', 'f', 'a', 'b', 'r', 'i', 'k', 'a', 'm', '.', 't', 'e', // "legacy.fabrikam.te"
	// Record 3: domain info, RecordLen 4+8+1 + (4+12) + (4+13) + (4+8) = 58
	58, 0, 0, 0,
	0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	2,
	12, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, // SID S-1-5-21
	13, 0, 0, 0, 'f', 'a', 'b', 'r', 'i', 'k', 'a', 'm', '.', 't', 'e', 's', 't',
	8, 0, 0, 0, 'F', 'A', 'B', 'R', 'I', 'K', 'A', 'M',
}

func TestParseForestTrustInfo(t *testing.T) {
	info, err := ParseForestTrustInfo(forestTrustBlob)
	if err != nil {
		t.Fatal(err)
	}
	tln := info.TopLevelNames()
	if len(info.Records) != 3 || len(tln) != 1 || tln[0].Name != "fabrikam.test" || tln[0].Flags != 0 {
		t.Fatalf("records %+v", info.Records)
	}
	if ex := info.Excluded(); len(ex) != 1 || ex[0] != "legacy.fabrikam.te" {
		t.Fatalf("excluded %v", ex)
	}
	if d := info.Records[2]; d.Type != ForestTrustDomainInfo || d.Name != "fabrikam.test" || d.NetBIOS != "FABRIKAM" {
		t.Fatalf("domain info %+v", d)
	}
	// An unknown record type is skipped by its length.
	unknown := append([]byte{1, 0, 0, 0, 1, 0, 0, 0, 16, 0, 0, 0}, make([]byte, 16)...)
	unknown[8+4+12] = 3 // ForestTrustBinaryInfo
	if info, err := ParseForestTrustInfo(unknown); err != nil || len(info.Records) != 0 {
		t.Fatalf("unknown record: %+v, %v", info, err)
	}
	bad := func(mod func(b []byte) []byte) []byte {
		return mod(append([]byte(nil), forestTrustBlob...))
	}
	for name, b := range map[string][]byte{
		"empty":              nil,
		"version 2":          bad(func(b []byte) []byte { b[0] = 2; return b }),
		"too many records":   bad(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[4:], 5000); return b }),
		"a record too long":  bad(func(b []byte) []byte { b[8] = 200; return b }),
		"a record too short": bad(func(b []byte) []byte { b[8] = 12; return b }),
		"a name too long":    bad(func(b []byte) []byte { b[8+4+13] = 20; return b }),
		"truncated":          forestTrustBlob[:len(forestTrustBlob)-3],
		"more records than data": bad(func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[4:], 4)
			return b
		}),
		"not UTF-8": bad(func(b []byte) []byte { b[8+4+13+4] = 0xff; return b }),
	} {
		if _, err := ParseForestTrustInfo(b); !errors.Is(err, ErrForestTrustInfo) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzParseForestTrustInfo(f *testing.F) {
	f.Add(forestTrustBlob)
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := ParseForestTrustInfo(b)
		if (info == nil) == (err == nil) {
			t.Fatalf("info %v with error %v", info, err)
		}
	})
}

// sambaForestTrustBlob was packed by Samba 4.17's own NDR code (python3
// samba.dcerpc.drsblobs.ForestTrustInfo, from drsblobs.idl): the top-level
// names fabrikam.test and Fabrikam.COM (routing disabled by the
// administrator, LSA_TLN_DISABLED_ADMIN), the exclusion
// legacy.fabrikam.test, and the domain fabrikam.test / FABRIKAM with its SID.
const sambaForestTrustBlob = "01000000040000001e000000000000000080209bcb82d801000d00000066616272696b616d2e746573741d000000020000000080209bcb82d801000c00000046616272696b616d2e434f4d25000000000000000080209bcb82d80101140000006c65676163792e66616272696b616d2e7465737446000000000000000080209bcb82d8010218000000010400000000000515000000e40b9091327a148e2f0dd30d0d00000066616272696b616d2e746573740800000046414252494b414d"

func TestParseForestTrustInfoFromSamba(t *testing.T) {
	b, err := hex.DecodeString(sambaForestTrustBlob)
	if err != nil {
		t.Fatal(err)
	}
	info, err := ParseForestTrustInfo(b)
	if err != nil {
		t.Fatal(err)
	}
	tln := info.TopLevelNames()
	if len(info.Records) != 4 || len(tln) != 2 || tln[0].Name != "fabrikam.test" || tln[0].Flags != 0 ||
		tln[1].Name != "fabrikam.com" || tln[1].Flags != TLNDisabledAdmin {
		t.Fatalf("top-level names %+v", tln)
	}
	if ex := info.Excluded(); len(ex) != 1 || ex[0] != "legacy.fabrikam.test" {
		t.Fatalf("excluded %v", ex)
	}
	if d := info.Records[3]; d.Type != ForestTrustDomainInfo || d.Name != "fabrikam.test" || d.NetBIOS != "FABRIKAM" {
		t.Fatalf("domain info %+v", d)
	}
}
