package host

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
)

// Settings holds plugins' settings, keyed by plugin name and then by
// setting. It is the type of [Options.Settings].
//
// A *Settings is a [flag.Value] whose Set takes NAME.KEY=VALUE, so that a
// program can offer a repeatable -set flag:
//
//	settings := host.Settings{}
//	flag.Var(&settings, "set", "set plugin NAME's KEY to VALUE")
type Settings map[string]map[string]string

// String formats the settings as NAME.KEY=VALUE pairs, sorted.
func (s *Settings) String() string {
	if s == nil {
		return ""
	}
	var parts []string
	for name, kv := range *s {
		for k, v := range kv {
			parts = append(parts, name+"."+k+"="+v)
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// Set parses NAME.KEY=VALUE and records it, replacing an earlier value of
// the same setting. The plugin name is what comes before the first dot;
// keys may hold dots.
func (s *Settings) Set(arg string) error {
	nameKey, value, ok := strings.Cut(arg, "=")
	name, key, okDot := strings.Cut(nameKey, ".")
	if !ok || !okDot || name == "" || key == "" {
		return fmt.Errorf("%q: want NAME.KEY=VALUE, for example file.path=/var/log/app.log", arg)
	}
	s.put(name, key, value)
	return nil
}

func (s *Settings) put(name, key, value string) {
	if *s == nil {
		*s = Settings{}
	}
	if (*s)[name] == nil {
		(*s)[name] = map[string]string{}
	}
	(*s)[name][key] = value
}

// Merge copies every setting of other into s, replacing what s had.
func (s *Settings) Merge(other Settings) {
	for name, kv := range other {
		for k, v := range kv {
			s.put(name, k, v)
		}
	}
}

// ReadSettingsFile reads a JSON settings file: an object keyed by plugin
// name, whose values are objects of settings. A setting's value is a
// string, a number or a boolean; numbers and booleans are taken as they are
// written:
//
//	{
//	  "file":    {"path": "logs/app.log", "max_size_mb": 10},
//	  "zerolog": {"output": "stderr", "level": "warn"}
//	}
func ReadSettingsFile(path string) (Settings, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read settings: %w", err)
	}
	s, err := parseSettings(data)
	if err != nil {
		return nil, fmt.Errorf("read settings %s: %w", path, err)
	}
	return s, nil
}

func parseSettings(data []byte) (Settings, error) {
	var raw map[string]map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return nil, fmt.Errorf("want an object of plugin names, each an object of settings: %v", err)
		}
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	s := Settings{}
	for name, kv := range raw {
		s[name] = map[string]string{}
		for k, rawValue := range kv {
			v, err := settingValue(rawValue)
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", name, k, err)
			}
			s[name][k] = v
		}
	}
	return s, nil
}

// settingValue turns a JSON scalar into a setting's string value.
func settingValue(raw json.RawMessage) (string, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case bool:
		return fmt.Sprint(v), nil
	}
	return "", fmt.Errorf("value %s is not a string, number or boolean", raw)
}
