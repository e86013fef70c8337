// Command zerolog is a logplug plugin that writes each message with
// [github.com/rs/zerolog], as one JSON object per line by default:
//
//	{"level":"info","time":"2025-11-25T16:59:00.123456789Z","ip":"10.0.0.1","user":"ann","message":"user logged in"}
//
// Debug, Info, Warn and Error write at zerolog's levels of the same names;
// Log writes zerolog's level-less event, which has no "level" field. Each
// event holds "level", "time" (RFC 3339 with nanoseconds), every label as a
// string field in sorted key order, and "message". A label named "level",
// "time" or "message", or whose name begins with "label.", is written with
// "label." in front of its name: {"level":"a","label.level":"b"} as
// "label.level":"a","label.label.level":"b". So no key repeats, and a reader
// gets every label back by removing one "label." from each key that begins
// with it.
//
// Settings (see README.md) choose the output (standard output, standard
// error or a file), the format (JSON or zerolog's console format) and the
// minimum level. Messages that arrive before Configure go to standard output
// as JSON.
//
// A message that can't be written (a full disk, a pipe whose reader is gone)
// is counted, not printed: Failures reports the count and the latest error.
// Reopen opens a file output again by its path, for log rotation.
//
// Build it with the settings `logplug version` prints, for example:
//
//	go build -buildmode=plugin -trimpath -o zerolog.so .
package main

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// name and version are what the plugin says of itself (Describe).
const (
	name    = "zerolog"
	version = "v0.1.0"
)

// timeLayout is RFC 3339 with nanoseconds, fixed width so that lines align.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// main is never called: the host loads this package as a plugin. Declaring
// it lets `go build ./...` and other tools treat the folder as an ordinary
// program.
func main() {}

// LoggingPlugin is the symbol the host looks up. The host receives a
// pointer to it, whose method set has every method below.
var LoggingPlugin = logger{}

// logger writes messages with a zerolog.Logger. The mutex guards every field
// but fails, which Failures reads without it; zerolog has no lock of its own,
// and writes each event with one Write call to out, with the mutex held.
type logger struct {
	mu     sync.Mutex
	zl     zerolog.Logger
	cfg    config  // the settings zl and out were made from
	out    *output // nil until Configure or the first message
	closed bool
	keys   []string // reused for sorting label keys
	fails  failures // messages out failed to write, over every output
}

// config is the plugin's settings, parsed.
type config struct {
	output string        // "stdout", "stderr" or a file path
	format string        // "json" or "console"
	level  zerolog.Level // the minimum level
}

// defaults is the configuration before Configure, and the base of every
// Configure call.
var defaults = config{output: "stdout", format: "json", level: zerolog.DebugLevel}

// levels maps the level setting's values to zerolog's levels.
var levels = map[string]zerolog.Level{
	"debug": zerolog.DebugLevel,
	"info":  zerolog.InfoLevel,
	"warn":  zerolog.WarnLevel,
	"error": zerolog.ErrorLevel,
}

// Describe names the plugin.
func (l *logger) Describe() (string, string) { return name, version }

// BorrowsLabels says that the plugin is done with each labels map when its
// method returns: it encodes the labels at once and keeps nothing of the
// map, so a host may lend it one map for every message instead of making a
// new one for each (see api.Borrower).
func (l *logger) BorrowsLabels() bool { return true }

// Configure applies settings: "output" (stdout, stderr or a file path),
// "format" (json or console) and "level" (debug, info, warn or error). It
// rejects an unknown key, a bad value and an output file it cannot open, with
// a one-line error naming the key and the value.
func (l *logger) Configure(settings map[string]string) error {
	c, err := parseSettings(settings)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return errors.New("configure: plugin is closed")
	}
	out, err := openOutput(c.output, &l.fails)
	if err != nil {
		return fmt.Errorf("setting output=%q: %w", c.output, err)
	}
	// The host calls Configure once; a second call replaces the output.
	prev := l.out
	l.use(out, c)
	if prev != nil {
		if err := prev.close(); err != nil {
			return fmt.Errorf("configure: closing the previous output: %w", err)
		}
	}
	return nil
}

// SettingKeys returns the keys Configure accepts.
func (l *logger) SettingKeys() []string { return []string{"format", "level", "output"} }

// use makes the logger write to out as c says.
func (l *logger) use(out *output, c config) {
	l.out, l.cfg, l.zl = out, c, newZerolog(out, c)
}

// parseSettings checks settings, in sorted key order, and returns them over
// the defaults.
func parseSettings(settings map[string]string) (config, error) {
	c := defaults
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		v := settings[k]
		switch k {
		case "output":
			if v == "" {
				return c, fmt.Errorf("setting output=%q: want stdout, stderr or a file path", v)
			}
			c.output = v
		case "format":
			if v != "json" && v != "console" {
				return c, fmt.Errorf("setting format=%q: want json or console", v)
			}
			c.format = v
		case "level":
			level, ok := levels[v]
			if !ok {
				return c, fmt.Errorf("setting level=%q: want debug, info, warn or error", v)
			}
			c.level = level
		default:
			return c, fmt.Errorf("setting %s=%q: unknown key, want format, level or output", k, v)
		}
	}
	return c, nil
}

// newZerolog returns a zerolog.Logger that writes to out as c says.
func newZerolog(out *output, c config) zerolog.Logger {
	if c.format == "console" {
		// The console writer turns each event into one line and writes it
		// with one call to out.
		cw := zerolog.ConsoleWriter{Out: out, NoColor: true, TimeFormat: timeLayout}
		return zerolog.New(cw).Level(c.level)
	}
	return zerolog.New(out).Level(c.level)
}

// Log writes a message that has no level. It is written whatever the level
// setting says.
func (l *logger) Log(msg string, labels map[string]string) { l.write(zerolog.NoLevel, msg, labels) }

// Debug writes a debug message.
func (l *logger) Debug(msg string, labels map[string]string) {
	l.write(zerolog.DebugLevel, msg, labels)
}

// Info writes an informational message.
func (l *logger) Info(msg string, labels map[string]string) { l.write(zerolog.InfoLevel, msg, labels) }

// Warn writes a warning.
func (l *logger) Warn(msg string, labels map[string]string) { l.write(zerolog.WarnLevel, msg, labels) }

// Error writes an error message.
func (l *logger) Error(msg string, labels map[string]string) {
	l.write(zerolog.ErrorLevel, msg, labels)
}

// write writes one message at level, or nothing when level is below the
// minimum. The labels map is only read, and nothing of it is kept after
// write returns. After Close, write does nothing.
func (l *logger) write(level zerolog.Level, msg string, labels map[string]string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	if l.out == nil {
		// Not configured: use the defaults, which cannot fail.
		out, _ := openOutput(defaults.output, &l.fails)
		l.use(out, defaults)
	}
	e := l.zl.WithLevel(level)
	if e == nil {
		return // below the minimum level
	}
	e.Str(zerolog.TimestampFieldName, time.Now().Format(timeLayout))
	l.keys = l.keys[:0]
	for k := range labels {
		l.keys = append(l.keys, k)
	}
	slices.Sort(l.keys)
	for _, k := range l.keys {
		e.Str(fieldName(k), labels[k])
	}
	e.Msg(msg)
}

// labelPrefix goes in front of the name of a label that could be mistaken
// for a field of zerolog's own, or for a label renamed so.
const labelPrefix = "label."

// fieldName returns the field a label is written as: its key, or for a key
// that zerolog uses itself or that begins with labelPrefix, labelPrefix and
// the key. Only such keys cost an allocation.
func fieldName(key string) string {
	switch key {
	case zerolog.LevelFieldName, zerolog.TimestampFieldName, zerolog.MessageFieldName:
		return labelPrefix + key
	}
	if strings.HasPrefix(key, labelPrefix) {
		return labelPrefix + key
	}
	return key
}

// Flush syncs a file output to disk, and returns an error only if that
// fails: the messages that could not be written are counted by Failures,
// not returned. After Close, it does nothing.
func (l *logger) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.out == nil {
		return nil
	}
	return l.out.flush()
}

// Reopen closes a file output and opens it again by its path, creating it as
// Configure does: after a log rotator renamed the file, the messages taken
// before Reopen are in the renamed file and those after it in a new one at
// the path. zerolog holds nothing, and writes only while the mutex, which
// Reopen holds, is held: so no message is lost, written twice or written to
// the closed file. If the file can't be opened, Reopen returns an error
// naming it and the plugin keeps writing the file it has. For standard
// output and standard error, before Configure and after Close, Reopen does
// nothing and returns nil.
func (l *logger) Reopen() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.out == nil || !l.out.isFile() {
		return nil
	}
	prev := l.out
	out, err := openOutput(prev.path, &l.fails)
	if err != nil {
		return fmt.Errorf("reopen %s: %w", prev.path, err)
	}
	l.use(out, l.cfg)
	if err := prev.close(); err != nil {
		return fmt.Errorf("reopen %s: closing the file it replaces: %w", prev.path, err)
	}
	return nil
}

// Failures returns the number of messages taken and then not written, whole
// or in part, since the plugin was made (one for each failed or short write),
// and the latest write error, which names the output: "write
// /var/log/app.log: no space left on device". The count never goes down.
// Failures does not wait for the plugin's other methods.
func (l *logger) Failures() (n uint64, last error) { return l.fails.get() }

// Close flushes and closes a file output; standard output and standard error
// stay open. Calls after the first do nothing and return nil, and so do all
// other methods but Failures, which still reports the count.
func (l *logger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	if l.out == nil {
		return nil
	}
	return l.out.close()
}
