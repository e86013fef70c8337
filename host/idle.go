package host

import (
	"errors"

	"github.com/logplug/logplug/api"
)

// Idle flushes every plugin that holds messages in a buffer, and returns
// their errors joined. A host opened with [Options.FlushWhenIdle] has told
// such plugins (see [api.Holder]) that it calls Idle whenever its caller has
// no message ready to send: call it then, for example before waiting for
// more input, so that no message waits in a buffer while the input is idle.
// Plugins that do not hold messages are left alone, so Idle costs nothing
// when none does. After Close, Idle does nothing.
func (h *Host) Idle() error {
	if h.closed.Load() {
		return nil
	}
	var errs []error
	for _, s := range h.sinks {
		if s.holds {
			errs = append(errs, s.call("Flush", api.Flush))
		}
	}
	return errors.Join(errs...)
}

// hold tells the plugin that it may hold messages until Idle flushes it,
// and reports whether the plugin can. A plugin that panics in Hold is
// reported and does not hold messages.
func (s *sink) hold() (holds bool) {
	defer func() {
		if v := recover(); v != nil {
			s.panicked("Hold", v)
			holds = false
		}
	}()
	return api.Hold(s.plugin.Logger)
}
