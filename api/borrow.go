package api

// Borrower is implemented by plugins that are done with each labels map by
// the time the method it was passed to returns, as the rules for every
// method require (see the package documentation), and that say so.
//
// A host that delivers messages on a goroutine of its own for each plugin
// must give each plugin a labels map of its own with each message, or the
// caller's reuse of its map and another plugin's mistakes would reach the
// plugin. Building that map costs an allocation per message per plugin.
// A plugin whose BorrowsLabels returns true tells the host that it may
// lend the plugin one map for all its messages instead, emptied and
// refilled for each one: the plugin's reads of it during a call are
// always safe, and the map changes after the call returns.
//
// The host calls BorrowsLabels once, after Configure and before the first
// message. A plugin that says it borrows and then keeps a map anyway, for
// example to encode it later on a goroutine of its own, sees the map change
// under it, and may crash the host with a concurrent map access: return
// true only when every method copies or encodes what it needs before it
// returns. The conformance suite in package plugintest checks that it
// does.
//
// If a plugin does not implement Borrower, or BorrowsLabels returns false,
// the host gives it a new map with each message.
type Borrower interface {
	BorrowsLabels() bool
}

// BorrowsLabels reports whether l is a [Borrower] whose BorrowsLabels
// returns true.
func BorrowsLabels(l Logger) bool {
	b, ok := l.(Borrower)
	return ok && b.BorrowsLabels()
}
