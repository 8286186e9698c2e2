package main

import (
	"encoding/json"

	"github.com/ptacheck/ptacheck/checks/hostfacts"
)

func snapshotJSON(s *hostfacts.Snapshot) ([]byte, error) {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}
