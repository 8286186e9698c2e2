package graph

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// The cloud side of a sign-in: the user as Entra ID knows it, and the
// on-premises names Entra Connect synchronised for it. Users whose
// on-premises UPN differs from the cloud UPN get "invalid username or
// password" through PTA (the PTA troubleshooting page,
// https://learn.microsoft.com/entra/identity/hybrid/connect/tshoot-connect-pass-through-authentication).

// CloudUserSelect is the $select of the sign-in user read. Every onPremises*
// property, accountEnabled and userType are "Returned only on $select"
// (https://learn.microsoft.com/graph/api/resources/user); the least
// delegated permission that reads them is User.Read.All (User.ReadBasic.All
// returns only the basic profile).
const CloudUserSelect = "id,userPrincipalName,accountEnabled,userType,onPremisesSyncEnabled," +
	"onPremisesUserPrincipalName,onPremisesSamAccountName,onPremisesDomainName"

// CloudUser is a user who signs in, as Graph knows it.
type CloudUser struct {
	ID                string `json:"id"`
	UserPrincipalName string `json:"userPrincipalName"`
	AccountEnabled    *bool  `json:"accountEnabled"`
	UserType          string `json:"userType"`
	// OnPremisesSyncEnabled: true synchronised now, false synchronised
	// before and no longer, null never (cloud-only).
	OnPremisesSyncEnabled *bool `json:"onPremisesSyncEnabled"`
	// The on-premises userPrincipalName, sAMAccountName and DNS domain Entra
	// Connect synchronised; null for users never synchronised.
	OnPremisesUserPrincipalName string `json:"onPremisesUserPrincipalName"`
	OnPremisesSamAccountName    string `json:"onPremisesSamAccountName"`
	OnPremisesDomainName        string `json:"onPremisesDomainName"`
}

// requiredFields: the verdict reads the cloud UPN, whether the account is
// enabled and synchronised, and the on-premises names. The on-premises
// names are null for users never synchronised, so null is evidence there;
// an absent member (not selected, not returned) is not.
func (*CloudUser) requiredFields() []field {
	return []field{{name: "id"}, {name: "userPrincipalName"}, {name: "accountEnabled"},
		{name: "onPremisesSyncEnabled", nullable: true}, {name: "onPremisesUserPrincipalName", nullable: true},
		{name: "onPremisesSamAccountName", nullable: true}, {name: "onPremisesDomainName", nullable: true}}
}

// Sync reads onPremisesSyncEnabled.
func (u CloudUser) Sync() SyncState {
	return User{OnPremisesSyncEnabled: u.OnPremisesSyncEnabled}.Sync()
}

// CloudUser reads the user who signs in with upn (call 3 with
// CloudUserSelect); IsNotFound(err) when no cloud user has that UPN.
func (c *Client) CloudUser(ctx context.Context, upn string) (*CloudUser, error) {
	p, err := UserPath(upn)
	if err != nil {
		return nil, err
	}
	var u CloudUser
	if err := c.Get(ctx, "/v1.0"+p+"?$select="+CloudUserSelect, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// CloudUsersByOnPremisesUPN lists the cloud users whose on-premises UPN is
// upn: the cloud user of someone who gave their AD name.
//
//	GET /v1.0/users?$filter=onPremisesUserPrincipalName eq 'UPN'&$select=CloudUserSelect&$count=true
//	ConsistencyLevel: eventual
//
// onPremisesUserPrincipalName supports $filter eq (resources/user.md); the
// request is sent as an advanced query, which Graph accepts for every filter.
func (c *Client) CloudUsersByOnPremisesUPN(ctx context.Context, upn string) ([]CloudUser, error) {
	if upn == "" || len(upn) > 1024 || strings.ContainsFunc(upn, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return nil, fmt.Errorf("%w: upn %q", ErrBadArgument, upn)
	}
	filter := "onPremisesUserPrincipalName eq '" + strings.ReplaceAll(upn, "'", "''") + "'"
	path := "/v1.0/users?$filter=" + queryEscape(filter) + "&$select=" + CloudUserSelect + "&$count=true"
	return list[CloudUser](ctx, c, path, http.Header{"ConsistencyLevel": {"eventual"}})
}

// CloudUserSource is what the sign-in user gatherer reads: a *Client, or a
// cache in front of one.
type CloudUserSource interface {
	CloudUser(ctx context.Context, upn string) (*CloudUser, error)
	CloudUsersByOnPremisesUPN(ctx context.Context, upn string) ([]CloudUser, error)
}

var _ CloudUserSource = (*Client)(nil)

// CloudUserFacts is everything user.cloud-upn decides on for one UPN.
type CloudUserFacts struct {
	UPN  string           // as given
	User Fact[*CloudUser] // the cloud user with that UPN
	// ByOnPremises are the cloud users whose on-premises UPN is UPN, read
	// only when no cloud user has it (User is a 404).
	ByOnPremises *Fact[[]CloudUser]
}

// GatherCloudUser reads the cloud user who signs in with upn and, when there
// is none, the cloud users whose on-premises UPN it is. It never decides.
func GatherCloudUser(ctx context.Context, src CloudUserSource, upn string) CloudUserFacts {
	f := CloudUserFacts{UPN: upn}
	f.User = read(ctx, func(ctx context.Context) (*CloudUser, error) { return src.CloudUser(ctx, upn) })
	if IsNotFound(f.User.Err) {
		by := read(ctx, func(ctx context.Context) ([]CloudUser, error) { return src.CloudUsersByOnPremisesUPN(ctx, upn) })
		f.ByOnPremises = &by
	}
	return f
}
