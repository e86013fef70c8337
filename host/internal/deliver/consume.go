package deliver

import (
	"errors"

	"github.com/logplug/logplug/api"
)

// The consumer side of queued delivery: the plugin's goroutine.

// consume is the plugin's goroutine: it takes slots until it has handled
// a close request, or until the engine gives up on the plugin.
func (s *queuedSink) consume() {
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
		s.checkFailures()
	}
}

// idleFlush flushes a plugin that holds messages, once its queue is empty
// after Idle. Its first failure is reported; every failure is counted in
// Counts.Errors.
func (s *queuedSink) idleFlush() {
	if !s.running() {
		return
	}
	err := s.flush(phaseMessages)
	if err != nil && !s.flushReported.Swap(true) {
		s.logf("flushing plugin %s while input is idle: %v (further failures are counted, not reported)", s.plugin.Name, err)
	}
}

// An outcome is what became of one slot.
type outcome uint8

const (
	outRequest outcome = iota
	outDelivered
	outDropped
	outPanicked
)

// take handles slot h and reports whether to go on. What became of the
// slot is counted once the slot is committed, so that a slot the engine
// gave up on meanwhile, and counted as dropped, is not counted twice.
func (s *queuedSink) take(h uint64) bool {
	q := s.q
	sl := &q.ring[h&q.mask]
	kind, done := sl.kind, sl.done
	sl.done = nil
	out, err := outRequest, error(nil)
	if kind == slotMessage {
		out = s.message(sl)
	} else {
		err = s.handle(kind)
	}
	if !q.head.CompareAndSwap(h, h+1) {
		return false // the engine gave up on the plugin, and counted this slot
	}
	s.count(out)
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

// count counts what became of a message.
func (s *queuedSink) count(out outcome) {
	switch out {
	case outDelivered:
		s.delivered.Add(1)
	case outDropped:
		s.dropped.Add(1)
	case outPanicked:
		s.msgPanics.Add(1)
	}
}

// message passes the message in sl to the plugin, unless it is no longer
// called, and empties the slot.
func (s *queuedSink) message(sl *slot) outcome {
	running := s.running()
	var labels map[string]string
	if running && !sl.nilMap {
		labels = s.labelsMap(len(sl.kv) / 2)
		for i := 0; i+1 < len(sl.kv); i += 2 {
			labels[sl.kv[i]] = sl.kv[i+1]
		}
	}
	level, msg := sl.level, sl.msg
	sl.msg = ""
	clear(sl.kv) // let the strings go
	sl.kv = sl.kv[:0]
	if !running {
		return outDropped
	}
	return s.send(level, msg, labels)
}

// send calls the plugin's method for level, recovering a panic.
func (s *queuedSink) send(level api.Level, msg string, labels map[string]string) (out outcome) {
	defer func() {
		if v := recover(); v != nil {
			s.messagePanicked(level, v)
			out = outPanicked
		}
	}()
	api.Send(s.plugin.Logger, level, msg, labels)
	return outDelivered
}

// handle carries out a Flush, Reopen or Close request, unless the plugin is no
// longer called.
func (s *queuedSink) handle(kind slotKind) error {
	if !s.running() {
		return nil
	}
	switch kind {
	case slotFlush:
		return s.flush(phaseMessages)
	case slotReopen:
		return s.invoke("Reopen", api.Reopen)
	}
	err := s.flush(phaseClose)
	err = errors.Join(err, s.invoke("Close", api.Close))
	s.checkFailures()
	return err
}

// flush calls the plugin's Flush, noting the phase for Close's report: the
// flush, then next.
func (s *queuedSink) flush(next int32) error {
	s.q.phase.Store(phaseFlush)
	err := s.invoke("Flush", api.Flush)
	s.checkFailures()
	s.q.phase.Store(next)
	return err
}

// lentMax is the most labels a plugin that borrows labels is lent a map
// for: emptying a map costs in proportion to the most it ever held, and a
// map of up to 8 entries is the smallest there is. A message with more
// labels gets a new map, and the lent one stays small.
const lentMax = 8

// labelsMap returns an empty map for the n labels of the next message: the
// map lent to the plugin, emptied, if it borrows labels and n is small,
// and a new map otherwise.
func (s *queuedSink) labelsMap(n int) map[string]string {
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
