package graph

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// FuzzGraphBodies feeds Graph and sign-in response bodies to every decoder
// a response goes through: collection pages of each model, single
// entities, the Graph error document and the OAuth error document. None
// may panic or hang, whatever the body; seeds are the documented samples.
func FuzzGraphBodies(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "samples", "*.json"))
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"value": [{"id": 1}], "@odata.nextLink": 7}`))
	f.Add([]byte(`{"error": {"code": null, "innerError": []}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzPage[Agent](body)
		fuzzPage[Domain](body)
		fuzzPage[User](body)
		fuzzPage[RoleAssignment](body)
		fuzzPage[RoleEligibilitySchedule](body)
		fuzzPage[RoleAssignmentScheduleInstance](body)
		fuzzPage[AuthenticationMethod](body)
		fuzzPage[ConditionalAccessPolicy](body)
		fuzzPage[AuthenticationStrengthPolicy](body)
		var one struct {
			U  User
			R  UserRegistrationDetails
			S  SecurityDefaults
			A  AuthenticationRequirements
			P  PublishingProfile
			SI SignInPreferences
		}
		ctx := context.Background()
		decodeDocument(ctx, body, &one.U)
		decodeDocument(ctx, body, &one.R)
		decodeDocument(ctx, body, &one.S)
		decodeDocument(ctx, body, &one.A)
		decodeDocument(ctx, body, &one.P)
		decodeDocument(ctx, body, &one.SI)
		resp := &http.Response{StatusCode: 403, Header: http.Header{"Content-Type": {"application/json"}, "Retry-After": {string(body[:min(len(body), 20)])}}}
		if e := newError("/v1.0/domains", resp, body, "secret-token"); e == nil || e.Error() == "" {
			t.Fatal("newError returned no error text")
		}
		parseTokenError(400, body)
	})
}

// fuzzPage decodes body as one page of T with the default limits.
func fuzzPage[T any](body []byte) {
	n := 0
	decodePage(context.Background(), bytes.NewReader(body), pageLimits{pageItems: DefaultMaxPageItems, items: DefaultMaxItems, seen: &n}, func(T) error { return nil })
}
