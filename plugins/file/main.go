// Command file is a logplug plugin that appends each message to a file, as
// one line: a JSON object by default,
//
//	{"time":"2025-11-25T16:59:00.123456789Z","level":"info","msg":"user logged in","ip":"10.0.0.1","user":"ann"}
//
// or, with format=text,
//
//	2025-11-25T16:59:00.123456789Z INFO user logged in ip=10.0.0.1 user=ann
//
// The file is opened with O_APPEND and each line is written with one write
// call, so several processes may append to the same file without their lines
// interleaving. With rotation on (max_size_mb above 0), the plugin rotates
// the file by size with [gopkg.in/natefinch/lumberjack.v2], and only one
// process may write it: Configure takes an advisory lock (flock) on
// PATH.lock and refuses a second rotating writer. To rotate with logrotate
// instead, leave rotation off and have the host call Reopen (`logplug run`
// does on SIGHUP), which opens the path again.
//
// Failures counts the messages taken and not written: those that came
// before Configure (the "path" setting is required), failed and short
// writes, and the lines written to a file removed while open. A short write
// (a full disk) leaves part of a line; since other processes may be
// appending, the file is not truncated: the next write starts with a
// newline (as does the first write to a file that ends in a cut line when
// the plugin opens it), so the cut line stays one bad line of its own and
// the next line is whole. At most once a second, and at Flush and Close, the plugin
// checks that the path still names the file it writes: if the file was
// removed, it counts the lines written since the last check as failed and
// creates the file again; if it was renamed, it opens the path again. See
// README.md.
//
// Build it with the settings `logplug version` prints, for example:
//
//	go build -buildmode=plugin -trimpath -o file.so .
package main

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// name and version are what the plugin says of itself (Describe).
const (
	name    = "file"
	version = "v0.1.0"
)

// dirMode is the mode of the parent folders the plugin creates. The process
// umask applies.
const dirMode = 0o750

// main is never called: the host loads this package as a plugin. Declaring
// it lets `go build ./...` and other tools treat the folder as an ordinary
// program.
func main() {}

// LoggingPlugin is the symbol the host looks up. The host receives a
// pointer to it, whose method set has every method below.
var LoggingPlugin = logger{}

// logger appends lines to a file. The mutex guards every field but fails,
// which is safe to use without it.
type logger struct {
	mu     sync.Mutex
	out    *output // nil until Configure
	format string  // "json" or "text"
	closed bool
	enc    encoder
	now    func() time.Time // the clock; nil for time.Now (tests set it)
	fails  failures
}

// config is the plugin's settings, parsed.
type config struct {
	path       string
	format     string      // "json" or "text"
	mode       os.FileMode // for a file the plugin creates
	maxSizeMB  int         // 0: no rotation
	maxBackups int         // 0: keep every backup
}

// Describe names the plugin.
func (l *logger) Describe() (string, string) { return name, version }

// BorrowsLabels says that the plugin is done with each labels map when its
// method returns: it encodes the labels at once and keeps nothing of the
// map, so a host may lend it one map for every message instead of making a
// new one for each (see api.Borrower).
func (l *logger) BorrowsLabels() bool { return true }

// SettingKeys returns every key Configure accepts (see
// api.SettingKeyLister).
func (l *logger) SettingKeys() []string {
	return []string{"format", "max_backups", "max_size_mb", "mode", "path"}
}

// Configure applies settings: "path" (required), "format" (json or text),
// "mode" (octal), "max_size_mb" and "max_backups". It opens the file,
// creating it and its missing parent folders, and with rotation on takes
// the lock that keeps a second rotating writer away (see [takeLock]). It
// rejects a missing path, an unknown key, a bad value, a file it cannot
// open and a file another writer rotates, with a one-line error naming the
// key and the value. A second call replaces the file.
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
	out, err := openOutput(c, l.out, &l.fails, l.clock())
	if err != nil {
		return fmt.Errorf("setting path=%q: %w", c.path, err)
	}
	prev := l.out
	l.out, l.format = out, c.format
	if prev != nil {
		if err := prev.close(); err != nil {
			return fmt.Errorf("configure: closing the previous file: %w", err)
		}
	}
	return nil
}

// parseSettings checks settings, in sorted key order.
func parseSettings(settings map[string]string) (config, error) {
	c := config{format: "json", mode: 0o640}
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		v := settings[k]
		switch k {
		case "path":
			if v == "" {
				return c, fmt.Errorf("setting path=%q: want a file path", v)
			}
			c.path = v
		case "format":
			if v != "json" && v != "text" {
				return c, fmt.Errorf("setting format=%q: want json or text", v)
			}
			c.format = v
		case "mode":
			mode, err := strconv.ParseUint(v, 8, 32)
			if err != nil || mode > 0o777 {
				return c, fmt.Errorf("setting mode=%q: want an octal file mode such as 0640", v)
			}
			c.mode = os.FileMode(mode)
		case "max_size_mb":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > maxSizeMB {
				return c, fmt.Errorf("setting max_size_mb=%q: want a whole number of megabytes, 0 for no rotation", v)
			}
			c.maxSizeMB = n
		case "max_backups":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return c, fmt.Errorf("setting max_backups=%q: want a whole number, 0 to keep every backup", v)
			}
			c.maxBackups = n
		default:
			return c, fmt.Errorf("setting %s=%q: unknown key, want format, max_backups, max_size_mb, mode or path", k, v)
		}
	}
	if c.path == "" {
		return c, errors.New("setting path: missing, want a file path")
	}
	if c.maxBackups > 0 && c.maxSizeMB == 0 {
		return c, fmt.Errorf("setting max_backups=%q: needs max_size_mb above 0", settings["max_backups"])
	}
	return c, nil
}

// clock returns the time now, from l.now if a test set it.
func (l *logger) clock() time.Time {
	if l.now != nil {
		return l.now()
	}
	return time.Now()
}

// Log writes a message that has no level.
func (l *logger) Log(msg string, labels map[string]string) { l.write(levelLog, msg, labels) }

// Debug writes a debug message.
func (l *logger) Debug(msg string, labels map[string]string) { l.write(levelDebug, msg, labels) }

// Info writes an informational message.
func (l *logger) Info(msg string, labels map[string]string) { l.write(levelInfo, msg, labels) }

// Warn writes a warning.
func (l *logger) Warn(msg string, labels map[string]string) { l.write(levelWarn, msg, labels) }

// Error writes an error message.
func (l *logger) Error(msg string, labels map[string]string) { l.write(levelError, msg, labels) }

// write encodes one message and appends it to the file with one Write call.
// The labels map is only read, and nothing of it is kept after write returns.
// Before Configure, write counts the message as failed; after Close, it does
// nothing.
func (l *logger) write(lv level, msg string, labels map[string]string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closed:
		return
	case l.out == nil:
		l.fails.add(1, errors.New("a message came before Configure, when there was no file to write it to"))
		return
	}
	t := l.clock()
	var line []byte
	if l.format == "text" {
		line = l.enc.text(t, lv, msg, labels)
	} else {
		line = l.enc.json(t, lv, msg, labels)
	}
	l.out.write(t, line)
}

// Failures returns the number of messages taken and not written, whole or
// in part, since the plugin was made, and the latest failure's error (see
// api.FailureCounter): messages that came before Configure, failed and short
// writes, and the lines lost to a file removed while open. It takes no lock.
func (l *logger) Failures() (uint64, error) { return l.fails.load() }

// Flush checks that the path still names the file written (see
// [output.check]) and fsyncs the file. It returns the fsync's error only:
// failed writes are counted by Failures. After Close, it does nothing.
func (l *logger) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.out == nil {
		return nil
	}
	l.out.check(l.clock(), true)
	return l.out.sync()
}

// Reopen closes the file and opens it again by its path, creating it (and
// missing folders) as Configure does (see api.Reopener): after a rotator
// renamed the file, the lines written before are in the renamed file, and
// the lines after in a new one. If the path can't be opened, Reopen returns
// an error naming it and goes on writing the file it had. Before Configure
// and after Close, it does nothing.
func (l *logger) Reopen() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.out == nil {
		return nil
	}
	return l.out.reopenNow(l.clock())
}

// Close counts the lines lost to a file removed since the last check,
// fsyncs and closes the file, and releases the rotation lock. Calls after
// the first do nothing and return nil, and so do all other methods.
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
	l.out.check(l.clock(), false)
	return errors.Join(l.out.sync(), l.out.close())
}

// failures counts the messages the plugin took and failed to write, and
// keeps the latest failure's error. It is safe for concurrent use.
type failures struct {
	n    atomic.Uint64
	last atomic.Pointer[error]
}

// add counts n failed messages, whose failure is err.
func (f *failures) add(n int, err error) {
	// last is stored first, so that a count above 0 always has an error.
	f.last.Store(&err)
	f.n.Add(uint64(n))
}

// load returns the count and the latest error, nil when the count is 0.
func (f *failures) load() (uint64, error) {
	n := f.n.Load()
	if n == 0 {
		return 0, nil
	}
	return n, *f.last.Load()
}
