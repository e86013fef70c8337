package main

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// A level is the level of a message.
type level int

const (
	levelLog level = iota
	levelDebug
	levelInfo
	levelWarn
	levelError
)

// jsonNames and textNames are the levels' names in each format.
var (
	jsonNames = [...]string{"log", "debug", "info", "warn", "error"}
	textNames = [...]string{"LOG", "DEBUG", "INFO", "WARN", "ERROR"}
)

// timeLayout is RFC 3339 with nanoseconds, fixed width so that lines align.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// An encoder turns messages into lines. It reuses its buffers: a line it
// returns is valid until the next call.
type encoder struct {
	buf  []byte
	keys []string
}

// sortedKeys returns the keys of labels, sorted.
func (e *encoder) sortedKeys(labels map[string]string) []string {
	e.keys = e.keys[:0]
	for k := range labels {
		e.keys = append(e.keys, k)
	}
	slices.Sort(e.keys)
	return e.keys
}

// json returns a JSON object holding "time", "level", "msg", then the
// labels in sorted key order, and a newline. A label named "time", "level"
// or "msg", or whose name begins with "label.", is written with one more
// "label." in front of its name (see appendJSONKey).
func (e *encoder) json(t time.Time, lv level, msg string, labels map[string]string) []byte {
	b := append(e.buf[:0], `{"time":"`...)
	b = t.AppendFormat(b, timeLayout)
	b = append(b, `","level":"`...)
	b = append(b, jsonNames[lv]...)
	b = append(b, `","msg":`...)
	b = appendJSONString(b, msg)
	for _, k := range e.sortedKeys(labels) {
		b = append(b, ',')
		b = appendJSONKey(b, k)
		b = append(b, ':')
		b = appendJSONString(b, labels[k])
	}
	b = append(b, '}', '\n')
	e.buf = b
	return b
}

// text returns "TIME LEVEL msg k=v k=v" and a newline, the labels in sorted
// key order. The message is quoted, in Go syntax, when it is empty or holds
// '=', '"' or a character that is not printable; a key or value is quoted
// when it is empty or holds a space, '=', '"' or a character that is not
// printable. So a line is always one line, and can be split back into its
// parts.
func (e *encoder) text(t time.Time, lv level, msg string, labels map[string]string) []byte {
	b := t.AppendFormat(e.buf[:0], timeLayout)
	b = append(b, ' ')
	b = append(b, textNames[lv]...)
	b = append(b, ' ')
	b = appendText(b, msg, true)
	for _, k := range e.sortedKeys(labels) {
		b = append(b, ' ')
		b = appendText(b, k, false)
		b = append(b, '=')
		b = appendText(b, labels[k], false)
	}
	b = append(b, '\n')
	e.buf = b
	return b
}

// appendText appends s to b, quoted if it needs to be. Spaces need no
// quoting when spaceOK is set.
func appendText(b []byte, s string, spaceOK bool) []byte {
	if needsQuote(s, spaceOK) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}

// needsQuote reports whether s must be quoted in the text format.
func needsQuote(s string, spaceOK bool) bool {
	if s == "" {
		return true
	}
	for i, r := range s {
		switch {
		case r == ' ':
			if !spaceOK {
				return true
			}
		case r == '=' || r == '"':
			return true
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return true // invalid UTF-8
			}
		case !unicode.IsPrint(r):
			return true
		}
	}
	return false
}

// labelPrefix goes in front of the name of a label that could be mistaken
// for a field of the JSON format's own, or for a label renamed so.
const labelPrefix = "label."

// appendJSONKey appends the name of the label k to b as a JSON string: k,
// or for "time", "level", "msg" and a name that begins with labelPrefix,
// labelPrefix and k. So {"level":"a","label.level":"b"} is written as
// "label.level":"a","label.label.level":"b": no key repeats, and a reader
// gets every label back by removing one labelPrefix from each key that
// begins with it. It builds no string, so that writing allocates nothing.
func appendJSONKey(b []byte, k string) []byte {
	switch {
	case k == "time", k == "level", k == "msg", strings.HasPrefix(k, labelPrefix):
		b = append(b, '"')
		b = append(b, labelPrefix...)
		b = appendJSONEscaped(b, k)
		return append(b, '"')
	}
	return appendJSONString(b, k)
}

const hex = "0123456789abcdef"

// appendJSONString appends s to b as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendJSONEscaped(b, s)
	return append(b, '"')
}

// appendJSONEscaped appends s to b escaped for the inside of a JSON string.
// Invalid UTF-8 becomes U+FFFD, as in encoding/json.
func appendJSONEscaped(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}
