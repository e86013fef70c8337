package main

import (
	"errors"
	"io"
	"io/fs"
	"sync/atomic"
)

// failures counts the messages the plugin took and then failed to write, and
// keeps the latest failure's error. It is safe for concurrent use without the
// plugin's mutex, so that Failures is cheap; the zero value counts none.
type failures struct {
	n    atomic.Uint64
	last atomic.Pointer[failure]
}

// failure boxes an error for atomic.Pointer.
type failure struct{ err error }

// add counts n more failed messages, of which err is the cause.
func (f *failures) add(n uint64, err error) {
	// The error is stored before the count grows, so that a reader that
	// sees a count above 0 also sees an error.
	f.last.Store(&failure{err})
	f.n.Add(n)
}

// get returns the count and the latest error, nil when the count is 0.
func (f *failures) get() (uint64, error) {
	n := f.n.Load()
	if n == 0 {
		return 0, nil
	}
	return n, f.last.Load().err
}

// writeError returns the error of a write to w that wrote n of size bytes
// and returned err: err itself when it names the file (an *fs.PathError,
// as *os.File's errors do), and otherwise err, or io.ErrShortWrite for a
// short write without an error, wrapped with the name of w.
func writeError(w io.Writer, n, size int, err error) error {
	if err == nil && n < size {
		err = io.ErrShortWrite
	}
	if err == nil {
		return nil
	}
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		return err
	}
	return &fs.PathError{Op: "write", Path: outputName(w), Err: err}
}

// outputName names w in errors: the name of a file (os.Stdout is
// "/dev/stdout"), and "output" for any other writer.
func outputName(w io.Writer) string {
	if f, ok := w.(interface{ Name() string }); ok {
		return f.Name()
	}
	return "output"
}
