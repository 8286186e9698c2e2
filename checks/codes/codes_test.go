package codes

import (
	"errors"
	"strings"
	"testing"
)

// TestEmbeddedTable validates data/codes.json as load does at first use
// (required fields, unique codes and symbols, symmetric links, known check
// IDs) and checks that the codes the reference documents are all there.
func TestEmbeddedTable(t *testing.T) {
	tb, err := load(codesJSON)
	if err != nil {
		t.Fatalf("embedded table: %v", err)
	}
	want := map[Kind][]int64{
		AADSTS: {50144, 80001, 80002, 80003, 80004, 80005, 80007, 80010, 80011, 80012, 80013, 80014,
			50034, 50053, 50055, 50057, 50126, 50177, 50178,
			50072, 50074, 50076, 50078, 50079, 50158, 53003, 530035, 50196},
		Win32: {1311, 1317, 1323, 1325, 1326, 1327, 1328, 1329, 1330, 1331, 1352, 1355, 1359, 1364, 1384, 1385,
			1398, 1722, 1726, 1787, 1788, 1789, 1792, 1793, 1810, 1907, 1908, 1909, 1935, -2146892994,
			1, 5, 8, 12, 14, 50, 87, 160, 206, 1130, 1450},
		NTSTATUS: {0xC000005E, 0xC0000064, 0xC000006A, 0xC000006D, 0xC000006E, 0xC000006F, 0xC0000070,
			0xC0000071, 0xC0000072, 0xC00000DC, 0xC0000133, 0xC000015B, 0xC000018C, 0xC0000192, 0xC0000193,
			0xC0000224, 0xC0000225, 0xC0000234, 0xC00002EE, 0xC0000413, 0x0},
	}
	n := 0
	for kind, nums := range want {
		for _, num := range nums {
			n++
			e, ok := Lookup(Code{Kind: kind, Number: num})
			if !ok {
				t.Errorf("%s %d missing from the table", kind, num)
				continue
			}
			// Codes ptacheck's checks look at point to at least one check.
			pta := kind == Win32 || kind == AADSTS && (num == 50144 || num >= 80001 && num <= 80014)
			if pta && len(e.RelatedChecks) == 0 {
				t.Errorf("%s %d: no related check", kind, num)
			}
		}
	}
	if len(tb.entries) != n {
		t.Errorf("table has %d entries, the reference list %d: add the new ones to this test", len(tb.entries), n)
	}
	// The reference marks these as not confirmed by any source.
	for _, c := range []Code{{Kind: AADSTS, Number: 80003}, {Kind: AADSTS, Number: 80004}, {Kind: AADSTS, Number: 80011},
		{Kind: NTSTATUS, Number: 0xC0000225}, {Kind: NTSTATUS, Number: 0xC00002EE}} {
		if e, _ := Lookup(c); e.Unverified == "" {
			t.Errorf("%s: want an unverified note", c)
		}
	}
	// Section 4 of error-codes.md: the strong links, both ways.
	for _, l := range []struct {
		win32, aadsts int64
		confidence    string
	}{{1330, 50144, "strong-derived"}, {1328, 80012, "strong-derived"}, {1398, 80013, "strong-derived"}, {1331, 50057, "derived"}} {
		e, _ := Lookup(Code{Kind: Win32, Number: l.win32})
		found := false
		for _, k := range e.Links {
			found = found || k.Kind == AADSTS && k.Number == l.aadsts && k.Confidence == l.confidence
		}
		if !found {
			t.Errorf("win32 %d: no %s link to AADSTS%d", l.win32, l.confidence, l.aadsts)
		}
	}
	if e, _ := Lookup(Code{Kind: Win32, Number: 1328}); e.ADCondition == "" || e.ADAttributes[0] != "logonHours" {
		t.Errorf("1328: AD condition %q %v", e.ADCondition, e.ADAttributes)
	}
}

func TestLoadRejects(t *testing.T) {
	entry := func(extra string) string {
		return `{"kind": "win32", "number": 1328, "hex": "0x530", "symbol": "ERROR_INVALID_LOGON_HOURS", "text": "t",
			"meaning": "m", "likely_cause": "c", "what_to_do": "w", "source": "s", "related_checks": ["user.account-state"]` + extra + `}`
	}
	doc := func(entries ...string) string {
		return `{"schema_version": "1", "codes": [` + strings.Join(entries, ",") + `]}`
	}
	if _, err := load([]byte(doc(entry("")))); err != nil {
		t.Fatalf("valid document rejected: %v", err)
	}
	ntstatus := `{"kind": "ntstatus", "number": 3221225583, "hex": "0xC000006F", "symbol": "STATUS_INVALID_LOGON_HOURS",
		"meaning": "m", "likely_cause": "c", "what_to_do": "w", "source": "s", "related_checks": []`
	for _, tc := range []struct{ name, doc, want string }{
		{"schema", `{"schema_version": "2", "codes": []}`, "schema_version"},
		{"syntax", `{"codes": [`, "unexpected end"},
		{"duplicate code", doc(entry(""), strings.Replace(entry(""), "ERROR_INVALID_LOGON_HOURS", "X", 1)), "duplicate code"},
		{"duplicate symbol", doc(entry(""), strings.Replace(strings.Replace(entry(""), "1328", "1329", 1), "0x530", "0x531", 1)), "duplicate symbol"},
		{"wrong hex", doc(strings.Replace(entry(""), "0x530", "0x531", 1)), "hex"},
		{"aadsts with hex", doc(`{"kind": "aadsts", "number": 80001, "hex": "0x1", "symbol": "S", "meaning": "m", "likely_cause": "c", "what_to_do": "w", "source": "s", "related_checks": []}`), "no hex"},
		{"unknown kind", doc(strings.Replace(entry(""), `"win32"`, `"hresult"`, 1)), "unknown kind"},
		{"missing meaning", doc(strings.Replace(entry(""), `"meaning": "m"`, `"meaning": " "`, 1)), "missing meaning"},
		{"missing source", doc(strings.Replace(entry(""), `"source": "s"`, `"x": "s"`, 1)), "missing source"},
		{"missing text", doc(strings.Replace(entry(""), `"text": "t"`, `"x": "t"`, 1)), "documented text"},
		{"no symbol", doc(strings.Replace(entry(""), `"symbol": "ERROR_INVALID_LOGON_HOURS"`, `"x": ""`, 1)), "no symbol"},
		{"missing related_checks", doc(strings.Replace(entry(""), `"related_checks": ["user.account-state"]`, `"x": 1`, 1)), "related_checks"},
		{"unknown check", doc(strings.Replace(entry(""), "user.account-state", "user.nonsense", 1)), "not a known check ID"},
		{"win32 range", doc(strings.Replace(entry(""), "1328", "4294967295", 1)), "signed 32-bit"},
		{"bad confidence", doc(entry(`, "links": [{"kind": "ntstatus", "number": 3221225583, "confidence": "maybe"}]`), ntstatus+`}`), "confidence"},
		{"dangling link", doc(entry(`, "links": [{"kind": "aadsts", "number": 80012, "confidence": "derived"}]`)), "not in the table"},
		{"one-way link", doc(entry(`, "links": [{"kind": "ntstatus", "number": 3221225583, "confidence": "derived"}]`), ntstatus+`}`), "no link back"},
		{"confidence differs", doc(entry(`, "links": [{"kind": "ntstatus", "number": 3221225583, "confidence": "derived"}]`),
			ntstatus+`, "links": [{"kind": "win32", "number": 1328, "confidence": "unverified"}]}`), "no link back"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	// A symmetric link passes.
	ok := doc(entry(`, "links": [{"kind": "ntstatus", "number": 3221225583, "confidence": "derived"}]`),
		ntstatus+`, "links": [{"kind": "win32", "number": 1328, "confidence": "derived"}]}`)
	if _, err := load([]byte(ok)); err != nil {
		t.Fatalf("symmetric links rejected: %v", err)
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		kind Kind
		num  int64
		note bool
	}{
		{"AADSTS80001", AADSTS, 80001, false},
		{"aadsts80001", AADSTS, 80001, false},
		{"AadSts50144", AADSTS, 50144, false},
		{"80001", AADSTS, 80001, false},
		{"AADSTS8002", AADSTS, 80002, true}, // documented typo
		{"AADSTS7000218", AADSTS, 7000218, false},
		{"AADSTS16000", AADSTS, 16000, false}, // the prefix decides, not the size
		{"1328", Win32, 1328, false},
		{"  1328\n", Win32, 1328, false},
		{"'1328'", Win32, 1328, false}, // pasted from Reason: '1328'
		{`"1909"`, Win32, 1909, false},
		{"0", Win32, 0, false},
		{"49999", Win32, 49999, false},
		{"50000", AADSTS, 50000, false},
		{"999999", AADSTS, 999999, false},
		{"530035", AADSTS, 530035, false},
		{"0x530", Win32, 1328, false},
		{"0X530", Win32, 1328, false},
		{"-2146892994", Win32, -2146892994, false},
		{"-1", Win32, -1, false},
		{"-2147483648", Win32, -2147483648, false},
		{"0x8009033E", Win32, -2146892994, false},
		{"0x8009033e", Win32, -2146892994, false},
		{"2148074302", Win32, -2146892994, false}, // 0x8009033E as an unsigned decimal
		{"0xC000006D", NTSTATUS, 0xC000006D, false},
		{"0xc0000234", NTSTATUS, 0xC0000234, false},
		{"3221225581", NTSTATUS, 0xC000006D, false},
		{"0xFFFFFFFF", NTSTATUS, 0xFFFFFFFF, false},
		{"0x12345", Win32, 0x12345, false}, // hex is never AADSTS
		{"ERROR_ACCOUNT_DISABLED", Win32, 1331, false},
		{"error_account_locked_out", Win32, 1909, false},
		{"SEC_E_SMARTCARD_LOGON_REQUIRED", Win32, -2146892994, false},
		{"STATUS_SUCCESS", NTSTATUS, 0, false},
		{"OnPremisePasswordValidationTimeSkew", AADSTS, 80013, false},
	} {
		c, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if c.Kind != tc.kind || c.Number != tc.num || (c.Note != "") != tc.note {
			t.Errorf("Parse(%q) = %+v, want %s %d (note %v)", tc.in, c, tc.kind, tc.num, tc.note)
		}
		if back, err := Parse(c.String()); err != nil || back.Kind != c.Kind || back.Number != c.Number {
			t.Errorf("Parse(%q).String() = %q reads back as %+v, %v", tc.in, c.String(), back, err)
		}
	}
	if c, _ := Parse("AADSTS8002"); !strings.Contains(c.Note, "80002") {
		t.Errorf("typo note %q does not name 80002", c.Note)
	}
}

func TestParseRejects(t *testing.T) {
	for _, in := range []string{
		"", "   ", "''", "AADSTS", "AADSTS-1", "AADSTS0", "AADSTS12345678", "AADSTS 80001", "AADSTSx",
		"0x", "0x123456789", "0xG1", "0x-1", "--5", "-", "1e3", "13.28", "1,328",
		"1000000", "2147483647", // ambiguous: AADSTS or a status code?
		"4294967296", "-2147483649", "99999999999999999999",
		"hello", "ERROR_NOT_A_SYMBOL", "'1328", "'1328\"",
	} {
		c, err := Parse(in)
		if err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", in, c)
			continue
		}
		var pe *Error
		if !errors.As(err, &pe) || !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%q): error %T %v is not a *Error wrapping ErrMalformed", in, err, err)
		}
		if msg := err.Error(); strings.ContainsAny(msg, "\n\r") || !strings.HasPrefix(msg, "parse code ") {
			t.Errorf("Parse(%q): error %q is not one line starting with the operation", in, msg)
		}
	}
	_, err := Parse("1234567")
	if err == nil || !strings.Contains(err.Error(), "AADSTS1234567") || !strings.Contains(err.Error(), "0x12D687") {
		t.Errorf("ambiguous number: %v should suggest both spellings", err)
	}
}

func TestExplain(t *testing.T) {
	system := func(code int) (string, bool) {
		if code == 1328 || code == 4242 {
			return "host text for " + Code{Kind: Win32, Number: int64(code)}.String(), true
		}
		return "", false
	}
	// The host's text wins over the table for Win32 codes.
	x, err := explain(Code{Kind: Win32, Number: 1328}, system)
	if err != nil || !x.Known || x.Text() != "host text for 1328" || x.Entry.Symbol != "ERROR_INVALID_LOGON_HOURS" {
		t.Errorf("1328: %+v, %v", x, err)
	}
	// Without host text the table's documented text is used.
	x, err = explain(Code{Kind: Win32, Number: 1331}, system)
	if err != nil || x.Text() != "This user can't sign in because this account is currently disabled." {
		t.Errorf("1331: %q, %v", x.Text(), err)
	}
	// A code only the host knows is explained by the host.
	x, err = explain(Code{Kind: Win32, Number: 4242}, system)
	if err != nil || x.Known || x.Text() != "host text for 4242" {
		t.Errorf("4242: %+v, %v", x, err)
	}
	// AADSTS and NTSTATUS never ask the host.
	x, _ = explain(Code{Kind: AADSTS, Number: 80014}, func(int) (string, bool) { t.Error("host asked for AADSTS"); return "", false })
	if x.Text() != "Validation request responded after maximum elapsed time exceeded." {
		t.Errorf("80014: report text fallback, got %q", x.Text())
	}
	x, _ = explain(Code{Kind: NTSTATUS, Number: 0xC0000072}, nil)
	if !strings.Contains(x.Text(), "disabled") {
		t.Errorf("0xC0000072: %q", x.Text())
	}
	// Unknown everywhere: a one-line *Error with the number and hex form.
	_, err = explain(Code{Kind: Win32, Number: 0x12345}, system)
	if !errors.Is(err, ErrUnknown) || !strings.HasPrefix(err.Error(), "explain code 0x12345: unknown code (not in ptacheck's table and the system has no message for it; look it up with Microsoft's Error Lookup Tool (err.exe 0x12345; https://learn.microsoft.com/windows/win32/debug/system-error-code-lookup-tool) or in the Windows error codes specification [MS-ERREF] (https://") {
		t.Errorf("unknown win32: %v", err)
	}
	_, err = explain(Code{Kind: Win32, Number: 4711}, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "explain code 4711 (0x1267): unknown code (not in ptacheck's table and the system has no message for it; look it up with Microsoft's Error Lookup Tool (err.exe 0x1267;") {
		t.Errorf("unknown win32: %v", err)
	}
	_, err = Explain(Code{Kind: AADSTS, Number: 99999})
	if !errors.Is(err, ErrUnknown) || err.Error() != "explain code AADSTS99999: unknown code (not in ptacheck's table; look it up at https://login.microsoftonline.com/error?code=99999)" {
		t.Errorf("unknown aadsts: %v", err)
	}
}

func TestCodeForms(t *testing.T) {
	for _, tc := range []struct {
		c        Code
		str, hex string
	}{
		{Code{Kind: AADSTS, Number: 80001}, "AADSTS80001", ""},
		{Code{Kind: Win32, Number: 1328}, "1328", "0x530"},
		{Code{Kind: Win32, Number: -2146892994}, "-2146892994", "0x8009033E"},
		{Code{Kind: Win32, Number: 0x12345}, "0x12345", "0x12345"},
		{Code{Kind: NTSTATUS, Number: 0xC000006D}, "0xC000006D", "0xC000006D"},
		{Code{Kind: NTSTATUS, Number: 0}, "STATUS_SUCCESS", "0x00000000"},
	} {
		if tc.c.String() != tc.str || tc.c.Hex() != tc.hex {
			t.Errorf("%+v: String %q Hex %q, want %q %q", tc.c, tc.c.String(), tc.c.Hex(), tc.str, tc.hex)
		}
	}
}

func TestEntriesIsACopy(t *testing.T) {
	e := Entries()
	e[0].Meaning = "changed"
	e[0].RelatedChecks[0] = "changed"
	l, _ := Lookup(e[0].Code())
	l.Links[0].Number = 1
	if f := Entries()[0]; f.Meaning == "changed" || f.RelatedChecks[0] == "changed" || f.Links[0].Number == 1 {
		t.Fatal("Entries or Lookup expose the table")
	}
}
