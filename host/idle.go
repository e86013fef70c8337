package host

import (
	"errors"

	"github.com/logplug/logplug/api"
)

// Idle flushes every plugin that holds messages in a buffer. A host opened
// with [Options.FlushWhenIdle] has told such plugins (see [api.Holder]) that
// it calls Idle whenever its caller has no message ready to send: call it
// then, for example before waiting for more input, so that no message waits
// in a buffer while the input is idle. Plugins that do not hold messages are
// left alone, so Idle costs nothing when none does. After Close, Idle does
// nothing.
//
// With synchronous delivery, Idle flushes the plugins itself and returns
// their errors joined. With queued delivery it does not wait: it asks each
// plugin's goroutine to flush the plugin once it has delivered what is
// queued, and returns nil; a failure is reported to the error log and
// counted.
func (h *Host) Idle() error {
	if h.closed.Load() {
		return nil
	}
	var errs []error
	for _, s := range h.sinks {
		switch {
		case !s.holds:
		case s.q != nil:
			s.idleReq.Store(true)
			if s.q.sleeping.Load() {
				signal(s.q.wake)
			}
		default:
			errs = append(errs, s.call("Flush", api.Flush))
		}
	}
	return errors.Join(errs...)
}

// hold tells the plugin that it may hold messages until Idle flushes it,
// and reports whether the plugin can. A plugin that panics in Hold is
// reported and does not hold messages.
func (s *sink) hold() bool {
	return s.ask("Hold", api.Hold)
}
