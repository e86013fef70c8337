package host

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/logplug/logplug/api"
)

// Queued delivery.
//
// Each plugin has a queue: a ring of slots with one producer and one
// consumer. The producer is whoever holds Host.mu (Send, Flush, Close), so
// every plugin sees the messages in the same order; the consumer is the
// plugin's own goroutine, the only one that calls the plugin. head and
// tail count slots taken and slots filled; the ring holds the slots
// [head, tail), at most size of them.
//
// Neither side takes a lock per message. A side that has to wait (the
// consumer for a message, the producer for room) raises a flag, checks
// again, and sleeps on a channel; the other side, after moving its counter,
// looks at the flag and wakes it. Since both the flag and the counters are
// sequentially consistent atomics, at least one side sees the other's
// store, so no wake-up is missed; a spare wake-up only costs a loop. The
// consumer wakes a waiting producer only once the queue is half empty, so
// a producer that outruns its plugin sleeps once per half queue, not once
// per message.
//
// The consumer builds each plugin's labels map itself, from a copy of the
// keys and values that the producer stores in the slot (reusing the slot's
// slice), so the caller's map is read once per message, no plugin shares a
// map with the caller or with another plugin, and the map is made on the
// plugin's goroutine rather than the caller's. The map is a new one for
// each message, unless the plugin borrows labels (see api.Borrower): then
// it is the plugin's one lent map, emptied and refilled, which saves an
// allocation per message.
//
// The host may give up on a plugin that stopped taking messages (see
// sink.giveUp). Its goroutine is then left where it is, inside the plugin;
// should the plugin ever return, the goroutine ends without counting or
// calling anything. Slots are committed by a compare-and-swap of head
// from h to h+1, and giveUp swaps head for gaveUpMark, so each slot is
// either committed by the consumer or counted by giveUp, never both. The
// consumer keeps no count of deliveries: a slot committed is a message
// delivered unless it was counted as skipped, panicked or a request, and
// the consumer counts those before it commits (see queue.taken), so that
// the counts never show a message as delivered before it is.

// slotKind says what a slot asks the consumer to do.
type slotKind uint8

const (
	slotMessage slotKind = iota // deliver a message
	slotFlush                   // call Flush, send the result on done
	slotClose                   // call Flush and Close, send on done, end
)

// phase says what a plugin's goroutine is doing, for reports.
const (
	phaseMessages int32 = iota
	phaseFlush
	phaseClose
)

// A slot is one queued message or request.
type slot struct {
	kind   slotKind
	level  api.Level
	nilMap bool // the caller passed nil labels
	msg    string
	kv     []string // labels: key, value, key, value...
	done   chan error
}

// A queue is one plugin's ring of slots and the state its two sides share,
// each side's fields on cache lines of their own.
type queue struct {
	// Read-only after newQueue.
	ring   []slot
	mask   uint64
	size   uint64 // the most slots in use at once
	policy Policy
	wake   chan struct{} // capacity 1
	room   chan struct{} // capacity 1
	_      [64]byte

	// Written by the producer, under Host.mu.
	tail     atomic.Uint64 // slots filled
	headSeen uint64        // head, as last loaded by the producer
	timer    *time.Timer
	_        [64]byte

	// Written by either side when it starts or stops waiting, which is
	// rare while messages flow, and read by the other for every message.
	waiting  atomic.Bool // the producer waits on room
	sleeping atomic.Bool // the consumer waits on wake
	_        [64]byte

	// Written by the consumer (and by giveUp, once).
	head      atomic.Uint64 // slots taken, or gaveUpMark
	gaveUpAt  atomic.Uint64 // head when the host gave up on the plugin
	skipped   atomic.Uint64 // messages taken but not passed to a quarantined plugin
	msgPanics atomic.Uint64 // messages whose call panicked
	requests  atomic.Uint64 // Flush and Close requests taken
	phase     atomic.Int32  // phaseMessages, phaseFlush or phaseClose
	_         [64]byte
}

// gaveUpMark is the value of queue.head once the host gave up on the
// plugin.
const gaveUpMark = 1 << 63

// taken returns the number of messages the consumer delivered and the
// number it skipped, as far as it committed them.
func (q *queue) taken() (delivered, skipped uint64) {
	slots := q.head.Load()
	if slots == gaveUpMark {
		slots = q.gaveUpAt.Load()
	}
	// Loaded after head: each may count a slot not yet committed, which
	// errs on the side of fewer deliveries, never more.
	skipped = q.skipped.Load()
	return slots - skipped - q.msgPanics.Load() - q.requests.Load(), skipped
}

func newQueue(size int, policy Policy) *queue {
	n := 1
	for n < size {
		n <<= 1
	}
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &queue{
		ring:   make([]slot, n),
		mask:   uint64(n - 1),
		size:   uint64(size),
		policy: policy,
		wake:   make(chan struct{}, 1),
		room:   make(chan struct{}, 1),
		timer:  t,
	}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// enqueue queues a message for the plugin, under Host.mu, applying the
// plugin's policy when its queue is full.
func (s *sink) enqueue(level api.Level, msg string, kv []string, nilMap bool) {
	if s.state.Load() != stateRunning {
		s.refused.Add(1)
		return
	}
	q := s.q
	if q.put(s, slotMessage, level, msg, kv, nilMap, nil, q.policy == Block) {
		return
	}
	s.refused.Add(1)
	if q.policy == Drop && !s.dropReported.Swap(true) {
		s.host.errorLog.Printf("%s: plugin %s: its queue is full (%d messages): dropping messages for it under policy drop (further drops are counted, not reported)",
			s.plugin.Path, s.plugin.Name, q.size)
	}
}

// request queues a Flush or Close request, waiting for room if need be,
// and returns the channel its result will come on, or nil if the host gave
// up on the plugin while waiting.
func (s *sink) request(kind slotKind) chan error {
	done := make(chan error, 1)
	if !s.q.put(s, kind, 0, "", nil, false, done, true) {
		return nil
	}
	return done
}

// put fills the next slot, under Host.mu. When the queue is full it waits
// for room if wait is set and returns false otherwise; it returns false too
// when it gave up on the plugin while waiting.
func (q *queue) put(s *sink, kind slotKind, level api.Level, msg string, kv []string, nilMap bool, done chan error, wait bool) bool {
	t := q.tail.Load()
	if t-q.headSeen >= q.size {
		q.headSeen = q.head.Load()
		if t-q.headSeen >= q.size && (!wait || !s.waitRoom(t)) {
			return false
		}
	}
	sl := &q.ring[t&q.mask]
	sl.kind, sl.level, sl.nilMap, sl.msg, sl.done = kind, level, nilMap, msg, done
	sl.kv = append(sl.kv[:0], kv...)
	q.tail.Store(t + 1)
	if q.sleeping.Load() {
		signal(q.wake)
	}
	return true
}

// waitRoom waits, under Host.mu, until the plugin's queue, filled up to
// t, has room. It gives up on the plugin, and returns false, when the
// plugin takes no message for the stall timeout, or when Close has begun
// and its deadline passes.
func (s *sink) waitRoom(t uint64) bool {
	q, h := s.q, s.host
	q.waiting.Store(true)
	defer q.waiting.Store(false)
	stall := h.d.stallTimeout
	last := q.head.Load()
	stallAt := time.Now().Add(stall)
	quit := h.quit
	var deadline time.Time
	for {
		if t-q.head.Load() < q.size {
			return true
		}
		select {
		case <-quit:
			deadline, quit = h.stopBy, nil
		default:
		}
		now := time.Now()
		if !deadline.IsZero() && !now.Before(deadline) {
			s.giveUp(fmt.Sprintf("its queue was still full when the shutdown timeout (%v) ran out", h.d.shutdownTimeout))
			return false
		}
		if stall > 0 && !now.Before(stallAt) {
			hd := q.head.Load()
			if hd == last {
				s.giveUp(fmt.Sprintf("it took no message for %v (the stall timeout) while its queue was full", stall))
				return false
			}
			last, stallAt = hd, now.Add(stall)
		}
		var next time.Time
		if stall > 0 {
			next = stallAt
		}
		if !deadline.IsZero() && (next.IsZero() || deadline.Before(next)) {
			next = deadline
		}
		var timeout <-chan time.Time
		if !next.IsZero() {
			q.timer.Reset(next.Sub(now))
			timeout = q.timer.C
		}
		select {
		case <-q.room:
		case <-quit:
		case <-timeout:
		}
		q.timer.Stop()
	}
}

// giveUp quarantines a plugin that stopped taking messages, under Host.mu:
// its queued messages, including one it may be stuck in, are counted as
// dropped, no method of it is called again, and its goroutine is left
// behind.
func (s *sink) giveUp(why string) {
	q := s.q
	s.state.Store(stateStuck)
	var head uint64
	for {
		head = q.head.Load()
		if head == gaveUpMark {
			return
		}
		q.gaveUpAt.Store(head)
		if q.head.CompareAndSwap(head, gaveUpMark) {
			break
		}
	}
	var queued uint64
	for i, t := head, q.tail.Load(); i != t; i++ {
		if q.ring[i&q.mask].kind == slotMessage {
			queued++
		}
	}
	s.dropped.Add(queued)
	err := fmt.Errorf("%w: %s", ErrStuck, why)
	s.setFault(err)
	s.host.errorLog.Printf("%s: plugin %s is stuck: %s; it is quarantined: %d queued messages were not delivered, and no method of it is called again",
		s.plugin.Path, s.plugin.Name, why, queued)
}

// consume is the plugin's goroutine: it takes slots until it has handled
// a close request, or until the host gives up on the plugin.
func (s *sink) consume() {
	q := s.q
	h := q.head.Load()
	for {
		t := q.tail.Load()
		if h == t {
			if s.idleReq.Load() && s.idleReq.Swap(false) {
				s.idleFlush()
			}
			q.idle(h, &s.idleReq)
			continue
		}
		for ; h != t; h++ {
			if !s.take(h) {
				return
			}
		}
	}
}

// idleSpins is how many times an idle consumer yields before it sleeps,
// so that a steady stream of messages rarely needs a wake-up.
const idleSpins = 3

// idle waits until the producer fills slot h, or until flush is set
// (see Host.Idle).
func (q *queue) idle(h uint64, flush *atomic.Bool) {
	for range idleSpins {
		runtime.Gosched()
		if q.tail.Load() != h || flush.Load() {
			return
		}
	}
	q.sleeping.Store(true)
	// Host.Idle sets flush, then looks at sleeping: one of the two sides
	// sees the other's store, so a flush request is never slept through.
	if q.tail.Load() == h && !flush.Load() {
		<-q.wake
	}
	q.sleeping.Store(false)
}

// idleFlush flushes, on the plugin's goroutine, a plugin that holds
// messages, once its queue is empty after Host.Idle. Its first failure is
// reported; every failure is counted in Counts.Errors.
func (s *sink) idleFlush() {
	if s.state.Load() != stateRunning {
		return
	}
	q := s.q
	q.phase.Store(phaseFlush)
	err := s.invoke("Flush", api.Flush)
	q.phase.Store(phaseMessages)
	if err != nil && !s.flushReported.Swap(true) {
		s.host.errorLog.Printf("%s: flushing plugin %s while input is idle: %v (further failures are counted, not reported)", s.plugin.Path, s.plugin.Name, err)
	}
}

// outcome is what became of one slot.
type outcome uint8

const (
	outDelivered outcome = iota
	outDropped
	outPanicked
	outRequest
)

// take handles slot h and reports whether to go on.
func (s *sink) take(h uint64) bool {
	q := s.q
	sl := &q.ring[h&q.mask]
	kind, level, msg, done := sl.kind, sl.level, sl.msg, sl.done
	running := s.state.Load() == stateRunning
	var labels map[string]string
	if kind == slotMessage && running && !sl.nilMap {
		labels = s.labelsMap(len(sl.kv) / 2)
		for i := 0; i+1 < len(sl.kv); i += 2 {
			labels[sl.kv[i]] = sl.kv[i+1]
		}
	}
	sl.msg, sl.done = "", nil
	clear(sl.kv) // let the strings go
	sl.kv = sl.kv[:0]

	out := outRequest
	var err error
	switch kind {
	case slotMessage:
		out = outDropped
		if running {
			out = s.send(level, msg, labels)
		}
	case slotFlush:
		if running {
			q.phase.Store(phaseFlush)
			err = s.invoke("Flush", api.Flush)
			q.phase.Store(phaseMessages)
		}
	case slotClose:
		if running {
			q.phase.Store(phaseFlush)
			err = s.invoke("Flush", api.Flush)
			q.phase.Store(phaseClose)
			err = errors.Join(err, s.invoke("Close", api.Close))
		}
	}

	var counter *atomic.Uint64
	switch out {
	case outDropped:
		counter = &q.skipped
	case outPanicked:
		counter = &q.msgPanics
	case outRequest:
		counter = &q.requests
	}
	if counter != nil {
		counter.Add(1)
	}
	if !q.head.CompareAndSwap(h, h+1) {
		// The host gave up on the plugin, and counted this slot.
		if counter != nil {
			counter.Add(^uint64(0))
		}
		return false
	}

	if done != nil {
		done <- err
	}
	if kind == slotClose {
		return false
	}
	if q.waiting.Load() && q.tail.Load()-(h+1) <= q.size/2 {
		signal(q.room)
	}
	return true
}

// lentMax is the most labels a plugin that borrows labels is lent a map
// for: emptying a map costs in proportion to the most it ever held, and a
// map of up to 8 entries is the smallest there is. A message with more
// labels gets a new map, and the lent one stays small.
const lentMax = 8

// labelsMap returns an empty map for the n labels of the next message: the
// map lent to the plugin, emptied, if it borrows labels and n is small,
// and a new map otherwise.
func (s *sink) labelsMap(n int) map[string]string {
	if !s.borrows || n > lentMax {
		return make(map[string]string, n)
	}
	if s.lent == nil || len(s.lent) > lentMax { // a plugin that broke the contract grew it
		s.lent = make(map[string]string, n)
	} else {
		clear(s.lent)
	}
	return s.lent
}

// send calls the plugin's method for level, recovering a panic.
func (s *sink) send(level api.Level, msg string, labels map[string]string) (out outcome) {
	defer func() {
		if v := recover(); v != nil {
			s.panicked(methodFor(s.plugin.Logger, level), v)
			out = outPanicked
		}
	}()
	api.Send(s.plugin.Logger, level, msg, labels)
	return outDelivered
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

// closeQueued is Close for queued delivery. It lets a Send that waits for
// room finish (or give up) within the shutdown timeout, then asks every
// plugin's goroutine to deliver what is queued, flush and close, and waits
// for them all, in parallel, for at most the shutdown timeout more.
func (h *Host) closeQueued() error {
	timeout := h.d.shutdownTimeout
	h.stopBy = time.Now().Add(timeout)
	close(h.quit)
	h.mu.Lock()
	defer h.mu.Unlock()
	deadline := time.Now().Add(timeout)
	h.stopBy = deadline
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	// Each sink's producer side is its own, so the requests can wait for
	// room in parallel, on behalf of this goroutine, which holds h.mu.
	errs := make([]error, len(h.sinks))
	var wg sync.WaitGroup
	for i, s := range h.sinks {
		if s.state.Load() == stateStuck {
			continue // given up on already, and reported
		}
		wg.Go(func() { errs[i] = s.close(ctx, timeout) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// close asks the plugin's goroutine to finish, and gives up on the plugin
// if it has not by the time ctx is done.
func (s *sink) close(ctx context.Context, timeout time.Duration) error {
	done := s.request(slotClose)
	if done == nil {
		return fmt.Errorf("%s: %w", s.plugin.Name, s.fault())
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	select {
	case err := <-done:
		return err
	default:
	}
	var why string
	switch s.q.phase.Load() {
	case phaseFlush:
		why = "its Flush did not return within the shutdown timeout (%v); Close was not called"
		s.errors.Add(1)
	case phaseClose:
		why = "its Close did not return within the shutdown timeout (%v)"
		s.errors.Add(1)
	default:
		why = "it had not taken every queued message when the shutdown timeout (%v) ran out; Flush and Close were not called"
	}
	s.giveUp(fmt.Sprintf(why, timeout))
	return fmt.Errorf("%s: %w", s.plugin.Name, s.fault())
}

// flushQueued is Flush for queued delivery: it asks every plugin that is
// working to flush once it has taken the messages sent so far, and waits
// for each for at most the shutdown timeout.
func (h *Host) flushQueued() error {
	h.mu.Lock()
	if h.closed.Load() {
		h.mu.Unlock()
		return nil
	}
	dones := make([]chan error, len(h.sinks))
	for i, s := range h.sinks {
		if s.state.Load() == stateRunning {
			dones[i] = s.request(slotFlush)
		}
	}
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), h.d.shutdownTimeout)
	defer cancel()
	var errs []error
	for i, s := range h.sinks {
		if dones[i] == nil {
			continue
		}
		select {
		case err := <-dones[i]:
			errs = append(errs, err)
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("%s: Flush did not return within %v", s.plugin.Name, h.d.shutdownTimeout))
		}
	}
	return errors.Join(errs...)
}
