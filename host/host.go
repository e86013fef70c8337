package host

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/logplug/logplug/api"
	"github.com/logplug/logplug/host/trust"
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
	// configure, panics, is quarantined, drops its first message or is
	// stuck. Nil means standard error, with the standard logger's flags. It
	// is not the log package's standard logger, because slog.SetDefault
	// sends that to the default slog handler, which may be a [Handler] over
	// this Host: the Host would then report a plugin's panic to the plugin,
	// while delivering to it. For the same reason, ErrorLog must not write
	// to a Handler over this Host.
	ErrorLog *log.Logger

	// Synchronous makes Send call each plugin in the caller's goroutine,
	// one after the other, with the caller's labels map itself, instead of
	// queueing the message for each plugin's goroutine. It is the fastest
	// way for plugins that are quick and trusted: a plugin that blocks
	// blocks the caller, and one that changes the labels map changes what
	// the later plugins and the caller see. Callers that send at once call
	// a plugin at once, as [api.Logger] allows; each plugin sees each
	// caller's messages in that caller's order. QueueSize, Policy, Policies
	// and StallTimeout do not apply.
	Synchronous bool
	// QueueSize is the number of messages each plugin's queue holds. Zero
	// means [DefaultQueueSize].
	QueueSize int
	// Policy says what Send does with a message for a plugin whose queue
	// is full: [Block] (the zero value) or [Drop].
	Policy Policy
	// Policies overrides Policy for the plugins it names.
	Policies map[string]Policy
	// StallTimeout is how long Send waits, under [Block], for a plugin
	// whose queue is full to take a message before it declares the plugin
	// stuck. Zero means [DefaultStallTimeout]; a negative value means Send
	// waits as long as it takes.
	StallTimeout time.Duration
	// ShutdownTimeout is how long Close waits for the plugins to take
	// their queued messages, flush and close (all at once, so Close takes
	// about this long at most, or twice as long if a Send was waiting for
	// room when Close began), and how long Flush waits for each plugin.
	// Zero means [DefaultShutdownTimeout].
	ShutdownTimeout time.Duration

	// Before it opens a plugin file, Open refuses it when someone other
	// than root or the host's user could change it, or a folder or symlink
	// on the way to it (see [trust.Checker]), and when it is a symlink to a
	// file outside its folder. The fields below relax those checks or add
	// others. A refused file is never opened; its [Status.Err] is a
	// *[LoadError] whose Fix says what to do.

	// InsecurePermissions loads plugins that fail the permission check
	// anyway, reporting each to ErrorLog as a warning.
	InsecurePermissions bool
	// FollowSymlinks loads a plugin that is a symlink to a file outside
	// the folder that holds the symlink.
	FollowSymlinks bool
	// Pins, when not nil, are the SHA-256 digests plugin files must have,
	// by name relative to Dir (or to the current folder when Dir is empty),
	// or by absolute name. A file that is not pinned, or whose digest
	// differs, is refused.
	Pins *trust.Pins
	// TrustedKeys, when not empty, are the keys one of which must have
	// signed each plugin file: FILE.sig must hold a valid signature of FILE
	// (see [trust.Sign]), or FILE is refused.
	TrustedKeys []ed25519.PublicKey

	// FlushWhenIdle is the caller's promise to call [Host.Idle] whenever it
	// has no message ready to send, and Close at the end. The host passes
	// the promise on to each plugin that can hold messages in a buffer (see
	// [api.Holder]), and Idle flushes those plugins.
	FlushWhenIdle bool
}

// A Host delivers each message to every plugin it loaded, once and in order.
// Its methods are safe for concurrent use.
//
// By default each plugin has its own queue and goroutine (see
// [Options.QueueSize]), so that a slow plugin delays neither the caller nor
// the other plugins while its queue has room; [Options.Synchronous] calls
// the plugins in the caller's goroutine instead. Either way a panic in a
// plugin is recovered, counted and reported, and a plugin that panics too
// often is quarantined. Call Close when done: it delivers what is queued
// and flushes and closes every plugin.
type Host struct {
	sinks     []*sink
	statuses  []Status
	errorLog  *log.Logger
	maxPanics int
	idleFlush bool // Options.FlushWhenIdle
	closed    atomic.Bool
	d         delivery
	accepted  atomic.Uint64

	mu     sync.Mutex    // held by Send, and by Flush and Close to queue their requests
	kv     []string      // the labels of the message Send is queueing, under mu
	quit   chan struct{} // closed when Close begins
	stopBy time.Time     // the deadline of a Send waiting for room once quit is closed; under mu
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

// Loaded reports whether the plugin was loaded and configured (and may
// have been quarantined since).
func (s Status) Loaded() bool {
	return s.Err == nil || errors.Is(s.Err, ErrQuarantined) || errors.Is(s.Err, ErrStuck)
}

// Counts counts what happened to the messages sent to one plugin.
type Counts struct {
	// Received is the number of messages the host accepted for the plugin.
	Received uint64
	// Delivered is the number of those the plugin's method returned from.
	Delivered uint64
	// Dropped is the number of those the plugin did not take: dropped
	// because its queue was full under [Drop], or because it was
	// quarantined, or still queued (or being taken) when the host gave up
	// on it as stuck.
	Dropped uint64
	// Panics is the number of calls that panicked. A message whose call
	// panicked is neither delivered nor dropped, so Received is Delivered
	// plus Dropped plus the panics of message calls.
	Panics uint64
	// Errors is the number of errors returned by Flush and Close, and of
	// Flush and Close calls that did not return within the shutdown
	// timeout.
	Errors uint64
}

// Lost is the number of received messages that were not delivered.
func (c Counts) Lost() uint64 { return c.Received - c.Delivered }

// ErrQuarantined is the cause in [Status.Err] of a plugin the host stopped
// calling because it panicked too often.
var ErrQuarantined = errors.New("quarantined")

// ErrStuck is the cause in [Status.Err] of a plugin the host gave up on
// because it stopped taking messages: its queue stayed full for the stall
// timeout, or it did not finish within the shutdown timeout.
var ErrStuck = errors.New("stuck")

// Open loads the plugins that opts names and returns a Host that delivers to
// those that loaded and accepted their settings. A plugin that fails is
// reported to opts.ErrorLog and in [Host.Plugins]; the others still load.
// Open returns an error only if opts.Dir cannot be read.
//
// Before opening any file, Open checks them all as [Load] does (see
// package plugincheck), and also refuses every file built from the same
// main package path as another: none of those is opened. A file named
// twice, by Dir and Paths or through a link, is loaded once.
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
	g := newGuard(opts, h.errorLog)
	paths = uniquePaths(paths)
	checks := preflight(paths)
	for i, path := range paths {
		p, err := g.load(path, checks[i])
		if err != nil {
			h.add(Status{Path: path, Name: nameFromPath(path)}, nil, err)
			continue
		}
		h.addPlugin(p, opts.Settings)
	}
	h.start()
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
	h.start()
	return h
}

func newHost(opts Options) *Host {
	h := &Host{errorLog: opts.ErrorLog, maxPanics: opts.MaxPanics, idleFlush: opts.FlushWhenIdle, d: newDelivery(opts), quit: make(chan struct{})}
	if h.errorLog == nil {
		h.errorLog = log.New(os.Stderr, "", log.LstdFlags)
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

// add records a plugin's status and, when err is nil, makes ready to
// deliver to it. A failure is reported to the error log.
func (h *Host) add(st Status, p *Plugin, err error) {
	var le *LoadError
	switch {
	case errors.As(err, &le) && len(le.Findings) > 0:
		st.Err = err
		for _, f := range le.Findings {
			h.errorLog.Print(f) // one line each
		}
	case err != nil:
		st.Err = err
		h.errorLog.Print(err)
	default:
		s := &sink{plugin: p, index: len(h.statuses), host: h}
		s.holds = h.idleFlush && s.hold()
		s.borrows = !h.d.sync && s.borrowsLabels()
		if !h.d.sync {
			s.q = newQueue(h.d.queueSize, h.d.policyFor(p.Name))
		}
		h.sinks = append(h.sinks, s)
	}
	h.statuses = append(h.statuses, st)
}

// start starts each plugin's goroutine, for queued delivery, once every
// plugin is loaded: none of them then runs while the others load.
func (h *Host) start() {
	for _, s := range h.sinks {
		if s.q != nil {
			go s.consume()
		}
	}
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

// borrowsLabels reports whether the plugin borrows labels (see
// api.Borrower). A plugin that panics in BorrowsLabels is reported and
// gets a new map with each message.
func (s *sink) borrowsLabels() bool {
	return s.ask("BorrowsLabels", api.BorrowsLabels)
}

// ask calls f, a helper of package api that calls the plugin's method and
// reports what the plugin can do, and returns false if the method panics.
func (s *sink) ask(method string, f func(api.Logger) bool) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			s.panicked(method, v)
			ok = false
		}
	}()
	return f(s.plugin.Logger)
}

// Plugins reports on every plugin file the host tried to load, in load
// order.
func (h *Host) Plugins() []Status {
	out := make([]Status, len(h.statuses))
	copy(out, h.statuses)
	for _, s := range h.sinks {
		st := &out[s.index]
		st.Counts = s.counts()
		if err := s.fault(); err != nil {
			st.Err = fmt.Errorf("%s: %w", st.Path, err)
		}
	}
	return out
}

// Loaded returns the number of plugins that loaded and accepted their
// settings.
func (h *Host) Loaded() int { return len(h.sinks) }

// Accepted returns the number of messages the host has accepted: those
// passed to Send before Close.
func (h *Host) Accepted() uint64 {
	if h.d.sync && len(h.sinks) > 0 {
		return h.sinks[0].counts().Received
	}
	return h.accepted.Load()
}

// Send delivers msg and labels to every loaded plugin's method for level
// (see [api.Send] for the fallbacks). The caller may reuse labels as soon
// as Send returns. After Close, Send does nothing.
//
// By default Send queues the message for each plugin, each with a map of
// its own holding the labels (a new one for each message, or the one map
// it borrows if it is an [api.Borrower]), and returns; it waits only for a
// plugin whose queue is full under [Block]. With [Options.Synchronous] it
// calls the plugins one after the other and returns when all have
// returned.
func (h *Host) Send(level api.Level, msg string, labels map[string]string) {
	if h.d.sync {
		if len(h.sinks) == 0 {
			if !h.closed.Load() {
				h.accepted.Add(1) // else each sink counts what it received
			}
			return
		}
		for _, s := range h.sinks {
			s.deliver(level, msg, labels) // which ignores it once Close began
		}
		return
	}
	h.mu.Lock()
	if h.closed.Load() {
		h.mu.Unlock()
		return
	}
	h.accepted.Add(1)
	kv := h.kv[:0]
	for k, v := range labels {
		kv = append(kv, k, v)
	}
	h.kv = kv
	for _, s := range h.sinks {
		s.enqueue(level, msg, kv, labels == nil)
	}
	h.mu.Unlock()
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

// Flush asks every plugin that is working to write out what it buffers,
// once it has taken the messages sent before, and returns their errors
// joined. It waits for each plugin for at most the shutdown timeout.
func (h *Host) Flush() error {
	if !h.d.sync {
		return h.flushQueued()
	}
	var errs []error
	for _, s := range h.sinks {
		if s.state.Load() == stateRunning {
			errs = append(errs, s.call("Flush", api.Flush))
		}
	}
	return errors.Join(errs...)
}

// Close delivers the messages queued for each plugin, then calls its Flush
// and Close methods, for every plugin at once, and returns their errors
// joined. A plugin that does not finish within the shutdown timeout is
// given up on: what it did not take is counted as dropped and reported,
// and Close returns without it. A quarantined plugin is not called.
// Messages sent after Close are ignored. Closing twice returns nil.
func (h *Host) Close() error {
	if h.closed.Swap(true) {
		return nil
	}
	if !h.d.sync {
		return h.closeQueued()
	}
	ctx, cancel := context.WithTimeout(context.Background(), h.d.shutdownTimeout)
	defer cancel()
	dones := make([]chan error, len(h.sinks))
	for i, s := range h.sinks {
		if s.state.Load() != stateRunning {
			continue
		}
		dones[i] = make(chan error, 1)
		go func() {
			if s.waitCalls(ctx) {
				dones[i] <- errors.Join(s.call("Flush", api.Flush), s.call("Close", api.Close))
			}
		}()
	}
	var errs []error
	for i, s := range h.sinks {
		if dones[i] == nil {
			continue
		}
		select {
		case err := <-dones[i]:
			errs = append(errs, err)
		case <-ctx.Done():
			why := "its Flush or Close did not return within the shutdown timeout (%v)"
			if s.entered.Load() != s.returned.Load() {
				why = "a call of it with a message had not returned when the shutdown timeout (%v) ran out; Flush and Close were not called"
			} else {
				s.errors.Add(1)
			}
			err := fmt.Errorf("%w: "+why, ErrStuck, h.d.shutdownTimeout)
			s.state.Store(stateStuck)
			s.setFault(err)
			h.errorLog.Printf("%s: plugin %s is stuck: %v", s.plugin.Path, s.plugin.Name, err)
			errs = append(errs, fmt.Errorf("%s: %w", s.plugin.Name, err))
		}
	}
	return errors.Join(errs...)
}

// The states of a sink.
const (
	stateRunning     int32 = iota // the plugin is called
	stateQuarantined              // it panicked too often; it is not called again
	stateStuck                    // the host gave up waiting for it; it is not called again
)

// A sink delivers messages to one loaded plugin and counts what happens.
// Every message the host accepts is received by every sink, so the host
// counts them once, for all ([Host.Accepted]).
//
// With queued delivery, the fields that the caller's goroutine writes for
// each message, those that the plugin's goroutine writes, and those both
// only read are kept on separate cache lines.
type sink struct {
	// Read by both sides, written rarely.
	plugin       *Plugin
	index        int // into Host.statuses
	host         *Host
	q            *queue // nil with synchronous delivery
	holds        bool   // the plugin was told it may hold messages until Idle flushes it
	borrows      bool   // with queued delivery, the plugin borrows labels (see api.Borrower)
	state        atomic.Int32
	why          atomic.Pointer[error] // why the state is not stateRunning
	dropReported atomic.Bool
	// flushReported is set once a flush on the plugin's goroutine after
	// Host.Idle failed and was reported.
	flushReported atomic.Bool
	_             [64]byte

	// Written by the plugin's goroutine (or, with synchronous delivery,
	// the callers').
	mu      sync.Mutex    // with synchronous delivery, serialises the calls of Flush and Close
	dropped atomic.Uint64 // with synchronous delivery, or by giving up on the plugin
	panics  atomic.Uint64
	errors  atomic.Uint64
	// With synchronous delivery (see deliver): message calls begun, ended,
	// and of those ended, the ones that panicked and the ones not made
	// because Close had begun.
	entered, returned, callPanics, ignored atomic.Uint64
	lent                                   map[string]string // with queued delivery, the map lent to a plugin that borrows labels
	_                                      [64]byte

	// Written by the caller's goroutine.
	refused atomic.Uint64 // messages dropped by Send itself
	idleReq atomic.Bool   // Idle asked the plugin's goroutine to flush once its queue is empty
	_       [64]byte
}

// setFault records why the plugin is no longer called; the first reason
// stays.
func (s *sink) setFault(err error) { s.why.CompareAndSwap(nil, &err) }

// fault returns why the plugin is no longer called, or nil.
func (s *sink) fault() error {
	if p := s.why.Load(); p != nil {
		return *p
	}
	return nil
}

func (s *sink) counts() Counts {
	c := Counts{
		Received: s.host.accepted.Load(),
		Dropped:  s.dropped.Load() + s.refused.Load(),
		Panics:   s.panics.Load(),
		Errors:   s.errors.Load(),
	}
	if s.q != nil {
		delivered, skipped := s.q.taken()
		c.Delivered = delivered
		c.Dropped += skipped
		return c
	}
	// A message is received when its call begins, delivered when it
	// returns, unless it was ignored, dropped or panicked, which each call
	// counts before it counts itself returned. The counts are loaded one
	// after the other while calls go on: the order and the clamping make
	// them err on the side of fewer messages delivered, never more.
	ignored := s.ignored.Load()
	returned := s.returned.Load()
	c.Received = subClamped(s.entered.Load(), ignored)
	c.Delivered = subClamped(returned, ignored+s.dropped.Load()+s.callPanics.Load())
	return c
}

// subClamped returns a-b, or 0 if b > a.
func subClamped(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}

// deliver passes one message to the plugin in the caller's goroutine, for
// synchronous delivery, recovering a panic.
//
// Concurrent callers call the plugin concurrently, as api.Logger allows. A
// call costs two atomic additions: entered before it and returned after
// it, the fewest that let Close wait for the calls under way (see
// waitCalls). The call counts itself entered before it looks at whether
// Close has begun, and Close looks at the counts after it began, so either
// the call sees Close and does not call the plugin, or Close sees the call
// and waits for it.
func (s *sink) deliver(level api.Level, msg string, labels map[string]string) {
	s.entered.Add(1)
	switch {
	case s.host.closed.Load():
		s.ignored.Add(1)
		s.returned.Add(1)
		return
	case s.state.Load() != stateRunning:
		s.dropped.Add(1)
		s.returned.Add(1)
		return
	}
	defer s.endCall(level)
	api.Send(s.plugin.Logger, level, msg, labels)
}

// endCall ends a call of deliver: it recovers a panic of the plugin's
// method for level, and counts the call returned.
func (s *sink) endCall(level api.Level) {
	if v := recover(); v != nil {
		s.panicked(methodFor(s.plugin.Logger, level), v)
		s.callPanics.Add(1)
	}
	s.returned.Add(1)
}

// waitCalls waits, for synchronous delivery, until every message call
// that began before Close has returned, and reports whether they did
// before ctx was done.
func (s *sink) waitCalls(ctx context.Context) bool {
	t := time.NewTimer(0)
	defer t.Stop()
	for wait := 10 * time.Microsecond; ; wait = min(2*wait, 10*time.Millisecond) {
		if s.entered.Load() == s.returned.Load() {
			return true
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
}

// call runs Flush or Close on the plugin for synchronous delivery.
func (s *sink) call(method string, f func(api.Logger) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.invoke(method, f)
}

// invoke runs Flush or Close on the plugin, recovering a panic and
// counting an error.
func (s *sink) invoke(method string, f func(api.Logger) error) (err error) {
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
	if max := s.host.maxPanics; max > 0 && n >= uint64(max) && s.state.CompareAndSwap(stateRunning, stateQuarantined) {
		s.setFault(fmt.Errorf("%w after %d panics", ErrQuarantined, n))
		s.host.errorLog.Printf("%s: plugin %s quarantined after %d panics: it receives no more messages", s.plugin.Path, s.plugin.Name, n)
	}
}
