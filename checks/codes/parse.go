package codes

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinels for errors.Is; the concrete error is *Error.
var (
	ErrMalformed = errors.New("not an error code")
	ErrUnknown   = errors.New("unknown code")
)

// Error is the error of Parse and Explain: one line, naming the input.
type Error struct {
	Op    string // "parse code" or "explain code"
	Input string
	Err   error  // ErrMalformed or ErrUnknown
	Hint  string // what would have been accepted, or what is known about the code
}

func (e *Error) Error() string {
	in := e.Input
	if e.Op == opParse {
		in = strconv.Quote(in) // user input: quoted, so white space and odd bytes show
	}
	s := fmt.Sprintf("%s %s: %v", e.Op, in, e.Err)
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

const (
	opParse   = "parse code"
	opExplain = "explain code"
	aadstsMin = 50_000    // bare numbers from here on are AADSTS codes ...
	aadstsMax = 1_000_000 // ... up to here (exclusive)
	formsHint = "want AADSTS<digits>, a decimal Win32 code, 0x<hex> or a symbol such as ERROR_ACCOUNT_DISABLED"
)

// Parse reads a code as users copy it from sign-in errors, trace logs, event
// 4625 or documentation:
//
//   - AADSTS<digits>, any case (AADSTS80001, aadsts80001): AADSTS. The
//     documented typo AADSTS8002 is read as 80002, with a Note.
//   - a bare decimal number: from 50000 up to 999999 it is an AADSTS code
//     (80001); below 50000, and negative, it is a Win32 code (1328,
//     -2146892994: an HRESULT as logged). Win32 codes stay far below 50000
//     and AADSTS codes of PTA are 5 digits, hence the boundary. Larger
//     numbers are read as 32-bit values like hex input (3221225581 is
//     NTSTATUS 0xC000006D) when they have the top bit set, and are
//     ambiguous otherwise (1000000..2147483647: write AADSTS<digits> or
//     0x<hex>).
//   - 0x<1-8 hex digits>: NTSTATUS when the two top bits are set
//     (0xC000006D), otherwise Win32: 0x530 is 1328 and 0x8009033E (top bit
//     only: an HRESULT) is -2146892994.
//   - a symbol from the table, any case: ERROR_ACCOUNT_DISABLED,
//     STATUS_LOGON_FAILURE, OnPremisePasswordValidationTimeSkew.
//
// Surrounding white space and one pair of quotes are ignored, so a value
// copied from `Reason: '1328'` works. Anything else is ErrMalformed. Parse
// does not require the code to be in the table: Lookup and Explain tell.
func Parse(s string) (Code, error) {
	in := s
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '\'' || s[0] == '"') && s[len(s)-1] == s[0] {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	bad := func(hint string) (Code, error) {
		return Code{}, &Error{Op: opParse, Input: in, Err: ErrMalformed, Hint: hint}
	}
	if s == "" {
		return bad(formsHint)
	}
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "aadsts"):
		digits := s[len("aadsts"):]
		if !isDigits(digits) || len(digits) > 7 {
			return bad("want AADSTS followed by up to 7 digits")
		}
		n, _ := strconv.ParseInt(digits, 10, 64)
		if n == 0 {
			return bad("AADSTS0 is not a code")
		}
		if n == 8002 {
			return Code{Kind: AADSTS, Number: 80002, Note: "AADSTS8002 is a typo in older Microsoft pages for AADSTS80002"}, nil
		}
		return Code{Kind: AADSTS, Number: n}, nil
	case strings.HasPrefix(lower, "0x"):
		digits := s[2:]
		if digits == "" || len(digits) > 8 {
			return bad("want 0x followed by 1 to 8 hex digits")
		}
		v, err := strconv.ParseUint(digits, 16, 32)
		if err != nil {
			return bad("want 0x followed by 1 to 8 hex digits")
		}
		return fromUint32(uint32(v)), nil
	case isDigits(strings.TrimPrefix(s, "-")):
		n, err := strconv.ParseInt(s, 10, 64)
		switch {
		case err != nil || n < -1<<31 || n > 1<<32-1:
			return bad("out of the 32-bit range")
		case n < aadstsMin:
			return Code{Kind: Win32, Number: n}, nil
		case n < aadstsMax:
			return Code{Kind: AADSTS, Number: n}, nil
		case n >= 1<<31:
			return fromUint32(uint32(n)), nil
		}
		return bad("ambiguous: write AADSTS" + s + " for a sign-in code or " + fmt.Sprintf("0x%X", n) + " for a status code")
	}
	if i, ok := tbl().bySymbol[strings.ToUpper(s)]; ok {
		return tbl().entries[i].Code(), nil
	}
	return bad(formsHint)
}

// fromUint32 classifies a 32-bit value: both top bits set (severity
// "error" of an NTSTATUS) is NTSTATUS; the top bit alone is an HRESULT,
// kept as the signed number the agent logs; anything else is a Win32 code.
func fromUint32(v uint32) Code {
	switch {
	case v>>30 == 3:
		return Code{Kind: NTSTATUS, Number: int64(v)}
	case v>>31 == 1:
		return Code{Kind: Win32, Number: int64(int32(v))}
	}
	return Code{Kind: Win32, Number: int64(v)}
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Explanation is what Explain knows about a code.
type Explanation struct {
	Code       Code
	Entry      Entry  // the table entry, when Known
	Known      bool   // the code is in the table
	SystemText string // the host's own message for a Win32 code (Windows: FormatMessage, what `net helpmsg` prints)
}

// Text is the best one-line message: the host's text when there is one
// (it is in the host's language and wording), else the table's documented
// text, else its sign-in report text, else its meaning.
func (x Explanation) Text() string {
	switch {
	case x.SystemText != "":
		return x.SystemText
	case x.Entry.Text != "":
		return x.Entry.Text
	case x.Entry.ReportText != "":
		return x.Entry.ReportText
	}
	return x.Entry.Meaning
}

// Explain looks a code up in the table and, for Win32 codes on Windows, in
// the system's message table. A code that neither knows is an *Error
// wrapping ErrUnknown (its text gives the number and hex form).
func Explain(c Code) (Explanation, error) {
	return explain(c, SystemMessage)
}

func explain(c Code, system func(int) (string, bool)) (Explanation, error) {
	x := Explanation{Code: c}
	x.Entry, x.Known = Lookup(c)
	if c.Kind == Win32 && system != nil {
		if s, ok := system(int(c.Number)); ok {
			x.SystemText = s
		}
	}
	if !x.Known && x.SystemText == "" {
		hint := "not in ptacheck's table"
		if c.Kind == Win32 {
			hint += " and the system has no message for it"
		}
		input := c.String()
		if h := c.Hex(); h != "" && h != input {
			input += " (" + h + ")"
		}
		return x, &Error{Op: opExplain, Input: input, Err: ErrUnknown, Hint: hint + "; " + LookElsewhere(c)}
	}
	return x, nil
}

// Where to look up a code ptacheck does not know.
const (
	// AADSTSLookup is Microsoft's current AADSTS descriptions, one code
	// per page (the AADSTS error reference links it:
	// https://learn.microsoft.com/entra/identity-platform/reference-error-codes).
	AADSTSLookup = "https://login.microsoftonline.com/error?code="
	// ErrLookupTool is Microsoft's Error Lookup Tool (err.exe), which
	// searches the Windows headers for a Win32, HRESULT or NTSTATUS value
	// (linked from https://learn.microsoft.com/windows/win32/debug/system-error-codes).
	ErrLookupTool = "https://learn.microsoft.com/windows/win32/debug/system-error-code-lookup-tool"
	// ErrorCodesSpec is [MS-ERREF], Microsoft's specification of the
	// Windows error codes (HRESULT, Win32, NTSTATUS values).
	ErrorCodesSpec = "https://learn.microsoft.com/openspecs/windows_protocols/ms-erref/1bc92ddf-b79e-413c-bbaa-99a5281a6c90"
)

// LookElsewhere says where to look up a code ptacheck does not know.
func LookElsewhere(c Code) string {
	if c.Kind == AADSTS {
		return fmt.Sprintf("look it up at %s%d", AADSTSLookup, c.Number)
	}
	return fmt.Sprintf("look it up with Microsoft's Error Lookup Tool (err.exe %s; %s) or in the Windows error codes specification [MS-ERREF] (%s)", c.Hex(), ErrLookupTool, ErrorCodesSpec)
}
