// Command stdoutjson is a logplug plugin that writes each message to standard
// output as one JSON object per line:
//
//	{"level":"info","msg":"user logged in","ip":"10.0.0.1","user":"ann"}
//
// The object holds "level" and "msg", then every label as a string field,
// in sorted key order. A label named "level" or "msg", or whose name begins
// with "label.", is written with "label." in front of its name:
// {"level":"a","label.level":"b"} as "label.level":"a","label.label.level":"b".
// So no key repeats, and a reader gets every label back by removing one
// "label." from each key that begins with it.
//
// It is the smallest complete logplug plugin, and it uses the standard
// library only: copy this folder to start a plugin of your own (see
// README.md). Build it with the settings `logplug version` prints, for
// example:
//
//	go build -buildmode=plugin -trimpath -o stdoutjson.so .
package main

import (
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// name and version are what the plugin says of itself (Describe).
const (
	name    = "stdoutjson"
	version = "v0.1.0"
)

// main is never called: the host loads this package as a plugin. Declaring
// it lets `go build ./...` and other tools treat the folder as an ordinary
// program.
func main() {}

// LoggingPlugin is the symbol the host looks up. The host receives a
// pointer to it, whose method set has every method below.
var LoggingPlugin = logger{out: os.Stdout}

// logger writes JSON lines to out. Each message is encoded into a buffer
// and written with one Write call, so concurrent messages never interleave.
type logger struct {
	mu   sync.Mutex
	out  io.Writer
	buf  []byte   // reused for every message
	keys []string // reused for sorting label keys
}

// Describe names the plugin.
func (l *logger) Describe() (string, string) { return name, version }

// Log writes a message that has no level.
func (l *logger) Log(msg string, labels map[string]string) { l.write("log", msg, labels) }

// Debug writes a debug message.
func (l *logger) Debug(msg string, labels map[string]string) { l.write("debug", msg, labels) }

// Info writes an informational message.
func (l *logger) Info(msg string, labels map[string]string) { l.write("info", msg, labels) }

// Warn writes a warning.
func (l *logger) Warn(msg string, labels map[string]string) { l.write("warn", msg, labels) }

// Error writes an error message.
func (l *logger) Error(msg string, labels map[string]string) { l.write("error", msg, labels) }

// write encodes one message and writes it. The labels map is only read, and
// nothing of it is kept after write returns.
func (l *logger) write(level, msg string, labels map[string]string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keys = l.keys[:0]
	for k := range labels {
		l.keys = append(l.keys, k)
	}
	slices.Sort(l.keys)

	b := append(l.buf[:0], `{"level":`...)
	b = appendString(b, level)
	b = append(b, `,"msg":`...)
	b = appendString(b, msg)
	for _, k := range l.keys {
		b = append(b, ',')
		b = appendKey(b, k)
		b = append(b, ':')
		b = appendString(b, labels[k])
	}
	b = append(b, '}', '\n')
	l.buf = b
	// A failed write to standard output has nowhere better to be reported.
	_, _ = l.out.Write(b)
}

// labelPrefix goes in front of the name of a label that could be mistaken
// for a field of the plugin's own, or for a label renamed so.
const labelPrefix = "label."

// appendKey appends the name of the label k to b as a JSON string: k, or
// for "level", "msg" and a name that begins with labelPrefix, labelPrefix
// and k. It builds no string, so that writing a message allocates nothing.
func appendKey(b []byte, k string) []byte {
	if k != "level" && k != "msg" && !strings.HasPrefix(k, labelPrefix) {
		return appendString(b, k)
	}
	b = append(b, '"')
	b = append(b, labelPrefix...)
	b = appendEscaped(b, k)
	return append(b, '"')
}

const hex = "0123456789abcdef"

// appendString appends s to b as a JSON string.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendEscaped(b, s)
	return append(b, '"')
}

// appendEscaped appends s to b escaped for the inside of a JSON string.
// Invalid UTF-8 becomes U+FFFD, as in encoding/json.
func appendEscaped(b []byte, s string) []byte {
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
