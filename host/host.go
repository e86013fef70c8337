package host

import (
	"errors"
	"fmt"
	"log"
	"sync"
	"sync/atomic"
	"time"

	"github.com/logplug/logplug/api"
)

// Version is the version of the logplug host.
const Version = "v0.1.0"

// DefaultMaxPanics is the number of panics after which a plugin is
// quarantined when [Options.MaxPanics] is zero.
const DefaultMaxPanics = 10

// Options says which plugins a [Host] opens and how it treats them.
type Options struct {
	// Dir is a folder whose "*.so" files are loaded, in sorted order. Empty
	// means no folder.
	Dir string
	// Paths are plugin files loaded after those found in Dir. A path found
	// both ways is loaded once.
	Paths []string
	// Settings holds each plugin's settings, keyed by plugin name (see
	// [Plugin.Name]); they are passed to the plugin's Configure method
	// before its first message.
	Settings Settings
	// MaxPanics is how many panics a plugin may raise before the host stops
	// calling it. Zero means [DefaultMaxPanics]; a negative value means no
	// limit.
	MaxPanics int
	// ErrorLog receives one line for each plugin that fails to load or to
	// configure, panics, or is quarantined. Nil means the log package's
	// standard logger.
	ErrorLog *log.Logger
	// FlushWhenIdle is the caller's promise to call [Host.Idle] whenever it
	// has no message ready to send, and Close at the end. The host passes
	// the promise on to each plugin that can hold messages in a buffer (see
	// [api.Holder]), and Idle flushes those plugins.
	FlushWhenIdle bool
}

// A Host delivers each message to every plugin it loaded, once and in order.
// Its methods are safe for concurrent use.
type Host struct {
	sinks     []*sink
	statuses  []Status
	errorLog  *log.Logger
	maxPanics int
	idleFlush bool // Options.FlushWhenIdle
	closed    atomic.Bool
}

// Status reports on one plugin file of a [Host].
type Status struct {
	// Path is the plugin file.
	Path string
	// Name and Version are the plugin's, once it loaded; Name is the file
	// name without ".so" before that.
	Name, Version string
	// Err says why the plugin was not loaded, could not be configured, or
	// was quarantined; it is nil for a plugin that is working.
	Err error
	// OpenTime is how long opening the plugin took.
	OpenTime time.Duration
	// Counts are the plugin's message counts so far.
	Counts Counts
}

// Loaded reports whether the plugin was loaded and configured.
func (s Status) Loaded() bool { return s.Err == nil || errors.Is(s.Err, ErrQuarantined) }

// Counts counts what happened to the messages sent to one plugin.
type Counts struct {
	// Received is the number of messages the host accepted for the plugin.
	Received uint64
	// Delivered is the number of those the plugin's method returned from.
	Delivered uint64
	// Dropped is the number of those never passed to the plugin, for
	// example because it was quarantined.
	Dropped uint64
	// Panics is the number of calls that panicked.
	Panics uint64
	// Errors is the number of errors returned by Flush and Close.
	Errors uint64
}

// Lost is the number of received messages that were not delivered.
func (c Counts) Lost() uint64 { return c.Received - c.Delivered }

// ErrQuarantined is the cause in [Status.Err] of a plugin the host stopped
// calling because it panicked too often.
var ErrQuarantined = errors.New("quarantined")

// Open loads the plugins that opts names and returns a Host that delivers to
// those that loaded and accepted their settings. A plugin that fails is
// reported to opts.ErrorLog and in [Host.Plugins]; the others still load.
// Open returns an error only if opts.Dir cannot be read.
func Open(opts Options) (*Host, error) {
	var paths []string
	if opts.Dir != "" {
		found, err := Discover(opts.Dir)
		if err != nil {
			return nil, err
		}
		paths = found
	}
	paths = append(paths, opts.Paths...)

	h := newHost(opts)
	seen := map[string]bool{}
	for _, path := range paths {
		if seen[path] {
			continue
		}
		seen[path] = true
		p, err := Load(path)
		if err != nil {
			h.add(Status{Path: path, Name: nameFromPath(path)}, nil, err)
			continue
		}
		h.addPlugin(p, opts.Settings)
	}
	return h, nil
}

// New returns a Host that delivers to plugins that are already loaded, or
// to loggers linked into the program and wrapped in a [Plugin]. It passes
// each its settings, as Open does; opts.Dir and opts.Paths are ignored.
func New(opts Options, plugins ...*Plugin) *Host {
	h := newHost(opts)
	for _, p := range plugins {
		h.addPlugin(p, opts.Settings)
	}
	return h
}

func newHost(opts Options) *Host {
	h := &Host{errorLog: opts.ErrorLog, maxPanics: opts.MaxPanics, idleFlush: opts.FlushWhenIdle}
	if h.errorLog == nil {
		h.errorLog = log.Default()
	}
	if h.maxPanics == 0 {
		h.maxPanics = DefaultMaxPanics
	}
	return h
}

// addPlugin configures a loaded plugin and adds it.
func (h *Host) addPlugin(p *Plugin, settings Settings) {
	st := Status{Path: p.Path, Name: p.Name, Version: p.Version, OpenTime: p.OpenTime}
	h.add(st, p, configure(p, settings[p.Name]))
}

// add records a plugin's status and, when err is nil, starts delivering to
// it. A failure is reported to the error log.
func (h *Host) add(st Status, p *Plugin, err error) {
	if err != nil {
		st.Err = err
		h.errorLog.Print(err)
	} else {
		s := &sink{plugin: p, index: len(h.statuses), host: h}
		s.holds = h.idleFlush && s.hold()
		h.sinks = append(h.sinks, s)
	}
	h.statuses = append(h.statuses, st)
}

// configure passes a plugin its settings, turning a panic into an error.
func configure(p *Plugin, settings map[string]string) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("Configure panicked: %v", v)
		}
		if err != nil {
			err = &LoadError{Path: p.Path, Err: fmt.Errorf("configure %s: %w", p.Name, err)}
		}
	}()
	return api.Configure(p.Logger, settings)
}

// Plugins reports on every plugin file the host tried to load, in load
// order.
func (h *Host) Plugins() []Status {
	out := make([]Status, len(h.statuses))
	copy(out, h.statuses)
	for _, s := range h.sinks {
		st := &out[s.index]
		st.Counts = s.counts()
		if s.quarantined.Load() {
			st.Err = fmt.Errorf("%s: %w after %d panics", st.Path, ErrQuarantined, st.Counts.Panics)
		}
	}
	return out
}

// Loaded returns the number of plugins that loaded and accepted their
// settings.
func (h *Host) Loaded() int { return len(h.sinks) }

// Send delivers msg and labels to every loaded plugin's method for level
// (see [api.Send] for the fallbacks), one plugin after the other, and
// returns when all have returned. The caller may reuse labels as soon as Send
// returns. After Close, Send does nothing.
func (h *Host) Send(level api.Level, msg string, labels map[string]string) {
	if h.closed.Load() {
		return
	}
	for _, s := range h.sinks {
		s.deliver(level, msg, labels)
	}
}

// Log sends a message without a level to every plugin.
func (h *Host) Log(msg string, labels map[string]string) { h.Send(api.LevelLog, msg, labels) }

// Debug sends a debug message to every plugin.
func (h *Host) Debug(msg string, labels map[string]string) { h.Send(api.LevelDebug, msg, labels) }

// Info sends an informational message to every plugin.
func (h *Host) Info(msg string, labels map[string]string) { h.Send(api.LevelInfo, msg, labels) }

// Warn sends a warning to every plugin.
func (h *Host) Warn(msg string, labels map[string]string) { h.Send(api.LevelWarn, msg, labels) }

// Error sends an error message to every plugin.
func (h *Host) Error(msg string, labels map[string]string) { h.Send(api.LevelError, msg, labels) }

// Flush asks every plugin to write out what it buffers, and returns their
// errors joined.
func (h *Host) Flush() error {
	var errs []error
	for _, s := range h.sinks {
		errs = append(errs, s.call("Flush", api.Flush))
	}
	return errors.Join(errs...)
}

// Close flushes and closes every plugin, and returns their errors joined.
// Messages sent after Close are ignored. Closing twice returns nil.
func (h *Host) Close() error {
	if h.closed.Swap(true) {
		return nil
	}
	var errs []error
	for _, s := range h.sinks {
		errs = append(errs, s.call("Flush", api.Flush), s.call("Close", api.Close))
	}
	return errors.Join(errs...)
}

// A sink delivers messages to one loaded plugin and counts what happens.
type sink struct {
	plugin *Plugin
	index  int // into Host.statuses
	host   *Host

	holds       bool       // the plugin was told it may hold messages until Idle flushes it
	mu          sync.Mutex // serialises calls, so the plugin sees messages in order
	received    atomic.Uint64
	delivered   atomic.Uint64
	dropped     atomic.Uint64
	panics      atomic.Uint64
	errors      atomic.Uint64
	quarantined atomic.Bool
}

func (s *sink) counts() Counts {
	return Counts{
		Received:  s.received.Load(),
		Delivered: s.delivered.Load(),
		Dropped:   s.dropped.Load(),
		Panics:    s.panics.Load(),
		Errors:    s.errors.Load(),
	}
}

// deliver passes one message to the plugin, recovering a panic.
func (s *sink) deliver(level api.Level, msg string, labels map[string]string) {
	s.received.Add(1)
	if s.quarantined.Load() {
		s.dropped.Add(1)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() {
		if v := recover(); v != nil {
			s.panicked(level.String(), v)
		}
	}()
	api.Send(s.plugin.Logger, level, msg, labels)
	s.delivered.Add(1)
}

// call runs Flush or Close on the plugin, recovering a panic and counting
// an error.
func (s *sink) call(method string, f func(api.Logger) error) (err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() {
		if v := recover(); v != nil {
			s.panicked(method, v)
			err = fmt.Errorf("%s: %s panicked: %v", s.plugin.Name, method, v)
		}
	}()
	if err = f(s.plugin.Logger); err != nil {
		s.errors.Add(1)
		err = fmt.Errorf("%s: %s: %w", s.plugin.Name, method, err)
	}
	return err
}

// panicked counts a recovered panic, reports it and quarantines the plugin
// when it has panicked too often.
func (s *sink) panicked(method string, v any) {
	n := s.panics.Add(1)
	if n == 1 {
		s.host.errorLog.Printf("%s: plugin %s panicked in %s: %v (further panics are counted, not reported)", s.plugin.Path, s.plugin.Name, method, v)
	}
	if max := s.host.maxPanics; max > 0 && n >= uint64(max) && !s.quarantined.Swap(true) {
		s.host.errorLog.Printf("%s: plugin %s quarantined after %d panics: it receives no more messages", s.plugin.Path, s.plugin.Name, n)
	}
}
