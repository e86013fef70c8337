// Package jsonline turns one line of `logplug run` input into a message: a
// level, a text and labels.
//
// A line that is a JSON object gives its "level" field as the level, its
// "msg" field (or, without one, its "message" field) as the text, and every
// other field as a label. Any other line is a message at level info with no
// labels. The parser is written for the common case of flat objects: it
// takes one string allocation per line, whose substrings become the keys and
// values of fields that need no unescaping.
package jsonline

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/logplug/logplug/api"
)

// A Record is one parsed line.
type Record struct {
	// Level is the message's level.
	Level api.Level
	// Msg is the message text.
	Msg string
	// Labels holds the other fields of a JSON object. Parse clears and
	// reuses it.
	Labels map[string]string
	// JSON reports whether the line was a JSON object.
	JSON bool
}

// Parse parses line into r, reusing r.Labels. Its rules are:
//
//   - A line that is a JSON object (with optional white space around it) is
//     taken apart: "level", when it is a string naming a level that
//     [api.ParseLevel] knows, is the level and is not a label; without it the
//     level is info, and with a name ParseLevel does not know the level is
//     log (the plugin's Log method) and the name stays a label. "msg", or
//     without it "message", is the text; a message field that is not a string
//     is taken as its JSON text. Every other field is a label: strings
//     unescaped, numbers, true, false and null as their JSON text, objects
//     and arrays as compact JSON. Of repeated keys the last wins.
//   - Any other line, including invalid JSON, a JSON value that is not an
//     object, and an empty line, is the text of a message at level info with
//     no labels, byte for byte: invalid UTF-8 and NUL bytes are kept.
func Parse(line string, r *Record) {
	if r.Labels == nil {
		r.Labels = make(map[string]string, 8)
	} else {
		clear(r.Labels)
	}
	if parseObject(line, r) {
		r.JSON = true
		return
	}
	clear(r.Labels)
	*r = Record{Level: api.LevelInfo, Msg: line, Labels: r.Labels}
}

// parseObject parses a JSON object into r, reporting false if line is not
// one.
func parseObject(line string, r *Record) bool {
	p := parser{s: line}
	p.skipSpace()
	if !p.consume('{') {
		return false
	}
	r.Level, r.Msg = api.LevelInfo, ""
	var levelName, msg, message string
	var haveLevel, haveMsg, haveMessage bool
	p.skipSpace()
	if !p.consume('}') {
		for {
			p.skipSpace()
			key, ok := p.str()
			if !ok {
				return false
			}
			p.skipSpace()
			if !p.consume(':') {
				return false
			}
			p.skipSpace()
			isString := p.peek() == '"'
			val, ok := p.value()
			if !ok {
				return false
			}
			switch {
			case key == "level":
				levelName, haveLevel = val, isString
				if !isString {
					r.Labels[key] = val
				}
			case key == "msg":
				msg, haveMsg = val, true
			case key == "message":
				message, haveMessage = val, true
			default:
				r.Labels[key] = val
			}
			p.skipSpace()
			if p.consume('}') {
				break
			}
			if !p.consume(',') {
				return false
			}
		}
	}
	p.skipSpace()
	if p.i != len(p.s) {
		return false
	}
	if haveLevel {
		delete(r.Labels, "level") // a non-string level seen earlier
		if l, err := api.ParseLevel(levelName); err == nil {
			r.Level = l
		} else {
			r.Level = api.LevelLog
			r.Labels["level"] = levelName
		}
	}
	switch {
	case haveMsg:
		r.Msg = msg
		if haveMessage {
			r.Labels["message"] = message
		}
	case haveMessage:
		r.Msg = message
	}
	return true
}

type parser struct {
	s string
	i int
}

func (p *parser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *parser) consume(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *parser) skipSpace() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// value parses any JSON value and returns its label text.
func (p *parser) value() (string, bool) {
	switch c := p.peek(); {
	case c == '"':
		return p.str()
	case c == '{' || c == '[':
		return p.composite()
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	return "", false
}

func (p *parser) literal(word string) (string, bool) {
	if strings.HasPrefix(p.s[p.i:], word) {
		p.i += len(word)
		return word, true
	}
	return "", false
}

// number scans a number by the JSON grammar and returns its text.
func (p *parser) number() (string, bool) {
	start := p.i
	p.consume('-')
	switch {
	case p.consume('0'):
	case p.digits() == 0:
		return "", false
	}
	if p.consume('.') && p.digits() == 0 {
		return "", false
	}
	if p.consume('e') || p.consume('E') {
		if !p.consume('+') {
			p.consume('-')
		}
		if p.digits() == 0 {
			return "", false
		}
	}
	return p.s[start:p.i], true
}

func (p *parser) digits() int {
	start := p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	return p.i - start
}

// str parses a JSON string and returns it unescaped. A string without
// escapes is returned as a substring of the line, without copying.
func (p *parser) str() (string, bool) {
	if !p.consume('"') {
		return "", false
	}
	start := p.i
	for p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case c == '"':
			p.i++
			return p.s[start : p.i-1], true
		case c == '\\':
			return p.escapedStr(start)
		case c < 0x20:
			return "", false
		}
		p.i++
	}
	return "", false
}

// escapedStr finishes a string that holds escapes; p.i is at the first
// backslash and start is just after the opening quote.
func (p *parser) escapedStr(start int) (string, bool) {
	var b strings.Builder
	b.Grow(p.i - start + 16)
	b.WriteString(p.s[start:p.i])
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return b.String(), true
		case c < 0x20:
			return "", false
		case c != '\\':
			b.WriteByte(c)
			p.i++
			continue
		}
		p.i++ // the backslash
		if p.i >= len(p.s) {
			return "", false
		}
		e := p.s[p.i]
		p.i++
		switch e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", false
			}
			if utf16.IsSurrogate(r) {
				// A valid pair makes one rune; anything else is U+FFFD, as
				// encoding/json does.
				save := p.i
				if strings.HasPrefix(p.s[p.i:], `\u`) {
					p.i += 2
					if r2, ok := p.hex4(); ok {
						if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
							b.WriteRune(pair)
							continue
						}
					}
				}
				p.i = save
				r = utf8.RuneError
			}
			b.WriteRune(r)
		default:
			return "", false
		}
	}
	return "", false
}

func (p *parser) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	v, err := strconv.ParseUint(p.s[p.i:p.i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(v), true
}

// composite scans a JSON object or array, validates it and returns it in
// compact form. Nested values are rare in log lines, so this path leans on
// encoding/json instead of speed.
func (p *parser) composite() (string, bool) {
	start, depth, inString := p.i, 0, false
	for ; p.i < len(p.s); p.i++ {
		c := p.s[p.i]
		if inString {
			switch c {
			case '\\':
				p.i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				p.i++
				var buf bytes.Buffer
				if err := json.Compact(&buf, []byte(p.s[start:p.i])); err != nil {
					return "", false
				}
				return buf.String(), true
			}
		}
	}
	return "", false
}
