package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logplug/logplug/api"
	"github.com/logplug/logplug/api/plugintest"
)

// TestConformance runs the conformance suite of package plugintest, which
// checks every rule of the contract that the plugin's methods can break,
// against the plugin writing JSON lines to a file. logrus has no level-less
// entry, so Log writes info records. The text format is not tested here:
// it writes label keys as they are, so a key with a space cannot be read
// back.
func TestConformance(t *testing.T) {
	path := filepath.Join(t.TempDir(), "conformance.log")
	plugintest.Run(t, plugintest.Plugin{
		New: func() api.Logger {
			// Configure appends to the file, so each instance starts
			// without one. New runs outside the test's goroutine; the
			// suite reports a panic as a failure.
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				panic(fmt.Sprintf("removing the previous instance's output: %v", err))
			}
			return &logger{}
		},
		Result:   func() ([]plugintest.Record, error) { return readRecords(path) },
		Settings: map[string]string{"output": path, "format": "json"},
		Levels:   map[api.Level]api.Level{api.LevelLog: api.LevelInfo},
	})
}

// readRecords parses the JSON lines of the file at path into records. A
// missing file holds none.
func readRecords(path string) ([]plugintest.Record, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return nil, nil
	}
	if !bytes.HasSuffix(b, []byte("\n")) {
		return nil, fmt.Errorf("%s does not end with a newline", path)
	}
	var recs []plugintest.Record
	for i, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		r, err := parseRecord(line)
		if err != nil {
			return nil, fmt.Errorf("line %d %q: %w", i+1, line, err)
		}
		recs = append(recs, r)
	}
	return recs, nil
}

// parseRecord reads one line of logrus's JSON format back into a record:
// "time", "level" ("warning" for warn) and "msg", all required, and the
// labels, undoing their renaming ("fields.level" for a label called
// "level", "fields.fields.level" for one called "fields.level"): it removes
// one "fields." from each key that begins with it.
func parseRecord(line string) (plugintest.Record, error) {
	fields, err := parseJSONFields(line)
	if err != nil {
		return plugintest.Record{}, err
	}
	var r plugintest.Record
	r.Labels = map[string]string{}
	seen := map[string]bool{}
	for _, f := range fields {
		if seen[f.key] {
			return r, fmt.Errorf("key %q repeats", f.key)
		}
		seen[f.key] = true
		switch f.key {
		case "level":
			if r.Level, err = api.ParseLevel(f.value); err != nil {
				return r, err
			}
		case "time":
			if _, err := time.Parse(time.RFC3339Nano, f.value); err != nil || !timeFormat.MatchString(f.value) {
				return r, fmt.Errorf("time %q is not fixed-width RFC 3339 with nanoseconds", f.value)
			}
		case "msg":
			r.Msg = f.value
		default:
			k := strings.TrimPrefix(f.key, "fields.")
			if _, ok := r.Labels[k]; ok {
				return r, fmt.Errorf("two keys name the label %q", k)
			}
			r.Labels[k] = f.value
		}
	}
	for _, k := range []string{"time", "level", "msg"} {
		if !seen[k] {
			return r, fmt.Errorf("no %s field", k)
		}
	}
	return r, nil
}

// parseJSONFields decodes a JSON object whose values are all strings,
// keeping the order of its keys.
func parseJSONFields(line string) ([]field, error) {
	dec := json.NewDecoder(strings.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	var fields []field
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k := tok.(string)
		var v string
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("key %q: %w", k, err)
		}
		fields = append(fields, field{k, v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("more after the object")
	}
	return fields, nil
}
