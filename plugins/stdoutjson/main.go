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
// Each line is written with one write call before the method returns,
// unless the host has promised to flush the plugin whenever its input is
// idle (see Hold, which `logplug run` calls): then lines are held in a
// buffer of up to 64 KiB and written many at once.
//
// A line that can't be written (standard output is a closed pipe, or a full
// disk) is counted, and Failures reports the count and the latest error,
// such as "write /dev/stdout: broken pipe"; nothing is printed, and Flush
// returns nil.
//
// It is the smallest complete logplug plugin, and it uses the standard
// library only: copy this folder to start a plugin of your own (see
// README.md). Build it with the settings `logplug version` prints, for
// example:
//
//	go build -buildmode=plugin -trimpath -o stdoutjson.so .
package main

import (
	"bytes"
	"io"
	"os"
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

// holdSize is how many bytes of lines the plugin holds, after Hold, before
// it writes them.
const holdSize = 64 << 10

// logger writes JSON lines to out. Each message is encoded into a buffer
// and written with one Write call, alone or with other whole lines, so
// concurrent messages never interleave. The mutex guards every field but
// fails, which Failures reads without it.
type logger struct {
	mu      sync.Mutex
	out     io.Writer
	buf     []byte  // lines not yet written, after a newline when midLine; reused
	hold    bool    // Hold was called: buf may keep lines until Flush
	midLine bool    // a write stopped inside a line: the output does not end with a newline
	labels  []label // reused for sorting labels
	fails   failures
}

// label is one label, for sorting.
type label struct{ key, value string }

// Describe names the plugin.
func (l *logger) Describe() (string, string) { return name, version }

// BorrowsLabels says that the plugin is done with each labels map when its
// method returns: it encodes the labels at once and keeps nothing of the
// map, so a host may lend it one map for every message instead of making a
// new one for each (see api.Borrower).
func (l *logger) BorrowsLabels() bool { return true }

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

// Hold lets the plugin hold lines in its buffer, up to 64 KiB, and write
// them many at once: the host has promised to call Flush as soon as its
// input is idle, and at shutdown.
func (l *logger) Hold() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hold = true
}

// Flush writes the lines held, if any. It returns nil: the lines it fails
// to write are counted, and Failures reports them.
func (l *logger) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writeOut()
	return nil
}

// Reopen writes the lines held, if any, and returns nil. Standard output is
// not a file the plugin opened by a path, so it has nothing to open again:
// a file that standard output is redirected to is rotated by copying and
// truncating it (logrotate's copytruncate). Reopen writes out what it holds
// so that, as for a plugin that reopens its file, every message taken
// before it has been written when it returns.
func (l *logger) Reopen() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writeOut()
	return nil
}

// Failures returns the number of messages taken and then not wholly
// written, and the latest write error, naming the output: "write
// /dev/stdout: broken pipe". It counts lines, not writes: a failed write of
// 100 held lines counts 100, and a short one counts the lines it did not
// write to the end. The count never goes down. Failures does not wait for
// the plugin's other methods.
func (l *logger) Failures() (n uint64, last error) { return l.fails.get() }

// write encodes one message and writes it, or holds it after Hold. The
// labels map is only read, and nothing of it is kept after write returns.
func (l *logger) write(level, msg string, labels map[string]string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, v := range labels {
		l.labels = append(l.labels, label{k, v})
	}
	sortLabels(l.labels)

	b := append(l.buf, `{"level":`...)
	b = appendString(b, level)
	b = append(b, `,"msg":`...)
	b = appendString(b, msg)
	for _, lb := range l.labels {
		b = append(b, ',')
		b = appendKey(b, lb.key)
		b = append(b, ':')
		b = appendString(b, lb.value)
	}
	b = append(b, '}', '\n')
	l.buf = b
	clear(l.labels) // keep nothing of the caller's
	l.labels = l.labels[:0]
	if !l.hold || len(b) >= holdSize {
		l.writeOut()
	}
}

// sortLabels sorts labels by key, by insertion: a message has few labels.
func sortLabels(labels []label) {
	for i := 1; i < len(labels); i++ {
		for j := i; j > 0 && labels[j].key < labels[j-1].key; j-- {
			labels[j], labels[j-1] = labels[j-1], labels[j]
		}
	}
}

// writeOut writes the buffer with one Write call and empties it. The lines
// the write did not carry to their end are counted as failures. When a
// write stops inside a line, the buffer starts again with a newline, so
// that the next write ends the cut line and begins the next on a line of
// its own: a reader sees one broken line, counted as failed, and whole
// lines after it.
func (l *logger) writeOut() {
	lead := 0 // the newline that ends a cut line, not a message's
	if l.midLine {
		lead = 1
	}
	if len(l.buf) == lead {
		return
	}
	n, err := l.out.Write(l.buf)
	n = min(max(n, 0), len(l.buf))
	if err := writeError(l.out, n, len(l.buf), err); err != nil {
		if lost := bytes.Count(l.buf[max(n, lead):], []byte{'\n'}); lost > 0 {
			l.fails.add(uint64(lost), err)
		}
	}
	if n > 0 {
		l.midLine = l.buf[n-1] != '\n'
	}
	l.buf = l.buf[:0]
	if l.midLine {
		l.buf = append(l.buf, '\n')
	}
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

// plain[c] reports whether the byte c stands for itself in a JSON string:
// it is ASCII, not a control character, a quote or a backslash.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

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
		if plain[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
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
