// Package directory is ptacheck's LDAP client for the ad.* and user.* checks:
// it finds domain controllers through DNS SRV records, opens LDAPS or StartTLS
// sessions (simple, anonymous or, on Windows, current-user GSSAPI binds), and
// reads the RootDSE, the forest's partitions, the domain password and lockout
// policy and user accounts. It gathers facts; the checks decide verdicts.
//
// The client is read-only by construction: a Session exposes searches only,
// and the package has no code path that sends an add, modify, delete,
// modify-DN, compare or extended operation other than StartTLS. Every
// operation a Session sends is recorded (Session.Ops).
//
// go-ldap has no context.Context. This package adds one: each operation sets
// the connection's request timeout from the context's deadline and closes the
// underlying TCP connection when the context ends (context.AfterFunc), so a
// DC that stops answering costs at most the deadline. A Session never outlives
// the context it was dialled with.
//
// Attribute parsers (FILETIME, intervals, generalized time, logonHours,
// userWorkstations, userAccountControl) are pure functions with fuzz tests;
// Evaluate turns a User's attributes into facts at an injected time, each
// with the Win32 reason code a LogonUser call would report.
//
// The package imports none of ptacheck's checks, report or fixtures packages.
package directory
