package graph

import (
	"encoding/json"
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
		decodePage[Agent](body)
		decodePage[Domain](body)
		decodePage[User](body)
		decodePage[RoleAssignment](body)
		decodePage[RoleEligibilitySchedule](body)
		decodePage[RoleAssignmentScheduleInstance](body)
		decodePage[AuthenticationMethod](body)
		decodePage[ConditionalAccessPolicy](body)
		decodePage[AuthenticationStrengthPolicy](body)
		var one struct {
			U  User
			R  UserRegistrationDetails
			S  SecurityDefaults
			A  AuthenticationRequirements
			P  PublishingProfile
			SI SignInPreferences
		}
		json.Unmarshal(body, &one.U)
		json.Unmarshal(body, &one.R)
		json.Unmarshal(body, &one.S)
		json.Unmarshal(body, &one.A)
		json.Unmarshal(body, &one.P)
		json.Unmarshal(body, &one.SI)
		resp := &http.Response{StatusCode: 403, Header: http.Header{"Content-Type": {"application/json"}, "Retry-After": {string(body[:min(len(body), 20)])}}}
		if e := newError("/v1.0/domains", resp, body, "secret-token"); e == nil || e.Error() == "" {
			t.Fatal("newError returned no error text")
		}
		parseTokenError(400, body)
	})
}
