package host

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
		var se *settingsError
		if errors.As(err, &se) {
			line, col := position(data, se.offset)
			return nil, fmt.Errorf("%s:%d:%d: %s", path, line, col, se.msg)
		}
		return nil, fmt.Errorf("read settings %s: %w", path, err)
	}
	return s, nil
}

// settingsExample is what a settings file looks like, for errors.
const settingsExample = `{"file": {"path": "app.log"}}`

// A settingsError is what is wrong at a byte offset of a settings file.
type settingsError struct {
	offset int64
	msg    string
}

func (e *settingsError) Error() string { return fmt.Sprintf("offset %d: %s", e.offset, e.msg) }

// position returns the line and column, from 1, of the byte at index
// offset-1 of data: where a decoder that stopped after reading offset
// bytes found its fault. Past the end of data, it is the position just
// after the last byte.
func position(data []byte, offset int64) (line, col int) {
	i := int(min(max(offset-1, 0), int64(len(data))))
	before := data[:i]
	line = 1 + bytes.Count(before, []byte("\n"))
	col = i - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// settingsParser reads a settings file token by token, keeping track of
// where it is, so that each error names its line and column.
type settingsParser struct {
	data []byte
	dec  *json.Decoder
}

func parseSettings(data []byte) (Settings, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &settingsError{1, "the file is empty: want a JSON object of plugin names, each an object of settings, such as " + settingsExample}
	}
	p := &settingsParser{data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	p.dec.UseNumber()
	s := Settings{}
	if err := p.object("want a JSON object of plugin names, each an object of settings, such as "+settingsExample, func(name string) error {
		kv := map[string]string{}
		s[name] = kv
		return p.object(fmt.Sprintf("plugin %q: want an object of settings, such as %s", name, settingsExample[len(`{"file": `):len(settingsExample)-1]), func(key string) error {
			v, err := p.value(name + "." + key)
			kv[key] = v
			return err
		})
	}); err != nil {
		return nil, err
	}
	at := p.start()
	switch _, err := p.dec.Token(); {
	case err == io.EOF:
	case err != nil:
		return nil, p.syntax(err, at)
	default:
		return nil, p.errorf(at, "more than one JSON value: want one object")
	}
	return s, nil
}

// object reads an object whose values entry reads, one per key; want says
// what was expected, for an error.
func (p *settingsParser) object(want string, entry func(key string) error) error {
	at := p.start()
	tok, err := p.dec.Token()
	if err != nil {
		return p.syntax(err, at)
	}
	if tok != json.Delim('{') {
		return p.errorf(at, "%s", want)
	}
	for p.dec.More() {
		at := p.start()
		tok, err := p.dec.Token()
		if err != nil {
			return p.syntax(err, at)
		}
		if err := entry(tok.(string)); err != nil {
			return err
		}
	}
	at = p.start()
	if _, err := p.dec.Token(); err != nil { // the closing brace
		return p.syntax(err, at)
	}
	return nil
}

// value reads the value of setting name, a string, number or boolean.
func (p *settingsParser) value(name string) (string, error) {
	at := p.start()
	if at < int64(len(p.data)) && (p.data[at] == '{' || p.data[at] == '[') {
		var raw json.RawMessage
		if err := p.dec.Decode(&raw); err != nil {
			return "", p.syntax(err, at)
		}
		kind := "an object"
		if raw[0] == '[' {
			kind = "an array"
		}
		return "", p.errorf(at, "%s: value %s is %s, want a string, number or boolean", name, raw, kind)
	}
	tok, err := p.dec.Token()
	if err != nil {
		return "", p.syntax(err, at)
	}
	switch v := tok.(type) {
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case bool:
		return fmt.Sprint(v), nil
	}
	return "", p.errorf(at, "%s: value null is not a string, number or boolean", name)
}

// start returns the offset of the next token: past white space, and a
// comma or colon, after what the decoder has read.
func (p *settingsParser) start() int64 {
	off := p.dec.InputOffset()
	for off < int64(len(p.data)) && strings.IndexByte(" \t\r\n,:", p.data[off]) >= 0 {
		off++
	}
	return off
}

// syntax turns a decoder's error into a settingsError at the place of the
// fault: where the decoder says, or at at.
func (p *settingsParser) syntax(err error, at int64) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return &settingsError{se.Offset + 1, se.Error()} // a Decoder's Offset is of the faulty byte
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return &settingsError{int64(len(p.data)) + 1, "unexpected end of file: an object is not closed"}
	}
	return &settingsError{at + 1, err.Error()}
}

// errorf returns a settingsError for the token that starts at offset at.
func (p *settingsParser) errorf(at int64, format string, args ...any) error {
	return &settingsError{at + 1, fmt.Sprintf(format, args...)}
}
