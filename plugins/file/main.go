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
// interleaving. With rotation on (max_size_mb above 0), rotation is done by
// [gopkg.in/natefinch/lumberjack.v2], and only one process may write the
// file; see README.md.
//
// The "path" setting is required. Messages that arrive before Configure are
// dropped and counted, and Flush and Close report them.
//
// Build it with the settings `logplug version` prints, for example:
//
//	go build -buildmode=plugin -trimpath -o file.so .
package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"gopkg.in/natefinch/lumberjack.v2"
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

// logger appends lines to a file. The mutex guards every field.
type logger struct {
	mu      sync.Mutex
	out     sink   // nil until Configure
	format  string // "json" or "text"
	closed  bool
	dropped int   // messages that arrived before Configure, since the last Flush
	failed  int   // writes that failed since the last Flush
	err     error // the first of them
	enc     encoder
}

// A sink is the file the lines go to: an *os.File, or a [rotating] file when
// rotation is on.
type sink interface {
	io.WriteCloser
	Sync() error
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

// Configure applies settings: "path" (required), "format" (json or text),
// "mode" (octal), "max_size_mb" and "max_backups". It opens the file,
// creating it and its missing parent folders. It rejects a missing path, an
// unknown key, a bad value and a file it cannot open, with a one-line error
// naming the key and the value.
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
	out, err := open(c)
	if err != nil {
		return fmt.Errorf("setting path=%q: %w", c.path, err)
	}
	// The host calls Configure once; a second call replaces the file.
	prev := l.out
	l.out, l.format = out, c.format
	if prev != nil {
		if err := errors.Join(prev.Sync(), prev.Close()); err != nil {
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
			if err != nil || n < 0 {
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

// open opens the file c names for appending, creating it with c's mode and
// its missing parent folders.
func open(c config) (sink, error) {
	if err := os.MkdirAll(filepath.Dir(c.path), dirMode); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(c.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, c.mode)
	if err != nil {
		return nil, err
	}
	if c.maxSizeMB == 0 {
		return f, nil
	}
	// lumberjack creates a missing file with mode 0600, and gives the file
	// it creates at each rotation the mode of the file it rotated. Creating
	// the file here gives every file c's mode, and shows now that the file
	// can be opened.
	if err := f.Close(); err != nil {
		return nil, err
	}
	return rotating{&lumberjack.Logger{
		Filename:   c.path,
		MaxSize:    c.maxSizeMB,
		MaxBackups: c.maxBackups,
	}}, nil
}

// rotating is a file that lumberjack rotates.
type rotating struct{ *lumberjack.Logger }

// Sync fsyncs the current file. lumberjack does not export its file, but
// fsync makes durable the file, whichever descriptor it is called on. Files
// already rotated out were closed by lumberjack without an fsync.
func (r rotating) Sync() error {
	f, err := os.OpenFile(r.Filename, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
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
// Before Configure, write counts the message as dropped; after Close, it does
// nothing.
func (l *logger) write(lv level, msg string, labels map[string]string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closed:
		return
	case l.out == nil:
		l.dropped++
		return
	}
	var line []byte
	if l.format == "text" {
		line = l.enc.text(time.Now(), lv, msg, labels)
	} else {
		line = l.enc.json(time.Now(), lv, msg, labels)
	}
	if _, err := l.out.Write(line); err != nil {
		if l.failed == 0 {
			l.err = err
		}
		l.failed++
	}
}

// Flush fsyncs the file. It returns the messages dropped before Configure
// and the writes that failed since the last Flush, if any, and the fsync's
// error. After Close, it does nothing.
func (l *logger) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	return l.flush()
}

// flush is Flush with l.mu held.
func (l *logger) flush() error {
	var errs []error
	if l.dropped > 0 {
		errs = append(errs, fmt.Errorf("%d messages dropped: they came before Configure", l.dropped))
		l.dropped = 0
	}
	if l.failed > 0 {
		errs = append(errs, fmt.Errorf("%d writes failed, the first with: %w", l.failed, l.err))
		l.failed, l.err = 0, nil
	}
	if l.out != nil {
		if err := l.out.Sync(); err != nil && !canNotSync(err) {
			errs = append(errs, fmt.Errorf("sync: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Close flushes and closes the file. Calls after the first do nothing and
// return nil, and so do all other methods.
func (l *logger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	err := l.flush()
	if l.out != nil {
		err = errors.Join(err, l.out.Close())
	}
	return err
}

// canNotSync reports whether err is what fsync says of a file that has
// nothing to make durable, such as /dev/null, a pipe or a terminal: such a
// file is not an error to flush.
func canNotSync(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP)
}
