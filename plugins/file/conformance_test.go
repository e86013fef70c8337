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
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logplug/logplug/api"
	"github.com/logplug/logplug/api/plugintest"
)

// TestConformance runs the conformance suite of package plugintest, which
// checks every rule of the contract that the plugin's methods can break,
// against the plugin writing each format, and with rotation on (through
// lumberjack; the suite writes too little for a rotation to happen).
func TestConformance(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]string
	}{
		{"json", map[string]string{"format": "json"}},
		{"text", map[string]string{"format": "text"}},
		{"json rotating", map[string]string{"format": "json", "max_size_mb": "1", "max_backups": "2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "conformance.log")
			tt.settings["path"] = path
			plugintest.Run(t, plugintest.Plugin{
				New: func() api.Logger {
					// Configure appends to the file, so each instance
					// starts without one. New runs outside the test's
					// goroutine; the suite reports a panic as a failure.
					if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
						panic(fmt.Sprintf("removing the previous instance's output: %v", err))
					}
					return &logger{}
				},
				Result:   func() ([]plugintest.Record, error) { return readRecords(path, tt.settings["format"]) },
				Settings: tt.settings,
			})
		})
	}
}

// readRecords parses the lines of the file at path, in the given format,
// into records. A missing file holds none.
func readRecords(path, format string) ([]plugintest.Record, error) {
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
	parse := parseJSONFields
	if format == "text" {
		parse = parseTextFields
	}
	var recs []plugintest.Record
	for i, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		r, err := parseRecord(line, format, parse)
		if err != nil {
			return nil, fmt.Errorf("line %d %q: %w", i+1, line, err)
		}
		recs = append(recs, r)
	}
	return recs, nil
}

// parseRecord reads one line back into a record. Both formats start with
// the fields time, level and msg; the labels follow. The JSON format
// writes a label called "time", "level" or "msg", or whose name begins with
// "label.", with one more "label." in front; parseRecord removes one
// "label." from each key that begins with it.
func parseRecord(line, format string, parse func(string) ([]field, error)) (plugintest.Record, error) {
	fields, err := parse(line)
	if err != nil {
		return plugintest.Record{}, err
	}
	var r plugintest.Record
	if len(fields) < 3 || fields[0].key != "time" || fields[1].key != "level" || fields[2].key != "msg" {
		return r, errors.New("the line does not start with time, level and msg")
	}
	if _, err := time.Parse(time.RFC3339Nano, fields[0].value); err != nil || !timeFormat.MatchString(fields[0].value) {
		return r, fmt.Errorf("time %q is not fixed-width RFC 3339 with nanoseconds", fields[0].value)
	}
	if r.Level, err = api.ParseLevel(fields[1].value); err != nil {
		return r, err
	}
	r.Msg = fields[2].value
	r.Labels = map[string]string{}
	for _, f := range fields[3:] {
		k := f.key
		if format == "json" {
			switch k {
			case "time", "level", "msg":
				return r, fmt.Errorf("label %q is not renamed", k)
			}
			k = strings.TrimPrefix(k, "label.")
		}
		if _, ok := r.Labels[k]; ok {
			return r, fmt.Errorf("label %q repeats", k)
		}
		r.Labels[k] = f.value
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

// parseTextFields splits a line of the text format, "TIME LEVEL msg k=v
// k=v", into fields: time, level (lower case), msg, then the labels. The
// message is quoted or runs up to the first label: the first word that
// starts with a quote or holds '='.
func parseTextFields(line string) ([]field, error) {
	stamp, rest, _ := strings.Cut(line, " ")
	lv, rest, ok := strings.Cut(rest, " ")
	if !ok || lv != strings.ToUpper(lv) {
		return nil, errors.New("no upper-case level")
	}
	fields := []field{{"time", stamp}, {"level", strings.ToLower(lv)}}

	var msg string
	var err error
	if strings.HasPrefix(rest, `"`) {
		if msg, rest, err = unquotePrefix(rest); err != nil {
			return nil, err
		}
	} else {
		end := len(rest)
		if i := strings.IndexAny(rest, `="`); i >= 0 && rest[i] == '"' {
			end = i - 1
		} else if i >= 0 {
			end = strings.LastIndexByte(rest[:i], ' ')
		}
		if end < 0 {
			return nil, fmt.Errorf("no message before %q", rest)
		}
		msg, rest = rest[:end], rest[end:]
	}
	fields = append(fields, field{"msg", msg})

	for rest != "" {
		var key, value string
		if rest[0] != ' ' {
			return nil, fmt.Errorf("no space before %q", rest)
		}
		rest = rest[1:]
		if strings.HasPrefix(rest, `"`) {
			if key, rest, err = unquotePrefix(rest); err != nil {
				return nil, err
			}
		} else {
			key, rest, _ = strings.Cut(rest, "=")
			rest = "=" + rest
		}
		if !strings.HasPrefix(rest, "=") {
			return nil, fmt.Errorf("no '=' after key %q", key)
		}
		rest = rest[1:]
		if strings.HasPrefix(rest, `"`) {
			if value, rest, err = unquotePrefix(rest); err != nil {
				return nil, err
			}
		} else {
			end := strings.IndexByte(rest, ' ')
			if end < 0 {
				end = len(rest)
			}
			value, rest = rest[:end], rest[end:]
		}
		fields = append(fields, field{key, value})
	}
	return fields, nil
}

// unquotePrefix returns the Go-quoted string s starts with, unquoted, and
// the rest of s.
func unquotePrefix(s string) (string, string, error) {
	quoted, err := strconv.QuotedPrefix(s)
	if err != nil {
		return "", "", err
	}
	unquoted, err := strconv.Unquote(quoted)
	return unquoted, s[len(quoted):], err
}
