package host

import (
	"context"
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
	// CopyOf is set for a file that is a byte-identical copy of another
	// plugin file, named here, which was loaded in its place; Err is nil.
	CopyOf string
	// OpenTime is how long opening the plugin took.
	OpenTime time.Duration
	// Counts are the plugin's message counts so far.
	Counts Counts
}

// Loaded reports whether the plugin was loaded and configured (and may
// have been quarantined since). A copy of another file was not.
func (s Status) Loaded() bool {
	return s.CopyOf == "" && (s.Err == nil || errors.Is(s.Err, ErrQuarantined) || errors.Is(s.Err, ErrStuck))
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
