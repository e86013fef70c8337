// Package load takes plugin files one way through every check to an open
// plugin:
//
//	find → trust → private copy → inspect → conflicts → open → look up
//
// Find lists the files ([Discover], [UniquePaths]). Trust refuses a file
// that someone other than root or the user could change, a symlink out of
// its folder, a file whose digest is not pinned or that no trusted key
// signed (see [Options]). With pins or keys the file is copied into a
// private folder first, and the copy is what the later steps read and
// open: the bytes checked are the bytes loaded. Inspect reads the copy's
// headers, build information and symbols and compares them with the
// running program (package plugincheck). Conflicts compares the file with
// every plugin accepted before it in this process and in the same batch.
// Only then is the file opened with [plugin.Open] and its LoggingPlugin
// looked up and checked to be a logger. Configuring the plugin is the
// host's step, after this package's.
//
// [Loader.Check] takes files through every step before open and runs no
// code of theirs: it is what `logplug check` does by default.
// [Loader.Load] goes on to open those that passed.
package load

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/logplug/logplug/api"
	"github.com/logplug/logplug/host/plugincheck"
	"github.com/logplug/logplug/host/trust"
)

// A Plugin is a plugin file that was opened and whose LoggingPlugin symbol
// has the methods of [api.Logger].
type Plugin struct {
	// Path is the file the plugin was opened from, as it was named.
	Path string
	// Name is the plugin's self-described name, or its file name without
	// ".so" (see [api.Describer]).
	Name string
	// Version is the plugin's self-described version, if any.
	Version string
	// Logger is the plugin's LoggingPlugin value, or, for a plugin that is
	// a slog.Handler, the logger that delivers to it.
	Logger api.Logger
	// Shape is the plugin's shape: [ShapeMethods] or [ShapeHandler].
	Shape string
	// OpenTime is how long plugin.Open and the symbol lookup took.
	OpenTime time.Duration
}

// The two shapes of a plugin: its LoggingPlugin has the methods of
// [api.Logger], or it is a [log/slog.Handler].
const (
	ShapeMethods = "methods"
	ShapeHandler = "slog.Handler"
)

// An Error explains why a plugin file was not loaded.
type Error struct {
	// Path is the plugin file, as it was named.
	Path string
	// Err is the cause.
	Err error
	// Fix says what to do about it, or is empty when there is nothing
	// better to say than the cause.
	Fix string
	// Findings are the reasons found before the file was opened (see
	// package plugincheck); the file was not opened. Err and Fix are the
	// first one's. Nil for a file refused by the trust checks, or that
	// failed once opened.
	Findings []plugincheck.Finding
}

// Error returns a one-line message naming the file, the cause and the fix;
// one line per finding when there are several.
func (e *Error) Error() string {
	if len(e.Findings) > 0 {
		lines := make([]string, len(e.Findings))
		for i, f := range e.Findings {
			lines[i] = f.String()
		}
		return strings.Join(lines, "\n")
	}
	if e.Fix == "" {
		return fmt.Sprintf("%s: %v", e.Path, e.Err)
	}
	return fmt.Sprintf("%s: %v; fix: %s", e.Path, e.Err, e.Fix)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// AsFindings returns what the error says as findings: its own, or one
// made of its cause and fix.
func (e *Error) AsFindings() []plugincheck.Finding {
	if len(e.Findings) > 0 {
		return e.Findings
	}
	return []plugincheck.Finding{{File: e.Path, Problem: e.Err.Error(), Fix: e.Fix}}
}

// findingsError turns the findings about a file into an *Error.
func findingsError(path string, fs []plugincheck.Finding) *Error {
	return &Error{Path: path, Err: errors.New(fs[0].Problem), Fix: fs[0].Fix, Findings: fs}
}

// ErrNoSymbol is the cause of an [Error] for a plugin that exports no
// variable named [api.Symbol].
var ErrNoSymbol = errors.New("no exported symbol " + api.Symbol)

// ErrNotLogger is the cause of an [Error] for a plugin whose symbol lacks
// some of the methods of [api.Logger].
var ErrNotLogger = errors.New(api.Symbol + " does not have the methods of a logger")

// Options says which plugin files the trust step lets through. The zero
// value checks permissions and symlinks, and neither pins nor signatures.
type Options struct {
	// Dir is the folder pin names are relative to; empty means the
	// current folder.
	Dir string
	// InsecurePermissions lets through, with a warning, files that fail
	// the permission check: someone other than root or the user could
	// change them, or a folder or symlink on the way to them.
	InsecurePermissions bool
	// FollowSymlinks lets through a file that is a symlink to a file
	// outside the folder that holds the symlink.
	FollowSymlinks bool
	// Pins, when not nil, are the SHA-256 digests files must have, by name
	// relative to Dir or by absolute name. A file that is not pinned, or
	// whose digest differs, is refused.
	Pins *trust.Pins
	// TrustedKeys, when not empty, are the keys one of which must have
	// signed each file: FILE.sig must hold a valid signature of FILE (see
	// [trust.Sign]), or FILE is refused.
	TrustedKeys []ed25519.PublicKey
	// Warnings receives a line for each file let through a check that it
	// failed (see InsecurePermissions). Nil means the warnings are dropped.
	Warnings *log.Logger
	// Hints names, in the caller's words, the ways around a refusal that
	// errors suggest. The zero value names the fields of Options and the
	// functions of package trust.
	Hints Hints
}

// Hints names the ways around a refusal that the fixes in errors suggest.
// A program that takes the options from its users, such as the logplug
// command, sets them to its own flags and commands; an empty field means
// the library's own name for it.
type Hints struct {
	// InsecurePermissions names what lifts the permission check; the
	// default is "Options.InsecurePermissions". A name that starts with
	// "-" is a flag, to pass; any other is a setting, to set.
	InsecurePermissions string
	// FollowSymlinks names what lets symlinks out of the plugin folder
	// through; the default is "Options.FollowSymlinks".
	FollowSymlinks string
	// Pin names what prints a file's pin line; the default is
	// "trust.WritePins".
	Pin string
	// Sign returns how to sign the file at path with a trusted key; nil
	// means the library's words.
	Sign func(path string) string
}

// or returns the hint " (or pass FLAG)" or " (or set FIELD)" for name.
func or(name string) string {
	if strings.HasPrefix(name, "-") {
		return " (or " + name + ")"
	}
	return " (or set " + name + ")"
}

func (h Hints) insecure() string { return cmp(h.InsecurePermissions, "Options.InsecurePermissions") }
func (h Hints) follow() string   { return cmp(h.FollowSymlinks, "Options.FollowSymlinks") }
func (h Hints) pin() string      { return cmp(h.Pin, "trust.WritePins") }

func (h Hints) sign(path string) string {
	if h.Sign != nil {
		return h.Sign(path)
	}
	return "sign it with a trusted key: write trust.FormatSignature(trust.Sign(key, digest), \"\") to " + path + trust.SignatureSuffix
}

// cmp returns s, or def when s is empty.
func cmp(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
