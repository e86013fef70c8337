package host

import "github.com/logplug/logplug/host/load"

// A Plugin is a plugin file that was opened and whose LoggingPlugin symbol
// has the methods of [api.Logger], or a logger linked into the program and
// wrapped in a Plugin for [New]. It is the type of package load.
type Plugin = load.Plugin

// A LoadError explains why a plugin file was not loaded: its Path, its
// cause (Err), what to do (Fix) and, for a file refused before it was
// opened, the findings of package plugincheck. It is the type of package
// load.
type LoadError = load.Error

// ErrNoSymbol is the cause of a [LoadError] for a plugin that exports no
// variable named LoggingPlugin.
var ErrNoSymbol = load.ErrNoSymbol

// ErrNotLogger is the cause of a [LoadError] for a plugin whose symbol lacks
// some of the methods of [api.Logger].
var ErrNotLogger = load.ErrNotLogger

// Discover returns the paths of the files in dir whose names end in ".so",
// sorted by name (see [load.Discover]).
func Discover(dir string) ([]string, error) { return load.Discover(dir) }

// Load takes the plugin file at path through the whole load pipeline of
// package load, with the trust checks of a zero [Options] (the file, and
// every folder and symlink on the way to it, may be changed by nobody but
// root and the user, and it is not a symlink out of its folder), then
// opens it, looks up its LoggingPlugin and checks that it is a logger. A
// file that fails a check is not opened. Errors are of type *[LoadError].
//
// Load opens a given file at most once per process: loading it again
// returns the same *Plugin, or the same error. A panic in the plugin's
// init functions is returned as an error, and every later plugin that
// links the package whose init panicked is refused (see [load.Loader.Load]).
func Load(path string) (*Plugin, error) { return load.Load(path, load.Options{}) }
