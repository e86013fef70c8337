package api

// Holder is implemented by plugins that can hold messages in a buffer and
// write many at once, which is much cheaper than one write per message.
//
// A host that promises to call Flush as soon as it has no message ready for
// the plugin (when its own input is idle), and at shutdown before Close,
// calls Hold once, after Configure and before the first message. From then on
// the plugin may keep messages it has accepted in a buffer until the next
// Flush or Close, or until the buffer is full. A plugin must not hold
// messages unless Hold was called: a host that never calls Hold makes no
// promise to call Flush while it runs, or at all.
//
// If a plugin does not implement Holder, the host delivers as usual, and
// the plugin writes each message as it sees fit.
type Holder interface {
	Hold()
}

// Hold calls l.Hold if l is a [Holder], and reports whether it did.
func Hold(l Logger) bool {
	if h, ok := l.(Holder); ok {
		h.Hold()
		return true
	}
	return false
}
