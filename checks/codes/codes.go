// Package codes explains the error codes a PTA admin meets: AADSTS sign-in
// codes, the Win32 "Reason" codes of the agent's trace log (LogonUser
// results, including HRESULTs logged as negative numbers) and the NTSTATUS
// values of Security event 4625.
//
// The table is data, embedded from data/codes.json (built from
// shared/reference/error-codes.md); this file only reads it. Each entry has a
// kind and number, the documented texts, what the code means for PTA, the
// likely cause, what to do, where the facts come from, links to related
// codes with a confidence, the AD condition a directory check can evaluate,
// and the ptacheck checks that look at the cause.
package codes

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Kind is the family of a code.
type Kind string

const (
	AADSTS   Kind = "aadsts"   // Entra ID sign-in error, decimal
	Win32    Kind = "win32"    // Win32 error code, or an HRESULT as a signed 32-bit number
	NTSTATUS Kind = "ntstatus" // NTSTATUS as an unsigned 32-bit number (0xC000006D = 3221225581)
)

// Code identifies one code. Number is the decimal value as logged: AADSTS
// digits, Win32 codes and HRESULTs as signed 32-bit numbers
// (-2146892994 = 0x8009033E), NTSTATUS as unsigned 32-bit numbers.
type Code struct {
	Kind   Kind
	Number int64
	Note   string // how the input was read when not literally (e.g. the AADSTS8002 typo)
}

// String renders the code the way it is usually written, and so that Parse
// reads it back as the same code: AADSTS80001, 1328, -2146892994,
// 0xC000006D; a Win32 value that a bare number would make an AADSTS code
// (50000 and more) is written in hex, and NTSTATUS 0, which hex would make
// Win32 0, by its name.
func (c Code) String() string {
	switch {
	case c.Kind == NTSTATUS && c.Number == 0:
		return "STATUS_SUCCESS"
	case c.Kind == AADSTS:
		return "AADSTS" + strconv.FormatInt(c.Number, 10)
	case c.Kind == NTSTATUS, c.Kind == Win32 && c.Number >= aadstsMin:
		return c.Hex()
	}
	return strconv.FormatInt(c.Number, 10)
}

// Hex is the hexadecimal form of Win32 and NTSTATUS codes: 0x530,
// 0x8009033E, 0xC000006D (HRESULTs and NTSTATUS with 8 digits). AADSTS codes
// are decimal only: "".
func (c Code) Hex() string {
	switch c.Kind {
	case Win32:
		if c.Number < 0 {
			return fmt.Sprintf("0x%08X", uint32(c.Number))
		}
		return fmt.Sprintf("0x%X", c.Number)
	case NTSTATUS:
		return fmt.Sprintf("0x%08X", uint32(c.Number))
	}
	return ""
}

// Entry is one row of the table (see data/codes.json).
type Entry struct {
	Kind          Kind     `json:"kind"`
	Number        int64    `json:"number"`
	Hex           string   `json:"hex,omitempty"`         // Win32 and NTSTATUS
	Symbol        string   `json:"symbol,omitempty"`      // ERROR_..., STATUS_..., or the AADSTS name; empty when unknown
	Text          string   `json:"text,omitempty"`        // documented message (AADSTS: shown to the user)
	ReportText    string   `json:"report_text,omitempty"` // AADSTS: failure reason in the sign-in report
	LegacyText    string   `json:"legacy_text,omitempty"` // older wording (Windows XP-7 message table, 2017 docs)
	Meaning       string   `json:"meaning"`
	LikelyCause   string   `json:"likely_cause"` // in a PTA setup
	WhatToDo      string   `json:"what_to_do"`
	Source        string   `json:"source"`               // where the texts and facts come from
	Unverified    string   `json:"unverified,omitempty"` // what no source confirms (e.g. the symbol)
	Note          string   `json:"note,omitempty"`
	Links         []Link   `json:"links,omitempty"`
	ADCondition   string   `json:"ad_condition,omitempty"` // what a directory check can evaluate
	ADAttributes  []string `json:"ad_attributes,omitempty"`
	RelatedChecks []string `json:"related_checks"` // ptacheck check IDs that look at the cause
}

// Code returns the entry's code.
func (e Entry) Code() Code { return Code{Kind: e.Kind, Number: e.Number} }

// Link relates two codes (error-codes.md section 4; NTSTATUS -> Win32 is
// the usual RtlNtStatusToDosError result).
type Link struct {
	Kind       Kind   `json:"kind"`
	Number     int64  `json:"number"`
	Confidence string `json:"confidence"` // documented, strong-derived, derived or unverified
	Note       string `json:"note,omitempty"`
}

// Code returns the linked code.
func (l Link) Code() Code { return Code{Kind: l.Kind, Number: l.Number} }

//go:embed data/codes.json
var codesJSON []byte

type table struct {
	entries  []Entry
	byCode   map[Code]int
	bySymbol map[string]int // upper-case symbol
}

// tbl parses the embedded file once. A broken file is a build defect that
// TestEmbeddedTable catches, hence the panic.
var tbl = sync.OnceValue(func() *table {
	t, err := load(codesJSON)
	if err != nil {
		panic("codes: embedded data/codes.json: " + err.Error())
	}
	return t
})

// Lookup returns the table entry of a code (its Note is ignored).
func Lookup(c Code) (Entry, bool) {
	t := tbl()
	i, ok := t.byCode[Code{Kind: c.Kind, Number: c.Number}]
	if !ok {
		return Entry{}, false
	}
	return t.entries[i].clone(), true
}

// Entries returns every entry in file order.
func Entries() []Entry {
	out := make([]Entry, len(tbl().entries))
	for i, e := range tbl().entries {
		out[i] = e.clone()
	}
	return out
}

// clone copies the slices too, so callers cannot change the table.
func (e Entry) clone() Entry {
	e.Links = slices.Clone(e.Links)
	e.ADAttributes = slices.Clone(e.ADAttributes)
	e.RelatedChecks = slices.Clone(e.RelatedChecks)
	return e
}

// CheckIDs are the check IDs that related_checks may name.
var CheckIDs = []string{
	"ad.dc-reachable", "ad.forest-membership", "ad.time-skew",
	"user.exists", "user.account-state", "user.password", "user.cloud-upn",
	"net.outbound-ports",
	"tenant.active-agents", "tenant.other-agents", "tenant.admin-account",
	"host.existing-agent",
	"logs.recent-failures",
}

var confidences = []string{"documented", "strong-derived", "derived", "unverified"}

// load parses and validates the table: every entry has its required fields,
// a hex form that matches its number, known check IDs and confidences;
// codes and symbols are unique; every link points to an entry that links
// back with the same confidence.
func load(data []byte) (*table, error) {
	var doc struct {
		SchemaVersion string  `json:"schema_version"`
		Codes         []Entry `json:"codes"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.SchemaVersion != "1" {
		return nil, fmt.Errorf("schema_version %q: want 1", doc.SchemaVersion)
	}
	t := &table{entries: doc.Codes, byCode: map[Code]int{}, bySymbol: map[string]int{}}
	for i, e := range t.entries {
		c := e.Code()
		if err := checkEntry(e); err != nil {
			return nil, fmt.Errorf("entry %d (%s %s): %w", i, e.Kind, c, err)
		}
		if _, dup := t.byCode[c]; dup {
			return nil, fmt.Errorf("entry %d: duplicate code %s %s", i, e.Kind, c)
		}
		t.byCode[c] = i
		if e.Symbol != "" {
			s := strings.ToUpper(e.Symbol)
			if _, dup := t.bySymbol[s]; dup {
				return nil, fmt.Errorf("entry %d: duplicate symbol %s", i, e.Symbol)
			}
			t.bySymbol[s] = i
		}
	}
	for _, e := range t.entries {
		for _, l := range e.Links {
			j, ok := t.byCode[l.Code()]
			if !ok {
				return nil, fmt.Errorf("%s %s: link to %s %s, which is not in the table", e.Kind, e.Code(), l.Kind, l.Code())
			}
			back := false
			for _, r := range t.entries[j].Links {
				if r.Code() == e.Code() && r.Confidence == l.Confidence {
					back = true
				}
			}
			if !back {
				return nil, fmt.Errorf("%s %s: link to %s %s has no link back with confidence %s", e.Kind, e.Code(), l.Kind, l.Code(), l.Confidence)
			}
		}
	}
	return t, nil
}

func checkEntry(e Entry) error {
	switch e.Kind {
	case AADSTS:
		if e.Number < 1 || e.Number > 9_999_999 {
			return errors.New("aadsts number out of range")
		}
		if e.Hex != "" {
			return errors.New("aadsts codes have no hex form")
		}
	case Win32:
		if e.Number < -1<<31 || e.Number > 1<<31-1 {
			return errors.New("win32 number is not a signed 32-bit value")
		}
	case NTSTATUS:
		if e.Number < 0 || e.Number > 1<<32-1 {
			return errors.New("ntstatus number is not an unsigned 32-bit value")
		}
	default:
		return fmt.Errorf("unknown kind %q", e.Kind)
	}
	if e.Kind != AADSTS && e.Hex != e.Code().Hex() {
		return fmt.Errorf("hex %q: want %q", e.Hex, e.Code().Hex())
	}
	if e.Symbol == "" && e.Unverified == "" {
		return errors.New("no symbol and no unverified note saying so")
	}
	for _, f := range []struct{ name, v string }{{"meaning", e.Meaning}, {"likely_cause", e.LikelyCause}, {"what_to_do", e.WhatToDo}, {"source", e.Source}} {
		if strings.TrimSpace(f.v) == "" {
			return fmt.Errorf("missing %s", f.name)
		}
	}
	if e.Kind == Win32 && e.Text == "" {
		return errors.New("win32 entry without its documented text")
	}
	if e.Kind == AADSTS && e.Text == "" && e.ReportText == "" && e.Meaning == "" {
		return errors.New("aadsts entry without any text")
	}
	if e.RelatedChecks == nil {
		return errors.New("missing related_checks (may be empty)")
	}
	for _, id := range e.RelatedChecks {
		if !slices.Contains(CheckIDs, id) {
			return fmt.Errorf("related check %q is not a known check ID", id)
		}
	}
	for _, l := range e.Links {
		if !slices.Contains(confidences, l.Confidence) {
			return fmt.Errorf("link to %s: confidence %q", l.Code(), l.Confidence)
		}
	}
	return nil
}
