package setup

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/ptacheck/ptacheck/internal/cli"
	"github.com/ptacheck/ptacheck/util/jsonstrict"
	"github.com/ptacheck/ptacheck/util/suggest"
)

// EnvConfig names the config file when --config is not given.
const (
	EnvConfig      = "PTACHECK_CONFIG"
	maxConfigBytes = 1 << 20
)

// envName is the environment variable that gives a flag's default:
// --tenant-id -> PTACHECK_TENANT_ID.
func envName(flag string) string {
	return "PTACHECK_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// isList reports whether a flag takes several values.
func isList(f *pflag.Flag) bool {
	t := f.Value.Type()
	return strings.HasSuffix(t, "Slice") || strings.HasSuffix(t, "Array")
}

// applyDefaults fills the flags the command line left unset: first from
// PTACHECK_<FLAG> environment variables, then from the config file
// (--config, or PTACHECK_CONFIG). Flags win over both; the environment wins
// over the file. It returns where each default came from, for -v.
func applyDefaults(ctx context.Context, fs *pflag.FlagSet, config bool, configPath string, getenv func(string) string, known []string) ([]string, error) {
	var origins []string
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || f.Name == "config" {
			return
		}
		v := getenv(envName(f.Name))
		if v == "" {
			return
		}
		values := []string{v}
		if isList(f) && f.Value.Type() != "stringSlice" {
			values = strings.Split(v, ",")
		}
		for _, x := range values {
			if e := fs.Set(f.Name, strings.TrimSpace(x)); e != nil {
				err = cli.Usagef("%s=%q: %v", envName(f.Name), v, e)
				return
			}
		}
		origins = append(origins, fmt.Sprintf("--%s from %s", f.Name, envName(f.Name)))
	})
	if err != nil {
		return nil, err
	}
	if configPath == "" && config {
		configPath = getenv(EnvConfig)
	}
	if configPath == "" {
		return origins, nil
	}
	settings, err := readConfig(ctx, configPath, known)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f := fs.Lookup(k)
		if f == nil || f.Changed {
			continue // another command's setting, or given on the command line or in the environment
		}
		values, err := configValues(settings[k], isList(f))
		if err != nil {
			return nil, cli.Usagef("--config %s: %q: %v", configPath, k, err)
		}
		for _, x := range values {
			if err := fs.Set(k, x); err != nil {
				return nil, cli.Usagef("--config %s: %q: %v", configPath, k, err)
			}
		}
		origins = append(origins, fmt.Sprintf("--%s from %s", k, configPath))
	}
	return origins, nil
}

// readConfig reads a config file: one JSON object of flag names (without
// dashes) to values; known are the flag names of every command.
func readConfig(ctx context.Context, path string, known []string) (map[string]json.RawMessage, error) {
	data, err := cli.ReadFile(ctx, path, maxConfigBytes)
	if err != nil {
		return nil, cli.Usagef("--config %v", err)
	}
	if err := jsonstrict.NoDuplicates(data); err != nil {
		return nil, cli.Usagef("--config %s: %v", path, err)
	}
	var settings map[string]json.RawMessage
	if err := json.Unmarshal(data, &settings); err != nil {
		return nil, cli.Usagef("--config %s: want a JSON object of flag names to values, e.g. {\"tenant-id\": \"...\", \"ignore-failures\": [\"host.app-proxy-connector\"]}: %v", path, err)
	}
	for _, k := range slices.Sorted(maps.Keys(settings)) { // the same error every time
		switch {
		case k == "config":
			return nil, cli.Usagef("--config %s: a config file cannot name another config file", path)
		case !slices.Contains(known, k):
			if hint := suggest.DidYouMean(k, known, ""); hint != "" {
				return nil, cli.Usagef("--config %s: unknown setting %q: %s (settings are flag names without the dashes)", path, k, hint)
			}
			return nil, cli.Usagef("--config %s: unknown setting %q (settings are flag names without the dashes; see ptacheck <command> --help)", path, k)
		}
	}
	return settings, nil
}

// configValues turns a JSON value into flag values: a string, number or
// boolean; for list flags also an array of them.
func configValues(raw json.RawMessage, list bool) ([]string, error) {
	var arr []json.RawMessage
	if list && json.Unmarshal(raw, &arr) == nil {
		var out []string
		for _, a := range arr {
			v, err := scalar(a)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	v, err := scalar(raw)
	if err != nil {
		return nil, err
	}
	return []string{v}, nil
}

func scalar(raw json.RawMessage) (string, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return fmt.Sprint(x), nil
	case float64:
		return string(raw), nil
	}
	return "", fmt.Errorf("want a string, number or boolean (or a list of them for a repeatable flag), not %s", strings.TrimSpace(string(raw)))
}
