package graph

import (
	"encoding/json"
	"strings"
	"testing"
)

func policy(t *testing.T, js string) ConditionalAccessPolicy {
	t.Helper()
	var p ConditionalAccessPolicy
	if err := json.Unmarshal([]byte(js), &p); err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return p
}

const (
	userID  = "6be4b305-b75e-4efc-bfcc-31bd3b53a5f8"
	groupID = "0b9c2f3e-6a1d-4c7e-9f1a-2e8d5b4c3a21"
)

func TestPolicyApplies(t *testing.T) {
	admin := Subject{UserID: userID, RoleTemplateIDs: []string{RoleGlobalAdministrator}, GroupIDs: []string{groupID}}
	member := Subject{UserID: userID}
	guest := Subject{UserID: userID, Guest: true}
	allApps := `"applications":{"includeApplications":["All"]}`
	for _, tc := range []struct {
		name   string
		cond   string
		s      Subject
		want   Tri
		reason string
	}{
		{"all users, all apps", `{"users":{"includeUsers":["All"]},` + allApps + `}`, member, Yes, "includes all users"},
		{"by user ID, any case", `{"users":{"includeUsers":["` + strings.ToUpper(userID) + `"]},` + allApps + `}`, member, Yes, "by ID"},
		{"nobody", `{"users":{"includeUsers":["None"]},` + allApps + `}`, admin, No, "not in the included"},
		{"by role", `{"users":{"includeRoles":["` + RoleGlobalAdministrator + `"]},` + allApps + `}`, admin, Yes, "Global Administrator"},
		{"role the user lacks", `{"users":{"includeRoles":["` + RoleHybridIdentityAdministrator + `"]},` + allApps + `}`, admin, No, "not in the included"},
		{"roles unknown", `{"users":{"includeRoles":["` + RoleGlobalAdministrator + `"]},` + allApps + `}`, Subject{UserID: userID, RolesUnknown: true}, Maybe, "roles are unknown"},
		{"by group", `{"users":{"includeGroups":["` + groupID + `"]},` + allApps + `}`, admin, Yes, "group"},
		{"groups unknown", `{"users":{"includeGroups":["` + groupID + `"]},` + allApps + `}`, Subject{UserID: userID, GroupsUnknown: true}, Maybe, "groups are unknown"},
		{"excluded by ID wins", `{"users":{"includeUsers":["All"],"excludeUsers":["` + userID + `"]},` + allApps + `}`, admin, No, "excluded by ID"},
		{"excluded by role wins", `{"users":{"includeUsers":["All"],"excludeRoles":["` + RoleGlobalAdministrator + `"]},` + allApps + `}`, admin, No, "excluded through the role Global Administrator"},
		{"excluded by group wins", `{"users":{"includeRoles":["` + RoleGlobalAdministrator + `"],"excludeGroups":["` + groupID + `"]},` + allApps + `}`, admin, No, "excluded through the group"},
		{"exclusion by unknown groups", `{"users":{"includeUsers":["All"],"excludeGroups":["` + groupID + `"]},` + allApps + `}`, Subject{UserID: userID, GroupsUnknown: true}, Maybe, "excludes groups"},
		{"guests included, member", `{"users":{"includeUsers":["GuestsOrExternalUsers"]},` + allApps + `}`, member, No, "not in the included"},
		{"guests included, guest", `{"users":{"includeUsers":["GuestsOrExternalUsers"]},` + allApps + `}`, guest, Yes, "guests"},
		{"guests excluded, guest", `{"users":{"includeUsers":["All"],"excludeUsers":["GuestsOrExternalUsers"]},` + allApps + `}`, guest, No, "guests"},
		{"guest types included", `{"users":{"includeGuestsOrExternalUsers":{"guestOrExternalUserTypes":"b2bCollaborationGuest"}},` + allApps + `}`, guest, Maybe, "guest or external user types"},
		{"guest types included, member", `{"users":{"includeGuestsOrExternalUsers":{"guestOrExternalUserTypes":"b2bCollaborationGuest"}},` + allApps + `}`, member, No, ""},
		{"no user conditions", `{` + allApps + `}`, member, Maybe, "no user conditions"},
		{"specific apps", `{"users":{"includeUsers":["All"]},"applications":{"includeApplications":["00000003-0000-0000-c000-000000000000"]}}`, member, Maybe, "specific applications"},
		{"all apps but some", `{"users":{"includeUsers":["All"]},"applications":{"includeApplications":["All"],"excludeApplications":["x"]}}`, member, Maybe, "except 1"},
		{"user actions only", `{"users":{"includeUsers":["All"]},"applications":{"includeApplications":[],"includeUserActions":["urn:user:registersecurityinfo"]}}`, member, No, "user actions"},
		{"auth context only", `{"users":{"includeUsers":["All"]},"applications":{"includeApplications":[],"includeAuthenticationContextClassReferences":["c1"]}}`, member, No, "authentication contexts"},
		{"no apps", `{"users":{"includeUsers":["All"]},"applications":{"includeApplications":["None"]}}`, member, No, "no application"},
		{"no application conditions", `{"users":{"includeUsers":["All"]}}`, member, Maybe, "no application conditions"},
		{"legacy clients only", `{"users":{"includeUsers":["All"]},` + allApps + `,"clientAppTypes":["exchangeActiveSync","other"]}`, admin, No, "legacy"},
		{"desktop clients", `{"users":{"includeUsers":["All"]},` + allApps + `,"clientAppTypes":["browser","mobileAppsAndDesktopClients"]}`, admin, Yes, "desktop"},
		{"browser only", `{"users":{"includeUsers":["All"]},` + allApps + `,"clientAppTypes":["browser"]}`, admin, Maybe, "browser only"},
		{"client apps all", `{"users":{"includeUsers":["All"]},` + allApps + `,"clientAppTypes":["all"]}`, admin, Yes, ""},
		{"locations", `{"users":{"includeUsers":["All"]},` + allApps + `,"locations":{"includeLocations":["All"],"excludeLocations":["AllTrusted"]}}`, admin, Maybe, "network location"},
		{"all locations", `{"users":{"includeUsers":["All"]},` + allApps + `,"locations":{"includeLocations":["All"],"excludeLocations":[]}}`, admin, Yes, ""},
		{"platforms", `{"users":{"includeUsers":["All"]},` + allApps + `,"platforms":{"includePlatforms":["android"]}}`, admin, Maybe, "platform"},
		{"all platforms", `{"users":{"includeUsers":["All"]},` + allApps + `,"platforms":{"includePlatforms":["all"],"excludePlatforms":[]}}`, admin, Yes, ""},
		{"risk", `{"users":{"includeUsers":["All"]},` + allApps + `,"signInRiskLevels":["high"]}`, admin, Maybe, "risk"},
		{"empty risk lists", `{"users":{"includeUsers":["All"]},` + allApps + `,"signInRiskLevels":[],"userRiskLevels":[],"insiderRiskLevels":null}`, admin, Yes, ""},
		{"device filter", `{"users":{"includeUsers":["All"]},` + allApps + `,"devices":{"deviceFilter":{"mode":"include","rule":"device.isCompliant -eq True"}}}`, admin, Maybe, "device filter"},
		{"auth flows", `{"users":{"includeUsers":["All"]},` + allApps + `,"authenticationFlows":{"transferMethods":"deviceCodeFlow"}}`, admin, Maybe, "authentication flow"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := policy(t, `{"id":"p","state":"enabled","conditions":`+tc.cond+`}`)
			got := p.Applies(tc.s)
			if got.Value != tc.want {
				t.Errorf("Applies = %s %q, want %s", got.Value, got.Reasons, tc.want)
			}
			if tc.reason != "" && !strings.Contains(strings.Join(got.Reasons, "; "), tc.reason) {
				t.Errorf("reasons %q lack %q", got.Reasons, tc.reason)
			}
			if len(got.Reasons) == 0 {
				t.Error("no reasons")
			}
		})
	}
	if (ConditionalAccessPolicy{}).Applies(member).Value != Maybe {
		t.Error("a policy without conditions should give Maybe")
	}
}

func TestPolicyRequiresMFA(t *testing.T) {
	custom := StrengthIndex([]AuthenticationStrengthPolicy{
		{ID: "AAAA0000-0000-0000-0000-000000000001", DisplayName: "Custom MFA", RequirementsSatisfied: "mfa"},
		{ID: "bbbb0000-0000-0000-0000-000000000002", DisplayName: "Password only", RequirementsSatisfied: "none"},
	})
	for _, tc := range []struct {
		name   string
		grant  string
		want   Tri
		reason string
	}{
		{"no grant controls", `null`, No, "no grant controls"},
		{"mfa", `{"operator":"OR","builtInControls":["mfa"]}`, Yes, "requires mfa"},
		{"mfa, any case", `{"operator":"OR","builtInControls":["MFA"]}`, Yes, ""},
		{"mfa AND compliant", `{"operator":"AND","builtInControls":["mfa","compliantDevice"]}`, Yes, ""},
		{"mfa OR compliant", `{"operator":"OR","builtInControls":["mfa","compliantDevice"]}`, Maybe, "compliantDevice"},
		{"mfa OR terms of use", `{"operator":"OR","builtInControls":["mfa"],"termsOfUse":["t1"]}`, Maybe, "t1"},
		{"block", `{"operator":"OR","builtInControls":["block"]}`, No, "blocks access"},
		{"compliant only", `{"operator":"OR","builtInControls":["compliantDevice"]}`, No, "do not include mfa"},
		{"built-in strength", `{"operator":"OR","builtInControls":[],"authenticationStrength":{"id":"` + StrengthPhishingResistant + `"}}`, Yes, "authentication strength"},
		{"expanded strength", `{"operator":"OR","authenticationStrength":{"id":"x","displayName":"Mine","requirementsSatisfied":"mfa"}}`, Yes, `"Mine"`},
		{"custom strength by lookup", `{"operator":"OR","authenticationStrength":{"id":"aaaa0000-0000-0000-0000-000000000001"}}`, Yes, "Custom MFA"},
		{"custom non-MFA strength", `{"operator":"OR","authenticationStrength":{"id":"bbbb0000-0000-0000-0000-000000000002"}}`, No, `"Password only"`},
		{"unknown strength", `{"operator":"OR","authenticationStrength":{"id":"cccc0000-0000-0000-0000-000000000003"}}`, Maybe, "unknown"},
		{"strength OR compliant", `{"operator":"OR","builtInControls":["compliantDevice"],"authenticationStrength":{"id":"` + StrengthMFA + `"}}`, Maybe, "compliantDevice"},
		{"empty grant: strength maybe left out", `{"operator":"OR","builtInControls":[],"customAuthenticationFactors":[],"termsOfUse":[]}`, Maybe, "left out"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := policy(t, `{"id":"p","state":"enabled","grantControls":`+tc.grant+`}`)
			got := p.RequiresMFA(custom)
			if got.Value != tc.want {
				t.Errorf("RequiresMFA = %s %q, want %s", got.Value, got.Reasons, tc.want)
			}
			if !strings.Contains(strings.Join(got.Reasons, "; "), tc.reason) || len(got.Reasons) == 0 {
				t.Errorf("reasons %q lack %q", got.Reasons, tc.reason)
			}
		})
	}
	p := policy(t, `{"id":"p","state":"enabled","grantControls":{"operator":"OR","builtInControls":["compliantDevice"]}}`)
	if r := strings.Join(p.RequiresMFA(nil).Reasons, " "); !strings.Contains(r, "might be missing") {
		t.Errorf("absent strength not noted: %s", r)
	}
}

func TestPolicyState(t *testing.T) {
	for state, want := range map[string][2]bool{
		"enabled": {true, false}, "Enabled": {true, false}, "disabled": {false, false}, CAStateReportOnly: {false, true},
	} {
		p := ConditionalAccessPolicy{State: state}
		if p.Enforced() != want[0] || p.ReportOnly() != want[1] {
			t.Errorf("%s: enforced %v report-only %v", state, p.Enforced(), p.ReportOnly())
		}
	}
	if No.String() != "no" || Maybe.String() != "maybe" || Yes.String() != "yes" || Tri(7).String() != "Tri(7)" {
		t.Error("Tri strings")
	}
	if RoleName(strings.ToUpper(RoleHybridIdentityAdministrator)) != "Hybrid Identity Administrator" || RoleName("x") != "x" {
		t.Error("RoleName")
	}
}
