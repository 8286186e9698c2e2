package hostfacts

import (
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"strings"
	"time"
)

// KnownRoot is a root certificate the agent's endpoints chain to.
type KnownRoot struct {
	Name string `json:"name"` // the certificate's common name
	SHA1 string `json:"sha1"` // thumbprint, lower-case hex, as certlm.msc shows it
}

// RootsOfInterest are the roots the agent's endpoints chain to
// (pta-facts.md 7): Microsoft's current TLS issuing CAs chain to DigiCert
// Global Root G2, older endpoints to DigiCert Global Root CA. Thumbprints
// checked against Debian's ca-certificates (Mozilla's root program):
// `openssl x509 -fingerprint -sha1` of
// /usr/share/ca-certificates/mozilla/DigiCert_Global_Root_G2.crt and
// DigiCert_Global_Root_CA.crt (the copies in testdata/).
var RootsOfInterest = []KnownRoot{
	{Name: "DigiCert Global Root G2", SHA1: "df3c24f9bfd666761b268073fe06d1cc8d4f82a4"},
	{Name: "DigiCert Global Root CA", SHA1: "a8985d3a65e5e5c4b2d7d66d40c6dd2fb19c5436"},
}

// TrustedRoot is one of RootsOfInterest found in the LocalMachine\Root
// store.
type TrustedRoot struct {
	Subject  string `json:"subject"`             // the certificate's common name (or full subject)
	SHA1     string `json:"sha1"`                // thumbprint, lower-case hex
	NotAfter string `json:"not_after,omitempty"` // RFC 3339 UTC
}

// MatchRoot reports whether the DER certificate der is one of
// RootsOfInterest, and describes it. The thumbprint decides; the subject
// and expiry come from the certificate (the catalogue's name when it does
// not parse).
func MatchRoot(der []byte) (TrustedRoot, bool) {
	sum := sha1.Sum(der)
	thumb := hex.EncodeToString(sum[:])
	for _, k := range RootsOfInterest {
		if k.SHA1 != thumb {
			continue
		}
		r := TrustedRoot{Subject: k.Name, SHA1: thumb}
		if c, err := x509.ParseCertificate(der); err == nil {
			if cn := c.Subject.CommonName; cn != "" {
				r.Subject = cn
			} else {
				r.Subject = c.Subject.String()
			}
			r.NotAfter = c.NotAfter.UTC().Format(time.RFC3339)
		}
		return r, true
	}
	return TrustedRoot{}, false
}

// TrustedRoot returns the root with thumbprint sha1 when the snapshot
// records it.
func (s *Snapshot) TrustedRoot(sha1Hex string) (TrustedRoot, bool) {
	for _, r := range s.TrustedRoots {
		if strings.EqualFold(r.SHA1, sha1Hex) {
			return r, true
		}
	}
	return TrustedRoot{}, false
}
