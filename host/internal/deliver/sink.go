package deliver

import (
	"fmt"
	"sync/atomic"

	"github.com/logplug/logplug/api"
)

// The states of a Sink.
const (
	stateRunning     int32 = iota // the plugin is called
	stateQuarantined              // it panicked too often; it is not called again
	stateStuck                    // the engine gave up waiting for it; it is not called again
	stateFailing                  // its writes kept failing; it is not called again
)

// maxFailedInARow is how many of a plugin's messages in a row may fail to
// be written (see api.FailureCounter) before the engine stops calling it.
const maxFailedInARow = 1000

// A Sink is the part of delivering to one plugin that both engines share:
// the plugin, its counts, its panics, and why it is no longer called.
//
// The counts that Send's caller adds to and those that the plugin's
// callers add to are on cache lines of their own, since with queued
// delivery those are two goroutines.
type Sink struct {
	// Set by newSink.
	plugin  Plugin
	cfg     *Config
	holds   bool // the plugin was told it may hold messages until Idle flushes it
	reopens bool // the plugin can reopen its files (api.Reopener)
	// state is stateRunning until the plugin is quarantined or given up
	// on; why, set first and once, says why.
	state atomic.Int32
	why   atomic.Pointer[error]
	_     [64]byte

	// Added to by Send's caller.
	received, dropped atomic.Uint64
	_                 [64]byte

	// Added to where the plugin is called.
	delivered atomic.Uint64
	msgPanics atomic.Uint64 // message calls that panicked, of panics
	panics    atomic.Uint64
	errors    atomic.Uint64
	_         [64]byte

	failures failureWatch
}

// A failureWatch follows what a plugin that counts its failed writes (see
// api.FailureCounter) says of them.
type failureWatch struct {
	counter  api.FailureCounter // nil for a plugin that does not count
	checking atomic.Bool        // a check is under way; the fields below are its own
	failed   atomic.Uint64      // the plugin's count, as last read
	latest   atomic.Pointer[error]
	// The delivered count at the last check, and how many messages in a
	// row failed up to it, as far as the counts tell.
	deliveredThen, inARow uint64
}

// init sets the sink up for p and, if the engine flushes when idle, asks
// the plugin whether it holds messages.
func (s *Sink) init(p Plugin, cfg *Config) {
	s.plugin, s.cfg = p, cfg
	s.holds = cfg.FlushWhenIdle && s.ask("Hold", api.Hold)
	s.reopens = s.ask("Reopen", api.Reopens)
	if s.ask("Failures", api.CountsFailures) {
		s.failures.counter = p.Logger.(api.FailureCounter)
	}
}

// Counts returns the plugin's counts so far. They are loaded one after the
// other while messages flow; once every message accepted is done with,
// Received is Delivered plus Dropped plus the panics of message calls.
func (s *Sink) Counts() Counts {
	delivered := s.delivered.Load()
	return Counts{
		Received:  s.received.Load(),
		Delivered: delivered,
		Failed:    min(s.failures.failed.Load(), delivered),
		Dropped:   s.dropped.Load(),
		Panics:    s.panics.Load(),
		Errors:    s.errors.Load(),
	}
}

// LatestFailure returns the error of the latest failed write the plugin
// reported (see api.FailureCounter), or nil.
func (s *Sink) LatestFailure() error {
	if p := s.failures.latest.Load(); p != nil {
		return *p
	}
	return nil
}

// checkFailures reads the plugin's count of failed writes, if it keeps
// one: it reports the first failure, and stops calling the plugin once
// maxFailedInARow of its messages in a row failed. A check that finds
// another under way returns at once.
func (s *Sink) checkFailures() {
	w := &s.failures
	if w.counter == nil || !w.checking.CompareAndSwap(false, true) {
		return
	}
	defer w.checking.Store(false)
	var n uint64
	var latest error
	if !s.ask("Failures", func(api.Logger) bool { n, latest = w.counter.Failures(); return true }) {
		return
	}
	delivered := s.delivered.Load()
	before := w.failed.Load()
	newDelivered := delivered - w.deliveredThen
	w.deliveredThen = delivered
	if n <= before {
		if newDelivered > 0 {
			w.inARow = 0 // the messages since the last check were written
		}
		return
	}
	if latest == nil {
		latest = fmt.Errorf("%d writes failed", n)
	}
	w.latest.Store(&latest)
	w.failed.Store(n)
	newFailed := n - before
	if newFailed >= newDelivered {
		w.inARow += newFailed
	} else {
		w.inARow = newFailed
	}
	if before == 0 {
		s.logf("plugin %s: a write failed: %v (further failures are counted as lost, not reported)", s.plugin.Name, latest)
	}
	if w.inARow >= maxFailedInARow && s.stop(stateFailing, fmt.Errorf("%w: its last %d writes failed, the latest with: %v", ErrFailing, w.inARow, latest)) {
		s.logf("plugin %s stopped: its last %d writes failed, the latest with: %v; it receives no more messages", s.plugin.Name, w.inARow, latest)
	}
}

// Fault returns why the plugin is no longer called: an error that wraps
// [ErrQuarantined] or [ErrStuck]; or nil while it is called.
func (s *Sink) Fault() error {
	if p := s.why.Load(); p != nil {
		return *p
	}
	return nil
}

// running reports whether the plugin is still called.
func (s *Sink) running() bool { return s.state.Load() == stateRunning }

// stop records that the plugin is no longer called, and why, unless it was
// stopped already; it reports whether it stopped it.
func (s *Sink) stop(state int32, err error) bool {
	if !s.why.CompareAndSwap(nil, &err) {
		return false
	}
	s.state.Store(state)
	return true
}

// logf writes a line to the error log, after the plugin's path.
func (s *Sink) logf(format string, args ...any) {
	s.cfg.ErrorLog.Printf("%s: "+format, append([]any{s.plugin.Path}, args...)...)
}

// panicked counts a recovered panic, reports the first, and quarantines
// the plugin once it has panicked too often.
func (s *Sink) panicked(method string, v any) {
	n := s.panics.Add(1)
	if n == 1 {
		s.logf("plugin %s panicked in %s: %v (further panics are counted, not reported)", s.plugin.Name, method, v)
	}
	max := s.cfg.MaxPanics
	if max > 0 && n >= uint64(max) && s.stop(stateQuarantined, fmt.Errorf("%w after %d panics", ErrQuarantined, n)) {
		s.logf("plugin %s quarantined after %d panics: it receives no more messages", s.plugin.Name, n)
	}
}

// messagePanicked counts and reports a panic of the plugin's method for
// level; it does not count the message (see msgPanics).
func (s *Sink) messagePanicked(level api.Level, v any) {
	s.panicked(methodFor(s.plugin.Logger, level), v)
}

// ask calls f, a helper of package api that calls the plugin's method and
// reports what the plugin can do, and returns false if the method panics.
func (s *Sink) ask(method string, f func(api.Logger) bool) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			s.panicked(method, v)
			ok = false
		}
	}()
	return f(s.plugin.Logger)
}

// invoke runs Flush or Close on the plugin, recovering a panic and
// counting an error.
func (s *Sink) invoke(method string, f func(api.Logger) error) (err error) {
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

// stuck gives up on the plugin: it records err, which wraps [ErrStuck],
// as the plugin's fault, and returns the error Close returns for it.
func (s *Sink) stuck(err error) error {
	s.stop(stateStuck, err)
	return fmt.Errorf("%s: %w", s.plugin.Name, s.Fault())
}

// methodFor names the method [api.Send] calls for level.
func methodFor(l api.Logger, level api.Level) string {
	switch level {
	case api.LevelInfo:
		return "Info"
	case api.LevelWarn:
		return "Warn"
	case api.LevelDebug:
		if _, ok := l.(api.DebugLogger); ok {
			return "Debug"
		}
	case api.LevelError:
		if _, ok := l.(api.ErrorLogger); ok {
			return "Error"
		}
		return "Warn"
	}
	return "Log"
}
