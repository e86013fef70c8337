package deliver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/logplug/logplug/api"
)

// NewSync returns an engine that calls the plugins in Send's caller's
// goroutine, one after the other, with the caller's labels map itself.
// Callers that send at once call a plugin at once, as api.Logger allows.
func NewSync(cfg Config) Engine { return &syncEngine{cfg: cfg} }

// syncEngine is synchronous delivery.
type syncEngine struct {
	cfg      Config
	sinks    []*syncSink
	closed   atomic.Bool   // Close has begun
	accepted atomic.Uint64 // messages accepted while there is no plugin
}

// A syncSink is synchronous delivery to one plugin.
type syncSink struct {
	Sink
	closed *atomic.Bool  // the engine's
	mu     sync.Mutex    // serialises the calls of Flush and Close
	idle   chan struct{} // capacity 1; see ended
}

func (e *syncEngine) Add(p Plugin) *Sink {
	s := &syncSink{closed: &e.closed, idle: make(chan struct{}, 1)}
	s.init(p, &e.cfg)
	e.sinks = append(e.sinks, s)
	return &s.Sink
}

func (e *syncEngine) Start() {}

func (e *syncEngine) Send(level api.Level, msg string, labels map[string]string) {
	if len(e.sinks) == 0 {
		if !e.closed.Load() {
			e.accepted.Add(1)
		}
		return
	}
	for _, s := range e.sinks {
		s.deliver(level, msg, labels) // which ignores it once Close began
	}
}

// Accepted counts what the first plugin received, since every plugin
// receives every message accepted.
func (e *syncEngine) Accepted() uint64 {
	if len(e.sinks) == 0 {
		return e.accepted.Load()
	}
	return e.sinks[0].received.Load()
}

func (e *syncEngine) Flush() error {
	if e.closed.Load() {
		return nil
	}
	var errs []error
	for _, s := range e.sinks {
		if s.running() {
			errs = append(errs, s.call("Flush", api.Flush))
		}
	}
	return errors.Join(errs...)
}

func (e *syncEngine) Reopen() error {
	if e.closed.Load() {
		return nil
	}
	var errs []error
	for _, s := range e.sinks {
		if s.reopens && s.running() {
			errs = append(errs, s.call("Reopen", api.Reopen))
		}
	}
	return errors.Join(errs...)
}

func (e *syncEngine) Idle() error {
	if e.closed.Load() {
		return nil
	}
	var errs []error
	for _, s := range e.sinks {
		if s.holds && s.running() {
			errs = append(errs, s.call("Flush", api.Flush))
		}
	}
	return errors.Join(errs...)
}

// Close waits for the message calls under way, then flushes and closes
// every plugin that is working, all at once, each for at most the
// shutdown timeout.
func (e *syncEngine) Close() error {
	if e.closed.Swap(true) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.ShutdownTimeout)
	defer cancel()
	errs := make([]error, len(e.sinks))
	var wg sync.WaitGroup
	for i, s := range e.sinks {
		if s.running() {
			wg.Go(func() { errs[i] = s.close(ctx, e.cfg.ShutdownTimeout) })
		}
	}
	wg.Wait()
	return errors.Join(errs...)
}

// deliver passes one message to the plugin, recovering a panic.
//
// A call costs two atomic additions, the message received before it and
// delivered after it, which are also what Close waits on: calls are under
// way while more messages were received than were delivered, dropped or
// panicked (see underWay). The call counts the message received before it
// looks at whether Close has begun, and Close looks at the counts after it
// began, so either the call sees Close, takes its count back and does not
// call the plugin, or Close sees the call and waits for it.
func (s *syncSink) deliver(level api.Level, msg string, labels map[string]string) {
	s.received.Add(1)
	switch {
	case s.closed.Load():
		s.received.Add(^uint64(0)) // not accepted after all
		s.ended()
		return
	case !s.running():
		s.dropped.Add(1)
		s.ended()
		return
	}
	defer s.endCall(level)
	api.Send(s.plugin.Logger, level, msg, labels)
}

// endCall ends a call of deliver: it recovers a panic of the plugin's
// method for level, and counts the message delivered or panicked.
func (s *syncSink) endCall(level api.Level) {
	if v := recover(); v != nil {
		s.messagePanicked(level, v)
		s.msgPanics.Add(1)
	} else if n := s.delivered.Add(1); n%failureCheckEvery == 0 {
		s.checkFailures()
	}
	s.ended()
}

// failureCheckEvery is how often, in messages delivered, synchronous
// delivery reads the count of failed writes of a plugin that keeps one; it
// is also read after each Flush and Close.
const failureCheckEvery = 64

// ended wakes Close, once it has begun, when the call that ended was the
// last one under way. The call counted itself before it looks at whether
// Close has begun, and Close looks at the counts after it began, so either
// Close sees that no call is under way or the last call to end wakes it.
func (s *syncSink) ended() {
	if s.closed.Load() && s.underWay() == 0 {
		select {
		case s.idle <- struct{}{}:
		default: // a wake-up is pending already
		}
	}
}

// underWay returns the number of message calls that have begun and not
// ended. The messages done with are loaded before those received, so that
// the result is never less than the calls under way.
func (s *syncSink) underWay() uint64 {
	done := s.delivered.Load() + s.dropped.Load() + s.msgPanics.Load()
	return s.received.Load() - done
}

// waitCalls waits until no message call is under way, and reports whether
// that happened before ctx was done.
func (s *syncSink) waitCalls(ctx context.Context) bool {
	for s.underWay() != 0 {
		select {
		case <-s.idle:
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// close waits for the message calls under way, then flushes and closes the
// plugin, and gives up on it if that is not done by the time ctx is.
func (s *syncSink) close(ctx context.Context, timeout time.Duration) error {
	done := make(chan error, 1)
	go func() {
		if s.waitCalls(ctx) {
			done <- errors.Join(s.call("Flush", api.Flush), s.call("Close", api.Close))
		}
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	why := "its Flush or Close did not return within the shutdown timeout (%v)"
	if s.underWay() != 0 {
		why = "a call of it with a message had not returned when the shutdown timeout (%v) ran out; Flush and Close were not called"
	} else {
		s.errors.Add(1)
	}
	err := fmt.Errorf("%w: "+why, ErrStuck, timeout)
	s.logf("plugin %s is stuck: %v", s.plugin.Name, err)
	return s.stuck(err)
}

// call runs Flush or Close on the plugin, one call at a time.
func (s *syncSink) call(method string, f func(api.Logger) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.checkFailures()
	return s.invoke(method, f)
}
