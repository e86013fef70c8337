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

// NewQueued returns an engine that gives each plugin a queue of its own
// (see queue) and calls it from a goroutine of its own, which Start
// starts. A plugin with a full queue makes Send wait for room, unless its
// Plugin.Drop is set.
func NewQueued(cfg Config) Engine {
	return &queuedEngine{cfg: cfg, quit: make(chan struct{})}
}

// queuedEngine is queued delivery.
type queuedEngine struct {
	cfg      Config
	sinks    []*queuedSink
	closed   atomic.Bool   // Close has begun
	accepted atomic.Uint64 // messages accepted while there is no plugin

	mu sync.Mutex // held by Send, and by Flush and Close to queue their requests: the queues' producer
	kv []string   // the labels of the message Send is queueing, under mu
	// quit is closed when Close begins. stopBy is written before, and read
	// only by a Send that saw quit closed: the time it must give up
	// waiting for room by.
	quit   chan struct{}
	stopBy time.Time
}

// A queuedSink is queued delivery to one plugin.
type queuedSink struct {
	Sink
	e       *queuedEngine
	q       *queue
	borrows bool // the plugin borrows labels (see api.Borrower)

	dropReported  atomic.Bool       // the first drop was reported, by the producer
	flushReported atomic.Bool       // a failure of a flush after Idle was reported
	idleReq       atomic.Bool       // Idle asked the plugin's goroutine to flush once its queue is empty
	lent          map[string]string // the map lent to a plugin that borrows labels, on its goroutine
}

func (e *queuedEngine) Add(p Plugin) *Sink {
	s := &queuedSink{e: e, q: newQueue(e.cfg.QueueSize)}
	s.init(p, &e.cfg)
	s.borrows = s.ask("BorrowsLabels", api.BorrowsLabels)
	e.sinks = append(e.sinks, s)
	return &s.Sink
}

// Start starts each plugin's goroutine, once every plugin is added: none
// of them then runs while the others load.
func (e *queuedEngine) Start() {
	for _, s := range e.sinks {
		go s.consume()
	}
}

func (e *queuedEngine) Send(level api.Level, msg string, labels map[string]string) {
	e.mu.Lock()
	if e.closed.Load() {
		e.mu.Unlock()
		return
	}
	if len(e.sinks) == 0 {
		e.accepted.Add(1)
	}
	kv := e.kv[:0]
	for k, v := range labels {
		kv = append(kv, k, v)
	}
	e.kv = kv
	for _, s := range e.sinks {
		s.enqueue(level, msg, kv, labels == nil)
	}
	e.mu.Unlock()
}

// Accepted counts what the first plugin received, since every plugin
// receives every message accepted.
func (e *queuedEngine) Accepted() uint64 {
	if len(e.sinks) == 0 {
		return e.accepted.Load()
	}
	return e.sinks[0].received.Load()
}

// Idle does not wait: it asks the goroutine of each plugin that holds
// messages to flush it once it has delivered what is queued.
func (e *queuedEngine) Idle() error {
	if e.closed.Load() {
		return nil
	}
	for _, s := range e.sinks {
		if s.holds {
			s.idleReq.Store(true)
			if s.q.sleeping.Load() {
				signal(s.q.wake)
			}
		}
	}
	return nil
}

// Flush asks every plugin that is working to flush once it has taken the
// messages sent so far, and waits for each for at most the shutdown
// timeout.
func (e *queuedEngine) Flush() error {
	return e.requestAll(slotFlush, "Flush", func(*queuedSink) bool { return true })
}

// Reopen is Flush for Reopen, and the plugins that have it.
func (e *queuedEngine) Reopen() error {
	return e.requestAll(slotReopen, "Reopen", func(s *queuedSink) bool { return s.reopens })
}

// requestAll queues a request of kind, for method, for every plugin that
// is working and that wants says wants it, after the messages sent so far,
// and waits for each for at most the shutdown timeout.
func (e *queuedEngine) requestAll(kind slotKind, method string, wants func(*queuedSink) bool) error {
	e.mu.Lock()
	if e.closed.Load() {
		e.mu.Unlock()
		return nil
	}
	dones := make([]chan error, len(e.sinks))
	for i, s := range e.sinks {
		if s.running() && wants(s) {
			dones[i] = s.request(kind, time.Time{})
		}
	}
	e.mu.Unlock()
	timeout := e.cfg.ShutdownTimeout
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var errs []error
	for i, s := range e.sinks {
		if dones[i] == nil {
			continue
		}
		select {
		case err := <-dones[i]:
			errs = append(errs, err)
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("%s: %s did not return within %v", s.plugin.Name, method, timeout))
		}
	}
	return errors.Join(errs...)
}

// Close lets a Send that waits for room finish (or give up) within the
// shutdown timeout, then asks every plugin's goroutine to deliver what is
// queued, flush and close, and waits for them all, in parallel, for at
// most the shutdown timeout more.
func (e *queuedEngine) Close() error {
	if e.closed.Swap(true) {
		return nil
	}
	timeout := e.cfg.ShutdownTimeout
	e.stopBy = time.Now().Add(timeout)
	close(e.quit)
	e.mu.Lock()
	defer e.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	deadline, _ := ctx.Deadline()
	// Each sink's producer side is its own, so the requests can wait for
	// room in parallel, on behalf of this goroutine, which holds mu.
	errs := make([]error, len(e.sinks))
	var wg sync.WaitGroup
	for i, s := range e.sinks {
		if s.state.Load() != stateStuck { // else given up on already, and reported
			wg.Go(func() { errs[i] = s.close(ctx, deadline) })
		}
	}
	wg.Wait()
	return errors.Join(errs...)
}

// enqueue queues a message for the plugin, as the producer, waiting for
// room or dropping the message when its queue is full.
func (s *queuedSink) enqueue(level api.Level, msg string, kv []string, nilMap bool) {
	s.received.Add(1)
	if !s.running() {
		s.dropped.Add(1)
		return
	}
	for !s.q.put(slotMessage, level, msg, kv, nilMap, nil) {
		if s.plugin.Drop {
			s.dropped.Add(1)
			if !s.dropReported.Swap(true) {
				s.logf("plugin %s: its queue is full (%d messages): dropping messages for it under policy drop (further drops are counted, not reported)",
					s.plugin.Name, s.q.size)
			}
			return
		}
		if !s.waitRoom(time.Time{}) {
			s.dropped.Add(1)
			return
		}
	}
}

// request queues a Flush or Close request, as the producer, waiting for
// room if need be, and returns the channel its result will come on, or nil
// if it gave up on the plugin while waiting. A zero deadline is Close's,
// once it has begun.
func (s *queuedSink) request(kind slotKind, deadline time.Time) chan error {
	done := make(chan error, 1)
	for !s.q.put(kind, 0, "", nil, false, done) {
		if !s.waitRoom(deadline) {
			return nil
		}
	}
	return done
}

// waitRoom waits, as the producer, until the plugin's full queue has room.
// It gives up on the plugin, and returns false, when the plugin takes no
// message for the stall timeout, or when the deadline passes; a zero
// deadline is Close's, once it has begun.
func (s *queuedSink) waitRoom(deadline time.Time) bool {
	q := s.q
	q.waiting.Store(true)
	defer q.waiting.Store(false)
	w := roomWait{stall: s.cfg.StallTimeout, last: q.head.Load(), deadline: deadline}
	w.stallAt = time.Now().Add(w.stall)
	if deadline.IsZero() {
		w.quit = s.e.quit
	}
	for q.full() {
		select {
		case <-w.quit:
			w.deadline, w.quit = s.e.stopBy, nil
		default:
		}
		now := time.Now()
		if why := w.expired(q, now, s.cfg.ShutdownTimeout); why != "" {
			s.giveUp(why)
			return false
		}
		w.sleep(q, now)
	}
	return true
}

// giveUp quarantines a plugin that stopped taking messages, as the
// producer: its queued messages, including one it may be stuck in, are
// counted as dropped, no method of it is called again, and its goroutine
// is left behind.
func (s *queuedSink) giveUp(why string) {
	q := s.q
	err := fmt.Errorf("%w: %s", ErrStuck, why)
	s.stop(stateStuck, err)
	var head uint64
	for {
		head = q.head.Load()
		if head == gaveUpMark {
			return
		}
		if q.head.CompareAndSwap(head, gaveUpMark) {
			break
		}
	}
	queued := q.queued(head)
	s.dropped.Add(queued)
	s.logf("plugin %s is stuck: %s; it is quarantined: %d queued messages were not delivered, and no method of it is called again",
		s.plugin.Name, why, queued)
}

// close asks the plugin's goroutine to finish, and waits for it while it
// makes progress: it gives up on the plugin once it has taken no message,
// and moved from none of Flush and Close to the next, for the stall
// timeout, or when ctx is done (the shutdown timeout, which bounds the
// whole of Close).
func (s *queuedSink) close(ctx context.Context, deadline time.Time) error {
	done := s.request(slotClose, deadline)
	if done == nil {
		return fmt.Errorf("%s: %w", s.plugin.Name, s.Fault())
	}
	var stalled <-chan time.Time
	var p progress
	if stall := s.cfg.StallTimeout; stall > 0 {
		tick := time.NewTicker(max(stall/8, time.Millisecond))
		defer tick.Stop()
		stalled = tick.C
		p = progress{at: time.Now(), head: s.q.head.Load(), phase: s.q.phase.Load()}
	}
	for {
		select {
		case err := <-done:
			return err
		case now := <-stalled:
			if !p.made(s.q, now, s.cfg.StallTimeout) {
				return s.closeStuck(done, "it made no progress for %v (the stall timeout)", s.cfg.StallTimeout)
			}
			continue
		case <-ctx.Done():
		}
		return s.closeStuck(done, "the shutdown timeout (%v) ran out", s.cfg.ShutdownTimeout)
	}
}

// progress is where a plugin's goroutine was when last seen to move.
type progress struct {
	at    time.Time
	head  uint64
	phase int32
}

// made reports whether the plugin has moved since p, or did so less than
// stall ago, updating p.
func (p *progress) made(q *queue, now time.Time, stall time.Duration) bool {
	if head, phase := q.head.Load(), q.phase.Load(); head != p.head || phase != p.phase {
		*p = progress{at: now, head: head, phase: phase}
		return true
	}
	return now.Sub(p.at) < stall
}

// closeStuck gives up on a plugin that did not finish closing, unless it
// finished meanwhile, saying what it was doing and when (a format for
// one duration).
func (s *queuedSink) closeStuck(done chan error, when string, d time.Duration) error {
	select {
	case err := <-done:
		return err
	default:
	}
	when = fmt.Sprintf(when, d)
	var why string
	switch s.q.phase.Load() {
	case phaseFlush:
		why = "its Flush had not returned when " + when + "; Close was not called"
		s.errors.Add(1)
	case phaseClose:
		why = "its Close had not returned when " + when
		s.errors.Add(1)
	default:
		why = "it had not taken every queued message when " + when + "; Flush and Close were not called"
	}
	s.giveUp(why)
	return fmt.Errorf("%s: %w", s.plugin.Name, s.Fault())
}
