package deliver

import (
	"runtime"
	"sync/atomic"
	"time"

	"github.com/logplug/logplug/api"
)

// Each plugin has a queue: a ring of slots with one producer and one
// consumer. The producer is whoever holds queuedEngine.mu (Send, Flush,
// Close), so every plugin sees the messages in the same order; the
// consumer is the plugin's own goroutine, the only one that calls the
// plugin. head and tail count slots taken and slots filled; the ring holds
// the slots [head, tail), at most size of them.
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
// plugin's goroutine rather than the caller's.
//
// The engine may give up on a plugin that stopped taking messages (see
// queuedSink.giveUp). Its goroutine is then left where it is, inside the
// plugin; should the plugin ever return, the goroutine ends without
// counting or calling anything. Slots are committed by a compare-and-swap
// of head from h to h+1, and giveUp swaps head for gaveUpMark, so each
// slot is either committed by the consumer, which then counts what became
// of it, or counted as dropped by giveUp, never both.

// slotKind says what a slot asks the consumer to do.
type slotKind uint8

const (
	slotMessage slotKind = iota // deliver a message
	slotFlush                   // call Flush, send the result on done
	slotReopen                  // call Reopen, send the result on done
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
	ring []slot
	mask uint64
	size uint64        // the most slots in use at once
	wake chan struct{} // capacity 1
	room chan struct{} // capacity 1
	_    [64]byte

	// Written by the producer.
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
	head  atomic.Uint64 // slots taken, or gaveUpMark
	phase atomic.Int32  // phaseMessages, phaseFlush or phaseClose
	_     [64]byte
}

// gaveUpMark is the value of queue.head once the engine gave up on the
// plugin.
const gaveUpMark = 1 << 63

func newQueue(size int) *queue {
	n := 1
	for n < size {
		n <<= 1
	}
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &queue{
		ring:  make([]slot, n),
		mask:  uint64(n - 1),
		size:  uint64(size),
		wake:  make(chan struct{}, 1),
		room:  make(chan struct{}, 1),
		timer: t,
	}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// put fills the next slot, as the producer, if the queue has room, and
// reports whether it did.
func (q *queue) put(kind slotKind, level api.Level, msg string, kv []string, nilMap bool, done chan error) bool {
	t := q.tail.Load()
	if t-q.headSeen >= q.size {
		q.headSeen = q.head.Load()
		if t-q.headSeen >= q.size {
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

// full reports whether the queue has no room, for a producer that waits.
func (q *queue) full() bool { return q.tail.Load()-q.head.Load() >= q.size }

// queued returns the number of messages in slots [from, tail).
func (q *queue) queued(from uint64) uint64 {
	var n uint64
	for i, t := from, q.tail.Load(); i != t; i++ {
		if q.ring[i&q.mask].kind == slotMessage {
			n++
		}
	}
	return n
}

// idleSpins is how many times an idle consumer yields before it sleeps,
// so that a steady stream of messages rarely needs a wake-up.
const idleSpins = 3

// idle waits until the producer fills slot h, or until flush is set
// (see Engine.Idle).
func (q *queue) idle(h uint64, flush *atomic.Bool) {
	for range idleSpins {
		runtime.Gosched()
		if q.tail.Load() != h || flush.Load() {
			return
		}
	}
	q.sleeping.Store(true)
	// Idle sets flush, then looks at sleeping: one of the two sides sees
	// the other's store, so a flush request is never slept through.
	if q.tail.Load() == h && !flush.Load() {
		<-q.wake
	}
	q.sleeping.Store(false)
}

// A roomWait is a producer waiting for room in a full queue.
type roomWait struct {
	stall    time.Duration // <= 0: no stall timeout
	stallAt  time.Time     // when the plugin is stuck unless head moves
	last     uint64        // head when stallAt was set
	deadline time.Time     // zero: none yet
	quit     <-chan struct{}
}

// expired returns why the producer gives up waiting, or "" if it does not.
func (w *roomWait) expired(q *queue, now time.Time, shutdown time.Duration) string {
	if !w.deadline.IsZero() && !now.Before(w.deadline) {
		return "its queue was still full when the shutdown timeout (" + shutdown.String() + ") ran out"
	}
	if w.stall <= 0 || now.Before(w.stallAt) {
		return ""
	}
	if hd := q.head.Load(); hd != w.last {
		w.last, w.stallAt = hd, now.Add(w.stall)
		return ""
	}
	return "it took no message for " + w.stall.String() + " (the stall timeout) while its queue was full"
}

// sleep waits for the consumer to make room, for quit, or until it is time
// to look at the clock again.
func (w *roomWait) sleep(q *queue, now time.Time) {
	next := w.deadline
	if w.stall > 0 && (next.IsZero() || w.stallAt.Before(next)) {
		next = w.stallAt
	}
	var timeout <-chan time.Time
	if !next.IsZero() {
		q.timer.Reset(next.Sub(now))
		timeout = q.timer.C
	}
	select {
	case <-q.room:
	case <-w.quit:
	case <-timeout:
	}
	q.timer.Stop()
}
