package graph

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
)

// Role template IDs of the built-in directory roles ptacheck cares about
// (https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference,
// "All roles" table, checked 2026-12). For built-in roles the unified-RBAC
// roleDefinitionId equals the template ID.
const (
	RoleGlobalAdministrator         = "62e90394-69f5-4237-9190-012177145e10"
	RoleHybridIdentityAdministrator = "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2"
	RoleGlobalReader                = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
	RolePrivilegedRoleAdministrator = "e8611ab8-c189-46e8-94e1-60213ab1f814"
)

// SecurityDefaultsPolicyID is the fixed ID of the security defaults policy.
const SecurityDefaultsPolicyID = "00000000-0000-0000-0000-000000000005"

// Built-in authentication strength IDs; all three satisfy "mfa".
const (
	StrengthMFA               = "00000000-0000-0000-0000-000000000002"
	StrengthPasswordlessMFA   = "00000000-0000-0000-0000-000000000003"
	StrengthPhishingResistant = "00000000-0000-0000-0000-000000000004"
)

// DirectoryScopeTenant is the directoryScopeId of a tenant-wide assignment.
const DirectoryScopeTenant = "/"

// OData types of directory objects.
const (
	ODataTypeUser             = "#microsoft.graph.user"
	ODataTypeGroup            = "#microsoft.graph.group"
	ODataTypeDirectoryRole    = "#microsoft.graph.directoryRole"
	ODataTypeServicePrincipal = "#microsoft.graph.servicePrincipal"
)

// Organization is GET /v1.0/organization (one item per tenant).
type Organization struct {
	ID                         string           `json:"id"` // the tenant ID
	DisplayName                string           `json:"displayName"`
	TenantType                 string           `json:"tenantType"`
	OnPremisesSyncEnabled      *bool            `json:"onPremisesSyncEnabled"` // nil: never synced
	OnPremisesLastSyncDateTime *time.Time       `json:"onPremisesLastSyncDateTime"`
	VerifiedDomains            []VerifiedDomain `json:"verifiedDomains"`
}

func (*Organization) requiredFields() []field { return []field{{name: "id"}} }

// VerifiedDomain is one organization.verifiedDomains entry.
type VerifiedDomain struct {
	Name         string `json:"name"`
	Type         string `json:"type"` // Managed or Federated
	Capabilities string `json:"capabilities"`
	IsDefault    bool   `json:"isDefault"`
	IsInitial    bool   `json:"isInitial"`
}

// Domain is GET /v1.0/domains/{name}.
type Domain struct {
	ID                 string   `json:"id"` // the domain name
	AuthenticationType string   `json:"authenticationType"`
	IsVerified         bool     `json:"isVerified"`
	IsDefault          bool     `json:"isDefault"`
	IsInitial          bool     `json:"isInitial"`
	IsRoot             bool     `json:"isRoot"`
	IsAdminManaged     bool     `json:"isAdminManaged"`
	SupportedServices  []string `json:"supportedServices"`
}

// requiredFields: the domain checks read its name, type, verification and
// whether it is the initial onmicrosoft.com domain.
func (*Domain) requiredFields() []field {
	return []field{{name: "id"}, {name: "authenticationType"}, {name: "isVerified"}, {name: "isInitial"}}
}

// Federated reports authenticationType Federated (any case).
func (d Domain) Federated() bool { return strings.EqualFold(d.AuthenticationType, "Federated") }

// Managed reports authenticationType Managed (any case).
func (d Domain) Managed() bool { return strings.EqualFold(d.AuthenticationType, "Managed") }

// UserSelect is the $select of call 3: the onPremises* fields, userType and
// accountEnabled are returned only when selected.
const UserSelect = "id,userPrincipalName,userType,accountEnabled,onPremisesSyncEnabled,onPremisesImmutableId,onPremisesDomainName"

// User is GET /v1.0/users/{id|upn}?$select=UserSelect.
type User struct {
	ID                    string `json:"id"`
	UserPrincipalName     string `json:"userPrincipalName"`
	DisplayName           string `json:"displayName"`
	UserType              string `json:"userType"`       // Member or Guest
	AccountEnabled        *bool  `json:"accountEnabled"` // nil: not returned
	OnPremisesSyncEnabled *bool  `json:"onPremisesSyncEnabled"`
	OnPremisesImmutableID string `json:"onPremisesImmutableId"`
	OnPremisesDomainName  string `json:"onPremisesDomainName"`
}

// requiredFields: the admin checks decide on the account's state, type and
// synchronisation; onPremisesSyncEnabled null means never synchronised, so
// null is evidence, an absent member is not.
func (*User) requiredFields() []field {
	return []field{{name: "id"}, {name: "userPrincipalName"}, {name: "accountEnabled"}, {name: "userType"},
		{name: "onPremisesSyncEnabled", nullable: true}}
}

// SyncState is the onPremisesSyncEnabled fact of a user or organization.
type SyncState string

// Sync states (resources/user.md): null = never synced, false = synced
// before but no longer, true = synced now. onPremisesImmutableId alone
// says nothing: cloud users of a federated domain carry one too.
const (
	SyncNever    SyncState = "never"    // null: cloud-only
	SyncFormerly SyncState = "formerly" // false
	SyncActive   SyncState = "synced"   // true
)

// Sync reads onPremisesSyncEnabled.
func (u User) Sync() SyncState {
	switch {
	case u.OnPremisesSyncEnabled == nil:
		return SyncNever
	case *u.OnPremisesSyncEnabled:
		return SyncActive
	default:
		return SyncFormerly
	}
}

// DirectoryObject is an item of transitiveMemberOf or an expanded
// principal: a user, group, directoryRole or service principal.
type DirectoryObject struct {
	ODataType          string `json:"@odata.type"`
	ID                 string `json:"id"`
	DisplayName        string `json:"displayName"`
	RoleTemplateID     string `json:"roleTemplateId"`     // directoryRole
	UserPrincipalName  string `json:"userPrincipalName"`  // user
	UserType           string `json:"userType"`           // user
	AccountEnabled     *bool  `json:"accountEnabled"`     // user, servicePrincipal
	IsAssignableToRole *bool  `json:"isAssignableToRole"` // group
	SecurityEnabled    *bool  `json:"securityEnabled"`    // group
}

func (*DirectoryObject) requiredFields() []field { return []field{{name: "@odata.type"}, {name: "id"}} }

// IsType compares @odata.type with t (e.g. ODataTypeGroup), ignoring case
// and the leading "#".
func (o DirectoryObject) IsType(t string) bool {
	return strings.EqualFold(strings.TrimPrefix(o.ODataType, "#"), strings.TrimPrefix(t, "#"))
}

// RoleAssignment is a unifiedRoleAssignment (active assignment).
type RoleAssignment struct {
	ID               string           `json:"id"`
	PrincipalID      string           `json:"principalId"`
	RoleDefinitionID string           `json:"roleDefinitionId"`
	DirectoryScopeID string           `json:"directoryScopeId"`
	ResourceScope    string           `json:"resourceScope"`
	Principal        *DirectoryObject `json:"principal"` // only with $expand=principal
}

func (*RoleAssignment) requiredFields() []field {
	return []field{{name: "principalId"}, {name: "roleDefinitionId"}, {name: "directoryScopeId"}}
}

// TenantWide reports directoryScopeId "/" (an admin-unit scope does not
// count for installing an agent).
func (a RoleAssignment) TenantWide() bool { return a.DirectoryScopeID == DirectoryScopeTenant }

// RoleEligibilitySchedule is a PIM eligible assignment (not usable until
// activated).
type RoleEligibilitySchedule struct {
	ID               string        `json:"id"`
	PrincipalID      string        `json:"principalId"`
	RoleDefinitionID string        `json:"roleDefinitionId"`
	DirectoryScopeID string        `json:"directoryScopeId"`
	MemberType       string        `json:"memberType"` // Direct, Group, Inherited
	Status           string        `json:"status"`     // e.g. Provisioned
	ScheduleInfo     *ScheduleInfo `json:"scheduleInfo"`
}

func (*RoleEligibilitySchedule) requiredFields() []field {
	return []field{{name: "principalId"}, {name: "roleDefinitionId"}}
}

// ScheduleInfo is a PIM schedule.
type ScheduleInfo struct {
	StartDateTime *time.Time  `json:"startDateTime"`
	Expiration    *Expiration `json:"expiration"`
}

// Expiration ends a PIM schedule.
type Expiration struct {
	Type        string     `json:"type"` // noExpiration, afterDateTime, afterDuration
	EndDateTime *time.Time `json:"endDateTime"`
	Duration    *string    `json:"duration"`
}

// RoleAssignmentScheduleInstance is an active PIM assignment (permanent or
// activated).
type RoleAssignmentScheduleInstance struct {
	ID                       string     `json:"id"`
	PrincipalID              string     `json:"principalId"`
	RoleDefinitionID         string     `json:"roleDefinitionId"`
	DirectoryScopeID         string     `json:"directoryScopeId"`
	AssignmentType           string     `json:"assignmentType"` // Assigned or Activated
	MemberType               string     `json:"memberType"`     // Direct, Group, Inherited
	StartDateTime            *time.Time `json:"startDateTime"`
	EndDateTime              *time.Time `json:"endDateTime"` // nil: permanent
	RoleAssignmentOriginID   string     `json:"roleAssignmentOriginId"`
	RoleAssignmentScheduleID string     `json:"roleAssignmentScheduleId"`
}

func (*RoleAssignmentScheduleInstance) requiredFields() []field {
	return []field{{name: "principalId"}, {name: "roleDefinitionId"}, {name: "directoryScopeId"}, {name: "memberType"}}
}

// Activated reports assignmentType Activated (a time-bound PIM activation).
func (i RoleAssignmentScheduleInstance) Activated() bool {
	return strings.EqualFold(i.AssignmentType, "Activated")
}

// Per-user MFA states (beta perUserMfaState).
const (
	PerUserMFADisabled = "disabled"
	PerUserMFAEnabled  = "enabled"
	PerUserMFAEnforced = "enforced"
)

// AuthenticationRequirements is beta GET /users/{id}/authentication/requirements.
type AuthenticationRequirements struct {
	PerUserMFAState string `json:"perUserMfaState"`
}

func (*AuthenticationRequirements) requiredFields() []field {
	return []field{{name: "perUserMfaState"}}
}

// SignInPreferences is beta GET /users/{id}/authentication/signInPreferences.
type SignInPreferences struct {
	IsSystemPreferredAuthenticationMethodEnabled  *bool  `json:"isSystemPreferredAuthenticationMethodEnabled"`
	UserPreferredMethodForSecondaryAuthentication string `json:"userPreferredMethodForSecondaryAuthentication"`
}

// AuthenticationMethod is an item of /users/{id}/authentication/methods.
type AuthenticationMethod struct {
	ODataType   string `json:"@odata.type"`
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
}

// Kind is the method type without namespace and suffix, e.g. "fido2",
// "password", "microsoftAuthenticator".
func (m AuthenticationMethod) Kind() string {
	k := strings.TrimPrefix(strings.TrimPrefix(m.ODataType, "#"), "microsoft.graph.")
	return strings.TrimSuffix(k, "AuthenticationMethod")
}

// UserRegistrationDetails is GET /v1.0/reports/authenticationMethods/userRegistrationDetails/{id}.
// It accepts the documented entity and the doc sample's {"value": {...}}
// wrapping.
type UserRegistrationDetails struct {
	ID                string     `json:"id"`
	UserPrincipalName string     `json:"userPrincipalName"`
	UserType          string     `json:"userType"`
	IsAdmin           bool       `json:"isAdmin"`
	IsMFARegistered   bool       `json:"isMfaRegistered"`
	IsMFACapable      bool       `json:"isMfaCapable"`
	MethodsRegistered []string   `json:"methodsRegistered"`
	DefaultMFAMethod  string     `json:"defaultMfaMethod"`
	LastUpdated       *time.Time `json:"lastUpdatedDateTime"`
}

// UnmarshalJSON accepts the entity or {"value": entity}.
func (d *UserRegistrationDetails) UnmarshalJSON(b []byte) error {
	type plain UserRegistrationDetails
	var probe struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return err
	}
	if v := bytes.TrimSpace(probe.Value); len(v) > 0 && v[0] == '{' {
		b = v
	}
	return json.Unmarshal(b, (*plain)(d))
}

// SecurityDefaults is GET /v1.0/policies/identitySecurityDefaultsEnforcementPolicy.
type SecurityDefaults struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	IsEnabled   bool   `json:"isEnabled"`
}

func (*SecurityDefaults) requiredFields() []field { return []field{{name: "isEnabled"}} }

// AuthenticationStrengthPolicy is an item of /policies/authenticationStrengthPolicies
// (also the expanded grantControls.authenticationStrength).
type AuthenticationStrengthPolicy struct {
	ID                    string   `json:"id"`
	DisplayName           string   `json:"displayName"`
	PolicyType            string   `json:"policyType"`            // builtIn or custom
	RequirementsSatisfied string   `json:"requirementsSatisfied"` // mfa or none
	AllowedCombinations   []string `json:"allowedCombinations"`
}

func (*AuthenticationStrengthPolicy) requiredFields() []field { return []field{{name: "id"}} }

// Agent is a beta onPremisesAgent (a PTA agent in the authentication
// profile).
type Agent struct {
	ID                       string       `json:"id"`
	MachineName              string       `json:"machineName"`
	ExternalIP               string       `json:"externalIp"`
	Status                   string       `json:"status"` // active or inactive; docs show "Active"
	SupportedPublishingTypes []string     `json:"supportedPublishingTypes"`
	AgentGroups              []AgentGroup `json:"agentGroups"`
}

// requiredFields: the agent checks count active agents by machine name.
func (*Agent) requiredFields() []field { return []field{{name: "machineName"}, {name: "status"}} }

// Active compares status with "active" ignoring case (doc samples say
// "Active").
func (a Agent) Active() bool { return strings.EqualFold(a.Status, "active") }

// AgentGroup is a beta onPremisesAgentGroup.
type AgentGroup struct {
	ID             string  `json:"id"`
	DisplayName    string  `json:"displayName"`
	PublishingType string  `json:"publishingType"`
	IsDefault      bool    `json:"isDefault"`
	Agents         []Agent `json:"agents"`
}

// PublishingProfile is beta GET /onPremisesPublishingProfiles/authentication.
// Its isEnabled is about App Proxy, not PTA, so it is not modelled.
type PublishingProfile struct {
	ID                              string                           `json:"id"`
	Agents                          []Agent                          `json:"agents"`
	AgentGroups                     []AgentGroup                     `json:"agentGroups"`
	HybridAgentUpdaterConfiguration *HybridAgentUpdaterConfiguration `json:"hybridAgentUpdaterConfiguration"`
}

// HybridAgentUpdaterConfiguration holds the agent auto-update settings.
// Times are kept as sent (the doc sample has no zone).
type HybridAgentUpdaterConfiguration struct {
	DeferUpdateDateTime              string `json:"deferUpdateDateTime"`
	AllowUpdateConfigurationOverride bool   `json:"allowUpdateConfigurationOverride"`
	UpdateWindow                     *struct {
		UpdateWindowStartTime string `json:"updateWindowStartTime"`
		UpdateWindowEndTime   string `json:"updateWindowEndTime"`
	} `json:"updateWindow"`
}
