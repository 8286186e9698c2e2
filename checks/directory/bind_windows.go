//go:build windows

package directory

import (
	"fmt"

	"github.com/go-ldap/ldap/v3"
	"github.com/go-ldap/ldap/v3/gssapi"
)

// bindCurrentUser binds as the logged-on user: a SASL GSSAPI bind with
// Kerberos credentials from SSPI (secur32.dll), for service principal
// ldap/<dc host name>. Over TLS the token carries channel bindings for the
// DC's certificate, which DCs enforcing LDAP channel binding require.
func bindCurrentUser(conn *ldap.Conn, host string) error {
	var (
		c   *gssapi.SSPIClient
		err error
	)
	if st, ok := conn.TLSConnectionState(); ok && len(st.PeerCertificates) > 0 {
		c, err = gssapi.NewSSPIClientWithChannelBinding(st.PeerCertificates[0])
	} else {
		c, err = gssapi.NewSSPIClient()
	}
	if err != nil {
		return fmt.Errorf("sspi credentials of the logged-on user: %w", err)
	}
	defer c.Close()
	return conn.GSSAPIBind(c, "ldap/"+host, "")
}
