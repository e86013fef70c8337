// Package deliver passes a host's messages to its plugins, in one of two
// ways, each an [Engine] of its own:
//
//   - [NewQueued]: each plugin takes its messages, in order, from a queue of
//     its own, in a goroutine of its own, so that a slow plugin delays
//     neither the caller nor the other plugins while its queue has room.
//   - [NewSync]: Send calls each plugin in the caller's goroutine.
//
// What the two share, for each plugin, is a [Sink]: the plugin, its counts,
// its panics and why it is no longer called. Each count is added to at the
// moment its event happens: a message is received when the engine accepts
// it, delivered when the plugin's method returned, dropped when the engine
// drops it, and a panic is counted when it is recovered.
//
// The package knows nothing of loading: package host loads the plugins,
// picks an engine, adds each plugin to it and starts it.
package deliver

import (
	"errors"
	"log"
	"time"

	"github.com/logplug/logplug/api"
)

// An Engine delivers each message it accepts to every plugin added to it,
// once and in order. Its methods are safe for concurrent use, except Add
// and Start, which are called before any other, one after the other.
type Engine interface {
	// Add adds a plugin, and returns the Sink that reports on it. The
	// plugin is not called with a message before Start.
	Add(p Plugin) *Sink
	// Start starts delivery, once every plugin is added.
	Start()
	// Send delivers a message to every plugin. The caller may reuse labels
	// once Send returns. After Close, Send does nothing.
	Send(level api.Level, msg string, labels map[string]string)
	// Flush flushes every plugin that is working, once it has taken the
	// messages sent before, and returns their errors joined.
	Flush() error
	// Idle flushes the plugins that hold messages (see api.Holder).
	Idle() error
	// Reopen asks every plugin that is working and writes files by path
	// (see api.Reopener) to reopen them, once it has taken the messages
	// sent before, and returns their errors joined.
	Reopen() error
	// Close delivers what was accepted, flushes and closes every plugin
	// that is working, and returns their errors joined. Closing twice
	// returns nil.
	Close() error
	// Accepted returns the number of messages accepted: sent before Close.
	Accepted() uint64
}

// A Plugin is what an engine needs to know of one plugin.
type Plugin struct {
	// Path and Name identify the plugin in reports.
	Path, Name string
	// Logger is the plugin.
	Logger api.Logger
	// Drop, with queued delivery, drops a message for the plugin when its
	// queue is full, instead of waiting for room.
	Drop bool
}

// Config holds the settings of an engine, resolved: no zero value stands
// for a default.
type Config struct {
	// ErrorLog receives a line for each failure of a plugin.
	ErrorLog *log.Logger
	// MaxPanics is how many panics a plugin may raise before it is no
	// longer called; zero or less means no limit.
	MaxPanics int
	// FlushWhenIdle tells each plugin that can hold messages that it may
	// (see api.Holder): Idle flushes those plugins.
	FlushWhenIdle bool
	// QueueSize is the number of messages each plugin's queue holds, with
	// queued delivery.
	QueueSize int
	// StallTimeout is how long Send waits for room in a plugin's queue
	// before it gives up on the plugin; zero or less means as long as it
	// takes.
	StallTimeout time.Duration
	// ShutdownTimeout bounds how long Flush and Close wait for plugins.
	ShutdownTimeout time.Duration
}

// Counts counts what happened to the messages sent to one plugin. Package
// host documents it, as host.Counts.
type Counts struct {
	Received, Delivered, Failed, Dropped, Panics, Errors uint64
}

// ErrQuarantined is the cause of a plugin's fault once it panicked too
// often.
var ErrQuarantined = errors.New("quarantined")

// ErrStuck is the cause of a plugin's fault once the engine gave up
// waiting for it.
var ErrStuck = errors.New("stuck")

// ErrFailing is the cause of a plugin's fault once so many of its writes
// in a row failed that the engine stopped calling it.
var ErrFailing = errors.New("failing")
