package host

import (
	"errors"
	"fmt"
	"path/filepath"
	"plugin"
	"reflect"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/logplug/logplug/api"
	"github.com/logplug/logplug/host/plugincheck"
)

// A Plugin is a plugin file that was opened and whose LoggingPlugin symbol
// has the methods of [api.Logger].
type Plugin struct {
	// Path is the file the plugin was opened from.
	Path string
	// Name is the plugin's self-described name, or its file name without
	// ".so" (see [api.Describer]).
	Name string
	// Version is the plugin's self-described version, if any.
	Version string
	// Logger is the plugin's LoggingPlugin value.
	Logger api.Logger
	// OpenTime is how long plugin.Open and the symbol lookup took.
	OpenTime time.Duration
}

// A LoadError explains why a plugin file was not loaded.
type LoadError struct {
	// Path is the plugin file.
	Path string
	// Err is the cause.
	Err error
	// Fix says what to do about it, or is empty when there is nothing
	// better to say than the cause.
	Fix string
	// Findings are the reasons found before the file was opened (see
	// package plugincheck); the file was not opened. Err and Fix are the
	// first one's. Nil for a plugin that failed once opened.
	Findings []plugincheck.Finding
}

// Error returns a one-line message naming the file, the cause and the fix;
// one line per finding when there are several.
func (e *LoadError) Error() string {
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
func (e *LoadError) Unwrap() error { return e.Err }

// ErrNoSymbol is the cause of a [LoadError] for a plugin that exports no
// variable named [api.Symbol].
var ErrNoSymbol = errors.New("no exported symbol " + api.Symbol)

// ErrNotLogger is the cause of a [LoadError] for a plugin whose symbol lacks
// some of the methods of [api.Logger].
var ErrNotLogger = errors.New(api.Symbol + " does not have the methods of a logger")

// opened remembers every file this process has loaded or refused and what
// came of it. The Go runtime keeps every plugin it opened, and opening a
// file again after a failed open can block forever, so a path is opened at
// most once per process; a second Load of the same file returns the first
// result. This mirrors the runtime's own process-wide state, which is why it
// is global.
var opened = struct {
	sync.Mutex
	byPath map[string]loadResult
	// pluginPaths maps the main package path of each plugin the runtime
	// holds to its file: the runtime refuses a second plugin with the
	// same path.
	pluginPaths map[string]string
	// stuck maps each package whose init function panicked while a plugin
	// was opened to that plugin's file; see [Load].
	stuck map[string]string
}{byPath: map[string]loadResult{}, pluginPaths: map[string]string{}, stuck: map[string]string{}}

type loadResult struct {
	p   *Plugin
	err error
}

// Load checks the plugin file at path without opening it (see
// package plugincheck), then opens it, looks up its [api.Symbol] and checks
// that it is a logger. A file that fails the checks is not opened; the
// [LoadError] lists the findings. Errors are of type *[LoadError].
//
// Load opens a given file at most once per process: loading it again
// returns the same *Plugin, or the same error. Load makes none of the
// checks of file permissions, pins and signatures that [Open] makes before
// it opens a file (see [Options]).
//
// A panic in a plugin's init functions is recovered and returned as an
// error. Go then marks the package whose init panicked as being
// initialised, for good: opening another plugin that links the same
// package would abort the whole process ("fatal error: recursive call
// during initialization - linker skew"), which nothing can recover. So
// Load refuses, without opening it, every later plugin that links that
// package. The package is read from the panic's stack; when it can't be,
// every package of the failed plugin that the host does not link counts.
func Load(path string) (*Plugin, error) {
	return loadChecked(path, path, preflight([]string{path})[0])
}

// loadChecked loads the plugin file path, which the checks in r have been
// run on, once per process. Its bytes are opened from file: path itself,
// its real path, or a private copy of it. The plugin is known by path: its
// Path, its errors and the once-per-process record are path's.
func loadChecked(path, file string, r plugincheck.Result) (*Plugin, error) {
	abs := realPath(path)
	opened.Lock()
	defer opened.Unlock()
	if prev, ok := opened.byPath[abs]; ok {
		return prev.p, prev.err
	}
	p, err := loadLocked(path, file, r)
	opened.byPath[abs] = loadResult{p, err}
	return p, err
}

// realPath returns path made absolute with its symbolic links resolved, or
// as it is when that fails.
func realPath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	return abs
}

// open does the work of Load, once per file, after the checks. When the
// plugin's init functions panicked, initPanic is the package whose init
// panicked, or "?" when the stack does not say.
func open(path, file string) (p *Plugin, initPanic string, err error) {
	defer func() {
		// A panic in the plugin's init functions comes out of plugin.Open.
		if v := recover(); v != nil {
			initPanic = initPanicPackage(debug.Stack())
			msg, fix := fmt.Sprintf("plugin panicked while initialising: %v", v), "fix the plugin's init functions and package-level variables"
			if initPanic != "" {
				msg = fmt.Sprintf("plugin panicked while initialising package %s: %v", initPanic, v)
				fix = "fix the init functions and package-level variables of " + initPanic
			} else {
				initPanic = "?"
			}
			p, err = nil, &LoadError{Path: path, Err: errors.New(msg), Fix: fix}
		}
	}()
	start := time.Now()
	pl, err := plugin.Open(file)
	if err != nil {
		return nil, "", &LoadError{Path: path, Err: trimOpenError(err, file)}
	}
	sym, err := pl.Lookup(api.Symbol)
	if err != nil {
		return nil, "", &LoadError{Path: path, Err: ErrNoSymbol,
			Fix: "declare a package-level variable `var " + api.Symbol + " = yourLogger{}` in the plugin's main package"}
	}
	logger, err := asLogger(sym)
	if err != nil {
		return nil, "", &LoadError{Path: path, Err: err,
			Fix: "give it the methods " + strings.Join(requiredSignatures(), ", ")}
	}
	name, version := api.Describe(logger, nameFromPath(path))
	return &Plugin{Path: path, Name: name, Version: version, Logger: logger, OpenTime: time.Since(start)}, "", nil
}

// trimOpenError removes the repetition that plugin.Open puts in its errors
// (`plugin.Open("x"): x: ...`), keeping the cause.
func trimOpenError(err error, path string) error {
	msg := err.Error()
	for _, name := range []string{path, strings.TrimSuffix(path, ".so")} {
		msg = strings.TrimPrefix(msg, fmt.Sprintf("plugin.Open(%q): ", name))
	}
	if abs, err := filepath.Abs(path); err == nil {
		msg = strings.TrimPrefix(msg, abs+": ")
	}
	msg = strings.TrimPrefix(msg, path+": ")
	return errors.New(msg)
}

// asLogger returns the logger behind a looked-up symbol. Lookup returns a
// pointer to the plugin's variable: *T when LoggingPlugin is a T, *I when it
// is declared with an interface type I. The methods may be on T or on *T.
func asLogger(sym plugin.Symbol) (api.Logger, error) {
	if l, ok := sym.(api.Logger); ok {
		return l, nil
	}
	v := reflect.ValueOf(sym)
	described := v.Type() // the type with the most methods met on the way
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil, fmt.Errorf("%s is a nil %s", api.Symbol, v.Type())
		}
		v = v.Elem()
		if v.Kind() != reflect.Interface && v.Type().NumMethod() > described.NumMethod() {
			described = v.Type()
		}
		if v.Kind() == reflect.Pointer && v.IsNil() {
			continue // reported above
		}
		if l, ok := v.Interface().(api.Logger); ok && v.Kind() != reflect.Interface {
			return l, nil
		}
	}
	return nil, fmt.Errorf("%w: %s %s", ErrNotLogger, described, describeMissing(described))
}

// requiredMethods are the methods of api.Logger, by name.
var requiredMethods = func() []reflect.Method {
	t := reflect.TypeFor[api.Logger]()
	ms := make([]reflect.Method, t.NumMethod())
	for i := range ms {
		ms[i] = t.Method(i)
	}
	return ms
}()

// requiredSignatures returns the methods of api.Logger as Go source.
func requiredSignatures() []string {
	var s []string
	for _, m := range requiredMethods {
		s = append(s, signature(m.Name, m.Type))
	}
	return s
}

// signature formats a method as `Name(string, map[string]string)`.
func signature(name string, t reflect.Type) string {
	return name + strings.TrimPrefix(t.String(), "func")
}

// describeMissing says which methods of api.Logger t lacks or has with
// another signature.
func describeMissing(t reflect.Type) string {
	var missing, wrong []string
	for _, want := range requiredMethods {
		m, ok := t.MethodByName(want.Name)
		if !ok {
			missing = append(missing, want.Name)
			continue
		}
		// m.Type has the receiver as its first parameter; compare without it.
		in := make([]reflect.Type, m.Type.NumIn()-1)
		for i := range in {
			in[i] = m.Type.In(i + 1)
		}
		out := make([]reflect.Type, m.Type.NumOut())
		for i := range out {
			out[i] = m.Type.Out(i)
		}
		if got := reflect.FuncOf(in, out, m.Type.IsVariadic()); got != want.Type {
			wrong = append(wrong, fmt.Sprintf("%s, want %s", signature(want.Name, got), signature(want.Name, want.Type)))
		}
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "lacks "+strings.Join(missing, ", "))
	}
	if len(wrong) > 0 {
		parts = append(parts, "has "+strings.Join(wrong, "; "))
	}
	return strings.Join(parts, "; ")
}
