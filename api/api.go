package api

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Symbol is the name of the package-level variable a plugin exports. The host
// calls Lookup(Symbol) on the opened plugin; the value it finds (a pointer to
// the variable) must have the methods of [Logger], either directly or, when
// the variable is itself of interface type, through the value it holds.
const Symbol = "LoggingPlugin"

// Logger is the interface every plugin must implement.
//
// Each method delivers one message with its labels. Each may be called
// concurrently with any other method; none may keep or modify labels after it
// returns. What a plugin writes, and where, is its own business.
type Logger interface {
	// Log delivers a message that has no level, or a level the host could
	// not map onto another method. It is also the fallback for Debug.
	Log(msg string, labels map[string]string)
	// Info delivers an informational message.
	Info(msg string, labels map[string]string)
	// Warn delivers a warning. It is also the fallback for Error.
	Warn(msg string, labels map[string]string)
}

// DebugLogger is implemented by plugins that handle debug messages.
//
// If a plugin does not implement DebugLogger, the host delivers debug
// messages to its Log method.
type DebugLogger interface {
	Debug(msg string, labels map[string]string)
}

// ErrorLogger is implemented by plugins that handle error messages.
//
// If a plugin does not implement ErrorLogger, the host delivers error
// messages to its Warn method.
type ErrorLogger interface {
	Error(msg string, labels map[string]string)
}

// Configurer is implemented by plugins that take settings.
//
// The host calls Configure once, before the first message, with the plugin's
// settings (possibly none: an empty, non-nil map). Configure must reject a key
// it does not know and a value it cannot use, with an error that names the key
// and the value, for example
//
//	fmt.Errorf("setting %q: unknown key", key)
//	fmt.Errorf("setting format=%q: want json or text", value)
//
// A plugin whose Configure fails receives no messages.
//
// If a plugin does not implement Configurer, the host accepts it only when
// it has no settings for it; settings given to such a plugin are an error.
type Configurer interface {
	Configure(settings map[string]string) error
}

// Flusher is implemented by plugins that buffer output.
//
// Flush writes out everything the plugin has accepted and, for files, makes it
// durable. The host calls it at shutdown, before Close, and may call it at
// other times, for example when its input is idle.
//
// If a plugin does not implement Flusher, the host assumes every message is
// written by the time its method returns, and skips the call.
type Flusher interface {
	Flush() error
}

// Closer is implemented by plugins that hold resources such as files.
//
// The host calls Close once at shutdown, after Flush, and calls no other
// method after it. Close should release what the plugin holds; a second call
// must not panic and should return nil.
//
// If a plugin does not implement Closer, the host does nothing at shutdown
// beyond Flush.
type Closer interface {
	Close() error
}

// Describer is implemented by plugins that name themselves.
//
// Describe returns the plugin's name and version. The name keys the plugin's
// settings and appears in every report about it; it should be short,
// lower-case and stable, such as "stdoutjson". The version is free-form, such
// as "v1.2.0".
//
// If a plugin does not implement Describer, or returns an empty name, its
// name is its file name without the ".so" suffix, and its version is empty.
type Describer interface {
	Describe() (name, version string)
}

// Level selects the method a message is delivered to.
type Level int

// The levels, in increasing order of severity. LevelLog is the level of a
// message that has none; it sorts below the others.
const (
	LevelLog Level = iota
	LevelDebug
	LevelInfo
	LevelWarn
	LevelError
)

var levelNames = [...]string{
	LevelLog:   "log",
	LevelDebug: "debug",
	LevelInfo:  "info",
	LevelWarn:  "warn",
	LevelError: "error",
}

// String returns the level's lower-case name, such as "warn".
func (l Level) String() string {
	if l >= 0 && int(l) < len(levelNames) {
		return levelNames[l]
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// ErrUnknownLevel is returned, wrapped, by [ParseLevel] for a name it does
// not know.
var ErrUnknownLevel = errors.New("unknown level")

// ParseLevel returns the level with the given name. It accepts the names
// String returns, in any case, and the common aliases "trace" (debug),
// "information" and "notice" (info), "warning" (warn), "err", "fatal",
// "panic" and "critical" (error).
func ParseLevel(name string) (Level, error) {
	if l, ok := lookupLevel(name); ok {
		return l, nil
	}
	return LevelLog, fmt.Errorf("%w %q: want one of log, debug, info, warn, error", ErrUnknownLevel, name)
}

// lookupLevel is ParseLevel without the error, allocation-free for the
// common lower-case names.
func lookupLevel(name string) (Level, bool) {
	switch name {
	case "info":
		return LevelInfo, true
	case "warn":
		return LevelWarn, true
	case "error":
		return LevelError, true
	case "debug":
		return LevelDebug, true
	case "log":
		return LevelLog, true
	}
	switch strings.ToLower(name) {
	case "log":
		return LevelLog, true
	case "debug", "trace":
		return LevelDebug, true
	case "info", "information", "notice":
		return LevelInfo, true
	case "warn", "warning":
		return LevelWarn, true
	case "error", "err", "fatal", "panic", "critical":
		return LevelError, true
	}
	return LevelLog, false
}

// Send delivers a message to l's method for level, with the documented
// fallbacks: Debug to Log and Error to Warn when l lacks them, and any level
// outside the known ones to Log.
func Send(l Logger, level Level, msg string, labels map[string]string) {
	switch level {
	case LevelInfo:
		l.Info(msg, labels)
	case LevelWarn:
		l.Warn(msg, labels)
	case LevelDebug:
		Debug(l, msg, labels)
	case LevelError:
		Error(l, msg, labels)
	default:
		l.Log(msg, labels)
	}
}

// Debug calls l.Debug if l is a [DebugLogger], and l.Log otherwise.
func Debug(l Logger, msg string, labels map[string]string) {
	if d, ok := l.(DebugLogger); ok {
		d.Debug(msg, labels)
		return
	}
	l.Log(msg, labels)
}

// Error calls l.Error if l is an [ErrorLogger], and l.Warn otherwise.
func Error(l Logger, msg string, labels map[string]string) {
	if e, ok := l.(ErrorLogger); ok {
		e.Error(msg, labels)
		return
	}
	l.Warn(msg, labels)
}

// ErrNotConfigurable is returned, wrapped, by [Configure] when settings are
// given to a plugin that does not implement [Configurer].
var ErrNotConfigurable = errors.New("plugin takes no settings")

// Configure calls l.Configure if l is a [Configurer]. Otherwise it returns nil
// when settings is empty and an error wrapping [ErrNotConfigurable], naming
// the keys, when it is not.
func Configure(l Logger, settings map[string]string) error {
	if c, ok := l.(Configurer); ok {
		if settings == nil {
			settings = map[string]string{}
		}
		return c.Configure(settings)
	}
	if len(settings) == 0 {
		return nil
	}
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return fmt.Errorf("settings %s: %w", strings.Join(keys, ", "), ErrNotConfigurable)
}

// Flush calls l.Flush if l is a [Flusher], and returns nil otherwise.
func Flush(l Logger) error {
	if f, ok := l.(Flusher); ok {
		return f.Flush()
	}
	return nil
}

// Close calls l.Close if l is a [Closer], and returns nil otherwise.
func Close(l Logger) error {
	if c, ok := l.(Closer); ok {
		return c.Close()
	}
	return nil
}

// Describe returns l's self-described name and version if l is a
// [Describer] that gives a non-empty name, and fallbackName and "" otherwise.
func Describe(l Logger, fallbackName string) (name, version string) {
	if d, ok := l.(Describer); ok {
		if name, version = d.Describe(); name != "" {
			return name, version
		}
	}
	return fallbackName, ""
}
