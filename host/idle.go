package host

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
func (h *Host) Idle() error { return h.e.Idle() }
