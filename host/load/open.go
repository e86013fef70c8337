package load

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"plugin"
	"reflect"
	"runtime/debug"
	"strings"
	"time"

	"github.com/logplug/logplug/api"
)

// openPlugin opens file, the bytes of the plugin named path, looks up its
// symbol and checks that it is a logger. When the plugin's init functions
// panicked, initPanic is the package whose init panicked, or "?" when the
// stack does not say.
func openPlugin(path, file string) (p *Plugin, initPanic string, err error) {
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
			p, err = nil, &Error{Path: path, Err: errors.New(msg), Fix: fix}
		}
	}()
	start := time.Now()
	pl, err := plugin.Open(file)
	if err != nil {
		return nil, "", &Error{Path: path, Err: trimOpenError(err, file)}
	}
	sym, err := pl.Lookup(api.Symbol)
	if err != nil {
		return nil, "", &Error{Path: path, Err: ErrNoSymbol,
			Fix: "declare a package-level variable `var " + api.Symbol + " = yourLogger{}` in the plugin's main package"}
	}
	logger, err := asLogger(sym)
	if err != nil {
		return nil, "", &Error{Path: path, Err: err,
			Fix: "give it the methods " + strings.Join(requiredSignatures(), ", ") + ", or make it a log/slog Handler"}
	}
	name, version := api.Describe(logger, NameFromPath(path))
	return &Plugin{Path: path, Name: name, Version: version, Logger: logger, Shape: shape(logger), OpenTime: time.Since(start)}, "", nil
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
// A value that is a [slog.Handler] is delivered to as a handler (see
// handlerLogger), even if it has the methods of api.Logger too.
func asLogger(sym plugin.Symbol) (api.Logger, error) {
	if l, ok := shapeOf(sym); ok {
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
		if v.Kind() != reflect.Interface {
			if l, ok := shapeOf(v.Interface()); ok {
				return l, nil
			}
		}
	}
	return nil, fmt.Errorf("%w: %s %s", ErrNotLogger, described, describeMissing(described))
}

// shape names the shape of the plugin that l delivers to.
func shape(l api.Logger) string {
	if _, ok := l.(*handlerLogger); ok {
		return ShapeHandler
	}
	return ShapeMethods
}

// shapeOf returns the logger for v if v has one of the two shapes of a
// plugin: a slog.Handler first, else the methods of api.Logger.
func shapeOf(v any) (api.Logger, bool) {
	if h, ok := v.(slog.Handler); ok {
		return newHandlerLogger(h), true
	}
	l, ok := v.(api.Logger)
	return l, ok
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
