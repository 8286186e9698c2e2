package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// SyncedUserCount counts the users synchronised from on-premises AD
// (onPremisesSyncEnabled true) whose UPN ends with "@"+domain: the
// evidence that users of that domain sign in through an on-premises forest.
//
//	GET /v1.0/users?$filter=onPremisesSyncEnabled eq true and endswith(userPrincipalName,'@DOMAIN')
//	    &$count=true&$top=1&$select=id
//	ConsistencyLevel: eventual
//
// endsWith on userPrincipalName is an advanced query: Graph refuses it
// without the ConsistencyLevel header and $count (400
// Request_UnsupportedQuery), and may silently ignore $count, so an answer
// without @odata.count is an error, never zero
// (https://learn.microsoft.com/graph/aad-advanced-queries). Least
// delegated permission: User.Read.All.
func (c *Client) SyncedUserCount(ctx context.Context, domain string) (int, error) {
	d := strings.ToLower(strings.TrimSuffix(domain, "."))
	if d == "" || len(d) > 255 || strings.ContainsFunc(d, func(r rune) bool {
		return !(r == '-' || r == '.' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r > 0x7f)
	}) {
		return 0, fmt.Errorf("%w: domain %q", ErrBadArgument, domain)
	}
	filter := "onPremisesSyncEnabled eq true and endswith(userPrincipalName,'@" + d + "')"
	path := "/v1.0/users?$filter=" + queryEscape(filter) + "&$count=true&$top=1&$select=id"
	var page struct {
		Count *int64            `json:"@odata.count"`
		Value []json.RawMessage `json:"value"`
	}
	decode := func(ctx context.Context, body io.Reader) error {
		raw, err := io.ReadAll(body)
		if err != nil {
			return err
		}
		return decodeDocument(ctx, raw, &page)
	}
	if err := c.get(ctx, path, http.Header{"ConsistencyLevel": {"eventual"}}, decode); err != nil {
		return 0, err
	}
	switch {
	case page.Count == nil:
		return 0, &Error{Path: "/v1.0/users", Status: http.StatusOK, Err: fmt.Errorf("%w: no @odata.count (the advanced query was not honoured)", ErrMalformed)}
	case *page.Count < 0 || *page.Count > 1<<31:
		return 0, &Error{Path: "/v1.0/users", Status: http.StatusOK, Err: fmt.Errorf("%w: @odata.count %d", ErrMalformed, *page.Count)}
	case page.Value == nil:
		return 0, &Error{Path: "/v1.0/users", Status: http.StatusOK, Err: fmt.Errorf("%w: no \"value\" array", ErrMalformed)}
	case *page.Count == 0 && len(page.Value) > 0:
		return 0, &Error{Path: "/v1.0/users", Status: http.StatusOK, Err: fmt.Errorf("%w: @odata.count 0 with %d users in the answer", ErrMalformed, len(page.Value))}
	}
	return int(*page.Count), nil
}
