// Command logrus is a logplug plugin that writes each message with
// [github.com/sirupsen/logrus], in logrus's text format by default:
//
//	time="2025-11-25T16:59:00.123456789Z" level=info msg="user logged in" ip=10.0.0.1 user=ann
//
// Debug, Info, Warn and Error write at logrus's levels of the same names.
// logrus has no level-less entry, so Log writes at Info level, whatever the
// level setting says. Labels become string fields (logrus's WithFields); a
// label named "time", "msg", "level" or "logrus_error" is written by logrus
// as "fields.time", "fields.msg", "fields.level" or "fields.logrus_error",
// and a label whose name begins with "fields." is written by the plugin with
// one more "fields." in front: {"level":"a","fields.level":"b"} as
// fields.level=a fields.fields.level=b. So no label overwrites another, and
// a reader gets every label back by removing one "fields." from each key
// that begins with it. The time is RFC 3339 with nanoseconds.
//
// The plugin uses a logger of its own (logrus.New), never logrus's global
// logger. Settings (see README.md) choose the output (standard output,
// standard error or a file), the format (text or JSON) and the minimum level.
// Messages that arrive before Configure go to standard output as text.
//
// A message that can't be written (a full disk, a pipe whose reader is gone)
// is counted, not printed: Failures reports the count and the latest error.
// Reopen opens a file output again by its path, for log rotation.
//
// Build it with the settings `logplug version` prints, for example:
//
//	go build -buildmode=plugin -trimpath -o logrus.so .
package main

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/sirupsen/logrus"
)

// name and version are what the plugin says of itself (Describe).
const (
	name    = "logrus"
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

// logger writes messages with a logrus.Logger of its own. The mutex guards
// every field but fails, which Failures reads without it; logrus writes each
// entry with one Write call to out, holding a lock of its own as well.
type logger struct {
	mu     sync.Mutex
	lr     *logrus.Logger
	min    logrus.Level // the minimum level; logrus itself filters nothing
	out    *output      // nil until Configure or the first message
	closed bool
	fails  failures // messages out failed to write, over every output
}

// config is the plugin's settings, parsed.
type config struct {
	output string       // "stdout", "stderr" or a file path
	format string       // "text" or "json"
	level  logrus.Level // the minimum level
}

// defaults is the configuration before Configure, and the base of every
// Configure call.
var defaults = config{output: "stdout", format: "text", level: logrus.DebugLevel}

// levels maps the level setting's values to logrus's levels.
var levels = map[string]logrus.Level{
	"debug": logrus.DebugLevel,
	"info":  logrus.InfoLevel,
	"warn":  logrus.WarnLevel,
	"error": logrus.ErrorLevel,
}

// noLevel is the level write takes for Log messages, which logrus writes at
// Info level whatever the minimum level is.
const noLevel logrus.Level = math.MaxUint32

// Describe names the plugin.
func (l *logger) Describe() (string, string) { return name, version }

// BorrowsLabels says that the plugin is done with each labels map when its
// method returns: it encodes the labels at once and keeps nothing of the
// map, so a host may lend it one map for every message instead of making a
// new one for each (see api.Borrower).
func (l *logger) BorrowsLabels() bool { return true }

// Configure applies settings: "output" (stdout, stderr or a file path),
// "format" (text or json) and "level" (debug, info, warn or error). It
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
	l.out, l.lr, l.min = out, newLogrus(out, c), c.level
	if prev != nil {
		if err := prev.close(); err != nil {
			return fmt.Errorf("configure: closing the previous output: %w", err)
		}
	}
	return nil
}

// SettingKeys returns the keys Configure accepts.
func (l *logger) SettingKeys() []string { return []string{"format", "level", "output"} }

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
			if v != "text" && v != "json" {
				return c, fmt.Errorf("setting format=%q: want text or json", v)
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

// newLogrus returns a logrus.Logger that writes to out in c's format. It
// filters no level: the plugin does.
func newLogrus(out *output, c config) *logrus.Logger {
	lr := logrus.New()
	lr.SetOutput(out)
	lr.SetLevel(logrus.TraceLevel)
	if c.format == "json" {
		lr.SetFormatter(&logrus.JSONFormatter{TimestampFormat: timeLayout})
	} else {
		lr.SetFormatter(&logrus.TextFormatter{
			DisableColors:    true,
			FullTimestamp:    true,
			TimestampFormat:  timeLayout,
			QuoteEmptyFields: true,
		})
	}
	return lr
}

// Log writes a message that has no level. logrus has none such, so it is
// written at Info level, whatever the level setting says.
func (l *logger) Log(msg string, labels map[string]string) { l.write(noLevel, msg, labels) }

// Debug writes a debug message.
func (l *logger) Debug(msg string, labels map[string]string) { l.write(logrus.DebugLevel, msg, labels) }

// Info writes an informational message.
func (l *logger) Info(msg string, labels map[string]string) { l.write(logrus.InfoLevel, msg, labels) }

// Warn writes a warning.
func (l *logger) Warn(msg string, labels map[string]string) { l.write(logrus.WarnLevel, msg, labels) }

// Error writes an error message.
func (l *logger) Error(msg string, labels map[string]string) { l.write(logrus.ErrorLevel, msg, labels) }

// write writes one message at level, or nothing when level is below the
// minimum. The labels map is only read, and nothing of it is kept after
// write returns. After Close, write does nothing.
func (l *logger) write(level logrus.Level, msg string, labels map[string]string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	if l.out == nil {
		// Not configured: use the defaults, which cannot fail.
		l.out, _ = openOutput(defaults.output, &l.fails)
		l.lr, l.min = newLogrus(l.out, defaults), defaults.level
	}
	switch {
	case level == noLevel:
		level = logrus.InfoLevel
	case level > l.min: // logrus's levels grow less severe
		return
	}
	fields := make(logrus.Fields, len(labels))
	for k, v := range labels {
		fields[fieldName(k)] = v
	}
	l.lr.WithFields(fields).Log(level, msg)
}

// clashPrefix is the prefix logrus's formatters give a field whose name
// clashes with a key of their own ("level" becomes "fields.level").
const clashPrefix = "fields."

// fieldName returns the field a label is given to logrus as: its key, or
// for a key that begins with clashPrefix, clashPrefix and the key. logrus
// then writes a key that clashes with its own as clashPrefix and the key,
// overwriting any field already named so; after this renaming, none is.
// Only keys that begin with clashPrefix cost an allocation.
func fieldName(key string) string {
	if strings.HasPrefix(key, clashPrefix) {
		return clashPrefix + key
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
// the path. logrus holds nothing; the new file is given to logrus with
// SetOutput, which waits for logrus's lock, held for each write, before the
// old file is closed, and Reopen holds the plugin's mutex, which every
// message holds too: so no message is lost, written twice or written to the
// closed file. If the file can't be opened, Reopen returns an error naming it
// and the plugin keeps writing the file it has. For standard output and
// standard error, before Configure and after Close, Reopen does nothing and
// returns nil.
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
	l.out = out
	l.lr.SetOutput(out)
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
