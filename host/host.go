package host

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"time"

	"github.com/logplug/logplug/api"
	"github.com/logplug/logplug/host/internal/deliver"
)

// Version is the version of the logplug host.
const Version = "v0.1.0"

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
	e        deliver.Engine // queued or synchronous, picked by newHost
	statuses []Status
	sinks    []sinkAt // the plugins delivered to, in load order
	errorLog *log.Logger
	d        delivery

	// What the plugins want, for Enabled: any plugin of the methods
	// shape wants every level; a slog.Handler says which it wants.
	methodsShape bool
	handlers     []leveler
}

// A leveler is a plugin that says which levels it wants: the logger that
// delivers to a plugin that is a slog.Handler.
type leveler interface {
	Enabled(ctx context.Context, level slog.Level) bool
}

// Enabled reports whether some plugin wants messages at level: a plugin
// with the methods of api.Logger wants them all, and a slog.Handler those
// it is Enabled for. [Handler.Enabled] asks it.
func (h *Host) Enabled(ctx context.Context, level slog.Level) bool {
	if h.methodsShape {
		return true
	}
	for _, l := range h.handlers {
		if l.Enabled(ctx, level) {
			return true
		}
	}
	return false
}

// A sinkAt is a plugin delivered to, and the index of its Status.
type sinkAt struct {
	*deliver.Sink
	index int // into Host.statuses
}

// Status reports on one plugin file of a [Host].
type Status struct {
	// Path is the plugin file.
	Path string
	// Name and Version are the plugin's, once it loaded; Name is the file
	// name without ".so" before that.
	Name, Version string
	// Shape is the plugin's shape once it loaded: "methods" (the methods
	// of [api.Logger]) or "slog.Handler"; "" before that.
	Shape string
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
	// LatestFailure is the error of the latest write the plugin reported
	// failed (see [api.FailureCounter]), or nil.
	LatestFailure error
}

// Loaded reports whether the plugin was loaded and configured (and may
// have been quarantined since). A copy of another file was not.
func (s Status) Loaded() bool {
	return s.CopyOf == "" && (s.Err == nil || errors.Is(s.Err, ErrQuarantined) || errors.Is(s.Err, ErrStuck) || errors.Is(s.Err, ErrFailing))
}

// Counts counts what happened to the messages sent to one plugin.
type Counts struct {
	// Received is the number of messages the host accepted for the plugin.
	Received uint64
	// Delivered is the number of those the plugin's method returned from.
	Delivered uint64
	// Failed is the number of those delivered that the plugin then failed
	// to write, as it reports them (see [api.FailureCounter]); it is read
	// from time to time while messages flow, and after Flush and Close.
	Failed uint64
	// Dropped is the number of those the plugin did not take: dropped
	// because its queue was full under [Drop], or because it was
	// quarantined, or still queued (or being taken) when the host gave up
	// on it as stuck.
	Dropped uint64
	// Panics is the number of calls that panicked. A message whose call
	// panicked is neither delivered nor dropped, so once Close has
	// returned, Received is Delivered plus Dropped plus the panics of
	// message calls (less any message call that never returned, with
	// synchronous delivery).
	Panics uint64
	// Errors is the number of errors returned by Flush and Close, and of
	// Flush and Close calls that did not return within the shutdown
	// timeout.
	Errors uint64
}

// Lost is the number of received messages that were not delivered, or
// were delivered and then failed to be written.
func (c Counts) Lost() uint64 { return c.Received - c.Delivered + c.Failed }

// ErrQuarantined is the cause in [Status.Err] of a plugin the host stopped
// calling because it panicked too often.
var ErrQuarantined = deliver.ErrQuarantined

// ErrStuck is the cause in [Status.Err] of a plugin the host gave up on
// because it stopped taking messages: its queue stayed full for the stall
// timeout, or it did not finish within the shutdown timeout.
var ErrStuck = deliver.ErrStuck

// ErrFailing is the cause in [Status.Err] of a plugin the host stopped
// calling because so many of its writes in a row failed (1000; see
// [api.FailureCounter]).
var ErrFailing = deliver.ErrFailing

// Plugins reports on every plugin file the host tried to load, in load
// order.
func (h *Host) Plugins() []Status {
	out := make([]Status, len(h.statuses))
	copy(out, h.statuses)
	for _, s := range h.sinks {
		st := &out[s.index]
		st.Counts = Counts(s.Counts())
		st.LatestFailure = s.LatestFailure()
		if err := s.Fault(); err != nil {
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
func (h *Host) Accepted() uint64 { return h.e.Accepted() }

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
	h.e.Send(level, msg, labels)
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
// joined. It waits for each plugin for at most the shutdown timeout. After
// Close, Flush does nothing.
func (h *Host) Flush() error { return h.e.Flush() }

// Reopen asks every working plugin that writes files by path (an
// [api.Reopener]) to close them and open them again by their paths, once
// it has taken the messages sent before: call it when a log rotator has
// renamed the files, as `logplug run` does on SIGHUP. It waits for each
// plugin for at most the shutdown timeout, and returns their errors
// joined; a plugin whose Reopen fails goes on writing the file it had.
// Plugins that are not Reopeners are skipped. After Close, Reopen does
// nothing.
func (h *Host) Reopen() error { return h.e.Reopen() }

// Close delivers the messages queued for each plugin, then calls its Flush
// and Close methods, for every plugin at once, and returns their errors
// joined. A plugin that does not finish within the shutdown timeout is
// given up on: what it did not take is counted as dropped and reported,
// and Close returns without it. A quarantined plugin is not called.
// Messages sent after Close are ignored. Closing twice returns nil.
func (h *Host) Close() error { return h.e.Close() }
