package codes

import "testing"

// Windows only: the system's message table knows the common logon codes.
func TestSystemMessage(t *testing.T) {
	for _, code := range []int{5, 1326, 1331, -2146892994} {
		if s, ok := SystemMessage(code); !ok || s == "" {
			t.Errorf("SystemMessage(%d) = %q, %v", code, s, ok)
		}
	}
	if s, ok := SystemMessage(0x7FFF_FFF0); ok {
		t.Errorf("SystemMessage(unassigned) = %q", s)
	}
}
