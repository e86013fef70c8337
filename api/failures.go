package api

// FailureCounter is implemented by plugins that can say how many of the
// messages they took they then failed to write.
//
// Failures returns the number of messages the plugin has taken (its method
// returned) since it was configured and then failed to write, whole or in
// part: a failed or short write, an output that is gone, an encoding
// error. It counts messages, not write calls: a plugin whose write of 100
// held messages fails counts 100. The count never goes down. last is the
// error of the latest failure, naming the output, such as "write
// /var/log/app.log: no space left on device", or nil when n is 0.
//
// The host reads the count from time to time while messages flow, and at
// Flush and Close; it counts the failed messages as lost, reports the first
// failure, and stops calling a plugin whose writes keep failing. A plugin
// that counts its failures here need not return them from Flush as well.
// Failures must be safe to call concurrently with every other method, and
// cheap: it is called often.
//
// If a plugin does not implement FailureCounter, the host counts every
// message whose method returned as delivered, and learns of failures only
// from the errors of Flush and Close.
type FailureCounter interface {
	Failures() (n uint64, last error)
}

// Failures calls l.Failures if l is a [FailureCounter], and returns 0 and
// nil otherwise.
func Failures(l Logger) (n uint64, last error) {
	if f, ok := l.(FailureCounter); ok {
		return f.Failures()
	}
	return 0, nil
}

// CountsFailures reports whether l is a [FailureCounter].
func CountsFailures(l Logger) bool {
	_, ok := l.(FailureCounter)
	return ok
}

// Reopener is implemented by plugins that write to files by path.
//
// Reopen closes the files the plugin writes, after writing out what it
// holds, and opens them again by their paths, creating them as Configure
// does. A log rotator (logrotate, newsyslog) renames a file and then asks
// the program writing it to reopen it: the messages taken before Reopen are
// in the renamed file, and those after it in the new one, with none lost or
// written twice. The host calls Reopen in order with the messages (every
// message sent before it has been taken, none sent after), for example
// when `logplug run` gets SIGHUP. If a file can't be opened again, Reopen
// returns an error naming it and keeps writing the file it had.
//
// If a plugin does not implement Reopener, the host skips it: it goes on
// writing the file it has open, renamed or not. Rotate such a plugin's file
// by copying and truncating it (logrotate's copytruncate).
type Reopener interface {
	Reopen() error
}

// Reopen calls l.Reopen if l is a [Reopener], and returns nil otherwise.
func Reopen(l Logger) error {
	if r, ok := l.(Reopener); ok {
		return r.Reopen()
	}
	return nil
}

// Reopens reports whether l is a [Reopener].
func Reopens(l Logger) bool {
	_, ok := l.(Reopener)
	return ok
}
